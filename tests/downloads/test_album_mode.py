"""Album mode end to end (sync mode, fake slskd over real sockets, real audio): one peer's
complete folder is preferred, per-track search only for what it lacks."""

from __future__ import annotations

import pytest

from downloads import submit
from downloads.jobs import sweeper
from downloads.models import Candidate, Job, JobState, SlskdSearch
from tests.downloads.conftest import World, make_meta, settle
from tests.fakes.slskd_data import peer_file, peer_response

pytestmark = pytest.mark.django_db(transaction=True)

ALBUM_QUERY = "testers test album"


@pytest.fixture
def world(hdm, settings, library_dirs, fake_slskd, audio_cache, tmp_path):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": True}
    hdm["HDM_ALBUM_COLLECT_S"] = 0.5  # the tracks below are submitted well within this
    return World(fake_slskd, audio_cache, tmp_path)


def _folder(world: World, username: str, folder: str, tracks, *, extras=(), speed=1_000_000):
    """`username` shares `folder` holding wanted tracks `tracks` (real FLAC) plus `extras`."""
    files = []
    for n in tracks:
        filename = f"{folder}\\{n:02d} - {make_meta(n).title}.flac"
        content = world.audio(n)
        world.fake.set_content(username, filename, content)
        files.append(
            peer_file(
                filename, len(content), bit_rate=100, bit_depth=16, sample_rate=44100, length=2
            )
        )
    files += [peer_file(f"{folder}\\{name}", 1234) for name in extras]
    return peer_response(username, files, upload_speed=speed)


def _submit_album(tracks) -> tuple[Job, list[Job]]:
    parent = submit.submit_parent(
        scope="album", ref="spotify:album:test", label="The Testers — Test Album",
        kind="manual", actor="t",
    ).job  # fmt: skip
    children = [
        submit.submit_wanted(make_meta(n), kind="manual", actor="t", parent=parent).job
        for n in tracks
    ]
    return parent, children


def test_an_album_takes_one_peers_complete_folder_without_per_track_searches(world):
    share = "@@share\\Music\\The Testers"
    responses = [
        # Faster peers with part of the album: a complete folder still wins.
        _folder(world, "partial_one", f"{share}\\Test Album", [1], speed=9_000_000),
        _folder(world, "partial_two", f"{share}\\Test Album [MP3?]", [1, 2], speed=9_000_000),
        _folder(
            world,
            "complete",
            f"{share}\\Test Album (2001)",
            [1, 2, 3],
            extras=["cover.jpg", "Test Album.nfo", "Test Album.cue"],
            speed=200_000,
        ),  # fmt: skip
    ]
    world.fake.script_search(ALBUM_QUERY, responses=responses)
    parent, children = _submit_album([1, 2, 3])
    children = settle(*children)
    assert [c.state for c in children] == [JobState.DONE] * 3, [
        list(c.events.values_list("reason", flat=True)) for c in children
    ]
    for child in children:
        chosen = child.candidates.get(state=Candidate.State.CHOSEN)
        assert chosen.username == "complete"
        assert chosen.score["album_folder"].endswith("Test Album (2001)")
        assert "album_folder_match" in child.events.values_list("reason", flat=True)
    # One search for the whole album, deleted in slskd; no track searched on its own.
    assert list(SlskdSearch.objects.values_list("job_id", flat=True)) == [parent.pk]
    assert not world.fake.searches
    # Only audio was downloaded: the .nfo/.cue/.jpg never gated completion.
    downloaded = {t.filename.rsplit("\\", 1)[-1] for t in world.fake.transfers.values()}
    assert downloaded == {f"{n:02d} - {make_meta(n).title}.flac" for n in (1, 2, 3)}
    chosen_event = parent.events.get(reason="album_folder_chosen")
    assert chosen_event.details["matched"] == 3 and chosen_event.details["extras_ignored"] == 3
    sweeper.sweep_jobs()
    assert Job.objects.get(pk=parent.pk).state == JobState.DONE


def test_tracks_missing_from_the_best_folder_are_searched_one_by_one(world):
    share = "@@share\\Music\\The Testers"
    world.offer("single_peer", 3)  # only a per-track search finds track 3
    responses = [
        _folder(world, "mostly", f"{share}\\Test Album", [1, 2], extras=["folder.jpg"]),
        _folder(world, "one_track", f"{share}\\Misc", [2]),
    ]
    world.fake.script_search(ALBUM_QUERY, responses=responses)
    parent, children = _submit_album([1, 2, 3])
    one, two, three = settle(*children)
    assert (one.state, two.state, three.state) == (JobState.DONE,) * 3
    assert {c.candidates.get(state="chosen").username for c in (one, two)} == {"mostly"}
    assert three.candidates.get(state="chosen").username == "single_peer"
    searched = list(SlskdSearch.objects.values_list("job_id", flat=True).order_by("created_at"))
    assert searched == [parent.pk, three.pk]
    missing = parent.events.get(reason="album_folder_chosen").details["missing"]
    assert missing == ["The Testers — Song Charlie"]


def test_a_failed_folder_file_falls_back_to_a_per_track_search(world):
    share = "@@share\\Music\\The Testers"
    world.offer("backup_peer", 2)
    responses = [_folder(world, "flaky", f"{share}\\Test Album", [1, 2])]
    world.fake.script_transfer(
        "flaky", f"{share}\\Test Album\\02 - Song Bravo.flac", outcome="rejected"
    )
    world.fake.script_search(ALBUM_QUERY, responses=responses)
    _parent, children = _submit_album([1, 2])
    one, two = settle(*children)
    assert (one.state, two.state) == (JobState.DONE, JobState.DONE)
    assert two.candidates.get(state="chosen").username == "backup_peer"
    assert "per_track_search" in two.events.values_list("reason", flat=True)


def test_no_folder_at_all_lets_every_track_search_alone(world):
    world.offer("good_peer", 1)
    world.fake.script_search(ALBUM_QUERY, responses=[])
    parent, children = _submit_album([1])
    (child,) = settle(*children)
    assert child.state == JobState.DONE
    reasons = list(parent.events.values_list("reason", flat=True))
    assert "album_folder_not_found" in reasons
