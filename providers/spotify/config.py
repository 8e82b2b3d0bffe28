"""The Spotify knobs as one typed object, and which mode they (plus the stored login) select."""

from __future__ import annotations

from dataclasses import dataclass

from harmony_site.config import knobs

SCOPES = (
    "playlist-read-private",
    "playlist-read-collaborative",
    "user-library-read",
    "user-follow-read",
)


@dataclass(frozen=True)
class SpotifyConfig:
    mode: str  # the knob: "auto" | "pro" | "free"
    client_id: str
    client_secret: str
    redirect_uri: str
    accounts_url: str
    api_url: str
    market: str
    connect_timeout: float
    read_timeout: float
    max_retries: int
    max_retry_after: float
    fetch_isrc: bool

    @property
    def configured(self) -> bool:
        return bool(self.client_id)


def load_spotify_config() -> SpotifyConfig:
    """The current SPOTIFY_* knob values."""
    config = knobs()
    return SpotifyConfig(
        mode=str(config["SPOTIFY_MODE"]).lower(),
        client_id=config["SPOTIFY_CLIENT_ID"].strip(),
        client_secret=config["SPOTIFY_CLIENT_SECRET"].strip(),
        redirect_uri=config["SPOTIFY_REDIRECT_URI"].strip(),
        accounts_url=config["SPOTIFY_ACCOUNTS_URL"].rstrip("/"),
        api_url=config["SPOTIFY_API_URL"].rstrip("/"),
        market=config["SPOTIFY_MARKET"].strip().upper(),
        connect_timeout=config["SPOTIFY_CONNECT_TIMEOUT"],
        read_timeout=config["SPOTIFY_READ_TIMEOUT"],
        max_retries=config["SPOTIFY_MAX_RETRIES"],
        max_retry_after=config["SPOTIFY_MAX_RETRY_AFTER"],
        fetch_isrc=config["SPOTIFY_FETCH_ISRC"],
    )


def resolve_mode(config: SpotifyConfig, *, user_connected: bool) -> str:
    """ "pro", "free" or "disabled" for this configuration.

    auto uses the stored user login when there is one, else the app token when a client secret
    is set, else PRO (so errors point the operator at connecting an account).
    """
    if not config.configured:
        return "disabled"
    if config.mode in ("pro", "free"):
        return config.mode
    if user_connected or not config.client_secret:
        return "pro"
    return "free"
