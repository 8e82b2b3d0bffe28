"""`GET/PATCH /api/v1/settings`: masked secrets, validated writes, comments kept, audited."""

from __future__ import annotations

import pytest
import yaml

from harmony_site.config import KNOBS, MASK, load
from library.models import AuditEvent

pytestmark = pytest.mark.django_db


def rows(client) -> dict[str, dict]:
    response = client.get("/api/v1/settings")
    assert response.status_code == 200
    return {row["name"]: row for row in response.json()["settings"]}


def patch(client, body):
    return client.patch("/api/v1/settings", body, content_type="application/json")


def test_every_knob_is_listed_with_its_source(admin_api):
    listed = rows(admin_api)
    assert set(listed) == {knob.name for knob in KNOBS}
    assert listed["MUSIC_DIR"]["source"] == "environment" and not listed["MUSIC_DIR"]["editable"]
    assert listed["HDM_WORKERS"]["source"] in ("harmony.yml", "default")


def test_secrets_are_masked(admin_api, monkeypatch):
    from harmony_site import config

    running = config.get_config()
    values = {**running.values, "SLSKD_API_KEY": "hunter2-secret"}
    monkeypatch.setattr(
        "harmony_site.configuration.get_config",
        lambda: config.Config(
            values=values,
            sources=running.sources,
            config_dir=running.config_dir,
            yml_path=running.yml_path,
        ),
    )
    response = admin_api.get("/api/v1/settings")
    assert "hunter2-secret" not in response.content.decode()
    assert rows(admin_api)["SLSKD_API_KEY"]["value"] == MASK


def test_only_admins_read_settings(viewer_api, operator_api):
    assert viewer_api.get("/api/v1/settings").status_code == 403
    assert operator_api.get("/api/v1/settings").status_code == 403


def test_patch_writes_only_the_changed_lines_and_audits(admin_api, settings_yml):
    before = settings_yml.read_text()
    response = patch(
        admin_api,
        {
            "HDM_WORKERS": 4,
            "ALLOWED_HOSTS": "a.example, b.example",
            "SLSKD_API_KEY": "new-secret-key",
        },
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["changed"] == ["ALLOWED_HOSTS", "HDM_WORKERS", "SLSKD_API_KEY"]
    assert body["restart_required"] == body["changed"]
    after = settings_yml.read_text()
    data = yaml.safe_load(after)
    assert data["HDM_WORKERS"] == 4 and data["ALLOWED_HOSTS"] == ["a.example", "b.example"]
    # Every comment line survives; only the values changed.
    comments = [line for line in before.splitlines() if line.startswith("#")]
    assert comments == [line for line in after.splitlines() if line.startswith("#")]
    event = AuditEvent.objects.get(kind="settings_changed")
    assert event.details["changed"]["HDM_WORKERS"] == {"from": 2, "to": 4}
    assert "new-secret-key" not in str(event.details)
    assert event.actor == "apikey:admin-key"


def test_secrets_are_stored_encrypted_and_read_back(admin_api, settings_yml):
    assert patch(admin_api, {"SLSKD_API_KEY": "new-secret-key"}).status_code == 200
    stored = yaml.safe_load(settings_yml.read_text())["SLSKD_API_KEY"]
    assert stored.startswith("enc:") and "new-secret-key" not in settings_yml.read_text()
    assert load({"CONFIG_DIR": str(settings_yml.parent)})["SLSKD_API_KEY"] == "new-secret-key"
    # The same value again is no change, although every encryption differs.
    assert patch(admin_api, {"SLSKD_API_KEY": "new-secret-key"}).json()["changed"] == []


def test_patch_validates_values(admin_api, settings_yml):
    before = settings_yml.read_text()
    response = patch(
        admin_api, {"HDM_WORKERS": 0, "SPOTIFY_MODE": "premium", "NOPE": 1, "DEBUG": "maybe"}
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {
        "HDM_WORKERS",
        "SPOTIFY_MODE",
        "NOPE",
        "DEBUG",
    }
    assert settings_yml.read_text() == before


def test_patch_refuses_env_overridden_knobs(admin_api, settings_yml, monkeypatch):
    monkeypatch.setenv("HDM_WORKERS", "3")
    response = patch(admin_api, {"HDM_WORKERS": 5})
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "env_override" and "HDM_WORKERS" in error["details"]


def test_patch_refuses_environment_only_knobs(admin_api, settings_yml):
    assert patch(admin_api, {"CONFIG_DIR": "/tmp"}).status_code == 400


def test_masked_secret_sent_back_changes_nothing(admin_api, settings_yml):
    response = patch(admin_api, {"SLSKD_API_KEY": MASK})
    assert response.status_code == 200 and response.json()["changed"] == []


@pytest.mark.parametrize("body", [[], "text", {}, {"LOG_LEVEL": "x" * 5000}])
def test_patch_refuses_malformed_bodies(admin_api, settings_yml, body):
    assert patch(admin_api, body).status_code == 400


def test_pending_value_is_flagged_until_restart(admin_api, settings_yml, monkeypatch):
    from harmony_site import config

    real_load = config.load
    monkeypatch.setattr(
        "harmony_site.configuration.load",
        lambda environ=None: real_load(
            {**__import__("os").environ, "CONFIG_DIR": str(settings_yml.parent)}
        ),
    )
    patch(admin_api, {"HDM_WORKERS": 6})
    assert rows(admin_api)["HDM_WORKERS"]["pending_restart"]


def test_a_hand_broken_file_is_not_overwritten(admin_api, settings_yml):
    settings_yml.write_text("HDM_WORKERS: [unclosed\n")
    response = patch(admin_api, {"HDM_WORKERS": 3})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "config_file_invalid"
    assert settings_yml.read_text() == "HDM_WORKERS: [unclosed\n"
