"""DLQ operations: requeue and purge by ids or filter, limits, idempotency, audit, the CLI."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from downloads import actions, submit
from downloads.models import DeadLetterAction, DeadReason, Job, JobEvent, JobState
from tests.downloads.conftest import make_meta
from tests.downloads.ops import dead_job, no_dispatch  # noqa: F401  (fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("hdm", "no_dispatch")]


def test_requeue_by_ids_moves_dead_jobs_back_to_queued_and_audits_the_actor():
    jobs = [dead_job(n) for n in range(3)]
    result = actions.requeue_dead(
        actions.ids_filter([j.pk for j in jobs[:2]]), actor="user:op", via="api"
    )
    assert result.counts["requeued"] == 2 and result.remaining == 0
    states = dict(Job.objects.values_list("pk", "state"))
    assert [states[j.pk] for j in jobs] == ["queued", "queued", "dead"]
    event = JobEvent.objects.filter(job=jobs[0], reason="requeued").get()
    assert event.details["actor"] == "user:op"
    assert event.details["previous_reason"] == DeadReason.NO_CANDIDATES
    audit = DeadLetterAction.objects.get()
    assert (audit.action, audit.actor, audit.via) == ("requeue", "user:op", "api")
    assert sorted(audit.job_ids) == sorted(j.pk for j in jobs[:2])


def test_requeue_twice_is_harmless():
    job = dead_job(1)
    actions.requeue_dead(actions.ids_filter([job.pk]), actor="t", via="cli")
    again = actions.requeue_dead(actions.ids_filter([job.pk]), actor="t", via="cli")
    assert again.counts["requeued"] == 0 and again.counts["skipped"] == 1
    assert Job.objects.get(pk=job.pk).state == JobState.QUEUED
    assert JobEvent.objects.filter(job=job, reason="requeued").count() == 1


def test_requeue_by_reason_leaves_other_reasons_alone():
    lost = dead_job(1, reason=DeadReason.PROVIDER_UNAVAILABLE)
    other = dead_job(2, reason=DeadReason.VERIFICATION_FAILED)
    criteria = actions.DeadFilter(reasons=(DeadReason.PROVIDER_UNAVAILABLE,))
    assert actions.requeue_dead(criteria, actor="t", via="api").counts["requeued"] == 1
    assert Job.objects.get(pk=lost.pk).state == JobState.QUEUED
    assert Job.objects.get(pk=other.pk).state == JobState.DEAD


def test_requeue_conflicts_when_the_item_is_wanted_again_meanwhile():
    job = dead_job(1)
    submit.submit_wanted(make_meta(1), kind="manual", actor="t")  # a new live job, same item
    result = actions.requeue_dead(actions.ids_filter([job.pk]), actor="t", via="api")
    assert result.counts["conflicts"] == 1
    assert Job.objects.get(pk=job.pk).state == JobState.DEAD


def test_a_filter_acts_on_the_oldest_up_to_the_limit_and_reports_the_rest(monkeypatch):
    monkeypatch.setattr(actions, "REQUEUE_LIMIT", 2)
    jobs = [dead_job(n, age=timedelta(hours=10 - n)) for n in range(4)]
    result = actions.requeue_dead(actions.DeadFilter(kinds=("manual",)), actor="t", via="api")
    assert result.counts["requeued"] == 2 and result.remaining == 2
    assert set(result.job_ids) == {jobs[0].pk, jobs[1].pk}  # the two dead longest


def test_too_many_ids_or_no_criteria_are_refused():
    with pytest.raises(actions.DlqRequestError, match="at most 500"):
        actions.requeue_dead(actions.ids_filter(range(1, 502)), actor="t", via="api")
    with pytest.raises(actions.DlqRequestError, match="needs ids or a filter"):
        actions.purge_dead(actions.DeadFilter(), actor="t", via="api")
    assert not DeadLetterAction.objects.exists()


def test_purge_older_than_deletes_only_old_dead_jobs_and_keeps_the_audit():
    old = dead_job(1, age=timedelta(days=40))
    recent = dead_job(2, age=timedelta(days=1))
    live = submit.submit_wanted(make_meta(3), kind="manual", actor="t").job
    cutoff = actions.older_than(timedelta(days=30))
    result = actions.purge_dead(
        actions.DeadFilter(dead_before=cutoff), actor="user:admin", via="api"
    )
    assert result.counts == {"purged": 1} and result.job_ids == [old.pk]
    assert set(Job.objects.values_list("pk", flat=True)) == {recent.pk, live.pk}
    assert not JobEvent.objects.filter(job_id=old.pk).exists()
    audit = DeadLetterAction.objects.get(action="purge")
    assert audit.job_ids == [old.pk] and audit.criteria["dead_before"]


def test_purge_by_ids_never_touches_a_live_job():
    live = submit.submit_wanted(make_meta(3), kind="manual", actor="t").job
    result = actions.purge_dead(actions.ids_filter([live.pk]), actor="t", via="api")
    assert result.counts == {"purged": 0}
    assert Job.objects.filter(pk=live.pk).exists()


def test_stats_count_every_reason():
    dead_job(1, reason=DeadReason.NO_CANDIDATES)
    dead_job(2, reason=DeadReason.NO_CANDIDATES)
    dead_job(3, reason=DeadReason.DISK_ERROR)
    stats = actions.dlq_stats()
    assert stats["total"] == 3
    assert stats["by_reason"]["no_candidates"] == 2 and stats["by_reason"]["disk_error"] == 1
    assert stats["by_reason"]["worker_lost"] == 0


# --- CLI ------------------------------------------------------------------------------------


def _cli(*args: str) -> str:
    out = StringIO()
    call_command("harmony_dlq", *args, stdout=out)
    return out.getvalue()


def test_cli_lists_dead_jobs_as_a_table_with_filters():
    dead_job(1, reason=DeadReason.NO_CANDIDATES)
    dead_job(2, reason=DeadReason.DISK_ERROR, age=timedelta(days=10))
    table = _cli("list", "--reason", "disk_error")
    assert "reason" in table.splitlines()[0]
    assert "disk_error" in table and "no_candidates" not in table
    assert "1 of 1 dead jobs shown" in table
    assert "2 of 2" in _cli("list")
    assert "1 of 1" in _cli("list", "--older-than", "7d")
    stats = _cli("stats").splitlines()
    assert stats[-1].split() == ["total", "2"] and "disk_error" in stats[0] + stats[1]


def test_cli_requeues_by_ids_and_purge_needs_yes():
    first, second = dead_job(1), dead_job(2, age=timedelta(days=40))
    assert "requeued     1" in _cli("requeue", "--ids", str(first.pk))
    assert Job.objects.get(pk=first.pk).state == JobState.QUEUED
    with pytest.raises(CommandError, match="add --yes"):
        _cli("purge", "--older-than", "30d")
    assert Job.objects.filter(pk=second.pk).exists()
    assert "purged       1" in _cli("purge", "--older-than", "30d", "--yes")
    assert not Job.objects.filter(pk=second.pk).exists()
    assert DeadLetterAction.objects.filter(via="cli").count() == 2


def test_cli_refuses_bad_ages_and_ids():
    with pytest.raises(CommandError, match="--older-than"):
        _cli("list", "--older-than", "soon")
    with pytest.raises(CommandError, match="--ids"):
        _cli("requeue", "--ids", "1,x")
