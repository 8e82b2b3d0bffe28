"""Every HDM reason code as a sentence a person can act on (the UI never shows a bare code).

Pure functions over stored values: rejection codes (`matching.ranking.RejectReason`), candidate
failure codes, job error codes (`last_error_code`, `DeadReason`), score breakdowns, and what a
job is doing right now (a search running, or a wait for a search slot).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.template.defaultfilters import filesizeformat

from downloads.matching.ranking import RejectReason

REJECTIONS: dict[str, str] = {
    RejectReason.LOCKED: "The peer shares this file only with friends (it is locked).",
    RejectReason.UNSAFE_PATH: "The file's path could escape the downloads folder.",
    RejectReason.EXTENSION_NOT_ALLOWED: "Not an audio format Harmony accepts.",
    RejectReason.INVALID_SIZE: "The peer reported an impossible file size.",
    RejectReason.PEER_EXCLUDED: "This peer failed twice recently and is left out for a while.",
    RejectReason.QUEUE_TOO_LONG: "The peer's upload queue is longer than MATCH_MAX_QUEUE_LENGTH.",
    RejectReason.BLOCKLISTED: "You or Harmony blocked this exact file before (see the blocklist).",
    RejectReason.TITLE_MISMATCH: "The file name does not contain the wanted title.",
    RejectReason.ARTIST_MISMATCH: "Neither the file name nor its folders name the artist.",
    RejectReason.UNWANTED_VERSION: "A different version (live, remix...) than the one wanted.",
    RejectReason.MISSING_VERSION: "The wanted version (live, remix...) is not named in the file.",
    RejectReason.DURATION_MISMATCH: "Its length differs too much from the wanted track's.",
    RejectReason.TRUNCATED: "It is much shorter than the wanted track: probably cut off.",
    RejectReason.DURATION_UNKNOWN: "The peer did not report a length (strict matching is on).",
    RejectReason.QUALITY_UNKNOWN: "The peer did not report its quality (strict matching is on).",
    RejectReason.QUALITY_NOT_ALLOWED: "Its quality is not in your quality profile.",
}

FAILURES: dict[str, str] = {
    "peer_excluded": "Skipped: this peer failed twice recently.",
    "unsafe_path": "Refused: the file's path could escape the downloads folder.",
    "enqueue_failed": "slskd could not queue the download with this peer.",
    "transfer_lost": "slskd forgot the transfer (restarted?).",
    "queued_timeout": "The peer kept it queued for too long.",
    "stalled": "The transfer stopped moving.",
    "wrong_file": "Marked as the wrong file by a person; it is blocked.",
    "wrong_size": "The delivered file's size is not the one the peer announced; it is blocked.",
    "cancelled_by_peer": "The peer cancelled or refused the transfer.",
    "verify": "The delivered file failed verification",
}

ERRORS: dict[str, str] = {
    "no_candidates": "No file on Soulseek passed the filters.",
    "no_query": "There is nothing to search for (no title or artist).",
    "no_match": "The searches found no file that matches.",
    "all_candidates_failed": "Every matching file was tried and failed.",
    "verification_failed": "The delivered files failed verification.",
    "provider_unavailable": "slskd or Spotify did not answer; Harmony will retry.",
    "provider_error": "slskd or Spotify answered with an error.",
    "provider_auth": "slskd or Spotify refused the credentials (check Settings).",
    "provider_rate_limited": "slskd or Spotify asked Harmony to slow down.",
    "disk_error": "A disk error while handling the file (space or permissions?).",
    "cancelled_by_peer": "The peer cancelled or refused the transfer.",
    "worker_lost": "The worker died repeatedly while running this job.",
    "invalid_request": "The wanted item cannot be resolved.",
    "internal_error": "An unexpected error (the detail below says more).",
    "duration_mismatch": "The delivered file's length is not the wanted track's.",
}

_STEPS: dict[str, str] = {
    "format": "Quality",
    "duration": "Length",
    "free_slot": "Upload slot",
    "reliability": "Peer record",
    "upload_speed": "Upload speed",
    "queue": "Peer queue",
    "similarity": "Name match",
    "size": "Size",
}


def rejection_text(code: str, detail: str = "") -> str:
    """Why a candidate was never downloaded, in words (plus the matcher's own detail)."""
    sentence = REJECTIONS.get(code) or _fallback(code)
    return f"{sentence} {detail}".strip()


def failure_text(code: str) -> str:
    """Why a tried candidate failed (`verify:<code>` carries the verifier's reason)."""
    head, _, rest = code.partition(":")
    if head == "verify":
        return f"{FAILURES['verify']}: {error_text(rest) or rest.replace('_', ' ')}."
    return FAILURES.get(code) or _fallback(code)


def error_text(code: str) -> str:
    """A job's last error or dead-letter reason as a sentence; empty for no code."""
    return "" if not code else (ERRORS.get(code) or _fallback(code))


def _fallback(code: str) -> str:
    # A code added later still reads as words; tests keep the tables complete.
    return code.replace("_", " ").capitalize() + "."


def score_sentences(score: Mapping[str, Any]) -> list[tuple[str, str]]:
    """A ranked candidate's breakdown, one (step, sentence) per ranking step it recorded."""
    rows = []
    for step, label in _STEPS.items():
        value = score.get(step)
        if isinstance(value, Mapping):
            rows.append((label, _step_sentence(step, value)))
    return rows


def _step_sentence(step: str, value: Mapping[str, Any]) -> str:
    if step == "format":
        return _format_sentence(value)
    if step == "duration":
        difference = value.get("difference_s", value.get("delta_s"))
        if difference is None:
            return "Length unknown: neither better nor worse."
        return f"{difference:g} s away from the wanted length."
    if step == "free_slot":
        return "The peer has a free upload slot now." if value.get("tier") else "No free slot now."
    if step == "reliability":
        return (
            f"{value.get('successes', 0)} good and {value.get('failures', 0)} failed "
            "downloads from this peer."
        )
    if step == "upload_speed":
        return f"Uploads at {filesizeformat(value.get('bytes_per_s', 0))}/s."
    if step == "queue":
        return f"{value.get('length', 0)} file(s) queued before yours."
    if step == "similarity":
        return f"Title {value.get('title', '?')}% and album {value.get('album', '?')}% alike" + (
            f"; says {', '.join(value['preferences'])}." if value.get("preferences") else "."
        )
    return f"{filesizeformat(value.get('bytes', 0))}."


def _format_sentence(value: Mapping[str, Any]) -> str:
    parts = [str(value.get("class") or "unknown format")]
    if value.get("bit_rate"):
        parts.append(f"{value['bit_rate']} kbps" + (" VBR" if value.get("vbr") else ""))
    if value.get("bit_depth"):
        parts.append(f"{value['bit_depth']}-bit")
    if value.get("sample_rate"):
        parts.append(f"{value['sample_rate'] / 1000:g} kHz")
    return ", ".join(parts) + "."


def quality_text(attributes: Mapping[str, Any]) -> str:
    """A candidate's stored file attributes in words; unknown values are left out, not "None"."""
    parts = [str(attributes["extension"]).upper()] if attributes.get("extension") else []
    if attributes.get("bit_rate"):
        vbr = " VBR" if attributes.get("is_variable_bit_rate") else ""
        parts.append(f"{attributes['bit_rate']} kbps{vbr}")
    if attributes.get("bit_depth"):
        parts.append(f"{attributes['bit_depth']}-bit")
    if attributes.get("sample_rate"):
        parts.append(f"{attributes['sample_rate'] / 1000:g} kHz")
    if attributes.get("length"):
        minutes, seconds = divmod(int(attributes["length"]), 60)
        parts.append(f"{minutes}:{seconds:02}")
    return ", ".join(parts) or "Quality not reported"


def children_text(summary: Mapping[str, int] | None) -> str:
    """A parent's tracks in words: "3 done, 9 failed, 1 cancelled, 2 in progress"."""
    if not summary:
        return ""
    done, dead = summary.get("done", 0), summary.get("dead", 0)
    cancelled = summary.get("cancelled", 0)
    live = sum(summary.values()) - done - dead - cancelled
    parts = [f"{done} done", f"{dead} failed"]
    if cancelled:
        parts.append(f"{cancelled} cancelled")
    if live:
        parts.append(f"{live} in progress")
    return ", ".join(parts)


def children_outcome(state: str, summary: Mapping[str, int] | None) -> str:
    """The badge a finished parent deserves: done only if every track is; else partly/failed."""
    if not summary or state != "done":
        return state
    if summary.get("done", 0) == sum(summary.values()):
        return "done"
    return "dead" if not summary.get("done") else "failed"


# The UI's names for states whose model labels speak the engine's language (the DLQ keeps
# its API name; a person sees "Failed").
STATE_WORDS = {"dead": "Failed", "failed": "Waiting to retry"}


def state_text(job: Any) -> str:
    return STATE_WORDS.get(job.state) or job.get_state_display()


def activity_text(job: Any) -> str:
    """What a live job is doing now, where its state alone would mislead."""
    if job.state == "searching" and not job.current_search_id:
        return "Waiting for a search slot"
    if job.state == "queued":
        return "Waiting for a worker"
    if job.state == "failed" and job.next_attempt_at:
        return "Waiting to retry"
    return state_text(job)


def wanted_status(job: Any) -> tuple[str, str]:
    """Why a wanted track is not in the library yet, and what a person can do about it."""
    if job.state == "dead" and job.dead_reason == "no_candidates":
        return "Not found on Soulseek.", "Retry later: new peers come online every day."
    if job.state == "dead":
        return error_text(job.dead_reason) or "Failed.", "Open the job to see why, then retry."
    if job.state == "failed":
        return (
            f"Failed for now: {error_text(job.last_error_code)}",
            "Harmony retries by itself; or retry now.",
        )
    return activity_text(job) + ".", "Nothing: Harmony is on it (see Downloads)."
