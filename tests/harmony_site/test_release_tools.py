"""The release tooling: the audit verdict of scripts/release_check.py, bench/report.py's table,
and the live fake slskd's control routes that scripts/drill.py drives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from bench import report
from scripts import release_check
from tests.fakes.live import LiveSlskd, catalogue_track, track_code


def _audit_json(*dependencies: dict) -> str:
    return json.dumps({"dependencies": list(dependencies), "fixes": []})


def test_an_audit_with_answers_for_every_package_is_clean():
    verdict = release_check.parse_audit(
        0, _audit_json({"name": "django", "version": "5.2", "vulns": []}), ""
    )
    assert verdict.reachable and verdict.audited == 1 and not verdict.vulnerabilities


def test_packages_the_service_did_not_answer_for_mean_no_audit():
    # pip-audit exits 0 and says "No known vulnerabilities" when every lookup was skipped.
    skipped = {"name": "django", "skip_reason": "Dependency not found and could not be audited"}
    verdict = release_check.parse_audit(0, _audit_json(skipped), "")
    assert not verdict.reachable and verdict.skipped == 1 and verdict.audited == 0


def test_a_connection_error_means_the_service_was_unreachable():
    stderr = "Traceback ...\nrequests.exceptions.ConnectionError: Max retries exceeded"
    verdict = release_check.parse_audit(1, "", stderr)
    assert not verdict.reachable and "ConnectionError" in verdict.detail


def test_known_vulnerabilities_are_listed():
    vulnerable = {
        "name": "django",
        "version": "5.2",
        "vulns": [{"id": "PYSEC-1", "fix_versions": ["5.2.1"]}],
    }
    verdict = release_check.parse_audit(1, _audit_json(vulnerable), "")
    assert verdict.vulnerabilities == ["django 5.2: PYSEC-1 (fixed in 5.2.1)"]


def test_an_unreachable_audit_fails_the_gate_unless_offline(monkeypatch):
    unreachable = release_check.AuditVerdict(False, 0, 3, [], "no answer")
    monkeypatch.setattr(release_check, "audit", lambda: unreachable)
    args = release_check.argparse.Namespace(offline=False, offline_used=False)
    with pytest.raises(release_check.GateFailed, match="NOT done"):
        release_check.step_audit(args)
    args.offline = True
    assert "SKIPPED" in release_check.step_audit(args)
    assert args.offline_used


def test_the_production_sample_reads_as_variables():
    values = release_check.read_env_file(release_check.PRODUCTION_ENV)
    assert values["DEBUG"] == "false" and "CONFIG_DIR" in values


def test_the_report_reads_known_and_unknown_result_shapes(tmp_path: Path):
    (tmp_path / "api.json").write_text(
        json.dumps(
            {
                "benchmark": "api",
                "when": "2026-11-23T10:00:00+00:00",
                "targets": {"p99_ms": 100.0},
                "results": {"GET /x": {"requests_per_s": 50.0, "p99_ms": 80.0, "errors": 0}},
            }
        )
    )
    (tmp_path / "new.json").write_text(json.dumps({"benchmark": "new", "run": {"per_s": 3}}))
    api_rows, when = report.read_rows(tmp_path / "api.json")
    assert when.startswith("2026-11-23")
    assert [row.met for row in api_rows] == [None, True, True]
    new_rows, _ = report.read_rows(tmp_path / "new.json")
    assert [(row.measure, row.value) for row in new_rows] == [("run.per_s", "3")]
    doc = report.render_doc({"api": (api_rows, when)}, report.datetime.now(report.UTC))
    assert "| api | GET /x: p99 ms | 80.0 | < 100 | met |" in doc
    assert "Machine:" in doc


def test_a_changed_result_shape_is_reported_not_fatal(tmp_path: Path):
    (tmp_path / "pipeline.json").write_text(json.dumps({"benchmark": "pipeline"}))
    rows, _ = report.read_rows(tmp_path / "pipeline.json")
    assert "unreadable result" in rows[0].measure


@pytest.fixture
def live_slskd(tmp_path: Path):
    fake = LiveSlskd(
        tracks=1, audio_cache=tmp_path / "cache", downloads_dir=tmp_path / "downloads", mode="poll"
    )
    with fake:
        yield fake


def test_the_live_fake_offers_real_audio_and_obeys_its_controls(live_slskd):
    headers = {"X-API-Key": live_slskd.api_key}
    assert track_code(27) == "qabb"
    assert catalogue_track(0)["title"] == f"Song {track_code(0)}"
    script = live_slskd._search_script(f"harmony drill song {track_code(0)}")
    # Two peers share each track, a third a name UTF-8 cannot hold; no FLAC has a bit rate.
    assert [len(r["files"]) for r in script.responses] == [1, 1, 1]
    assert all("bitRate" not in r["files"][0] for r in script.responses)
    assert "\udcf6" in script.responses[2]["files"][0]["filename"]
    server = f"{live_slskd.url}/api/v0/server"
    requests.post(f"{live_slskd.url}/__control/logged-in", json={"value": False}, timeout=5)
    assert requests.get(server, headers=headers, timeout=5).json()["isLoggedIn"] is False
    requests.post(f"{live_slskd.url}/__control/outage", json={"seconds": 60}, timeout=5)
    assert requests.get(server, headers=headers, timeout=5).status_code == 503
    stats = requests.get(f"{live_slskd.url}/__control/stats", timeout=5).json()
    assert stats["delivered"] == 0
