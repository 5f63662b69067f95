"""One driver per run: a lock row naming who holds the run (operator, host, pid, since when).

A second ``deploytui resume`` of a run that is being driven by a live process is refused with the
holder's name, even with ``--take-over``. A lock whose holder is gone (a process that died on this
host, or any holder on another host, which we cannot check from here) is taken over only after the
operator confirms: the CLI asks on a terminal, otherwise ``--take-over`` is the confirmation
(``cli_run.confirm_take_over``). Every take-over is journaled as ``lock_taken_over``.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from deploytui.journal.store import Journal, JournalError, explain_sqlite_error, utc_now
from deploytui.model.events import EventType


class RunLocked(JournalError):
    """Another live process drives this run."""


class StaleLock(RunLocked):
    """The run's lock is held by a process that is gone (or unknowable): confirm to take over."""

    def __init__(self, message: str, holder: LockHolder) -> None:
        super().__init__(message)
        self.holder = holder


@dataclass(frozen=True)
class LockHolder:
    host: str
    pid: int
    since: str
    operator: str | None = None  # who started or resumed the run in that process, if journaled

    def describe(self) -> str:
        who = f"{self.operator} (" if self.operator else ""
        where = f"pid {self.pid} on {self.host} since {self.since[:19].replace('T', ' ')} UTC"
        return f"{who}{where}{')' if self.operator else ''}"

    @property
    def here(self) -> bool:
        return self.host == socket.gethostname()

    @property
    def alive(self) -> bool | None:
        """Whether the holding process lives; None when it is on another host (unknowable)."""
        if not self.here:
            return None
        return process_alive(self.pid) and not _pid_reused(self.pid, self.since)


def _pid_reused(pid: int, since: str) -> bool:
    """Whether ``pid`` now names another process than the lock's (a zombie, or one started
    after the lock was taken — after a reboot pids are handed out again). Linux /proc only;
    elsewhere the pid is taken at its word."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        boot = next(
            int(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
        fields = stat.rsplit(")", 1)[1].split()
        started = boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
        taken = datetime.fromisoformat(since).timestamp()
    except (OSError, StopIteration, ValueError, IndexError):
        return False
    # /proc's boot time has a resolution of one second: allow for it.
    return fields[0] == "Z" or started > taken + 2


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
        if not rows:
            return None
        host, pid, since = rows[0]
        return LockHolder(host, pid, since, self._operator_of(host, pid))

    def _operator_of(self, host: str, pid: int) -> str | None:
        """The operator named by the newest run_started/run_resumed from that process."""
        rows = self.journal._read(
            "SELECT data FROM events WHERE run_id = ? AND type IN ('run_started', 'run_resumed') "
            "ORDER BY seq DESC",
            (self.run_id,),
        )
        for (raw,) in rows:
            try:
                data = json.loads(raw)
            except ValueError:
                continue
            if data.get("pid") == pid and data.get("host", host) == host:
                return str(data.get("operator") or "") or None
        return None

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
                    previous = LockHolder(*row, self._operator_of(*row[:2])) if row else None
                    if previous is not None:
                        self._check_takeable(previous, take_over=take_over)
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

    def _check_takeable(self, previous: LockHolder, *, take_over: bool) -> None:
        """Refuse a live holder always; a gone (or unknowable) one unless confirmed."""
        alive = previous.alive
        # A live process is never displaced; a forced take-over from our own pid is another
        # RunLock of this same process (a second driver of the run in one process).
        if alive and not (take_over and previous.pid == os.getpid()):
            raise RunLocked(
                f"run {self.run_id} is being driven by {previous.describe()}; "
                "it can be watched meanwhile with `deploytui watch "
                f"{self.run_id}`"
            )
        if take_over:
            return
        if alive is False:
            raise StaleLock(
                f"run {self.run_id} was being driven by {previous.describe()}, and that "
                f"process is gone; `deploytui resume {self.run_id}` takes it over once you "
                "confirm (--take-over where there is no terminal to ask on)",
                previous,
            )
        if alive is None:
            raise StaleLock(
                f"run {self.run_id} is being driven by {previous.describe()}; if that machine "
                f"or process is gone, `deploytui resume {self.run_id}` takes it over once you "
                "confirm (--take-over where there is no terminal to ask on)",
                previous,
            )

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
