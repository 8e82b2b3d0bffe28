"""Writes to the library: promote a file (`ingest_file`), recycle one, mark one as wrong.

`ingest_file` is a pipeline of small steps over one `IngestContext` (style.md example 6):

    verify -> tag -> hash -> name -> promote (dedupe, then rows + audit + move)

Each step may stop the pipeline with a result. The file is parsed once: verify's parse is the
one the tagger writes through. Dedupe decides before the final rename, so no file lands in
MUSIC_DIR only to be removed, and it decides inside the promotion's transaction (on SQLite that
holds the write lock, so no other ingest slips the same recording in between; its lookup also
serves the catalog, one query instead of two). The move happens inside the database
transaction as its last step: if the move fails the rows roll back and the source is still in
DOWNLOADS_DIR; if the commit fails after the move, the file is moved back. A redelivered ingest
whose file was already promoted finds the row (or the finished target) and succeeds without a
second entry.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction

from harmony_site.config import get_config
from library import album_gain, catalog, naming, quality, tagging, verification, verify
from library.audit import record_event
from library.dedupe import DedupeDecision, decide_promotion
from library.models import AuditEvent, LibraryFile
from library.moving import TargetExists, file_hash, move_atomically
from library.quarantine import quarantine_file
from providers.lyrics import Lyrics
from providers.types import TrackMeta

logger = logging.getLogger("hdm.library")

Status = Literal["imported", "duplicate", "upgraded", "quarantined"]
Kind = AuditEvent.Kind


@dataclass(frozen=True)
class IngestResult:
    """What became of one file; `reason` is a machine-readable code when not imported."""

    status: Status
    library_file: LibraryFile | None = None
    reason: str = ""
    detail: str = ""


@dataclass(frozen=True)
class TaggedFile:
    """What the tag step wrote: recorded by the caller before the move, so a run killed in
    between recognises its own tagged file instead of calling it the wrong size."""

    path: str
    size: int
    content_hash: str


@dataclass
class IngestContext:
    path: Path
    meta: TrackMeta
    source: dict[str, Any]
    expected_size: int | None
    actor: str
    artwork: bytes | None
    lyrics: Lyrics | None
    profile: quality.QualityProfile
    parsed: tagging.ParsedAudio | None = None  # verify's parse, reused by the tag step
    checked: verification.Verification | None = None  # decoded-audio evidence, when enabled
    info: tagging.AudioInfo | None = None
    tags: dict[str, list[str]] = field(default_factory=dict)  # snapshot after tagging
    content_hash: str = ""
    rel_path: PurePosixPath | None = None
    target: Path | None = None
    decision: DedupeDecision = field(default_factory=lambda: DedupeDecision("new"))
    result: IngestResult | None = None


class IngestStopped(Exception):
    """A step failed in a way that sends the file to quarantine."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code, self.detail = code, detail


def music_dir() -> Path:
    return Path(settings.MUSIC_DIR)


def recycle_dir() -> Path:
    # A relative RECYCLE_DIR is under DOWNLOADS_DIR; an absolute one is used as is.
    return Path(settings.DOWNLOADS_DIR) / get_config()["RECYCLE_DIR"]


# --- Pipeline steps -------------------------------------------------------------------------


def step_find_promoted(ctx: IngestContext) -> None:
    """Idempotency: a redelivered ingest whose source is gone finds what the first one did."""
    if ctx.path.exists():
        return
    rel = _library_rel_path(ctx.meta, ctx.path.suffix.lstrip(".").lower())
    row = LibraryFile.objects.filter(path=str(rel), state=LibraryFile.State.PRESENT).first()
    if row is not None:
        ctx.result = IngestResult("imported", row, "already_ingested")
        return
    target = naming.resolve_inside(music_dir(), rel)
    if target.is_file():
        # The move finished but the row never committed (a crash in between): index the file.
        ctx.path, ctx.target, ctx.rel_path = target, target, rel
        ctx.result = _index_recovered(ctx)
        return
    raise IngestStopped("source_missing", f"{ctx.path} does not exist and was never promoted")


def step_verify(ctx: IngestContext) -> None:
    """The file parses as its format, has the wanted duration and size, meets the profile."""
    ctx.parsed = verify.verify_audio(
        ctx.path,
        wanted=ctx.meta,
        expected_size=ctx.expected_size,
        profile=ctx.profile,
        tolerance_s=get_config()["DURATION_TOLERANCE_S"],
    )
    ctx.info = ctx.parsed.info


def step_analyse(ctx: IngestContext) -> None:
    """Decode the audio: spectrum (fake lossless), silence, clipping, loudness for ReplayGain."""
    assert ctx.info is not None
    config = get_config()
    if not config["AUDIO_ANALYSIS"]:
        return
    ctx.checked = verification.verify_content(
        ctx.path,
        lossless=ctx.info.lossless,
        profile=ctx.profile,
        replaygain=config["REPLAYGAIN"],
        wanted=ctx.meta,
    )


def step_tag(ctx: IngestContext) -> None:
    """Write the wanted metadata (and artwork, lyrics) while the file is in DOWNLOADS_DIR."""
    assert ctx.parsed is not None
    # Verify's parse is reused: the file is read once, and the snapshot stored on the row is
    # what was just written, not the downloaded file's old tags.
    written = tagging.tag_parsed(
        ctx.parsed,
        ctx.meta,
        artwork=ctx.artwork,
        lyrics=ctx.lyrics,
        replaygain=ctx.checked.replaygain if ctx.checked else None,
    )
    ctx.tags = written.tags
    logger.info("hdm.tag.completed", extra=_log_ids(ctx))


def step_hash(ctx: IngestContext) -> None:
    ctx.content_hash = file_hash(ctx.path)


def step_name(ctx: IngestContext) -> None:
    """Render the template into a path inside MUSIC_DIR (sanitised, never outside it)."""
    assert ctx.info is not None
    ctx.rel_path = _library_rel_path(ctx.meta, _extension(ctx))
    ctx.target = naming.resolve_inside(music_dir(), ctx.rel_path)


def _library_rel_path(meta: TrackMeta, ext: str) -> PurePosixPath:
    rel = naming.library_path(meta, ext, template=_template())
    return naming.avoid_case_collisions(music_dir(), rel)


def step_promote(ctx: IngestContext) -> None:
    """Skip same bytes or a not-better copy of an owned recording before any move; otherwise
    recycle the replaced copy, move the new file into place, write rows and audit events."""
    try:
        ctx.result = _promote(ctx)
    except IntegrityError:
        # Another ingest of the same file won the race for this path: one entry, not two.
        ctx.result = _skip_concurrent(ctx)
        return
    if ctx.decision.action == "skip":
        ctx.result = _skip_duplicate(ctx)  # outside the transaction: it moves a file


STEPS: tuple[Callable[[IngestContext], None], ...] = (
    step_find_promoted,
    step_verify,
    step_analyse,
    step_tag,
    step_hash,
    step_name,
    step_promote,
)

# Steps announced to `ingest_file(on_step=...)` before they run.
_ANNOUNCED: dict[Callable[[IngestContext], None], str] = {
    step_tag: "tagging",
    step_promote: "moving",
}

# Errors a step raises for a bad file (as opposed to a bug or a full disk, which propagate so
# the job retries): each sends the file to quarantine with its code.
_FILE_ERRORS: tuple[type[Exception], ...] = (
    IngestStopped,
    verify.VerificationFailed,
    tagging.UnreadableAudio,
    tagging.TaggingError,
    naming.UnsafePath,
)


def ingest_file(
    path: str | Path,
    *,
    meta: TrackMeta,
    source: dict[str, Any],
    expected_size: int | None = None,
    actor: str,
    artwork: bytes | None = None,
    lyrics: Lyrics | None = None,
    profile: quality.QualityProfile | None = None,
    on_step: Callable[[str], None] | None = None,
    on_tagged: Callable[[TaggedFile], None] | None = None,
    tagged: TaggedFile | None = None,
) -> IngestResult:
    """Verify, tag, name, deduplicate and atomically promote one file into MUSIC_DIR.

    `source` describes where the file came from (`username`, `filename`, `size`, `job_id` for
    downloads, `{"import": path}` for manual imports). Idempotent: calling it again after a
    crash or a redelivery yields the same single library entry. `on_step` is told when the
    "tagging" and "moving" steps begin (the HDM records them in the job's timeline);
    `on_tagged` is handed the tagged file before the move, and a re-run passes that record back
    as `tagged`: a file still matching it is this ingest's own work, verified at its new size.
    """
    if tagged is not None and _is_own_tagged_file(Path(path), tagged):
        expected_size = tagged.size
    ctx = IngestContext(
        path=Path(path),
        meta=meta,
        source=source,
        expected_size=expected_size,
        actor=actor,
        artwork=artwork,
        lyrics=lyrics,
        profile=profile or quality.QualityProfile.from_config(),
    )
    try:
        for step in STEPS:
            if on_step is not None and step in _ANNOUNCED:
                on_step(_ANNOUNCED[step])
            step(ctx)
            if ctx.result is not None:
                return ctx.result
            if step is step_hash and on_tagged is not None:
                on_tagged(TaggedFile(str(ctx.path), ctx.path.stat().st_size, ctx.content_hash))
    except _FILE_ERRORS as exc:
        code, detail = _error_code(exc)
        return quarantine_source(ctx.path, reason=code, detail=detail, actor=actor, source=source)
    raise AssertionError("the promote step always sets a result")


def _is_own_tagged_file(path: Path, tagged: TaggedFile) -> bool:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return False
    return (
        str(path) == tagged.path and size == tagged.size and file_hash(path) == tagged.content_hash
    )


# --- Promotion ------------------------------------------------------------------------------


def _promote(ctx: IngestContext) -> IngestResult | None:
    """Decide and promote in one transaction; None when the decision is to skip."""
    assert ctx.target is not None and ctx.info is not None
    moves: list[tuple[Path, Path]] = []  # (from, to) done so far, undone in reverse on failure
    try:
        with transaction.atomic():
            ctx.decision = decide_promotion(
                ctx.meta, ctx.info, content_hash=ctx.content_hash, profile=ctx.profile
            )
            if ctx.decision.action == "skip":
                return None
            old = ctx.decision.existing if ctx.decision.action == "upgrade" else None
            track = catalog.upsert_track(ctx.meta, candidates=ctx.decision.candidates)
            if old is not None:
                _retire(old, by_path=str(ctx.rel_path), actor=ctx.actor)
            row = LibraryFile.objects.create(
                track=track,
                path=str(ctx.rel_path),
                source=ctx.source,
                content_hash=ctx.content_hash,
                **catalog.file_fields(ctx.info, ctx.path, tags=ctx.tags),
                **(ctx.checked.fields() if ctx.checked else {}),
            )
            _record_ingest(ctx, row, old)
            if ctx.checked and track.album_id:
                album_gain.enqueue_album_gain(track.album_id)
            # The moves are the last statements of the transaction: a failed move rolls the
            # rows back, and a failed commit undoes the moves below.
            if old is not None:
                moves.append(_recycle_on_disk(old))
            moves.append(_move_into_place(ctx))
    except (DatabaseError, OSError, IngestStopped):
        _undo_moves(moves)
        raise
    status: Status = "upgraded" if old is not None else "imported"
    logger.info(
        "hdm.move.completed",
        extra={
            **_log_ids(ctx),
            "file_id": row.pk,
            "track_id": row.track_id,
            "target": str(ctx.rel_path),
            "status": status,
        },
    )
    return IngestResult(status, row, ctx.decision.reason)


def _move_into_place(ctx: IngestContext) -> tuple[Path, Path]:
    assert ctx.target is not None
    try:
        # Finishes a crashed earlier move of identical content; refuses a different file.
        return ctx.path, move_atomically(ctx.path, ctx.target)
    except TargetExists:
        raise IngestStopped(
            "target_exists", f"{ctx.rel_path} holds a different file the library does not know"
        ) from None


def _undo_moves(moves: list[tuple[Path, Path]]) -> None:
    for origin, moved_to in reversed(moves):
        if origin != moved_to:
            move_atomically(moved_to, origin)


def _record_ingest(ctx: IngestContext, row: LibraryFile, old: LibraryFile | None) -> None:
    record_event(
        Kind.INGESTED,
        actor=ctx.actor,
        file=row,
        track=row.track,
        source=ctx.source,
        from_path=str(ctx.path),
        to_path=str(ctx.rel_path),
        content_hash=ctx.content_hash,
        tagged=True,
        format=ctx.info.format if ctx.info else "",
    )
    if old is not None:
        record_event(
            Kind.UPGRADED,
            actor=ctx.actor,
            file=row,
            replaced_file_id=old.pk,
            replaced_path=old.path,
            recycled_to=old.moved_to,
        )


def _retire(old: LibraryFile, *, by_path: str, actor: str) -> None:
    """Mark the replaced copy recycled (the row is kept: the audit trail points at it)."""
    old.state = LibraryFile.State.RECYCLED
    old.moved_to = str(_recycle_target(old))
    old.save(update_fields=["state", "moved_to", "updated_at"])
    record_event(
        Kind.RECYCLED,
        actor=actor,
        file=old,
        reason="replaced_by_better_copy",
        replaced_by=by_path,
        recycled_to=old.moved_to,
    )


def _recycle_target(row: LibraryFile) -> Path:
    """RECYCLE_DIR mirrors MUSIC_DIR; a name already taken there gets the row id appended."""
    rel = PurePosixPath(row.path)
    target = naming.resolve_inside(recycle_dir(), rel)
    if target.exists():
        target = target.with_name(f"{target.stem} ({row.pk}){target.suffix}")
    return target


def _recycle_on_disk(row: LibraryFile) -> tuple[Path, Path]:
    source = naming.resolve_inside(music_dir(), PurePosixPath(row.path))
    target = Path(row.moved_to)
    target.parent.mkdir(parents=True, exist_ok=True)
    move_atomically(source, target)
    return source, target


# --- Other outcomes -------------------------------------------------------------------------


def _skip_duplicate(ctx: IngestContext) -> IngestResult:
    """Drop a copy the library does not need: identical bytes are removed, others recycled."""
    existing, reason = ctx.decision.existing, ctx.decision.reason
    assert existing is not None
    kept_at = ""
    if reason == "same_file":
        # Byte-identical to a library file: nothing is lost by removing it.
        ctx.path.unlink(missing_ok=True)
    else:
        kept_at = str(_park_in_recycle(ctx.path))
    with transaction.atomic():
        record_event(
            Kind.SKIPPED_DUPLICATE,
            actor=ctx.actor,
            file=existing,
            reason=reason,
            source=ctx.source,
            from_path=str(ctx.path),
            recycled_to=kept_at,
        )
    logger.info(
        "hdm.dedupe.skipped",
        extra={**_log_ids(ctx), "stage": "pre_promotion", "file_id": existing.pk, "reason": reason},
    )
    return IngestResult("duplicate", existing, reason)


def _skip_concurrent(ctx: IngestContext) -> IngestResult:
    row = LibraryFile.objects.filter(
        path=str(ctx.rel_path), state=LibraryFile.State.PRESENT
    ).first()
    if row is None:
        raise IngestStopped("path_conflict", f"{ctx.rel_path} is being promoted concurrently")
    ctx.decision = DedupeDecision(
        "skip", row, "same_file" if row.content_hash == ctx.content_hash else "concurrent_ingest"
    )
    return _skip_duplicate(ctx)


def _park_in_recycle(path: Path) -> Path:
    name = PurePosixPath("skipped") / path.name
    target = naming.resolve_inside(recycle_dir(), name)
    if target.exists():
        target = target.with_name(f"{target.stem} ({file_hash(path)[:8]}){target.suffix}")
    target.parent.mkdir(parents=True, exist_ok=True)
    return move_atomically(path, target)


def _index_recovered(ctx: IngestContext) -> IngestResult:
    assert ctx.target is not None
    ctx.info = tagging.read_audio(ctx.target)
    ctx.content_hash = file_hash(ctx.target)
    with transaction.atomic():
        track = catalog.upsert_track(ctx.meta)
        row = LibraryFile.objects.create(
            track=track,
            path=str(ctx.rel_path),
            source=ctx.source,
            content_hash=ctx.content_hash,
            **catalog.file_fields(ctx.info, ctx.target, tags=ctx.info.tags),
        )
        record_event(Kind.INGESTED, actor=ctx.actor, file=row, recovered=True, source=ctx.source)
    return IngestResult("imported", row, "recovered")


def quarantine_source(
    path: Path, *, reason: str, detail: str, actor: str, source: dict[str, Any]
) -> IngestResult:
    """Move a file that failed ingest to the quarantine (with its reason) and record it."""
    where = ""
    if path.exists():
        where = str(quarantine_file(path, reason=reason, detail=detail))
    with transaction.atomic():
        record_event(
            Kind.QUARANTINED, actor=actor, reason=reason, detail=detail, source=source, path=where
        )
    # quarantine_file logs hdm.quarantine.added with the paths; this line ties it to the job.
    logger.warning(
        "hdm.ingest.quarantined",
        extra={"reason": reason, "job_id": source.get("job_id"), "quarantine_path": where},
    )
    return IngestResult("quarantined", None, reason, detail)


# --- Operator actions -----------------------------------------------------------------------


def recycle_file(library_file: LibraryFile, *, actor: str, reason: str = "removed") -> LibraryFile:
    """Take a file out of the library into RECYCLE_DIR (never deleted), with an audit event."""
    with transaction.atomic():
        row = LibraryFile.objects.select_for_update().get(pk=library_file.pk)
        if row.state != LibraryFile.State.PRESENT:
            return row
        row.state = LibraryFile.State.RECYCLED
        row.moved_to = str(_recycle_target(row))
        row.save(update_fields=["state", "moved_to", "updated_at"])
        record_event(Kind.RECYCLED, actor=actor, file=row, reason=reason, recycled_to=row.moved_to)
        _recycle_on_disk(row)
    return row


def mark_wrong_file(library_file: LibraryFile, *, actor: str) -> LibraryFile:
    """ "Wrong file": quarantine it and record why; the HDM blocklists its source and re-runs."""
    with transaction.atomic():
        row = LibraryFile.objects.select_for_update().get(pk=library_file.pk)
        if row.state != LibraryFile.State.PRESENT:
            return row
        on_disk = naming.resolve_inside(music_dir(), PurePosixPath(row.path))
        # A file already gone from disk is still marked: the job must re-run either way.
        where = (
            quarantine_file(on_disk, reason="wrong_file", detail=f"marked by {actor}")
            if on_disk.is_file()
            else ""
        )
        row.state = LibraryFile.State.QUARANTINED
        row.moved_to = str(where)
        row.save(update_fields=["state", "moved_to", "updated_at"])
        record_event(
            Kind.WRONG_FILE, actor=actor, file=row, source=row.source, quarantined_to=str(where)
        )
    logger.info(
        "hdm.quarantine.added",
        extra={"file_id": row.pk, "track_id": row.track_id, "reason": "wrong_file"},
    )
    return row


# --- Helpers --------------------------------------------------------------------------------


def _template() -> str:
    return naming.template_from_config()


def _extension(ctx: IngestContext) -> str:
    return ctx.path.suffix.lstrip(".").lower()


def _error_code(exc: Exception) -> tuple[str, str]:
    code = getattr(exc, "code", None) or type(exc).__name__
    detail = getattr(exc, "detail", None) or str(exc)
    return str(code), str(detail)


def _log_ids(ctx: IngestContext) -> dict[str, Any]:
    return {"job_id": ctx.source.get("job_id"), "path": str(ctx.path)}
