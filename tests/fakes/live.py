"""A fake slskd for live runs (smoke test, reliability drill): real audio and a control API.

`python -m tests.fakes.live --port N --downloads-dir DIR --tracks 40` starts a `FakeSlskd` in
auto mode whose catalogue holds `--tracks` wanted tracks, `catalogue_track(i)`: artist
"Harmony Drill", title "Song <code>", album "Drill Album", two seconds long. Each is shared by
two peers as a distinct real FLAC (its own tone under noise, so it has the bit rate of real
music, encoded once into `--audio-cache`), so a job whose first peer fails has a second one to
try. As real slskd does, FLAC files carry no bit rate. A third peer answers every search with
a file whose name is a lone surrogate (what a peer with a broken file system shares): JSON
carries it, UTF-8 cannot, and it must never break a search.

Control routes (loopback only, no API key; used by scripts/drill.py to make slskd fail):

    POST /__control/logged-in  {"value": false}         not logged in to Soulseek (409s)
    POST /__control/outage     {"seconds": 5, "status": 503}  every API call answers 5xx
    POST /__control/restart    {}                         what a daemon restart does to transfers
    POST /__control/enqueue    {"fault": "error"|"slow"|"wrong_size", "times": 1, "seconds": 8}
                               the next enqueues take effect but answer 500 ("error") or only
                               after `seconds` ("slow"), or deliver a file cut to 3/5 of its size
    POST /__control/ban        {"times": 1}               the next search POSTs answer "banned"
    GET  /__control/stats                                 transfers by state, files delivered
"""

from __future__ import annotations

import argparse
import string
import threading
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

from tests.fakes.base import Reply, Request
from tests.fakes.slskd import API, FakeSlskd
from tests.fakes.slskd_data import peer_file, peer_response
from tests.fakes.slskd_state import FakeTransfer, SearchScript

ARTIST = "Harmony Drill"
ALBUM = "Drill Album"
DURATION_S = 2.0
PEERS = ("drill_peer_a", "drill_peer_b")
ODD_PEER = "drill_peer_odd"
FOLDER = f"@@drill\\Music\\{ARTIST}\\{ALBUM} (2020) [FLAC]"
CONTROL = "/__control"
ENQUEUE = rf"{API}/transfers/downloads/[^/]+"


def track_code(i: int) -> str:
    """A letters-only token unique per track ("qaaa", "qaab", ...): search terms keep it whole."""
    letters = string.ascii_lowercase
    return "q" + "".join(letters[(i // 26**p) % 26] for p in (2, 1, 0))


def catalogue_track(i: int) -> dict[str, Any]:
    """Track i as the API submits it (`POST /api/v1/downloads`)."""
    return {"artist": ARTIST, "title": f"Song {track_code(i)}", "album": ALBUM,
            "duration_s": DURATION_S}  # fmt: skip


class LiveSlskd(FakeSlskd):
    """FakeSlskd (auto mode) with a catalogue of real FLACs and the control routes above."""

    def __init__(self, *, tracks: int, audio_cache: Path, **kwargs: Any) -> None:
        kwargs.setdefault("mode", "auto")
        super().__init__(**kwargs)
        self.outage_until = 0.0
        self.outage_status = 503
        self.wrong_size_next = 0  # enqueues whose file will land cut short
        self._offer_catalogue(tracks, audio_cache)
        self.route("POST", f"{CONTROL}/logged-in", self._control_logged_in)
        self.route("POST", f"{CONTROL}/outage", self._control_outage)
        self.route("POST", f"{CONTROL}/restart", self._control_restart)
        self.route("POST", f"{CONTROL}/enqueue", self._control_enqueue)
        self.route("POST", f"{CONTROL}/ban", self._control_ban)
        self.route("GET", f"{CONTROL}/stats", self._control_stats)

    def _offer_catalogue(self, tracks: int, audio_cache: Path) -> None:
        from tests.audio import cached_audio

        audio_cache.mkdir(parents=True, exist_ok=True)
        for i in range(tracks):
            wanted = catalogue_track(i)
            responses = []
            for n, username in enumerate(PEERS):
                path = cached_audio(
                    audio_cache, audio_cache / "offered" / f"{i}-{n}.flac", "flac",
                    duration_s=DURATION_S, frequency_hz=200.0 + i, noise=0.3,
                    tags={"title": wanted["title"], "artist": ARTIST},
                )  # fmt: skip
                content = path.read_bytes()
                filename = f"{FOLDER}\\{i + 1:03d} - {wanted['title']}.flac"
                self.set_content(username, filename, content)
                file = peer_file(filename, len(content), bit_depth=16, sample_rate=44100,
                                 length=int(DURATION_S))  # fmt: skip
                responses.append(peer_response(username, [file], upload_speed=2_000_000 - n))
            odd = f"{FOLDER}\\{i + 1:03d} - {wanted['title']} \udcf6.flac"
            responses.append(peer_response(ODD_PEER, [peer_file(odd, 10**6, length=2)]))
            self.script_search(track_code(i), responses=responses, running_polls=1)
        self.default_search = SearchScript(responses=[])

    def authorize(self, request: Request) -> Reply | None:
        if request.raw_path.startswith(API) and time.monotonic() < self.outage_until:
            return Reply.html(self.outage_status, "Service Unavailable")
        if request.raw_path.startswith(CONTROL):
            return None
        return super().authorize(request)

    def _control_logged_in(self, request: Request) -> Reply:
        self.logged_in = bool((request.json() or {}).get("value", True))
        return Reply.json({"logged_in": self.logged_in})

    def _control_outage(self, request: Request) -> Reply:
        body = request.json() or {}
        self.outage_status = int(body.get("status", 503))
        self.outage_until = time.monotonic() + float(body.get("seconds", 5))
        return Reply.json({"status": self.outage_status, "seconds": body.get("seconds", 5)})

    def _control_restart(self, request: Request) -> Reply:
        return Reply.json({"requeued": len(self.restart())})

    def _control_enqueue(self, request: Request) -> Reply:
        body = request.json() or {}
        fault, times = str(body.get("fault", "error")), int(body.get("times", 1))
        if fault == "error":
            self.enqueue_faults += [Reply.json("Internal server error", 500)] * times
        elif fault == "slow":
            self.delay("POST", ENQUEUE, float(body.get("seconds", 8)), times=times)
        elif fault == "wrong_size":
            self.wrong_size_next += times
        else:
            return Reply.json(f"unknown fault {fault!r}", 400)
        return Reply.json({"fault": fault, "times": times})

    def _control_ban(self, request: Request) -> Reply:
        times = int((request.json() or {}).get("times", 1))
        banned = Reply.json("Server message: you are banned from searching", 500)
        self.inject("POST", rf"{API}/searches", banned, times=times)
        return Reply.json({"times": times})

    def _create_transfer(self, username: str, filename: str, size: int) -> FakeTransfer:
        transfer = super()._create_transfer(username, filename, size)
        if self.wrong_size_next > 0:  # a disk that truncates what slskd reports complete
            self.wrong_size_next -= 1
            transfer.script = replace(transfer.script, delivered_bytes=size * 3 // 5)
        return transfer

    def _control_stats(self, request: Request) -> Reply:
        states = Counter(t.state for t in self.transfers.values())
        delivered = sum(1 for t in self.transfers.values() if t.local_path is not None)
        return Reply.json({"transfers": dict(states), "delivered": delivered,
                           "searches": len(self.searches)})  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the live fake slskd on 127.0.0.1.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--downloads-dir", type=Path, required=True)
    parser.add_argument("--audio-cache", type=Path, required=True)
    parser.add_argument("--api-key", default="test-api-key-0123456789")
    parser.add_argument("--tracks", type=int, default=1)
    parser.add_argument("--tick", type=float, default=0.25, help="seconds per auto step")
    args = parser.parse_args(argv)
    fake = LiveSlskd(
        tracks=args.tracks,
        audio_cache=args.audio_cache,
        downloads_dir=args.downloads_dir,
        api_key=args.api_key,
        port=args.port,
        auto_interval=args.tick,
        slskd_downloads_dir=str(args.downloads_dir),
    )
    fake.start()
    print(f"live fake slskd on {fake.url} ({args.tracks} tracks)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
