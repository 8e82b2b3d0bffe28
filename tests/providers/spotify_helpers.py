"""Helpers shared by the Spotify contract tests."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import requests

from providers.spotify.client import SpotifyClient
from providers.spotify.oauth import oauth_authorize_url, oauth_complete
from tests.fakes.spotify import FakeSpotify, knobs_set


def fast(client: SpotifyClient) -> SpotifyClient:
    """Shrink the 5xx backoff so retry tests stay quick (Retry-After is still honoured)."""
    client.http.backoff_base = 0.01
    return client


def free_client() -> SpotifyClient:
    with knobs_set(SPOTIFY_MODE="free"):
        return fast(SpotifyClient.from_config())


def connect_pro(fake: FakeSpotify) -> str:
    """Run the whole browser dance against the fake; returns the redirect URL used."""
    authorize = oauth_authorize_url()
    answer = requests.get(authorize, allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    location = answer.headers["Location"]
    oauth_complete(location)
    return location


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
