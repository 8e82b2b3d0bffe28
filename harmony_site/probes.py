"""Readiness probes and status sections: small registries the other apps add to.

A probe is a zero-argument function returning `ProbeResult`; register it from your app's
`AppConfig.ready()` by importing the module that holds it:

    @register_probe("slskd")
    def probe_slskd() -> ProbeResult:
        if not configured():
            return ProbeResult("disabled", "SLSKD_URL is empty")
        ...

Probes run one after another in the calling thread (so they see the caller's database
transaction) and must bound their own time with short timeouts. A probe that raises is
reported as `fail` with the exception text; `disabled` never fails readiness.

`core=True` marks the probes `harmony_serve` waits for before it starts the task cluster:
the database, the migrations and the two data directories. Integrations are never core, so
an slskd outage at start-up does not hold the cluster back (the HDM backs off on its own).

A status section is a zero-argument function returning a JSON-able dict, shown under its
name in `GET /api/v1/status`. Registering a name again replaces the earlier function.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

from harmony_site.disk import disk_shortage, disk_space

Status = Literal["ok", "fail", "disabled"]
ProbeFn = Callable[[], "ProbeResult"]
StatusFn = Callable[[], dict[str, Any]]


@dataclass(frozen=True)
class ProbeResult:
    status: Status
    detail: str = ""


@dataclass(frozen=True)
class ProbeReport:
    """One probe's outcome as the health endpoints and `harmony_check` show it."""

    name: str
    status: Status
    detail: str
    latency_ms: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Probe:
    fn: ProbeFn
    core: bool


_PROBES: dict[str, _Probe] = {}
_STATUS: dict[str, StatusFn] = {}


def register_probe(name: str, *, core: bool = False) -> Callable[[ProbeFn], ProbeFn]:
    """Decorator: add `fn` to the readiness probes under `name`."""

    def decorate(fn: ProbeFn) -> ProbeFn:
        _PROBES[name] = _Probe(fn=fn, core=core)
        return fn

    return decorate


def register_status(name: str) -> Callable[[StatusFn], StatusFn]:
    """Decorator: add `fn` as the section `name` of `GET /api/v1/status`."""

    def decorate(fn: StatusFn) -> StatusFn:
        _STATUS[name] = fn
        return fn

    return decorate


def probe_names(*, core_only: bool = False) -> list[str]:
    return [name for name, probe in _PROBES.items() if probe.core or not core_only]


def run_probe(name: str) -> ProbeReport:
    """Run one probe, timing it; an exception becomes `fail` with its text (no traceback)."""
    started = time.perf_counter()
    try:
        result = _PROBES[name].fn()
        if not isinstance(result, ProbeResult) or result.status not in ("ok", "fail", "disabled"):
            result = ProbeResult("fail", f"probe returned {result!r}, not a ProbeResult")
    except Exception as exc:  # a broken probe must not break the health endpoint
        result = ProbeResult("fail", f"{type(exc).__name__}: {exc}")
    latency_ms = round((time.perf_counter() - started) * 1000, 1)
    return ProbeReport(name=name, status=result.status, detail=result.detail, latency_ms=latency_ms)


def run_probes(*, core_only: bool = False) -> list[ProbeReport]:
    """Run every registered probe (or only the core ones) in registration order."""
    return [run_probe(name) for name in probe_names(core_only=core_only)]


def failing(reports: list[ProbeReport]) -> list[ProbeReport]:
    return [report for report in reports if report.status == "fail"]


def collect_status() -> dict[str, Any]:
    """Every registered status section; a section that raises shows its error instead."""
    sections: dict[str, Any] = {}
    for name, fn in _STATUS.items():
        try:
            sections[name] = fn()
        except Exception as exc:  # one broken section must not hide the others
            sections[name] = {"error": f"{type(exc).__name__}: {exc}"}
    return sections


# --- built-in probes ------------------------------------------------------------------------


@register_probe("database", core=True)
def probe_database() -> ProbeResult:
    connection = connections[DEFAULT_DB_ALIAS]
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return ProbeResult("ok", connection.vendor)


@register_probe("migrations", core=True)
def probe_migrations() -> ProbeResult:
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _backwards in plan[:5])
        more = f" (+{len(plan) - 5} more)" if len(plan) > 5 else ""
        return ProbeResult("fail", f"{len(plan)} unapplied: {names}{more}; run manage.py migrate")
    return ProbeResult("ok", "all applied")


def check_writable_dir(path: Path) -> ProbeResult:
    """`ok` when `path` is a directory this process can create files in (tried for real)."""
    if not path.is_dir():
        return ProbeResult("fail", f"{path} does not exist or is not a directory")
    try:
        with tempfile.TemporaryFile(dir=path, prefix=".harmony-probe-"):
            pass
    except OSError as exc:
        return ProbeResult("fail", f"{path} is not writable ({exc.strerror}; uid {os.getuid()})")
    return ProbeResult("ok", str(path))


@register_probe("downloads_dir", core=True)
def probe_downloads_dir() -> ProbeResult:
    return check_writable_dir(Path(settings.DOWNLOADS_DIR))


@register_probe("music_dir", core=True)
def probe_music_dir() -> ProbeResult:
    return check_writable_dir(Path(settings.MUSIC_DIR))


@register_probe("disk")
def probe_disk() -> ProbeResult:
    """Fails below DISK_MIN_FREE_MB (not core: a full disk must not keep Harmony from
    starting and saying so)."""
    shortage = disk_shortage()
    if shortage is not None:
        return ProbeResult("fail", shortage)
    return ProbeResult("ok", "; ".join(f"{s.knob} {s.free_text}" for s in disk_space()))


@register_status("auth")
def status_auth() -> dict[str, Any]:
    # Placeholder the accounts app replaces with `register_status("auth")` (open vs keys).
    return {"mode": "open"}
