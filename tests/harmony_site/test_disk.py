"""A full disk: said in words, reported by readiness and the System panel."""

from __future__ import annotations

import errno

import pytest
from django.test import Client

from accounts.services import create_user
from harmony_site.disk import describe_os_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def floor(knobs, library_dirs):
    """`floor(mb)` sets DISK_MIN_FREE_MB for this test."""
    return lambda mb: knobs.update(DISK_MIN_FREE_MB=mb)


def test_readiness_and_the_system_panel_name_the_directory_below_the_floor(floor):
    floor(0)
    assert Client().get("/api/health/ready").status_code == 200
    floor(10**12)  # more than any disk holds: every data directory is "full"
    answer = Client().get("/api/health/ready")
    assert answer.status_code == 503 and "disk" in answer.json()["failing"]
    assert "DOWNLOADS_DIR" in answer.json()["detail"]["disk"]
    user = create_user(username="root", password="pass-word-0123", role="admin", actor="test")
    client = Client()
    client.force_login(user)
    page = client.get("/ui/system").content.decode()
    assert "below DISK_MIN_FREE_MB" in page


def test_a_full_disk_is_one_sentence_naming_the_file():
    exc = OSError(errno.ENOSPC, "No space left on device", "/music/A/01 Song.flac")
    text = describe_os_error(exc)
    assert text.startswith("the disk is full") and "/music/A/01 Song.flac" in text
    assert "Errno" not in text and "Traceback" not in text
