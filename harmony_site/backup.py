"""Online backups of an SQLite installation (`manage.py harmony_backup DEST`; docs/upgrading.md).

A backup is one timestamped directory holding:
- `harmony.db`: a consistent copy taken with SQLite's online backup API while Harmony runs
  (one step, so the copy is a single snapshot even while other processes write), checked with
  `PRAGMA integrity_check` and switched to a self-contained rollback journal;
- `harmony.yml` and the key files `secret_key` and `fernet.key`: without `fernet.key` the
  secrets Harmony stored (Spotify tokens in the database, `enc:` values in harmony.yml) cannot
  be decrypted, and without `secret_key` every session and signed link is invalid. They are as
  sensitive as passwords: mode 0600;
- `manifest.json`: Harmony's version, the time, and each file's size and SHA-256.

PostgreSQL installations back up with `pg_dump`; this module refuses them with that advice.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harmony_site.config import SECRET_KEY_FILE, YML_NAME
from harmony_site.version import __version__

DB_NAME = "harmony.db"
KEY_FILES = (SECRET_KEY_FILE, "fernet.key")
MANIFEST = "manifest.json"
PG_DUMP_ADVICE = (
    "harmony_backup copies SQLite databases only; this installation uses {vendor} "
    "(DATABASE_URL). Back the database up with pg_dump, e.g. "
    '`pg_dump --format=custom --file harmony.dump "$DATABASE_URL"`, and copy CONFIG_DIR '
    "(harmony.yml, secret_key, fernet.key) beside it. See docs/upgrading.md."
)


class BackupError(Exception):
    """The backup cannot be taken; the message says why and what to do instead."""


@dataclass(frozen=True)
class BackupResult:
    directory: Path
    files: tuple[str, ...]  # names written, harmony.db first
    keys: tuple[str, ...]  # key files among them (sensitive)


def sqlite_path(settings_dict: Mapping[str, Any]) -> Path:
    """The database file of a Django database setting, or BackupError for other vendors."""
    engine = str(settings_dict.get("ENGINE", ""))
    if not engine.endswith("sqlite3"):
        vendor = "PostgreSQL" if "postgres" in engine else engine.rsplit(".", 1)[-1]
        raise BackupError(PG_DUMP_ADVICE.format(vendor=vendor))
    name = str(settings_dict.get("NAME", ""))
    if not name or name == ":memory:" or name.startswith("file:"):
        raise BackupError(f"the SQLite database {name!r} is not a file that can be backed up")
    return Path(name)


def copy_database(source: Path, target: Path) -> None:
    """Copy `source` into the new file `target` as one consistent snapshot and verify it."""
    if not source.is_file():
        raise BackupError(f"database {source} does not exist")
    # The busy timeout rides out a writer's checkpoint; the backup itself only reads.
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # pages=-1: the whole database in one step, one read snapshot
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        verdict = dst.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.Error as exc:
        raise BackupError(f"copying {source} failed: {exc}") from None
    finally:
        dst.close()
        src.close()
    if verdict != "ok":
        raise BackupError(f"the copy of {source} failed its integrity check: {verdict}")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _private_copy(source: Path, target: Path) -> None:
    shutil.copyfile(source, target)
    os.chmod(target, 0o600)


def _write_manifest(directory: Path, names: list[str], created: datetime) -> None:
    files = {
        name: {"size": (directory / name).stat().st_size, "sha256": _sha256(directory / name)}
        for name in names
    }
    manifest = {"harmony_version": __version__, "created_at": created.isoformat(), "files": files}
    path = directory / MANIFEST
    path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    os.chmod(path, 0o600)


def create_backup(dest: Path, *, database: Path, config_dir: Path) -> BackupResult:
    """Write `dest/harmony-backup-<UTC time>/` (mode 0700) and return what it holds."""
    created = datetime.now(UTC)
    directory = Path(dest) / f"harmony-backup-{created.strftime('%Y%m%dT%H%M%S.%fZ')}"
    try:
        directory.mkdir(parents=True, mode=0o700)
    except OSError as exc:
        raise BackupError(f"cannot create {directory}: {exc.strerror}") from None
    copy_database(database, directory / DB_NAME)
    os.chmod(directory / DB_NAME, 0o600)
    names = [DB_NAME]
    for name in (YML_NAME, *KEY_FILES):
        if (config_dir / name).is_file():
            _private_copy(config_dir / name, directory / name)
            names.append(name)
    _write_manifest(directory, names, created)
    keys = tuple(name for name in names if name in KEY_FILES)
    return BackupResult(directory=directory, files=tuple(names), keys=keys)
