"""`manage.py harmony_backup DEST`: an online backup of harmony.db plus the configuration."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from harmony_site.backup import BackupError, create_backup, sqlite_path


class Command(BaseCommand):
    help = (
        "Copy the SQLite database (online, consistent), harmony.yml and the key files into a "
        "new timestamped directory under DEST. PostgreSQL: use pg_dump (see docs/upgrading.md)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("dest", type=Path, help="Directory the backup directory is made in.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            database = sqlite_path(connection.settings_dict)
            result = create_backup(
                options["dest"], database=database, config_dir=Path(settings.CONFIG_DIR)
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Backup written to {result.directory}: {', '.join(result.files)}")
        if result.keys:
            self.stdout.write(
                f"WARNING: {', '.join(result.keys)} decrypt the secrets Harmony stored and sign "
                "sessions: keep this backup as private as a password store (files are mode "
                "0600)."
            )
        else:
            self.stdout.write("WARNING: no key files found; stored secrets cannot be restored.")
