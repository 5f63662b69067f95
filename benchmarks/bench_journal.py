"""Journal: durable events per second through ``Journal.append`` against raw sqlite3.

Both sides commit one transaction per event on a file in the same folder, with WAL and
``synchronous=FULL`` (each commit is fsynced before it returns), into a table with the same
columns, primary key and index as the journal's ``events`` table, with the same payload. The
journal additionally hashes each event into the run's chain and keeps the run's row (head hash,
event count) up to date in the same transaction; that is the price of its guarantees, and it is
inside the measured figure. The two sides take turns in blocks of 100 events so load from
elsewhere hits both alike; each repeat uses fresh files.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.common import Figure, compared
from deploytui.journal.hashing import canonical
from deploytui.journal.store import Journal
from deploytui.model.events import EventType

AREA = "journal"
# A typical small event: a chunk of three output lines of a step.
DATA = {"lines": [f"[web-{n:02d}] deployed release 2026.11.22-1 in 0.8s" for n in range(3)]}

EVENTS_DDL = """
CREATE TABLE events (
    run_id TEXT NOT NULL,
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
"""


BLOCK = 100  # events per turn: the two sides alternate in blocks this size


class _JournalSide:
    """Appends through the journal's public path into a fresh journal and run."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / f"journal-{time.time_ns()}.db"
        self.journal = Journal(self.path)
        self.run_id = "bench0001"
        self.journal.create_run(
            run_id=self.run_id,
            playbook_name="bench",
            playbook_version="1",
            playbook_path="bench.yaml",
            playbook_sha256="0" * 64,
            snapshot="name: bench\n",
            operator="bench",
            host="bench",
            data={},
        )

    def write(self, count: int) -> None:
        for _ in range(count):
            self.journal.append(
                self.run_id, EventType.step_output, step_id="deploy", attempt=1, data=DATA
            )

    def close(self) -> None:
        self.journal.close()
        _remove(self.path)


class _RawSide:
    """sqlite3 directly: one INSERT and one COMMIT per event, nothing else."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / f"raw-{time.time_ns()}.db"
        self.connection = sqlite3.connect(str(self.path), isolation_level=None)
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("PRAGMA synchronous=FULL")
        self.connection.execute("PRAGMA foreign_keys=ON")
        self.connection.executescript(EVENTS_DDL)
        self.payload = canonical(DATA)
        self.seq = 0

    def write(self, count: int) -> None:
        digest = "f" * 64
        for _ in range(count):
            self.seq += 1
            self.connection.execute("BEGIN")
            self.connection.execute(
                "INSERT INTO events (run_id, seq, at, type, step_id, attempt, data, prev_hash, "
                "hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    "bench0001",
                    self.seq,
                    "2026-11-22T07:00:00.000+00:00",
                    "step_output",
                    "deploy",
                    1,
                    self.payload,
                    digest,
                    digest,
                ),
            )
            self.connection.execute("COMMIT")

    def close(self) -> None:
        self.connection.close()
        _remove(self.path)


def rates(folder: Path, count: int) -> tuple[float, float]:
    """Events/s of (journal, raw) over ``count`` events each, the sides alternating in blocks."""
    journal, raw = _JournalSide(folder), _RawSide(folder)
    spent = {"journal": 0.0, "raw": 0.0}
    try:
        for _ in range(count // BLOCK):
            for name, side in (("journal", journal), ("raw", raw)):
                began = time.perf_counter()
                side.write(BLOCK)
                spent[name] += time.perf_counter() - began
    finally:
        journal.close()
        raw.close()
    done = (count // BLOCK) * BLOCK
    return done / spent["journal"], done / spent["raw"]


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def run(quick: bool) -> list[Figure]:
    count = 2000 if quick else 5000
    repeats = 3 if quick else 5
    # The journal's real home is on the same disk; a temp folder there (not tmpfs) keeps fsync real.
    base = os.environ.get("BENCH_TMP") or None
    folder = Path(tempfile.mkdtemp(prefix="bench-journal-", dir=base))
    try:
        rates(folder, 2 * BLOCK)  # warm-up: imports, page cache
        ours, raws = [], []
        for _ in range(repeats):
            journal_rate, raw_rate = rates(folder, count)
            ours.append(journal_rate)
            raws.append(raw_rate)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return [
        compared(
            Figure(
                area=AREA,
                name=f"durable appends, {count} events, one transaction each",
                value=statistics.median(ours),
                unit="events/s",
                baseline_name="sqlite3 INSERT + COMMIT, same pragmas and table",
                baseline_value=statistics.median(raws),
                target="≥ 0.8× raw sqlite3",
                target_kind="ratio_min",
                target_value=0.8,
                notes="journal runs: "
                + ", ".join(f"{rate:.0f}" for rate in ours)
                + "; raw runs: "
                + ", ".join(f"{rate:.0f}" for rate in raws),
            )
        )
    ]
