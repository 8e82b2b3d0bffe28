"""`manage.py harmony_slskd` against the fake slskd."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from tests.fakes.slskd_data import sample_responses


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("harmony_slskd", *args, stdout=out)
    return out.getvalue()


def test_search_prints_a_table_and_deletes_the_search(fake_slskd):
    fake_slskd.script_search("funk", responses=sample_responses("Daft Punk", "Da Funk"))
    output = run("search", "Daft Punk Da Funk", "--timeout", "30", "--poll-interval", "0.01")
    assert "Completed, TimedOut: 5 responses" in output
    assert "flac_lover" in output and "16/44k" in output
    assert "[refused: unsafe path]" in output
    assert fake_slskd.searches == {}


def test_search_while_logged_out_is_a_clear_error(fake_slskd):
    fake_slskd.set_logged_in(False)
    with pytest.raises(CommandError, match="not logged in"):
        run("search", "anything here")


def test_search_unconfigured(knobs):
    knobs["SLSKD_URL"] = ""
    with pytest.raises(CommandError, match="SLSKD_URL is empty"):
        run("search", "anything here")


def test_status(fake_slskd):
    assert "Connected, LoggedIn" in run("status")
    fake_slskd.set_logged_in(False)
    with pytest.raises(CommandError, match="not ready"):
        run("status")


def test_fake_slskd_starts_by_hand(tmp_path):
    """`python -m tests.fakes.slskd` serves until stopped (the demo and drills use it)."""
    import subprocess
    import sys

    import requests

    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.fakes.slskd",
            "--port",
            "0",
            "--downloads-dir",
            str(tmp_path),
            "--api-key",
            "hand-key-0123456789",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = process.stdout.readline().split(" on ")[-1].strip()
        assert requests.get(f"{url}/health", timeout=5).text == "Healthy"
        server = requests.get(
            f"{url}/api/v0/server", headers={"X-API-Key": "hand-key-0123456789"}, timeout=5
        )
        assert server.json()["isLoggedIn"] is True
    finally:
        process.terminate()
        process.wait(timeout=10)
