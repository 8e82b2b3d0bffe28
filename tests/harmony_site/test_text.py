"""Names the file system gave us, made into text UTF-8 can hold."""

from __future__ import annotations

import os
from urllib.parse import unquote_to_bytes

import pytest

from harmony_site.text import escape_undecodable, reversible_name


@pytest.mark.parametrize(
    "raw", [b"Bj\xf6rk.flac", b"100% \xff\xfe.mp3", b"caf\xc3\xa9 \xe9.flac", b"%41\x80"]
)
def test_a_reversible_name_is_utf8_and_gives_the_original_bytes_back(raw):
    name = reversible_name(os.fsdecode(raw))
    name.encode("utf-8")  # raises if anything is left undecodable
    assert unquote_to_bytes(name) == raw


def test_a_valid_name_is_left_alone_and_other_lone_surrogates_become_replacement_marks():
    assert reversible_name("100% Björk.flac") == "100% Björk.flac"
    assert escape_undecodable("a\ud800b\udcf6") == "a\ufffdb%F6"
