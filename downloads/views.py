"""UI panels of the download manager under /ui/: dashboard, add music, downloads, one job,
watchlists and the dead-letter queue (docs/ui/README.md).

Thin function views: a role check (every `/ui/` page already needs the viewer role), one
service or selector call, `render_panel` (an HTMX request gets the partial). Actions are POSTs
that redirect back (plain forms) or answer with the refreshed partial (HTMX).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import datetime, time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseStopPolling

from accounts.auth import actor_for, role_required
from accounts.roles import has_role
from downloads import budget, dlq, selectors, services, submissions, watchlists
from downloads.forms import (
    RELEASE_TYPES,
    CsvForm,
    DlqActionForm,
    DlqFilterForm,
    HistoryFilterForm,
    LinksForm,
    PriorityForm,
    SearchForm,
    TextListForm,
    WatchlistForm,
    WatchlistUpdateForm,
)
from downloads.models import TERMINAL_STATES, Candidate, Job, JobKind, JobScope, Watchlist
from harmony_site.ui import paginate, query_without_page, render_panel
from library import selectors as library_selectors
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


def _dashboard_context() -> dict[str, Any]:
    midnight = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    return {
        "counts": selectors.job_counts_by_state(),
        "budget": budget.budget_status(),
        "throughput": selectors.throughput_since(midnight),
        "dlq": dlq.dlq_stats(),
        "providers": _provider_cards(),
        "disks": [_disk(Path(settings.DOWNLOADS_DIR)), _disk(Path(settings.MUSIC_DIR))],
        "activity": library_selectors.recent_activity(),
        "library": library_selectors.library_totals(),
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


def _search_spotify(query: str) -> tuple[list[Any], str]:
    from providers.spotify.client import SpotifyClient

    try:
        return SpotifyClient.from_config().search(query, limit=10), ""
    except ProviderError as exc:
        return [], f"Spotify search failed: {exc}"


@require_GET
def operations(request: HttpRequest) -> HttpResponse:
    """Add wanted music: search and pick, links, lists; start a scan; sync watchlists."""
    context = _operations_context(request)
    query = request.GET.get("q", "").strip()
    if query and has_role(request.user, "operator"):
        context["query"] = query[:200]
        context["results"], context["search_error"] = _search_spotify(query[:200])
    return render_panel(
        request, "downloads/operations.html", "downloads/partials/_search_results.html", context
    )


def _submit_links(links: list[str], *, actor: str, force: bool) -> list[dict[str, Any]]:
    rows = []
    for link in links:
        try:
            ref = parse_spotify_link(link)
            submission = submissions.submit_spotify_ref(
                ref, kind=JobKind.MANUAL, actor=actor, force=force
            )
        except InvalidSpotifyLink as exc:
            rows.append({"input": link, "status": "invalid", "detail": str(exc)})
        except ProviderError as exc:
            rows.append({"input": link, "status": "error", "detail": exc.message})
        else:
            rows.append(_submission_row(link, submission))
    return rows


def _submission_row(link: str, submission: submissions.Submission) -> dict[str, Any]:
    job = submission.job
    counts = submission.counts() if job is not None and job.scope != JobScope.TRACK else None
    return {
        "input": link,
        "status": submission.status,
        "job": job,
        "label": job.label if job else _owned_label(submission),
        "counts": counts,
    }


def _owned_label(submission: submissions.Submission) -> str:
    if not submission.items:
        return ""
    meta = submission.items[0][0]
    return f"{', '.join(meta.artists)} — {meta.title}"


def _submit_list(parsed: Any, *, actor: str) -> dict[str, Any]:
    results = submissions.submit_tracks(parsed.tracks, kind=JobKind.MANUAL, actor=actor)
    rows = [
        {
            "input": f"{', '.join(meta.artists)} — {meta.title}",
            "status": result.status,
            "job": result.job,
            "label": result.job.label if result.job else "",
        }
        for meta, result in results
    ]
    counts = submissions.Submission("enqueued", None, results).counts()
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
    from django_q.tasks import async_task

    from library.scanning import ScanError, start_scan

    try:
        run = start_scan(actor=actor_for(request.user))
    except ScanError as exc:
        messages.error(request, f"The scan could not start: {exc}")
        return redirect("downloads:operations")
    transaction.on_commit(lambda: async_task("library.tasks.run_scan", run.pk, group="scan"))
    messages.success(request, f"Library scan {run.pk} started.")
    return redirect("downloads:operations")


@require_POST
@role_required("operator")
def operations_sync(request: HttpRequest) -> HttpResponse:
    """Sync every enabled watchlist now (each in the task cluster)."""
    ids = list(Watchlist.objects.filter(enabled=True).values_list("pk", flat=True))
    actor = actor_for(request.user)
    for watchlist_id in ids:
        _enqueue_sync(watchlist_id, actor=actor)
    messages.success(request, f"Sync started for {len(ids)} watchlist(s).")
    return redirect(request.POST.get("next") or "downloads:operations")


def _enqueue_sync(watchlist_id: int, *, actor: str) -> None:
    from django_q.tasks import async_task

    transaction.on_commit(
        lambda: async_task(
            "downloads.watchlists.sync_watchlist",
            watchlist_id,
            trigger="manual",
            actor=actor,
            group="watchlist",
        )
    )


# --- Downloads -----------------------------------------------------------------------------------


def _live_context() -> dict[str, Any]:
    active = list(selectors.active_transfers())
    live = selectors.live_transfers(active)
    for job in active:
        # slskd's own counters move between the HDM's polls; the row is the fallback.
        transfer = live.get((job.transfer_username, job.transfer_id))
        job.live_bytes = transfer.bytes_transferred if transfer else job.bytes_transferred
        job.live_state = str(transfer.state) if transfer else job.transfer_state
        job.speed = transfer.average_speed if transfer else None
    waiting = selectors.waiting_jobs()
    return {"active": active, "waiting": waiting[:50], "waiting_total": waiting.count()}


@require_GET
def downloads(request: HttpRequest) -> HttpResponse:
    """Active transfers and the queue (live), then the history with filters (paginated)."""
    form = HistoryFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    history = selectors.finished_jobs(
        states=[filters["state"]] if filters.get("state") else None,
        kind=filters.get("kind", ""),
        text=filters.get("q", ""),
    )
    context = {
        **_live_context(),
        "filter_form": form,
        "page": paginate(request, history),
        "page_query": query_without_page(request),
    }
    return render_panel(
        request, "downloads/downloads.html", "downloads/partials/_history.html", context
    )


@require_GET
def downloads_live(request: HttpRequest) -> HttpResponse:
    """The polled part of the downloads page: transfers with progress, and the queue."""
    return render_panel(
        request, "downloads/partials/_live.html", "downloads/partials/_live.html", _live_context()
    )


# --- One job -------------------------------------------------------------------------------------


@require_GET
def job_page(request: HttpRequest, job_id: int) -> HttpResponse:
    """Timeline, candidates with scores, the chosen file; live until the job is final."""
    job = selectors.job_detail(job_id)
    candidates, rejected = _candidate_rows(job)
    context = {
        "job": job,
        "candidates": candidates,
        "rejected": rejected,
        "final": job.state in TERMINAL_STATES,
        "children": selectors.children_summary(job),
        "child_jobs": selectors.job_list(parent=job.pk)[:CHILDREN_SHOWN]
        if job.scope != JobScope.TRACK
        else [],
        "priority_form": PriorityForm(initial={"priority": job.priority}),
    }
    if request.htmx and job.state in TERMINAL_STATES:
        # The last refresh: the swapped-in partial carries no polling trigger any more.
        response = HttpResponseStopPolling()
        response.content = render_panel(
            request, "downloads/job.html", "downloads/partials/_job.html", context
        ).content
        return response
    return render_panel(request, "downloads/job.html", "downloads/partials/_job.html", context)


REJECTED_SHOWN = 200  # a popular track can have thousands of rejected files
CHILDREN_SHOWN = 500  # an artist's discography can hold many hundred tracks


def _candidate_rows(job: Job) -> tuple[list[Candidate], list[Candidate]]:
    """Ranked candidates (with a readable score breakdown) and the first rejected ones."""
    ranked, rejected = [], []
    for candidate in job.candidates.all():
        candidate.breakdown = _breakdown(candidate.score)
        if candidate.state == Candidate.State.REJECTED:
            rejected.append(candidate)
        else:
            ranked.append(candidate)
    return ranked, rejected[:REJECTED_SHOWN]


def _breakdown(score: dict[str, Any]) -> list[tuple[str, str]]:
    rows = []
    for step, value in score.items():
        if step in ("score", "detail"):
            continue
        if isinstance(value, dict):
            value = ", ".join(f"{key} {item}" for key, item in value.items())
        rows.append((str(step), str(value)))
    return rows


def _job_action_done(request: HttpRequest, job: Job, text: str) -> HttpResponse:
    messages.success(request, text)
    return redirect("downloads:job", job_id=job.pk)


def _job_action_failed(request: HttpRequest, job: Job, text: str) -> HttpResponse:
    messages.error(request, text)
    return redirect("downloads:job", job_id=job.pk)


@require_POST
@role_required("operator")
def job_cancel(request: HttpRequest, job_id: int) -> HttpResponse:
    job = get_object_or_404(Job, pk=job_id)
    if services.cancel_job(job, actor=actor_for(request.user)):
        return _job_action_done(request, job, "Job cancelled.")
    return _job_action_failed(request, job, f"Job {job.pk} is {job.state}: nothing to cancel.")


@require_POST
@role_required("operator")
def job_retry(request: HttpRequest, job_id: int) -> HttpResponse:
    job = get_object_or_404(Job, pk=job_id)
    try:
        services.retry_job(job, actor=actor_for(request.user))
    except services.JobActionError as exc:
        return _job_action_failed(request, job, str(exc))
    return _job_action_done(request, job, "Job queued again.")


@require_POST
@role_required("operator")
def job_priority(request: HttpRequest, job_id: int) -> HttpResponse:
    job = get_object_or_404(Job, pk=job_id)
    form = PriorityForm(request.POST)
    if not form.is_valid():
        return _job_action_failed(request, job, "Priority must be a whole number (-1000 to 1000).")
    services.set_priority(
        job, priority=form.cleaned_data["priority"], actor=actor_for(request.user)
    )
    if request.POST.get("next") == "downloads":
        return redirect("downloads:downloads")
    return _job_action_done(request, job, f"Priority set to {job.priority}.")


@require_POST
@role_required("operator")
def job_choose(request: HttpRequest, job_id: int, candidate_id: int) -> HttpResponse:
    job = get_object_or_404(Job, pk=job_id)
    candidate = get_object_or_404(Candidate, pk=candidate_id, job=job)
    try:
        services.choose_candidate(job, candidate, actor=actor_for(request.user))
    except services.JobActionError as exc:
        return _job_action_failed(request, job, str(exc))
    return _job_action_done(request, job, "This candidate will be tried next.")


@require_POST
@role_required("operator")
def job_wrong_file(request: HttpRequest, job_id: int) -> HttpResponse:
    job = get_object_or_404(Job, pk=job_id)
    try:
        services.mark_wrong_file(job, actor=actor_for(request.user))
    except services.JobActionError as exc:
        return _job_action_failed(request, job, str(exc))
    return _job_action_done(
        request, job, "Marked as the wrong file: it is blocked and the next candidate is tried."
    )


# --- Watchlists ----------------------------------------------------------------------------------


def _watchlist_rows() -> list[Watchlist]:
    """Every watchlist with its latest sync as `last_sync` (two queries, however many syncs)."""
    from django.db.models import OuterRef, Subquery

    from downloads.models import WatchlistSync

    latest = WatchlistSync.objects.filter(watchlist=OuterRef("pk")).order_by("-started_at", "-id")
    rows = list(
        Watchlist.objects.annotate(last_sync_id=Subquery(latest.values("id")[:1])).order_by(
            "kind", "name", "id"
        )
    )
    syncs = WatchlistSync.objects.in_bulk([row.last_sync_id for row in rows if row.last_sync_id])
    outcomes = selectors.sync_outcomes(list(syncs))
    for row in rows:
        row.last_sync = syncs.get(row.last_sync_id)
        row.outcome = outcomes.get(row.last_sync_id)
    return rows


def _artist_results(query: str) -> tuple[list[dict[str, str]], str]:
    """Artists credited on the tracks Spotify finds for `query` (its search is tracks only)."""
    results, error = _search_spotify(query)
    artists: dict[str, str] = {}
    for meta in results:
        for artist_id, name in zip(meta.spotify_artist_ids, meta.artists, strict=False):
            artists.setdefault(artist_id, name)
    return [{"id": key, "name": name} for key, name in artists.items()], error


def _watchlists_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    context = {
        "watchlists": _watchlist_rows(),
        "form": WatchlistForm(
            initial={"release_types": settings.WATCHLISTS["WATCHLIST_RELEASE_TYPES"]}
        ),
        "interval": settings.WATCHLISTS["WATCHLIST_SYNC_MINUTES"],
        "release_type_choices": RELEASE_TYPES,
        "query": request.GET.get("q", "").strip()[:200],
        **extra,
    }
    if context["query"] and has_role(request.user, "operator"):
        context["artists"], context["search_error"] = _artist_results(context["query"])
    return context


@require_http_methods(["GET", "POST"])
def watchlists_page(request: HttpRequest) -> HttpResponse:
    """Watched artists and playlists; operators find artists, add, change, sync and remove."""
    if request.method == "POST":
        return _watchlist_create(request)
    return render_panel(
        request,
        "downloads/watchlists.html",
        "downloads/partials/_watchlists.html",
        _watchlists_context(request),
    )


@role_required("operator")
def _watchlist_create(request: HttpRequest) -> HttpResponse:
    form = WatchlistForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            watchlist = watchlists.create_watchlist(
                data["link"],
                actor=actor_for(request.user),
                release_types=data["release_types"] or None,
                since=data["since"] or "today",
                sync_minutes=data["sync_minutes"],
            )
        except watchlists.WatchlistError as exc:
            form.add_error("link", str(exc))
        except ProviderError as exc:
            form.add_error("link", exc.message)
        else:
            messages.success(request, f"Now watching {watchlist.name or watchlist.spotify_id}.")
            return redirect("downloads:watchlists")
    context = _watchlists_context(request, form=form)
    return render_panel(
        request, "downloads/watchlists.html", "downloads/partials/_watchlists.html", context
    )


@require_POST
@role_required("operator")
def watchlist_update(request: HttpRequest, watchlist_id: int) -> HttpResponse:
    watchlist = get_object_or_404(Watchlist, pk=watchlist_id)
    form = WatchlistUpdateForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        changes: dict[str, Any] = {"enabled": data["enabled"], "sync_minutes": data["sync_minutes"]}
        if watchlist.kind == Watchlist.Kind.ARTIST:
            changes.update(release_types=data["release_types"], since=data["since"])
        watchlists.update_watchlist(watchlist, actor=actor_for(request.user), **changes)
        messages.success(request, f"Saved {watchlist.name or watchlist.spotify_id}.")
    else:
        messages.error(request, "The watchlist was not changed: check the date and interval.")
    return redirect("downloads:watchlists")


@require_POST
@role_required("operator")
def watchlist_sync(request: HttpRequest, watchlist_id: int) -> HttpResponse:
    watchlist = get_object_or_404(Watchlist, pk=watchlist_id)
    _enqueue_sync(watchlist.pk, actor=actor_for(request.user))
    messages.success(request, f"Sync of {watchlist.name or watchlist.spotify_id} started.")
    return redirect("downloads:watchlists")


@require_POST
@role_required("operator")
def watchlist_delete(request: HttpRequest, watchlist_id: int) -> HttpResponse:
    watchlist = get_object_or_404(Watchlist, pk=watchlist_id)
    name = watchlist.name or watchlist.spotify_id
    watchlists.delete_watchlist(watchlist, actor=actor_for(request.user))
    messages.success(request, f"Stopped watching {name}.")
    return redirect("downloads:watchlists")


# --- Dead letters --------------------------------------------------------------------------------


@require_GET
def dlq_page(request: HttpRequest) -> HttpResponse:
    """Dead jobs grouped by reason, with bulk requeue (operator) and purge (admin)."""
    form = DlqFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    criteria = dlq.DeadFilter(
        reasons=(filters["reason"],) if filters.get("reason") else (), search=filters.get("q", "")
    )
    context = {
        "stats": dlq.dlq_stats(),
        "filter_form": form,
        "page": paginate(request, dlq.dead_jobs(criteria)),
        "page_query": query_without_page(request),
    }
    return render_panel(request, "downloads/dlq.html", "downloads/partials/_dlq.html", context)


def _dlq_criteria(request: HttpRequest) -> dlq.DeadFilter | None:
    form = DlqActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.non_field_errors()) or "Nothing was selected.")
        return None
    reason = form.cleaned_data.get("reason")
    return dlq.DeadFilter(ids=tuple(form.cleaned_data["ids"]), reasons=(reason,) if reason else ())


@require_POST
@role_required("operator")
def dlq_requeue(request: HttpRequest) -> HttpResponse:
    return _dlq_action(request, dlq.requeue_dead, verb="Requeued")


@require_POST
@role_required("admin")
def dlq_purge(request: HttpRequest) -> HttpResponse:
    return _dlq_action(request, dlq.purge_dead, verb="Purged")


def _dlq_action(request: HttpRequest, action: Callable[..., Any], *, verb: str) -> HttpResponse:
    """Run a bulk DLQ service on the selected entries; the outcome comes back as a message."""
    criteria = _dlq_criteria(request)
    if criteria is not None:
        try:
            result = action(criteria, actor=actor_for(request.user), via="ui")
        except dlq.DlqRequestError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _dlq_summary(verb, result))
    return redirect("downloads:dlq")


def _dlq_summary(verb: str, result: dlq.DlqResult) -> str:
    done = result.counts.get("requeued", result.counts.get("purged", 0))
    text = f"{verb} {done} of {result.matched} dead job(s)."
    if result.counts.get("conflicts"):
        text += f" {result.counts['conflicts']} conflict with a live job for the same item."
    if result.remaining:
        text += f" {result.remaining} more match; run it again."
    return text
