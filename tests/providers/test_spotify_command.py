"""`manage.py harmony_spotify` against the fake Spotify."""

import io

import pytest
from django.core.management import CommandError, call_command

from providers.spotify.auth import AppTokenSource
from tests.fakes.spotify import knobs_set
from tests.providers.spotify_helpers import connect_pro

pytestmark = pytest.mark.django_db(transaction=True)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("harmony_spotify", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture(autouse=True)
def _fresh_app_tokens():
    AppTokenSource.forget_all()
    yield
    AppTokenSource.forget_all()


def test_import_prints_an_album_as_a_table(spotify_env):
    output = run("import", f"https://open.spotify.com/album/{spotify_env.ids['album_day']}?si=1")
    lines = output.splitlines()
    assert lines[0].split() == ["Artist", "Title", "Album", "Time", "ISRC"]
    assert "Sigur Rós" in lines[2] and "Svefn-g-englar" in lines[2] and "QZFAK" in lines[2]
    assert lines[-1] == "3 track(s), 0 skipped"


def test_import_lists_skipped_playlist_entries(spotify_env):
    with knobs_set(SPOTIFY_MODE="pro"):
        connect_pro(spotify_env)
        output = run("import", f"spotify:playlist:{spotify_env.ids['playlist_mixed']}")
    assert "skipped #4: null_item" in output and "skipped #5: episode" in output
    assert output.splitlines()[-1] == "5 track(s), 2 skipped"


def test_import_text_list_needs_no_spotify(tmp_path):
    path = tmp_path / "list.txt"
    path.write_text("Björk - Jóga\nbad line\n", encoding="utf-8")
    with knobs_set(SPOTIFY_CLIENT_ID=""):
        output = run("import", "--text", str(path))
    assert "Jóga" in output and output.splitlines()[-1] == "1 track(s), 0 skipped"


def test_bad_link_is_a_clear_command_error(spotify_env):
    with pytest.raises(CommandError, match="not a Spotify link"):
        run("import", "https://example.com/x")


def test_status_and_login(spotify_env):
    assert '"configured": true' in run("status")
    assert run("login").startswith(spotify_env.accounts_url + "/authorize?")


def test_library_pages_through_saved_tracks_and_says_where_to_go_on(spotify_env):
    with knobs_set(SPOTIFY_MODE="pro"):
        connect_pro(spotify_env)
        first = run("library", "tracks", "--limit", "25")
        assert "25 shown of 59 tracks" in first and first.rstrip().endswith("more: --cursor 25")
        last = run("library", "tracks", "--limit", "25", "--cursor", "50")
        assert "9 shown of 59 tracks" in last and "more:" not in last
        playlists = run("library", "playlists", "--search", "list")
    assert "Growing List" in playlists and "Someone Else's Public List" in playlists
    foreign = next(line for line in playlists.splitlines() if "Someone Else's" in line)
    assert foreign.endswith("(not yours: cannot be read)")
    assert "Mixed Bag" not in playlists


def test_library_in_free_mode_is_a_clear_error(spotify_env):
    with pytest.raises(CommandError, match="needs PRO mode"):
        run("library", "playlists")
