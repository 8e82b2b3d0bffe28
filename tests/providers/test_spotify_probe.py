"""The spotify readiness probe and status section, per mode."""

import pytest

from harmony_site.probes import collect_status, run_probe
from providers.spotify.auth import AppTokenSource
from providers.spotify.tokens import load_tokens
from tests.fakes.spotify import knobs_set
from tests.providers.spotify_helpers import connect_pro

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh_app_tokens():
    AppTokenSource.forget_all()
    yield
    AppTokenSource.forget_all()


def test_unconfigured_is_disabled():
    with knobs_set(SPOTIFY_CLIENT_ID=""):
        report = run_probe("spotify")
    assert (report.status, report.detail) == ("disabled", "SPOTIFY_CLIENT_ID is empty")


def test_free_mode_obtains_an_app_token(spotify_env):
    report = run_probe("spotify")
    assert report.status == "ok" and "free mode" in report.detail
    run_probe("spotify")
    assert len(spotify_env.requests_to("POST", "/api/token")) == 1  # cached, not re-fetched


def test_free_mode_with_a_wrong_secret_fails_clearly(spotify_env):
    with knobs_set(SPOTIFY_CLIENT_SECRET="wrong", SPOTIFY_MODE="free"):
        report = run_probe("spotify")
        assert report.status == "fail" and "invalid_client" in report.detail
        assert "invalid_client" in collect_status()["spotify"]["probe_error"]


def test_pro_mode_not_connected_fails(spotify_env):
    with knobs_set(SPOTIFY_MODE="pro"):
        report = run_probe("spotify")
    assert report.status == "fail" and "not connected" in report.detail


def test_pro_mode_refreshes_a_token_about_to_expire(spotify_env):
    spotify_env.expires_in = 30  # inside the refresh margin
    with knobs_set(SPOTIFY_MODE="pro"):
        connect_pro(spotify_env)
        grants = len(spotify_env.requests_to("POST", "/api/token"))
        report = run_probe("spotify")
        assert report.status == "ok" and "Harmony Tester" in report.detail
        assert len(spotify_env.requests_to("POST", "/api/token")) == grants + 1
        status = collect_status()["spotify"]
        tokens = load_tokens()
        spotify_env.revoke_refresh_tokens()
        failed = run_probe("spotify")
    assert status["connected"] and status["mode"] == "pro"
    assert status["user"]["id"] == "harmony-user"
    assert tokens.access_token not in str(status) and tokens.refresh_token not in str(status)
    assert failed.status == "fail" and "log in again" in failed.detail


def test_unreachable_accounts_service_fails_fast(spotify_env):
    with knobs_set(SPOTIFY_MODE="free", SPOTIFY_ACCOUNTS_URL="http://127.0.0.1:9"):
        report = run_probe("spotify")
    assert report.status == "fail" and "cannot connect" in report.detail
