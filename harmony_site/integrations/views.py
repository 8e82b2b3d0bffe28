"""The Integrations page (admin): targets, "send test"/"test connection", the delivery log.

Thin function views: an access check, one service or selector call, render. Every write goes
through integrations/services.py (or outbox.retry_delivery), like the API's.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.auth import actor_for, role_required
from harmony_site.integrations import outbox, selectors, services
from harmony_site.integrations.forms import IntegrationForm
from harmony_site.integrations.models import Delivery, Integration
from harmony_site.ui import render_panel

LOG_ROWS = 50


def _context(form: IntegrationForm | None = None) -> dict[str, Any]:
    return {
        "form": form or IntegrationForm(),
        "integrations": selectors.integrations(),
        "deliveries": selectors.deliveries()[:LOG_ROWS],
    }


@require_GET
@role_required("admin")
def integrations_page(request: HttpRequest) -> HttpResponse:
    return render_panel(
        request,
        "integrations/integrations.html",
        "integrations/partials/_deliveries.html",
        _context(),
    )


@require_POST
@role_required("admin")
def integration_add(request: HttpRequest) -> HttpResponse:
    form = IntegrationForm(request.POST)
    if form.is_valid():
        try:
            integration = services.create_integration(
                **form.cleaned_data, actor=actor_for(request.user)
            )
        except services.IntegrationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, f"Added {integration.name}. Try it with the test button.")
            return redirect("integrations:integrations")
    # Form errors re-render with 200, as on the Settings page.
    return render(request, "integrations/integrations.html", _context(form))


@require_POST
@role_required("admin")
def integration_test(request: HttpRequest, integration_id: int) -> HttpResponse:
    """Send a test message or test the connection now; HTMX swaps in the result line."""
    integration = get_object_or_404(Integration, pk=integration_id)
    ok, detail = services.test_integration(integration)
    context = {"integration": integration, "ok": ok, "detail": detail}
    if request.htmx:
        return render(request, "integrations/partials/_test_result.html", context)
    (messages.success if ok else messages.error)(request, f"{integration.name}: {detail}")
    return redirect("integrations:integrations")


@require_POST
@role_required("admin")
def integration_toggle(request: HttpRequest, integration_id: int) -> HttpResponse:
    integration = get_object_or_404(Integration, pk=integration_id)
    services.update_integration(
        integration, enabled=not integration.enabled, actor=actor_for(request.user)
    )
    state = "enabled" if integration.enabled else "disabled"
    messages.success(request, f"{integration.name} {state}.")
    return redirect("integrations:integrations")


@require_POST
@role_required("admin")
def integration_delete(request: HttpRequest, integration_id: int) -> HttpResponse:
    integration = get_object_or_404(Integration, pk=integration_id)
    services.delete_integration(integration, actor=actor_for(request.user))
    messages.success(request, f"{integration.name} removed.")
    return redirect("integrations:integrations")


@require_POST
@role_required("admin")
def delivery_retry(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery = get_object_or_404(Delivery, pk=delivery_id)
    if outbox.retry_delivery(delivery, actor=actor_for(request.user)):
        messages.success(request, "Delivery scheduled again; it goes out within a minute.")
    else:
        messages.error(request, "Only a delivery that was given up can be retried.")
    return redirect("integrations:integrations")
