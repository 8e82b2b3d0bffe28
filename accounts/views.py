"""Sign-in, sign-out, the one-time first-admin wizard and the CSRF failure page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import LoginView, LogoutView
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts import services
from accounts.forms import FirstAdminForm

login_view = login_not_required(
    LoginView.as_view(template_name="accounts/login.html", redirect_authenticated_user=True)
)
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
