"""A whole Harmony on loopback for the smoke test and the drill: fake slskd, fake Spotify and
`manage.py harmony_serve`, each a subprocess, all under one temporary root.

    with Stack(root, tracks=1) as stack:
        stack.start_harmony()
        stack.api("POST", "/api/v1/downloads", {...})

Everything binds 127.0.0.1 on free ports; logs go to `<root>/logs/*.log`.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from http.client import HTTPException
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
# Variables of the calling environment that would point Harmony at shared state.
DROPPED = ("DATABASE_URL", "HARMONY_BROKER_URL", "HARMONY_API_KEYS", "HARMONY_TEST_DB_NAME")
SLSKD_API_KEY = "live-stack-slskd-key-0123456789"


class StackError(Exception):
    """A step of the live run failed; the message says which and why."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check: Any, *, timeout: float, what: str, interval: float = 0.2) -> Any:
    """Poll `check()` until it returns something truthy, or raise StackError at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise StackError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)  # polling a subprocess with a deadline


def http(
    method: str, url: str, body: Any = None, *, headers: dict[str, str] | None = None,
    timeout: float = 10.0,
) -> tuple[int, Any]:  # fmt: skip
    """(status, parsed JSON or text); connection failures are status 0."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, _decode(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, _decode(exc.read())
    except (urllib.error.URLError, OSError, HTTPException):
        return 0, None


def _decode(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")


class Stack:
    """The fakes start on entry; `start_harmony()` starts harmony_serve; exit stops everything."""

    def __init__(self, root: Path, *, tracks: int = 1, extra_env: dict[str, str] | None = None):
        self.root = Path(root)
        self.tracks = tracks
        self.logs = self.root / "logs"
        self.config_dir = self.root / "config"
        self.downloads_dir = self.root / "downloads"
        self.music_dir = self.root / "music"
        self.port, self.slskd_port, self.spotify_port = free_port(), free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.slskd_url = f"http://127.0.0.1:{self.slskd_port}"
        self.api_key = secrets.token_urlsafe(24)
        self.extra_env = extra_env or {}
        self.slskd: subprocess.Popen[bytes] | None = None
        self.spotify: subprocess.Popen[bytes] | None = None
        self.harmony: subprocess.Popen[bytes] | None = None

    # -- processes -------------------------------------------------------------------------
    def _spawn(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        self.logs.mkdir(parents=True, exist_ok=True)
        with open(self.logs / f"{name}.log", "ab") as log:
            return subprocess.Popen(
                argv, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip

    def start_slskd(self) -> None:
        argv = [sys.executable, "-m", "tests.fakes.live", "--port", str(self.slskd_port)]
        argv += ["--downloads-dir", str(self.downloads_dir), "--api-key", SLSKD_API_KEY]
        argv += ["--audio-cache", str(self.root / "audio-cache"), "--tracks", str(self.tracks)]
        self.slskd = self._spawn("slskd", argv, self.base_env())
        wait_for(lambda: self._answers(self.slskd, f"{self.slskd_url}/health"), timeout=60,
                 what="the fake slskd")  # fmt: skip

    def start_spotify(self) -> None:
        argv = [sys.executable, "-m", "tests.fakes.spotify", "--port", str(self.spotify_port),
                "--big-playlist", "0"]  # fmt: skip
        self.spotify = self._spawn("spotify", argv, self.base_env())
        url = f"http://127.0.0.1:{self.spotify_port}/v1/tracks/x"
        wait_for(lambda: self._answers(self.spotify, url, any_status=True), timeout=30,
                 what="the fake Spotify")  # fmt: skip

    def _answers(self, process: Any, url: str, *, any_status: bool = False) -> bool:
        if process.poll() is not None:
            raise StackError(f"{url} exited early (exit {process.returncode}); see {self.logs}")
        status, _ = http("GET", url, timeout=2)
        return status != 0 if any_status else status == 200

    def start_harmony(self, *, timeout: float = 120.0, probe: str = "ready") -> float:
        """Start harmony_serve and wait until /api/health/<probe> answers 200 (`live` when
        readiness is meant to fail); returns the seconds it took."""
        began = time.monotonic()
        argv = [sys.executable, "manage.py", "harmony_serve"]
        self.harmony = self._spawn("harmony", argv, self.harmony_env())
        wait_for(lambda: self._answers_health(probe), timeout=timeout,
                 what=f"/api/health/{probe} to answer 200")  # fmt: skip
        return time.monotonic() - began

    def _answers_health(self, probe: str) -> bool:
        if self.harmony is not None and self.harmony.poll() is not None:
            raise StackError(
                f"harmony_serve exited early (exit {self.harmony.returncode}):\n{self.tail()}"
            )
        return http("GET", f"{self.url}/api/health/{probe}", timeout=5)[0] == 200

    def stop_harmony(self, *, timeout: float = 10.0) -> tuple[int | None, float]:
        """SIGTERM harmony_serve; (exit code or None when it had to be killed, seconds)."""
        if self.harmony is None or self.harmony.poll() is not None:
            return (None if self.harmony is None else self.harmony.returncode), 0.0
        began = time.monotonic()
        self.harmony.send_signal(signal.SIGTERM)
        try:
            code: int | None = self.harmony.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            code = None
            _kill_group(self.harmony)
        return code, time.monotonic() - began

    def tail(self, name: str = "harmony", lines: int = 30) -> str:
        path = self.logs / f"{name}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> Stack:
        for folder in (self.config_dir, self.downloads_dir, self.music_dir):
            folder.mkdir(parents=True, exist_ok=True)
        try:
            self.start_slskd()
            self.start_spotify()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.stop_harmony()
        for process in (self.harmony, self.slskd, self.spotify):
            if process is not None:
                _kill_group(process)

    # -- environment -----------------------------------------------------------------------
    def base_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in DROPPED}
        env = {k: v for k, v in env.items() if not k.startswith(("PYTEST", "SLSKD_", "SPOTIFY_"))}
        env["PYTHONPATH"] = str(REPO)
        return env

    def harmony_env(self) -> dict[str, str]:
        from tests.fakes.spotify import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI

        spotify = f"http://127.0.0.1:{self.spotify_port}"
        return {
            **self.base_env(),
            "DJANGO_SETTINGS_MODULE": "harmony_site.settings",
            "CONFIG_DIR": str(self.config_dir),
            "DOWNLOADS_DIR": str(self.downloads_dir),
            "MUSIC_DIR": str(self.music_dir),
            "HTTP_BIND": f"127.0.0.1:{self.port}",
            "OAUTH_CALLBACK_BIND": "",
            "HARMONY_API_KEYS": self.api_key,
            "LOG_LEVEL": "INFO",
            "SLSKD_URL": self.slskd_url,
            "SLSKD_API_KEY": SLSKD_API_KEY,
            "SLSKD_DOWNLOADS_DIR": str(self.downloads_dir),
            "SPOTIFY_MODE": "auto",
            "SPOTIFY_CLIENT_ID": CLIENT_ID,
            "SPOTIFY_CLIENT_SECRET": CLIENT_SECRET,
            "SPOTIFY_REDIRECT_URI": REDIRECT_URI,
            "SPOTIFY_ACCOUNTS_URL": spotify,
            "SPOTIFY_API_URL": f"{spotify}/v1",
            "SPOTIFY_FETCH_ISRC": "false",
            "LYRICS_ENABLED": "false",  # LRCLIB is not on loopback
            "HDM_POLL_INTERVAL_S": "0.3",
            "HDM_SEARCH_MIN_GAP_S": "0",
            "HDM_FILE_APPEAR_TIMEOUT_S": "10",
            **self.extra_env,
        }

    # -- API -------------------------------------------------------------------------------
    def api(self, method: str, path: str, body: Any = None, **kwargs: Any) -> tuple[int, Any]:
        headers = {"X-API-Key": self.api_key, **kwargs.pop("headers", {})}
        return http(method, f"{self.url}{path}", body, headers=headers, **kwargs)

    def control(self, action: str, body: Any = None) -> tuple[int, Any]:
        """Drive the fake slskd (tests/fakes/live.py control routes)."""
        return http("POST", f"{self.slskd_url}/__control/{action}", body or {})


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)
