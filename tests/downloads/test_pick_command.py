"""`manage.py harmony_pick`: download now and follow from a terminal, against the fake Spotify."""

import io
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from downloads.models import Job, JobScope, Watchlist
from tests.downloads.ops import no_dispatch  # noqa: F401  (fixture)
from tests.fakes.spotify import knobs_set
from tests.providers.spotify_helpers import connect_pro

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("hdm", "no_dispatch"),
]


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("harmony_pick", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_download_a_playlist_now(spotify_env):
    with knobs_set(SPOTIFY_MODE="pro"):
        connect_pro(spotify_env)
        output = run("download", f"spotify:playlist:{spotify_env.ids['playlist_mixed']}")
    parent = Job.objects.get(scope=JobScope.PLAYLIST)
    assert output.endswith(f"Queued 5, already queued 0, already owned 0. (job {parent.pk})\n")
    assert Job.objects.filter(parent=parent).count() == 5


def test_follow_an_artist_with_interval_since_and_types(spotify_env):
    link = f"https://open.spotify.com/artist/{spotify_env.ids['radiohead']}"
    output = run("follow", link, "--every", "120", "--since", "2001-01-01", "--types", "single")
    watchlist = Watchlist.objects.get()
    assert output.startswith(f"following artist Radiohead (watchlist {watchlist.pk})")
    assert (watchlist.sync_minutes, watchlist.since) == (120, date(2001, 1, 1))
    assert watchlist.release_types == ["single"] and watchlist.actor == "cli"


def test_following_a_playlist_in_free_mode_is_refused_with_the_reason(spotify_env):
    with pytest.raises(CommandError, match="needs a connected Spotify account"):
        run("follow", f"spotify:playlist:{spotify_env.ids['playlist_mixed']}")
    assert not Watchlist.objects.exists()
