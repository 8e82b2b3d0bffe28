"""`python manage.py harmony_import`: import the audio files waiting in IMPORT_DIR now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from library.importing import import_dir, import_pending


class Command(BaseCommand):
    help = "Identify files in the import folder from their tags and file them into MUSIC_DIR."
    # Cron and the import watcher run this often: the system checks (which import the URL map,
    # the API and the admin) belong to `migrate` and `harmony_serve`, not to every import.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--settle", type=float, default=0.0, help="skip files modified in the last N seconds"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        summary = import_pending(actor="system", settle_seconds=options["settle"])
        for path, result in summary.results:
            where = result.library_file.path if result.library_file else ""
            reason = (
                f" ({result.reason}: {result.detail})" if result.status == "quarantined" else ""
            )
            self.stdout.write(f"{result.status:<11} {path} {where}{reason}")
        counts = ", ".join(f"{n} {status}" for status, n in sorted(summary.counts.items()))
        self.stdout.write(f"{import_dir()}: {counts or 'nothing to import'}")
        if summary.stopped:
            self.stderr.write(f"stopped: {summary.stopped}")
