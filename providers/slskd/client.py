"""The slskd REST client: every call Harmony makes to slskd (provider-apis.md 1.2–1.6).

One `SlskdClient` wraps one `HttpClient` (session, timeouts, retries, typed errors). Methods
return the typed objects of `providers/slskd/types.py`. Polling loops live with the callers
(the HDM), except two bounded helpers for operator commands (`wait_for_search`,
`cancel_and_remove`).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings

from harmony_site.config import get_config
from providers.errors import (
    ProviderError,
    ProviderNotConfigured,
    ProviderNotFound,
    ProviderResponseError,
    ProviderUnavailable,
)
from providers.http import HttpClient
from providers.slskd import parse
from providers.slskd.types import (
    ApplicationState,
    DownloadEvent,
    EnqueueResult,
    PeerFile,
    PeerResponse,
    Search,
    ServerState,
    Transfer,
    UserStatus,
)

logger = logging.getLogger("hdm.slskd")

API = "/api/v0"
PROVIDER = "slskd"


class PeerUnavailable(ProviderError):
    """slskd could not reach the peer (offline, or refused the enqueue): try another candidate."""


class SlskdLoggedOut(ProviderUnavailable):
    """slskd runs but is not logged in to the Soulseek server (search POST → 409): pause
    searching rather than failing jobs."""


class UnsafeRemotePath(ProviderError):
    """A peer filename with a `.`/`..` segment: never enqueued (older slskd wrote outside)."""


@dataclass(frozen=True)
class SlskdConfig:
    url: str
    api_key: str
    downloads_dir: str  # slskd's own view of its downloads root
    local_downloads_dir: Path  # Harmony's DOWNLOADS_DIR
    connect_timeout: float
    read_timeout: float
    max_retries: int
    max_retry_after: float

    @property
    def configured(self) -> bool:
        return bool(self.url)


def load_slskd_config() -> SlskdConfig:
    """The SLSKD_* knobs; a Django setting of the same name overrides (tests, fixtures)."""
    config = get_config()

    def knob(name: str) -> Any:
        return getattr(settings, name, config[name])

    return SlskdConfig(
        url=str(knob("SLSKD_URL")).strip().rstrip("/"),
        api_key=str(knob("SLSKD_API_KEY")).strip(),
        downloads_dir=str(knob("SLSKD_DOWNLOADS_DIR")).strip() or "/app/downloads",
        local_downloads_dir=Path(settings.DOWNLOADS_DIR),
        connect_timeout=float(knob("SLSKD_CONNECT_TIMEOUT")),
        read_timeout=float(knob("SLSKD_TIMEOUT")),
        max_retries=int(knob("SLSKD_MAX_RETRIES")),
        max_retry_after=float(knob("SLSKD_MAX_RETRY_AFTER")),
    )


class SlskdClient:
    """Typed access to one slskd instance, authenticated with `X-API-Key`."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 15.0,
        max_retries: int = 3,
        max_retry_after: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.http = HttpClient(
            base_url,
            name=PROVIDER,
            headers={"X-API-Key": api_key, "Accept": "application/json"},
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_retries=max_retries,
            max_retry_after=max_retry_after,
            sleep=sleep,
        )
        self._sleep = sleep

    @classmethod
    def from_config(cls, config: SlskdConfig | None = None) -> SlskdClient:
        """A client for the configured slskd; `ProviderNotConfigured` when SLSKD_URL is empty."""
        config = config or load_slskd_config()
        if not config.configured:
            raise ProviderNotConfigured("SLSKD_URL is empty", provider=PROVIDER)
        return cls(
            config.url,
            config.api_key,
            connect_timeout=config.connect_timeout,
            read_timeout=config.read_timeout,
            max_retries=config.max_retries,
            max_retry_after=config.max_retry_after,
        )

    def close(self) -> None:
        self.http.close()

    # -- readiness (1.2) -------------------------------------------------------------------------
    def health(self) -> bool:
        """`GET /health` (no key): the process is up; says nothing about Soulseek."""
        response = self.http.request("GET", "/health")
        return response.text.strip() == "Healthy"

    def session_ok(self) -> bool:
        """True when the API key is accepted; `ProviderAuthError` (401) when it is not."""
        self.http.request("GET", f"{API}/session")
        return True

    def auth_enabled(self) -> bool:
        return bool(self._get(f"{API}/session/enabled"))

    def server_state(self) -> ServerState:
        path = f"{API}/server"
        return parse.parse_server(self._get(path), f"GET {path}")

    def application_state(self) -> ApplicationState:
        path = f"{API}/application"
        return parse.parse_application(self._get(path), f"GET {path}")

    def version(self) -> str:
        path = f"{API}/application/version"
        value = self._get(path)
        if not isinstance(value, str):
            raise parse.response_error(f"GET {path}", f"version is {type(value).__name__}")
        return value

    # -- searches (1.3) --------------------------------------------------------------------------
    def create_search(
        self,
        text: str,
        *,
        search_id: str | uuid.UUID | None = None,
        search_timeout_ms: int = 15000,
        response_limit: int = 250,
        file_limit: int = 25000,
        filter_responses: bool = True,
        minimum_response_file_count: int = 1,
        minimum_peer_upload_speed: int = 0,
        maximum_peer_queue_length: int | None = None,
        before_send: Callable[[], None] | None = None,
    ) -> Search:
        """Start a search under a client-chosen GUID (so a lost answer can be re-found).

        409 (not logged in to Soulseek) → `ProviderUnavailable`; 429 (another POST in flight)
        is retried by the HTTP layer after a pause. `before_send` runs before each POST attempt
        (the HDM spends its search budget there, so its minimum gap holds between POSTs).
        """
        search_id = str(search_id or uuid.uuid4())
        body = {
            "id": search_id,
            "searchText": text,
            "searchTimeout": search_timeout_ms,
            "responseLimit": response_limit,
            "fileLimit": file_limit,
            "filterResponses": filter_responses,
            "minimumResponseFileCount": minimum_response_file_count,
            "minimumPeerUploadSpeed": minimum_peer_upload_speed,
            "maximumPeerQueueLength": maximum_peer_queue_length,
        }
        body = {k: v for k, v in body.items() if v is not None}
        return self._post_search(body, before_send=before_send)

    def _post_search(
        self, body: dict[str, Any], *, before_send: Callable[[], None] | None = None
    ) -> Search:
        path = f"{API}/searches"
        try:
            data = self.http.request_json("POST", path, json=body, before_send=before_send)
        except ProviderResponseError as exc:
            if exc.status == 409:
                raise SlskdLoggedOut(
                    "not logged in to the Soulseek server",
                    provider=PROVIDER,
                    endpoint=exc.endpoint,
                    status=409,
                ) from exc
            raise
        except ProviderUnavailable as exc:
            found = self._refind_search(body["id"])
            if found is None or found.search_text != body["searchText"]:
                raise
            logger.info(
                "hdm.slskd.search.refound", extra={"search_id": body["id"], "after": exc.message}
            )
            return found
        search = parse.parse_search(data, f"POST {path}")
        logger.info("hdm.slskd.search.created", extra={"search_id": search.id})
        return search

    def _refind_search(self, search_id: str) -> Search | None:
        """After a timeout or 5xx the POST may still have worked: look for our id."""
        try:
            return self.get_search(search_id)
        except (ProviderNotFound, ProviderUnavailable):
            return None

    def get_search(self, search_id: str, include_responses: bool = False) -> Search:
        path = f"{API}/searches/{quote(str(search_id), safe='')}"
        params = {"includeResponses": "true"} if include_responses else None
        return parse.parse_search(self._get(path, params=params), f"GET {API}/searches/{{id}}")

    def get_search_responses(self, search_id: str) -> list[PeerResponse]:
        path = f"{API}/searches/{quote(str(search_id), safe='')}/responses"
        return parse.parse_responses(self._get(path), f"GET {API}/searches/{{id}}/responses")

    def stop_search(self, search_id: str) -> None:
        self.http.request("PUT", f"{API}/searches/{quote(str(search_id), safe='')}")

    def delete_search(self, search_id: str, *, missing_ok: bool = True) -> None:
        """Searches are kept forever unless deleted: delete each after harvesting it."""
        path = f"{API}/searches/{quote(str(search_id), safe='')}"
        try:
            self.http.request("DELETE", path, expected=(204, 200))
        except ProviderNotFound:
            if not missing_ok:
                raise

    def wait_for_search(
        self, search_id: str, *, deadline_s: float, poll_interval: float = 1.0
    ) -> Search:
        """Poll until responses are ready (final state *and* endedAt), stopping the search at
        the deadline and allowing the same time again for slskd to write what it has; then
        `ProviderUnavailable`. Returns the search with its responses."""
        stop_at = time.monotonic() + deadline_s
        give_up = stop_at + deadline_s
        search = self.get_search(search_id)
        while not search.responses_ready:
            now = time.monotonic()
            if now >= give_up:
                raise ProviderUnavailable(
                    f"search {search_id} did not finish within {2 * deadline_s:g}s",
                    provider=PROVIDER,
                    endpoint=f"GET {API}/searches/{{id}}",
                )
            if now >= stop_at and not search.is_complete:
                self.stop_search(search_id)
            self._sleep(poll_interval)
            search = self.get_search(search_id)
        return self.get_search(search_id, include_responses=True)

    # -- downloads (1.4) -------------------------------------------------------------------------
    def enqueue_download(
        self, username: str, files: Iterable[PeerFile | tuple[str, int]]
    ) -> EnqueueResult:
        """Ask slskd to download `files` (exact remote path and size) from `username`.

        Refuses `.`/`..` segments before sending (`UnsafeRemotePath`). An offline peer or a
        refused enqueue (500 + message) is `PeerUnavailable`.
        """
        items = [_file_item(item) for item in files]
        for item in items:
            check_remote_path(item["filename"])
        path = f"{API}/transfers/downloads/{_user(username)}"
        endpoint = f"POST {API}/transfers/downloads/{{username}}"
        try:
            data = self.http.request_json("POST", path, json=items, expected=(201,))
        except ProviderUnavailable as exc:
            if exc.status == 500:
                raise PeerUnavailable(
                    exc.message, provider=PROVIDER, endpoint=endpoint, status=500
                ) from exc
            raise
        result = parse.parse_enqueue(data, endpoint)
        logger.info(
            "hdm.slskd.download.enqueued",
            extra={"transfer_ids": [t.id for t in result.enqueued], "failed": result.failed_count},
        )
        return result

    def list_downloads(self, *, include_removed: bool = False) -> list[Transfer]:
        path = f"{API}/transfers/downloads"
        params = {"includeRemoved": "true" if include_removed else "false"}
        data = self._get(path, params=params)
        if not isinstance(data, list):
            raise parse.response_error(f"GET {path}", f"expected a list, got {type(data).__name__}")
        return [t for user in data for t in parse.parse_user_transfers(user, f"GET {path}")]

    def list_user_downloads(self, username: str) -> list[Transfer]:
        """That peer's transfers; [] when slskd has none (it answers 404)."""
        path = f"{API}/transfers/downloads/{_user(username)}"
        try:
            data = self._get(path)
        except ProviderNotFound:
            return []
        return parse.parse_user_transfers(data, f"GET {API}/transfers/downloads/{{username}}")

    def get_transfer(self, username: str, transfer_id: str) -> Transfer:
        path = f"{API}/transfers/downloads/{_user(username)}/{quote(transfer_id, safe='')}"
        endpoint = f"GET {API}/transfers/downloads/{{username}}/{{id}}"
        return parse.parse_transfer(self._get(path), endpoint)

    def find_transfers(self, username: str, filename: str) -> list[Transfer]:
        """Transfers of that exact remote file, newest first: after an slskd restart the
        download is re-enqueued under a new id, so (username, filename) is the identity."""
        matches = [t for t in self.list_user_downloads(username) if t.filename == filename]
        return sorted(matches, key=lambda t: t.requested_at or _EPOCH, reverse=True)

    def cancel_download(self, username: str, transfer_id: str, *, remove: bool = False) -> None:
        """Cancel (asynchronous; 204 even for unknown ids). `remove=True` only removes records
        that are already finished: cancel, wait for a `Completed` state, then remove."""
        path = f"{API}/transfers/downloads/{_user(username)}/{quote(transfer_id, safe='')}"
        params = {"remove": "true" if remove else "false"}
        self.http.request("DELETE", path, params=params, expected=(204, 200))

    def remove_if_finished(self, username: str, transfer_id: str) -> bool:
        """The second step of cancel-and-remove: True once the record is finished and removed."""
        try:
            transfer = self.get_transfer(username, transfer_id)
        except ProviderNotFound:
            return True
        if not transfer.state.is_terminal:
            return False
        self.cancel_download(username, transfer_id, remove=True)
        return True

    def cancel_and_remove(
        self,
        username: str,
        transfer_id: str,
        *,
        deadline_s: float = 10.0,
        poll_interval: float = 0.5,
    ) -> bool:
        """Cancel, wait (bounded) for the record to finish, then remove it. False if it did not
        finish in time (the caller may call `remove_if_finished` again later)."""
        self.cancel_download(username, transfer_id)
        give_up = time.monotonic() + deadline_s
        while not self.remove_if_finished(username, transfer_id):
            if time.monotonic() >= give_up:
                return False
            self._sleep(poll_interval)
        return True

    def queue_position(self, username: str, transfer_id: str) -> int:
        """Asks the peer for our place in its queue (slow; 500 if the peer does not answer)."""
        path = f"{API}/transfers/downloads/{_user(username)}/{quote(transfer_id, safe='')}/position"
        value = self._get(path)
        if not isinstance(value, int) or isinstance(value, bool):
            raise parse.response_error(
                f"GET {API}/transfers/downloads/{{username}}/{{id}}/position",
                f"position is {value!r:.40}",
            )
        return value

    def download_events(self, *, offset: int = 0, limit: int = 100) -> list[DownloadEvent]:
        """`DownloadFileComplete` events, newest first (other event types are skipped)."""
        path = f"{API}/events"
        data = self._get(path, params={"offset": offset, "limit": limit})
        if not isinstance(data, list):
            raise parse.response_error(f"GET {path}", f"expected a list, got {type(data).__name__}")
        events = (parse.parse_download_event(item, f"GET {path}") for item in data)
        return [event for event in events if event is not None]

    def completion_event_for(self, transfer_id: str, *, limit: int = 100) -> DownloadEvent | None:
        """The `DownloadFileComplete` event of a transfer among the newest `limit` events
        (its `localFilename` is the most direct way to the file), or None."""
        events = self.download_events(limit=limit)
        return next((event for event in events if event.transfer_id == transfer_id), None)

    # -- users (1.6) -----------------------------------------------------------------------------
    def user_status(self, username: str) -> UserStatus:
        """Presence of a peer; `ProviderNotFound` when offline or unknown to the server."""
        path = f"{API}/users/{_user(username)}/status"
        return parse.parse_user_status(self._get(path), f"GET {API}/users/{{username}}/status")

    def _get(self, path: str, **kwargs: Any) -> Any:
        return self.http.get_json(path, **kwargs)


def check_remote_path(filename: str) -> None:
    """Raise `UnsafeRemotePath` for empty names or `.`/`..` segments (either separator)."""
    segments = filename.replace("\\", "/").split("/")
    if not filename.strip() or any(s.strip() in (".", "..") for s in segments) or "\0" in filename:
        raise UnsafeRemotePath(
            f"refusing remote path with a relative segment: {filename!r:.200}", provider=PROVIDER
        )


def _file_item(item: PeerFile | tuple[str, int]) -> dict[str, Any]:
    filename, size = (item.filename, item.size) if isinstance(item, PeerFile) else item
    return {"filename": filename, "size": int(size)}


def _user(username: str) -> str:
    """Usernames may hold spaces, `/` and `%`: encode every reserved character."""
    return quote(username, safe="")


_EPOCH = datetime.min.replace(tzinfo=UTC)
