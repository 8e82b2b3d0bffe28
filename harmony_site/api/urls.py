"""Connections REST API URL patterns (mounted under /api/v1/): provider status and tests, the
Spotify login, search and library."""

from django.urls import path

from harmony_site.api import connections
from harmony_site.views import oauth

urlpatterns = [
    path("oauth/authorize", connections.OAuthAuthorizeView.as_view(), name="oauth-authorize"),
    path("oauth/manual", connections.OAuthManualView.as_view(), name="oauth-manual"),
    path("oauth/status", connections.OAuthStatusView.as_view(), name="oauth-status"),
    path("oauth/disconnect", connections.OAuthDisconnectView.as_view(), name="oauth-disconnect"),
    path("oauth/callback", oauth.oauth_callback, name="oauth-callback"),
    path("providers", connections.ProviderList.as_view(), name="api-providers"),
    path("providers/<str:name>/test", connections.ProviderTest.as_view(), name="api-provider-test"),
    path("spotify/search", connections.SpotifySearch.as_view(), name="api-spotify-search"),
    path(
        "spotify/library/<str:kind>",
        connections.SpotifyLibrary.as_view(),
        name="api-spotify-library",
    ),
]
