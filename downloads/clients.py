"""The provider clients the HDM stages use; one place so tests can point them at the fakes."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from providers.slskd.client import SlskdClient
    from providers.spotify.client import SpotifyClient


def slskd_client() -> SlskdClient:
    from providers.slskd.client import SlskdClient

    return SlskdClient.from_config()


def spotify_client() -> SpotifyClient:
    from providers.spotify.client import SpotifyClient

    return SpotifyClient.from_config()
