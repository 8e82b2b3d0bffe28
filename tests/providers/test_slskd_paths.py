"""Mapping slskd's finished files into DOWNLOADS_DIR; peer filenames are hostile input."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from providers.slskd.paths import (
    DownloadedFileMissing,
    PathMapping,
    UnsafeDownloadPath,
    expected_local_path,
    expected_relative_path,
    local_path_for,
    map_slskd_path,
    split_remote_path,
)
from providers.slskd.types import DownloadEvent, Transfer, TransferState

# At least 500 examples wherever it runs (CI included): this is the traversal guarantee.
settings.register_profile(
    "slskd-paths",
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
PATHS_PROFILE = settings.get_profile("slskd-paths")

SEGMENTS = st.one_of(
    st.sampled_from(["..", ".", "", "...", "@@share", "C:", "~", "%2e%2e", "\0", " .. ", "/"]),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=12),
)
HOSTILE_NAMES = st.one_of(
    st.text(max_size=60),
    st.lists(SEGMENTS, max_size=8).flatmap(
        lambda parts: st.sampled_from(["\\", "/"]).map(lambda sep: sep.join(parts))
    ),
)


@pytest.fixture(scope="module")
def mapping(tmp_path_factory) -> PathMapping:
    root = tmp_path_factory.mktemp("downloads")
    return PathMapping(slskd_root="/app/downloads", local_root=root)


def make_transfer(filename: str, size: int) -> Transfer:
    return Transfer(
        id="t1", username="u", filename=filename, size=size, state=TransferState.SUCCEEDED
    )


@PATHS_PROFILE
@given(HOSTILE_NAMES)
def test_no_peer_filename_maps_outside_downloads_dir(mapping, filename):
    root = mapping.local_root.resolve()
    try:
        path = expected_local_path(filename, mapping=mapping)
    except UnsafeDownloadPath:
        return
    assert path.is_relative_to(root) and path != root
    assert len(path.relative_to(root).parts) <= 2


@PATHS_PROFILE
@given(HOSTILE_NAMES)
def test_no_event_local_filename_maps_outside_downloads_dir(mapping, tail):
    root = mapping.local_root.resolve()
    try:
        path = map_slskd_path("/app/downloads/" + tail, mapping=mapping)
    except UnsafeDownloadPath:
        return
    assert path.is_relative_to(root) and path != root


@pytest.mark.parametrize(
    ("remote", "relative"),
    [
        ("@@abcde\\Music\\Artist\\Album\\01 - T.flac", "Album/01 - T.flac"),
        ("/home/me/Music/Album/01.mp3", "Album/01.mp3"),
        ("mixed\\sep/Album\\01.mp3", "Album/01.mp3"),
        ("lonely.flac", "lonely.flac"),
        ("C:\\song.flac", "C:/song.flac"),
        ("@@x\\..\\..\\evil.flac", "_/evil.flac"),
        ("@@x\\.\\evil.flac", "_/evil.flac"),
        ("@@x\\a\0b\\c.flac", "a_b/c.flac"),
        ("@@x\\\\double\\\\sep.flac", "double/sep.flac"),
    ],
)
def test_expected_relative_path_follows_slskd(remote, relative):
    assert expected_relative_path(remote) == PurePosixPath(relative)


def test_split_remote_path_uses_both_separators():
    assert split_remote_path("@@a\\B/C\\d.flac") == ("@@a", "B", "C", "d.flac")


@pytest.mark.parametrize("remote", ["", "\\\\", "/"])
def test_names_without_a_file_are_unsafe(remote, mapping):
    with pytest.raises(UnsafeDownloadPath):
        expected_local_path(remote, mapping=mapping)


def test_local_path_for_finds_the_file_and_names_the_expected_path_when_missing(tmp_path):
    mapping = PathMapping("/app/downloads", tmp_path)
    transfer = make_transfer("@@m\\Artist\\Album\\01 - T.flac", 5)
    with pytest.raises(DownloadedFileMissing, match="Album/01 - T.flac") as info:
        local_path_for(transfer, mapping=mapping)
    assert isinstance(info.value, FileNotFoundError)
    (tmp_path / "Album").mkdir()
    (tmp_path / "Album" / "01 - T.flac").write_bytes(b"12345")
    assert local_path_for(transfer, mapping=mapping) == (tmp_path / "Album" / "01 - T.flac")


def test_renamed_copy_of_the_expected_size_is_accepted(tmp_path):
    mapping = PathMapping("/app/downloads", tmp_path)
    folder = tmp_path / "Album"
    folder.mkdir()
    (folder / "01 - T.flac").write_bytes(b"someone else's, longer file")
    (folder / "01 - T_639000000000000001.flac").write_bytes(b"wrong")
    ours = folder / "01 - T_639000000000000002.flac"
    ours.write_bytes(b"mine!")
    os.utime(folder / "01 - T_639000000000000001.flac", (1, 1))
    transfer = make_transfer("@@m\\Album\\01 - T.flac", 5)
    assert local_path_for(transfer, mapping=mapping) == ours
    with pytest.raises(DownloadedFileMissing):
        local_path_for(make_transfer("@@m\\Album\\01 - T.flac", 99), mapping=mapping)
    with pytest.raises(DownloadedFileMissing):  # `_x` is not slskd's rename
        (folder / "01 - T_x.flac").write_bytes(b"12")
        local_path_for(make_transfer("@@m\\Album\\01 - T.flac", 2), mapping=mapping)


def test_names_compare_nfc_normalised(tmp_path):
    mapping = PathMapping("/app/downloads", tmp_path)
    nfd_folder = unicodedata.normalize("NFD", "Björk")
    (tmp_path / nfd_folder).mkdir()
    (tmp_path / nfd_folder / unicodedata.normalize("NFD", "Jóga.flac")).write_bytes(b"x")
    found = local_path_for("@@m\\Björk\\Jóga.flac", mapping=mapping)
    assert found.read_bytes() == b"x"


def test_event_local_filename_is_mapped_by_prefix(tmp_path):
    mapping = PathMapping("/app/downloads/", tmp_path)
    (tmp_path / "harmony").mkdir()
    (tmp_path / "harmony" / "x.flac").write_bytes(b"abc")
    event = DownloadEvent("e", "/app/downloads/harmony/x.flac", "@@m\\Other\\x.flac", "u", "t")
    assert local_path_for("@@m\\Other\\x.flac", event=event, mapping=mapping).name == "x.flac"
    with pytest.raises(UnsafeDownloadPath, match="not under SLSKD_DOWNLOADS_DIR"):
        map_slskd_path("/elsewhere/x.flac", mapping=mapping)
    with pytest.raises(UnsafeDownloadPath, match="outside"):
        map_slskd_path("/app/downloads/../../etc/passwd", mapping=mapping)


def test_symlink_out_of_downloads_is_refused(tmp_path):
    root, outside = tmp_path / "downloads", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "x.flac").write_bytes(b"secret")
    (root / "Album").symlink_to(outside, target_is_directory=True)
    with pytest.raises(UnsafeDownloadPath):
        local_path_for("@@m\\Album\\x.flac", mapping=PathMapping("/app/downloads", root))


def test_mapping_from_config_uses_the_knobs(settings, knobs, tmp_path):
    knobs["SLSKD_DOWNLOADS_DIR"] = "/srv/slskd/downloads"
    settings.DOWNLOADS_DIR = tmp_path
    mapping = PathMapping.from_config()
    assert (mapping.slskd_root, mapping.local_root) == ("/srv/slskd/downloads", Path(tmp_path))
