"""UI panels for the whole installation: Settings (admin) and System (docs/ui/README.md).

Settings are written through `harmony_site.configuration.update_settings`, the service behind
`PATCH /api/v1/settings`; API keys and users through `accounts.services`. The Spotify login
lives on the Spotify page (`harmony_site.spotify_views`); Settings shows the same panel.
Every POST here needs the admin role, checked on the server.
"""

from __future__ import annotations

import platform
from dataclasses import replace
from datetime import timedelta
from typing import Any

import django
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import services as account_services
from accounts.auth import actor_for, role_required
from accounts.models import APIKey
from harmony_site import configuration, health, probes
from harmony_site.config import KNOBS, ConfigError, get_config, load
from harmony_site.forms import (
    GROUPS,
    GROUPS_BY_KEY,
    ApiKeyForm,
    KnobsForm,
    RoleForm,
    SettingsGroup,
    SlskdTestForm,
    UserForm,
)
from harmony_site.ui import render_panel
from harmony_site.version import __version__

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


def _settings_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    from harmony_site.spotify_views import connection_context

    context = {
        **connection_context(),
        "group_forms": _group_forms(extra.pop("bound", None)),
        "pending_restart": [
            r["name"] for r in configuration.describe_settings() if r["pending_restart"]
        ],
        "key_form": ApiKeyForm(),
        "keys": APIKey.objects.order_by("-created")[:100],
        "user_form": UserForm(),
        "users": _users(),
        "role_choices": RoleForm.base_fields["role"].choices,
        "naming_preview": _naming_preview(get_config()["NAMING_TEMPLATE"]),
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


def _render_settings(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    # Form errors re-render with 200, as Django forms do: browsers log a 4xx page as an error.
    return render(request, "harmony_site/settings.html", context)


@require_http_methods(["GET", "POST"])
@role_required("admin")
def settings_page(request: HttpRequest) -> HttpResponse:
    """Every settings group; a POST saves the group named by `section`."""
    if request.method == "GET":
        return _render_settings(request, _settings_context(request))
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
                else (f"Saved {', '.join(result.changed)}. Restart Harmony to apply the change.")
            )
            messages.success(request, text)
            return redirect(f"{request.path}#{group.key}")
    context = _settings_context(request, bound=form)
    return _render_settings(request, context)


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
def slskd_test(request: HttpRequest) -> HttpResponse:
    """Try the slskd URL and key from the form (an empty key: the saved one)."""
    form = SlskdTestForm(request.POST)
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


@require_POST
@role_required("admin")
def key_create(request: HttpRequest) -> HttpResponse:
    """Create an API key; its value is shown on this one response and never again."""
    form = ApiKeyForm(request.POST)
    if form.is_valid():
        days = form.cleaned_data.get("expires_days")
        try:
            key, plaintext = account_services.create_api_key(
                name=form.cleaned_data["name"],
                role=form.cleaned_data["role"],
                expires=timedelta(days=days) if days else None,
                actor=actor_for(request.user),
            )
        except account_services.AccountError as exc:
            form.add_error("name", str(exc))
        else:
            context = _settings_context(request, new_key={"key": key, "plaintext": plaintext})
            return _render_settings(request, context)
    return _render_settings(request, _settings_context(request, key_form=form))


@require_POST
@role_required("admin")
def key_revoke(request: HttpRequest, key_id: str) -> HttpResponse:
    key = get_object_or_404(APIKey, pk=key_id)
    account_services.revoke_api_key(key=key, actor=actor_for(request.user))
    messages.success(request, f"API key {key.name} ({key.prefix}…) revoked.")
    return redirect(reverse("ui:settings") + "#keys")


@require_POST
@role_required("admin")
def user_create(request: HttpRequest) -> HttpResponse:
    form = UserForm(request.POST)
    if form.is_valid():
        try:
            account_services.create_user(**form.cleaned_data, actor=actor_for(request.user))
        except ValidationError as exc:
            form.add_error("password", exc)
        except account_services.AccountError as exc:
            form.add_error("username", str(exc))
        else:
            messages.success(request, f"User {form.cleaned_data['username']} created.")
            return redirect("ui:settings")
    return _render_settings(request, _settings_context(request, user_form=form))


@require_POST
@role_required("admin")
def user_update(request: HttpRequest, user_id: int) -> HttpResponse:
    """Change a user's role, or disable them (`action=disable`); never your own account."""
    user = get_object_or_404(get_user_model(), pk=user_id)
    if user.pk == request.user.pk:
        messages.error(request, "You cannot change or disable your own account here.")
        return redirect("ui:settings")
    actor = actor_for(request.user)
    if request.POST.get("action") == "disable":
        account_services.disable_user(user=user, actor=actor)
        messages.success(request, f"User {user.get_username()} disabled.")
        return redirect("ui:settings")
    form = RoleForm(request.POST)
    if form.is_valid():
        account_services.set_role(user=user, role=form.cleaned_data["role"], actor=actor)
        messages.success(request, f"{user.get_username()} is now {form.cleaned_data['role']}.")
    else:
        messages.error(request, "Pick a role.")
    return redirect("ui:settings")


# --- System --------------------------------------------------------------------------------------


def _config_rows() -> list[dict[str, Any]]:
    config = get_config()
    return [
        {
            "name": knob.name,
            "section": knob.section,
            "value": _shown(config.display_value(knob.name)),
            "source": config.sources.get(knob.name, "default"),
            "secret": knob.secret,
        }
        for knob in KNOBS
    ]


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@require_GET
def system(request: HttpRequest) -> HttpResponse:
    """Probes with latency, versions, the task cluster, and where each setting comes from."""
    context = {
        "reports": probes.run_probes(),
        "versions": {
            "Harmony": __version__,
            "Python": platform.python_version(),
            "Django": django.get_version(),
        },
        "env": health.env_payload(),
        "status": health.status_payload(),
        "config_rows": _config_rows(),
    }
    return render_panel(
        request, "harmony_site/system.html", "harmony_site/partials/_probes.html", context
    )
