"""Who may call each route: THE table the route-matrix test checks (tests/security/).

Adding a route? Add one line to `ROUTE_ACCESS`: the key is the route as the test prints it
(URL prefix + pattern, regex anchors dropped), the value one of the policies in `POLICIES`.
A key ending in `*` covers every route under that prefix. Unsure which policy? Pick the
narrowest one that lets your users work; docs/operations/security.md explains the roles.
"""

from __future__ import annotations

ANONYMOUS, VIEWER, OPERATOR, ADMIN = "anonymous", "viewer", "operator", "admin"
ADMIN_KEY, VIEWER_KEY = "admin_key", "viewer_key"  # API keys with that role (X-API-Key)
CALLERS = (ANONYMOUS, VIEWER, OPERATOR, ADMIN, ADMIN_KEY, VIEWER_KEY)

_EVERYONE = frozenset(CALLERS)
_UI_VIEWERS = frozenset({VIEWER, OPERATOR, ADMIN})
_API_VIEWERS = frozenset({VIEWER, OPERATOR, ADMIN, ADMIN_KEY, VIEWER_KEY})
_API_OPERATORS = frozenset({OPERATOR, ADMIN, ADMIN_KEY})
_API_ADMINS = frozenset({ADMIN, ADMIN_KEY})
NOT_FOUND = "404"  # a policy value meaning "every caller gets 404" (e.g. a bogus setup token)

# policy -> HTTP method -> callers that must get through (everyone else must be refused:
# UI → redirect to the login page or 403, API → 401/403, admin → redirect to its login).
POLICIES: dict[str, dict[str, frozenset[str] | str]] = {
    "public": {"GET": _EVERYONE},  # health, login page, the root redirect
    "callback": {"GET": _EVERYONE},  # provider redirects (OAuth), validated by their state
    "setup": {"GET": NOT_FOUND, "POST": NOT_FOUND},  # first-run wizard, token-gated
    "ui_viewer": {"GET": _UI_VIEWERS},  # a UI page every role may see
    "ui_operator": {"GET": _UI_VIEWERS, "POST": frozenset({OPERATOR, ADMIN})},  # page + actions
    "ui_operator_action": {"POST": frozenset({OPERATOR, ADMIN})},  # POST-only UI action
    "ui_admin": {"GET": frozenset({ADMIN}), "POST": frozenset({ADMIN})},  # settings, users
    "api_viewer_read": {"GET": _API_VIEWERS},  # IsViewer, read-only
    "api_operator_write": {"GET": _API_VIEWERS, "POST": _API_OPERATORS},  # IsOperator
    "api_admin_write": {"GET": _API_VIEWERS, "POST": _API_ADMINS},  # the DRF default
    "api_admin": {"GET": _API_ADMINS, "POST": _API_ADMINS},  # IsAdmin (reads included)
    "admin_site": {"GET": frozenset({ADMIN})},  # the Django admin console
}

ROUTE_ACCESS: dict[str, str] = {
    "": "public",
    "admin/*": "admin_site",
    "admin/login/": "public",
    "admin/logout/": "public",
    "live": "public",
    "api/health/live": "public",
    "api/health/ready": "public",
    "api/v1/health": "public",
    "api/v1/status": "api_viewer_read",
    "api/v1/metrics": "api_viewer_read",
    "env": "api_viewer_read",
    "callback": "callback",  # Spotify OAuth redirect on the loopback OAuth bind
    "api/v1/oauth/callback": "callback",
    "api/v1/oauth/authorize": "api_admin",  # provider credentials are the admin's
    "api/v1/oauth/manual": "api_admin",
    "api/v1/oauth/disconnect": "api_admin",
    "api/v1/oauth/status": "api_viewer_read",
    "ui/login/": "public",
    "ui/logout/": "public",  # POST only; GET is 405 for everyone
    "ui/setup/<str:token>/": "setup",
}
