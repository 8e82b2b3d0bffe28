"""A real Harmony (`manage.py harmony_serve`: gunicorn + the django-q2 cluster) in a temporary
CONFIG_DIR, pointed at a fake slskd and a fake Spotify running in this process.

Used by the browser tests and by `scripts/screenshots.py`:

    with LiveHarmony(tmp_dir, slskd=fake_slskd, spotify=fake_spotify) as harmony:
        harmony.url  # http://127.0.0.1:<port>
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 90.0
# Variables of the calling environment that would point the child at shared state.
DROPPED = ("DATABASE_URL", "HARMONY_BROKER_URL", "HARMONY_API_KEYS", "HARMONY_TEST_DB_NAME")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveHarmony:
    """Start, seed and stop one Harmony; `run(...)` runs a Python module in its environment."""

    def __init__(
        self, root: Path, *, slskd: Any, spotify: Any, extra_env: dict[str, str] | None = None
    ):
        self.root = Path(root)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = self._environment(slskd, spotify, extra_env or {})
        self.process: subprocess.Popen[bytes] | None = None
        self.log = self.root / "harmony.log"

    def _environment(self, slskd: Any, spotify: Any, extra: dict[str, str]) -> dict[str, str]:
        from tests.fakes.spotify import fake_knobs

        env = {
            k: v for k, v in os.environ.items() if k not in DROPPED and not k.startswith("PYTEST")
        }
        env.update(
            DJANGO_SETTINGS_MODULE="harmony_site.settings",
            PYTHONPATH=str(REPO),
            CONFIG_DIR=str(self.root / "config"),
            DOWNLOADS_DIR=str(slskd.downloads_dir),
            MUSIC_DIR=str(self.root / "music"),
            SLSKD_URL=slskd.url,
            SLSKD_API_KEY=slskd.api_key,
            SLSKD_DOWNLOADS_DIR=slskd.slskd_downloads_dir,
            HTTP_BIND=f"127.0.0.1:{self.port}",
            OAUTH_CALLBACK_BIND="",
            WEB_WORKERS="1",
            HDM_WORKERS="1",
            LOG_LEVEL="WARNING",
            HDM_POLL_INTERVAL_S="0.3",
            HDM_SEARCH_MIN_GAP_S="0",
            HDM_FILE_APPEAR_TIMEOUT_S="5",
            SPOTIFY_FETCH_ISRC="false",
        )
        env.update(fake_knobs(spotify))
        env.update(extra)  # the caller's values win (a callback bind, a redirect URI)
        return env

    def run(self, *args: str) -> None:
        """`python <args>` in Harmony's environment (migrate, seed); fails loudly."""
        subprocess.run(
            [sys.executable, *args],
            cwd=REPO,
            env=self.env,
            check=True,
            timeout=START_TIMEOUT_S,
            stdout=subprocess.DEVNULL,
        )

    def start(self, *, seed: str = "demo") -> LiveHarmony:
        """`seed`: "demo", "users", or "none" (a first run: harmony_serve migrates by itself,
        exactly as `make run` does, and logs the setup link)."""
        self.root.mkdir(parents=True, exist_ok=True)
        if seed != "none":
            self.run("manage.py", "migrate", "--noinput")
            seed_env = {"HARMONY_DEMO_USERS_ONLY": "1"} if seed == "users" else {}
            self.env.update(seed_env)
            self.run("-m", "tests.ui.demo")
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "harmony_serve"],
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_until_live()
        return self

    def _wait_until_live(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"harmony_serve exited early:\n{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/health/ready", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)  # polling a starting server with a deadline, not waiting for time
        raise RuntimeError(f"Harmony did not become ready:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)

    def __enter__(self) -> LiveHarmony:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
