"""`manage.py harmony_check`: run the readiness probes, print them as a table, then warnings.

The warnings (an open API, any host, any origin) are those of `manage.py check --deploy`;
they never change the exit code, which answers "is Harmony ready?".
"""

import contextlib
import logging
import sys
from collections.abc import Iterator
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accounts.exposure import exposure_warnings
from harmony_site import probes


class Command(BaseCommand):
    help = "Run Harmony's readiness probes, print a table, exit 1 when any probe fails."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--core", action="store_true", help="Only the core probes (database, dirs)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with _logs_to_stderr():
            reports = probes.run_probes(core_only=options["core"])
        self.stdout.write(format_table(reports))
        for ident, message, hint in exposure_warnings():
            self.stderr.write(f"WARNING {ident}: {message} {hint}")
        failed = probes.failing(reports)
        if failed:
            raise CommandError("failing probes: " + ", ".join(r.name for r in failed))


@contextlib.contextmanager
def _logs_to_stderr() -> Iterator[None]:
    """The probes log (a provider's failed call, say) as JSON lines on stdout, where the table
    goes: send them to stderr while the probes run."""
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    handlers = {
        handler
        for logger in loggers
        for handler in getattr(logger, "handlers", ())
        if isinstance(handler, logging.StreamHandler) and handler.stream is sys.stdout
    }
    for handler in handlers:
        handler.setStream(sys.stderr)
    try:
        yield
    finally:
        for handler in handlers:
            handler.setStream(sys.stdout)


def format_table(reports: list[probes.ProbeReport]) -> str:
    rows = [("PROBE", "STATUS", "LATENCY", "DETAIL")]
    rows += [(r.name, r.status, f"{r.latency_ms:.1f} ms", r.detail) for r in reports]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True))
        + "  "
        + row[3]
        for row in rows
    ]
    return "\n".join(line.rstrip() for line in lines)
