"""Search texts for one wanted track, best first (matching.md section 2).

The HDM tries them in order and stops at the first whose responses leave a candidate after the
hard filters. Every query holds at least one term of two or more characters: slskd drops
1-character terms and answers 400 when nothing else is left.
"""

from __future__ import annotations

import re

from downloads.matching.versions import split_title
from library.normalise import normalise_text, strip_featuring
from providers.types import TrackMeta

_NON_WORD = re.compile(r"[\W_]+")
# Words too common to help a Soulseek search; dropped from artist names when others remain.
_STOPWORDS = frozenset({"the", "a", "an", "and"})


def build_queries(wanted: TrackMeta, *, album_mode: bool = False) -> list[str]:
    """Search texts for `wanted`, best first, without duplicates.

    1. `artist title` with the peer's own letters (case, punctuation and featured artists
       removed, diacritics kept: peers match "björk" but not "bjork" against "Björk");
    2. the same without diacritics; 3. `title album`; 4. `artist album` (album mode only);
    5. the artist words with their first letter replaced by `*`, a known work-around for
       artist names the Soulseek server silently filters.
    """
    title, _ = split_title(wanted.title)
    artist = wanted.album_artist if album_mode and wanted.album_artist else wanted.artist
    candidates = [
        _join(_words(artist, fold=False), _words(title, fold=False)),
        _join(_words(artist, fold=True), _words(title, fold=True)),
    ]
    if wanted.album:  # a bare title ("Intro") would flood the search with strangers' files
        candidates.append(_join(_words(title, fold=True), _words(wanted.album, fold=True)))
    if album_mode:
        candidates.append(_join(_words(artist, fold=True), _words(wanted.album, fold=True)))
    candidates.append(_join(_wildcarded(_words(artist, fold=True)), _words(title, fold=True)))
    return list(dict.fromkeys(query for query in candidates if query))


def _words(text: str, *, fold: bool) -> list[str]:
    """Search terms of `text`; "&" is dropped rather than spelled "and" (paths use either)."""
    text = text.replace("&", " ")
    if fold:
        return normalise_text(text).split()
    # The shared normaliser always folds diacritics; the first query must keep them.
    return _NON_WORD.sub(" ", strip_featuring(text).casefold()).split()


def _wildcarded(words: list[str]) -> list[str]:
    """'radiohead' -> '*adiohead': the server filters the name, peers still match the pattern."""
    meaningful = [w for w in words if w not in _STOPWORDS] or words
    return [f"*{w[1:]}" if len(w) >= 3 else w for w in meaningful]


def _join(*parts: list[str]) -> str:
    """One query from term lists, dropping 1-character terms; '' when nothing usable is left."""
    terms = [term for part in parts for term in part if len(term) >= 2]
    if not any(len(term.lstrip("*")) >= 2 for term in terms):
        return ""
    return " ".join(dict.fromkeys(terms))


def build_album_queries(track: TrackMeta) -> list[str]:
    """Search texts for a whole album (album mode), best first: `artist album` with the peer's
    own letters, then without diacritics. Empty when the track names no album."""
    if not track.album:
        return []
    artist = track.album_artist or track.artist
    candidates = [
        _join(_words(artist, fold=False), _words(track.album, fold=False)),
        _join(_words(artist, fold=True), _words(track.album, fold=True)),
    ]
    return list(dict.fromkeys(query for query in candidates if query))
