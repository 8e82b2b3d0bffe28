"""What a stage function returns; `state.apply_outcome` turns it into one guarded write.

Stage functions never write the job's state themselves: they say what should happen and the
service applies it with the claim check, the timeline event and the next enqueue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Advance:
    """Move to the next state now (and enqueue it)."""

    to: str
    reason: str
    details: dict[str, Any] = field(default_factory=dict)
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Wait:
    """Stay in this state and run again at `until` (a poll, a budget wait, a gate)."""

    until: datetime
    reason: str = ""  # when set, a timeline event is recorded
    details: dict[str, Any] = field(default_factory=dict)
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Retry:
    """A transient failure: back off and resume this state, or dead-letter after the budget."""

    failure_class: str  # provider | rate_limited | disk | internal
    code: str
    detail: str = ""
    retry_after: float | None = None


@dataclass(frozen=True)
class Dead:
    """A permanent failure: the job goes to the dead-letter queue with a reason code."""

    reason: str
    code: str
    detail: str = ""


Outcome = Advance | Wait | Retry | Dead
