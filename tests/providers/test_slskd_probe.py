"""The slskd readiness probe and status section against the fake slskd."""

from __future__ import annotations

from harmony_site.probes import run_probe
from providers.slskd.probes import status_slskd
from tests.fakes.base import Reply


def test_unconfigured_slskd_is_disabled(settings):
    settings.SLSKD_URL = ""
    report = run_probe("slskd")
    assert (report.status, report.detail) == ("disabled", "SLSKD_URL is empty")


def test_logged_in_slskd_is_ok(fake_slskd):
    report = run_probe("slskd")
    assert report.status == "ok"
    assert report.detail == "slskd 0.26.0, Connected, LoggedIn"


def test_refused_key_fails_without_showing_it(fake_slskd, settings):
    settings.SLSKD_API_KEY = "definitely-wrong-key"
    report = run_probe("slskd")
    assert report.status == "fail" and "API key refused" in report.detail
    assert "definitely-wrong-key" not in report.detail


def test_logged_out_slskd_fails(fake_slskd):
    fake_slskd.set_logged_in(False)
    report = run_probe("slskd")
    assert report.status == "fail" and "not logged in" in report.detail


def test_unreachable_slskd_fails(fake_slskd):
    fake_slskd.stop()
    report = run_probe("slskd")
    assert report.status == "fail" and "cannot connect" in report.detail


def test_status_section_shows_version_and_last_error(fake_slskd):
    fake_slskd.set_logged_in(False)
    failed = status_slskd()
    assert failed["state"] == "fail" and failed["version"] == "0.26.0"
    fake_slskd.set_logged_in(True)
    ok = status_slskd()
    assert ok["state"] == "ok" and ok["server"] == "Connected, LoggedIn"
    assert "not logged in" in ok["last_error"] and ok["last_error_at"]


def test_a_single_429_with_a_short_retry_after_is_waited_out(fake_slskd):
    busy = Reply.json("Too many requests", 429, **{"Retry-After": "0"})
    fake_slskd.inject("GET", r"/api/v0/server", busy)
    report = run_probe("slskd")
    assert report.status == "ok", report.detail
    assert len(fake_slskd.requests_to("GET", r"/api/v0/server")) == 2


def test_a_429_asking_for_a_long_wait_fails_the_probe(fake_slskd):
    busy = Reply.json("Too many requests", 429, **{"Retry-After": "120"})
    fake_slskd.inject("GET", r"/api/v0/server", busy)
    assert run_probe("slskd").status == "fail"
