"""The global search budget: window, minimum gap, pause — shared by every process."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from downloads.models import SearchBudget
from downloads.stages import budget
from tests.downloads.conftest import run_children

pytestmark = pytest.mark.django_db


def test_budget_grants_up_to_the_window_limit_then_says_when(hdm):
    hdm["HDM_SEARCH_BUDGET"] = 3
    hdm["HDM_SEARCH_WINDOW_S"] = 100.0
    start = timezone.now()
    grants = [budget.acquire_search(now=start + timedelta(seconds=i)) for i in range(4)]
    assert [g.granted for g in grants] == [True, True, True, False]
    assert grants[3].reason == "window full"
    assert grants[3].retry_at == start + timedelta(seconds=100)
    assert budget.acquire_search(now=start + timedelta(seconds=101)).granted


def test_budget_keeps_a_minimum_gap_between_searches(hdm):
    hdm["HDM_SEARCH_MIN_GAP_S"] = 5.0
    start = timezone.now()
    assert budget.acquire_search(now=start).granted
    refused = budget.acquire_search(now=start + timedelta(seconds=2))
    assert not refused.granted and refused.retry_at == start + timedelta(seconds=5)
    assert budget.acquire_search(now=start + timedelta(seconds=5)).granted


def test_a_pause_stops_all_searching_until_it_ends(hdm):
    until = budget.pause_searches(seconds=600, reason="banned")
    refused = budget.acquire_search()
    assert not refused.granted and refused.retry_at == until
    assert budget.budget_status()["pause_reason"] == "banned"
    budget.resume_searches()
    assert budget.acquire_search().granted


def test_a_shorter_pause_never_cuts_a_longer_one(hdm):
    long = budget.pause_searches(seconds=1800, reason="ban")
    assert budget.pause_searches(seconds=60, reason="logged out") == long


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_processes_share_one_budget(hdm, settings):
    # Children read the knobs from their own settings: the defaults (34 per 220 s, 5 s gap)
    # mean that of many simultaneous requests exactly one is granted.
    code = (
        "from downloads.stages import budget\n"
        "for _ in range(5):\n"
        "    print(budget.acquire_search().granted)\n"
    )
    outputs = run_children(code, 4)
    granted = [line for out in outputs for line in out.split()]
    assert len(granted) == 20
    assert granted.count("True") == 1
    assert SearchBudget.objects.get(pk=1).searches_total == 1


@pytest.mark.django_db(transaction=True)
def test_the_minimum_gap_holds_between_search_posts_even_under_429_retries(hdm, world, settings):
    """The gap is spent as the POST goes out: the HTTP layer's retry of a 429 is a second POST
    inside the gap, so it is not sent; the job waits for the budget instead."""
    from downloads import submit
    from downloads.models import Job, JobState
    from tests.downloads.conftest import make_meta
    from tests.fakes.base import Reply

    hdm["HDM_SEARCH_MIN_GAP_S"] = 600.0
    settings.SLSKD_MAX_RETRY_AFTER = 60.0
    world.offer("good_peer")
    world.fake.inject("POST", r"/api/v0/searches", Reply.json("busy", 429, **{"Retry-After": "0"}))
    job = submit.submit_wanted(make_meta(1), kind="manual", actor="test").job
    job = Job.objects.get(pk=job.pk)
    posts = world.fake.requests_to("POST", r"/api/v0/searches")
    assert len(posts) == 1  # the retry was not sent inside the gap
    assert job.state == JobState.SEARCHING and job.current_search_id is None
    assert job.next_attempt_at >= timezone.now() + timedelta(seconds=590)
    assert not SearchBudget.objects.get().recent[1:]  # one POST, one search spent


def test_after_a_ban_the_budget_halves_and_recovers_slowly(hdm):
    hdm["HDM_SEARCH_BUDGET"] = 20
    hdm["HDM_SEARCH_BAN_RECOVERY_S"] = 1000.0
    until = budget.pause_searches(seconds=60, reason="banned", ban=True)
    assert budget.budget_status(now=until)["budget"] == 10
    assert budget.budget_status(now=until + timedelta(seconds=500))["budget"] == 15
    assert budget.budget_status(now=until + timedelta(seconds=1000))["budget"] == 20
    # Within the halved budget the window refuses the eleventh search.
    grants = [budget.acquire_search(now=until + timedelta(seconds=i)) for i in range(11)]
    assert [g.granted for g in grants].count(True) == 10 and not grants[-1].granted


def test_a_second_ban_while_recovering_halves_again(hdm):
    hdm["HDM_SEARCH_BUDGET"] = 20
    budget.pause_searches(seconds=0, reason="banned", ban=True)
    budget.pause_searches(seconds=0, reason="banned again", ban=True)
    assert SearchBudget.objects.get().ban_factor == pytest.approx(0.25, abs=0.01)
    # A logout pause is no ban: the budget is not cut.
    budget.pause_searches(seconds=0, reason="slskd is not logged in")
    assert SearchBudget.objects.get().ban_factor == pytest.approx(0.25, abs=0.01)
