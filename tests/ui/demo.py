"""Demo data for the browser tests and `make screenshots`: users of every role, a small
library, jobs in every state (with candidates and timelines), dead letters and a watchlist.

Run against the database of the current settings (CONFIG_DIR / DATABASE_URL):

    CONFIG_DIR=/tmp/demo .venv/bin/python -m tests.ui.demo

Rows are written straight to the database: this is a picture of a lived-in installation,
not a run of the pipeline (the browser tests run the real pipeline for their own job).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

PASSWORD = "correct-horse-battery-9"
USERS = {"admin": "admin", "operator": "operator", "viewer": "viewer"}
DEAD_LABEL = "Nobody Shares — This Rarity"
RETRY_LABEL = "Massive Attack — Teardrop"
# As the HDM stores them (downloads/stages/search.py, file_attributes); unknown values are None.
FLAC_ATTRIBUTES = {"extension": "flac", "bit_rate": None, "bit_depth": 16, "sample_rate": 44100}
MP3_ATTRIBUTES = {"extension": "mp3", "bit_rate": 320, "bit_depth": None, "sample_rate": 44100}


def seed_users() -> None:
    from django.contrib.auth import get_user_model

    from accounts import services

    for username, role in USERS.items():
        if not get_user_model().objects.filter(username=username).exists():
            services.create_user(username=username, password=PASSWORD, role=role, actor="demo")


def _library() -> list:
    from library.models import Album, Artist, AuditEvent, LibraryFile, Track

    records = []
    catalogue = {
        ("Sigur Rós", "Ágætis byrjun", "1999"): ["Intro", "Svefn-g-englar", "Starálfur"],
        ("Björk", "Homogenic", "1997"): ["Hunter", "Jóga", "Unravel", "Bachelorette"],
        ("Radiohead", "In Rainbows", "2007"): ["15 Step", "Bodysnatchers", "Nude"],
    }
    for (artist_name, album_title, year), titles in catalogue.items():
        artist = Artist.objects.create(name=artist_name, sort_name=artist_name)
        album = Album.objects.create(
            title=album_title, album_artist=artist, release_date=year, track_total=len(titles) + 1
        )
        for number, title in enumerate(titles, start=1):
            track = Track.objects.create(
                title=title,
                artists=artist_name,
                artist=artist,
                album=album,
                track_number=number,
                duration_ms=240_000,
            )
            lossless = number % 2 == 1
            ext = "flac" if lossless else "mp3"
            file = LibraryFile.objects.create(
                track=track,
                path=f"{artist_name}/{album_title} ({year})/{number:02} {title}.{ext}",
                format=ext,
                codec=ext,
                bitrate_kbps=None if lossless else 320,
                sample_rate=44100,
                bit_depth=16 if lossless else None,
                channels=2,
                size=28_000_000 if lossless else 9_600_000,
                duration_s=240.0,
            )
            AuditEvent.objects.create(
                kind="ingested",
                actor="job:demo",
                track=track,
                file=file,
                details={"path": file.path},
            )
            records.append(track)
    return records


def _job(state: str, label: str, **fields):
    from django.utils import timezone

    from downloads.models import Job, JobEvent

    final = state in ("done", "cancelled", "dead")
    key = f"demo:{label}"
    job = Job.objects.create(
        state=state,
        label=label,
        wanted={"title": label.split(" — ")[-1], "artists": [label.split(" — ")[0]]},
        wanted_key=key,
        live_key=None if final else key,
        actor="user:operator",
        finished_at=timezone.now() if final else None,
        **fields,
    )
    JobEvent.objects.create(job=job, from_state="", to_state="queued", reason="submitted")
    JobEvent.objects.create(
        job=job,
        from_state="queued",
        to_state="searching",
        reason="search_started",
        details={"query": label.lower()},
    )
    if state != "searching":
        JobEvent.objects.create(
            job=job,
            from_state="searching",
            to_state=state,
            reason="candidates_found" if state != "dead" else fields.get("dead_reason", ""),
            details={"ranked": 2},
        )
    return job


def _candidates(job, *, chosen: bool) -> None:
    from downloads.models import Candidate

    rows = [
        (
            "flac_fan",
            "@@music\\Artist\\Album [FLAC]\\01 Track.flac",
            0.94,
            "chosen" if chosen else "pending",
        ),
        ("mp3_hoarder", "@@share\\mp3\\Track (320).mp3", 0.71, "pending"),
    ]
    for rank, (user, name, score, state) in enumerate(rows, start=1):
        Candidate.objects.create(
            job=job,
            key=f"{job.pk}-{rank}",
            username=user,
            filename=name,
            size=30_000_000 // rank,
            attributes={
                "extension": "flac",
                "bit_depth": 16,
                "sample_rate": 44100,
                "bit_rate": None,
            }
            if rank == 1
            else {"extension": "mp3", "bit_rate": 320, "bit_depth": None},
            score={
                "score": score,
                "format": {"class": "flac" if rank == 1 else "mp3-320"},
                "duration": {"delta_s": 0.4},
                "peer": {"free_slot": True, "queue": 0},
            },
            rank=rank,
            state=state,
        )
    Candidate.objects.create(
        job=job,
        key=f"{job.pk}-r",
        username="live_bootlegger",
        filename="@@x\\Track (Live).flac",
        size=41_000_000,
        rejection="unwanted_version",
        state="rejected",
        score={"detail": "The file is a live version; the wanted track is not."},
    )
    if chosen:
        job.current_candidate = job.candidates.get(state="chosen")
        job.save(update_fields=["current_candidate"])


def _quarantine() -> None:
    """One file in the quarantine, as an import of an untagged file leaves it."""
    from django.conf import settings

    from library.quarantine import quarantine_file

    source = Path(settings.DOWNLOADS_DIR) / "import" / "track 07.mp3"
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_bytes(b"demo")
    detail = "the file has no title or artist tag to name it by; tag it and drop it in again"
    quarantine_file(source, reason="untagged", detail=detail)


def seed_demo() -> None:
    """Users, a small library, and jobs in every state: a lived-in installation."""
    from django.utils import timezone

    from downloads.models import CandidateBlock, Watchlist, WatchlistSync

    seed_users()
    _library()
    done = _job(
        "done", "Sigur Rós — Starálfur", bytes_total=31_000_000, bytes_transferred=31_000_000
    )
    _candidates(done, chosen=True)
    running = _job(
        "downloading",
        "Björk — Jóga",
        transfer_id="demo-transfer",
        transfer_username="flac_fan",
        transfer_state="InProgress",
        bytes_total=34_000_000,
        bytes_transferred=21_500_000,
        priority=100,
    )
    _candidates(running, chosen=False)
    _job("searching", "Radiohead — Reckoner", priority=100)
    _job("queued", "Portishead — Roads", priority=50, kind="watchlist")
    waiting = _job(
        "failed",
        RETRY_LABEL,
        priority=100,
        attempts=2,
        last_error_code="provider_unavailable",
        last_error_detail="slskd did not answer",
        retry_state="searching",
        next_attempt_at=timezone.now() + timedelta(minutes=30),
    )
    _candidates(waiting, chosen=False)  # a live job whose page keeps polling
    CandidateBlock.objects.create(
        key="demo-block",
        username="fake_uploader",
        filename="@@x\\Teardrop (wrong song).mp3",
        size=4_000_000,
        reason="wrong_file",
        detail="marked by user:operator",
        job=waiting,
    )
    _job(
        "dead",
        DEAD_LABEL,
        dead_reason="no_candidates",
        last_error_code="no_candidates",
        last_error_detail="no candidate passed the filters after 3 searches",
    )
    _job(
        "dead",
        "Aphex Twin — Avril 14th (Bootleg)",
        dead_reason="verification_failed",
        last_error_code="duration_mismatch",
        last_error_detail="delivered file is 12 s too short",
    )
    _quarantine()
    watch = Watchlist.objects.create(
        kind="artist",
        spotify_id="demoartist0000000000001",
        name="Radiohead",
        release_types=["album", "single"],
    )
    WatchlistSync.objects.create(
        watchlist=watch,
        status="ok",
        trigger="schedule",
        found=9,
        new=1,
        enqueued=1,
        finished_at=timezone.now(),
    )


def main() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "harmony_site.settings")
    django.setup()
    if os.environ.get("HARMONY_DEMO_USERS_ONLY") == "1":
        seed_users()
    else:
        seed_demo()


if __name__ == "__main__":
    main()
