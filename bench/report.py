"""`make bench` (last step): every benchmark's result in one table, and docs/benchmarks.md.

    .venv/bin/python bench/report.py

Reads `bench/results/*.json` (each written by a `bench/*_bench.py`), prints one table of
measure, value, target and verdict, and rewrites docs/benchmarks.md with the machine, the
date and the same table plus what each benchmark measures (its script's docstring). A result
shape this report does not know is still listed, as its numeric fields without targets.
"""

from __future__ import annotations

import ast
import json
import os
import platform
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
DOC = REPO / "docs" / "benchmarks.md"


@dataclass(frozen=True)
class Row:
    benchmark: str
    measure: str
    value: str
    target: str = ""
    met: bool | None = None  # None: no target

    @property
    def verdict(self) -> str:
        return {True: "met", False: "MISSED", None: ""}[self.met]


def _num(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 10 else f"{value:,.1f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def rows_library(data: dict[str, Any]) -> Iterator[Row]:
    scan, ingest = data.get("scan", {}), data.get("ingest", {})
    if scan:
        yield Row(
            "library",
            f"scan: {scan['files']} files, Harmony files/s",
            _num(scan["harmony_files_per_s"]),
        )
        yield Row("library", "scan: Harmony ÷ bare files/s", _num(scan["ratio"]),
                  f">= {scan['target']}", scan["ratio"] >= scan["target"])  # fmt: skip
        yield Row("library", "scan: incremental files/s", _num(scan["incremental_files_per_s"]))
    if ingest:
        yield Row(
            "library",
            f"ingest: {ingest['files']} files, ms per file",
            _num(ingest["harmony_ms_per_file"]),
        )
        yield Row("library", "ingest: Harmony ÷ bare time", _num(ingest["ratio"]),
                  f"<= {ingest['target']}", ingest["ratio"] <= ingest["target"])  # fmt: skip
    if "peak_rss_mib" in data:
        yield Row("library", "peak RSS (MiB)", _num(data["peak_rss_mib"]))


def rows_verify(data: dict[str, Any]) -> Iterator[Row]:
    for label, cost in data.get("per_minute_of_audio", {}).items():
        yield Row(
            "verify", f"{label}: CPU s per minute of audio", _num(cost["cpu_s_per_audio_min"])
        )
        yield Row("verify", f"{label}: wall s per minute of audio",
                  _num(cost["wall_s_per_audio_min"]))  # fmt: skip


def rows_pipeline(data: dict[str, Any]) -> Iterator[Row]:
    run = data.get("run", {})
    label = f"{run.get('tracks', '?')} tracks, {data.get('mode', '')}"
    yield Row("pipeline", f"throughput ({label}), tracks/s", _num(data["tracks_per_s"]))
    yield Row("pipeline", "done / failed", f"{run.get('done', '?')} / {run.get('failed', '?')}")
    yield Row("pipeline", "per-track overhead ÷ bare tag+move", _num(data["overhead_ratio"]),
              f"<= {data['target']}", data["overhead_ratio"] <= data["target"])  # fmt: skip
    yield Row("pipeline", "SQL queries per job", _num(data["queries_per_job"]))


def rows_import(data: dict[str, Any]) -> Iterator[Row]:
    files, target = data["files"], data["speedup_target"]
    harmony, beets, startup = data["harmony"], data.get("beets"), data["startup"]
    yield Row("import", f"Harmony harmony_import, {files} files: wall s / CPU s",
              f"{_num(harmony['wall_s'])} / {_num(harmony['cpu_s'])}")  # fmt: skip
    if beets:
        yield Row("import", f"beet import -A, {files} files: wall s / CPU s",
                  f"{_num(beets['wall_s'])} / {_num(beets['cpu_s'])}")  # fmt: skip
        for clock in ("wall", "cpu"):
            speedup = data[f"speedup_{clock}"]
            yield Row("import", f"beets ÷ Harmony ({clock} time)", _num(speedup),
                      f">= {target:g}", speedup >= target)  # fmt: skip
    else:
        yield Row("import", "beets ÷ Harmony", "skipped (no .venv-bench)")
    limit = data["startup_target_s"]
    yield Row("import", "manage.py harmony_import start-up, CPU s", _num(startup["cpu_s"]),
              f"<= {limit:g}", startup["cpu_s"] <= limit)  # fmt: skip
    yield Row("import", "manage.py harmony_import start-up, wall s", _num(startup["wall_s"]))


def rows_api(data: dict[str, Any]) -> Iterator[Row]:
    target = data.get("targets", {}).get("p99_ms", 100.0)
    for endpoint, result in data.get("results", {}).items():
        yield Row("api", f"{endpoint}: requests/s", _num(result["requests_per_s"]))
        yield Row("api", f"{endpoint}: p99 ms", _num(result["p99_ms"]), f"< {target:g}",
                  result["p99_ms"] < target)  # fmt: skip
        yield Row("api", f"{endpoint}: errors", _num(result["errors"]), "0", result["errors"] == 0)
        for key, label in API_EXTRAS.items():
            if key in result:
                yield Row("api", f"{endpoint}: {label}", _num(result[key]))


# Optional figures newer api_bench runs add (absent in older result files).
API_EXTRAS = {
    "single_client_p50_ms": "p50 ms, one client",
    "server_cpu_ms_per_request": "server CPU ms per request",
}


def rows_generic(name: str, data: Any, prefix: str = "") -> Iterator[Row]:
    """Numeric leaves of an unknown result shape, as plain measures."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from rows_generic(name, value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(data, int | float) and not isinstance(data, bool):
        yield Row(name, prefix, _num(data))


def rows_slow_clients(data: dict[str, Any]) -> Iterator[Row]:
    target = data["target_max_s"]
    labels = (("baseline", "no"), ("with_slow_clients", str(data["slow_clients"])))
    for phase, count in labels:
        row = data[phase]
        slowest = row["max_s"]
        measure = f"health probe with {count} slow-header clients, slowest ms"
        value = _num(slowest * 1000) if slowest is not None else "-"
        if phase == "baseline":
            yield Row("slow_clients", measure, value)
            continue
        met = row["failed"] == 0 and slowest is not None and slowest < target
        yield Row("slow_clients", measure, value, f"< {target * 1000:.0f}, 0 failed", met)


READERS: dict[str, Callable[[dict[str, Any]], Iterator[Row]]] = {
    "library": rows_library,
    "pipeline": rows_pipeline,
    "api": rows_api,
    "slow_clients": rows_slow_clients,
    "verify": rows_verify,
    "import": rows_import,
}


def read_rows(path: Path) -> tuple[list[Row], str]:
    """Rows of one result file and its date ('' when the file says none)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    name = str(data.get("benchmark", path.stem))
    reader = READERS.get(name)
    try:
        rows = list(reader(data)) if reader else list(rows_generic(name, data))
    except (KeyError, TypeError, ValueError) as exc:  # a changed shape must not hide the rest
        rows = [Row(name, f"unreadable result ({type(exc).__name__}: {exc})", "")]
    return rows, str(data.get("date") or data.get("when") or "")


def machine() -> str:
    memory = ""
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        memory = f", {pages * size / 2**30:.1f} GiB RAM"
    except (ValueError, OSError):
        pass
    return (
        f"{platform.machine()}, {os.cpu_count()} CPUs{memory}, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def table(rows: list[Row]) -> list[str]:
    lines = ["| benchmark | measure | value | target | verdict |", "|---|---|---:|---|---|"]
    lines += [
        f"| {r.benchmark} | {r.measure} | {r.value} | {r.target} | {r.verdict} |" for r in rows
    ]
    return lines


def purpose(name: str) -> str:
    """`bench/<name>_bench.py`'s docstring: what it measures and how to run it alone."""
    script = REPO / "bench" / f"{name}_bench.py"
    if not script.exists():
        return ""
    return (ast.get_docstring(ast.parse(script.read_text(encoding="utf-8"))) or "").strip()


def render_doc(results: dict[str, tuple[list[Row], str]], now: datetime) -> str:
    rows = [row for name in sorted(results) for row in results[name][0]]
    missed = sum(1 for row in rows if row.met is False)
    lines = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (`bench/report.py`); do not edit by hand. Each",
        "`bench/*_bench.py` writes `bench/results/<name>.json`; this page collects them.",
        "",
        f"- Machine: {machine()}",
        f"- Report written: {now.strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Targets missed: {missed} of {sum(1 for row in rows if row.met is not None)}",
        "",
        "Ratios compare Harmony with the bare operation it wraps on the same machine (a plain",
        "mutagen tag + `os.replace` loop, a bare directory walk), so they travel between",
        "machines better than absolute figures. The machine above is shared by several",
        "developers: absolute figures vary between runs, so every ratio is taken within one",
        "run (both sides on the same files, alternately) and the import comparison is given",
        "in CPU time too, which another process's load barely moves.",
        "",
        "Reproduce: `make bench` on a fresh clone (it makes `.venv` and, for beets only,",
        "`.venv-bench` from `requirements-bench.txt`), or one `bench/*_bench.py` alone (its",
        "options are below) followed by `.venv/bin/python bench/report.py`.",
        "",
        *table(rows),
        "",
        "## What each benchmark measures",
        "",
    ]
    for name in sorted(results):
        when = results[name][1]
        lines += [
            f"### {name}",
            "",
            f"Run: {when or 'unknown'}. Script: `bench/{name}_bench.py`.",
            "",
        ]
        text = purpose(name)
        if text:
            lines += [text, ""]
    return "\n".join(lines).rstrip() + "\n"


def main() -> int:
    files = sorted(RESULTS.glob("*.json"))
    if not files:
        print("bench/report.py: no results in bench/results (run the bench/*_bench.py first)")
        return 1
    results = {path.stem: read_rows(path) for path in files}
    rows = [row for name in sorted(results) for row in results[name][0]]
    widths = [max(len(getattr(r, f)) for r in rows) for f in ("benchmark", "measure", "value")]
    print(f"\n{'benchmark':<{widths[0]}}  {'measure':<{widths[1]}}  {'value':>{widths[2]}}  target")
    for r in rows:
        target = f"{r.target} ({r.verdict})" if r.target else ""
        cells = f"{r.benchmark:<{widths[0]}}  {r.measure:<{widths[1]}}  {r.value:>{widths[2]}}"
        print(f"{cells}  {target}")
    DOC.write_text(render_doc(results, datetime.now(UTC)), encoding="utf-8")
    print(f"\nwritten to {DOC.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
