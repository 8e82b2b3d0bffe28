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
# UI → redirect to the login page or 403, API → 401/403, admin → redirect to its login; a 405
# counts as refused). HEAD and OPTIONS follow the GET rule, PUT, PATCH and DELETE the POST rule.
POLICIES: dict[str, dict[str, frozenset[str] | str]] = {
    "public": {"GET": _EVERYONE},  # health, schema, API docs
    "redirect": {"GET": _EVERYONE, "POST": _EVERYONE},  # the root redirect, any method
    "sign_in": {"GET": _EVERYONE, "POST": _EVERYONE},  # login forms answer everyone
    # Signing out sends every caller to the login page; only a server error is wrong.
    "sign_out": {"GET": _EVERYONE, "POST": _EVERYONE},
    "callback": {"GET": _EVERYONE},  # provider redirects (OAuth), validated by their state
    "setup": {"GET": NOT_FOUND, "POST": NOT_FOUND},  # first-run wizard, token-gated
    "ui_viewer": {"GET": _UI_VIEWERS},  # a UI page every role may see
    "ui_operator": {"GET": _UI_VIEWERS, "POST": frozenset({OPERATOR, ADMIN})},  # page + actions
    "ui_operator_action": {"POST": frozenset({OPERATOR, ADMIN})},  # POST-only UI action
    "ui_self": {"GET": _UI_VIEWERS, "POST": _UI_VIEWERS},  # your own account (password)
    "ui_admin": {"GET": frozenset({ADMIN}), "POST": frozenset({ADMIN})},  # settings, users
    "ui_admin_action": {"POST": frozenset({ADMIN})},  # POST-only admin UI action (DLQ purge)
    "ui_admin_page": {"GET": frozenset({ADMIN})},  # GET-only admin page or partial
    "api_viewer_read": {"GET": _API_VIEWERS},  # IsViewer, read-only
    "api_operator_write": {"GET": _API_VIEWERS, "POST": _API_OPERATORS},  # IsOperator
    "api_admin_write": {"GET": _API_VIEWERS, "POST": _API_ADMINS},  # the DRF default
    "api_admin": {"GET": _API_ADMINS, "POST": _API_ADMINS},  # IsAdmin (reads included)
    "admin_site": {"GET": frozenset({ADMIN}), "POST": frozenset({ADMIN})},  # the admin console
}

ROUTE_ACCESS: dict[str, str] = {
    # --- site, health, admin, docs (foundation, accounts, API) ---
    "": "redirect",
    "live": "public",
    "env": "api_viewer_read",
    "admin/*": "admin_site",
    "admin/login/": "sign_in",
    "admin/logout/": "sign_out",
    "api/health/live": "public",
    "api/health/ready": "public",
    "api/v1/health": "public",
    "api/v1/status": "api_viewer_read",
    "api/v1/metrics": "api_viewer_read",
    "api/v1/schema": "public",
    "api/docs": "public",
    # --- accounts ---
    "ui/login/": "sign_in",
    "ui/logout/": "sign_out",  # POST only; GET is 405 for everyone
    "ui/setup/<str:token>/": "setup",
    "ui/account/password": "ui_self",
    # Web UI panels (issue 9; docs/ui/README.md)
    "ui/": "ui_viewer",
    "ui/operations": "ui_viewer",
    "ui/operations/submit": "ui_operator_action",
    "ui/operations/scan": "ui_operator_action",
    "ui/operations/sync": "ui_operator_action",
    "ui/downloads": "ui_viewer",
    "ui/downloads/live": "ui_viewer",
    "ui/jobs/<int:job_id>": "ui_viewer",
    "ui/jobs/<int:job_id>/cancel": "ui_operator_action",
    "ui/jobs/<int:job_id>/retry": "ui_operator_action",
    "ui/jobs/<int:job_id>/priority": "ui_operator_action",
    "ui/jobs/<int:job_id>/wrong-file": "ui_operator_action",
    "ui/jobs/<int:job_id>/candidates/<int:candidate_id>/choose": "ui_operator_action",
    "ui/watchlists": "ui_operator",
    "ui/watchlists/<int:watchlist_id>": "ui_operator_action",
    "ui/watchlists/<int:watchlist_id>/sync": "ui_operator_action",
    "ui/watchlists/<int:watchlist_id>/delete": "ui_operator_action",
    "ui/watchlists/<int:watchlist_id>/syncs": "ui_viewer",
    "ui/dlq": "ui_viewer",
    "ui/dlq/requeue": "ui_operator_action",
    "ui/dlq/purge": "ui_admin_action",
    "ui/wanted": "ui_viewer",
    "ui/wanted/retry": "ui_operator_action",
    "ui/blocklist": "ui_viewer",
    "ui/blocklist/<int:block_id>/remove": "ui_operator_action",
    "ui/library/quarantine": "ui_viewer",
    "ui/library/quarantine/retry": "ui_operator_action",
    "ui/library/quarantine/release": "ui_operator_action",
    "ui/library/quarantine/delete": "ui_admin_action",
    "ui/library": "ui_viewer",
    "ui/library/artists/<int:artist_id>": "ui_viewer",
    "ui/library/albums/<int:album_id>": "ui_viewer",
    "ui/library/tracks/<int:track_id>": "ui_viewer",
    "ui/library/files/<int:file_id>/spectrogram.png": "ui_viewer",
    "ui/library/verify": "ui_operator_action",
    "ui/library/verify/<int:run_id>": "ui_viewer",
    "ui/settings": "ui_admin",
    "ui/settings/naming-preview": "ui_admin",
    "ui/settings/apply": "ui_admin_action",
    "ui/settings/slskd/test": "ui_admin_action",
    "ui/spotify": "ui_viewer",
    "ui/spotify/library": "ui_viewer",
    "ui/spotify/connect": "ui_admin_page",  # a link (GET) to Spotify's consent page
    "ui/spotify/connected": "ui_viewer",
    "ui/spotify/manual": "ui_admin_action",
    "ui/spotify/disconnect": "ui_admin_action",
    "ui/spotify/download": "ui_operator_action",
    "ui/spotify/follow": "ui_operator_action",
    "ui/spotify/artwork": "ui_viewer",
    "ui/settings/keys": "ui_admin_action",
    "ui/settings/keys/<str:key_id>/revoke": "ui_admin_action",
    "ui/settings/users": "ui_admin_action",
    "ui/settings/users/<int:user_id>": "ui_admin_action",
    "ui/system": "ui_viewer",
    "api/v1/keys": "api_admin",
    "api/v1/keys/<str:prefix>": "api_admin",
    "api/v1/keys/<str:prefix>/revoke": "api_admin",
    # --- settings (admin) ---
    "api/v1/settings": "api_admin",
    # --- providers ---
    "callback": "callback",  # Spotify OAuth redirect on the loopback OAuth bind
    "api/v1/oauth/callback": "callback",
    "api/v1/oauth/authorize": "api_admin",  # provider credentials are the admin's
    "api/v1/oauth/manual": "api_admin",
    "api/v1/oauth/disconnect": "api_admin",
    "api/v1/oauth/status": "api_viewer_read",
    "api/v1/providers": "api_viewer_read",
    "api/v1/providers/<str:name>/test": "api_operator_write",
    "api/v1/spotify/search": "api_viewer_read",
    "api/v1/spotify/library/<str:kind>": "api_viewer_read",
    # --- library ---
    "api/v1/activity": "api_viewer_read",
    "api/v1/library/artists": "api_viewer_read",
    "api/v1/library/artists/<int:pk>": "api_viewer_read",
    "api/v1/library/albums": "api_viewer_read",
    "api/v1/library/albums/<int:pk>": "api_viewer_read",
    "api/v1/library/tracks": "api_viewer_read",
    "api/v1/library/tracks/<int:pk>": "api_viewer_read",
    "api/v1/library/files": "api_viewer_read",
    "api/v1/library/files/<int:pk>": "api_viewer_read",
    "api/v1/library/scans": "api_operator_write",
    "api/v1/library/scans/<int:pk>": "api_viewer_read",
    "api/v1/library/verify-runs": "api_operator_write",
    "api/v1/library/verify-runs/<int:pk>": "api_viewer_read",
    "api/v1/library/tracks/<int:track_id>/wrong-file": "api_operator_write",
    # --- downloads (HDM) ---
    "api/v1/downloads": "api_operator_write",
    "api/v1/downloads/list": "api_operator_write",
    "api/v1/downloads/<int:job_id>": "api_operator_write",
    "api/v1/downloads/<int:job_id>/cancel": "api_operator_write",
    "api/v1/downloads/<int:job_id>/retry": "api_operator_write",
    "api/v1/downloads/<int:job_id>/priority": "api_operator_write",
    "api/v1/downloads/<int:job_id>/candidates/<int:candidate_id>/choose": "api_operator_write",
    "api/v1/dlq": "api_viewer_read",
    "api/v1/dlq/stats": "api_viewer_read",
    "api/v1/dlq/<int:job_id>": "api_viewer_read",
    "api/v1/dlq/requeue": "api_operator_write",
    "api/v1/dlq/purge": "api_admin",
    "api/v1/watchlists": "api_operator_write",
    "api/v1/watchlists/<int:watchlist_id>": "api_operator_write",
    "api/v1/watchlists/<int:watchlist_id>/sync": "api_operator_write",
    # --- integrations (notifications, webhooks, media servers, Lidarr; admin only) ---
    "ui/integrations": "ui_admin_page",
    "ui/integrations/add": "ui_admin_action",
    "ui/integrations/<int:integration_id>/test": "ui_admin_action",
    "ui/integrations/<int:integration_id>/toggle": "ui_admin_action",
    "ui/integrations/<int:integration_id>/delete": "ui_admin_action",
    "ui/integrations/deliveries/<int:delivery_id>/retry": "ui_admin_action",
    "api/v1/integrations": "api_admin",
    "api/v1/integrations/deliveries": "api_admin",
    "api/v1/integrations/deliveries/<int:delivery_id>/retry": "api_admin",
    "api/v1/integrations/<int:integration_id>": "api_admin",
    "api/v1/integrations/<int:integration_id>/test": "api_admin",
}
