"""The journal's schema, applied through sqlite-utils ``Migrations`` so old files upgrade.

Add a new migration function for every change; never edit one that has shipped. sqlite-utils is
imported only when a migration is pending (``journal/connection.py`` says why).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from deploytui.journal.connection import LazyMigrations

if TYPE_CHECKING:
    from sqlite_utils import Database

migrations = LazyMigrations("deploytui")


@migrations()
def m001_initial(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE runs (
            id TEXT PRIMARY KEY,
            playbook_name TEXT NOT NULL,
            playbook_version TEXT NOT NULL,
            playbook_path TEXT NOT NULL,
            playbook_sha256 TEXT NOT NULL,
            snapshot TEXT NOT NULL,
            operator TEXT NOT NULL,
            host TEXT NOT NULL,
            status TEXT NOT NULL,
            started_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            finished_at TEXT,
            current_step TEXT,
            event_count INTEGER NOT NULL DEFAULT 0,
            head_hash TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX runs_by_start ON runs (started_at DESC);
        CREATE INDEX runs_by_status ON runs (status, started_at DESC);
        CREATE INDEX runs_by_playbook ON runs (playbook_name, started_at DESC);

        CREATE TABLE events (
            run_id TEXT NOT NULL REFERENCES runs(id),
            seq INTEGER NOT NULL,
            at TEXT NOT NULL,
            type TEXT NOT NULL,
            step_id TEXT,
            attempt INTEGER,
            data TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL,
            PRIMARY KEY (run_id, seq)
        ) WITHOUT ROWID;
        CREATE INDEX events_by_step ON events (run_id, step_id, type);

        CREATE TABLE captured_values (
            run_id TEXT NOT NULL,
            step_id TEXT NOT NULL,
            field TEXT NOT NULL,
            label TEXT NOT NULL,
            type TEXT NOT NULL,
            raw TEXT NOT NULL,
            value TEXT,
            unit TEXT,
            display TEXT NOT NULL,
            breach TEXT,
            seq INTEGER NOT NULL,
            PRIMARY KEY (run_id, field)
        );

        CREATE TABLE signoffs (
            run_id TEXT NOT NULL,
            step_id TEXT NOT NULL,
            role TEXT NOT NULL,
            name TEXT NOT NULL,
            at TEXT NOT NULL,
            seq INTEGER NOT NULL,
            PRIMARY KEY (run_id, step_id)
        );

        CREATE TABLE locks (
            run_id TEXT PRIMARY KEY,
            host TEXT NOT NULL,
            pid INTEGER NOT NULL,
            since TEXT NOT NULL,
            token TEXT NOT NULL
        );
        """
    )


@migrations()
def m002_held_until(db: Database) -> None:
    # A parked run's checkpoint time (ISO UTC), so `runs` and the home screen can say
    # "waiting until 04:00" without replaying events. Cleared when the run moves on.
    db.execute("ALTER TABLE runs ADD COLUMN held_until TEXT")
