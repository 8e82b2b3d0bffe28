"""Cover art for a track: the largest Spotify album image, downloaded with a size cap.

Optional metadata: `fetch_artwork` never raises into a download. It returns None when artwork
is switched off (`ARTWORK_ENABLED`), the track has no image, the image is too big or not an
image, or the download fails — logged as `hdm.metadata.artwork_*`; pass `raise_errors=True`
to get the `ProviderError` for a later retry.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import requests

from harmony_site.config import get_config
from providers.errors import ProviderError, ProviderResponseError, ProviderUnavailable
from providers.http import HttpClient
from providers.types import TrackMeta

logger = logging.getLogger("hdm.metadata")

CHUNK = 64 * 1024
# Magic numbers of the formats tag writers can embed.
_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")


def fetch_artwork(
    meta: TrackMeta, *, raise_errors: bool = False, http: HttpClient | None = None
) -> bytes | None:
    """The bytes of the largest album image of `meta`, or None (see the module docstring)."""
    config = get_config()
    art = meta.largest_artwork()
    if not config["ARTWORK_ENABLED"] or art is None:
        return None
    http = http or HttpClient("", name="artwork", connect_timeout=config["ARTWORK_TIMEOUT"],
                              read_timeout=config["ARTWORK_TIMEOUT"])  # fmt: skip
    try:
        data = download_image(http, art.url, max_bytes=config["ARTWORK_MAX_BYTES"])
    except ProviderError as exc:
        logger.warning(
            "hdm.metadata.artwork_failed", extra={"title": meta.title, "error": exc.message}
        )
        if raise_errors:
            raise
        return None
    logger.info("hdm.metadata.artwork_found", extra={"title": meta.title, "bytes": len(data)})
    return data


def download_image(http: HttpClient, url: str, *, max_bytes: int) -> bytes:
    """GET `url` streaming, refusing more than `max_bytes` and anything that is not an image."""
    endpoint = "GET " + url.split("?", 1)[0]
    common = {"provider": "artwork", "endpoint": endpoint}
    if not url.startswith(("https://", "http://")):
        raise ProviderResponseError("image URL is not http(s)", **common)
    try:
        with http.session.get(
            url, stream=True, timeout=(http.connect_timeout, http.read_timeout)
        ) as response:
            if response.status_code != 200:
                raise ProviderResponseError(
                    f"HTTP {response.status_code}", status=response.status_code, **common
                )
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise ProviderResponseError(
                    f"image of {declared} bytes exceeds {max_bytes}", **common
                )
            data = _read_capped(response, max_bytes, common)
    except requests.RequestException as exc:
        raise ProviderUnavailable(f"download failed ({type(exc).__name__})", **common) from exc
    if not data.startswith(_SIGNATURES) and not (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        raise ProviderResponseError("not a JPEG, PNG, GIF or WebP image", **common)
    return data


def _read_capped(response: requests.Response, max_bytes: int, common: dict) -> bytes:
    chunks, total = [], 0
    for chunk in response.iter_content(CHUNK):
        total += len(chunk)
        if total > max_bytes:
            raise ProviderResponseError(f"image exceeds {max_bytes} bytes", **common)
        chunks.append(chunk)
    return b"".join(chunks)


# Where Spotify serves cover, playlist and artist images (the browser never asks them itself).
SPOTIFY_IMAGE_HOSTS = frozenset(
    {
        "i.scdn.co",
        "mosaic.scdn.co",
        "lineup-images.scdn.co",
        "image-cdn-ak.spotifycdn.com",
        "image-cdn-fa.spotifycdn.com",
    }
)
THUMBNAIL_MAX_BYTES = 2 * 1024 * 1024


def fetch_spotify_image(url: str, *, api_url: str) -> bytes:
    """A Spotify image for the UI, fetched by Harmony so the browser stays on Harmony's origin.

    Only Spotify's image hosts over HTTPS (and the configured API's own origin, which is a
    fake in tests) are fetched: this is not an open proxy. Raises ProviderError otherwise.
    """
    parts, api = urlsplit(url), urlsplit(api_url)
    on_cdn = parts.scheme == "https" and parts.hostname in SPOTIFY_IMAGE_HOSTS
    on_api = (parts.scheme, parts.netloc) == (api.scheme, api.netloc) and bool(parts.netloc)
    if not (on_cdn or on_api) or parts.username or parts.password:
        raise ProviderResponseError("not a Spotify image address", provider="artwork")
    config = get_config()
    http = HttpClient("", name="artwork", connect_timeout=config["ARTWORK_TIMEOUT"],
                      read_timeout=config["ARTWORK_TIMEOUT"])  # fmt: skip
    try:
        return download_image(http, url, max_bytes=THUMBNAIL_MAX_BYTES)
    finally:
        http.close()


def image_type(data: bytes) -> str:
    """The Content-Type of an image `download_image` accepted."""
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data.startswith(b"GIF8"):
        return "image/gif"
    if data[:4] == b"RIFF":
        return "image/webp"
    return "image/jpeg"
