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


class FakeNtfy(FakeServer):
    """A fake ntfy server (https://docs.ntfy.sh/publish/): Apprise's `ntfy://` publishes as JSON
    to `/` (`{"topic", "title", "message"}`); ntfy answers with the stored message. With
    `user`/`password` set, Basic auth is required (401 `{"code": 40101, …}` otherwise)."""

    def __init__(self, *, user: str = "", password: str = "") -> None:
        super().__init__()
        self.credentials = (user, password) if user else None
        self.messages: list[dict] = []
        self.route("POST", r"/", self._publish)

    def authorize(self, request: Request) -> Reply | None:
        if self.credentials is None:
            return None
        import base64

        expected = base64.b64encode(":".join(self.credentials).encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}":
            return Reply.json({"code": 40101, "http": 401, "error": "unauthorized"}, 401)
        return None

    def _publish(self, request: Request) -> Reply:
        body = request.json() or {}
        if not body.get("topic"):
            return Reply.json(
                {"code": 40009, "http": 400, "error": "invalid request: topic invalid"}, 400
            )
        message = {
            "id": f"m{len(self.messages) + 1}",
            "time": 1767225600,
            "event": "message",
            "topic": body["topic"],
            "title": body.get("title", ""),
            "message": body.get("message", ""),
        }
        self.messages.append(message)
        return Reply.json(message)

    def apprise_url(self, topic: str = "harmony") -> str:
        auth = f"{self.credentials[0]}:{self.credentials[1]}@" if self.credentials else ""
        return f"ntfy://{auth}{self.host}:{self.port}/{topic}"
