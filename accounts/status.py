"""The `auth` section of `GET /api/v1/status`: is the API open or key-protected?"""

from __future__ import annotations

from typing import Any

from accounts.auth import api_auth_mode
from harmony_site.probes import register_status


@register_status("auth")
def status_auth() -> dict[str, Any]:
    return {"mode": api_auth_mode()}
