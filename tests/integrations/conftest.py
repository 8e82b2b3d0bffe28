"""Fixtures for the integrations: targets pointing at loopback fakes, and a clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from harmony_site.integrations import services
from harmony_site.integrations.models import EventKind
from tests.fakes.receiver import FakeReceiver
from tests.library.conftest import audio_cache, audio_file  # noqa: F401  (real audio files)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def receiver() -> Iterator[FakeReceiver]:
    with FakeReceiver() as server:
        yield server


@pytest.fixture(autouse=True)
def _healthy(monkeypatch):
    """Probes report nothing by default; health tests script their own reports."""
    monkeypatch.setattr("harmony_site.integrations.watch.probes.run_probes", list)


@pytest.fixture
def notifier(db, receiver: FakeReceiver):
    """An Apprise target (json:// to the receiver) for imports, failures and health."""
    events = [EventKind.TRACK_IMPORTED, EventKind.JOB_FAILED, EventKind.HEALTH_BAD]
    return services.create_integration(
        kind="apprise", name="phone", url=receiver.apprise_url(), events=events, actor="test"
    )
