"""Helpers for the HDM-ops tests (DLQ, jobs API, watchlists, metrics, admin)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services as account_services
from downloads import submit
from downloads.jobs import queue, state
from downloads.models import DeadReason, Job, JobState
from tests.downloads.conftest import make_meta


def dead_job(
    n: int, *, reason: str = DeadReason.NO_CANDIDATES, age: timedelta = timedelta(hours=1)
) -> Job:
    """A job for wanted track n, moved to the DLQ `age` ago through the real transition."""
    job = submit.submit_wanted(make_meta(n), kind="manual", actor="test").job
    assert state.transition(
        job,
        to=JobState.DEAD,
        reason=reason,
        claimed=False,
        dead_reason=reason,
        last_error_code=reason,
        last_error_detail=f"detail of {n}",
    )
    Job.objects.filter(pk=job.pk).update(finished_at=timezone.now() - age)
    return Job.objects.get(pk=job.pk)


def api_client(role: str) -> APIClient:
    """A client authenticated by a database API key with `role` (the API is then keyed)."""
    _, key = account_services.create_api_key(name=f"{role}-key", role=role, actor="test")
    return APIClient(headers={"X-API-Key": key})


@pytest.fixture
def no_dispatch(monkeypatch) -> list[int]:
    """Nothing is sent to the cluster: the tests drive states by hand."""
    sent: list[int] = []
    monkeypatch.setattr(queue, "_dispatch", sent.append)
    return sent
