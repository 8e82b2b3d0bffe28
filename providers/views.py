"""The Spotify OAuth callback as a plain page: served on the OAuth bind (127.0.0.1:8888/callback)
and on the main port (/api/v1/oauth/callback). The one-time state is its credential."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from harmony_site.api.exceptions import error_response
from harmony_site.api.middleware import is_api_path
from providers.spotify.oauth import OAuthError, oauth_complete, oauth_status

logger = logging.getLogger("hdm.spotify.oauth")


@never_cache
@require_GET
def oauth_callback(request: HttpRequest) -> HttpResponse:
    """Finish the Spotify login Spotify redirected the browser here for; show the outcome."""
    try:
        oauth_complete(request.get_full_path())
    except OAuthError as exc:
        if is_api_path(request):  # everything under /api/ answers errors in the API's shape
            return error_response(400, str(exc), code="oauth_failed")
        context = {"ok": False, "message": str(exc)}
        return render(request, "spotify/connected.html", context, status=400)
    return render(request, "spotify/connected.html", {"spotify": oauth_status()})
