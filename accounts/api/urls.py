"""Accounts REST API URL patterns (mounted under /api/v1/)."""

from django.urls import path

from accounts.api import views

urlpatterns = [
    path("keys", views.APIKeyList.as_view(), name="api-keys"),
    path("keys/<str:prefix>", views.APIKeyDetail.as_view(), name="api-key"),
    path("keys/<str:prefix>/revoke", views.APIKeyRevoke.as_view(), name="api-key-revoke"),
]
