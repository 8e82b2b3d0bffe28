"""Candidate selection for one wanted track: hard filters, then a lexicographic ranking.

Pure: no database, no network. The HDM feeds it slskd search responses plus what it remembers
(peer reliability, the candidate blocklist) and stores the result: every ranked candidate with
its score breakdown, every rejected one with the filter that rejected it (matching.md 4-5).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Set
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from rapidfuzz import fuzz

from downloads.matching.versions import (
    DEFAULT_MARKERS,
    MarkerSet,
    build_marker_set,
    remove_phrase,
    split_title,
)
from library.normalise import normalise_text
from library.quality import QualityProfile, check_quality, quality_class, quality_key
from providers.slskd.types import PeerFile, PeerResponse
from providers.types import TrackMeta

DEFAULT_EXTENSIONS = ("flac", "mp3", "m4a", "aac", "alac", "ogg", "oga", "opus", "wav")
_ARTIST_STOPWORDS = frozenset({"the", "and", "a"})
_DISC_FOLDER = re.compile(r"^(?:cd|disc|disk)\s*\d+\b")
_SEGMENT_SPLIT = re.compile(r"\s+[-–—]\s+")
# Upload speed tiers in bytes/s: the ranking compares tiers so that a 2.1 MB/s peer does not beat
# a 2.0 MB/s one on speed alone; the exact speed still counts in the weighted tie-break.
SPEED_TIERS = (50_000, 250_000, 1_000_000, 4_000_000)
QUEUE_TIERS = (0, 5, 20)
RANKING_STEPS = (
    "format", "duration", "free_slot", "reliability", "upload_speed", "queue", "similarity", "size"
)  # fmt: skip
_WEIGHTS = {"format": 0.3, "duration": 0.15, "free_slot": 0.1, "reliability": 0.1,
            "upload_speed": 0.1, "queue": 0.05, "similarity": 0.15, "size": 0.05}  # fmt: skip


class RejectReason(StrEnum):
    """Why a candidate was never downloaded. Stored with the candidate; the UI explains it."""

    LOCKED = "locked"
    UNSAFE_PATH = "unsafe_path"
    EXTENSION_NOT_ALLOWED = "extension_not_allowed"
    INVALID_SIZE = "invalid_size"
    PEER_EXCLUDED = "peer_excluded"
    QUEUE_TOO_LONG = "queue_too_long"
    BLOCKLISTED = "blocklisted"
    TITLE_MISMATCH = "title_mismatch"
    ARTIST_MISMATCH = "artist_mismatch"
    UNWANTED_VERSION = "unwanted_version"
    MISSING_VERSION = "missing_version"
    DURATION_MISMATCH = "duration_mismatch"
    TRUNCATED = "truncated"
    DURATION_UNKNOWN = "duration_unknown"
    QUALITY_UNKNOWN = "quality_unknown"
    QUALITY_NOT_ALLOWED = "quality_not_allowed"


@dataclass(frozen=True)
class PeerStat:
    """Harmony's record of one peer's transfers (persisted by the HDM, read here)."""

    successes: int = 0
    failures: int = 0  # within the reliability window
    excluded: bool = False  # two failures within the window


@dataclass(frozen=True)
class MatchConfig:
    """Matching knobs; defaults are matching.md's. `from_config()` reads the MATCH_* knobs."""

    duration_tolerance_s: float = 5.0
    live_duration_tolerance_s: float = 10.0
    close_duration_s: float = 3.0
    max_queue_length: int = 50
    strict: bool = False
    allowed_extensions: frozenset[str] = frozenset(DEFAULT_EXTENSIONS)
    max_attempts: int = 30
    markers: MarkerSet = field(default=DEFAULT_MARKERS, compare=False)

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None = None) -> MatchConfig:
        """Build from the declared knobs (the process configuration unless one is given)."""
        if config is None:
            from harmony_site.config import get_config

            config = get_config()
        return cls(
            duration_tolerance_s=float(config["MATCH_DURATION_TOLERANCE_S"]),
            live_duration_tolerance_s=float(config["MATCH_LIVE_DURATION_TOLERANCE_S"]),
            close_duration_s=float(config["MATCH_CLOSE_DURATION_S"]),
            max_queue_length=int(config["MATCH_MAX_QUEUE_LENGTH"]),
            strict=bool(config["MATCH_STRICT"]),
            allowed_extensions=frozenset(
                ext.lower().lstrip(".") for ext in config["MATCH_ALLOWED_EXTENSIONS"]
            ),
            max_attempts=int(config["MATCH_MAX_ATTEMPTS"]),
            markers=build_marker_set(config["MATCH_EXTRA_VERSION_MARKERS"]),
        )


@dataclass(frozen=True)
class Ranked:
    """A candidate that passed every filter, best first in `MatchResult.ranked`."""

    username: str
    file: PeerFile
    score: float  # weighted tie-break, 0..1
    breakdown: dict[str, Any] = field(compare=False)  # JSON-able, one entry per ranking step
    sort_key: tuple[Any, ...] = field(default=(), compare=False, repr=False)

    @property
    def filename(self) -> str:
        return self.file.filename

    @property
    def size(self) -> int:
        return self.file.size

    @property
    def key(self) -> tuple[str, str, int]:
        """(user, path, size): the identity the candidate blocklist uses."""
        return (self.username, self.file.filename, self.file.size)


@dataclass(frozen=True)
class Rejected:
    username: str
    filename: str
    size: int
    reason: RejectReason
    detail: str

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.username, self.filename, self.size)


@dataclass(frozen=True)
class MatchResult:
    ranked: list[Ranked]
    rejected: list[Rejected]

    @property
    def best(self) -> Ranked | None:
        return self.ranked[0] if self.ranked else None

    def rejection_counts(self) -> dict[str, int]:
        """{reason code: files}, for the job's log line and the "why nothing matched" summary."""
        return dict(Counter(rejected.reason.value for rejected in self.rejected))


@dataclass(frozen=True)
class _Wanted:
    """The wanted track, normalised once per call."""

    base: str  # normalised title without qualifiers
    artists: tuple[tuple[str, ...], ...]  # words each credited artist needs in the path
    album: str
    versions: frozenset[str]  # required: markers of the title's qualifiers ("Song - Live")
    album_versions: frozenset[str]  # tolerated: a track of "Live at Leeds" may say "(Live)"
    preferences: frozenset[str]
    duration_s: float | None
    tolerance_s: float


@dataclass(frozen=True)
class _Offer:
    """One file offered by one peer, with its path split and normalised once."""

    response: PeerResponse
    file: PeerFile
    extension: str
    quality: str  # the profile's class: "flac", "mp3-320", ...
    name: str  # normalised file name without extension
    folder: str  # normalised parent folder (plus the album folder above a "CD1" folder)
    name_words: frozenset[str]  # see _vocabulary
    path_words: frozenset[str]


@dataclass(frozen=True)
class _Context:
    config: MatchConfig
    profile: QualityProfile
    peer_stats: Mapping[str, PeerStat]
    blocklist: Set[tuple[str, str, int]]


_Check = Callable[[_Wanted, _Offer, _Context], "tuple[RejectReason, str] | None"]


def rank_candidates(
    wanted: TrackMeta,
    responses: list[PeerResponse],
    *,
    profile: QualityProfile,
    peer_stats: Mapping[str, PeerStat] | None = None,
    blocklist: Set[tuple[str, str, int]] | None = None,
    config: MatchConfig | None = None,
) -> MatchResult:
    """Filter and rank every file in `responses` for `wanted` (matching.md sections 4 and 5).

    Returns the passing candidates best first, each with a JSON-able score breakdown, and every
    other file with the machine-readable reason (`RejectReason`) of the first filter it failed.
    """
    config = config or MatchConfig()
    context = _Context(config, profile, peer_stats or {}, blocklist or frozenset())
    target = _prepare_wanted(wanted, config)
    passed: list[_Offer] = []
    rejected: list[Rejected] = []
    for offer, refusal in _offers(responses):
        refusal = refusal or _first_failure(target, offer, context)
        if refusal is None:
            passed.append(offer)
        else:
            rejected.append(_rejected(offer, *refusal))
    ranked = _rank(target, passed, context)
    # Closest to passing first: a caller storing only the first few hundred keeps the
    # informative rejections (a wrong version, a wrong length), not thousands of cover.jpg files.
    rejected.sort(key=lambda item: _REASON_ORDER.index(item.reason), reverse=True)
    return MatchResult(ranked=ranked, rejected=rejected)


# --- preparation -------------------------------------------------------------------------------


def _prepare_wanted(meta: TrackMeta, config: MatchConfig) -> _Wanted:
    title, qualifiers = split_title(meta.title)
    base, qualifiers, album = (normalise_text(t) for t in (title, qualifiers, meta.album))
    markers = config.markers
    versions = markers.find_versions(qualifiers)
    # The single "Live and Let Die" is not a live album: the title's own words do not count.
    album_versions = markers.find_versions(remove_phrase(album, base))
    live = "live" in versions or "live" in album_versions
    preferences = markers.find_preferences(f"{qualifiers} {album} {meta.year}")
    return _Wanted(
        base=base,
        artists=_artist_words(meta),
        album=album,
        versions=versions,
        album_versions=album_versions,
        preferences=preferences,
        duration_s=meta.duration_s,
        tolerance_s=config.live_duration_tolerance_s if live else config.duration_tolerance_s,
    )


def _artist_words(meta: TrackMeta) -> tuple[tuple[str, ...], ...]:
    """Words per credited artist; any one artist's words must be in the path."""
    names = [*meta.artists, meta.album_artist]
    result = []
    for name in names:
        words = normalise_text(name).split()
        if not words or words == ["various", "artists"]:
            continue
        meaningful = tuple(w for w in words if w not in _ARTIST_STOPWORDS) or tuple(words)
        result.append(meaningful)
    return tuple(dict.fromkeys(result))


def _offers(
    responses: Iterable[PeerResponse],
) -> Iterable[tuple[_Offer, tuple[RejectReason, str] | None]]:
    """Every offered file once (locked ones pre-rejected), in response order."""
    seen: set[tuple[str, str]] = set()
    for response in responses:
        groups = ((response.files, None), (response.locked_files, _LOCKED))
        for files, refusal in groups:
            for peer_file in files:
                if (response.username, peer_file.filename) in seen:
                    continue
                seen.add((response.username, peer_file.filename))
                yield _offer(response, peer_file), refusal


_LOCKED = (RejectReason.LOCKED, "the peer shares this file locked")


def _offer(response: PeerResponse, peer_file: PeerFile) -> _Offer:
    segments = split_peer_path(peer_file.filename)
    basename = segments[-1] if segments else ""
    stem, dot, extension = basename.rpartition(".")
    if not dot:
        stem, extension = basename, ""
    folders = [_normalise_segment(s) for s in segments[:-1]]
    folder = folders[-1] if folders else ""
    if _DISC_FOLDER.match(folder) and len(folders) > 1:
        folder = f"{folders[-2]} {folder}"
    name = _normalise_segment(stem)
    return _Offer(
        response=response,
        file=peer_file,
        extension=extension.lower(),
        quality=quality_class(
            extension,
            peer_file.bit_rate,
            peer_file.sample_rate,
            peer_file.bit_depth,
            peer_file.is_variable_bit_rate,
        ),
        name=name,
        folder=folder,
        name_words=_vocabulary([name]),
        path_words=_vocabulary([*folders, name]),
    )


def split_peer_path(filename: str) -> tuple[str, ...]:
    """A peer's path split on both separators ('@@abc\\\\Music\\\\A\\\\01.flac' -> 4 parts)."""
    return tuple(part for part in re.split(r"[\\/]+", filename) if part != "")


def _vocabulary(texts: list[str]) -> frozenset[str]:
    """The words of normalised texts plus each adjacent pair joined: peers write "Don't" as
    "Dont" or "Don t", so "don"+"t" and "dont" must find each other."""
    vocabulary: set[str] = set()
    for text in texts:
        words = text.split()
        vocabulary.update(words)
        vocabulary.update(a + b for a, b in zip(words, words[1:], strict=False))
    return frozenset(vocabulary)


def _missing_words(wanted: list[str], vocabulary: frozenset[str]) -> list[str]:
    """Wanted words absent from the vocabulary; two wanted words may match one joined word."""
    missing, index = [], 0
    while index < len(wanted):
        word = wanted[index]
        joined = word + wanted[index + 1] if index + 1 < len(wanted) else ""
        if joined and joined in vocabulary:
            index += 2
            continue
        if word not in vocabulary:
            missing.append(word)
        index += 1
    return missing


def _normalise_segment(segment: str) -> str:
    """Normalise each " - " part on its own: a bare "feat. X" removes up to the end of its part,
    so "03 - A feat. B - Song" keeps "Song"."""
    return " ".join(normalise_text(part) for part in _SEGMENT_SPLIT.split(segment)).strip()


def _rejected(offer: _Offer, reason: RejectReason, detail: str) -> Rejected:
    return Rejected(
        username=offer.response.username,
        filename=offer.file.filename,
        size=offer.file.size,
        reason=reason,
        detail=detail,
    )


# --- hard filters ------------------------------------------------------------------------------


def _first_failure(
    wanted: _Wanted, offer: _Offer, context: _Context
) -> tuple[RejectReason, str] | None:
    for check in _CHECKS:
        refusal = check(wanted, offer, context)
        if refusal is not None:
            return refusal
    return None


def is_safe_peer_path(filename: str) -> bool:
    """No empty path, no '.'/'..' segment (slskd 0.26 refuses them), no control characters."""
    parts = re.split(r"[\\/]", filename)
    if not split_peer_path(filename) or any(part in (".", "..") for part in parts):
        return False
    return not any(ord(ch) < 32 for ch in filename)


def _check_path(
    wanted: _Wanted, offer: _Offer, context: _Context
) -> tuple[RejectReason, str] | None:
    if not is_safe_peer_path(offer.file.filename):
        return RejectReason.UNSAFE_PATH, "empty path, a '.' or '..' segment, or control characters"
    return None


def _check_extension(
    wanted: _Wanted, offer: _Offer, context: _Context
) -> tuple[RejectReason, str] | None:
    # The peer's own `extension` field is often empty or wrong; the file name decides.
    if offer.extension not in context.config.allowed_extensions:
        return (
            RejectReason.EXTENSION_NOT_ALLOWED,
            f"'.{offer.extension}' is not an allowed audio extension",
        )
    return None


def _check_size(
    wanted: _Wanted, offer: _Offer, context: _Context
) -> tuple[RejectReason, str] | None:
    if offer.file.size <= 0:  # slskd aborts a transfer whose size does not match
        return RejectReason.INVALID_SIZE, f"reported size {offer.file.size}"
    return None


def _check_peer(
    wanted: _Wanted, offer: _Offer, context: _Context
) -> tuple[RejectReason, str] | None:
    username = offer.response.username
    stat = context.peer_stats.get(username)
    if stat is not None and stat.excluded:
        return RejectReason.PEER_EXCLUDED, f"{stat.failures} recent failed transfers from this peer"
    queue = offer.response.queue_length
    if queue > context.config.max_queue_length:
        return (
            RejectReason.QUEUE_TOO_LONG,
            f"queue length {queue} > {context.config.max_queue_length}",
        )
    if (username, offer.file.filename, offer.file.size) in context.blocklist:
        return RejectReason.BLOCKLISTED, "this exact file failed or was marked wrong before"
    return None


def _check_title(
    wanted: _Wanted, offer: _Offer, context: _Context
) -> tuple[RejectReason, str] | None:
    missing = _missing_words(wanted.base.split(), offer.name_words)
    if missing:
        return RejectReason.TITLE_MISMATCH, "not in the file name: " + " ".join(missing)
    return None


def _check_artist(
    wanted: _Wanted, offer: _Offer, context: _Context
) -> tuple[RejectReason, str] | None:
    if not wanted.artists:
        return None
    if any(not _missing_words(list(words), offer.path_words) for words in wanted.artists):
        return None
    return RejectReason.ARTIST_MISMATCH, "no credited artist's name is in the path"


def _check_version(
    wanted: _Wanted, offer: _Offer, context: _Context
) -> tuple[RejectReason, str] | None:
    found = _offer_versions(wanted, offer, context.config.markers)
    allowed = wanted.versions | wanted.album_versions
    extra = sorted(m for m in found if not any(_related(m, w) for w in allowed))
    if extra:
        return RejectReason.UNWANTED_VERSION, "candidate is marked " + ", ".join(
            repr(m) for m in extra
        )
    missing = sorted(w for w in wanted.versions if not any(_related(w, m) for m in found))
    if missing:
        return RejectReason.MISSING_VERSION, "wanted " + ", ".join(
            repr(m) for m in missing
        ) + " but the candidate is not"
    return None


def _check_duration(
    wanted: _Wanted, offer: _Offer, context: _Context
) -> tuple[RejectReason, str] | None:
    length = offer.file.length
    if length is None:
        if context.config.strict:
            return RejectReason.DURATION_UNKNOWN, "the peer does not report a length (strict mode)"
        return None
    if wanted.duration_s is None:
        return None
    difference = abs(length - wanted.duration_s)
    if difference > wanted.tolerance_s:
        return (
            RejectReason.DURATION_MISMATCH,
            f"{length} s vs wanted {wanted.duration_s:.0f} s (±{wanted.tolerance_s:g} s)",
        )
    return None


def _check_truncated(
    wanted: _Wanted, offer: _Offer, context: _Context
) -> tuple[RejectReason, str] | None:
    """A file far smaller than its bitrate and the wanted length imply is a partial copy, even
    when the peer's header claims the full length."""
    if wanted.duration_s is None:
        return None
    bit_rate = offer.file.bit_rate
    lossless = offer.quality.startswith(("flac", "alac", "wav"))
    if bit_rate:
        floor_kbps, basis = bit_rate * 0.7, f"70 % of its {bit_rate} kbps"
    elif lossless:
        floor_kbps = context.profile.lossless_floor_kbps
        basis = f"the lossless floor of {floor_kbps} kbps (QUALITY_LOSSLESS_FLOOR_KBPS)"
    else:
        floor_kbps, basis = 32, "32 kbps"
    minimum = floor_kbps * 1000 / 8 * wanted.duration_s
    if offer.file.size < minimum:
        return (
            RejectReason.TRUNCATED,
            f"{offer.file.size:,} bytes is too small for {wanted.duration_s:.0f} s at {basis}: "
            f"at least {minimum:,.0f} bytes expected",
        )
    return None


def _check_quality(
    wanted: _Wanted, offer: _Offer, context: _Context
) -> tuple[RejectReason, str] | None:
    file = offer.file
    if context.config.strict and file.bit_rate is None and file.sample_rate is None:
        return (
            RejectReason.QUALITY_UNKNOWN,
            "the peer reports neither bitrate nor sample rate (strict mode)",
        )
    check = check_quality(
        context.profile, offer.extension, file.bit_rate, file.sample_rate, file.bit_depth,
        file.is_variable_bit_rate,
    )  # fmt: skip
    if not check.ok:
        return RejectReason.QUALITY_NOT_ALLOWED, check.reason
    return None


_CHECKS: tuple[_Check, ...] = (
    _check_path, _check_extension, _check_size, _check_peer, _check_title, _check_artist,
    _check_version, _check_duration, _check_truncated, _check_quality,
)  # fmt: skip
# Every reason in the order the filters run (locked files never reach the filters).
_REASON_ORDER: tuple[RejectReason, ...] = (
    RejectReason.LOCKED, RejectReason.UNSAFE_PATH, RejectReason.EXTENSION_NOT_ALLOWED,
    RejectReason.INVALID_SIZE, RejectReason.PEER_EXCLUDED, RejectReason.QUEUE_TOO_LONG,
    RejectReason.BLOCKLISTED, RejectReason.TITLE_MISMATCH, RejectReason.ARTIST_MISMATCH,
    RejectReason.UNWANTED_VERSION, RejectReason.MISSING_VERSION, RejectReason.DURATION_MISMATCH,
    RejectReason.TRUNCATED, RejectReason.DURATION_UNKNOWN, RejectReason.QUALITY_UNKNOWN,
    RejectReason.QUALITY_NOT_ALLOWED,
)  # fmt: skip


def _offer_versions(wanted: _Wanted, offer: _Offer, markers: MarkerSet) -> frozenset[str]:
    """Version markers in the file name and album folder, ignoring the wanted names' own words
    ("Live - Lightning Crashes", "Dub Be Good to Me", an album called "Mixtape")."""
    name = remove_phrase(remove_phrase(offer.name, wanted.base), wanted.album)
    folder = remove_phrase(remove_phrase(offer.folder, wanted.album), wanted.base)
    for words in wanted.artists:
        name = remove_phrase(name, " ".join(words))
        folder = remove_phrase(folder, " ".join(words))
    return markers.find_versions(name) | markers.find_versions(folder)


def _related(a: str, b: str) -> bool:
    """'radio edit' and 'edit' name the same kind of version."""
    return f" {b} " in f" {a} " or f" {a} " in f" {b} "


# --- ranking -----------------------------------------------------------------------------------


def _rank(wanted: _Wanted, offers: list[_Offer], context: _Context) -> list[Ranked]:
    format_keys = [_quality_key(offer, context.profile) for offer in offers]
    distinct_formats = sorted(set(format_keys))
    largest = max((offer.file.size for offer in offers), default=1)
    ranked = []
    for offer, format_key in zip(offers, format_keys, strict=True):
        breakdown = _measure(wanted, offer, context, format_key)
        breakdown["format"]["share"] = round(
            (distinct_formats.index(format_key) + 1) / len(distinct_formats), 3
        )
        breakdown["size"]["share_of_largest"] = round(offer.file.size / largest, 3)
        score = _weighted_score(breakdown)
        breakdown["score"] = score
        sort_key = (format_key, *_step_tiers(breakdown), offer.file.size)
        ranked.append(Ranked(offer.response.username, offer.file, score, breakdown, sort_key))
    # Stable sort: exact ties keep the order slskd returned the responses in.
    ranked.sort(key=lambda r: (r.sort_key, r.score), reverse=True)
    for position, item in enumerate(ranked, start=1):
        item.breakdown["rank"] = position
    return ranked


def _measure(
    wanted: _Wanted, offer: _Offer, context: _Context, format_key: tuple[int, int]
) -> dict[str, Any]:
    """One entry per ranking step: the compared `tier` plus the raw values behind it."""
    file, response = offer.file, offer.response
    stat = context.peer_stats.get(response.username)
    return {
        "format": _format_step(offer, format_key),
        "duration": _duration_step(wanted, file, context.config),
        "free_slot": {"tier": int(response.has_free_upload_slot)},
        "reliability": _reliability_step(stat),
        "upload_speed": {
            "tier": _tier(max(response.upload_speed, 0), SPEED_TIERS),
            "bytes_per_s": max(response.upload_speed, 0),
        },
        "queue": {
            "tier": -_tier(max(response.queue_length, 0), QUEUE_TIERS, strict=True),
            "length": response.queue_length,
        },
        "similarity": _similarity_step(wanted, offer, context.config.markers),
        "size": {"bytes": file.size},
    }


def _quality_key(offer: _Offer, profile: QualityProfile) -> tuple[int, int]:
    file = offer.file
    return quality_key(
        offer.extension, file.bit_rate, file.sample_rate, file.bit_depth,
        file.is_variable_bit_rate, profile=profile,
    )  # fmt: skip


def _format_step(offer: _Offer, format_key: tuple[int, int]) -> dict[str, Any]:
    file = offer.file
    return {
        "key": list(format_key),
        "class": offer.quality,
        "bit_rate": file.bit_rate,
        "sample_rate": file.sample_rate,
        "bit_depth": file.bit_depth,
        "vbr": file.is_variable_bit_rate,
    }


def _duration_step(wanted: _Wanted, file: PeerFile, config: MatchConfig) -> dict[str, Any]:
    if wanted.duration_s is None or file.length is None:
        return {"tier": 0, "difference_s": None}
    difference = abs(file.length - wanted.duration_s)
    tier = 2 if difference <= config.close_duration_s else 1
    return {"tier": tier, "difference_s": round(difference, 1)}


def _reliability_step(stat: PeerStat | None) -> dict[str, Any]:
    """Unknown peers sit between proven ones and peers that failed us recently."""
    if stat is None:
        return {"tier": 1, "successes": 0, "failures": 0}
    tier = 0 if stat.failures else (2 if stat.successes else 1)
    return {"tier": tier, "successes": stat.successes, "failures": stat.failures}


def _similarity_step(wanted: _Wanted, offer: _Offer, markers: MarkerSet) -> dict[str, Any]:
    """Preferences (remaster, mono, year, ...) first, then rapidfuzz text similarity."""
    found = markers.find_preferences(f"{offer.name} {offer.folder}")
    agreed = len(found & wanted.preferences)
    # A year in a folder name is routine; other preferences the wanted track lacks count against.
    unwanted = len({p for p in found - wanted.preferences if not p.isdigit()})
    title = fuzz.token_set_ratio(wanted.base, offer.name)
    album = fuzz.token_set_ratio(wanted.album, offer.folder) if wanted.album else 100.0
    text = round((title + album) / 2)
    return {
        "tier": [agreed - unwanted, text],
        "preferences": sorted(found),
        "title": round(title),
        "album": round(album),
    }


def _step_tiers(breakdown: Mapping[str, Any]) -> list[Any]:
    """The compared value of each step between format and size, in ranking order."""
    tiers = [breakdown[step]["tier"] for step in RANKING_STEPS[1:-1]]
    return [tuple(tier) if isinstance(tier, list) else tier for tier in tiers]


def _weighted_score(breakdown: Mapping[str, Any]) -> float:
    """0..1, used only where the lexicographic comparison ties."""
    similarity = breakdown["similarity"]
    parts = {
        "format": breakdown["format"]["share"],
        "duration": breakdown["duration"]["tier"] / 2,
        "free_slot": breakdown["free_slot"]["tier"],
        "reliability": breakdown["reliability"]["tier"] / 2,
        "upload_speed": min(1.0, math.log10(1 + breakdown["upload_speed"]["bytes_per_s"]) / 7),
        "queue": 1 / (1 + max(breakdown["queue"]["length"], 0)),
        "similarity": (similarity["title"] + similarity["album"]) / 200,
        "size": breakdown["size"]["share_of_largest"],
    }
    return round(sum(_WEIGHTS[name] * value for name, value in parts.items()), 4)


def _tier(value: int, bounds: tuple[int, ...], *, strict: bool = False) -> int:
    """Index of the first bound above `value` (or at/above it when `strict`)."""
    for index, bound in enumerate(bounds):
        if value < bound or (strict and value <= bound):
            return index
    return len(bounds)
