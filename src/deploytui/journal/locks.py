"""One driver per run: a lock row naming who holds the run (host, pid, since when).

A second ``deploytui resume`` of a run that is being driven is refused with the holder's name.
A lock left by a process that died on this host is taken over (and journaled); a lock held from
another host needs ``--take-over``, since we cannot tell from here whether that process lives.
"""

from __future__ import annotations

import os
import secrets
import socket
import sqlite3
from dataclasses import dataclass

from deploytui.journal.store import Journal, JournalError, explain_sqlite_error, utc_now
from deploytui.model.events import EventType


class RunLocked(JournalError):
    """Another live process drives this run."""


@dataclass(frozen=True)
class LockHolder:
    host: str
    pid: int
    since: str

    def describe(self) -> str:
        return f"pid {self.pid} on {self.host} since {self.since[:19].replace('T', ' ')} UTC"


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RunLock:
    """Hold the lock on one run for the life of a driving process."""

    def __init__(self, journal: Journal, run_id: str) -> None:
        self.journal = journal
        self.run_id = run_id
        self.token = secrets.token_hex(8)
        self.held = False

    def holder(self) -> LockHolder | None:
        rows = self.journal._read(
            "SELECT host, pid, since FROM locks WHERE run_id = ?", (self.run_id,)
        )
        return LockHolder(*rows[0]) if rows else None

    def acquire(self, *, take_over: bool = False) -> LockHolder | None:
        """Take the lock; return the previous holder if a stale lock was taken over."""
        host, pid = socket.gethostname(), os.getpid()
        with self.journal._lock:
            try:
                with self.journal.db.atomic():
                    conn = self.journal.db.conn
                    row = conn.execute(
                        "SELECT host, pid, since FROM locks WHERE run_id = ?", (self.run_id,)
                    ).fetchone()
                    previous = LockHolder(*row) if row else None
                    if previous is not None:
                        stale = previous.host == host and not process_alive(previous.pid)
                        if not (stale or take_over):
                            hint = (
                                ""
                                if previous.host == host
                                else "; if that machine is gone, resume with --take-over"
                            )
                            raise RunLocked(
                                f"run {self.run_id} is being driven by {previous.describe()}{hint}"
                            )
                    conn.execute(
                        "INSERT OR REPLACE INTO locks (run_id, host, pid, since, token) "
                        "VALUES (?, ?, ?, ?, ?)",
                        (self.run_id, host, pid, utc_now(), self.token),
                    )
            except sqlite3.Error as error:
                raise JournalError(explain_sqlite_error(error, self.journal.path)) from None
        self.held = True
        if previous is not None:
            self.journal.append(
                self.run_id,
                EventType.lock_taken_over,
                data={
                    "previous_host": previous.host,
                    "previous_pid": previous.pid,
                    "previous_since": previous.since,
                    "forced": take_over,
                },
            )
        return previous

    def release(self) -> None:
        if not self.held:
            return
        try:
            with self.journal._lock, self.journal.db.atomic():
                self.journal.db.conn.execute(
                    "DELETE FROM locks WHERE run_id = ? AND token = ?", (self.run_id, self.token)
                )
        except sqlite3.Error:
            pass  # a lock we cannot delete is detected as stale by the next driver
        self.held = False
