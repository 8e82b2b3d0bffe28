"""Harmony's URL map: the UI under /ui/, the REST API under /api/v1/, health at the top."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(url="/ui/", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/v1/", include("accounts.api.urls")),
    path("api/v1/", include("providers.api.urls")),
    path("api/v1/", include("library.api.urls")),
    path("api/v1/", include("downloads.api.urls")),
    path("ui/", include("accounts.urls")),
    path("ui/", include("library.urls")),
    path("ui/", include("downloads.urls")),
]
