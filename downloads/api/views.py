"""REST API of the download manager: jobs, the dead-letter queue and watchlists (/api/v1/).

Thin views: validate with an input serializer, call one service or selector, answer with an
output serializer. Errors use the API's one shape (harmony_site/api/exceptions.py); operator
actions that do not apply to a job as it is answer 409 with the service's message.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.auth import IsAdmin, IsOperator, actor_for
from downloads import actions, selectors, submit, watchlists
from downloads.api import serializers as s
from downloads.models import Candidate, Job, JobScope, JobState, Watchlist
from downloads.wanted import meta_label
from harmony_site.api.exceptions import ApiError
from harmony_site.api.idempotency import idempotent
from harmony_site.api.pagination import HarmonyPagination
from harmony_site.api.parsers import JSONParser
from providers.spotify.links import InvalidSpotifyLink, parse_spotify_link
from providers.spotify.lists import InvalidTrackList, parse_csv, parse_text_list


def _valid(serializer_class: type, data: Any, **kwargs: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _paged(view: APIView, request: Request, queryset: Any, out: type) -> Response:
    paginator = HarmonyPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(out(page, many=True).data)


def _conflict(message: object) -> ApiError:
    """409 for an operator action that does not apply to the job as it is now."""
    return ApiError(str(message), code="job_action_not_allowed", status=409)


def _job_body(job: Job) -> dict[str, Any]:
    return s.JobOut(job).data


# --- Jobs ---------------------------------------------------------------------------------------

# Only the columns JobOut reads: the queue order sorts every matching row, and carrying the wide
# ones (wanted, queries, error details) through that sort is most of what a page costs.
_JOB_LIST_COLUMNS = [
    *(name for name in s.JobOut.Meta.fields if name != "progress"),
    "bytes_transferred",
    "bytes_total",
]


class DownloadsView(APIView):
    """`GET /downloads` (queue order by default) and `POST /downloads` (submit one request)."""

    permission_classes = [IsOperator]
    provider_errors = True  # a link is resolved through Spotify

    @extend_schema(parameters=[s.JobListQuery], responses=s.JobOut(many=True))
    def get(self, request: Request) -> Response:
        query = _valid(s.JobListQuery, request.query_params)
        jobs = selectors.job_list(
            states=list(query.get("state") or ()),
            kinds=list(query.get("kind") or ()),
            scope=query.get("scope", ""),
            parent=query.get("parent"),
            text=query.get("q", ""),
            ordering=query.get("ordering", ""),
        )
        return _paged(self, request, jobs.only(*_JOB_LIST_COLUMNS), s.JobOut)

    @extend_schema(request=s.SubmitIn, responses={200: s.SubmissionOut, 201: s.SubmissionOut})
    @idempotent
    def post(self, request: Request) -> Response:
        data = _valid(s.SubmitIn, request.data)
        common = {
            "kind": data["kind"],
            "actor": actor_for(request.user),
            "force": data["force"],
            "priority": data.get("priority"),
        }
        if data.get("link"):
            submission = submit.submit_spotify_ref(_spotify_ref(data), **common)
        else:
            seconds = data.get("duration_s")
            meta = submit.track_from_fields(
                artist=data["artist"],
                title=data["title"],
                album=data["album"],
                duration_ms=round(seconds * 1000) if seconds else data.get("duration_ms"),
                isrc=data.get("isrc", ""),
                year=data.get("year"),
                track_number=data.get("track_number"),
            )
            result = submit.submit_wanted(meta, **common)
            submission = submit.Submission(result.status, result.job, [(meta, result)])
        code = status.HTTP_201_CREATED if submission.created_anything else status.HTTP_200_OK
        return Response(_submission_body(submission), status=code)


def _spotify_ref(data: dict[str, Any]) -> Any:
    try:
        return parse_spotify_link(data["link"], default_kind=data.get("type"))
    except InvalidSpotifyLink as exc:
        raise ApiError(
            f"Invalid input: link: {exc}", code="validation_error", details={"link": [str(exc)]}
        ) from None


def _submission_body(submission: submit.Submission) -> dict[str, Any]:
    items = [_item_body(meta, result) for meta, result in submission.items]
    body: dict[str, Any] = {
        "status": submission.status,
        "job": _job_body(submission.job) if submission.job else None,
    }
    if submission.job is not None and submission.job.scope != JobScope.TRACK:
        body["counts"] = submission.counts()
        body["items"] = items
    elif items:
        body["library_file_id"] = items[0]["library_file_id"]
    return body


def _item_body(meta: Any, result: submit.SubmitResult) -> dict[str, Any]:
    return {
        "label": meta_label(meta),
        "status": result.status,
        "job_id": result.job.pk if result.job else None,
        "library_file_id": getattr(result.library_file, "pk", None),
    }


class DownloadListView(APIView):
    """`POST /downloads/list`: a pasted text list or an uploaded Exportify CSV."""

    permission_classes = [IsOperator]
    parser_classes = [JSONParser, MultiPartParser]  # the CSV arrives as a file upload

    @extend_schema(
        request={"application/json": s.ListSubmitIn, "multipart/form-data": s.ListSubmitIn},
        responses={200: s.ListSubmissionOut, 201: s.ListSubmissionOut},
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = _valid(s.ListSubmitIn, request.data)
        metas = _read_list(data)
        results = submit.submit_tracks(
            metas, kind=data["kind"], actor=actor_for(request.user), force=data["force"]
        )
        submission = submit.Submission("enqueued", None, results)
        body = {"counts": submission.counts(), "items": [_item_body(m, r) for m, r in results]}
        code = status.HTTP_201_CREATED if submission.counts()["enqueued"] else status.HTTP_200_OK
        return Response(body, status=code)


def _read_list(data: dict[str, Any]) -> list[Any]:
    field = "file" if data.get("file") else "text"
    try:
        metas = parse_csv(data["file"]) if field == "file" else parse_text_list(data["text"])
    except InvalidTrackList as exc:
        problems = [str(problem) for problem in exc.problems] or [str(exc)]
        raise ApiError(
            f"Invalid input: {field}: {exc}", code="validation_error", details={field: problems}
        ) from None
    if not metas:
        raise ApiError(
            "Invalid input: the list holds no tracks.",
            code="validation_error",
            details={field: ["The list holds no tracks."]},
        )
    return metas


class DownloadDetailView(APIView):
    """`GET /downloads/{id}`: timeline, candidates with scores, transfer progress."""

    permission_classes = [IsOperator]

    @extend_schema(responses=s.JobDetailOut)
    def get(self, request: Request, job_id: int) -> Response:
        job = selectors.job_detail(job_id)
        context = {"children": selectors.children_summary(job)}
        return Response(s.JobDetailOut(job, context=context).data)


class JobActionView(APIView):
    """Base of the POST-only operator actions on one job."""

    permission_classes = [IsOperator]

    def job(self, job_id: int) -> Job:
        return get_object_or_404(Job, pk=job_id)

    def answer(self, job: Job, *, changed: bool) -> Response:
        job.refresh_from_db()
        return Response({"changed": changed, "job": _job_body(job)})


class CancelView(JobActionView):
    @extend_schema(request=None, responses=s.JobActionOut)
    def post(self, request: Request, job_id: int) -> Response:
        job = self.job(job_id)
        changed = actions.cancel_job(job, actor=actor_for(request.user))
        job.refresh_from_db()
        if not changed and job.state != JobState.CANCELLED:
            raise _conflict(f"job {job.pk} is {job.state}: only live jobs can be cancelled")
        return self.answer(job, changed=changed)


class RetryView(JobActionView):
    @extend_schema(request=None, responses=s.JobActionOut)
    def post(self, request: Request, job_id: int) -> Response:
        job = self.job(job_id)
        try:
            changed = actions.retry_job(job, actor=actor_for(request.user))
        except actions.JobActionError as exc:
            raise _conflict(exc) from None
        return self.answer(job, changed=changed)


class PriorityView(JobActionView):
    @extend_schema(request=s.PriorityIn, responses=s.JobActionOut)
    def post(self, request: Request, job_id: int) -> Response:
        data = _valid(s.PriorityIn, request.data)
        job = self.job(job_id)
        actions.set_priority(job, priority=data["priority"], actor=actor_for(request.user))
        return self.answer(job, changed=True)


class ChooseCandidateView(JobActionView):
    @extend_schema(request=None, responses=s.JobActionOut)
    def post(self, request: Request, job_id: int, candidate_id: int) -> Response:
        job = self.job(job_id)
        candidate = get_object_or_404(Candidate, pk=candidate_id, job=job)
        try:
            changed = actions.choose_candidate(job, candidate, actor=actor_for(request.user))
        except actions.JobActionError as exc:
            raise _conflict(exc) from None
        return self.answer(job, changed=changed)


class WrongFileView(APIView):
    """`POST /library/tracks/{id}/wrong-file`: blocklist the source, quarantine, next candidate."""

    permission_classes = [IsOperator]

    @extend_schema(request=None, responses=s.JobActionOut)
    def post(self, request: Request, track_id: int) -> Response:
        from library.models import Track

        track = get_object_or_404(Track, pk=track_id)
        done = Job.objects.filter(track=track, state=JobState.DONE)
        job = done.order_by("-finished_at").first()
        if job is None:
            raise ApiError(
                f"No finished download delivered track {track.pk}; remove the file instead.",
                code="not_downloaded",
                status=409,
            )
        try:
            changed = actions.mark_wrong_file(job, actor=actor_for(request.user))
        except actions.JobActionError as exc:
            raise _conflict(exc) from None
        job.refresh_from_db()
        return Response({"changed": changed, "job": _job_body(job)})


# --- Dead-letter queue --------------------------------------------------------------------------


def _dead_filter(data: dict[str, Any], *, cutoff: Any = None) -> actions.DeadFilter:
    """The validated filter fields; `cutoff` (from `older_than`) narrows `dead_before`."""
    before = [when for when in (cutoff, data.get("dead_before")) if when is not None]
    return actions.DeadFilter(
        ids=tuple(data.get("ids") or ()),
        reasons=tuple(data.get("reason") or ()),
        kinds=tuple(data.get("kind") or ()),
        dead_after=data.get("dead_after"),
        dead_before=min(before) if before else None,
        search=data.get("q", ""),
    )


class DlqListView(APIView):
    """`GET /dlq`: dead jobs, newest first, filtered by reason, kind, date or text."""

    permission_classes = [IsOperator]

    @extend_schema(parameters=[s.DeadFilterIn], responses=s.JobOut(many=True))
    def get(self, request: Request) -> Response:
        data = _valid(s.DeadFilterIn, request.query_params)
        return _paged(self, request, actions.dead_jobs(_dead_filter(data)), s.JobOut)


class DlqDetailView(APIView):
    permission_classes = [IsOperator]

    @extend_schema(responses=s.JobDetailOut)
    def get(self, request: Request, job_id: int) -> Response:
        job = selectors.job_detail(job_id)
        if job.state != JobState.DEAD:
            raise ApiError(
                f"Job {job.pk} is not dead (it is {job.state}).", code="not_found", status=404
            )
        return Response(s.JobDetailOut(job, context={"children": None}).data)


class DlqStatsView(APIView):
    permission_classes = [IsOperator]

    @extend_schema(responses=s.DlqStatsOut)
    def get(self, request: Request) -> Response:
        return Response(actions.dlq_stats())


class DlqRequeueView(APIView):
    """`POST /dlq/requeue`: ids or a filter, at most 500 jobs a call (operator)."""

    permission_classes = [IsOperator]

    @extend_schema(request=s.RequeueIn, responses=s.DlqResultOut)
    def post(self, request: Request) -> Response:
        data = _valid(s.RequeueIn, request.data)
        try:
            result = actions.requeue_dead(
                _dead_filter(data), actor=actor_for(request.user), via="api"
            )
        except actions.DlqRequestError as exc:
            raise ApiError(
                str(exc), code="dlq_request_invalid", details={"ids": [str(exc)]}
            ) from None
        return Response(result.as_dict())


class DlqPurgeView(APIView):
    """`POST /dlq/purge`: ids or `older_than` (and filters), at most 1,000 jobs a call (admin)."""

    permission_classes = [IsAdmin]

    @extend_schema(request=s.PurgeIn, responses=s.DlqResultOut)
    def post(self, request: Request) -> Response:
        data = _valid(s.PurgeIn, request.data)
        cutoff = actions.older_than(data["older_than"]) if data.get("older_than") else None
        try:
            result = actions.purge_dead(
                _dead_filter(data, cutoff=cutoff), actor=actor_for(request.user), via="api"
            )
        except actions.DlqRequestError as exc:
            raise ApiError(
                str(exc), code="dlq_request_invalid", details={"ids": [str(exc)]}
            ) from None
        return Response(result.as_dict())


# --- Watchlists ---------------------------------------------------------------------------------


class WatchlistsView(APIView):
    permission_classes = [IsOperator]
    provider_errors = True  # creating one reads its name from Spotify

    @extend_schema(responses=s.WatchlistOut(many=True))
    def get(self, request: Request) -> Response:
        return _paged(
            self, request, Watchlist.objects.order_by("kind", "name", "id"), s.WatchlistOut
        )

    @extend_schema(request=s.WatchlistIn, responses=s.WatchlistOut)
    @idempotent
    def post(self, request: Request) -> Response:
        data = _valid(s.WatchlistIn, request.data)
        options = {k: data[k] for k in ("release_types", "since", "sync_minutes") if k in data}
        try:
            watchlist = watchlists.create_watchlist(
                data["link"],
                actor=actor_for(request.user),
                enabled=data["enabled"],
                write_m3u8=data["write_m3u8"],
                **options,
            )
        except watchlists.WatchlistError as exc:
            raise ApiError(
                f"Invalid input: link: {exc}", code="validation_error", details={"link": [str(exc)]}
            ) from None
        return Response(s.WatchlistOut(watchlist).data, status=status.HTTP_201_CREATED)


class WatchlistDetailView(APIView):
    permission_classes = [IsOperator]

    @extend_schema(responses=s.WatchlistDetailOut)
    def get(self, request: Request, watchlist_id: int) -> Response:
        watchlist = get_object_or_404(Watchlist, pk=watchlist_id)
        return Response(s.WatchlistDetailOut(watchlist).data)

    @extend_schema(request=s.WatchlistUpdateIn, responses=s.WatchlistOut)
    def patch(self, request: Request, watchlist_id: int) -> Response:
        watchlist = get_object_or_404(Watchlist, pk=watchlist_id)
        data = _valid(s.WatchlistUpdateIn, request.data)
        watchlists.update_watchlist(watchlist, actor=actor_for(request.user), **data)
        return Response(s.WatchlistOut(watchlist).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, watchlist_id: int) -> Response:
        watchlist = get_object_or_404(Watchlist, pk=watchlist_id)
        watchlists.delete_watchlist(watchlist, actor=actor_for(request.user))
        return Response(status=status.HTTP_204_NO_CONTENT)


class WatchlistSyncView(APIView):
    """`POST /watchlists/{id}/sync`: sync now, as a task (202; see the detail's `syncs`)."""

    permission_classes = [IsOperator]

    @extend_schema(request=None, responses={202: s.SyncRequestedOut})
    def post(self, request: Request, watchlist_id: int) -> Response:
        from django_q.tasks import async_task

        watchlist = get_object_or_404(Watchlist, pk=watchlist_id)
        actor = actor_for(request.user)
        sync = bool(settings.Q_CLUSTER.get("sync"))  # django-q2 reads its own copy at import
        transaction.on_commit(
            lambda: async_task(
                "downloads.tasks.sync_watchlist", watchlist.pk, actor, group="hdm", sync=sync
            )
        )
        return Response(
            {"status": "sync_requested", "watchlist": s.WatchlistOut(watchlist).data},
            status=status.HTTP_202_ACCEPTED,
        )
