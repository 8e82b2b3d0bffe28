"""The Spotify page (`/ui/spotify`): connect the account, browse it, pick what to fetch or follow.

Connecting is a plain link to `spotify_connect`, which answers with a redirect to Spotify's
consent page. A form would not do: Chromium applies `form-action 'self'` to every redirect a
form submission follows, so a POST answered with a cross-origin redirect is blocked. A link
is a navigation, which `form-action` does not govern.

"Your Spotify" lists playlists, saved tracks and followed artists one Spotify page at a time
(`providers.spotify.browse`); "Download now" and "Follow" call the same services as the
Add-music page and the watchlist API. Connecting is for admins, picking for operators, and
every signed-in user may look.
"""

from __future__ import annotations

import logging
import os
from datetime import date
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_POST

from accounts.auth import actor_for, role_required
from downloads import submit, watchlists
from downloads.forms import RELEASE_TYPES
from downloads.models import JobKind
from harmony_site.forms import ManualOAuthForm
from harmony_site.serve import OAUTH_LISTENER_ENV
from harmony_site.ui import is_partial_request
from providers.artwork import fetch_spotify_image, image_type
from providers.errors import ProviderError, ProviderRateLimited
from providers.spotify.browse import KINDS, LibraryPage, library_page
from providers.spotify.client import SpotifyClient
from providers.spotify.config import load_spotify_config
from providers.spotify.links import InvalidSpotifyLink, parse_spotify_link
from providers.spotify.oauth import (
    OAuthError,
    oauth_authorize_url,
    oauth_complete,
    oauth_disconnect,
    oauth_status,
)

logger = logging.getLogger("hdm.spotify.ui")

KIND_TITLES = {"playlists": "Playlists", "tracks": "Saved tracks", "artists": "Followed artists"}


# --- the page ------------------------------------------------------------------------------------


def connection_context(**extra: Any) -> dict[str, Any]:
    """What the connection panel needs (also included by Settings)."""
    return {
        "spotify": oauth_status(),
        "manual_form": extra.pop("manual_form", None) or ManualOAuthForm(),
        "callback_listener_busy": os.environ.get(OAUTH_LISTENER_ENV) == "busy",
        **extra,
    }


@require_GET
def spotify_page(request: HttpRequest) -> HttpResponse:
    """Connection state and, once connected, the first page of the chosen library tab."""
    context = connection_context()
    if context["spotify"]["mode"] == "pro":
        context.update(_library_context(request))
    return render(request, "spotify/spotify.html", context)


@require_GET
def spotify_library(request: HttpRequest) -> HttpResponse:
    """A tab, a search or the next page of "Your Spotify" (HTMX swaps it in place)."""
    context = _library_context(request)
    if is_partial_request(request) and request.GET.get("cursor"):
        return render(request, "spotify/partials/_library_rows.html", context)
    if is_partial_request(request):
        return render(request, "spotify/partials/_library.html", context)
    return render(request, "spotify/spotify.html", {**connection_context(), **context})


def _library_context(request: HttpRequest) -> dict[str, Any]:
    kind = request.GET.get("kind", "playlists")
    kind = kind if kind in KINDS else "playlists"
    query = request.GET.get("q", "").strip()[:200]
    context: dict[str, Any] = {
        "kind": kind,
        "kinds": [(key, KIND_TITLES[key]) for key in KINDS],
        "query": query,
        "release_types": RELEASE_TYPES,
        "default_release_types": watchlists.knob("WATCHLIST_RELEASE_TYPES"),
        "default_interval": watchlists.knob("WATCHLIST_SYNC_MINUTES"),
        "today": timezone.localdate().isoformat(),
    }
    try:
        page = library_page(
            SpotifyClient.from_config(), kind, cursor=request.GET.get("cursor", ""), query=query
        )
    except (ProviderError, ValueError) as exc:  # ValueError: a hand-edited cursor
        context["library_error"] = _message_of(exc)
        page = LibraryPage(kind, [], None, "", 0)
    context["page"] = page
    return context


# --- connecting ----------------------------------------------------------------------------------


@require_GET
@role_required("admin")
def spotify_connect(request: HttpRequest) -> HttpResponse:
    """Start the PRO login: a redirect to Spotify's consent page (reached by a plain link)."""
    try:
        return HttpResponseRedirect(oauth_authorize_url())
    except OAuthError as exc:
        messages.error(request, _sentence(str(exc)))
        return redirect("ui:spotify")


@require_POST
@role_required("admin")
def spotify_manual(request: HttpRequest) -> HttpResponse:
    """Finish the PRO login from the pasted redirect URL (when 127.0.0.1 is not this host)."""
    form = ManualOAuthForm(request.POST)
    if form.is_valid():
        try:
            oauth_complete(form.cleaned_data["redirect_url"])
        except OAuthError as exc:
            form.add_error("redirect_url", _sentence(str(exc)))
        else:
            return redirect("ui:spotify-connected")
    # Form errors re-render with 200, as Django forms do: browsers log a 4xx page as an error.
    return render(request, "spotify/spotify.html", connection_context(manual_form=form))


@require_GET
def spotify_connected(request: HttpRequest) -> HttpResponse:
    """The "connected as …, next steps" page both ways of logging in end on."""
    return render(request, "spotify/connected.html", {"spotify": oauth_status()})


@require_POST
@role_required("admin")
def spotify_disconnect(request: HttpRequest) -> HttpResponse:
    oauth_disconnect()
    messages.success(request, "The Spotify account was disconnected.")
    return redirect("ui:spotify")


# --- picking -------------------------------------------------------------------------------------


@require_POST
@role_required("operator")
def spotify_download(request: HttpRequest) -> HttpResponse:
    """Download a playlist, saved track or artist now (the same service as Add music)."""
    link = request.POST.get("link", "")
    try:
        submission = submit.submit_spotify_ref(
            parse_spotify_link(link), kind=JobKind.MANUAL, actor=actor_for(request.user)
        )
    except (InvalidSpotifyLink, ProviderError) as exc:
        return _pick_answer(request, ok=False, text=_message_of(exc))
    job_url = reverse("downloads:job", args=[submission.job.pk]) if submission.job else ""
    return _pick_answer(
        request, ok=True, text=submission.summary(), url=job_url, url_text="see the job"
    )


@require_POST
@role_required("operator")
def spotify_follow(request: HttpRequest) -> HttpResponse:
    """Follow a playlist or artist: a watchlist with its interval (artists: since, types)."""
    link = request.POST.get("link", "")
    try:
        options = _follow_options(request)
        watchlist = watchlists.create_watchlist(link, actor=actor_for(request.user), **options)
    except (ValueError, ProviderError) as exc:  # WatchlistError is a ValueError
        return _pick_answer(request, ok=False, text=_message_of(exc))
    every = watchlists.sync_interval(watchlist)
    text = f"Following {watchlist.name}: synced every {every} minutes, first sync soon."
    url = reverse("downloads:watchlist-syncs", args=[watchlist.pk])
    return _pick_answer(request, ok=True, text=text, url=url, url_text="see its syncs")


def _follow_options(request: HttpRequest) -> dict[str, Any]:
    """The follow form's fields, checked; a bad value raises ValueError with a sentence."""
    options: dict[str, Any] = {}
    every = request.POST.get("sync_minutes", "").strip()
    if every:
        if not every.isdigit() or not 5 <= int(every) <= 7 * 24 * 60:
            raise ValueError("Sync every: give a number of minutes from 5 to 10080.")
        options["sync_minutes"] = int(every)
    types = request.POST.getlist("release_types")
    if types:
        if not set(types) <= {value for value, _label in RELEASE_TYPES}:
            raise ValueError("Release types: pick album, single, compilation or appears on.")
        options["release_types"] = types
    since = request.POST.get("since", "").strip()
    if since:
        try:
            options["since"] = date.fromisoformat(since)
        except ValueError:
            raise ValueError("Since: give a date like 2026-01-31.") from None
    return options


def _pick_answer(
    request: HttpRequest, *, ok: bool, text: str, url: str = "", url_text: str = ""
) -> HttpResponse:
    """HTMX: the sentence in the row. Without JavaScript: a message on the Spotify page."""
    if is_partial_request(request):
        context = {"ok": ok, "text": text, "url": url, "url_text": url_text}
        return render(request, "spotify/partials/_pick_result.html", context)
    (messages.success if ok else messages.error)(request, text)
    return redirect(request.POST.get("next") or "ui:spotify")


# --- artwork -------------------------------------------------------------------------------------


@require_GET
@cache_control(private=True, max_age=86400)
def spotify_artwork(request: HttpRequest) -> HttpResponse:
    """A Spotify thumbnail through Harmony (strict CSP, and no viewer IP sent to Spotify)."""
    try:
        data = fetch_spotify_image(
            request.GET.get("url", ""), api_url=load_spotify_config().api_url
        )
    except ProviderError as exc:
        logger.info("hdm.spotify.artwork_unavailable", extra={"error": exc.message})
        return HttpResponseRedirect(static("img/cover.svg"))  # a gap, not a broken image
    return HttpResponse(data, content_type=image_type(data))


def _message_of(exc: Exception) -> str:
    if isinstance(exc, ProviderRateLimited):  # Spotify's own text is "API rate limit exceeded"
        wait = f"in {round(exc.retry_after)} seconds" if exc.retry_after else "in a minute"
        return (
            "Spotify is limiting how often Harmony's app may ask (one limit for all its "
            f"users): try again {wait}."
        )
    return _sentence(exc.message if isinstance(exc, ProviderError) else str(exc))


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else f"{text}."
