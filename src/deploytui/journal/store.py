"""The journal: one SQLite file holding every run's append-only, hash-chained events.

Every ``append`` is its own committed transaction in WAL mode with ``synchronous=FULL``, so when
it returns the event survives a crash or power loss. The engine relies on that ordering: a step's
``step_started`` is durable before the step runs, its result before the next step starts.
Projections (``runs``, ``captured_values``, ``signoffs``) are updated in the same transaction so
queries never disagree with the events.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from deploytui.journal.connection import Database
from deploytui.journal.hashing import GENESIS, canonical, event_hash
from deploytui.journal.schema import migrations
from deploytui.model.events import Event, EventType, RunRecord, RunStatus

# Events that change the status column of a run's row.
_STATUS_OF_EVENT: dict[EventType, RunStatus] = {
    EventType.run_started: RunStatus.running,
    EventType.run_resumed: RunStatus.running,
}
_RUN_COLUMNS = (
    "id, playbook_name, playbook_version, playbook_path, playbook_sha256, operator, host, status, "
    "started_at, updated_at, finished_at, current_step, event_count, held_until"
)


# Fault injection for the crash-anywhere tests (tests/integration/test_fault_injection.py):
# with DEPLOYTUI_FAULT_KILL_AFTER_EVENT=K the process SIGKILLs itself right after the transaction
# holding the K-th event it appended has committed. The variable is read once per process (on the
# first append, so forked children read their own); unset, an append pays one comparison.
FAULT_KILL_ENV = "DEPLOYTUI_FAULT_KILL_AFTER_EVENT"
_fault: dict[str, int | None] = {}


def _after_commit(appended: int) -> None:
    """Count this process's committed events and die after the K-th one if asked to."""
    if not _fault:
        raw = os.environ.get(FAULT_KILL_ENV, "").strip()
        _fault["kill_after"] = int(raw) if raw.isdigit() else None
        _fault["count"] = 0
    if _fault["kill_after"] is None or not appended:
        return
    _fault["count"] = (_fault["count"] or 0) + appended
    if _fault["count"] >= _fault["kill_after"]:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


_RUN_KEYS = tuple(column.strip() for column in _RUN_COLUMNS.split(","))


class JournalError(Exception):
    """The journal cannot be read or written; the message says why and what to do."""


class DamagedRowError(JournalError, ValueError):
    """A row edited or damaged outside deploytui cannot be read. Also a ``ValueError`` because
    that is what such rows raised before (bad JSON, unknown enum value), and callers catch it."""


class PendingEvent(BaseModel):
    """An event to append: the journal fills in seq, time and hashes."""

    # Built on first use: a reader (`deploytui runs`, `show`) never appends.
    model_config = ConfigDict(defer_build=True)

    type: EventType
    step_id: str | None = None
    attempt: int | None = None
    data: dict[str, Any] = {}


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def default_journal_path() -> Path:
    """``$DEPLOYTUI_JOURNAL``, else ``$XDG_DATA_HOME/deploytui/journal.db``."""
    override = os.environ.get("DEPLOYTUI_JOURNAL")
    if override:
        return Path(override).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "deploytui" / "journal.db"


def _on_read_only_disk(path: Path) -> bool:
    """Whether the journal's folder is on a file system mounted read-only (SQLite then only
    says it is "unable to open" the WAL file)."""
    try:
        return bool(os.statvfs(path.parent).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def explain_sqlite_error(error: sqlite3.Error, path: Path) -> str:
    """Turn a sqlite error into a sentence an operator can act on."""
    text = str(error).lower()
    if "readonly" in text or "read-only" in text or _on_read_only_disk(path):
        return f"the journal {path} is read-only: fix its permissions or use --journal PATH"
    if "locked" in text or "busy" in text:
        return f"the journal {path} is locked by another process: close it, then retry"
    if "disk is full" in text or "full" in text:
        return f"the disk holding the journal {path} is full: free space, then resume"
    if "malformed" in text or "not a database" in text or "corrupt" in text:
        return f"the journal {path} is damaged ({error}); keep a copy and run 'deploytui verify'"
    if "unable to open" in text:
        return f"cannot open the journal {path}: check the folder exists and is writable"
    return f"journal {path}: {error}"


class Journal:
    """Append and query events. Thread-safe: one connection guarded by a lock."""

    def __init__(self, path: Path | str, *, clock: Any = None, read_only: bool = False) -> None:
        self.path = Path(path)
        self._clock = clock or utc_now
        self._lock = threading.RLock()
        self._heads: dict[str, tuple[int, str]] = {}
        self._appended = 0  # events in the open write transaction (for the fault hook)
        try:
            if read_only:
                # `deploytui watch`: SQLite refuses every write on this connection; nothing is
                # created, migrated or locked, so watching can never disturb the driver.
                if not self.path.is_file():
                    raise JournalError(f"there is no journal at {self.path}")
                uri = f"{self.path.resolve().as_uri()}?mode=ro"
                connection = sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=5.0)
                self.db = Database(connection)
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(str(self.path), check_same_thread=False, timeout=5.0)
            self.db = Database(connection)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.execute("PRAGMA foreign_keys=ON")
            migrations.apply(self.db)
        except sqlite3.Error as error:
            raise JournalError(explain_sqlite_error(error, self.path)) from None
        except OSError as error:
            raise JournalError(f"cannot open the journal {self.path}: {error.strerror}") from None

    def close(self) -> None:
        with self._lock:
            self.db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._appended = 0
            try:
                with self.db.atomic():
                    yield self.db.conn
            except sqlite3.Error as error:
                # A failed transaction leaves the cached heads possibly ahead of the file.
                self._heads.clear()
                raise JournalError(explain_sqlite_error(error, self.path)) from None
            if not self.db.conn.in_transaction:  # committed, not a nested savepoint
                _after_commit(self._appended)

    # -- writing -------------------------------------------------------------------------------

    def create_run(
        self,
        *,
        run_id: str,
        playbook_name: str,
        playbook_version: str,
        playbook_path: str,
        playbook_sha256: str,
        snapshot: str,
        operator: str,
        host: str,
        data: dict[str, Any],
    ) -> Event:
        """Insert the run's row and its ``run_started`` event in one transaction."""
        now = self._clock()
        with self._write() as conn:
            conn.execute(
                "INSERT INTO runs (id, playbook_name, playbook_version, playbook_path, "
                "playbook_sha256, snapshot, operator, host, status, started_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    playbook_name,
                    playbook_version,
                    playbook_path,
                    playbook_sha256,
                    snapshot,
                    operator,
                    host,
                    RunStatus.running.value,
                    now,
                    now,
                ),
            )
            return self._append_locked(
                conn, run_id, [PendingEvent(type=EventType.run_started, data=data)]
            )[0]

    def append(
        self,
        run_id: str,
        type_: EventType,
        *,
        step_id: str | None = None,
        attempt: int | None = None,
        data: dict[str, Any] | None = None,
    ) -> Event:
        """Append one event durably and return it."""
        pending = PendingEvent(type=type_, step_id=step_id, attempt=attempt, data=data or {})
        return self.append_many(run_id, [pending])[0]

    def append_many(self, run_id: str, pending: Sequence[PendingEvent]) -> list[Event]:
        """Append several events in one transaction (all or none)."""
        with self._write() as conn:
            return self._append_locked(conn, run_id, pending)

    def _head(self, conn: sqlite3.Connection, run_id: str) -> tuple[int, str]:
        if run_id not in self._heads:
            row = conn.execute(
                "SELECT event_count, head_hash FROM runs WHERE id = ?", (run_id,)
            ).fetchone()
            if row is None:
                raise JournalError(f"no run {run_id} in the journal {self.path}")
            self._heads[run_id] = (row[0], row[1] or GENESIS)
        return self._heads[run_id]

    def _append_locked(
        self, conn: sqlite3.Connection, run_id: str, pending: Sequence[PendingEvent]
    ) -> list[Event]:
        seq, prev = self._head(conn, run_id)
        events: list[Event] = []
        now = self._clock()
        for item in pending:
            seq += 1
            data_json = canonical(item.data)
            digest = event_hash(
                prev, run_id, seq, now, item.type.value, item.step_id, item.attempt, data_json
            )
            conn.execute(
                "INSERT INTO events (run_id, seq, at, type, step_id, attempt, data, prev_hash, "
                "hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    seq,
                    now,
                    item.type.value,
                    item.step_id,
                    item.attempt,
                    data_json,
                    prev,
                    digest,
                ),
            )
            event = Event(
                run_id=run_id,
                seq=seq,
                at=now,
                type=item.type,
                step_id=item.step_id,
                attempt=item.attempt,
                data=item.data,
                prev_hash=prev,
                hash=digest,
            )
            self._project(conn, event)
            events.append(event)
            prev = digest
        conn.execute(
            "UPDATE runs SET event_count = ?, head_hash = ?, updated_at = ? WHERE id = ?",
            (seq, prev, now, run_id),
        )
        # Only cache the new head once the caller's transaction has committed (see _write).
        self._heads[run_id] = (seq, prev)
        self._appended += len(events)
        return events

    def _project(self, conn: sqlite3.Connection, event: Event) -> None:
        """Keep the query tables in step with the event, inside the same transaction."""
        data = event.data
        if event.type in _STATUS_OF_EVENT:
            conn.execute(
                "UPDATE runs SET status = ?, finished_at = NULL WHERE id = ?",
                (_STATUS_OF_EVENT[event.type].value, event.run_id),
            )
        elif event.type == EventType.run_paused:
            conn.execute(
                "UPDATE runs SET status = ? WHERE id = ?", (RunStatus.waiting.value, event.run_id)
            )
        elif event.type == EventType.run_held:
            # Parked until a checkpoint; the time stays on the row until the run moves on.
            conn.execute(
                "UPDATE runs SET status = ?, held_until = ? WHERE id = ?",
                (RunStatus.waiting.value, data.get("until"), event.run_id),
            )
        elif event.type == EventType.decision and data.get("action") in {"wait", "continue"}:
            # At a hold the operator chose to wait here or go on: the run is live again.
            # Going on early ends the hold at once; waiting keeps its time on the row.
            held = "NULL" if data["action"] == "continue" else "held_until"
            conn.execute(
                f"UPDATE runs SET status = ?, held_until = {held} WHERE id = ?",
                (RunStatus.running.value, event.run_id),
            )
        elif event.type == EventType.run_finished:
            conn.execute(
                "UPDATE runs SET status = ?, finished_at = ?, held_until = NULL WHERE id = ?",
                (data["status"], event.at, event.run_id),
            )
        elif event.type == EventType.step_started:
            # A step starting means the run is live again (a parked step released in-process).
            conn.execute(
                "UPDATE runs SET current_step = ?, held_until = NULL, status = CASE status "
                "WHEN 'waiting' THEN 'running' ELSE status END WHERE id = ?",
                (event.step_id, event.run_id),
            )
        if event.type == EventType.step_finished:
            conn.execute(
                "UPDATE runs SET held_until = NULL, status = CASE status "
                "WHEN 'waiting' THEN 'running' ELSE status END WHERE id = ?",
                (event.run_id,),
            )
            for value in data.get("values", []):
                conn.execute(
                    "INSERT OR REPLACE INTO captured_values (run_id, step_id, field, label, type, "
                    "raw, value, unit, display, breach, seq) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        event.run_id,
                        event.step_id,
                        value["field"],
                        value["label"],
                        value["type"],
                        value["raw"],
                        None if value["value"] is None else json.dumps(value["value"]),
                        value.get("unit"),
                        value["display"],
                        value.get("breach"),
                        event.seq,
                    ),
                )
            signoff = data.get("signoff")
            if signoff:
                conn.execute(
                    "INSERT OR REPLACE INTO signoffs (run_id, step_id, role, name, at, seq) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        event.run_id,
                        event.step_id,
                        signoff["role"],
                        signoff["name"],
                        signoff["at"],
                        event.seq,
                    ),
                )

    # -- reading -------------------------------------------------------------------------------

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self.db.conn.execute(sql, params).fetchall()
            except sqlite3.Error as error:
                raise JournalError(explain_sqlite_error(error, self.path)) from None

    def events(
        self,
        run_id: str,
        *,
        after_seq: int = 0,
        include_output: bool = True,
        step_id: str | None = None,
        types: Sequence[EventType] = (),
    ) -> list[Event]:
        """A run's events in order; ``step_id``/``types`` narrow it through the step index."""
        sql = (
            "SELECT run_id, seq, at, type, step_id, attempt, data, prev_hash, hash FROM events "
            "WHERE run_id = ? AND seq > ?"
        )
        params: list[Any] = [run_id, after_seq]
        if not include_output:
            sql += " AND type != 'step_output'"
        if step_id is not None:
            sql += " AND step_id = ?"
            params.append(step_id)
        if types:
            sql += f" AND type IN ({', '.join('?' for _ in types)})"
            params.extend(str(type_) for type_ in types)
        rows = self._read(sql + " ORDER BY seq", tuple(params))
        return [_event_from_row(row, self.path) for row in rows]

    def run(self, run_id: str) -> RunRecord:
        rows = self._read(f"SELECT {_RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,))
        if not rows:
            raise JournalError(f"no run '{run_id}' in the journal {self.path}")
        return _run_from_row(rows[0], self.path)

    def find_run(self, prefix: str) -> RunRecord:
        """A run by its id or an unambiguous prefix of it (of any case)."""
        # Both lookups go through the primary key: a LIKE scans the whole table, reading every
        # run's playbook snapshot (75 MB for 10,000 runs, 0.6 s from a cold start) for an id.
        rows = self._read(f"SELECT {_RUN_COLUMNS} FROM runs WHERE id = ?", (prefix,))
        if rows:
            return _run_from_row(rows[0], self.path)
        for candidate in dict.fromkeys((prefix, prefix.lower())):
            rows = self._read(
                f"SELECT {_RUN_COLUMNS} FROM runs WHERE id >= ? AND id < ? LIMIT 2",
                (candidate, candidate + "\U0010ffff"),
            )
            if rows:
                break
        if not rows:
            raise JournalError(f"no run '{prefix}' in the journal {self.path}")
        if len(rows) > 1:
            raise JournalError(f"'{prefix}' matches several runs; give more of the id")
        return _run_from_row(rows[0], self.path)

    def runs(
        self,
        *,
        limit: int = 50,
        playbook: str | None = None,
        statuses: Sequence[RunStatus] | None = None,
    ) -> list[RunRecord]:
        clauses, params = [], []
        if playbook:
            clauses.append("playbook_name = ?")
            params.append(playbook)
        if statuses:
            clauses.append(f"status IN ({', '.join('?' for _ in statuses)})")
            params.extend(status.value for status in statuses)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._read(
            f"SELECT {_RUN_COLUMNS} FROM runs {where} ORDER BY started_at DESC LIMIT ?",
            [*params, limit],
        )
        return [_run_from_row(row, self.path) for row in rows]

    def playbook_names(self) -> list[str]:
        """Every playbook name with runs in the journal, sorted (read from an index)."""
        rows = self._read("SELECT DISTINCT playbook_name FROM runs ORDER BY playbook_name")
        return [row[0] for row in rows]

    def snapshot(self, run_id: str) -> tuple[str, str]:
        """The playbook text stored when the run started, and the path it came from."""
        rows = self._read("SELECT snapshot, playbook_path FROM runs WHERE id = ?", (run_id,))
        if not rows:
            raise JournalError(f"no run '{run_id}' in the journal {self.path}")
        return rows[0][0], rows[0][1]

    def output(self, run_id: str, step_id: str, attempt: int | None = None) -> list[str]:
        """The full journaled output of a step (the last attempt unless one is named)."""
        if attempt is None:
            rows = self._read(
                "SELECT MAX(attempt) FROM events WHERE run_id = ? AND step_id = ? "
                "AND type = 'step_started'",
                (run_id, step_id),
            )
            attempt = rows[0][0] if rows and rows[0][0] is not None else 1
        rows = self._read(
            "SELECT data FROM events WHERE run_id = ? AND step_id = ? AND attempt = ? "
            "AND type = 'step_output' ORDER BY seq",
            (run_id, step_id, attempt),
        )
        lines: list[str] = []
        for (data,) in rows:
            try:
                lines.extend(json.loads(data)["lines"])
            except (ValueError, KeyError, TypeError) as error:
                raise DamagedRowError(
                    f"the journal {self.path} has output of run {run_id} that cannot be read "
                    f"({error.__class__.__name__}: {error}); run 'deploytui verify {run_id}'"
                ) from None
        return lines

    def verify(self, run_id: str) -> tuple[bool, str]:
        """Recompute the hash chain and report the first event that does not match, with its
        seq, its type and what differs; then check the run's record (event count, head) and the
        value and sign-off tables against the events they were projected from."""
        prev = GENESIS
        expected_seq = 0
        rows = self._read(
            "SELECT run_id, seq, at, type, step_id, attempt, data, prev_hash, hash FROM events "
            "WHERE run_id = ? ORDER BY seq",
            (run_id,),
        )
        for row in rows:
            _, seq, at, type_, step_id, attempt, data_json, prev_hash, digest = row
            expected_seq += 1
            if seq != expected_seq:
                return False, (
                    f"event {expected_seq} is missing (found {seq} next): "
                    "events were deleted from the journal"
                )
            if prev_hash != prev:
                return False, (
                    f"event {seq} does not follow event {seq - 1} (chain broken): it names "
                    f"{_short(prev_hash)} as the previous hash, event {seq - 1}'s is "
                    f"{_short(prev)} — an event before it was replaced or this one inserted"
                )
            if not (  # spelled out, not all(...) over a tuple: this loop runs per event
                isinstance(data_json, str)
                and (at is None or isinstance(at, str))
                and (type_ is None or isinstance(type_, str))
                and (step_id is None or isinstance(step_id, str))
            ):
                return False, f"event {seq} ({type_}) cannot be read: a column is not text"
            recomputed = event_hash(prev, run_id, seq, at, type_, step_id, attempt, data_json)
            if recomputed != digest:
                return False, (
                    f"event {seq} ({type_}) was changed after it was written: "
                    + self._what_differs(run_id, seq, type_, data_json)
                )
            prev = digest
        head = self._read("SELECT event_count, head_hash FROM runs WHERE id = ?", (run_id,))
        if not head:
            if expected_seq:
                return False, (
                    f"the journal has {expected_seq} events of run {run_id} but no record of "
                    "the run (its row in the runs table was deleted)"
                )
            return False, f"no run '{run_id}' in the journal"
        if head[0][0] != expected_seq or (expected_seq and head[0][1] != prev):
            return False, (
                f"the run records {head[0][0]} events but {expected_seq} are present "
                "(events removed from the end)"
            )
        projection = self._projection_mismatch(run_id)
        if projection:
            return False, projection
        return True, f"{expected_seq} events verified, head {prev[:12]}"

    def run_ids(self) -> list[str]:
        """Every run the journal knows of: its runs table and its events (a run whose record
        was deleted still has events to verify)."""
        rows = self._read(
            "SELECT id, started_at FROM runs UNION "
            "SELECT DISTINCT run_id, '' FROM events WHERE run_id NOT IN (SELECT id FROM runs) "
            "ORDER BY 2 DESC"
        )
        return [str(row[0]) for row in rows]

    def _what_differs(self, run_id: str, seq: int, type_: str, data_json: str) -> str:
        """What we can say about an event whose hash no longer matches its content."""
        try:
            data = json.loads(data_json)
        except ValueError:
            return "its data is no longer valid JSON"
        if not isinstance(data, dict):
            return "its data is no longer a JSON object"
        if canonical(data) != data_json:
            return "its data is not the JSON deploytui wrote (edited by hand)"
        if type_ == EventType.step_finished.value:
            recorded = {
                row[0]: row[1]
                for row in self._read(
                    "SELECT field, display FROM captured_values WHERE run_id = ? AND seq = ?",
                    (run_id, seq),
                )
            }
            for value in data.get("values") or []:
                if not isinstance(value, dict):
                    continue
                name = value.get("field")
                if name in recorded and recorded[name] != value.get("display"):
                    return (
                        f"its value {name} reads {value.get('display')!r}, but "
                        f"{recorded[name]!r} was recorded when it was written"
                    )
            signoff = data.get("signoff")
            if isinstance(signoff, dict):
                signed = self._read(
                    "SELECT name FROM signoffs WHERE run_id = ? AND seq = ?", (run_id, seq)
                )
                if signed and signed[0][0] != signoff.get("name"):
                    return (
                        f"its sign-off reads {signoff.get('name')!r}, but {signed[0][0]!r} "
                        "signed when it was written"
                    )
        return "its time, type, step, attempt or data no longer match the hash it was written with"

    def _projection_mismatch(self, run_id: str) -> str:
        """A value or sign-off in the query tables that its event does not say (tables edited)."""
        events = {
            row[0]: row[1]
            for row in self._read(
                "SELECT seq, data FROM events WHERE run_id = ? AND type = 'step_finished'",
                (run_id,),
            )
        }
        for field, display, seq in self._read(
            "SELECT field, display, seq FROM captured_values WHERE run_id = ?", (run_id,)
        ):
            try:
                values = json.loads(events.get(seq) or "{}").get("values") or []
            except (ValueError, AttributeError):
                values = []
            said = [item.get("display") for item in values if item.get("field") == field]
            if said and said != [display]:
                return (
                    f"the values table says {field} = {display!r}, but event {seq} "
                    f"(step_finished) says {said[0]!r} (the table was edited)"
                )
            if not said:
                return (
                    f"the values table has {field} = {display!r}, which event {seq} does not "
                    "record (the table was edited)"
                )
        for role, name, seq in self._read(
            "SELECT role, name, seq FROM signoffs WHERE run_id = ?", (run_id,)
        ):
            try:
                signoff = json.loads(events.get(seq) or "{}").get("signoff") or {}
            except (ValueError, AttributeError):
                signoff = {}
            if signoff.get("name") != name or signoff.get("role") != role:
                return (
                    f"the sign-offs table says {role} was signed by {name!r}, but event {seq} "
                    f"(step_finished) says {signoff.get('name')!r} (the table was edited)"
                )
        return ""

    def head_hash(self, run_id: str) -> str:
        rows = self._read("SELECT head_hash FROM runs WHERE id = ?", (run_id,))
        return rows[0][0] if rows else ""

    def captured_values(self, run_id: str) -> list[dict[str, Any]]:
        rows = self._read(
            "SELECT step_id, field, label, type, raw, value, unit, display, breach "
            "FROM captured_values WHERE run_id = ? ORDER BY seq",
            (run_id,),
        )
        keys = ("step_id", "field", "label", "type", "raw", "value", "unit", "display", "breach")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def signoffs(self, run_id: str) -> list[dict[str, Any]]:
        rows = self._read(
            "SELECT step_id, role, name, at FROM signoffs WHERE run_id = ? ORDER BY seq", (run_id,)
        )
        return [dict(zip(("step_id", "role", "name", "at"), row, strict=True)) for row in rows]


def _short(digest: Any) -> str:
    return f"{str(digest)[:12]}…" if digest else "nothing"


def _event_from_row(row: tuple[Any, ...], path: Path) -> Event:
    run_id, seq, at, type_, step_id, attempt, data, prev_hash, digest = row
    # A row edited or damaged outside deploytui is a sentence naming it, never a traceback.
    try:
        return Event(
            run_id=run_id,
            seq=seq,
            at=at,
            type=EventType(type_),
            step_id=step_id,
            attempt=attempt,
            data=json.loads(data),
            prev_hash=prev_hash,
            hash=digest,
        )
    except (ValueError, TypeError) as error:  # bad JSON, unknown type (ValidationError too)
        reason = str(error).splitlines()[0]
        raise DamagedRowError(
            f"the journal {path} is damaged: event {seq} of run {run_id} cannot be read "
            f"({reason}); run 'deploytui verify {run_id}'"
        ) from None


def _run_from_row(row: tuple[Any, ...], path: Path) -> RunRecord:
    try:
        return RunRecord(**dict(zip(_RUN_KEYS, row, strict=True)))
    except (ValueError, TypeError) as error:  # pydantic's ValidationError is a ValueError
        fields = ", ".join(
            str(item["loc"][0]) for item in getattr(error, "errors", lambda: [])() if item["loc"]
        )
        raise DamagedRowError(
            f"the journal {path} is damaged: the record of run {row[0]} cannot be read "
            f"(bad {fields or 'values'}); run 'deploytui verify {row[0]}'"
        ) from None
