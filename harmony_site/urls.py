"""Harmony's URL map: the UI under /ui/, the REST API under /api/v1/, health at the top."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import schema  # noqa: F401  (OpenAPI of API-key auth, loaded with the schema)
from harmony_site import health
from harmony_site.api import extensions  # noqa: F401  (OpenAPI of health views, with the schema)
from harmony_site.api.views import SettingsView
from providers import views as provider_views

urlpatterns = [
    path("", RedirectView.as_view(url="/ui/", permanent=False)),
    path("admin/", admin.site.urls),
    path("live", health.live, name="live"),
    # Spotify's OAuth redirect (http://127.0.0.1:8888/callback, the OAuth bind of harmony_serve).
    path("callback", provider_views.oauth_callback, name="spotify-callback"),
    path("api/health/live", health.live, name="health-live"),
    path("api/health/ready", health.ready, name="health-ready"),
    path("api/v1/health", health.live, name="api-health"),
    path("api/v1/status", health.StatusView.as_view(), name="api-status"),
    path("api/v1/metrics", health.MetricsView.as_view(), name="api-metrics"),
    path("env", health.EnvView.as_view(), name="env"),
    path("api/v1/schema", SpectacularAPIView.as_view(), name="api-schema"),
    # GET only: its OPTIONS answer would render the HTML template as metadata and fail.
    path(
        "api/docs",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", http_method_names=["get", "head"]
        ),
        name="api-docs",
    ),
    path("api/v1/settings", SettingsView.as_view(), name="api-settings"),
    path("api/v1/", include("accounts.api.urls")),
    path("api/v1/", include("providers.api.urls")),
    path("api/v1/", include("library.api.urls")),
    path("api/v1/", include("downloads.api.urls")),
    path("api/v1/", include("harmony_site.integrations.api.urls")),
    path("ui/", include("accounts.urls")),
    path("ui/", include("library.urls")),
    path("ui/", include("downloads.urls")),
    path("ui/", include("harmony_site.ui_urls")),
    path("ui/", include("harmony_site.integrations.urls")),
]
