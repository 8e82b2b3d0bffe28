"""Below the free-space floor the HDM starts no transfer and no ingest, and spends no retry."""

from __future__ import annotations

import pytest

from downloads import submit
from downloads.jobs.disk import DISK_LOW, disk_pause
from downloads.jobs.outcomes import Wait
from downloads.jobs.runner import run_stage
from downloads.models import Job, JobState
from tests.downloads.conftest import make_meta
from tests.downloads.ops import no_dispatch  # noqa: F401  (fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_dispatch")]


def _job(state: str, n: int = 1, **fields) -> Job:
    job = submit.submit_wanted(make_meta(n), kind="manual", actor="t").job
    Job.objects.filter(pk=job.pk).update(state=state, **fields)
    return Job.objects.get(pk=job.pk)


@pytest.mark.parametrize("state", [JobState.DOWNLOADING, JobState.VERIFYING, JobState.MOVING])
def test_a_job_about_to_write_waits_while_the_disk_is_below_the_floor(state, hdm, library_dirs):
    hdm["DISK_MIN_FREE_MB"] = 10**12
    job = _job(state)
    outcome = run_stage(job)
    assert isinstance(outcome, Wait) and outcome.reason == DISK_LOW
    assert "DISK_MIN_FREE_MB" in outcome.details["detail"]
    hdm["DISK_MIN_FREE_MB"] = 0
    assert disk_pause(job) is None


def test_a_running_transfer_is_still_watched_below_the_floor(hdm, library_dirs):
    hdm["DISK_MIN_FREE_MB"] = 10**12
    assert disk_pause(_job(JobState.DOWNLOADING, transfer_id="t-1")) is None
    assert disk_pause(_job(JobState.SEARCHING, 2)) is None
