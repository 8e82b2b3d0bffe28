"""slskd JSON → typed objects (provider-apis.md 1.3/1.4). Missing keys mean null; a wrong
type, a missing required field or an unknown state becomes `ProviderResponseError` naming the
endpoint and the field, never a `KeyError` in a worker."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

from providers.errors import ProviderResponseError
from providers.slskd.types import (
    ApplicationState,
    DownloadEvent,
    EnqueueResult,
    PeerFile,
    PeerResponse,
    Search,
    SearchState,
    ServerState,
    Transfer,
    TransferState,
    UserStatus,
)

PROVIDER = "slskd"
E = TypeVar("E", bound=StrEnum)
logger = logging.getLogger("hdm.slskd")


class Fields:
    """Typed access to one JSON object, with errors that say which endpoint and field."""

    def __init__(self, data: Any, endpoint: str, what: str) -> None:
        if not isinstance(data, Mapping):
            raise response_error(endpoint, f"{what} is {type(data).__name__}, expected an object")
        self.data, self.endpoint, self.what = data, endpoint, what

    def get(self, key: str, kind: type | tuple[type, ...], *, required: bool = False) -> Any:
        value = self.data.get(key)
        if value is None:
            if required:
                raise response_error(self.endpoint, f"{self.what} has no {key!r}")
            return None
        # bool is an int in Python: never accept True as a size
        if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _kinds(kind)):
            raise response_error(
                self.endpoint, f"{self.what}.{key} is {type(value).__name__} {value!r:.60}"
            )
        return value

    def text(self, key: str, *, required: bool = False) -> str | None:
        return self.get(key, str, required=required)

    def integer(self, key: str, *, required: bool = False) -> int | None:
        return self.get(key, int, required=required)

    def number(self, key: str) -> float | None:
        value = self.get(key, (int, float))
        return None if value is None else float(value)

    def flag(self, key: str) -> bool | None:
        return self.get(key, bool)

    def items(self, key: str) -> list[Any]:
        return self.get(key, list) or []

    def time(self, key: str) -> datetime | None:
        value = self.text(key)
        if value is None:
            return None
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise response_error(
                self.endpoint, f"{self.what}.{key} is not a time: {value!r:.60}"
            ) from None
        # requestedAt/enqueuedAt come back from slskd's database without an offset: UTC
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)

    def state(self, key: str, enum: type[E]) -> E:
        return parse_state(self.text(key, required=True) or "", enum, self.endpoint)


def parse_state(value: str, enum: type[E], endpoint: str) -> E:
    """slskd serialises flag enums as "A, B"; compare as sets so order never matters."""
    wanted = frozenset(part.strip() for part in value.split(","))
    for member in enum:
        if frozenset(part.strip() for part in member.value.split(",")) == wanted:
            return member
    raise response_error(endpoint, f"unknown {enum.__name__} {value!r}")


def parse_file(data: Any, endpoint: str) -> PeerFile:
    f = Fields(data, endpoint, "file")
    return PeerFile(
        filename=f.text("filename", required=True) or "",
        size=f.integer("size", required=True) or 0,
        extension=f.text("extension") or "",
        bit_rate=f.integer("bitRate"),
        bit_depth=f.integer("bitDepth"),
        sample_rate=f.integer("sampleRate"),
        length=f.integer("length"),
        is_variable_bit_rate=f.flag("isVariableBitRate"),
        code=f.integer("code"),
    )


def parse_peer_files(items: list[Any], endpoint: str, *, username: str) -> tuple[PeerFile, ...]:
    """Each file on its own: one a peer shares under a name UTF-8 cannot hold (a lone
    surrogate, which JSON can carry) or with a malformed field is left out, not the search."""
    files = []
    for item in items:
        try:
            peer_file = parse_file(item, endpoint)
            peer_file.filename.encode("utf-8")
        except (ProviderResponseError, UnicodeEncodeError) as exc:
            reason = exc.reason if isinstance(exc, UnicodeEncodeError) else str(exc)
            logger.warning(
                "hdm.slskd.file_skipped",
                extra={"endpoint": endpoint, "username": username, "reason": reason},
            )
            continue
        files.append(peer_file)
    return tuple(files)


def parse_response(data: Any, endpoint: str) -> PeerResponse:
    f = Fields(data, endpoint, "response")
    username = f.text("username", required=True) or ""
    files = parse_peer_files(f.items("files"), endpoint, username=username)
    locked = parse_peer_files(f.items("lockedFiles"), endpoint, username=username)
    return PeerResponse(
        username=username,
        has_free_upload_slot=bool(f.flag("hasFreeUploadSlot")),
        upload_speed=f.integer("uploadSpeed") or 0,
        queue_length=f.integer("queueLength") or 0,
        files=files,
        locked_files=locked,
        token=f.integer("token"),
        file_count=f.integer("fileCount") or len(files),
        locked_file_count=f.integer("lockedFileCount") or len(locked),
    )


def parse_responses(data: Any, endpoint: str) -> list[PeerResponse]:
    """Every peer's response; one whose user name UTF-8 cannot hold is left out."""
    if not isinstance(data, list):
        raise response_error(endpoint, f"responses are {type(data).__name__}, expected a list")
    responses = [parse_response(item, endpoint) for item in data]
    return [r for r in responses if _encodable(r.username, endpoint=endpoint)]


def _encodable(text: str, *, endpoint: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        logger.warning(
            "hdm.slskd.response_skipped", extra={"endpoint": endpoint, "reason": exc.reason}
        )
        return False
    return True


def parse_search(data: Any, endpoint: str) -> Search:
    f = Fields(data, endpoint, "search")
    state = f.state("state", SearchState)
    return Search(
        id=f.text("id", required=True) or "",
        search_text=f.text("searchText") or "",
        state=state,
        is_complete=bool(f.flag("isComplete")) or state.is_complete,
        response_count=f.integer("responseCount") or 0,
        file_count=f.integer("fileCount") or 0,
        locked_file_count=f.integer("lockedFileCount") or 0,
        started_at=f.time("startedAt"),
        ended_at=f.time("endedAt"),
        responses=tuple(parse_responses(f.items("responses"), endpoint)),
    )


def parse_transfer(data: Any, endpoint: str) -> Transfer:
    f = Fields(data, endpoint, "transfer")
    return Transfer(
        id=f.text("id", required=True) or "",
        username=f.text("username", required=True) or "",
        filename=f.text("filename", required=True) or "",
        size=f.integer("size", required=True) or 0,
        state=f.state("state", TransferState),
        bytes_transferred=f.integer("bytesTransferred") or 0,
        bytes_remaining=f.integer("bytesRemaining"),
        percent_complete=f.number("percentComplete") or 0.0,
        average_speed=f.number("averageSpeed") or 0.0,
        requested_at=f.time("requestedAt"),
        enqueued_at=f.time("enqueuedAt"),
        started_at=f.time("startedAt"),
        ended_at=f.time("endedAt"),
        place_in_queue=f.integer("placeInQueue"),
        exception=f.text("exception") or "",
        attempts=f.integer("attempts"),
        removed=bool(f.flag("removed")),
        direction=f.text("direction") or "Download",
    )


def parse_user_transfers(data: Any, endpoint: str) -> list[Transfer]:
    """One `{username, directories:[{directory, files:[Transfer]}]}` object, flattened."""
    f = Fields(data, endpoint, "user transfers")
    transfers = []
    for directory in f.items("directories"):
        files = Fields(directory, endpoint, "directory").items("files")
        transfers.extend(parse_transfer(item, endpoint) for item in files)
    return transfers


def parse_enqueue(data: Any, endpoint: str) -> EnqueueResult:
    f = Fields(data, endpoint, "enqueue result")
    enqueued = tuple(parse_transfer(item, endpoint) for item in f.items("enqueued"))
    return EnqueueResult(enqueued=enqueued, failed_count=len(f.items("failed")))


def parse_server(data: Any, endpoint: str) -> ServerState:
    f = Fields(data, endpoint, "server")
    return ServerState(
        state=f.text("state") or "",
        is_connected=bool(f.flag("isConnected")),
        is_logged_in=bool(f.flag("isLoggedIn")),
        address=f.text("address"),
        is_transitioning=bool(f.flag("isTransitioning")),
    )


def parse_application(data: Any, endpoint: str) -> ApplicationState:
    f = Fields(data, endpoint, "application")
    version = Fields(f.get("version", dict) or {}, endpoint, "application.version")
    user = Fields(f.get("user", dict) or {}, endpoint, "application.user")
    shares = Fields(f.get("shares", dict) or {}, endpoint, "application.shares")
    return ApplicationState(
        version=version.text("current") or version.text("full") or "",
        latest_version=version.text("latest"),
        update_available=bool(version.flag("isUpdateAvailable")),
        server=parse_server(f.get("server", dict) or {}, endpoint),
        username=user.text("username"),
        shares_ready=shares.flag("ready"),
        shared_files=shares.integer("files"),
    )


def parse_user_status(data: Any, endpoint: str) -> UserStatus:
    f = Fields(data, endpoint, "user status")
    return UserStatus(
        presence=f.text("presence", required=True) or "",
        is_privileged=bool(f.flag("isPrivileged")),
    )


def parse_download_event(data: Any, endpoint: str) -> DownloadEvent | None:
    """A `DownloadFileComplete` event, or None for other event types."""
    f = Fields(data, endpoint, "event")
    if f.text("type") != "DownloadFileComplete":
        return None
    raw = f.get("data", (str, dict), required=True)
    try:
        payload = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        raise response_error(endpoint, "event.data is not JSON") from None
    body = Fields(payload, endpoint, "event.data")
    transfer = Fields(body.get("transfer", dict) or {}, endpoint, "event.data.transfer")
    return DownloadEvent(
        id=f.text("id") or "",
        local_filename=body.text("localFilename", required=True) or "",
        remote_filename=body.text("remoteFilename") or "",
        username=transfer.text("username"),
        transfer_id=transfer.text("id"),
    )


def _kinds(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def response_error(endpoint: str, message: str) -> ProviderResponseError:
    return ProviderResponseError(message, provider=PROVIDER, endpoint=endpoint)
