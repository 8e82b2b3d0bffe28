"""AcoustID: which MusicBrainz recordings a Chromaprint fingerprint belongs to.

`POST {ACOUSTID_URL}/lookup` with `client` (the application key), `duration` (whole seconds),
`fingerprint` (fpcalc's compressed form) and `meta=recordingids`; the answer is
`{"status": "ok", "results": [{"id", "score", "recordings": [{"id"}]}]}` or
`{"status": "error", "error": {"code", "message"}}` (HTTP 400; 4 = invalid API key). The
service allows 3 requests per second per client: this process paces itself to that.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from harmony_site.config import get_config
from harmony_site.version import __version__
from providers.errors import ProviderAuthError, ProviderError, ProviderResponseError
from providers.http import HttpClient
from providers.throttle import Throttle

logger = logging.getLogger("hdm.providers.acoustid")

REQUESTS_PER_S = 3
INVALID_API_KEYS = frozenset({4, 6})  # application key, user key
# 10 % slower than the limit: requests paced exactly at it arrive closer together whenever
# one of them is delayed on the way, and the service counts arrivals.
_pace = Throttle(1.1 / REQUESTS_PER_S)


@dataclass(frozen=True)
class AcoustidResult:
    score: float  # 0..1: how well the fingerprint matched this AcoustID track
    recording_ids: tuple[str, ...]  # MusicBrainz recording MBIDs


def acoustid_http() -> HttpClient:
    config = get_config()
    return HttpClient(
        config["ACOUSTID_URL"], name="acoustid", headers={"User-Agent": f"Harmony/{__version__}"},
        connect_timeout=5, read_timeout=20, max_retries=2, max_retry_after=10,
    )  # fmt: skip


def lookup(
    fingerprint: str, duration_s: float, *, api_key: str, http: HttpClient | None = None
) -> list[AcoustidResult]:
    """The AcoustID tracks matching a fingerprint, best first; raises ProviderError."""
    http = http or acoustid_http()
    form = {
        "client": api_key,
        "duration": str(max(1, round(duration_s))),
        "fingerprint": fingerprint,
        "meta": "recordingids",
        "format": "json",
    }
    _pace.wait()
    # A look-up changes nothing on the server: resending it after a 503 or 429 is safe.
    body = http.request_json("POST", "/lookup", data=form, expected=(200, 400), retry_unsafe=True)
    return _results(body)


def _results(body: Any) -> list[AcoustidResult]:
    endpoint = "POST /lookup"
    if not isinstance(body, dict):
        raise ProviderResponseError("answer is not an object", provider="acoustid",
                                    endpoint=endpoint)  # fmt: skip
    if body.get("status") != "ok":
        error = body.get("error") or {}
        message = f"error {error.get('code')}: {error.get('message', 'no message')}"
        kind = ProviderAuthError if error.get("code") in INVALID_API_KEYS else ProviderError
        raise kind(message, provider="acoustid", endpoint=endpoint, status=400)
    found = []
    for result in body.get("results") or []:
        ids = tuple(r["id"] for r in result.get("recordings") or [] if r.get("id"))
        found.append(AcoustidResult(float(result.get("score", 0.0)), ids))
    return sorted(found, key=lambda r: r.score, reverse=True)
