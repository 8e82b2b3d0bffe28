"""The database connection is tuned for several writing processes."""

import pytest
from django.db import connection


@pytest.mark.django_db
def test_sqlite_connection_uses_wal_full_sync_and_immediate_transactions():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite tuning applies to the SQLite backend only")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 2  # FULL
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 1000
    assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
