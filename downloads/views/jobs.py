"""One job's page and the operator actions on it: cancel, retry, priority, choose a candidate,
wrong file (docs/ui/README.md). Every action goes through `downloads.actions`."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseStopPolling

from accounts.auth import actor_for, role_required
from downloads import actions, explain, selectors
from downloads.forms import (
    PriorityForm,
)
from downloads.models import TERMINAL_STATES, Candidate, Job, JobScope
from harmony_site.ui import render_panel

# --- One job -------------------------------------------------------------------------------------


@require_GET
def job_page(request: HttpRequest, job_id: int) -> HttpResponse:
    """Timeline, candidates with scores, the chosen file; live until the job is final."""
    job = selectors.job_detail(job_id)
    candidates, rejected = _candidate_rows(job)
    children = selectors.children_summary(job)
    context = {
        "job": job,
        "candidates": candidates,
        "rejected": rejected,
        "final": job.state in TERMINAL_STATES,
        "children": children,
        "children_words": explain.children_text(children),
        "outcome": explain.children_outcome(job.state, children),
        "child_jobs": selectors.job_list(parent=job.pk)[:CHILDREN_SHOWN]
        if job.scope != JobScope.TRACK
        else [],
        "priority_form": PriorityForm(initial={"priority": job.priority}),
    }
    if getattr(request, "htmx", False) and job.state in TERMINAL_STATES:
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
        vars(candidate)["breakdown"] = explain.score_sentences(candidate.score)  # for the template
        if candidate.state == Candidate.State.REJECTED:
            rejected.append(candidate)
        else:
            ranked.append(candidate)
    return ranked, rejected[:REJECTED_SHOWN]


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
    if actions.cancel_job(job, actor=actor_for(request.user)):
        return _job_action_done(request, job, "Job cancelled.")
    return _job_action_failed(request, job, f"Job {job.pk} is {job.state}: nothing to cancel.")


@require_POST
@role_required("operator")
def job_retry(request: HttpRequest, job_id: int) -> HttpResponse:
    job = get_object_or_404(Job, pk=job_id)
    try:
        actions.retry_job(job, actor=actor_for(request.user))
    except actions.JobActionError as exc:
        return _job_action_failed(request, job, str(exc))
    return _job_action_done(request, job, "Job queued again.")


@require_POST
@role_required("operator")
def job_priority(request: HttpRequest, job_id: int) -> HttpResponse:
    job = get_object_or_404(Job, pk=job_id)
    form = PriorityForm(request.POST)
    if not form.is_valid():
        return _job_action_failed(request, job, "Priority must be a whole number (-1000 to 1000).")
    actions.set_priority(job, priority=form.cleaned_data["priority"], actor=actor_for(request.user))
    if request.POST.get("next") == "downloads":
        return redirect("downloads:downloads")
    return _job_action_done(request, job, f"Priority set to {job.priority}.")


@require_POST
@role_required("operator")
def job_choose(request: HttpRequest, job_id: int, candidate_id: int) -> HttpResponse:
    job = get_object_or_404(Job, pk=job_id)
    candidate = get_object_or_404(Candidate, pk=candidate_id, job=job)
    try:
        actions.choose_candidate(job, candidate, actor=actor_for(request.user))
    except actions.JobActionError as exc:
        return _job_action_failed(request, job, str(exc))
    return _job_action_done(request, job, "This candidate will be tried next.")


@require_POST
@role_required("operator")
def job_wrong_file(request: HttpRequest, job_id: int) -> HttpResponse:
    job = get_object_or_404(Job, pk=job_id)
    try:
        actions.mark_wrong_file(job, actor=actor_for(request.user))
    except actions.JobActionError as exc:
        return _job_action_failed(request, job, str(exc))
    return _job_action_done(
        request, job, "Marked as the wrong file: it is blocked and the next candidate is tried."
    )
