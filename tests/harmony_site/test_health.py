"""Health endpoints, the probe registry and `harmony_check`."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from harmony_site import probes
from harmony_site.probes import ProbeResult, register_probe, register_status
from harmony_site.version import __version__


@pytest.fixture
def core_probes_only(monkeypatch):
    """The built-in probes alone, so other apps' integrations do not decide the outcome."""
    core = {name: probe for name, probe in probes._PROBES.items() if probe.core}
    monkeypatch.setattr(probes, "_PROBES", core)
    monkeypatch.setattr(probes, "_STATUS", dict(probes._STATUS))
    return core


@pytest.mark.parametrize("url", ["/api/health/live", "/live", "/api/v1/health"])
def test_liveness_answers_without_touching_the_database(client, url):
    # No django_db mark: any database query in this test raises.
    response = client.get(url)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": __version__}
    assert response["X-Request-ID"]


@pytest.mark.django_db
def test_readiness_is_ok_when_database_migrations_and_dirs_are_fine(
    client, library_dirs, core_probes_only
):
    response = client.get("/api/health/ready?verbose=1")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    names = [probe["name"] for probe in body["probes"]]
    assert names == ["database", "migrations", "downloads_dir", "music_dir"]
    assert all(probe["latency_ms"] >= 0 for probe in body["probes"])


@pytest.mark.django_db
def test_readiness_is_503_naming_a_missing_music_dir(client, settings, tmp_path, core_probes_only):
    settings.DOWNLOADS_DIR = tmp_path
    settings.MUSIC_DIR = tmp_path / "absent"
    response = client.get("/api/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["music_dir"]
    assert "absent" in body["detail"]["music_dir"]


@pytest.mark.django_db
def test_raising_probe_fails_with_its_text_and_disabled_never_fails(
    client, library_dirs, core_probes_only
):
    @register_probe("exploding")
    def exploding() -> ProbeResult:
        raise RuntimeError("slskd said no")

    @register_probe("unconfigured")
    def unconfigured() -> ProbeResult:
        return ProbeResult("disabled", "SLSKD_URL is empty")

    response = client.get("/api/health/ready?verbose=1")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["exploding"]
    by_name = {probe["name"]: probe for probe in body["probes"]}
    assert by_name["exploding"]["detail"] == "RuntimeError: slskd said no"
    assert by_name["unconfigured"]["status"] == "disabled"
    assert "Traceback" not in response.content.decode()


@pytest.mark.django_db
def test_status_shows_version_cluster_queues_and_registered_sections(client, core_probes_only):
    @register_status("slskd")
    def slskd_status() -> dict:
        return {"connected": False}

    @register_status("broken")
    def broken_status() -> dict:
        raise ValueError("boom")

    body = client.get("/api/v1/status").json()
    assert body["version"] == __version__
    assert body["uptime_s"] >= 0
    assert body["cluster"]["state"] in {"Stopped", "Idle", "Working", "Starting"}
    assert body["queues"] == {"queued": 0, "in_progress": 0}
    assert body["sections"]["slskd"] == {"connected": False}
    assert body["sections"]["broken"] == {"error": "ValueError: boom"}
    assert "auth" in body["sections"]


@pytest.mark.django_db
def test_metrics_are_prometheus_text_whatever_the_scraper_accepts(client):
    client.get("/api/health/live")
    response = client.get("/api/v1/metrics", HTTP_ACCEPT="application/openmetrics-text")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert b"django_http_requests_total_by_method_total" in response.content


@pytest.mark.django_db
def test_env_names_versions_and_paths_but_never_a_secret(client, settings):
    body = client.get("/env").json()
    assert body["version"] == __version__
    assert body["database"]["vendor"] in {"sqlite", "postgresql"}
    assert body["paths"]["MUSIC_DIR"] == str(settings.MUSIC_DIR)
    assert settings.SECRET_KEY not in json.dumps(body)


@pytest.mark.django_db
def test_harmony_check_prints_a_table_and_fails_on_a_failing_probe(
    capsys, library_dirs, core_probes_only
):
    call_command("harmony_check")
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["PROBE", "STATUS", "LATENCY", "DETAIL"]
    assert "music_dir" in out

    @register_probe("exploding")
    def exploding() -> ProbeResult:
        return ProbeResult("fail", "down")

    with pytest.raises(CommandError, match="exploding"):
        call_command("harmony_check")


def test_harmony_check_keeps_log_lines_out_of_its_table(tmp_path):
    """A probe's failed provider call is logged on stderr, not among the table's lines."""
    env = {
        **os.environ,
        "HARMONY_CONFIG_DIR": str(tmp_path),
        "DOWNLOADS_DIR": str(tmp_path),
        "MUSIC_DIR": str(tmp_path),
        "SLSKD_URL": "http://127.0.0.1:9",  # nothing listens there: the call fails and is logged
        "SLSKD_API_KEY": "a-key-of-sixteen-chars",
        "LOG_LEVEL": "INFO",
        "DJANGO_SETTINGS_MODULE": "harmony_site.settings",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "harmony_check"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "PROBE" in result.stdout
    assert "hdm.provider" not in result.stdout
    assert "hdm.provider.failed" in result.stderr
