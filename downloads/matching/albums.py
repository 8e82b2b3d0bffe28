"""Album mode: prefer one peer's folder that holds the whole album (matching.md section 10).

Files are grouped by (username, parent folder). Each folder is matched track by track with the
same filters and ranking as single tracks (`rank_candidates`), so a folder is "complete" only
when every wanted title passes, durations included. Non-audio files (.nfo, .cue, images) are
returned as optional extras and never count towards, or against, completion.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass, field, replace
from typing import Any

from downloads.matching.ranking import (
    MatchConfig,
    PeerStat,
    Ranked,
    is_safe_peer_path,
    rank_candidates,
    split_peer_path,
)
from library.quality import QualityProfile
from providers.slskd.types import PeerFile, PeerResponse
from providers.types import TrackMeta


@dataclass(frozen=True)
class AlbumChoice:
    """The chosen folder (None when no folder matched any track) and what is still missing."""

    username: str | None
    directory: str | None  # the peer's parent path, as the peer spells it
    matches: list[tuple[TrackMeta, Ranked]]  # in wanted order
    missing: list[TrackMeta]  # search these per track
    extras: list[PeerFile] = field(default_factory=list)  # non-audio files in that folder
    folders_considered: int = 0

    @property
    def complete(self) -> bool:
        return self.username is not None and not self.missing


@dataclass(frozen=True)
class _Folder:
    username: str
    directory: str
    response: PeerResponse  # the peer's response restricted to this folder's files


def choose_album_folder(
    wanted_tracks: list[TrackMeta],
    responses: list[PeerResponse],
    *,
    profile: QualityProfile,
    peer_stats: Mapping[str, PeerStat] | None = None,
    blocklist: Set[tuple[str, str, int]] | None = None,
    config: MatchConfig | None = None,
) -> AlbumChoice:
    """Pick the peer folder covering most wanted tracks; ties go to the better-ranked files.

    Every wanted track must pass `rank_candidates` inside the folder to count as present; a
    file is used for one track only.
    """
    config = config or MatchConfig()
    best: tuple[tuple[Any, ...], AlbumChoice] | None = None
    folders = _group_folders(responses)
    for folder in folders:
        matches = _match_folder(
            wanted_tracks, folder, profile=profile, peer_stats=peer_stats,
            blocklist=blocklist, config=config,
        )  # fmt: skip
        if not matches:
            continue
        key = _folder_key(matches)
        if best is None or key > best[0]:
            best = (key, _choice(wanted_tracks, folder, matches, config))
    if best is None:
        return AlbumChoice(None, None, [], list(wanted_tracks), folders_considered=len(folders))
    return replace(best[1], folders_considered=len(folders))


def _group_folders(responses: list[PeerResponse]) -> list[_Folder]:
    """One pseudo-response per (username, parent folder), locked files kept with their folder."""
    grouped: dict[tuple[str, str], dict[str, list[PeerFile]]] = {}
    origin: dict[str, PeerResponse] = {}
    for response in responses:
        origin.setdefault(response.username, response)
        for kind, files in (("files", response.files), ("locked", response.locked_files)):
            for peer_file in files:
                key = (response.username, _parent(peer_file.filename))
                grouped.setdefault(key, {"files": [], "locked": []})[kind].append(peer_file)
    return [
        _Folder(
            username=username,
            directory=directory,
            response=replace(
                origin[username], files=tuple(parts["files"]), locked_files=tuple(parts["locked"])
            ),
        )
        for (username, directory), parts in grouped.items()
    ]


def _parent(filename: str) -> str:
    """The folder part of a peer path, as the peer wrote it (separator style kept)."""
    cut = max(filename.rfind("\\"), filename.rfind("/"))
    return filename[:cut] if cut > 0 else ""


def _match_folder(
    wanted_tracks: list[TrackMeta],
    folder: _Folder,
    *,
    profile: QualityProfile,
    peer_stats: Mapping[str, PeerStat] | None,
    blocklist: Set[tuple[str, str, int]] | None,
    config: MatchConfig,
) -> list[tuple[TrackMeta, Ranked]]:
    used: set[str] = set()
    matches = []
    for track in wanted_tracks:
        result = rank_candidates(
            track, [folder.response], profile=profile, peer_stats=peer_stats,
            blocklist=blocklist, config=config,
        )  # fmt: skip
        pick = next((r for r in result.ranked if r.filename not in used), None)
        if pick is not None:
            used.add(pick.filename)
            matches.append((track, pick))
    return matches


def _folder_key(matches: list[tuple[TrackMeta, Ranked]]) -> tuple[Any, ...]:
    """More tracks first, then the folder's weakest file (an album is as good as its worst
    track), then the mean tie-break score."""
    worst = min(ranked.sort_key for _, ranked in matches)
    mean_score = sum(ranked.score for _, ranked in matches) / len(matches)
    return (len(matches), worst, mean_score)


def _choice(
    wanted_tracks: list[TrackMeta],
    folder: _Folder,
    matches: list[tuple[TrackMeta, Ranked]],
    config: MatchConfig,
) -> AlbumChoice:
    found = {id(track) for track, _ in matches}
    extras = [
        peer_file
        for peer_file in folder.response.files
        if _extension(peer_file.filename) not in config.allowed_extensions
        and is_safe_peer_path(peer_file.filename)
    ]
    return AlbumChoice(
        username=folder.username,
        directory=folder.directory,
        matches=matches,
        missing=[track for track in wanted_tracks if id(track) not in found],
        extras=extras,
    )


def _extension(filename: str) -> str:
    name = (split_peer_path(filename) or ("",))[-1]
    return name.rpartition(".")[2].lower() if "." in name else ""
