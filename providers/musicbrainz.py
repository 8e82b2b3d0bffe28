"""MusicBrainz: the recordings that carry an ISRC (`GET {MUSICBRAINZ_URL}/isrc/{isrc}`).

The answer is `{"isrc", "recordings": [{"id", "title", ...}]}`; an ISRC MusicBrainz does not
know answers 404. MusicBrainz asks for one request per second and a User-Agent naming the
application; over the limit it answers 503, which the HTTP client backs off on.
"""

from __future__ import annotations

from typing import Any

from harmony_site.config import get_config
from harmony_site.version import __version__
from providers.errors import ProviderNotFound, ProviderResponseError
from providers.http import HttpClient
from providers.throttle import Throttle

USER_AGENT = f"Harmony/{__version__} (self-hosted music library manager)"
_pace = Throttle(1.1)  # one request a second, with a margin for network jitter


def musicbrainz_http() -> HttpClient:
    return HttpClient(
        get_config()["MUSICBRAINZ_URL"], name="musicbrainz", headers={"User-Agent": USER_AGENT,
        "Accept": "application/json"}, connect_timeout=5, read_timeout=20, max_retries=2,
        max_retry_after=10,
    )  # fmt: skip


def recordings_for_isrc(isrc: str, *, http: HttpClient | None = None) -> frozenset[str]:
    """MBIDs of the recordings with this ISRC; empty when MusicBrainz does not know it."""
    http = http or musicbrainz_http()
    _pace.wait()
    try:
        body = http.get_json(f"/isrc/{isrc.upper()}", params={"fmt": "json"})
    except ProviderNotFound:
        return frozenset()
    return _recording_ids(body)


def _recording_ids(body: Any) -> frozenset[str]:
    if not isinstance(body, dict) or not isinstance(body.get("recordings"), list):
        raise ProviderResponseError("answer has no recordings list", provider="musicbrainz",
                                    endpoint="GET /isrc")  # fmt: skip
    return frozenset(r["id"] for r in body["recordings"] if isinstance(r, dict) and r.get("id"))
