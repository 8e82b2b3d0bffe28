"""Parsing slskd JSON into typed objects: states, nulls, times, wrong types."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from providers.errors import ProviderResponseError
from providers.slskd.parse import (
    parse_download_event,
    parse_enqueue,
    parse_file,
    parse_responses,
    parse_search,
    parse_state,
    parse_transfer,
)
from providers.slskd.types import SearchState, TransferState

EP = "GET /x"


@pytest.mark.parametrize("state", list(TransferState))
def test_every_transfer_state_parses_with_flags(state):
    parsed = parse_state(state.value, TransferState, EP)
    assert parsed is state
    assert parsed.is_terminal == state.value.startswith("Completed")
    assert parsed.is_success == (state is TransferState.SUCCEEDED)


@pytest.mark.parametrize("state", list(SearchState))
def test_every_search_state_parses(state):
    assert parse_state(state.value, SearchState, EP) is state


def test_flag_order_does_not_matter():
    assert parse_state("Locally, Queued", TransferState, EP) is TransferState.QUEUED_LOCALLY


@pytest.mark.parametrize("value", ["Completed", "Queued", "Done", ""])
def test_unknown_states_are_response_errors(value):
    with pytest.raises(ProviderResponseError, match="unknown TransferState"):
        parse_state(value, TransferState, EP)


def test_transfer_with_omitted_nulls_and_offsetless_times():
    transfer = parse_transfer(
        {
            "id": "8a1c",
            "username": "u",
            "filename": "@@a\\b.flac",
            "size": 10,
            "state": "Queued, Locally",
            "requestedAt": "2026-08-01T10:00:00.1234567",
        },
        EP,
    )
    assert transfer.requested_at == datetime(2026, 8, 1, 10, 0, 0, 123456, tzinfo=UTC)
    assert (transfer.started_at, transfer.ended_at, transfer.place_in_queue) == (None,) * 3
    assert (transfer.exception, transfer.attempts, transfer.removed) == ("", None, False)
    assert transfer.key == ("u", "@@a\\b.flac")


@pytest.mark.parametrize(
    ("patch", "what"),
    [
        ({"size": "10"}, "transfer.size is str"),
        ({"size": True}, "transfer.size is bool"),
        ({"startedAt": "yesterday"}, "startedAt is not a time"),
        ({"filename": None}, "has no 'filename'"),
    ],
)
def test_wrong_types_name_the_field(patch, what):
    data = {"id": "1", "username": "u", "filename": "f", "size": 1, "state": "Requested"}
    data.update(patch)
    with pytest.raises(ProviderResponseError, match=what) as info:
        parse_transfer(data, EP)
    assert info.value.endpoint == EP


def test_file_with_only_required_fields():
    peer_file = parse_file({"filename": "x", "size": 3}, EP)
    assert (peer_file.extension, peer_file.bit_rate, peer_file.length) == ("", None, None)


def test_a_file_with_a_lone_surrogate_or_a_bad_field_is_left_out_of_its_response():
    files = [
        {"filename": "@@a\\Bad \ud800.flac", "size": 3},
        {"filename": "@@a\\wrong size.flac", "size": "3"},
        {"filename": "@@a\\good.flac", "size": 3},
    ]
    odd_user = {"username": "\udcf6dd", "files": [{"filename": "x.flac", "size": 1}]}
    (response,) = parse_responses([{"username": "u", "files": files}, odd_user], EP)
    assert [f.filename for f in response.files] == ["@@a\\good.flac"]


def test_search_in_progress_has_no_responses_ready():
    search = parse_search({"id": "s", "state": "Completed, TimedOut", "isComplete": True}, EP)
    assert search.is_complete and not search.responses_ready


def test_enqueue_counts_failed_entries_of_any_shape():
    assert parse_enqueue({"enqueued": [], "failed": [{}, "name"]}, EP).failed_count == 2
    assert parse_enqueue({}, EP).enqueued == ()


def test_events_other_than_download_complete_are_skipped():
    assert parse_download_event({"type": "DownloadDirectoryComplete", "data": "{}"}, EP) is None
    with pytest.raises(ProviderResponseError, match="not JSON"):
        parse_download_event({"type": "DownloadFileComplete", "data": "{oops"}, EP)
