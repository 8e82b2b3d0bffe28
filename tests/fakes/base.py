"""A reusable base for fake provider servers: a real threaded HTTP server on 127.0.0.1.

Subclasses register routes (`self.route("GET", r"/api/v0/server", self.get_server)`); each
handler receives a `Request` and returns a `Reply`. Every request is recorded (with a monotonic
timestamp) in `server.requests`, and one-shot `Reply`s can be injected in front of any route
(`server.inject("GET", r"/api/v0/server", Reply.html(502), times=3)`) to script 5xx bursts,
malformed bodies, 429s and slow answers without touching the subclass.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass
class Request:
    method: str
    path: str  # percent-decoded
    raw_path: str  # as sent, without the query
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    at: float  # time.monotonic() when it arrived
    params: dict[str, str] = field(default_factory=dict)  # named groups of the matched route

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    hold: float = 0.0  # seconds to hold the answer (read-timeout tests); released on stop()
    after: Callable[[], None] | None = None  # runs once the answer is sent (in-flight counts)

    @classmethod
    def json(cls, payload: Any, status: int = 200, **headers: str) -> Reply:
        # A lone surrogate (a peer's broken file name) travels as a JSON \u escape, as real
        # servers send it: inside a JSON string, backslashreplace writes exactly that escape.
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8", "backslashreplace")
        return cls(status, body, {"Content-Type": "application/json; charset=utf-8", **headers})

    @classmethod
    def empty(cls, status: int = 200, **headers: str) -> Reply:
        return cls(status, b"", dict(headers))

    @classmethod
    def text(cls, text: str, status: int = 200, content_type: str = "text/plain") -> Reply:
        return cls(status, text.encode(), {"Content-Type": f"{content_type}; charset=utf-8"})

    @classmethod
    def html(cls, status: int = 502, title: str = "Bad Gateway") -> Reply:
        page = f"<html><head><title>{status} {title}</title></head><body>{title}</body></html>"
        return cls.text(page, status, "text/html")

    @classmethod
    def truncated_json(cls, status: int = 200) -> Reply:
        return cls(status, b'{"id": "3f2c", "state": "InPro', {"Content-Type": "application/json"})


Handler = Callable[[Request], Reply]


@dataclass
class _Injection:
    method: str
    pattern: re.Pattern[str]
    replies: list[Reply]


class FakeServer:
    """Start/stop as a context manager; `url` is `http://127.0.0.1:<free port>`."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.lock = threading.RLock()  # guards all fake state; handlers run under it
        self.requests: list[Request] = []
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._injections: list[_Injection] = []
        self._delays: list[_Injection] = []
        self._released = threading.Event()
        self._connections: set[socket.socket] = set()  # open keep-alive connections
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> FakeServer:
        self._released.clear()
        self._httpd = ThreadingHTTPServer((self.host, self.port), _make_handler(self))
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._released.set()  # let held (slow) replies finish so shutdown does not hang
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        # A stopped daemon drops its connections too; otherwise keep-alive sessions would go
        # on talking to a "dead" server.
        with self.lock:
            connections, self._connections = set(self._connections), set()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- scripting ---------------------------------------------------------------------------
    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self._routes.append((method, re.compile(pattern + r"\Z"), handler))

    def inject(self, method: str, pattern: str, *replies: Reply, times: int = 1) -> None:
        """Answer the next matching request(s) with these replies (each `times` times)."""
        queue = [reply for reply in replies for _ in range(times)]
        with self.lock:
            self._injections.append(_Injection(method, re.compile(pattern + r"\Z"), queue))

    def delay(self, method: str, pattern: str, seconds: float, *, times: int = 1) -> None:
        """Hold the next matching real answer(s) `seconds` (slow responses, read timeouts)."""
        hold = Reply(hold=seconds)
        with self.lock:
            self._delays.append(_Injection(method, re.compile(pattern + r"\Z"), [hold] * times))

    def release_held(self) -> None:
        self._released.set()

    def requests_to(self, method: str, pattern: str) -> list[Request]:
        regex = re.compile(pattern + r"\Z")
        with self.lock:
            return [r for r in self.requests if r.method == method and regex.match(r.raw_path)]

    # -- dispatch ----------------------------------------------------------------------------
    def authorize(self, request: Request) -> Reply | None:
        """Hook for subclasses: return a reply to refuse the request before routing."""
        return None

    def dispatch(self, request: Request) -> Reply:
        with self.lock:
            self.requests.append(request)
            injected = _take(self._injections, request)
            if injected is not None:
                return injected
            delayed = _take(self._delays, request)
            reply = self._route(request)
            if delayed is not None:
                reply.hold = delayed.hold
            return reply

    def _route(self, request: Request) -> Reply:
        refused = self.authorize(request)
        if refused is not None:
            return refused
        for method, pattern, handler in self._routes:
            match = pattern.match(request.raw_path)
            if match and method == request.method:
                request.params = {k: unquote(v) for k, v in match.groupdict().items()}
                return handler(request)
        return Reply.empty(404)

    def hold(self, seconds: float) -> None:
        """Wait (outside the state lock) until `seconds` pass or the server is stopped."""
        self._released.wait(seconds)


def _take(queue: list[_Injection], request: Request) -> Reply | None:
    for injection in queue:
        if injection.method == request.method and injection.pattern.match(request.raw_path):
            reply = injection.replies.pop(0)
            if not injection.replies:
                queue.remove(injection)
            return reply
    return None


def _make_handler(server: FakeServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return  # keep test output quiet; `server.requests` is the record

        def setup(self) -> None:
            super().setup()
            with server.lock:
                server._connections.add(self.connection)

        def finish(self) -> None:
            with server.lock:
                server._connections.discard(self.connection)
            with contextlib.suppress(OSError):
                super().finish()

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            request = Request(
                method=self.command,
                path=unquote(parts.path),
                raw_path=parts.path,
                query=parse_qs(parts.query, keep_blank_values=True),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
                at=time.monotonic(),
            )
            reply = server.dispatch(request)
            try:
                if reply.hold:
                    server.hold(reply.hold)
                self._write(reply)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up (read-timeout tests)
            finally:
                if reply.after is not None:
                    reply.after()

        def _write(self, reply: Reply) -> None:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(reply.body)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _serve  # noqa: N815

    return _Handler
