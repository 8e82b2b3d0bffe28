"""A fake HTTP receiver on 127.0.0.1: a webhook endpoint and the far end of Apprise's `json://`
(which POSTs `{"version", "title", "message", "type", "attachments"}`) and `ntfy://` URLs.

Every POST to any path is recorded in `received` and answered with `status` (default 200);
`inject` scripts failures as on every fake (`receiver.inject("POST", r"/.*", Reply.empty(503))`).
"""

from __future__ import annotations

from tests.fakes.base import FakeServer, Reply, Request


class FakeReceiver(FakeServer):
    def __init__(self, *, status: int = 200) -> None:
        super().__init__()
        self.status = status
        self.received: list[Request] = []
        self.route("POST", r"/.*", self._receive)
        self.route("PUT", r"/.*", self._receive)

    def _receive(self, request: Request) -> Reply:
        self.received.append(request)
        return Reply.json({"ok": self.status < 300}, self.status)

    def apprise_url(self, path: str = "/notify") -> str:
        """An Apprise `json://` URL that reaches this receiver."""
        return f"json://{self.host}:{self.port}{path}"
