"""The Django admin as the DLQ console: list, filters, detail, audited actions, permissions."""

from __future__ import annotations

import pytest
from django.contrib.admin.sites import site
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts import services as account_services
from downloads.admin import DeadLetterAdmin
from downloads.models import Candidate, DeadLetter, DeadLetterAction, DeadReason, Job, JobState
from tests.downloads.ops import dead_job, no_dispatch  # noqa: F401  (fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("hdm", "no_dispatch")]

PASSWORD = "correct-horse-battery-9"
CHANGELIST = "admin:downloads_deadletter_changelist"


def _user(role: str):
    return account_services.create_user(username=role, password=PASSWORD, role=role, actor="t")


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(_user("admin"))
    return client


def test_the_dead_letter_list_shows_dead_jobs_with_filters_and_search(admin_client):
    disk = dead_job(1, reason=DeadReason.DISK_ERROR)
    dead_job(2, reason=DeadReason.NO_CANDIDATES)
    response = admin_client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert response.context["cl"].result_count == 2
    filtered = admin_client.get(reverse(CHANGELIST), {"dead_reason__exact": "disk_error"})
    assert [job.pk for job in filtered.context["cl"].result_list] == [disk.pk]
    searched = admin_client.get(reverse(CHANGELIST), {"q": "detail of 2"})
    assert searched.context["cl"].result_count == 1
    assert DeadLetter.objects.count() == 2 and Job.objects.count() == 2


def test_the_detail_shows_the_timeline_and_candidates_read_only(admin_client):
    job = dead_job(1)
    Candidate.objects.create(
        job=job, key="k", username="peer9", filename="@@x\\a.flac", size=1, rank=1,
        score={"tier": 2}, state=Candidate.State.FAILED, failure_reason="rejected",
    )  # fmt: skip
    url = reverse("admin:downloads_deadletter_change", args=[job.pk])
    page = admin_client.get(url).content.decode()
    assert "Timeline" in page and "no_candidates" in page
    assert "peer9" in page and "rejected" in page and "&quot;tier&quot;: 2" in page
    assert 'name="_save"' not in page  # nothing to edit


def _act(client: Client, action: str, jobs: list[Job]):
    data = {"action": action, "_selected_action": [job.pk for job in jobs]}
    return client.post(reverse(CHANGELIST), data, follow=True)


def test_requeue_and_purge_actions_call_the_services_and_are_audited(admin_client):
    first, second, third = dead_job(1), dead_job(2), dead_job(3)
    response = _act(admin_client, "requeue_selected", [first, second])
    assert response.status_code == 200
    assert "requeued: 2" in response.content.decode()
    assert Job.objects.get(pk=first.pk).state == JobState.QUEUED
    assert first.events.filter(reason="requeued").get().details["actor"] == "user:admin"
    _act(admin_client, "purge_selected", [third])
    assert not Job.objects.filter(pk=third.pk).exists()
    audit = list(DeadLetterAction.objects.order_by("id").values_list("action", "actor", "via"))
    assert audit == [("requeue", "user:admin", "admin"), ("purge", "user:admin", "admin")]


def test_only_admins_reach_the_console_and_the_actions_check_roles_again():
    operator = Client()
    operator.force_login(_user("operator"))
    response = operator.get(reverse(CHANGELIST))
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    request = RequestFactory().get("/")
    request.user = _user("viewer")
    model_admin = DeadLetterAdmin(DeadLetter, site)
    assert not model_admin.has_requeue_permission(request)
    assert not model_admin.has_purge_permission(request)
    request.user = account_services.create_user(
        username="op2", password=PASSWORD, role="operator", actor="t"
    )
    assert model_admin.has_requeue_permission(request)
    assert not model_admin.has_purge_permission(request)
    assert not model_admin.has_delete_permission(request)
