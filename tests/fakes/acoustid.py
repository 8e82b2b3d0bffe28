"""A fake AcoustID web service (v2) and the MusicBrainz ISRC look-up, as real loopback servers.

AcoustID: ``POST`` (or ``GET``) ``/v2/lookup`` with form or query parameters ``client``,
``duration``, ``fingerprint`` (Chromaprint's compressed form, decoded here for real), ``meta``
and ``format``. Answers ``{"status": "ok", "results": [{"id", "score", "recordings": [{"id"}]}]}``
(recordings only when ``meta`` asks for ``recordingids`` or ``recordings``); errors are HTTP 400
``{"status": "error", "error": {"code", "message"}}``: 2 missing parameter, 3 invalid
fingerprint, 4 invalid API key, 8 invalid duration. More than 3 requests in one second from
one client key answers HTTP 429 with code 14; each is counted in ``rate_limited``.

MusicBrainz: ``GET /ws/2/isrc/{isrc}?fmt=json`` → ``{"isrc", "recordings": [{"id", "title",
"length"}]}``, an unknown ISRC 404 ``{"error": "Not Found"}``, more than one request a second
503 (as MusicBrainz does), counted in ``rate_limited``.

Register audio with ``add_track(raw_words, recording_ids)`` (raw words from ``fpcalc -raw``).
"""

from __future__ import annotations

import base64
import threading
import uuid
from collections import deque
from typing import Any
from urllib.parse import parse_qs

from tests.fakes.base import FakeServer, Reply, Request

RATE_LIMIT_PER_S = 3
MIN_SCORE = 0.5  # AcoustID leaves out weaker matches


class FakeAcoustid(FakeServer):
    def __init__(self, *, api_keys: tuple[str, ...] = ("test-key",), port: int = 0) -> None:
        super().__init__(port=port)
        self.api_keys = set(api_keys)
        self.tracks: list[dict[str, Any]] = []
        self.rate_limited = 0
        self._recent: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self.route("POST", r"/v2/lookup", self.lookup)
        self.route("GET", r"/v2/lookup", self.lookup)

    def add_track(self, raw: list[int], recording_ids: list[str]) -> str:
        track_id = str(uuid.uuid4())
        self.tracks.append({"id": track_id, "raw": list(raw), "recordings": recording_ids})
        return track_id

    def lookup(self, request: Request) -> Reply:
        args = {**request.query, **parse_qs(request.body.decode(), keep_blank_values=True)}
        arg = {name: values[0] for name, values in args.items() if values}
        client = arg.get("client")
        if not client:
            return _error(2, 'missing required parameter "client"')
        if client not in self.api_keys:
            return _error(4, "invalid API key")
        if self._over_limit(client, request.at):
            self.rate_limited += 1
            return _error(14, "rate limit (3 requests per second) exceeded, try again later", 429)
        for name in ("duration", "fingerprint"):
            if not arg.get(name):
                return _error(2, f'missing required parameter "{name}"')
        if not arg["duration"].isdigit() or int(arg["duration"]) <= 0:
            return _error(8, 'parameter "duration" must be a positive integer')
        try:
            raw = decode_fingerprint(arg["fingerprint"])
        except (ValueError, IndexError):
            return _error(3, "invalid fingerprint")
        with_ids = any(m in arg.get("meta", "") for m in ("recordingids", "recordings"))
        return Reply.json({"status": "ok", "results": self._matches(raw, with_ids)})

    def _over_limit(self, client: str, at: float) -> bool:
        with self._lock:
            recent = self._recent.setdefault(client, deque())
            while recent and at - recent[0] >= 1.0:
                recent.popleft()
            recent.append(at)
            return len(recent) > RATE_LIMIT_PER_S

    def _matches(self, raw: list[int], with_ids: bool) -> list[dict[str, Any]]:
        found = []
        for track in self.tracks:
            score = _score(raw, track["raw"])
            if score >= MIN_SCORE:
                result: dict[str, Any] = {"id": track["id"], "score": round(score, 6)}
                if with_ids:
                    result["recordings"] = [{"id": rid} for rid in track["recordings"]]
                found.append(result)
        return sorted(found, key=lambda r: r["score"], reverse=True)


class FakeMusicBrainz(FakeServer):
    def __init__(self, *, port: int = 0) -> None:
        super().__init__(port=port)
        self.isrcs: dict[str, list[dict[str, Any]]] = {}
        self.rate_limited = 0
        self._last: float | None = None
        self._lock = threading.Lock()
        self.route("GET", r"/ws/2/isrc/(?P<isrc>[^/]+)", self.isrc)

    def add_isrc(self, isrc: str, recording_ids: list[str], *, title: str = "A recording") -> None:
        self.isrcs[isrc.upper()] = [
            {"id": rid, "title": title, "length": 200000, "video": False} for rid in recording_ids
        ]

    def isrc(self, request: Request) -> Reply:
        with self._lock:
            too_soon = self._last is not None and request.at - self._last < 1.0
            self._last = request.at
        if too_soon:
            self.rate_limited += 1
            return Reply.text(
                "Your requests are exceeding the allowable rate limit.", 503, "text/plain"
            )
        code = request.params["isrc"].upper()
        if code not in self.isrcs:
            return Reply.json({"error": "Not Found", "help": "For usage, please see the docs"}, 404)
        return Reply.json({"isrc": code, "recordings": self.isrcs[code]})


def _error(code: int, message: str, status: int = 400) -> Reply:
    return Reply.json({"status": "error", "error": {"code": code, "message": message}}, status)


def decode_fingerprint(text: str) -> list[int]:
    """Chromaprint's compressed fingerprint back to raw words (its own format, not ours).

    Base64url without padding of: algorithm byte, 24-bit big-endian word count, then the XOR
    deltas of consecutive words as bit-position gaps: 3-bit values (0 ends a word, 7 = look
    in the 5-bit exception stream that follows), packed least significant bit first.
    """
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    count = int.from_bytes(data[1:4], "big")
    bits = int.from_bytes(data[4:], "little")
    gaps, ends, pos = [], 0, 0
    while ends < count:
        gap = (bits >> pos) & 7
        pos += 3
        gaps.append(gap)
        ends += gap == 0
        if pos > 8 * len(data):
            raise ValueError("truncated fingerprint")
    extra = (pos + 7) // 8 * 8
    words, word, bit = [], 0, 0
    for gap in gaps:
        if gap == 0:
            words.append(word)
            word = bit = 0
            continue
        if gap == 7:
            gap += (bits >> extra) & 31
            extra += 5
        bit += gap
        word |= 1 << (bit - 1)
    raw: list[int] = []
    for word in words:
        raw.append(word ^ raw[-1] if raw else word)
    return raw


def _score(a: list[int], b: list[int]) -> float:
    """1 for identical audio, 0 for unrelated (half the bits differ), at the best small shift."""
    best = 0.0
    for shift in range(-8, 9):
        pairs = list(zip(a[max(shift, 0) :], b[max(-shift, 0) :], strict=False))
        if len(pairs) < min(len(a), len(b)) // 2 or not pairs:
            continue
        equal = 1 - sum(bin(x ^ y).count("1") for x, y in pairs) / (32 * len(pairs))
        best = max(best, equal)
    return max(0.0, (best - 0.5) * 2)
