"""The journal's own small stand-in for sqlite-utils (``journal/connection.py``): the same
transaction behaviour, the same migration records, and sqlite-utils imported only when a
migration is pending (it costs every command about 40 ms of start-up otherwise)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from deploytui.journal.connection import Database, LazyMigrations
from deploytui.journal.store import Journal


def test_a_new_journal_records_every_migration_like_sqlite_utils(tmp_path: Path) -> None:
    path = tmp_path / "journal.db"
    Journal(path).close()
    with sqlite3.connect(path) as conn:
        names = [row[0] for row in conn.execute("SELECT name FROM _sqlite_migrations")]
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert names[:2] == ["m001_initial", "m002_held_until"]
    assert {"runs", "events", "captured_values", "signoffs", "locks"} <= tables


def test_an_up_to_date_journal_opens_without_importing_sqlite_utils(tmp_path: Path) -> None:
    path = tmp_path / "journal.db"
    Journal(path).close()
    probe = (
        "import sys\n"
        "from deploytui.journal.store import Journal\n"
        f"Journal({str(path)!r}).close()\n"
        "print('sqlite_utils' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_a_pending_migration_is_applied_once(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "x.db")
    migrations = LazyMigrations("test-set")
    calls: list[str] = []

    @migrations()
    def m001_table(db) -> None:  # type: ignore[no-untyped-def]
        calls.append("m001")
        db.execute("CREATE TABLE things (id INTEGER PRIMARY KEY)")

    assert migrations.pending(conn) == ["m001_table"]
    migrations.apply(Database(conn))
    migrations.apply(conn)
    assert calls == ["m001"]
    assert migrations.pending(conn) == []

    @migrations()
    def m002_column(db) -> None:  # type: ignore[no-untyped-def]
        db.execute("ALTER TABLE things ADD COLUMN name TEXT")

    migrations.apply(conn)
    assert [row[1] for row in conn.execute("PRAGMA table_info(things)")] == ["id", "name"]


def test_writes_outside_a_transaction_are_committed_at_once(tmp_path: Path) -> None:
    db = Database(sqlite3.connect(tmp_path / "x.db"))
    db.execute("CREATE TABLE t (v INTEGER)")
    db.execute("INSERT INTO t VALUES (?)", (1,))
    assert not db.conn.in_transaction
    other = sqlite3.connect(tmp_path / "x.db")
    assert other.execute("SELECT v FROM t").fetchall() == [(1,)]


def test_atomic_is_all_or_nothing_and_nests_as_a_savepoint(tmp_path: Path) -> None:
    db = Database(sqlite3.connect(tmp_path / "x.db"))
    db.execute("CREATE TABLE t (v INTEGER)")
    with pytest.raises(RuntimeError), db.atomic():
        db.execute("INSERT INTO t VALUES (1)")
        raise RuntimeError("boom")
    assert db.execute("SELECT COUNT(*) FROM t").fetchone() == (0,)
    with db.atomic():
        db.execute("INSERT INTO t VALUES (2)")
        with pytest.raises(RuntimeError), db.atomic():
            db.execute("INSERT INTO t VALUES (3)")
            raise RuntimeError("inner")
        db.execute("INSERT INTO t VALUES (4)")
    assert not db.conn.in_transaction
    assert [row[0] for row in db.execute("SELECT v FROM t ORDER BY v")] == [2, 4]
