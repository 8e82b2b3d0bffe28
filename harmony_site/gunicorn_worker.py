"""gunicorn's threaded worker, hardened against slow clients (`harmony_serve` runs it).

gunicorn's `gthread` hands a connection to a thread as soon as its first byte arrives, and
the thread then blocks until the request head is complete. A few clients sending their
headers a byte at a time therefore hold every thread, and health probes time out. This
worker reads request heads in its event loop instead, without a thread, as nginx does:

- a connection reaches the thread pool only once its head is complete (or too large, so the
  parser answers 414/431), with the bytes read so far handed back to gunicorn's parser;
- a head not complete within `HEAD_TIMEOUT_S` is dropped;
- kept-alive connections go through the same step for their next request.

It also answers gunicorn's own 414 and 431 errors under `/api/` in the API's JSON error
shape instead of gunicorn's HTML page. TLS is left to the reverse proxy; with gunicorn's own
TLS (`certfile`) the worker behaves exactly like `gthread`.
"""

from __future__ import annotations

import contextlib
import errno
import json
import selectors
import threading
import time
from functools import partial
from typing import Any

from gunicorn.http.errors import LimitRequestHeaders, LimitRequestLine
from gunicorn.workers.gthread import TConn, ThreadWorker

HEAD_TIMEOUT_S = 10.0  # a real client sends its head in milliseconds
MAX_HEAD_BYTES = 64 * 1024  # past this the parser decides (it refuses heads this large)
READ_SIZE = 8192
_API_ERRORS: dict[type[Exception], tuple[int, str, str]] = {
    LimitRequestLine: (414, "URI Too Long", "uri_too_long"),
    LimitRequestHeaders: (431, "Request Header Fields Too Large", "header_fields_too_large"),
}


class HeadConn(TConn):
    """A connection plus the request head read so far by the event loop."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.head = bytearray()


def head_is_complete(head: bytearray, searched_up_to: int) -> bool:
    # Only the new bytes (and three before them) are searched: a byte-a-time client must not
    # make each read rescan the whole head.
    window = bytes(head[max(0, searched_up_to - 3) :])
    return b"\r\n\r\n" in window or b"\n\n" in window


def is_api_request(head: bytes) -> bool:
    """True when the request line in `head` asks for a path under `/api/`."""
    _method, _, rest = head.partition(b" ")
    return rest.startswith(b"/api/")


class HarmonyThreadWorker(ThreadWorker):
    """`gthread` that waits for complete request heads without holding a thread."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._current = threading.local()  # the head the handling thread is serving

    def accept(self, listener: Any) -> None:
        if self.cfg.is_ssl:
            super().accept(listener)
            return
        try:
            sock, addr = listener.accept()
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        self._await_head(HeadConn(self.cfg, sock, addr, listener.getsockname()))

    def on_client_socket_readable(self, conn: Any, client: Any) -> None:
        if not isinstance(conn, HeadConn):
            super().on_client_socket_readable(conn, client)
            return
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        self._await_head(conn)

    def _await_head(self, conn: HeadConn) -> None:
        conn.sock.setblocking(False)
        conn.timeout = time.monotonic() + HEAD_TIMEOUT_S
        self.pending_conns.append(conn)  # murder_pending() drops it after the timeout
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._read_head, conn))

    def _read_head(self, conn: HeadConn, _fileobj: Any) -> None:
        try:
            chunk = conn.sock.recv(READ_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            chunk = b""
        if not chunk:  # the client left before finishing its head
            self._forget_pending(conn)
            self.nr_conns -= 1
            conn.close()
            return
        searched = len(conn.head)
        conn.head += chunk
        if head_is_complete(conn.head, searched) or len(conn.head) > MAX_HEAD_BYTES:
            self._forget_pending(conn)
            conn.data_ready = True
            self.enqueue_req(conn)

    def _forget_pending(self, conn: HeadConn) -> None:
        self.poller.unregister(conn.sock)
        self.pending_conns.remove(conn)

    def handle(self, conn: Any) -> Any:
        head = bytes(getattr(conn, "head", b""))
        self._current.head = head
        if head:
            conn.head.clear()
            conn.sock.setblocking(True)
            conn.init()
            conn.parser.unreader.unread(head)  # the parser reads what the loop already read
        return super().handle(conn)

    def handle_error(self, req: Any, client: Any, addr: Any, exc: Exception) -> None:
        known = _API_ERRORS.get(type(exc))
        if known is None or not is_api_request(getattr(self._current, "head", b"")):
            super().handle_error(req, client, addr, exc)
            return
        status, reason, code = known
        self.log.warning("Invalid request from ip=%s: %s", (addr or ("",))[0], exc)
        write_json_error(client, status, reason, code)


def write_json_error(client: Any, status: int, reason: str, code: str) -> None:
    """Send the API's error shape (`harmony_site.api.exceptions.error_body`) and close."""
    from harmony_site.api.exceptions import error_body  # Django is loaded by now

    body = json.dumps(error_body(code, f"{reason}.")).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode("latin-1")
    with contextlib.suppress(OSError):  # the client is gone; nothing to answer
        client.sendall(head + body)
