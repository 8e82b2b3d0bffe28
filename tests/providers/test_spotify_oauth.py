"""PRO mode login end to end against the fake accounts service, over real sockets."""

from datetime import timedelta

import pytest
import requests
from django.db import connection
from django.utils import timezone

from providers.errors import ProviderAuthError
from providers.models import OAuthState, SpotifyLogin
from providers.spotify.auth import UserTokenSource
from providers.spotify.client import SpotifyClient
from providers.spotify.config import load_spotify_config
from providers.spotify.oauth import (
    OAuthError,
    oauth_authorize_url,
    oauth_complete,
    oauth_disconnect,
    oauth_status,
)
from providers.spotify.tokens import load_tokens
from tests.fakes.base import Reply
from tests.fakes.spotify import REDIRECT_URI, knobs_set
from tests.providers.spotify_helpers import connect_pro, fast, query_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def pro(spotify_env):
    with knobs_set(SPOTIFY_MODE="pro"):
        yield spotify_env


def test_authorize_url_asks_for_pkce_and_the_four_scopes(pro):
    query = query_of(oauth_authorize_url())
    assert query["client_id"] == pro.client_id
    assert query["redirect_uri"] == REDIRECT_URI
    assert query["response_type"] == "code"
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert set(query["scope"].split()) == {
        "playlist-read-private",
        "playlist-read-collaborative",
        "user-library-read",
        "user-follow-read",
    }
    assert len(query["state"]) >= 32
    assert OAuthState.objects.count() == 1


def test_full_flow_stores_encrypted_tokens_and_reads_the_account(pro):
    location = connect_pro(pro)
    assert location.startswith(REDIRECT_URI + "?code=")
    status = oauth_status()
    assert status["connected"] and status["mode"] == "pro"
    assert status["user"] == {"id": "harmony-user", "display_name": "Harmony Tester"}
    assert not status["needs_relogin"] and status["login_expires_at"]
    token_call = pro.requests_to("POST", "/api/token")[0]
    assert "authorization" not in token_call.headers  # PKCE: client_id, no secret
    assert b"code_verifier=" in token_call.body
    tokens = load_tokens()
    assert tokens.access_token in pro.tokens and tokens.refresh_token in pro.refresh_tokens
    _assert_not_in_database(tokens.access_token, tokens.refresh_token)
    client = SpotifyClient.from_config()
    assert client.mode == "pro" and client.me()["id"] == "harmony-user"


def _assert_not_in_database(*secrets: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token, refresh_token FROM providers_spotifylogin")
        stored = " ".join(str(value) for row in cursor.fetchall() for value in row)
    assert stored
    for secret in secrets:
        assert secret not in stored


def test_expired_token_is_refreshed_on_401_and_rotation_persisted(pro):
    connect_pro(pro)
    client = fast(SpotifyClient.from_config())
    before = load_tokens()
    pro.expire_access_tokens()  # Spotify-side expiry our clock does not know about
    assert len(client.saved_tracks()) == 59
    after = load_tokens()
    assert after.access_token != before.access_token
    assert after.refresh_token != before.refresh_token  # rotated: the newest is kept
    assert pro.refresh_tokens[before.refresh_token].revoked
    _assert_not_in_database(after.access_token, after.refresh_token)


def test_refresh_without_new_refresh_token_keeps_the_old_one(pro):
    pro.rotate_refresh_tokens = False
    connect_pro(pro)
    before = load_tokens()
    pro.expire_access_tokens()
    SpotifyClient.from_config().me()
    after = load_tokens()
    assert after.refresh_token == before.refresh_token
    assert after.access_token != before.access_token


def test_token_is_refreshed_before_it_expires(pro):
    pro.expires_in = 30  # inside the refresh margin: refresh before the call
    connect_pro(pro)
    SpotifyClient.from_config().me()
    grants = [r.body for r in pro.requests_to("POST", "/api/token")]
    assert any(b"grant_type=refresh_token" in body for body in grants)
    assert len(pro.requests_to("GET", "/v1/me")) == 2  # login + this call, no 401 round trip


def test_revoked_refresh_token_means_needs_relogin(pro):
    connect_pro(pro)
    pro.revoke_refresh_tokens()
    pro.expire_access_tokens()
    client = SpotifyClient.from_config()
    with pytest.raises(ProviderAuthError, match="log in again"):
        client.me()
    status = oauth_status()
    assert status["needs_relogin"] and "invalid_grant" in status["last_error"]
    with pytest.raises(ProviderAuthError, match="needs a new login"):
        client.me()


def test_a_second_401_after_refresh_needs_relogin(pro):
    connect_pro(pro)
    client = SpotifyClient.from_config()
    pro.expire_access_tokens()
    body = {"error": {"status": 401, "message": "Invalid access token"}}
    pro.inject("GET", "/v1/me", Reply.json(body, 401), times=2)
    with pytest.raises(ProviderAuthError, match="log in again"):
        client.me()
    assert oauth_status()["needs_relogin"]


def test_manual_completion_refuses_tampered_state(pro):
    oauth_authorize_url()
    location = requests.get(oauth_authorize_url(), allow_redirects=False, timeout=5).headers[
        "Location"
    ]
    tampered = location.replace("state=", "state=x")
    with pytest.raises(OAuthError, match="unknown login state"):
        oauth_complete(tampered)
    assert load_tokens() is None


def test_manual_completion_refuses_replayed_state(pro):
    location = connect_pro(pro)
    with pytest.raises(OAuthError, match="already used"):
        oauth_complete(location)


def test_manual_completion_refuses_expired_state(pro):
    url = oauth_authorize_url()
    location = requests.get(url, allow_redirects=False, timeout=5).headers["Location"]
    OAuthState.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(OAuthError, match="expired"):
        oauth_complete(location)


def test_declined_consent_is_reported(pro):
    pro.consent = "deny"
    location = requests.get(oauth_authorize_url(), allow_redirects=False, timeout=5).headers[
        "Location"
    ]
    assert "error=access_denied" in location
    with pytest.raises(OAuthError, match="declined"):
        oauth_complete(location)


@pytest.mark.parametrize("text", ["", "not a url", "https://x/callback?code=abc"])
def test_manual_completion_refuses_junk(pro, text):
    with pytest.raises(OAuthError):
        oauth_complete(text)


def test_manual_completion_accepts_just_the_query(pro):
    location = requests.get(oauth_authorize_url(), allow_redirects=False, timeout=5).headers[
        "Location"
    ]
    oauth_complete(location.split("?", 1)[1])
    assert oauth_status()["connected"]


def test_code_is_single_use_at_spotify(pro):
    url = oauth_authorize_url()
    location = requests.get(url, allow_redirects=False, timeout=5).headers["Location"]
    code = query_of(location)["code"]
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "client_id": pro.client_id,
        "code_verifier": "x" * 43,
    }
    wrong = requests.post(f"{pro.accounts_url}/api/token", data=form, timeout=5)
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    with pytest.raises(OAuthError, match="did not accept"):
        oauth_complete(location)  # the code was burnt by the failed attempt


def test_not_allow_listed_user_is_explained(pro):
    pro.allow_listed = {"somebody-else"}
    with pytest.raises(OAuthError, match="User Management"):
        connect_pro(pro)
    assert "403" in oauth_status()["last_error"] or "registered" in oauth_status()["last_error"]


def test_disconnect_forgets_everything(pro):
    connect_pro(pro)
    oauth_disconnect()
    assert not SpotifyLogin.objects.exists() and not OAuthState.objects.exists()
    assert not oauth_status()["connected"]


def test_callback_views_complete_the_login(pro, client):
    location = requests.get(oauth_authorize_url(), allow_redirects=False, timeout=5).headers[
        "Location"
    ]
    answer = client.get("/callback?" + location.split("?", 1)[1])
    assert answer.status_code == 200 and b"Spotify connected" in answer.content
    again = client.get("/api/v1/oauth/callback?" + location.split("?", 1)[1])
    assert again.status_code == 400 and "already used" in again.json()["error"]["message"]
    replay = client.get("/callback?" + location.split("?", 1)[1])
    assert replay.status_code == 400 and b"already used" in replay.content


def test_auto_mode_prefers_the_user_login(spotify_env):
    assert oauth_status()["mode"] == "free"
    connect_pro(spotify_env)
    assert oauth_status()["mode"] == "pro"


def test_api_endpoints_drive_the_login(pro, client):
    started = client.post("/api/v1/oauth/authorize")
    assert started.status_code == 200
    location = requests.get(started.json()["url"], allow_redirects=False, timeout=5).headers[
        "Location"
    ]
    tampered = client.post(
        "/api/v1/oauth/manual",
        {"redirect_url": location.replace("state=", "state=zz")},
        content_type="application/json",
    )
    assert tampered.status_code == 400 and "unknown login state" in str(tampered.json())
    done = client.post(
        "/api/v1/oauth/manual", {"redirect_url": location}, content_type="application/json"
    )
    assert done.status_code == 200 and done.json()["connected"]
    assert client.get("/api/v1/oauth/status").json()["user"]["id"] == "harmony-user"
    assert not client.post("/api/v1/oauth/disconnect").json()["connected"]


def test_losing_a_refresh_race_uses_the_winners_tokens(pro):
    connect_pro(pro)
    stale = load_tokens()
    winner = UserTokenSource(load_spotify_config())
    winner.renew(stale.access_token)  # rotates: the stale refresh token is now revoked
    loser = UserTokenSource(load_spotify_config())
    tokens = loser._refresh(stale)  # what a second process holding the old row would do
    assert tokens.refresh_token == load_tokens().refresh_token != stale.refresh_token
    assert not oauth_status()["needs_relogin"]
