"""The shell's pages: the dashboard and "Add music" (operations), which span every app:
provider status, disk space, library counts, submitting links and lists, starting a scan or a
watchlist sync (docs/ui/README.md). URL names stay in the `downloads` namespace."""

from __future__ import annotations

import shutil
from datetime import datetime, time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.auth import actor_for, role_required
from accounts.roles import has_role
from downloads import actions, selectors, submit, watchlists
from downloads.forms import (
    CsvForm,
    LinksForm,
    SearchForm,
    TextListForm,
)
from downloads.models import Job, JobKind, JobScope, Watchlist
from downloads.stages import budget
from harmony_site.ui import render_panel
from library import selectors as library_selectors
from library.importing import import_dir
from library.quarantine import quarantined_files
from providers.errors import ProviderError
from providers.spotify.links import InvalidSpotifyLink, parse_spotify_link
from providers.spotify.lists import InvalidTrackList, read_csv, read_text_list

# --- Dashboard -----------------------------------------------------------------------------------


def _disk(path: Path) -> dict[str, Any]:
    try:
        usage = shutil.disk_usage(path)
    except OSError as exc:
        return {"path": str(path), "error": exc.strerror or str(exc)}
    return {"path": str(path), "total": usage.total, "used": usage.used, "free": usage.free}


def _provider_cards() -> list[dict[str, Any]]:
    from providers.slskd.probes import check_slskd
    from providers.spotify.oauth import oauth_status

    slskd = check_slskd()
    spotify = oauth_status()
    return [
        {"name": "slskd", "state": slskd.get("state", "fail"), "detail": slskd.get("detail", "")},
        {
            "name": "Spotify",
            "state": "ok" if spotify["mode"] != "disabled" else "disabled",
            "detail": _spotify_detail(spotify),
        },
    ]


def _spotify_detail(status: dict[str, Any]) -> str:
    if status["mode"] == "disabled":
        return "Not configured (set the client id in Settings)"
    if status["connected"]:
        name = (status.get("user") or {}).get("display_name") or "your account"
        return f"PRO mode, connected as {name}"
    return f"{status['mode'].upper()} mode, no account connected"


def _first_steps(providers: list[dict[str, Any]], library: dict[str, int]) -> list[dict]:
    """The getting-started checklist; each step ticks itself once what it asks for exists."""
    slskd, spotify = providers
    has_jobs = Job.objects.exists()
    return [
        {"id": "step-admin", "text": "Create the first admin", "done": True,
         "url": reverse("ui:settings") + "#users", "how": "Add more people in Settings."},
        {"id": "step-slskd", "text": "Connect slskd", "done": slskd["state"] == "ok",
         "url": reverse("ui:settings") + "#slskd",
         "how": "Type slskd's URL and API key, then Test connection and Save."},
        {"id": "step-spotify", "text": "Connect Spotify or paste links",
         "done": spotify["state"] == "ok" or has_jobs, "url": reverse("downloads:operations"),
         "how": "Paste Spotify links on Add music, or set a client id in Settings."},
        {"id": "step-music", "text": "Add music", "done": library["tracks"] > 0,
         "url": reverse("downloads:operations"),
         "how": f"Ask for a track, or drop files into {import_dir()}: they import by themselves."},
    ]  # fmt: skip


def _dashboard_context() -> dict[str, Any]:
    midnight = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    providers = _provider_cards()
    library = library_selectors.library_totals()
    steps = _first_steps(providers, library)
    return {
        "counts": selectors.job_counts_by_state(),
        "budget": budget.budget_status(),
        "throughput": selectors.throughput_since(midnight),
        "dlq": actions.dlq_stats(),
        "providers": providers,
        "disks": [_disk(Path(settings.DOWNLOADS_DIR)), _disk(Path(settings.MUSIC_DIR))],
        "activity": library_selectors.recent_activity(),
        "library": library,
        "quarantined": len(quarantined_files()),
        "first_steps": steps if not all(step["done"] for step in steps) else [],
    }


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """Counts, budget, throughput, DLQ, providers, disks, activity; polls while visible."""
    return render_panel(
        request,
        "downloads/dashboard.html",
        "downloads/partials/_dashboard.html",
        _dashboard_context(),
    )


# --- Add music (operations) ----------------------------------------------------------------------


def _operations_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    return {
        "links_form": LinksForm(),
        "text_form": TextListForm(),
        "csv_form": CsvForm(),
        "search_form": SearchForm(request.GET or None),
        "scans": library_selectors.recent_scans(),
        "watchlist_count": Watchlist.objects.filter(enabled=True).count(),
        **extra,
    }


@require_GET
def operations(request: HttpRequest) -> HttpResponse:
    """Add wanted music: search and pick, links, lists; start a scan; sync watchlists."""
    context = _operations_context(request)
    query = request.GET.get("q", "").strip()
    if query and has_role(request.user, "operator"):
        context["query"] = query[:200]
        context["results"], context["search_error"] = selectors.search_spotify(query[:200])
    return render_panel(
        request, "downloads/operations.html", "downloads/partials/_search_results.html", context
    )


def _submit_links(links: list[str], *, actor: str, force: bool) -> list[dict[str, Any]]:
    rows = []
    for link in links:
        try:
            ref = parse_spotify_link(link)
            submission = submit.submit_spotify_ref(
                ref, kind=JobKind.MANUAL, actor=actor, force=force
            )
        except InvalidSpotifyLink as exc:
            rows.append({"input": link, "status": "invalid", "detail": str(exc)})
        except ProviderError as exc:
            rows.append({"input": link, "status": "error", "detail": exc.message})
        else:
            rows.append(_submission_row(link, submission))
    return rows


def _submission_row(link: str, submission: submit.Submission) -> dict[str, Any]:
    job = submission.job
    counts = submission.counts() if job is not None and job.scope != JobScope.TRACK else None
    return {
        "input": link,
        "status": submission.status,
        "job": job,
        "label": job.label if job else _owned_label(submission),
        "counts": counts,
    }


def _owned_label(submission: submit.Submission) -> str:
    if not submission.items:
        return ""
    meta = submission.items[0][0]
    return f"{', '.join(meta.artists)} — {meta.title}"


def _submit_list(parsed: Any, *, actor: str) -> dict[str, Any]:
    results = submit.submit_tracks(parsed.tracks, kind=JobKind.MANUAL, actor=actor)
    rows = [
        {
            "input": f"{', '.join(meta.artists)} — {meta.title}",
            "status": result.status,
            "job": result.job,
            "label": result.job.label if result.job else "",
        }
        for meta, result in results
    ]
    counts = submit.Submission("enqueued", None, results).counts()
    return {"rows": rows, "counts": counts, "problems": parsed.problems}


def _read_list_form(request: HttpRequest) -> tuple[Any, Any]:
    """(form, parsed list or None) for the text-list or the CSV form, whichever was sent."""
    if request.POST.get("source") == "csv":
        form = CsvForm(request.POST, request.FILES)
        if not form.is_valid():
            return form, None
        reader = lambda: read_csv(form.cleaned_data["file"])  # noqa: E731
    else:
        form = TextListForm(request.POST)
        if not form.is_valid():
            return form, None
        reader = lambda: read_text_list(form.cleaned_data["text"])  # noqa: E731
    try:
        parsed = reader()
    except InvalidTrackList as exc:
        form.add_error(None, str(exc))
        return form, None
    if not parsed.tracks:
        form.add_error(None, "The list holds no usable tracks.")
        return form, None
    return form, parsed


@require_POST
@role_required("operator")
def operations_submit(request: HttpRequest) -> HttpResponse:
    """Submit links (or picked search results), a text list or a CSV; show what happened."""
    actor = actor_for(request.user)
    context = _operations_context(request)
    if request.POST.get("source") in ("text", "csv"):
        form, parsed = _read_list_form(request)
        context["text_form" if request.POST.get("source") == "text" else "csv_form"] = form
        if parsed is not None:
            context["list_result"] = _submit_list(parsed, actor=actor)
    else:
        links = request.POST.getlist("pick") or None
        form = LinksForm({"links": "\n".join(links)} if links else request.POST)
        if form.is_valid():
            rows = _submit_links(
                form.cleaned_data["links"], actor=actor, force=form.cleaned_data["force"]
            )
            context["link_rows"] = rows
        else:
            context["links_form"] = form
    # Form errors re-render with 200, as Django forms do: browsers log a 4xx page as an error.
    return render_panel(
        request, "downloads/operations.html", "downloads/partials/_submit_result.html", context
    )


@require_POST
@role_required("operator")
def operations_scan(request: HttpRequest) -> HttpResponse:
    """Start a library scan of MUSIC_DIR in the task cluster."""
    from library.scanning import ScanError, enqueue_scan

    try:
        run = enqueue_scan(actor=actor_for(request.user))
    except ScanError as exc:
        messages.error(request, f"The scan could not start: {exc}")
        return redirect("downloads:operations")
    messages.success(request, f"Library scan {run.pk} started.")
    return redirect("downloads:operations")


@require_POST
@role_required("operator")
def operations_sync(request: HttpRequest) -> HttpResponse:
    """Sync every enabled watchlist now (each in the task cluster)."""
    ids = list(Watchlist.objects.filter(enabled=True).values_list("pk", flat=True))
    actor = actor_for(request.user)
    for watchlist_id in ids:
        watchlists.enqueue_sync(watchlist_id, actor=actor)
    messages.success(request, f"Sync started for {len(ids)} watchlist(s).")
    return redirect(request.POST.get("next") or "downloads:operations")
