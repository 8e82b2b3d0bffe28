"""State and scripts of the fake slskd (tests/fakes/slskd.py): what a search or a transfer
is scripted to do, and where it currently is."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any


@dataclass
class SearchScript:
    """How searches whose text contains `match` (case-insensitive) play out."""

    responses: list[dict[str, Any]] = field(default_factory=list)
    end_state: str = "Completed, TimedOut"
    running_polls: int = 2  # polls in "InProgress" with counters rising
    lag_poll: bool = True  # one poll in the final state without endedAt and responses


@dataclass
class TransferScript:
    """How a download from a peer plays out. Outcomes: succeeded, rejected, timed_out, errored,
    aborted, stall (stays "Queued, Remotely" until cancelled), move_fails (Succeeded but the
    file never appears). `delivered_bytes` delivers a file of the wrong size after Succeeded."""

    outcome: str = "succeeded"
    reason: str = ""
    remote_queue_polls: int = 1  # dwell in "Queued, Remotely"
    progress_polls: int = 3  # steps in "InProgress", bytes rising
    retries: int = 0  # slskd 0.26 retries of Errored/TimedOut before `retry_outcome`
    retry_outcome: str = "succeeded"
    place_in_queue: int = 3
    delivered_bytes: int | None = None  # the file that lands is cut to this size (a bad disk)


REASONS = {
    "rejected": "File not shared.",
    "timed_out": "Transfer timed out",
    "errored": "Remote connection closed",
    "aborted": "Transfer aborted: size mismatch",
}
FAILED_STATES = {
    "rejected": "Completed, Rejected",
    "timed_out": "Completed, TimedOut",
    "errored": "Completed, Errored",
    "aborted": "Completed, Aborted",
}


@dataclass
class FakeSearch:
    id: str
    search_text: str
    token: int
    script: SearchScript
    request: dict[str, Any]
    started_at: datetime
    state: str = "InProgress"
    step: int = 0
    ended_at: datetime | None = None
    written: list[dict[str, Any]] = field(default_factory=list)  # responses slskd stored


@dataclass
class FakeTransfer:
    id: str
    username: str
    filename: str
    size: int
    script: TransferScript
    requested_at: datetime
    state: str = "Queued, Locally"
    attempts: int = 1
    phase_polls: int = 0
    bytes_transferred: int = 0
    enqueued_at: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    exception: str | None = None
    place_in_queue: int | None = None
    removed: bool = False
    cancel_requested: bool = False
    moved: bool = False
    local_path: Path | None = None

    @property
    def terminal(self) -> bool:
        return self.state.startswith("Completed")

    def outcome(self) -> str:
        return self.script.outcome if self.attempts == 1 else self.script.retry_outcome
