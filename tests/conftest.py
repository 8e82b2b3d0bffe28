"""Suite-wide fixtures: only loopback network, and fresh library directories per test."""

import ipaddress
import socket
from pathlib import Path

import pytest

# Fake-provider fixtures (real loopback servers): fake_spotify, spotify_env, fake_lrclib,
# fake_slskd, slskd_client.
pytest_plugins = ["tests.fakes.fixtures"]

_real_connect = socket.socket.connect


def _loopback_only_connect(sock: socket.socket, address, *args, **kwargs):
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if not loopback:
            raise OSError(f"tests may only connect to loopback, not {host}")
    return _real_connect(sock, address, *args, **kwargs)


@pytest.fixture(autouse=True)
def _block_network(monkeypatch):
    monkeypatch.setattr(socket.socket, "connect", _loopback_only_connect)


@pytest.fixture(autouse=True, scope="session")
def _test_client_host(django_test_environment):
    # Django's test client sends `Host: testserver`; Harmony's host guard must know that name.
    from django.conf import settings

    settings.HARMONY_ALLOWED_HOSTS = [*settings.HARMONY_ALLOWED_HOSTS, "testserver"]


@pytest.fixture(autouse=True)
def _fresh_secret_registry(monkeypatch):
    # Secrets registered for redaction (everything encrypted, every key created) live for the
    # process; per test, so one test's "secret" does not redact another test's log line.
    from harmony_site import logs

    monkeypatch.setattr(logs, "_registered", {})


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Production keeps Django's slow PBKDF2; tests create many users and only need it to work.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def library_dirs(settings, tmp_path) -> tuple[Path, Path]:
    """Empty DOWNLOADS_DIR and MUSIC_DIR for one test, wired into the settings."""
    downloads, music = tmp_path / "downloads", tmp_path / "music"
    downloads.mkdir()
    music.mkdir()
    settings.DOWNLOADS_DIR = downloads
    settings.MUSIC_DIR = music
    return downloads, music
