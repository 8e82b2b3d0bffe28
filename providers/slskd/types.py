"""Typed views of slskd's JSON (see provider-apis.md section 1). Parsing lives in the client."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class PeerFile:
    """One downloadable file in a search response. Optional fields are None when not sent."""

    filename: str  # the peer's full path, usually with backslashes; hostile input
    size: int
    extension: str = ""  # peer-supplied, may be empty: derive from filename instead
    bit_rate: int | None = None  # kbps
    bit_depth: int | None = None
    sample_rate: int | None = None  # Hz
    length: int | None = None  # seconds
    is_variable_bit_rate: bool | None = None
    code: int | None = None


@dataclass(frozen=True)
class PeerResponse:
    username: str
    has_free_upload_slot: bool
    upload_speed: int  # bytes/s
    queue_length: int
    files: tuple[PeerFile, ...]
    locked_files: tuple[PeerFile, ...] = ()
    token: int | None = None
    file_count: int = 0
    locked_file_count: int = 0


class SearchState(enum.StrEnum):
    NONE = "None"
    REQUESTED = "Requested"
    QUEUED = "Queued"
    IN_PROGRESS = "InProgress"
    TIMED_OUT = "Completed, TimedOut"
    RESPONSE_LIMIT_REACHED = "Completed, ResponseLimitReached"
    FILE_LIMIT_REACHED = "Completed, FileLimitReached"
    CANCELLED = "Completed, Cancelled"
    ERRORED = "Completed, Errored"

    @property
    def is_complete(self) -> bool:
        return self.value.startswith("Completed")


@dataclass(frozen=True)
class Search:
    id: str
    search_text: str
    state: SearchState
    is_complete: bool
    response_count: int = 0
    file_count: int = 0
    locked_file_count: int = 0
    started_at: datetime | None = None
    ended_at: datetime | None = None
    responses: tuple[PeerResponse, ...] = ()

    @property
    def responses_ready(self) -> bool:
        """slskd writes responses once, with endedAt, slightly after the state turns final."""
        return self.is_complete and self.ended_at is not None


class TransferState(enum.StrEnum):
    QUEUED_LOCALLY = "Queued, Locally"
    REQUESTED = "Requested"
    QUEUED_REMOTELY = "Queued, Remotely"
    INITIALIZING = "Initializing"
    IN_PROGRESS = "InProgress"
    SUCCEEDED = "Completed, Succeeded"
    CANCELLED = "Completed, Cancelled"
    TIMED_OUT = "Completed, TimedOut"
    ERRORED = "Completed, Errored"
    REJECTED = "Completed, Rejected"
    ABORTED = "Completed, Aborted"

    @property
    def is_terminal(self) -> bool:
        return self.value.startswith("Completed")

    @property
    def is_success(self) -> bool:
        return self is TransferState.SUCCEEDED

    @property
    def may_be_retried_by_slskd(self) -> bool:
        """slskd 0.26+ retries Errored and TimedOut attempts itself under the same id."""
        return self in (TransferState.ERRORED, TransferState.TIMED_OUT)


@dataclass(frozen=True)
class Transfer:
    id: str
    username: str
    filename: str
    size: int
    state: TransferState
    bytes_transferred: int = 0
    bytes_remaining: int | None = None
    percent_complete: float = 0.0
    average_speed: float = 0.0  # bytes/s
    requested_at: datetime | None = None
    enqueued_at: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    place_in_queue: int | None = None
    exception: str = ""
    attempts: int | None = None
    removed: bool = False
    direction: str = "Download"

    @property
    def key(self) -> tuple[str, str]:
        """(username, filename): the identity that survives an slskd restart (ids do not)."""
        return (self.username, self.filename)


@dataclass(frozen=True)
class EnqueueResult:
    """`POST /transfers/downloads/{username}`: records created, and how many files failed
    (0.26 serialises failures as `{}`, so only the count is reliable)."""

    enqueued: tuple[Transfer, ...]
    failed_count: int = 0


@dataclass(frozen=True)
class ServerState:
    state: str  # e.g. "Connected, LoggedIn", "Disconnected"
    is_connected: bool
    is_logged_in: bool
    address: str | None = None
    is_transitioning: bool = False


@dataclass(frozen=True)
class ApplicationState:
    version: str
    latest_version: str | None
    update_available: bool
    server: ServerState
    username: str | None = None
    shares_ready: bool | None = None
    shared_files: int | None = None


@dataclass(frozen=True)
class UserStatus:
    presence: str  # "Offline" | "Away" | "Online"
    is_privileged: bool = False


@dataclass(frozen=True)
class DownloadEvent:
    """A `DownloadFileComplete` event: where slskd (in its own file system) put the file."""

    id: str
    local_filename: str
    remote_filename: str
    username: str | None
    transfer_id: str | None
