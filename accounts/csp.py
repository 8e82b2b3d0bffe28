"""Content-Security-Policy with per-path exceptions (policy in settings; docs/ui/csp.md).

The site-wide policy in `settings.CONTENT_SECURITY_POLICY` allows no inline script or style.
A few pages we do not write ourselves need more; they are listed here by path prefix so every
exception is in one place and reviewed together. A view-level `@csp_replace` still wins.
"""

from __future__ import annotations

from typing import Any

from csp.middleware import CSPMiddleware, PolicyParts
from django.http import HttpRequest, HttpResponseBase

# Swagger UI (`/api/docs`, vendored by drf-spectacular-sidecar) sets inline styles and
# data: images; its script is served as a file by SpectacularSwaggerSplitView.
PATH_REPLACEMENTS: dict[str, dict[str, Any]] = {
    "/api/docs": {"style-src": ["'self'", "'unsafe-inline'"], "img-src": ["'self'", "data:"]},
}


class HarmonyCSPMiddleware(CSPMiddleware):
    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if parts.replace is None:
            for prefix, replacement in PATH_REPLACEMENTS.items():
                if request.path_info.startswith(prefix):
                    parts.replace = replacement
                    break
        return parts
