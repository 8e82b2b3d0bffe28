"""Providers REST API URL patterns (mounted under /api/v1/)."""

from django.urls import path

from providers import views
from providers.api import views as api_views

urlpatterns = [
    path("oauth/authorize", api_views.OAuthAuthorizeView.as_view(), name="oauth-authorize"),
    path("oauth/manual", api_views.OAuthManualView.as_view(), name="oauth-manual"),
    path("oauth/status", api_views.OAuthStatusView.as_view(), name="oauth-status"),
    path("oauth/disconnect", api_views.OAuthDisconnectView.as_view(), name="oauth-disconnect"),
    path("oauth/callback", views.oauth_callback, name="oauth-callback"),
    path("providers", api_views.ProviderList.as_view(), name="api-providers"),
    path("providers/<str:name>/test", api_views.ProviderTest.as_view(), name="api-provider-test"),
    path("spotify/search", api_views.SpotifySearch.as_view(), name="api-spotify-search"),
    path(
        "spotify/library/<str:kind>",
        api_views.SpotifyLibrary.as_view(),
        name="api-spotify-library",
    ),
]
