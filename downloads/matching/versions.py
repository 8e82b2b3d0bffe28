"""Version markers: the words that make a file a different recording from the one wanted.

This module is data first. The lists below are the single place to grow when a new kind of
alternative version turns up (operators can also add words with MATCH_EXTRA_VERSION_MARKERS).
Everything is matched on word boundaries after `library.normalise.normalise_text`, so "Live",
"LIVE" and "(live)" are the same marker and "Mixtape" or "Edition" contain none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from library.normalise import normalise_text

# A candidate carrying one of these (outside the wanted title's own words) is another recording.
VERSION_MARKERS: tuple[str, ...] = (
    "remix", "remixes", "remixed", "mix", "live", "acoustic", "unplugged", "instrumental",
    "instrumentals", "karaoke", "cover", "covers", "tribute", "demo", "demos", "rehearsal",
    "session", "radio edit", "edit", "extended", "club", "dub", "reprise", "sped up", "slowed",
    "nightcore", "8d", "acapella", "a cappella", "clean", "censored", "orchestral",
    "piano version", "new vocal", "stripped", "re recorded", "rerecorded",
)  # fmt: skip

# "(X Version)" is a marker unless X is one of these (or a year): those name the usual cut.
NEUTRAL_VERSION_WORDS: frozenset[str] = frozenset(
    {"album", "original", "lp", "studio", "remaster", "remastered", "mono", "stereo", "deluxe"}
)

# Names of the usual cut that contain a marker word ("Original Mix" is the standard release of
# most electronic tracks).
NEUTRAL_PHRASES: tuple[str, ...] = ("original mix", "album mix")

# Not versions, only preferences: they rank candidates and never reject one.
PREFERENCE_MARKERS: tuple[str, ...] = ("remaster", "remastered", "mono", "stereo", "deluxe")

_YEAR = re.compile(r"^(?:19|20)\d\d$")
_BRACKETED = re.compile(r"[(\[{]([^)\]}]*)[)\]}]")
_DASH_SUFFIX = re.compile(r"\s+[-–—]\s+")


@dataclass(frozen=True)
class MarkerSet:
    """Compiled marker lists; build once per MatchConfig (extra words come from configuration)."""

    versions: tuple[str, ...]

    def find_versions(self, normalised: str) -> frozenset[str]:
        """Version markers in already-normalised text, e.g. {'live', 'radio edit'}."""
        for phrase in NEUTRAL_PHRASES:
            normalised = remove_phrase(normalised, phrase)
        found = {m for m in self.versions if _has_phrase(normalised, m)}
        found |= _version_phrases(normalised, found)
        # "radio edit" implies "edit"; keep the longer phrase only so details read well.
        return frozenset(m for m in found if not any(m != o and _has_phrase(o, m) for o in found))

    def find_preferences(self, normalised: str) -> frozenset[str]:
        """Preference markers ('remastered', 'mono', a year, ...) in normalised text."""
        words = normalised.split()
        found = {m for m in PREFERENCE_MARKERS if m in words}
        found |= {w for w in words if _YEAR.match(w)}
        return frozenset(found)


def build_marker_set(extra: Iterable[str] = ()) -> MarkerSet:
    """The built-in version markers plus operator-supplied words (normalised, de-duplicated)."""
    words = list(VERSION_MARKERS) + [normalise_text(word) for word in extra]
    return MarkerSet(versions=tuple(dict.fromkeys(w for w in words if w)))


DEFAULT_MARKERS = build_marker_set()


def split_title(title: str) -> tuple[str, str]:
    """Split a wanted title into (base, qualifiers).

    Qualifiers are the bracketed parts and anything after a spaced dash, where Spotify and
    taggers put "Live at Wembley", "2011 Remaster" or "Radio Edit". Only qualifiers can make
    the wanted track a version: "Live and Let Die" has no qualifier, so "live" there is a word
    of the title, not a marker.
    """
    qualifiers = _BRACKETED.findall(title)
    base = _BRACKETED.sub(" ", title)
    base, *rest = _DASH_SUFFIX.split(base)
    qualifiers.extend(rest)
    if not base.strip():  # "(Untitled)" style titles: the bracket is the title
        return title, ""
    return base.strip(), " ".join(qualifiers).strip()


def remove_phrase(normalised: str, phrase: str) -> str:
    """Remove the first whole-word occurrence of `phrase` (nothing when it is not contiguous:
    removing scattered words would also remove markers, "Wings Over America [Live]")."""
    padded, target = f" {normalised} ", f" {phrase} "
    if not phrase or target not in padded:
        return normalised
    return " ".join(padded.replace(target, " ", 1).split())


def _has_phrase(normalised: str, phrase: str) -> bool:
    return f" {phrase} " in f" {normalised} "


def _version_phrases(normalised: str, known: set[str]) -> set[str]:
    """'acoustic version' is covered by 'acoustic'; 'taylor s version' becomes its own marker."""
    words = normalised.split()
    found: set[str] = set()
    for index, word in enumerate(words):
        if word != "version" or index == 0:
            continue
        before = words[index - 1]
        if before in NEUTRAL_VERSION_WORDS or _YEAR.match(before):
            continue
        if any(_has_phrase(m, before) for m in known):
            continue
        # "taylor s version": a one-letter word is a split possessive, keep the name before it.
        start = index - 2 if len(before) == 1 and index >= 2 else index - 1
        found.add(" ".join(words[start : index + 1]))
    return found
