"""A faithful fake slskd (0.26 by default; `version="0.25.1"` for the older shape), following
provider-apis.md sections 1 and 4.1 rather than Harmony's client.

Progress is deterministic. `mode="poll"` (default) moves a search one step each time it is
polled and every open transfer one step each time transfers are read; `mode="manual"` moves
only on `fake.advance()`; `mode="auto"` advances on a timer for live runs (demo, drills).

Scripting, in Python (all thread-safe; see SearchScript/TransferScript for every option):

    audio = fake.offer_file("flac_lover", "@@m\\Artist\\Album\\01 - T.flac", flac_bytes,
                            bit_depth=16, sample_rate=44100, length=215)
    fake.script_search("artist t", responses=[peer_response("flac_lover", [audio])],
                       end_state="Completed, TimedOut", running_polls=2, lag_poll=True)
    fake.script_transfer("flac_lover", outcome="rejected", reason="File not shared.")
    fake.script_transfer("slow", outcome="succeeded", remote_queue_polls=5, progress_polls=4)
    fake.script_transfer("flaky", outcome="errored", retries=1)   # 0.26 retry, same id
    fake.script_transfer("disk", delivered_bytes=1000)   # Succeeded, but the file is cut short
    fake.set_logged_in(False); fake.add_offline_peer("ghost"); fake.restart()
    fake.inject("GET", r"/api/v0/server", Reply.html(502), times=3)   # 5xx burst / malformed
    fake.delay("GET", r"/api/v0/transfers/downloads", 5.0)           # slow answer
    fake.post_latency = 1.0      # POSTs stay in flight: overlapping ones get 429
    fake.enqueue_faults.append(Reply.json("boom", 500))  # the enqueue works, the answer is 500
    fake.delay("POST", r"/api/v0/transfers/downloads/[^/]+", 20)  # it works, answers late
    fake.stop(); fake.start()    # daemon down and back on the same port

Outcomes: succeeded, rejected, timed_out, errored, aborted (also on a size mismatch), stall,
move_fails. A delivered file appears one step *after* "Completed, Succeeded", at
`<downloads_dir>/<remote parent>/<name>` (`_<18-digit ticks>` on collision), with a
`DownloadFileComplete` event whose `localFilename` uses `slskd_downloads_dir`.

Run by hand: `python -m tests.fakes.slskd --port 5030 --downloads-dir DIR --api-key KEY
[--scenario default|flaky|logged-out] [--mode auto|poll|manual] [--tick 0.5]`.
"""

from __future__ import annotations

import argparse
import json
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any

from tests.fakes.base import FakeServer, Reply, Request
from tests.fakes.slskd_data import dotnet_time, peer_file, sample_responses, timespan
from tests.fakes.slskd_state import (
    FAILED_STATES,
    REASONS,
    FakeSearch,
    FakeTransfer,
    SearchScript,
    TransferScript,
)

API = "/api/v0"
USER = r"(?P<username>[^/]+)"
ID = r"(?P<id>[^/]+)"
DEFAULT_CONTENT = b"fake audio payload\n"
REQUEUE_VERSION = (0, 26)


class FakeSlskd(FakeServer):
    """The fake daemon. All state is guarded by `self.lock` (handlers already hold it)."""

    def __init__(
        self,
        *,
        downloads_dir: Path,
        api_key: str = "test-api-key-0123456789",
        version: str = "0.26.0",
        mode: str = "poll",
        slskd_downloads_dir: str = "/app/downloads",
        auto_interval: float = 0.5,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(host=host, port=port)
        self.downloads_dir = Path(downloads_dir)
        self.api_key = api_key
        self.version = version
        self.mode = mode
        self.slskd_downloads_dir = slskd_downloads_dir
        self.auto_interval = auto_interval
        self.logged_in = True
        self.auth_enabled = True
        self.post_latency = 0.0  # seconds a POST stays "in flight" (429 on overlap)
        self.enqueue_faults: list[Reply] = []  # answers sent for enqueues that took effect
        self.searches: dict[str, FakeSearch] = {}
        self.transfers: dict[str, FakeTransfer] = {}
        self.events: list[dict[str, Any]] = []
        self.offline_peers: set[str] = set()
        self.default_search = SearchScript()
        self._search_scripts: list[tuple[str, SearchScript]] = []
        self._peer_scripts: dict[str, TransferScript] = {}
        self._file_scripts: dict[tuple[str, str], TransferScript] = {}
        self._contents: dict[tuple[str, str], bytes] = {}
        self._in_flight = {"search": 0, "download": 0}
        self._ticker: threading.Thread | None = None
        self._register_routes()

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> FakeSlskd:
        self.downloads_dir.mkdir(parents=True, exist_ok=True)
        super().start()
        if self.mode == "auto":
            self._ticker = threading.Thread(target=self._tick_forever, daemon=True)
            self._ticker.start()
        return self

    def _tick_forever(self) -> None:
        while not self._released.wait(self.auto_interval):
            self.advance()

    # -- scripting API ---------------------------------------------------------------------------
    def script_search(self, match: str, **options: Any) -> SearchScript:
        """Searches whose text contains `match` get these responses/lifecycle (first match)."""
        script = SearchScript(**options)
        with self.lock:
            self._search_scripts.append((match.casefold(), script))
        return script

    def script_transfer(self, username: str, filename: str | None = None, **options: Any) -> None:
        """Downloads from `username` (or one file of theirs) play out as `TransferScript`."""
        script = TransferScript(**options)
        with self.lock:
            if filename is None:
                self._peer_scripts[username] = script
            else:
                self._file_scripts[(username, filename)] = script

    def set_content(self, username: str, filename: str, content: bytes) -> None:
        """The bytes delivered for that remote file (default: DEFAULT_CONTENT repeated to size)."""
        with self.lock:
            self._contents[(username, filename)] = content

    def offer_file(
        self, username: str, filename: str, content: bytes, **attributes: Any
    ) -> dict[str, Any]:
        """Register the bytes a peer delivers for `filename` and return the matching search
        File object (`size` = len(content)); `attributes` as for `peer_file` (bit_depth=16…)."""
        self.set_content(username, filename, content)
        return peer_file(filename, len(content), **attributes)

    def add_offline_peer(self, username: str) -> None:
        with self.lock:
            self.offline_peers.add(username)

    def set_logged_in(self, logged_in: bool) -> None:
        with self.lock:
            self.logged_in = logged_in

    def advance(self, steps: int = 1) -> None:
        """Move every open search and transfer `steps` steps."""
        with self.lock:
            for _ in range(steps):
                for search in list(self.searches.values()):
                    self._advance_search(search)
                for transfer in list(self.transfers.values()):
                    self._advance_transfer(transfer)

    def restart(self, *, requeue: bool = True) -> list[FakeTransfer]:
        """What a daemon restart does: running searches end TimedOut with nothing, active
        downloads end Errored "Application shut down", then are re-enqueued under new ids."""
        with self.lock:
            now = _now()
            for search in self.searches.values():
                if not search.state.startswith("Completed"):
                    search.state, search.ended_at, search.written = "Completed, TimedOut", now, []
            requeued = []
            for transfer in list(self.transfers.values()):
                if transfer.terminal:
                    continue
                transfer.state, transfer.ended_at = "Completed, Errored", now
                transfer.exception = "Application shut down"
                if requeue:
                    requeued.append(
                        self._create_transfer(transfer.username, transfer.filename, transfer.size)
                    )
            return requeued

    def transfers_for(self, username: str, filename: str) -> list[FakeTransfer]:
        with self.lock:
            return [
                t
                for t in self.transfers.values()
                if t.username == username and t.filename == filename
            ]

    # -- routing ---------------------------------------------------------------------------------
    def _register_routes(self) -> None:
        routes = [
            ("GET", "/health", self._health),
            ("GET", f"{API}/session", lambda r: Reply.empty(200)),
            ("GET", f"{API}/session/enabled", lambda r: Reply.json(self.auth_enabled)),
            ("GET", f"{API}/server", lambda r: Reply.json(self._server_json())),
            ("GET", f"{API}/application", lambda r: Reply.json(self._application_json())),
            ("GET", f"{API}/application/version", lambda r: Reply.json(self.version)),
            ("POST", f"{API}/searches", self._post_search),
            ("GET", f"{API}/searches", self._list_searches),
            ("GET", f"{API}/searches/{ID}", self._get_search),
            ("GET", f"{API}/searches/{ID}/responses", self._get_responses),
            ("PUT", f"{API}/searches/{ID}", self._stop_search),
            ("DELETE", f"{API}/searches/{ID}", self._delete_search),
            ("DELETE", f"{API}/transfers/downloads/all/completed", self._remove_completed),
            ("POST", f"{API}/transfers/downloads/{USER}", self._enqueue),
            ("GET", f"{API}/transfers/downloads", self._list_downloads),
            ("GET", f"{API}/transfers/downloads/{USER}", self._user_downloads),
            ("GET", f"{API}/transfers/downloads/{USER}/{ID}", self._get_transfer),
            ("GET", f"{API}/transfers/downloads/{USER}/{ID}/position", self._position),
            ("DELETE", f"{API}/transfers/downloads/{USER}/{ID}", self._cancel),
            ("GET", f"{API}/users/{USER}/status", self._user_status),
            ("GET", f"{API}/events", self._events),
        ]
        for method, pattern, handler in routes:
            self.route(method, pattern, handler)

    def authorize(self, request: Request) -> Reply | None:
        public = request.raw_path in ("/health", f"{API}/session/enabled")
        if public or not self.auth_enabled:
            return None
        if request.headers.get("x-api-key") != self.api_key:
            return Reply.empty(401)
        content_type = request.headers.get("content-type", "")
        if request.body and "application/json" not in content_type:
            return Reply.empty(415)
        return None

    def _health(self, request: Request) -> Reply:
        return Reply.text("Healthy")

    # -- server and application ------------------------------------------------------------------
    def _server_json(self) -> dict[str, Any]:
        state = "Connected, LoggedIn" if self.logged_in else "Disconnected"
        data: dict[str, Any] = {
            "address": "vps.slsknet.org:2271",
            "state": state,
            "isConnected": self.logged_in,
            "isConnecting": False,
            "isLoggedIn": self.logged_in,
            "isLoggingIn": False,
            "isTransitioning": False,
        }
        if self.logged_in:
            data["ipEndPoint"] = "208.76.170.59:2271"
        return data

    def _application_json(self) -> dict[str, Any]:
        return {
            "version": {
                "full": f"{self.version}+fake",
                "current": self.version,
                "latest": self.version,
                "isUpdateAvailable": False,
                "isCanary": False,
                "isDevelopment": False,
            },
            "server": self._server_json(),
            "user": {"username": "harmony-bot", "privileges": {"isPrivileged": False}},
            "shares": {"ready": True, "scanning": False, "faulted": False, "files": 120},
            "pendingReconnect": False,
            "pendingRestart": False,
        }

    # -- searches --------------------------------------------------------------------------------
    def _post_search(self, request: Request) -> Reply:
        if self._in_flight["search"] >= 1:
            return Reply.json("Only one concurrent operation is permitted. Wait and retry", 429)
        body = _json_object(request)
        if body is None:
            return Reply.json("A non-empty request body is required", 400)
        text = str(body.get("searchText") or "")
        if not [term for term in text.split() if len(term.lstrip("-")) >= 2]:
            return Reply.json("Search text must contain at least one term of 2+ characters", 400)
        if not self.logged_in:
            return Reply.json("The server connection must be connected and logged in", 409)
        search_id = str(body.get("id") or uuid.uuid4())
        if search_id in self.searches:
            return Reply.json(f"A search with id {search_id} already exists", 500)
        search = FakeSearch(
            id=search_id,
            search_text=text,
            token=len(self.searches) + 5000,
            script=self._search_script(text),
            request=body,
            started_at=_now(),
        )
        running = [s for s in self.searches.values() if s.state == "InProgress"]
        search.state = "Queued" if len(running) >= 2 else "InProgress"
        self.searches[search_id] = search
        return self._in_flight_reply("search", Reply.json(self._search_json(search)))

    def _search_script(self, text: str) -> SearchScript:
        for match, script in self._search_scripts:
            if match in text.casefold():
                return script
        return self.default_search

    def _advance_search(self, search: FakeSearch) -> None:
        if search.ended_at is not None:
            return
        if search.state == "Queued":
            running = [s for s in self.searches.values() if s.state == "InProgress"]
            if len(running) < 2:
                search.state = "InProgress"
            return
        search.step += 1
        script = search.script
        if search.step <= script.running_polls:
            return
        search.state = self._end_state(search)
        if script.lag_poll and search.step == script.running_polls + 1:
            return  # final state before responses are written: no endedAt yet
        self._finish_search(search)

    def _end_state(self, search: FakeSearch) -> str:
        limit = int(search.request.get("responseLimit") or 250)
        if len(search.script.responses) >= limit:
            return "Completed, ResponseLimitReached"
        return search.script.end_state

    def _finish_search(self, search: FakeSearch, *, received: int | None = None) -> None:
        search.ended_at = _now()
        responses = search.script.responses
        if search.state == "Completed, Errored":
            responses = []
        limit = int(search.request.get("responseLimit") or 250)
        count = min(len(responses), limit, received if received is not None else limit)
        search.written = responses[:count]

    def _received(self, search: FakeSearch) -> list[dict[str, Any]]:
        """Responses counted so far: they arrive spread over the running polls."""
        if search.ended_at is not None:
            return search.written
        responses, polls = search.script.responses, max(search.script.running_polls, 1)
        share = min(search.step, polls) / polls
        return responses[: round(len(responses) * share)]

    def _search_json(self, search: FakeSearch, *, with_responses: bool = False) -> dict[str, Any]:
        received = self._received(search)
        request = search.request
        data: dict[str, Any] = {
            "fileCount": sum(len(r["files"]) for r in received),
            "fileLimit": int(request.get("fileLimit") or 25000),
            "filterResponses": bool(request.get("filterResponses", True)),
            "id": search.id,
            "isComplete": search.state.startswith("Completed"),
            "lockedFileCount": sum(len(r.get("lockedFiles", [])) for r in received),
            "responseCount": len(received),
            "responseLimit": int(request.get("responseLimit") or 250),
            "responses": search.written if with_responses else [],
            "searchText": search.search_text,
            "searchTimeout": int(request.get("searchTimeout") or 15000),
            "startedAt": dotnet_time(search.started_at),
            "state": search.state,
            "token": search.token,
        }
        if search.ended_at is not None:
            data["endedAt"] = dotnet_time(search.ended_at)
        return data

    def _find_search(self, request: Request) -> FakeSearch | None:
        return self.searches.get(request.params["id"])

    def _list_searches(self, request: Request) -> Reply:
        return Reply.json([self._search_json(s) for s in self.searches.values()])

    def _get_search(self, request: Request) -> Reply:
        search = self._find_search(request)
        if search is None:
            return Reply.empty(404)
        if self.mode == "poll":
            self._advance_search(search)
        wanted = (request.arg("includeResponses") or "").lower() == "true"
        return Reply.json(self._search_json(search, with_responses=wanted))

    def _get_responses(self, request: Request) -> Reply:
        search = self._find_search(request)
        if search is None:
            return Reply.empty(404)
        return Reply.json(search.written)

    def _stop_search(self, request: Request) -> Reply:
        search = self._find_search(request)
        if search is None:
            return Reply.empty(404)
        if search.ended_at is None:
            received = len(self._received(search))
            search.state = "Completed, Cancelled"
            self._finish_search(search, received=received)
        return Reply.empty(200)

    def _delete_search(self, request: Request) -> Reply:
        if self.searches.pop(request.params["id"], None) is None:
            return Reply.empty(404)
        return Reply.empty(204)

    # -- downloads -------------------------------------------------------------------------------
    def _enqueue(self, request: Request) -> Reply:
        username = request.params["username"]
        if self._in_flight["download"] >= 2:
            return Reply.json("Only two concurrent operations are permitted", 429)
        files = request.json() if request.body else None
        problem = self._enqueue_problem(files)
        if problem:
            return Reply.json(problem, 400)
        if username in self.offline_peers:
            return Reply.json(f"User {username} appears to be offline", 500)
        enqueued, failed = [], []
        for item in files:
            filename, size = str(item["filename"]), int(item.get("size") or 0)
            if self._active_transfer(username, filename):
                failed.append({} if self._version >= REQUEUE_VERSION else filename)
                continue
            for old in self.transfers_for(username, filename):
                old.removed = True
            enqueued.append(self._transfer_json(self._create_transfer(username, filename, size)))
        body = Reply.json({"enqueued": enqueued, "failed": failed}, 201)
        if self.enqueue_faults:  # it took effect, but the answer says otherwise
            body = self.enqueue_faults.pop(0)
        return self._in_flight_reply("download", body)

    def _enqueue_problem(self, files: Any) -> str:
        if not isinstance(files, list) or not files:
            return "At least one file is required"
        if any(not isinstance(item, dict) or "filename" not in item for item in files):
            return "Files must not be null"
        if self._version >= REQUEUE_VERSION:
            for item in files:
                segments = str(item["filename"]).replace("\\", "/").split("/")
                if any(segment in (".", "..") for segment in segments):
                    return f"Filename {item['filename']} contains a relative path segment"
        return ""

    def _active_transfer(self, username: str, filename: str) -> bool:
        return any(not t.terminal for t in self.transfers_for(username, filename))

    def _create_transfer(self, username: str, filename: str, size: int) -> FakeTransfer:
        script = self._file_scripts.get((username, filename)) or self._peer_scripts.get(
            username, TransferScript()
        )
        transfer = FakeTransfer(
            id=str(uuid.uuid4()),
            username=username,
            filename=filename,
            size=size,
            script=script,
            requested_at=_now(),
        )
        self.transfers[transfer.id] = transfer
        return transfer

    def _in_flight_reply(self, kind: str, reply: Reply) -> Reply:
        """Count the POST as in flight until its answer is sent (`post_latency` widens that)."""
        self._in_flight[kind] += 1

        def done() -> None:
            with self.lock:
                self._in_flight[kind] -= 1

        reply.hold, reply.after = self.post_latency, done
        return reply

    def _advance_transfer(self, transfer: FakeTransfer) -> None:
        if transfer.cancel_requested and not transfer.terminal:
            self._end_transfer(transfer, "Completed, Cancelled", "Transfer cancelled")
            return
        step = _TRANSFER_STEPS.get(transfer.state)
        if step is not None:
            step(self, transfer)
        elif transfer.state == "Completed, Succeeded" and not transfer.moved:
            self._deliver(transfer)
        elif transfer.state in ("Completed, Errored", "Completed, TimedOut"):
            self._maybe_retry(transfer)

    def _step_queued_locally(self, transfer: FakeTransfer) -> None:
        transfer.state = "Requested"

    def _step_requested(self, transfer: FakeTransfer) -> None:
        if transfer.outcome() == "rejected":
            self._fail(transfer, "rejected")
            return
        transfer.state, transfer.phase_polls = "Queued, Remotely", 0
        transfer.enqueued_at = transfer.enqueued_at or _now()

    def _step_queued_remotely(self, transfer: FakeTransfer) -> None:
        transfer.phase_polls += 1
        outcome = transfer.outcome()
        if outcome == "stall" or transfer.phase_polls < transfer.script.remote_queue_polls:
            return
        if outcome == "timed_out":
            self._fail(transfer, "timed_out")
            return
        transfer.state = "Initializing"

    def _step_initializing(self, transfer: FakeTransfer) -> None:
        content = self._content(transfer)
        if transfer.outcome() == "aborted" or transfer.size != len(content):
            self._fail(transfer, "aborted")
            return
        transfer.state, transfer.phase_polls = "InProgress", 0
        transfer.started_at = _now()

    def _step_in_progress(self, transfer: FakeTransfer) -> None:
        transfer.phase_polls += 1
        polls = max(transfer.script.progress_polls, 1)
        if transfer.outcome() == "errored" and transfer.phase_polls * 2 >= polls:
            self._fail(transfer, "errored")
            return
        done = min(transfer.phase_polls, polls)
        transfer.bytes_transferred = max(transfer.bytes_transferred, transfer.size * done // polls)
        if transfer.phase_polls >= polls:
            self._end_transfer(transfer, "Completed, Succeeded", None)

    def _fail(self, transfer: FakeTransfer, outcome: str) -> None:
        reason = transfer.script.reason or REASONS[outcome]
        self._end_transfer(transfer, FAILED_STATES[outcome], reason)

    def _end_transfer(self, transfer: FakeTransfer, state: str, exception: str | None) -> None:
        transfer.state, transfer.exception, transfer.ended_at = state, exception, _now()
        transfer.place_in_queue = None

    def _maybe_retry(self, transfer: FakeTransfer) -> None:
        """slskd 0.26 retries Errored/TimedOut under the same id (not after a restart)."""
        retryable = self._version >= REQUEUE_VERSION and transfer.exception != (
            "Application shut down"
        )
        if retryable and transfer.attempts <= transfer.script.retries:
            transfer.attempts += 1
            transfer.state, transfer.ended_at, transfer.exception = "Queued, Locally", None, None

    def _deliver(self, transfer: FakeTransfer) -> None:
        """The move after "Completed, Succeeded": a real file, then the completion event."""
        transfer.moved = True
        if transfer.outcome() == "move_fails":
            return
        target = self._destination(transfer.filename)
        target.parent.mkdir(parents=True, exist_ok=True)
        content = self._content(transfer)
        if transfer.script.delivered_bytes is not None:
            content = content[: transfer.script.delivered_bytes]
        target.write_bytes(content)
        transfer.local_path = target
        local = PurePosixPath(self.slskd_downloads_dir) / target.relative_to(self.downloads_dir)
        self._add_event(
            "DownloadFileComplete",
            {
                "localFilename": str(local),
                "remoteFilename": transfer.filename,
                "transfer": self._transfer_json(transfer),
            },
        )

    def _destination(self, remote: str) -> Path:
        """`<downloads>/<remote parent dir name>/<name>`, sanitised like slskd on Linux, with
        `_<18-digit ticks>` before the extension when the name is taken."""
        segments = [s for s in remote.replace("\\", "/").split("/") if s]
        segments = ["_" if s in (".", "..") else s.replace("\0", "_") for s in segments]
        name = segments[-1] if segments else "_"
        folder = self.downloads_dir / segments[-2] if len(segments) > 1 else self.downloads_dir
        target = folder / name
        if target.exists():
            stem, dot, ext = name.rpartition(".")
            stem, ext = (stem, dot + ext) if dot and stem else (name, "")
            target = folder / f"{stem}_{_ticks()}{ext}"
        return target

    def _content(self, transfer: FakeTransfer) -> bytes:
        content = self._contents.get((transfer.username, transfer.filename))
        if content is not None:
            return content
        repeats = transfer.size // len(DEFAULT_CONTENT) + 1
        return (DEFAULT_CONTENT * repeats)[: transfer.size]

    def _transfer_json(self, transfer: FakeTransfer) -> dict[str, Any]:
        now = _now()
        data: dict[str, Any] = {
            "id": transfer.id,
            "username": transfer.username,
            "direction": "Download",
            "filename": transfer.filename,
            "size": transfer.size,
            "state": transfer.state,
            "requestedAt": dotnet_time(transfer.requested_at, utc_suffix=False),
            "bytesTransferred": transfer.bytes_transferred,
            "averageSpeed": 250000.0 if transfer.bytes_transferred else 0.0,
            "bytesRemaining": transfer.size - transfer.bytes_transferred,
            "percentComplete": 100.0 * transfer.bytes_transferred / transfer.size
            if transfer.size
            else 0.0,
        }
        if self._version >= REQUEUE_VERSION:
            data.update({"attempts": transfer.attempts, "removed": transfer.removed})
        else:
            data.update({"startOffset": 0, "stateDescription": transfer.state})
        optional = {
            "enqueuedAt": transfer.enqueued_at
            and dotnet_time(transfer.enqueued_at, utc_suffix=False),
            "startedAt": transfer.started_at and dotnet_time(transfer.started_at),
            "endedAt": transfer.ended_at and dotnet_time(transfer.ended_at),
            "exception": transfer.exception,
            "placeInQueue": transfer.place_in_queue,
            "elapsedTime": transfer.started_at
            and timespan((transfer.ended_at or now) - transfer.started_at),
        }
        data.update({k: v for k, v in optional.items() if v is not None})
        return data

    def _visible(self, request: Request) -> list[FakeTransfer]:
        include_removed = (request.arg("includeRemoved") or "").lower() == "true"
        return [t for t in self.transfers.values() if include_removed or not t.removed]

    def _poll(self, transfers: list[FakeTransfer]) -> None:
        if self.mode == "poll":
            for transfer in transfers:
                self._advance_transfer(transfer)

    def _list_downloads(self, request: Request) -> Reply:
        visible = self._visible(request)
        self._poll(visible)
        users = sorted({t.username for t in visible})
        return Reply.json([self._user_json(u, visible) for u in users])

    def _user_downloads(self, request: Request) -> Reply:
        username = request.params["username"]
        visible = [t for t in self._visible(request) if t.username == username]
        if not visible:
            return Reply.empty(404)
        self._poll(visible)
        return Reply.json(self._user_json(username, visible))

    def _user_json(self, username: str, transfers: list[FakeTransfer]) -> dict[str, Any]:
        directories: dict[str, list[FakeTransfer]] = {}
        for transfer in transfers:
            if transfer.username == username:
                parent = transfer.filename.replace("/", "\\").rpartition("\\")[0]
                directories.setdefault(parent, []).append(transfer)
        return {
            "username": username,
            "directories": [
                {
                    "directory": directory,
                    "fileCount": len(files),
                    "files": [self._transfer_json(t) for t in files],
                }
                for directory, files in directories.items()
            ],
        }

    def _lookup(self, request: Request) -> FakeTransfer | Reply:
        transfer_id = request.params["id"]
        try:
            uuid.UUID(transfer_id)
        except ValueError:
            return Reply.json(f"The value '{transfer_id}' is not valid.", 400)
        transfer = self.transfers.get(transfer_id)
        if transfer is None or transfer.username != request.params["username"]:
            return Reply.empty(404)
        return transfer

    def _get_transfer(self, request: Request) -> Reply:
        found = self._lookup(request)
        if isinstance(found, Reply):
            return found
        self._poll([found])
        return Reply.json(self._transfer_json(found))

    def _position(self, request: Request) -> Reply:
        found = self._lookup(request)
        if isinstance(found, Reply):
            return found
        if found.state != "Queued, Remotely":
            return Reply.json(f"Failed to retrieve place in queue for {found.filename}", 500)
        found.place_in_queue = found.script.place_in_queue
        return Reply.json(found.place_in_queue)

    def _cancel(self, request: Request) -> Reply:
        try:
            uuid.UUID(request.params["id"])
        except ValueError:
            return Reply.json("The value is not valid.", 400)
        transfer = self.transfers.get(request.params["id"])
        if transfer is None:
            return Reply.empty(204)  # slskd answers 204 even for unknown ids
        remove = (request.arg("remove") or "").lower() == "true"
        if not transfer.terminal:
            transfer.cancel_requested = True  # asynchronous, like slskd
        elif remove:
            transfer.removed = True
        return Reply.empty(204)

    def _remove_completed(self, request: Request) -> Reply:
        for transfer in self.transfers.values():
            if transfer.terminal:
                transfer.removed = True
        return Reply.empty(204)

    def _user_status(self, request: Request) -> Reply:
        username = request.params["username"]
        if username in self.offline_peers:
            return Reply.json(f"User {username} appears to be offline", 404)
        return Reply.json({"isPrivileged": False, "presence": "Online"})

    # -- events ----------------------------------------------------------------------------------
    def _add_event(self, kind: str, data: dict[str, Any]) -> None:
        self.events.append(
            {
                "id": str(uuid.uuid4()),
                "timestamp": dotnet_time(_now()),
                "type": kind,
                "data": json.dumps(data),
            }
        )

    def _events(self, request: Request) -> Reply:
        offset = int(request.arg("offset") or 0)
        limit = int(request.arg("limit") or 100)
        newest_first = list(reversed(self.events))
        page = newest_first[offset : offset + limit]
        return Reply.json(page, **{"X-Total-Count": str(len(self.events))})

    @property
    def _version(self) -> tuple[int, ...]:
        return tuple(int(part) for part in self.version.split(".")[:2])


_TRANSFER_STEPS = {
    "Queued, Locally": FakeSlskd._step_queued_locally,
    "Requested": FakeSlskd._step_requested,
    "Queued, Remotely": FakeSlskd._step_queued_remotely,
    "Initializing": FakeSlskd._step_initializing,
    "InProgress": FakeSlskd._step_in_progress,
}


def _json_object(request: Request) -> dict[str, Any] | None:
    try:
        body = request.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _now() -> datetime:
    return datetime.now(UTC)


_last_ticks = 0


def _ticks() -> str:
    """.NET UTC ticks (100 ns since year 1), 18 digits, strictly increasing."""
    global _last_ticks
    epoch = datetime(1, 1, 1, tzinfo=UTC)
    ticks = (_now() - epoch) // timedelta(microseconds=1) * 10
    _last_ticks = max(ticks, _last_ticks + 1)
    return str(_last_ticks)


# -- scenarios for hand-started fakes (`--scenario NAME`) ------------------------------------------
def scenario_default(fake: FakeSlskd) -> None:
    """Every search finds the sample set; every download succeeds."""
    fake.default_search = SearchScript(responses=sample_responses())


def scenario_flaky(fake: FakeSlskd) -> None:
    """Sample results, but `flac_lover` rejects, `slash_user` times out, a 502 burst first."""
    scenario_default(fake)
    fake.script_transfer("flac_lover", outcome="rejected")
    fake.script_transfer("slash_user", outcome="timed_out", remote_queue_polls=3)
    fake.inject("GET", f"{API}/server", Reply.html(502), times=2)


def scenario_logged_out(fake: FakeSlskd) -> None:
    """Reachable, key accepted, but not logged in to the Soulseek server."""
    fake.set_logged_in(False)


SCENARIOS = {
    "default": scenario_default,
    "flaky": scenario_flaky,
    "logged-out": scenario_logged_out,
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the fake slskd on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=5030)
    parser.add_argument("--downloads-dir", type=Path, required=True)
    parser.add_argument("--api-key", default="test-api-key-0123456789")
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="default")
    parser.add_argument("--mode", choices=("auto", "poll", "manual"), default="auto")
    parser.add_argument("--version", default="0.26.0", dest="slskd_version")
    parser.add_argument("--tick", type=float, default=0.5, help="auto mode: seconds per step")
    args = parser.parse_args(argv)
    fake = FakeSlskd(
        downloads_dir=args.downloads_dir,
        api_key=args.api_key,
        version=args.slskd_version,
        mode=args.mode,
        port=args.port,
        auto_interval=args.tick,
    )
    SCENARIOS[args.scenario](fake)
    fake.start()
    print(f"fake slskd {args.slskd_version} ({args.scenario}, {args.mode}) on {fake.url}")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
