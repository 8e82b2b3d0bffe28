"""`manage.py harmony_backup`: a consistent online copy of harmony.db plus the configuration."""

from __future__ import annotations

import json
import sqlite3
import stat
import threading
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from harmony_site.backup import BackupError, copy_database, create_backup, sqlite_path


def _live_database(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, total INTEGER)")
    db.execute("CREATE TABLE lines (order_id INTEGER, amount INTEGER)")
    return db


def _write_until(db: sqlite3.Connection, stop: threading.Event, committed: threading.Event):
    """Each transaction adds one order and two lines that sum to its total."""
    n = 0
    while not stop.is_set():
        n += 1
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO orders (id, total) VALUES (?, ?)", (n, 3 * n))
        db.execute("INSERT INTO lines VALUES (?, ?)", (n, n))
        db.execute("INSERT INTO lines VALUES (?, ?)", (n, 2 * n))
        db.execute("COMMIT")
        if n == 200:
            committed.set()


def test_a_backup_taken_while_another_connection_writes_is_consistent(tmp_path):
    source = tmp_path / "harmony.db"
    writer = _live_database(source)
    stop, committed = threading.Event(), threading.Event()
    thread = threading.Thread(target=_write_until, args=(writer, stop, committed))
    thread.start()
    try:
        assert committed.wait(30)
        copy_database(source, tmp_path / "copy.db")
    finally:
        stop.set()
        thread.join()
        writer.close()
    copy = sqlite3.connect(tmp_path / "copy.db")
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    orders = copy.execute("SELECT count(*), coalesce(sum(total), 0) FROM orders").fetchone()
    lines = copy.execute("SELECT count(DISTINCT order_id), sum(amount) FROM lines").fetchone()
    assert orders[0] >= 200
    assert orders == lines  # no transaction copied in part


def test_create_backup_holds_database_config_and_private_keys(tmp_path):
    config = tmp_path / "config"
    config.mkdir()
    _live_database(config / "harmony.db").close()
    (config / "harmony.yml").write_text("LOG_LEVEL: INFO\n")
    (config / "secret_key").write_text("s3cret")
    (config / "fernet.key").write_text("f3rnet")
    result = create_backup(tmp_path / "backups", database=config / "harmony.db", config_dir=config)
    assert result.directory.parent == tmp_path / "backups"
    assert result.files == ("harmony.db", "harmony.yml", "secret_key", "fernet.key")
    assert result.keys == ("secret_key", "fernet.key")
    assert stat.S_IMODE(result.directory.stat().st_mode) == 0o700
    for name in (*result.files, "manifest.json"):
        assert stat.S_IMODE((result.directory / name).stat().st_mode) == 0o600
    manifest = json.loads((result.directory / "manifest.json").read_text())
    assert set(manifest["files"]) == set(result.files)
    assert (result.directory / "fernet.key").read_text() == "f3rnet"


def test_postgresql_is_refused_with_pg_dump_advice():
    with pytest.raises(BackupError, match="pg_dump"):
        sqlite_path({"ENGINE": "django.db.backends.postgresql", "NAME": "harmony"})


def test_a_missing_database_is_a_clear_error(tmp_path):
    with pytest.raises(BackupError, match="does not exist"):
        copy_database(tmp_path / "nope.db", tmp_path / "copy.db")


@pytest.mark.django_db(transaction=True)
def test_the_command_backs_up_the_live_database(tmp_path, capsys):
    from django.db import connection

    if connection.vendor != "sqlite":
        with pytest.raises(CommandError, match="pg_dump"):
            call_command("harmony_backup", str(tmp_path))
        return
    call_command("harmony_backup", str(tmp_path))
    out = capsys.readouterr().out
    assert "Backup written to" in out
    (directory,) = tmp_path.glob("harmony-backup-*")
    copy = sqlite3.connect(directory / "harmony.db")
    tables = {row[0] for row in copy.execute("SELECT name FROM sqlite_master")}
    assert "django_migrations" in tables
