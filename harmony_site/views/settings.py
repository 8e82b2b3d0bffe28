"""The Settings page (admin; docs/ui/README.md): knob groups, slskd test, Spotify connection.

Settings are written through `harmony_site.configuration.update_settings`, the service behind
`PATCH /api/v1/settings`. The API-key and user forms on this page post to `accounts.views`,
which re-render it with `render_settings`. The Spotify login lives on the Spotify page
(`harmony_site.views.spotify`); Settings shows the same panel.
Every POST here needs the admin role, checked on the server.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.auth import actor_for, role_required
from accounts.forms import ApiKeyForm, RoleForm, UserForm
from accounts.models import APIKey
from harmony_site import configuration
from harmony_site.config import ConfigError, get_config, knob, load
from harmony_site.forms import (
    GROUPS,
    GROUPS_BY_KEY,
    KnobsForm,
    SettingsGroup,
    SlskdTestForm,
)
from harmony_site.ui import render_panel

# --- Settings ------------------------------------------------------------------------------------


def _pending_config() -> Any:
    """What the next start will use (harmony.yml as saved now); the running one if unreadable."""
    try:
        return load()
    except ConfigError:
        return get_config()


def _editable() -> set[str]:
    return {row["name"] for row in configuration.describe_settings() if row["editable"]}


def _group_forms(bound: KnobsForm | None = None) -> list[KnobsForm]:
    config, editable = _pending_config(), _editable()
    return [
        bound
        if bound is not None and bound.group.key == group.key
        else KnobsForm(group, config, editable, prefix=group.key)
        for group in GROUPS
    ]


def settings_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    from harmony_site.views.spotify import connection_context

    context = {
        **connection_context(),
        "group_forms": _group_forms(extra.pop("bound", None)),
        "pending_restart": [
            r["name"] for r in configuration.describe_settings() if r["pending_restart"]
        ],
        "key_form": ApiKeyForm(),
        "keys": APIKey.objects.order_by("-created")[:100],
        "env_key_count": len(knob("HARMONY_API_KEYS")),
        "user_form": UserForm(),
        "users": _users(),
        "role_choices": RoleForm.base_fields["role"].choices,
        "naming_preview": _naming_preview(knob("NAMING_TEMPLATE")),
    }
    context.update(extra)
    return context


def _users() -> list[Any]:
    users = list(get_user_model().objects.prefetch_related("groups").order_by("username"))
    for user in users:
        names = {group.name for group in user.groups.all()}
        user.ui_role = (
            "admin"
            if user.is_superuser
            else next((role for role in ("admin", "operator", "viewer") if role in names), "")
        )
    return users


def render_settings(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    # Form errors re-render with 200, as Django forms do: browsers log a 4xx page as an error.
    return render(request, "harmony_site/settings.html", context)


@require_http_methods(["GET", "POST"])
@role_required("admin")
def settings_page(request: HttpRequest) -> HttpResponse:
    """Every settings group; a POST saves the group named by `section`."""
    if request.method == "GET":
        return render_settings(request, settings_context(request))
    group = GROUPS_BY_KEY.get(request.POST.get("section", ""))
    if group is None:
        messages.error(request, "Unknown settings section.")
        return redirect("ui:settings")
    return _save_group(request, group)


def _save_group(request: HttpRequest, group: SettingsGroup) -> HttpResponse:
    form = KnobsForm(group, _pending_config(), _editable(), request.POST, prefix=group.key)
    if form.is_valid():
        changes = form.changes()
        _check_extra_rules(form, changes)
    if form.is_valid():
        try:
            result = configuration.update_settings(changes, actor=actor_for(request.user))
        except configuration.SettingsError as exc:
            for name, problems in exc.errors.items():
                form.add_error(name if name in form.fields else None, problems)
        else:
            text = (
                "Nothing changed."
                if not result.changed
                else (f"Saved {', '.join(result.changed)}. Press “Apply now” to use it.")
            )
            messages.success(request, text)
            return redirect(f"{request.path}#{group.key}")
    context = settings_context(request, bound=form)
    return render_settings(request, context)


def _check_extra_rules(form: KnobsForm, changes: dict[str, Any]) -> None:
    """Rules the knob types cannot say: a URL scheme, a renderable naming template."""
    from library.naming import InvalidTemplate, validate_template
    from library.quality import QUALITY_CLASSES

    url = changes.get("SLSKD_URL")
    if url and not str(url).startswith(("http://", "https://")):
        form.add_error("SLSKD_URL", "Must start with http:// or https://.")
    if "NAMING_TEMPLATE" in changes:
        try:
            validate_template(str(changes["NAMING_TEMPLATE"]))
        except InvalidTemplate as exc:
            form.add_error("NAMING_TEMPLATE", str(exc))
    if "QUALITY_FORMATS" in changes:
        names = [n.strip() for n in str(changes["QUALITY_FORMATS"]).split(",") if n.strip()]
        unknown = [n for n in names if n not in QUALITY_CLASSES]
        if unknown or not names:
            known = ", ".join(sorted(QUALITY_CLASSES))
            form.add_error("QUALITY_FORMATS", f"Unknown class {', '.join(unknown)}; use {known}.")


def _naming_preview(template: str) -> dict[str, str]:
    from library.naming import InvalidTemplate, render_preview

    try:
        return {"path": render_preview(template), "error": ""}
    except InvalidTemplate as exc:
        return {"path": "", "error": str(exc)}


@role_required("admin")
@require_GET
def naming_preview(request: HttpRequest) -> HttpResponse:
    """The path a sample track would get with the template being typed (HTMX on input)."""
    template = request.GET.get("naming-NAMING_TEMPLATE", "")[:4000]
    context = {"naming_preview": _naming_preview(template)}
    return render(request, "harmony_site/partials/_naming_preview.html", context)


@require_POST
@role_required("admin")
def settings_apply(request: HttpRequest) -> HttpResponse:
    """Apply the saved settings now: harmony_serve reloads its workers (no terminal needed)."""
    configuration.request_reload(actor=actor_for(request.user))
    messages.success(
        request, "Applying the saved settings: Harmony reloads its workers in a few seconds."
    )
    return redirect("ui:settings")


@require_POST
@role_required("admin")
def slskd_test(request: HttpRequest) -> HttpResponse:
    """Try the slskd URL and key from the form (an empty key: the saved one, saved URL only)."""
    # The Settings page sends its group's prefixed names; other callers the plain ones.
    typed = {
        name: request.POST.get(f"slskd-{name}", request.POST.get(name, ""))
        for name in ("SLSKD_URL", "SLSKD_API_KEY")
    }
    form = SlskdTestForm(typed)
    form.is_valid()
    result = _try_slskd(
        form.cleaned_data.get("SLSKD_URL", ""), form.cleaned_data.get("SLSKD_API_KEY", "")
    )
    return render_panel(
        request,
        "harmony_site/slskd_test.html",
        "harmony_site/partials/_slskd_test.html",
        {"result": result},
    )


def _try_slskd(url: str, key: str) -> dict[str, str]:
    from providers.errors import ProviderAuthError, ProviderError
    from providers.slskd.client import SlskdClient, load_slskd_config

    config = load_slskd_config()
    url = (url or config.url).strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        return {"state": "fail", "detail": "Enter the slskd URL (http://host:5030)."}
    if not key and url != config.url:
        # The saved key is only ever sent to the saved URL: a typed URL could be anyone's.
        return {
            "state": "fail",
            "detail": "This URL differs from the saved one: type the slskd API key again.",
        }
    config = replace(
        config,
        url=url,
        api_key=key or config.api_key,
        connect_timeout=3.0,
        read_timeout=5.0,
        max_retries=0,
    )
    client = SlskdClient.from_config(config)
    try:
        client.session_ok()
        server = client.server_state()
        version = client.version()
    except ProviderAuthError:
        return {"state": "fail", "detail": "slskd refused the API key."}
    except ProviderError as exc:
        return {"state": "fail", "detail": f"slskd did not answer: {exc}"}
    finally:
        client.close()
    if not server.is_logged_in:
        return {
            "state": "fail",
            "detail": f"slskd {version} answers but is not logged in ({server.state}).",
        }
    return {"state": "ok", "detail": f"Connected: slskd {version}, {server.state}."}
