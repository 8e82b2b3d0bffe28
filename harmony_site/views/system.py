"""The System page: version, runtime, probes and the running configuration (docs/ui/README.md)."""

from __future__ import annotations

import platform
from typing import Any

import django
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from harmony_site import health, probes
from harmony_site.config import KNOBS, get_config
from harmony_site.ui import render_panel
from harmony_site.version import __version__

# --- System --------------------------------------------------------------------------------------


def _config_rows() -> list[dict[str, Any]]:
    config = get_config()
    return [
        {
            "name": knob.name,
            "section": knob.section,
            "value": _shown(config.display_value(knob.name)),
            "source": config.sources.get(knob.name, "default"),
            "secret": knob.secret,
        }
        for knob in KNOBS
    ]


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@require_GET
def system(request: HttpRequest) -> HttpResponse:
    """Probes with latency, versions, the task cluster, and where each setting comes from."""
    context = {
        "reports": probes.run_probes(),
        "versions": {
            "Harmony": __version__,
            "Python": platform.python_version(),
            "Django": django.get_version(),
        },
        "env": health.env_payload(),
        "status": health.status_payload(),
        "config_rows": _config_rows(),
    }
    return render_panel(
        request, "harmony_site/system.html", "harmony_site/partials/_probes.html", context
    )
