"""Sign-in, sign-out, the one-time first-admin wizard, the CSRF failure page, and the admin's
API-key and user management (the forms on the Settings page post here)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model, login, update_session_auth_hash
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.models import User
from django.contrib.auth.views import LoginView, LogoutView
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts import services
from accounts.auth import actor_for, role_required
from accounts.forms import ApiKeyForm, FirstAdminForm, RoleForm, UserForm
from accounts.models import APIKey
from harmony_site.views.settings import render_settings, settings_context


class SignInView(LoginView):
    """Django's sign-in, telling a first-time visitor where the setup link is."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        first_run = not get_user_model().objects.exists()
        return {**super().get_context_data(**kwargs), "first_run": first_run}


login_view = login_not_required(SignInView.as_view())
# POST only (Django's LogoutView refuses GET), so a link or image cannot sign anyone out.
logout_view = login_not_required(LogoutView.as_view())


@login_not_required
@require_http_methods(["GET", "POST"])
def setup_view(request: HttpRequest, token: str) -> HttpResponse:
    """First-run wizard: create the first admin with the one-time token from the start-up log."""
    if not services.setup_token_is_valid(token):
        raise Http404("This setup link is not valid (already used, replaced, or users exist).")
    form = FirstAdminForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.complete_setup(
                token=token,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
            )
        except ValidationError as exc:
            form.add_error("password1", exc)
        except services.AccountError as exc:
            form.add_error(None, str(exc))
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.warning(request, services.API_CLOSED_MESSAGE)
            return redirect("/ui/")
    return render(request, "accounts/setup.html", {"form": form})


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A clear 403 for a missing or stale CSRF token: JSON for the API, a page for the UI."""
    if request.path_info.startswith("/api/"):
        error = {"code": "csrf_failed", "message": f"CSRF check failed: {reason}"}
        return JsonResponse({"error": error}, status=403)
    return render(request, "accounts/csrf_failure.html", status=403)


# --- API keys and users (Settings page) ----------------------------------------------------------


@require_POST
@role_required("admin")
def key_create(request: HttpRequest) -> HttpResponse:
    """Create an API key; its value is shown on this one response and never again."""
    form = ApiKeyForm(request.POST)
    if form.is_valid():
        days = form.cleaned_data.get("expires_days")
        try:
            key, plaintext = services.create_api_key(
                name=form.cleaned_data["name"],
                role=form.cleaned_data["role"],
                expires=timedelta(days=days) if days else None,
                actor=actor_for(request.user),
            )
        except services.AccountError as exc:
            form.add_error("name", str(exc))
        else:
            context = settings_context(request, new_key={"key": key, "plaintext": plaintext})
            return render_settings(request, context)
    return render_settings(request, settings_context(request, key_form=form))


@require_POST
@role_required("admin")
def key_revoke(request: HttpRequest, key_id: str) -> HttpResponse:
    key = get_object_or_404(APIKey, pk=key_id)
    services.revoke_api_key(key=key, actor=actor_for(request.user))
    messages.success(request, f"API key {key.name} ({key.prefix}…) revoked.")
    return redirect(reverse("ui:settings") + "#keys")


@require_POST
@role_required("admin")
def user_create(request: HttpRequest) -> HttpResponse:
    form = UserForm(request.POST)
    if form.is_valid():
        try:
            services.create_user(**form.cleaned_data, actor=actor_for(request.user))
        except ValidationError as exc:
            form.add_error("password", exc)
        except services.AccountError as exc:
            form.add_error("username", str(exc))
        else:
            messages.success(request, f"User {form.cleaned_data['username']} created.")
            return redirect("ui:settings")
    return render_settings(request, settings_context(request, user_form=form))


@require_POST
@role_required("admin")
def user_update(request: HttpRequest, user_id: int) -> HttpResponse:
    """Change a user's role, disable or enable them, reset their password (`action=...`);
    never your own account (change your own password on the account page)."""
    user = get_object_or_404(get_user_model(), pk=user_id)
    if user.pk == request.user.pk:
        messages.error(request, "You cannot change or disable your own account here.")
        return redirect("ui:settings")
    actor = actor_for(request.user)
    action = request.POST.get("action")
    try:
        if action in USER_ACTIONS:
            text = USER_ACTIONS[action](request, user, actor)
            messages.success(request, text)
            return redirect(reverse("ui:settings") + "#users")
    except (services.AccountError, ValidationError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect(reverse("ui:settings") + "#users")
    form = RoleForm(request.POST)
    if form.is_valid():
        services.set_role(user=user, role=form.cleaned_data["role"], actor=actor)
        messages.success(request, f"{user.get_username()} is now {form.cleaned_data['role']}.")
    else:
        messages.error(request, "Pick a role.")
    return redirect("ui:settings")


def _disable(request: HttpRequest, user: Any, actor: str) -> str:
    services.disable_user(user=user, actor=actor)
    return f"User {user.get_username()} disabled."


def _enable(request: HttpRequest, user: Any, actor: str) -> str:
    services.enable_user(user=user, actor=actor)
    return f"User {user.get_username()} can sign in again."


def _reset_password(request: HttpRequest, user: Any, actor: str) -> str:
    services.set_password(user=user, password=request.POST.get("password", ""), actor=actor)
    return f"New password set for {user.get_username()}; their sessions were ended."


USER_ACTIONS = {"disable": _disable, "enable": _enable, "reset_password": _reset_password}


@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    """Change your own password (the old one first); your other sessions end."""
    user = request.user
    if not isinstance(user, User):  # every /ui page needs a signed-in account
        raise PermissionDenied
    form = PasswordChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.set_password(
            user=user,
            password=form.cleaned_data["new_password1"],
            actor=actor_for(user),
        )
        update_session_auth_hash(request, user)  # this session stays signed in
        messages.success(request, "Your password was changed.")
        return redirect("downloads:dashboard")
    return render(request, "accounts/password.html", {"form": form})
