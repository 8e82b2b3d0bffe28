"""Library benchmark: scan and ingest speed against bare mutagen loops, measured in one run.

    .venv/bin/python bench/library_bench.py [--scan-files 5000] [--ingest-files 1000] [--dir D]

* scan: `scan_library` over N generated files ÷ a loop that only opens each file with mutagen
  (files/s ratio, target >= 0.8), plus the scan's peak Python heap (tracemalloc, measured in a
  second full scan so tracing does not slow the timed one) and the process's peak RSS;
* ingest: N × `ingest_file` (verify + tag + name + dedupe + atomic move + rows + audit) ÷ a loop
  that only writes the same tags with mutagen and `os.replace`s each file (time ratio, target
  <= 2.0). The bare loop writes exactly the fields `ingest_file` writes for the same metadata
  (title, artist, album artist, album, track and disc number/total, date, ISRC).

Both sides run on the same generated files in the same temporary directory (so on the same file
system: pass `--dir` to choose it), alternately, `--repeat` times; each side's best run is kept,
so a burst of load from other processes does not decide the ratio. Everything lives in that
directory (a fresh CONFIG_DIR with SQLite, DOWNLOADS_DIR, MUSIC_DIR) and is removed afterwards.
Results are printed as a table and written to `bench/results/library.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "library.json"
FORMATS = ("flac", "mp3", "ogg", "m4a")
SCAN_TARGET, INGEST_TARGET = 0.8, 2.0


def _setup_django(root: Path) -> None:
    for name in ("CONFIG_DIR", "DOWNLOADS_DIR", "MUSIC_DIR"):
        path = root / name.split("_")[0].lower()
        path.mkdir(parents=True, exist_ok=True)
        os.environ[name] = str(path)
    os.environ["LOG_LEVEL"] = "ERROR"
    # Decoding the audio is measured on its own (bench/verify_bench.py): these ratios compare
    # the file and database bookkeeping with bare mutagen loops.
    os.environ["AUDIO_ANALYSIS"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "harmony_site.settings")
    sys.path.insert(0, str(REPO))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def _templates(root: Path) -> dict[str, Path]:
    from tests.audio import EXTENSIONS, make_audio

    folder = root / "templates"
    return {
        fmt: make_audio(folder / f"t.{EXTENSIONS[fmt]}", fmt, duration_s=1.0) for fmt in FORMATS
    }


def _tag(path: Path, tags: dict[str, str]) -> None:
    """Write `tags` (mutagen "easy" keys) into `path`: all the bare loops do."""
    import mutagen

    audio = mutagen.File(path, easy=True)
    if audio.tags is None:
        audio.add_tags()
    for key, value in tags.items():
        audio[key] = value
    audio.save()


def _tags_for(i: int) -> dict[str, str]:
    return {
        "title": f"Song {i}",
        "artist": f"Artist {i % 250}",
        "albumartist": f"Artist {i % 250}",
        "album": f"Album {i % 500}",
        "tracknumber": str(i % 12 + 1),
        "date": str(1970 + i % 50),
    }


def _make_library(music: Path, templates: dict[str, Path], count: int) -> list[Path]:
    paths = []
    for i in range(count):
        fmt = FORMATS[i % len(FORMATS)]
        template = templates[fmt]
        target = music / f"Artist {i % 250}" / f"Album {i % 500}" / f"{i:05} Song{template.suffix}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template, target)
        _tag(target, _tags_for(i))
        paths.append(target)
    return paths


def _reset_library() -> None:
    from library.models import Album, Artist, AuditEvent, LibraryFile, ScanRun, Track

    for model in (AuditEvent, LibraryFile, Track, Album, Artist, ScanRun):
        model.objects.all().delete()


def _bare_open(paths: list[Path]) -> float:
    """The bare loop the scan is compared with: open each file with mutagen; seconds."""
    import mutagen

    start = time.perf_counter()
    for path in paths:
        mutagen.File(path)
    return time.perf_counter() - start


def _timed_scan(music: Path, count: int) -> float:
    from library.scanning import scan_library

    _reset_library()  # every run indexes the whole library, as the bare loop opens every file
    start = time.perf_counter()
    run = scan_library(music)
    elapsed = time.perf_counter() - start
    assert run.added == count, (run.added, run.unreadable)
    return elapsed


def bench_scan(
    root: Path, templates: dict[str, Path], count: int, repeat: int = 1
) -> dict[str, float]:
    from django.conf import settings

    from library.scanning import scan_library

    music = Path(settings.MUSIC_DIR)
    paths = _make_library(music, templates, count)
    bare_s = harmony_s = float("inf")
    for _ in range(repeat):  # alternate the two sides; keep each one's best run
        bare_s = min(bare_s, _bare_open(paths))
        harmony_s = min(harmony_s, _timed_scan(music, count))
    start = time.perf_counter()
    again = scan_library(music)
    incremental_s = time.perf_counter() - start
    assert again.skipped == count
    _reset_library()
    tracemalloc.start()
    scan_library(music)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    bare_rate, harmony_rate = count / bare_s, count / harmony_s
    return {
        "files": count,
        "bare_files_per_s": round(bare_rate, 1),
        "harmony_files_per_s": round(harmony_rate, 1),
        "ratio": round(harmony_rate / bare_rate, 3),
        "target": SCAN_TARGET,
        "incremental_files_per_s": round(count / incremental_s, 1),
        "peak_heap_mib": round(peak / 2**20, 1),
    }


def _meta_for(i: int):
    from providers.types import TrackMeta

    tags = _tags_for(i)
    return TrackMeta(
        title=tags["title"],
        artists=(tags["artist"],),
        album=tags["album"],
        album_artist=tags["albumartist"],
        release_date=tags["date"],
        release_date_precision="year",
        track_number=int(tags["tracknumber"]),
        track_total=12,
        disc_number=1,
        disc_total=1,
        duration_ms=1000,
        isrc=f"XX{i:010d}",
    )


def _ingest_tags(i: int, suffix: str) -> dict[str, str]:
    """The fields `ingest_file` writes for `_meta_for(i)`, as mutagen's easy keys for `suffix`."""
    meta = _meta_for(i)
    tags = {
        "title": meta.title,
        "artist": meta.artist,
        "albumartist": meta.album_artist,
        "album": meta.album,
        "date": meta.release_date,
        "isrc": meta.isrc,
    }
    if suffix == ".mp3":  # ID3 keeps number and total in one frame (TRCK "3/12", TPOS "1/1")
        tags["tracknumber"] = f"{meta.track_number}/{meta.track_total}"
        tags["discnumber"] = f"{meta.disc_number}/{meta.disc_total}"
    else:  # Vorbis comments: one field each
        tags["tracknumber"], tags["tracktotal"] = str(meta.track_number), str(meta.track_total)
        tags["discnumber"], tags["disctotal"] = str(meta.disc_number), str(meta.disc_total)
    return tags


def _copies(folder: Path, templates: dict[str, Path], count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        template = templates[FORMATS[i % 2]]  # flac and mp3: what downloads mostly are
        path = folder / f"{i:05} download{template.suffix}"
        shutil.copyfile(template, path)
        paths.append(path)
    return paths


def bare_tag_and_move(paths: list[Path], dst: Path) -> float:
    """The bare loop Harmony's ingest is compared with: mutagen tags + os.replace; seconds.

    Also the baseline of bench/pipeline_bench.py, so both ratios share one definition.
    """
    start = time.perf_counter()
    for i, path in enumerate(paths):
        tags = _ingest_tags(i, path.suffix)
        _tag(path, tags)
        folder = dst / tags["albumartist"] / tags["album"]
        folder.mkdir(parents=True, exist_ok=True)
        os.replace(path, folder / path.name)
    return time.perf_counter() - start


def _timed_ingest(sources: list[Path]) -> float:
    from django.conf import settings

    from library.services import ingest_file

    _reset_library()  # an empty library: every file is new, as in the bare loop
    shutil.rmtree(settings.MUSIC_DIR, ignore_errors=True)
    start = time.perf_counter()
    for i, path in enumerate(sources):
        source = {"username": "bench", "filename": path.name, "size": path.stat().st_size}
        result = ingest_file(path, meta=_meta_for(i), source=source, actor=f"job:{i}")
        assert result.status == "imported", result
    return time.perf_counter() - start


def bench_ingest(
    root: Path, templates: dict[str, Path], count: int, repeat: int = 1
) -> dict[str, float]:
    from django.conf import settings

    downloads = Path(settings.DOWNLOADS_DIR) / "complete"
    bare_s = harmony_s = float("inf")
    for _ in range(repeat):  # alternate the two sides; keep each one's best run
        shutil.rmtree(root / "bare-dst", ignore_errors=True)
        bare_sources = _copies(root / "bare-src", templates, count)
        bare_s = min(bare_s, bare_tag_and_move(bare_sources, root / "bare-dst"))
        harmony_s = min(harmony_s, _timed_ingest(_copies(downloads, templates, count)))
    return {
        "files": count,
        "bare_s": round(bare_s, 2),
        "harmony_s": round(harmony_s, 2),
        "ratio": round(harmony_s / bare_s, 3),
        "target": INGEST_TARGET,
        "harmony_ms_per_file": round(harmony_s / count * 1000, 2),
    }


def _machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"


def _verdict(met: bool, target: str) -> str:
    return f"{target} ({'met' if met else 'MISSED'})"


def _print_table(results: dict) -> None:
    scan, ingest = results["scan"], results["ingest"]
    rows = [
        ("scan files/s (bare mutagen open)", f"{scan['bare_files_per_s']:.0f}", ""),
        ("scan files/s (Harmony scan)", f"{scan['harmony_files_per_s']:.0f}", ""),
        (
            "scan ratio Harmony ÷ bare",
            f"{scan['ratio']:.2f}",
            _verdict(scan["ratio"] >= SCAN_TARGET, f">= {SCAN_TARGET}"),
        ),
        ("rescan files/s (unchanged, skipped)", f"{scan['incremental_files_per_s']:.0f}", ""),
        ("scan peak Python heap (MiB)", f"{scan['peak_heap_mib']:.1f}", "bounded"),
        ("ingest seconds (bare tag + os.replace)", f"{ingest['bare_s']:.2f}", ""),
        ("ingest seconds (Harmony ingest_file)", f"{ingest['harmony_s']:.2f}", ""),
        (
            "ingest ratio Harmony ÷ bare",
            f"{ingest['ratio']:.2f}",
            _verdict(ingest["ratio"] <= INGEST_TARGET, f"<= {INGEST_TARGET}"),
        ),
        ("process peak RSS (MiB)", f"{results['peak_rss_mib']:.0f}", ""),
    ]
    print(f"\nLibrary benchmark — {results['machine']} — {results['date']}")
    print(f"files in {results['filesystem']}, {results['database']}")
    print(f"{'measure':<42} {'value':>10}  target")
    for name, value, target in rows:
        print(f"{name:<42} {value:>10}  {target}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scan-files", type=int, default=5000)
    parser.add_argument("--ingest-files", type=int, default=1000)
    parser.add_argument(
        "--repeat", type=int, default=5, help="alternating runs per side; the best is kept"
    )
    parser.add_argument(
        "--dir",
        default="/dev/shm" if os.path.isdir("/dev/shm") else None,
        help="parent of the temporary directory (default: /dev/shm when present, so the ratios "
        "measure Harmony's code rather than the disk's fsync latency; pass a disk path to "
        "include it)",
    )
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="harmony-bench-", dir=args.dir))
    try:
        _setup_django(root)
        templates = _templates(root)
        results = {
            "benchmark": "library",
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": _machine(),
            "filesystem": str(root.parent),
            "database": "SQLite (WAL, synchronous=FULL)",
            "repeat": args.repeat,
            "scan": bench_scan(root, templates, args.scan_files, args.repeat),
            "ingest": bench_ingest(root, templates, args.ingest_files, args.repeat),
        }
        results["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    _print_table(results)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten to {RESULTS.relative_to(REPO)}")
    # Missing a target is reported, not an error: `make bench` runs every benchmark regardless.
    return 0


if __name__ == "__main__":
    sys.exit(main())
