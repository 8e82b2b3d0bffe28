"""Download calls against the fake slskd: every transfer state, endings, retries, restart."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC

import pytest

from providers.errors import ProviderNotFound, ProviderResponseError, ProviderUnavailable
from providers.slskd.client import PeerUnavailable, SlskdClient, UnsafeRemotePath
from providers.slskd.paths import local_path_for
from providers.slskd.types import PeerFile, TransferState
from tests.fakes.base import Reply

REMOTE = "@@music\\Daft Punk\\Homework (1997)\\03 - Da Funk.flac"
AUDIO = b"fLaC" + bytes(range(256)) * 8


def enqueue(client, fake, username="flac_lover", filename=REMOTE, content=AUDIO):
    fake.set_content(username, filename, content)
    result = client.enqueue_download(username, [PeerFile(filename=filename, size=len(content))])
    assert result.failed_count == 0
    return result.enqueued[0]


def poll_until_terminal(client, transfer, limit=50):
    seen = [transfer.state]
    for _ in range(limit):
        transfer = client.get_transfer(transfer.username, transfer.id)
        if transfer.state != seen[-1]:
            seen.append(transfer.state)
        if transfer.state.is_terminal:
            return transfer, seen
    raise AssertionError(f"never finished: {seen}")


def test_transfer_walks_every_state_and_the_file_lands_after_success(slskd_client, fake_slskd):
    fake_slskd.script_transfer("flac_lover", remote_queue_polls=2, progress_polls=3)
    transfer = enqueue(slskd_client, fake_slskd)
    assert transfer.state is TransferState.QUEUED_LOCALLY
    assert transfer.requested_at.tzinfo is UTC  # sent without "Z": read as UTC

    progress = []
    seen = [transfer.state]
    while not transfer.state.is_terminal:
        transfer = slskd_client.get_transfer("flac_lover", transfer.id)
        if transfer.state is TransferState.IN_PROGRESS:
            progress.append(transfer.bytes_transferred)
        if transfer.state != seen[-1]:
            seen.append(transfer.state)
    assert seen == [
        TransferState.QUEUED_LOCALLY,
        TransferState.REQUESTED,
        TransferState.QUEUED_REMOTELY,
        TransferState.INITIALIZING,
        TransferState.IN_PROGRESS,
        TransferState.SUCCEEDED,
    ]
    assert progress == sorted(progress) and len(set(progress)) >= 2
    assert transfer.state.is_success and transfer.bytes_transferred == len(AUDIO)
    assert transfer.ended_at is not None and transfer.exception == ""

    expected = fake_slskd.downloads_dir / "Homework (1997)" / "03 - Da Funk.flac"
    assert not expected.exists()  # "Succeeded" is stored before the move
    slskd_client.get_transfer("flac_lover", transfer.id)
    assert expected.read_bytes() == AUDIO
    assert local_path_for(transfer) == expected.resolve()


@pytest.mark.parametrize(
    ("outcome", "state", "reason"),
    [
        ("rejected", TransferState.REJECTED, "File not shared."),
        ("timed_out", TransferState.TIMED_OUT, "Transfer timed out"),
        ("errored", TransferState.ERRORED, "Remote connection closed"),
        ("aborted", TransferState.ABORTED, "size mismatch"),
    ],
)
def test_scripted_failures_end_in_their_state_with_a_reason(
    slskd_client, fake_slskd, outcome, state, reason
):
    fake_slskd.script_transfer("flac_lover", outcome=outcome)
    transfer, seen = poll_until_terminal(slskd_client, enqueue(slskd_client, fake_slskd))
    assert transfer.state is state and not transfer.state.is_success
    assert reason in transfer.exception
    assert not list(fake_slskd.downloads_dir.rglob("*.flac"))


def test_size_mismatch_aborts(slskd_client, fake_slskd):
    fake_slskd.set_content("flac_lover", REMOTE, AUDIO)
    result = slskd_client.enqueue_download("flac_lover", [(REMOTE, len(AUDIO) + 1)])
    transfer, _ = poll_until_terminal(slskd_client, result.enqueued[0])
    assert transfer.state is TransferState.ABORTED


def test_cancel_is_asynchronous_then_remove(slskd_client, fake_slskd):
    fake_slskd.script_transfer("flac_lover", outcome="stall")
    transfer = enqueue(slskd_client, fake_slskd)
    slskd_client.cancel_download("flac_lover", transfer.id)
    assert slskd_client.remove_if_finished("flac_lover", transfer.id) is True
    removed = slskd_client.get_transfer("flac_lover", transfer.id)  # found by id when removed
    assert removed.state is TransferState.CANCELLED and removed.removed
    assert slskd_client.list_downloads() == []
    assert [t.id for t in slskd_client.list_downloads(include_removed=True)] == [transfer.id]


def test_cancel_and_remove_helper(slskd_client, fake_slskd):
    fake_slskd.script_transfer("flac_lover", outcome="stall")
    transfer = enqueue(slskd_client, fake_slskd)
    assert slskd_client.cancel_and_remove("flac_lover", transfer.id) is True
    assert slskd_client.list_user_downloads("flac_lover") == []


def test_remove_waits_while_the_transfer_is_still_active(slskd_client, fake_slskd):
    fake_slskd.mode = "manual"
    transfer = enqueue(slskd_client, fake_slskd)
    assert slskd_client.remove_if_finished("flac_lover", transfer.id) is False
    slskd_client.cancel_download("flac_lover", transfer.id)
    fake_slskd.advance()
    assert slskd_client.remove_if_finished("flac_lover", transfer.id) is True


def test_delete_of_unknown_id_is_204_and_bad_guid_is_400(slskd_client):
    slskd_client.cancel_download("nobody", str(uuid.uuid4()), remove=True)
    with pytest.raises(ProviderResponseError) as info:
        slskd_client.cancel_download("nobody", "not-a-guid")
    assert info.value.status == 400


def test_slskd_retry_returns_the_same_id_with_more_attempts(slskd_client, fake_slskd):
    fake_slskd.script_transfer("flac_lover", outcome="errored", retries=1)
    transfer = enqueue(slskd_client, fake_slskd)
    assert transfer.attempts == 1
    states = []
    while True:
        transfer = slskd_client.get_transfer("flac_lover", transfer.id)
        states.append((transfer.state, transfer.attempts))
        if transfer.state.is_success:
            break
    assert (TransferState.ERRORED, 1) in states
    errored_at = states.index((TransferState.ERRORED, 1))
    assert states[errored_at + 1] == (TransferState.QUEUED_LOCALLY, 2)
    assert TransferState.ERRORED.may_be_retried_by_slskd


def test_old_slskd_has_no_attempts_and_reports_failed_as_filenames(fake_slskd, slskd_client):
    fake_slskd.version = "0.25.1"
    fake_slskd.script_transfer("flac_lover", outcome="stall")
    first = enqueue(slskd_client, fake_slskd)
    assert first.attempts is None and first.removed is False
    again = slskd_client.enqueue_download("flac_lover", [(REMOTE, len(AUDIO))])
    assert (again.enqueued, again.failed_count) == ((), 1)


def test_file_already_in_progress_goes_to_failed(slskd_client, fake_slskd):
    enqueue(slskd_client, fake_slskd)
    again = slskd_client.enqueue_download("flac_lover", [(REMOTE, len(AUDIO))])
    assert (again.enqueued, again.failed_count) == ((), 1)


def test_reenqueue_after_finish_marks_the_old_record_removed(slskd_client, fake_slskd):
    fake_slskd.script_transfer("flac_lover", outcome="rejected")
    old, _ = poll_until_terminal(slskd_client, enqueue(slskd_client, fake_slskd))
    new = enqueue(slskd_client, fake_slskd)
    assert new.id != old.id
    assert slskd_client.get_transfer("flac_lover", old.id).removed


def test_offline_peer_is_peer_unavailable(slskd_client, fake_slskd):
    fake_slskd.add_offline_peer("ghost")
    with pytest.raises(PeerUnavailable, match="appears to be offline") as info:
        slskd_client.enqueue_download("ghost", [(REMOTE, 10)])
    assert info.value.status == 500
    assert slskd_client.slept == []  # an enqueue is never blindly repeated
    with pytest.raises(ProviderNotFound):
        slskd_client.user_status("ghost")


@pytest.mark.parametrize(
    "filename",
    ["@@x\\..\\..\\etc\\passwd", "@@x/../x.flac", "@@x\\.\\x.flac", "..", ""],
)
def test_traversal_paths_are_refused_before_sending(slskd_client, fake_slskd, filename):
    with pytest.raises(UnsafeRemotePath):
        slskd_client.enqueue_download("sneaky", [(filename, 10)])
    assert fake_slskd.requests_to("POST", r"/api/v0/transfers/downloads/.*") == []


def test_slskd_026_refuses_traversal_itself_with_400(slskd_client, fake_slskd):
    """Were the client check bypassed, slskd 0.26 answers 400 (and the fake agrees)."""
    with pytest.raises(ProviderResponseError, match="relative path segment"):
        slskd_client.http.request(
            "POST",
            "/api/v0/transfers/downloads/sneaky",
            json=[{"filename": "@@x\\..\\y.flac", "size": 1}],
            expected=(201,),
        )


def test_enqueue_429_when_two_are_in_flight_is_retried(slskd_client, fake_slskd):
    fake_slskd.inject(
        "POST", r"/api/v0/transfers/downloads/[^/]+", Reply.json("Only two concurrent", 429)
    )
    enqueue(slskd_client, fake_slskd)
    assert len(slskd_client.slept) == 1


def test_usernames_are_percent_encoded(slskd_client, fake_slskd):
    name = "mp3 fan/ünïcødé 100%"
    transfer = enqueue(slskd_client, fake_slskd, username=name)
    assert transfer.username == name
    raw = fake_slskd.requests_to("POST", r"/api/v0/transfers/downloads/.*")[0].raw_path
    assert "%2F" in raw and "%25" in raw and " " not in raw
    assert slskd_client.get_transfer(name, transfer.id).username == name
    assert [t.id for t in slskd_client.list_user_downloads(name)] == [transfer.id]
    assert slskd_client.user_status(name).presence == "Online"


def test_listing_and_user_without_transfers(slskd_client, fake_slskd):
    assert slskd_client.list_downloads() == []
    assert slskd_client.list_user_downloads("nobody") == []
    with pytest.raises(ProviderNotFound):
        slskd_client.get_transfer("nobody", str(uuid.uuid4()))
    one = enqueue(slskd_client, fake_slskd)
    two = enqueue(slskd_client, fake_slskd, username="other", filename="@@s\\B\\x.mp3")
    assert {t.id for t in slskd_client.list_downloads()} == {one.id, two.id}


def test_queue_position(slskd_client, fake_slskd):
    fake_slskd.mode = "manual"
    fake_slskd.script_transfer("flac_lover", outcome="stall", place_in_queue=7)
    transfer = enqueue(slskd_client, fake_slskd)
    with pytest.raises(ProviderUnavailable):  # not queued remotely yet: the peer cannot say
        slskd_client.queue_position("flac_lover", transfer.id)
    fake_slskd.advance(2)
    assert slskd_client.queue_position("flac_lover", transfer.id) == 7
    assert slskd_client.get_transfer("flac_lover", transfer.id).place_in_queue == 7


def test_restart_errors_active_downloads_and_requeues_them_under_new_ids(slskd_client, fake_slskd):
    fake_slskd.mode = "manual"
    transfer = enqueue(slskd_client, fake_slskd)
    fake_slskd.restart()
    old = slskd_client.get_transfer("flac_lover", transfer.id)
    assert old.state is TransferState.ERRORED and old.exception == "Application shut down"
    found = slskd_client.find_transfers("flac_lover", REMOTE)
    assert len(found) == 2 and found[0].id != transfer.id
    assert found[0].state is TransferState.QUEUED_LOCALLY


def test_collision_renames_with_ticks_and_the_mapping_finds_it(slskd_client, fake_slskd):
    first, _ = poll_until_terminal(slskd_client, enqueue(slskd_client, fake_slskd))
    slskd_client.get_transfer("flac_lover", first.id)  # the move
    other = b"other content, other size"
    second = enqueue(slskd_client, fake_slskd, username="another", content=other)
    second, _ = poll_until_terminal(slskd_client, second)
    slskd_client.get_transfer("another", second.id)
    folder = fake_slskd.downloads_dir / "Homework (1997)"
    names = sorted(p.name for p in folder.iterdir())
    assert names[0] == "03 - Da Funk.flac"
    assert names[1].startswith("03 - Da Funk_") and len(names[1]) == len("03 - Da Funk_.flac") + 18
    assert local_path_for(second).read_bytes() == other
    assert local_path_for(first).read_bytes() == AUDIO


def test_events_report_the_local_filename(slskd_client, fake_slskd):
    transfer, _ = poll_until_terminal(slskd_client, enqueue(slskd_client, fake_slskd))
    slskd_client.get_transfer("flac_lover", transfer.id)
    events = slskd_client.download_events()
    assert len(events) == 1
    event = events[0]
    assert event.local_filename == "/app/downloads/Homework (1997)/03 - Da Funk.flac"
    assert (event.remote_filename, event.transfer_id) == (REMOTE, transfer.id)
    assert local_path_for(transfer, event=event).read_bytes() == AUDIO
    assert slskd_client.completion_event_for(transfer.id) == event
    assert slskd_client.completion_event_for(str(uuid.uuid4())) is None
    assert fake_slskd.requests[-1].arg("limit") == "100"


def test_malformed_transfer_bodies(slskd_client, fake_slskd):
    transfer = enqueue(slskd_client, fake_slskd)
    route = r"/api/v0/transfers/downloads/[^/]+/[^/]+"
    fake_slskd.inject(
        "GET",
        route,
        Reply.json(
            {
                "id": transfer.id,
                "username": "u",
                "filename": "f",
                "size": 1,
                "state": "Completed, Exploded",
            }
        ),
    )
    with pytest.raises(ProviderResponseError, match="unknown TransferState"):
        slskd_client.get_transfer("flac_lover", transfer.id)
    fake_slskd.inject("GET", route, Reply.json({"id": transfer.id, "state": "Requested"}))
    with pytest.raises(ProviderResponseError, match="transfer has no 'username'"):
        slskd_client.get_transfer("flac_lover", transfer.id)
    fake_slskd.inject("GET", route, Reply.truncated_json())
    with pytest.raises(ProviderResponseError, match="malformed JSON"):
        slskd_client.get_transfer("flac_lover", transfer.id)


def test_download_5xx_burst_then_success_and_slow_answer(fake_slskd):
    client = SlskdClient(
        fake_slskd.url, fake_slskd.api_key, read_timeout=0.3, max_retries=2, sleep=lambda s: None
    )
    fake_slskd.inject("GET", r"/api/v0/transfers/downloads", Reply.empty(503), times=2)
    assert client.list_downloads() == []
    fake_slskd.delay("GET", r"/api/v0/transfers/downloads", 5.0, times=3)
    with pytest.raises(ProviderUnavailable, match="no answer"):
        client.list_downloads()


def test_auto_mode_advances_by_itself(tmp_path):
    """The mode used by `make demo` and drills: no polling needed to make progress."""
    from tests.fakes.slskd import FakeSlskd

    with FakeSlskd(downloads_dir=tmp_path, mode="auto", auto_interval=0.01) as fake:
        client = SlskdClient(fake.url, fake.api_key)
        offered = fake.offer_file("peer", "@@a\\Album\\01.flac", AUDIO)
        transfer = client.enqueue_download("peer", [(offered["filename"], offered["size"])])
        target = tmp_path / "Album" / "01.flac"
        deadline = time.monotonic() + 10
        while not target.exists() and time.monotonic() < deadline:
            threading.Event().wait(0.02)
        assert target.read_bytes() == AUDIO
        assert client.get_transfer("peer", transfer.enqueued[0].id).state.is_success


def test_daemon_down_then_back_on_the_same_port(slskd_client, fake_slskd):
    """A restart drill: the port closes, transfers are failed and re-enqueued, it comes back."""
    transfer = enqueue(slskd_client, fake_slskd)
    fake_slskd.stop()
    with pytest.raises(ProviderUnavailable):
        slskd_client.get_transfer("flac_lover", transfer.id)
    fake_slskd.restart()
    fake_slskd.start()
    assert slskd_client.get_transfer("flac_lover", transfer.id).exception == "Application shut down"
    newest = slskd_client.find_transfers("flac_lover", REMOTE)[0]
    assert newest.id != transfer.id and not newest.state.is_terminal
