"""The declared configuration: generation, precedence, upgrades and one-line errors."""

import stat

import pytest
import yaml

from harmony_site import config, secrets
from harmony_site.config import ConfigError, load


def test_first_boot_writes_every_knob_with_its_default_and_help(tmp_path):
    cfg = load({"CONFIG_DIR": str(tmp_path)})
    text = (tmp_path / "harmony.yml").read_text()
    data = yaml.safe_load(text)
    for knob in config.KNOBS:
        if knob.env_only:
            assert knob.name not in data
            continue
        assert knob.name in data
        assert f"# {knob.help}" in text
    assert cfg.sources["MUSIC_DIR"] == "harmony.yml"


def test_environment_beats_file_beats_default(tmp_path):
    load({"CONFIG_DIR": str(tmp_path)})
    yml = tmp_path / "harmony.yml"
    yml.write_text(yml.read_text().replace("WEB_WORKERS: 2", "WEB_WORKERS: 5"))
    assert load({"CONFIG_DIR": str(tmp_path)})["WEB_WORKERS"] == 5
    cfg = load({"CONFIG_DIR": str(tmp_path), "WEB_WORKERS": "7"})
    assert cfg["WEB_WORKERS"] == 7
    assert cfg.sources["WEB_WORKERS"] == "environment"


def test_existing_file_is_kept_and_new_knobs_are_appended(tmp_path):
    (tmp_path / "harmony.yml").write_text("# mine\nWEB_WORKERS: 3\n")
    cfg = load({"CONFIG_DIR": str(tmp_path)})
    text = (tmp_path / "harmony.yml").read_text()
    assert text.startswith("# mine\nWEB_WORKERS: 3\n")
    assert "Added by Harmony" in text
    assert cfg["WEB_WORKERS"] == 3
    assert set(yaml.safe_load(text)) == {k.name for k in config.KNOBS if not k.env_only}


@pytest.mark.parametrize(
    ("yml", "message"),
    [
        ("WEB_WORKERS: [unclosed\n", "malformed YAML"),
        ("NOT_A_KNOB: 1\n", "unknown key 'NOT_A_KNOB'"),
        ("WEB_WORKERS: many\n", "WEB_WORKERS must be a whole number"),
        ("- a list\n", "must be a mapping"),
        ("CONFIG_DIR: /elsewhere\n", "only be set in the environment"),
    ],
)
def test_bad_file_stops_with_one_line_naming_file_and_key(tmp_path, yml, message):
    (tmp_path / "harmony.yml").write_text(yml)
    with pytest.raises(ConfigError) as caught:
        load({"CONFIG_DIR": str(tmp_path)})
    text = str(caught.value)
    assert message in text
    assert str(tmp_path / "harmony.yml") in text
    assert "\n" not in text


def test_bad_environment_value_names_the_variable_and_type(tmp_path):
    with pytest.raises(
        ConfigError,
        match="environment variable SQLITE_BUSY_TIMEOUT: SQLITE_BUSY_TIMEOUT must be a number",
    ):
        load({"CONFIG_DIR": str(tmp_path), "SQLITE_BUSY_TIMEOUT": "abc"})


def test_secret_key_is_generated_once_with_owner_only_mode(tmp_path):
    first = load({"CONFIG_DIR": str(tmp_path)})["SECRET_KEY"]
    second = load({"CONFIG_DIR": str(tmp_path)})["SECRET_KEY"]
    key_file = tmp_path / "secret_key"
    assert first == second and len(first) >= 50
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_secrets_are_masked_for_display(tmp_path):
    cfg = load({"CONFIG_DIR": str(tmp_path), "DATABASE_URL": "postgres://u:pw@h/db"})
    assert cfg.display_value("DATABASE_URL") == config.MASK


def test_secrets_written_encrypted_are_decrypted_on_load(tmp_path):
    load({"CONFIG_DIR": str(tmp_path)})
    token = secrets.encrypt_for_file(tmp_path, "s3cret-slskd-key")
    yml = tmp_path / "harmony.yml"
    yml.write_text(yml.read_text().replace("DATABASE_URL: ''", f"DATABASE_URL: {token}"))
    assert "s3cret" not in yml.read_text()
    assert load({"CONFIG_DIR": str(tmp_path)})["DATABASE_URL"] == "s3cret-slskd-key"


def test_undecryptable_secret_stops_with_one_line(tmp_path):
    load({"CONFIG_DIR": str(tmp_path)})
    yml = tmp_path / "harmony.yml"
    yml.write_text(yml.read_text().replace("DATABASE_URL: ''", "DATABASE_URL: enc:garbage"))
    with pytest.raises(ConfigError, match="DATABASE_URL cannot be decrypted"):
        load({"CONFIG_DIR": str(tmp_path)})
