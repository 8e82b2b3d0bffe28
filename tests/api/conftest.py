"""API test fixtures: clients per role (API keys), bulk library rows, a private harmony.yml."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import Client

from accounts import services
from library.models import Album, Artist, AuditEvent, LibraryFile, Track


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()  # throttles and API-key failure counters live in the cache
    yield
    cache.clear()


def key_client(role: str) -> Client:
    _, key = services.create_api_key(name=f"{role}-key", role=role, actor="test")
    return Client(raise_request_exception=False, headers={"X-API-Key": key})


@pytest.fixture
def admin_api(db) -> Client:
    return key_client("admin")


@pytest.fixture
def operator_api(db) -> Client:
    return key_client("operator")


@pytest.fixture
def viewer_api(db) -> Client:
    return key_client("viewer")


@pytest.fixture
def settings_yml(tmp_path, monkeypatch) -> Path:
    """A private copy of harmony.yml that settings writes go to."""
    from harmony_site import configuration
    from harmony_site.config import get_config

    path = tmp_path / "harmony.yml"
    shutil.copy(get_config().yml_path, path)
    monkeypatch.setattr(configuration, "settings_file", lambda: path)
    return path


def make_library(count: int, *, fmt: str = "flac") -> list[Track]:
    """`count` tracks of one album, each with a present file and an audit event (bulk)."""
    artist = Artist.objects.create(name="Bulk Artist")
    album = Album.objects.create(title="Bulk Album", album_artist=artist)
    tracks = Track.objects.bulk_create(
        Track(
            title=f"Song {n}",
            artists="Bulk Artist",
            artist=artist,
            album=album,
            track_number=n,
            artist_key="bulk artist",
            title_key=f"song {n}",
        )
        for n in range(count)
    )
    files = LibraryFile.objects.bulk_create(
        LibraryFile(
            track=track,
            path=f"Bulk/{track.pk}.{fmt}",
            format=fmt,
            codec=fmt,
            bitrate_kbps=320 if fmt == "mp3" else None,
            sample_rate=44100,
            bit_depth=16 if fmt == "flac" else None,
            size=1000,
        )
        for track in tracks
    )
    AuditEvent.objects.bulk_create(
        AuditEvent(kind="ingested", actor="system", track=f.track, file=f) for f in files
    )
    return tracks
