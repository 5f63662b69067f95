"""The few parts of sqlite-utils the journal uses, on a plain ``sqlite3`` connection.

Importing sqlite-utils (with click, dateutil and pluggy behind it) costs about 40 ms of every
command's start-up, the TUI's and ``deploytui run``'s included, while the journal only needs
``execute``, ``atomic`` and its ``Migrations``. ``Database`` offers the first two with
sqlite-utils' semantics; ``LazyMigrations`` keeps sqlite-utils' migration records (the
``_sqlite_migrations`` table, so existing journals upgrade exactly as before) and imports
sqlite-utils only when a migration is actually pending.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

MIGRATIONS_TABLE = "_sqlite_migrations"  # sqlite-utils' name for its records


class Database:
    """A connection with sqlite-utils' ``execute`` and ``atomic`` behaviour."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> sqlite3.Cursor:
        """Run one statement; a write outside a transaction is committed at once."""
        was_in_transaction = self.conn.in_transaction
        cursor = (
            self.conn.execute(sql, parameters)
            if parameters is not None
            else (self.conn.execute(sql))
        )
        if not was_in_transaction and self.conn.in_transaction:
            self.conn.commit()
        return cursor

    def executescript(self, sql: str) -> sqlite3.Cursor:
        return self.conn.executescript(sql)

    @contextmanager
    def atomic(self) -> Iterator[Database]:
        """A transaction (a savepoint when one is already open): all or nothing."""
        if self.conn.in_transaction:
            savepoint = f"deploytui_{secrets.token_hex(8)}"
            self.conn.execute(f"SAVEPOINT {savepoint}")
            try:
                yield self
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute(f"ROLLBACK TO SAVEPOINT {savepoint}")
                    self.conn.execute(f"RELEASE SAVEPOINT {savepoint}")
                raise
            else:
                self.conn.execute(f"RELEASE SAVEPOINT {savepoint}")
            return
        self.conn.execute("BEGIN")
        try:
            yield self
        except BaseException:
            self.conn.rollback()
            raise
        else:
            try:
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.rollback()
                raise

    def close(self) -> None:
        self.conn.close()


Migration = Callable[[Any], None]


class LazyMigrations:
    """Registers migrations like sqlite-utils' ``Migrations`` (``@migrations()``) and applies
    them with it, but first checks with one query whether anything is pending."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._registered: list[tuple[str, Migration, bool]] = []

    def __call__(
        self, *, name: str | None = None, transactional: bool = True
    ) -> Callable[[Migration], Migration]:
        def register(function: Migration) -> Migration:
            self._registered.append((name or function.__name__, function, transactional))
            return function

        return register

    def pending(self, conn: sqlite3.Connection) -> list[str]:
        try:
            rows = conn.execute(
                f"SELECT name FROM {MIGRATIONS_TABLE} WHERE migration_set = ?", (self.name,)
            ).fetchall()
        except sqlite3.OperationalError:  # a new file: no records table yet
            rows = []
        applied = {row[0] for row in rows}
        return [name for name, _, _ in self._registered if name not in applied]

    def apply(self, db: Database | sqlite3.Connection) -> None:
        conn = db.conn if isinstance(db, Database) else db
        if not self.pending(conn):
            return
        from sqlite_utils import Database as UtilsDatabase
        from sqlite_utils.migrations import Migrations

        migrations = Migrations(self.name)
        for name, function, transactional in self._registered:
            migrations(name=name, transactional=transactional)(function)
        migrations.apply(UtilsDatabase(conn))
