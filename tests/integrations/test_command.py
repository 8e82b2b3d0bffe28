"""`manage.py harmony_integrations`: list, test and run from a shell."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from harmony_site.integrations.models import Delivery

pytestmark = pytest.mark.django_db


def test_list_and_test_a_target_from_the_shell(notifier, receiver, capsys):
    call_command("harmony_integrations", "list")
    assert "phone\tapprise\tenabled\tjson://127.0.0.1" in capsys.readouterr().out
    call_command("harmony_integrations", "test", "phone")
    assert "Test message sent." in capsys.readouterr().out
    assert receiver.received[0].json()["title"] == "Harmony: test message"


def test_a_failing_test_exits_non_zero_with_the_reason(notifier, receiver):
    receiver.status = 500
    with pytest.raises(CommandError, match="phone: "):
        call_command("harmony_integrations", "test", "phone")
    with pytest.raises(CommandError, match="no integration named 'nope'"):
        call_command("harmony_integrations", "test", "nope")


def test_run_does_what_the_schedule_does(notifier, capsys):
    call_command("harmony_integrations", "run")
    assert "batched=0" in capsys.readouterr().out
    assert not Delivery.objects.exists()
