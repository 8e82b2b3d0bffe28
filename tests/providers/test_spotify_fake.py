"""The fake Spotify itself follows provider-apis.md (checked with plain requests, no client)."""

import base64

import pytest
import requests

from tests.fakes.spotify import REDIRECT_URI, FakeSpotify, _s256

VERIFIER = "v" * 43


def authorize(fake: FakeSpotify, **overrides: str) -> requests.Response:
    params = {
        "client_id": fake.client_id,
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
        "state": "s1",
        "scope": "user-library-read",
        "code_challenge_method": "S256",
        "code_challenge": _s256(VERIFIER),
        **overrides,
    }
    params = {key: value for key, value in params.items() if value is not None}
    return requests.get(
        f"{fake.accounts_url}/authorize", params=params, allow_redirects=False, timeout=5
    )


def code_of(answer: requests.Response) -> str:
    return answer.headers["Location"].split("code=")[1].split("&")[0]


def token(fake: FakeSpotify, form: dict, **kwargs) -> requests.Response:
    return requests.post(f"{fake.accounts_url}/api/token", data=form, timeout=5, **kwargs)


def test_authorize_refuses_unknown_client_and_inexact_redirect(fake_spotify):
    assert authorize(fake_spotify, client_id="nope").status_code == 400
    for uri in (
        "http://localhost:8888/callback",
        REDIRECT_URI + "/",
        "http://127.0.0.1:8888/Callback",
    ):
        answer = authorize(fake_spotify, redirect_uri=uri)
        assert answer.status_code == 400 and b"redirect URI" in answer.content


def test_authorize_echoes_state_and_reports_denial(fake_spotify):
    assert "state=s1" in authorize(fake_spotify).headers["Location"]
    fake_spotify.consent = "deny"
    location = authorize(fake_spotify).headers["Location"]
    assert location == f"{REDIRECT_URI}?error=access_denied&state=s1"


def test_token_requires_form_encoding_and_the_exact_redirect(fake_spotify):
    code = code_of(authorize(fake_spotify))
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
            "client_id": fake_spotify.client_id, "code_verifier": VERIFIER}  # fmt: skip
    as_json = requests.post(f"{fake_spotify.accounts_url}/api/token", json=form, timeout=5)
    assert as_json.json()["error"] == "invalid_request"
    wrong_redirect = token(fake_spotify, {**form, "redirect_uri": REDIRECT_URI + "/"})
    assert wrong_redirect.json() == {
        "error": "invalid_grant",
        "error_description": "Invalid redirect URI",
    }
    assert token(fake_spotify, form).json()["error"] == "invalid_grant"  # code burnt


def test_confidential_code_flow_and_client_credentials_use_basic_auth(fake_spotify):
    basic = base64.b64encode(f"{fake_spotify.client_id}:{fake_spotify.client_secret}".encode())
    headers = {"Authorization": "Basic " + basic.decode()}
    code = code_of(authorize(fake_spotify, code_challenge=None, code_challenge_method=None))
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    assert "refresh_token" in token(fake_spotify, form, headers=headers).json()
    # A login that carried a challenge needs the verifier even with Basic auth.
    form["code"] = code_of(authorize(fake_spotify))
    assert token(fake_spotify, form, headers=headers).json()["error"] == "invalid_grant"
    app = token(fake_spotify, {"grant_type": "client_credentials"}, headers=headers).json()
    assert set(app) == {"access_token", "token_type", "expires_in"}
    bad = {"Authorization": "Basic " + base64.b64encode(b"x:y").decode()}
    assert (
        token(fake_spotify, {"grant_type": "client_credentials"}, headers=bad).json()["error"]
        == "invalid_client"
    )
    pkce_only = token(
        fake_spotify, {"grant_type": "client_credentials", "client_id": fake_spotify.client_id}
    )
    assert pkce_only.json()["error"] == "invalid_client"


@pytest.mark.parametrize("rotate", [True, False])
def test_refresh_with_and_without_a_new_refresh_token(fake_spotify, rotate):
    fake_spotify.rotate_refresh_tokens = rotate
    code = code_of(authorize(fake_spotify))
    first = token(fake_spotify, {"grant_type": "authorization_code", "code": code,
                                 "redirect_uri": REDIRECT_URI, "client_id": fake_spotify.client_id,
                                 "code_verifier": VERIFIER}).json()  # fmt: skip
    refresh = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"],
               "client_id": fake_spotify.client_id}  # fmt: skip
    second = token(fake_spotify, refresh).json()
    assert ("refresh_token" in second) is rotate
    again = token(fake_spotify, refresh)
    assert again.status_code == (400 if rotate else 200)  # rotated PKCE tokens are single-use


def test_api_expiry_and_paging_links(fake_spotify):
    bearer = {"Authorization": "Bearer " + fake_spotify.issue_user_token()}
    url = f"{fake_spotify.api_url}/me/tracks?limit=50"
    page = requests.get(url, headers=bearer, timeout=5).json()
    assert page["total"] == 59 and page["next"].startswith(fake_spotify.api_url)
    assert "limit=50" in page["next"] and "offset=50" in page["next"]
    last = requests.get(page["next"], headers=bearer, timeout=5).json()
    assert last["next"] is None and len(last["items"]) == 9 and last["previous"]
    assert (
        "external_ids"
        not in requests.get(
            f"{fake_spotify.api_url}/albums/{fake_spotify.ids['album_day']}/tracks",
            headers=bearer,
            timeout=5,
        ).json()["items"][0]
    )
    fake_spotify.advance(3601)
    expired = requests.get(url, headers=bearer, timeout=5)
    assert expired.status_code == 401 and "expired" in expired.json()["error"]["message"]


def test_dev_mode_field_set(fake_spotify):
    bearer = {"Authorization": "Bearer " + fake_spotify.issue_user_token()}
    track = requests.get(
        f"{fake_spotify.api_url}/tracks/{fake_spotify.ids['track']}", headers=bearer, timeout=5
    ).json()
    assert "popularity" not in track and "available_markets" not in track
    assert "label" not in track["album"] and track["external_ids"]["isrc"]
    owned = requests.get(
        f"{fake_spotify.api_url}/playlists/{fake_spotify.ids['playlist_spotify_owned']}",
        headers=bearer,
        timeout=5,
    )
    assert owned.status_code == 404
    foreign = requests.get(
        f"{fake_spotify.api_url}/playlists/{fake_spotify.ids['playlist_foreign']}",
        headers=bearer,
        timeout=5,
    ).json()
    assert foreign["items"] == {"href": foreign["items"]["href"], "total": 1}  # no contents
