"""Integrations UI URL patterns (mounted under /ui/)."""

from django.urls import path

from harmony_site.integrations import views

app_name = "integrations"

urlpatterns = [
    path("integrations", views.integrations_page, name="integrations"),
    path("integrations/add", views.integration_add, name="integration-add"),
    path("integrations/<int:integration_id>/test", views.integration_test, name="integration-test"),
    path(
        "integrations/<int:integration_id>/toggle",
        views.integration_toggle,
        name="integration-toggle",
    ),
    path(
        "integrations/<int:integration_id>/delete",
        views.integration_delete,
        name="integration-delete",
    ),
    path(
        "integrations/deliveries/<int:delivery_id>/retry",
        views.delivery_retry,
        name="delivery-retry",
    ),
]
