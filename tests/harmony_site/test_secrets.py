"""Secrets at rest: Fernet round trip, one owner-only key file, clear failure on a bad token."""

import stat

import pytest

from harmony_site import secrets
from harmony_site.secrets import SecretDecryptError, decrypt_secret, encrypt_secret


@pytest.fixture
def config_dir(settings, tmp_path):
    settings.CONFIG_DIR = tmp_path
    return tmp_path


def test_round_trip_does_not_contain_the_plain_text(config_dir):
    token = encrypt_secret("sl5kd-api-key ✓")
    assert "sl5kd" not in token
    assert decrypt_secret(token) == "sl5kd-api-key ✓"


def test_key_file_is_created_once_with_owner_only_mode(config_dir):
    token = encrypt_secret("x")
    key_file = config_dir / secrets.FERNET_KEY_FILE
    first_key = key_file.read_text()
    secrets._fernet_for.cache_clear()
    assert decrypt_secret(token) == "x"
    assert key_file.read_text() == first_key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_tampered_token_raises_a_clear_error(config_dir):
    token = encrypt_secret("secret")
    with pytest.raises(SecretDecryptError, match="fernet.key"):
        decrypt_secret(token[:-4] + "AAAA")


def test_token_from_another_key_is_refused(settings, tmp_path):
    settings.CONFIG_DIR = tmp_path / "a"
    settings.CONFIG_DIR.mkdir()
    token = encrypt_secret("secret")
    settings.CONFIG_DIR = tmp_path / "b"
    settings.CONFIG_DIR.mkdir()
    with pytest.raises(SecretDecryptError):
        decrypt_secret(token)


def test_non_ascii_garbage_is_refused(config_dir):
    with pytest.raises(SecretDecryptError):
        decrypt_secret("not a token é")
