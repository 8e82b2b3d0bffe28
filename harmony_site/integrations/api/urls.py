"""Integrations REST API URL patterns (mounted under /api/v1/)."""

from django.urls import path

from harmony_site.integrations.api import views

urlpatterns = [
    path("integrations", views.IntegrationsView.as_view(), name="integrations"),
    path("integrations/deliveries", views.DeliveriesView.as_view(), name="integration-deliveries"),
    path(
        "integrations/deliveries/<int:delivery_id>/retry",
        views.DeliveryRetryView.as_view(),
        name="integration-delivery-retry",
    ),
    path(
        "integrations/<int:integration_id>",
        views.IntegrationDetailView.as_view(),
        name="integration",
    ),
    path(
        "integrations/<int:integration_id>/test",
        views.IntegrationTestView.as_view(),
        name="integration-test",
    ),
]
