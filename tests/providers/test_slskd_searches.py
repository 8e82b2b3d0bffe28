"""Search calls against the fake slskd: lifecycle over polls, every state, every error."""

from __future__ import annotations

import threading
import uuid

import pytest

from providers.errors import ProviderNotFound, ProviderResponseError, ProviderUnavailable
from providers.slskd.client import SlskdClient, SlskdLoggedOut
from providers.slskd.types import SearchState
from tests.fakes.base import Reply
from tests.fakes.slskd_data import sample_responses


def test_search_lifecycle_counters_rise_then_responses_arrive_with_ended_at(
    slskd_client, fake_slskd
):
    fake_slskd.script_search("daft", responses=sample_responses("Daft Punk", "Da Funk"))
    search_id = str(uuid.uuid4())
    search = slskd_client.create_search("Daft Punk Da Funk", search_id=search_id)
    assert (search.id, search.state, search.ended_at) == (search_id, SearchState.IN_PROGRESS, None)
    assert fake_slskd.requests[-1].json()["id"] == search_id

    counts, polls = [], []
    while True:
        search = slskd_client.get_search(search_id)
        polls.append(search)
        counts.append(search.response_count)
        if search.responses_ready:
            break
    assert counts == sorted(counts) and counts[0] < counts[-1] == 5
    assert all(p.responses == () for p in polls)
    lagging = [p for p in polls if p.is_complete and p.ended_at is None]
    assert len(lagging) == 1  # the final state shows one poll before responses are written
    assert search.state is SearchState.TIMED_OUT
    assert search.ended_at.tzinfo is not None

    with_responses = slskd_client.get_search(search_id, include_responses=True)
    responses = slskd_client.get_search_responses(search_id)
    assert with_responses.responses == tuple(responses)
    assert [r.username for r in responses][:2] == ["flac_lover", "mp3 fan/ünïcødé"]


def test_responses_parse_omitted_attributes_locked_files_and_odd_paths(slskd_client, fake_slskd):
    fake_slskd.script_search(
        "funk", responses=sample_responses("Daft Punk", "Da Funk"), running_polls=0, lag_poll=False
    )
    search = slskd_client.create_search("da funk")
    slskd_client.get_search(search.id)
    by_user = {r.username: r for r in slskd_client.get_search_responses(search.id)}

    flac = by_user["flac_lover"].files[0]
    assert flac.filename == "@@music\\Daft Punk\\Daft Punk - Album (2001) [FLAC]\\01 - Da Funk.flac"
    assert (flac.bit_depth, flac.sample_rate, flac.length, flac.bit_rate) == (16, 44100, 215, None)
    bare = by_user["mp3 fan/ünïcødé"].files[1]
    assert (bare.extension, bare.bit_rate, bare.length, bare.is_variable_bit_rate) == (
        "",
        None,
        None,
        None,
    )
    assert by_user["locker"].files == ()
    assert by_user["locker"].locked_files[0].filename.endswith("Da Funk.flac")
    assert by_user["slash_user"].files[0].filename.startswith("/home/")
    assert by_user["slash_user"].has_free_upload_slot is False
    assert "\\..\\" in by_user["sneaky"].files[0].filename


@pytest.mark.parametrize(
    "end_state",
    [
        SearchState.TIMED_OUT,
        SearchState.FILE_LIMIT_REACHED,
        SearchState.RESPONSE_LIMIT_REACHED,
        SearchState.ERRORED,
    ],
)
def test_every_terminal_search_state(slskd_client, fake_slskd, end_state):
    fake_slskd.script_search("term", responses=sample_responses(), end_state=end_state.value)
    search = slskd_client.create_search("terminal states")
    while not search.responses_ready:
        search = slskd_client.get_search(search.id)
    assert search.state is end_state and search.is_complete
    expected = 0 if end_state is SearchState.ERRORED else 5
    assert len(slskd_client.get_search_responses(search.id)) == expected


def test_response_limit_ends_the_search_early(slskd_client, fake_slskd):
    fake_slskd.script_search("many", responses=sample_responses())
    search = slskd_client.create_search("many results", response_limit=2)
    while not search.responses_ready:
        search = slskd_client.get_search(search.id)
    assert search.state is SearchState.RESPONSE_LIMIT_REACHED
    assert len(slskd_client.get_search_responses(search.id)) == 2


def test_stop_cancels_and_keeps_what_arrived(slskd_client, fake_slskd):
    fake_slskd.script_search("stop", responses=sample_responses(), running_polls=4)
    search = slskd_client.create_search("stop me")
    slskd_client.get_search(search.id)
    slskd_client.stop_search(search.id)
    slskd_client.stop_search(search.id)  # 200 again once finished
    search = slskd_client.get_search(search.id)
    assert search.state is SearchState.CANCELLED and search.responses_ready
    assert 0 < len(slskd_client.get_search_responses(search.id)) < 5


def test_delete_search_and_unknown_ids(slskd_client):
    search = slskd_client.create_search("delete me")
    slskd_client.delete_search(search.id)
    with pytest.raises(ProviderNotFound):
        slskd_client.get_search(search.id)
    with pytest.raises(ProviderNotFound):
        slskd_client.get_search_responses(search.id)
    with pytest.raises(ProviderNotFound):
        slskd_client.stop_search(search.id)
    slskd_client.delete_search(search.id)  # missing_ok by default
    with pytest.raises(ProviderNotFound):
        slskd_client.delete_search(search.id, missing_ok=False)


def test_search_while_logged_out_is_unavailable(slskd_client, fake_slskd):
    fake_slskd.set_logged_in(False)
    with pytest.raises(SlskdLoggedOut, match="not logged in") as info:
        slskd_client.create_search("anything here")
    assert isinstance(info.value, ProviderUnavailable)
    assert info.value.status == 409


def test_search_text_without_long_terms_is_refused(slskd_client):
    with pytest.raises(ProviderResponseError, match="2\\+ characters") as info:
        slskd_client.create_search("a b c")
    assert info.value.status == 400


def test_429_on_overlapping_post_is_retried_after_a_pause(slskd_client, fake_slskd):
    fake_slskd.inject("POST", r"/api/v0/searches", Reply.json("Only one concurrent operation", 429))
    search = slskd_client.create_search("after the pause")
    assert search.state is SearchState.IN_PROGRESS
    assert len(slskd_client.slept) == 1
    assert len(fake_slskd.requests_to("POST", r"/api/v0/searches")) == 2


def test_two_concurrent_posts_overlap_and_one_gets_429(fake_slskd):
    """The fake models "another POST in flight" for real: a held POST blocks the next."""
    from providers.errors import ProviderRateLimited

    fake_slskd.post_latency = 60.0  # held until released below
    client = SlskdClient(fake_slskd.url, fake_slskd.api_key, max_retries=0)
    first = threading.Thread(target=client.create_search, args=("first search",))
    first.start()
    while not fake_slskd.requests_to("POST", r"/api/v0/searches"):
        threading.Event().wait(0.01)
    with pytest.raises(ProviderRateLimited) as info:
        SlskdClient(fake_slskd.url, fake_slskd.api_key, max_retries=0).create_search("second")
    assert info.value.status == 429
    fake_slskd.release_held()
    first.join()
    assert len(fake_slskd.searches) == 1


def test_429_retry_after_gap_is_recorded_by_the_fake(fake_slskd):
    fake_slskd.inject("POST", r"/api/v0/searches", Reply.json("busy", 429, **{"Retry-After": "1"}))
    client = SlskdClient(fake_slskd.url, fake_slskd.api_key)  # real sleep: one second
    client.create_search("wait and retry")
    first, retry = fake_slskd.requests_to("POST", r"/api/v0/searches")
    assert retry.at - first.at >= 1.0


def test_lost_post_answer_refinds_the_search_by_its_id(fake_slskd):
    """A POST that times out may still have created the search: the client looks it up."""

    fake_slskd.delay("POST", r"/api/v0/searches", 5.0)
    client = SlskdClient(fake_slskd.url, fake_slskd.api_key, read_timeout=0.3, sleep=lambda s: None)
    search_id = str(uuid.uuid4())
    search = client.create_search("slow answer", search_id=search_id)
    assert search.id == search_id
    assert len(fake_slskd.requests_to("POST", r"/api/v0/searches")) == 1


def test_reused_search_id_is_a_500(slskd_client):
    search = slskd_client.create_search("first use")
    with pytest.raises(ProviderUnavailable) as info:
        slskd_client.create_search("second use", search_id=search.id)
    assert info.value.status == 500


def test_third_search_is_queued_until_a_slot_frees(slskd_client, fake_slskd):
    fake_slskd.mode = "manual"
    ids = [slskd_client.create_search(f"search {n}").id for n in range(3)]
    assert slskd_client.get_search(ids[2]).state is SearchState.QUEUED
    slskd_client.stop_search(ids[0])
    fake_slskd.advance()
    assert slskd_client.get_search(ids[2]).state is SearchState.IN_PROGRESS


def test_wait_for_search_returns_responses(slskd_client, fake_slskd):
    fake_slskd.script_search("wait", responses=sample_responses())
    search = slskd_client.create_search("wait for it")
    done = slskd_client.wait_for_search(search.id, deadline_s=30, poll_interval=0.5)
    assert done.responses_ready and len(done.responses) == 5


def test_restart_ends_running_searches_timed_out_with_nothing(slskd_client, fake_slskd):
    fake_slskd.script_search("restart", responses=sample_responses(), running_polls=5)
    search = slskd_client.create_search("restart me")
    slskd_client.get_search(search.id)
    fake_slskd.restart()
    search = slskd_client.get_search(search.id)
    assert search.state is SearchState.TIMED_OUT and search.responses_ready
    assert slskd_client.get_search_responses(search.id) == []


def test_wait_for_search_stops_at_the_deadline(slskd_client, fake_slskd):
    fake_slskd.mode = "manual"  # never progresses by itself
    fake_slskd.script_search("slow", responses=sample_responses())
    search = slskd_client.create_search("slow search")
    client = SlskdClient(fake_slskd.url, fake_slskd.api_key)  # real, short sleeps
    done = client.wait_for_search(search.id, deadline_s=0.1, poll_interval=0.02)
    assert done.state is SearchState.CANCELLED
    assert fake_slskd.requests_to("PUT", r"/api/v0/searches/.*")


def test_wait_for_search_gives_up_when_slskd_never_writes(slskd_client, fake_slskd):
    fake_slskd.mode = "manual"
    search = slskd_client.create_search("stuck search")
    client = SlskdClient(fake_slskd.url, fake_slskd.api_key)
    fake_slskd.inject(
        "GET",
        r"/api/v0/searches/[^/]+",
        Reply.json({"id": search.id, "state": "Completed, Cancelled", "isComplete": True}),
        times=50,
    )
    with pytest.raises(ProviderUnavailable, match="did not finish"):
        client.wait_for_search(search.id, deadline_s=0.05, poll_interval=0.02)
