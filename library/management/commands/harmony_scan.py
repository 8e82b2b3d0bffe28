"""`python manage.py harmony_scan [PATH]`: index an existing music folder (default MUSIC_DIR)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from library.scanning import ScanError, scan_library, start_scan


class Command(BaseCommand):
    help = "Index audio files under MUSIC_DIR (or PATH inside it); unchanged files are skipped."
    requires_system_checks: list[str] = []  # as harmony_import: run often, checked by migrate

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", help="folder inside MUSIC_DIR (default: all)")
        parser.add_argument(
            "--no-progress", action="store_true", help="no progress bar, even on a terminal"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"]) if options["path"] else None
        try:
            run = start_scan(path, actor="system")
        except ScanError as exc:
            raise CommandError(str(exc)) from None
        show = sys.stderr.isatty() and not options["no_progress"]
        with tqdm(unit="file", disable=not show) as bar:

            def report(handled: int, total: int) -> None:
                bar.total = total
                bar.update(handled)

            run = scan_library(run=run, progress=report)
        self.stdout.write(
            f"scan {run.pk} {run.state}: {run.seen} seen, {run.added} added, "
            f"{run.updated} updated, {run.skipped} unchanged, {run.unreadable} unreadable, "
            f"{run.missing} missing"
        )
        if run.unreadable:
            self.stdout.write("unreadable files:")
            for item in run.unreadable_files.all()[:50]:
                self.stdout.write(f"  {item.path}: {item.reason} ({item.detail})")
