"""The journal file: durability pragmas, per-run seq and hash chain, verify, projections."""

from __future__ import annotations

import itertools
import sqlite3
from pathlib import Path

import pytest

from deploytui.journal import Journal
from deploytui.journal.store import JournalError
from deploytui.model.events import EventType, RunStatus
from tests.core_helpers import make_run, query


def fill(journal: Journal, run_id: str, count: int = 4) -> None:
    for index in range(count):
        journal.append(run_id, EventType.notice, data={"text": f"n{index}"})


def test_wal_and_synchronous_full_are_set(journal: Journal) -> None:
    assert journal.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert journal.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_seq_is_per_run_and_hashes_chain(journal: Journal) -> None:
    make_run(journal, "a")
    make_run(journal, "b")
    fill(journal, "a", 3)
    fill(journal, "b", 1)
    events_a = journal.events("a")
    assert [event.seq for event in events_a] == [1, 2, 3, 4]
    assert [event.seq for event in journal.events("b")] == [1, 2]
    assert events_a[0].prev_hash == "0" * 64
    for previous, event in itertools.pairwise(events_a):
        assert event.prev_hash == previous.hash
    assert len({event.hash for event in events_a}) == 4
    assert journal.verify("a") == (True, f"4 events verified, head {events_a[-1].hash[:12]}")


def test_events_narrow_to_one_step_and_some_types(journal: Journal) -> None:
    make_run(journal, "a")
    journal.append("a", EventType.monitor_sample, step_id="watch", attempt=1, data={"t": 0})
    journal.append("a", EventType.step_output, step_id="watch", attempt=1, data={"lines": []})
    journal.append("a", EventType.monitor_sample, step_id="other", attempt=1, data={"t": 1})
    journal.append("a", EventType.monitor_crossing, step_id="watch", attempt=1, data={"t": 2})
    found = journal.events(
        "a", step_id="watch", types=(EventType.monitor_sample, EventType.monitor_crossing)
    )
    assert [(event.type, event.data["t"]) for event in found] == [
        (EventType.monitor_sample, 0),
        (EventType.monitor_crossing, 2),
    ]


def test_appends_are_visible_to_another_connection_at_once(journal: Journal) -> None:
    make_run(journal)
    journal.append("run1", EventType.step_started, step_id="s", attempt=1)
    rows = query(journal.path, "SELECT type, step_id FROM events WHERE run_id = 'run1'")
    assert rows[-1] == ("step_started", "s")


def test_reopening_continues_the_chain(journal_path: Path) -> None:
    with Journal(journal_path) as first:
        make_run(first)
        fill(first, "run1", 2)
    with Journal(journal_path) as second:
        second.append("run1", EventType.notice, data={"text": "later"})
        assert second.verify("run1")[0]
        assert [event.seq for event in second.events("run1")] == [1, 2, 3, 4]


def _tamper(path: Path, sql: str) -> None:
    connection = sqlite3.connect(path)
    with connection:
        connection.execute(sql)
    connection.close()


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        (
            "UPDATE events SET data = '{\"text\":\"forged\"}' WHERE run_id = 'run1' AND seq = 3",
            "event 3 (notice) was changed after it was written",
        ),
        ("DELETE FROM events WHERE run_id = 'run1' AND seq = 2", "event 2 is missing"),
        (
            "DELETE FROM events WHERE run_id = 'run1' AND seq = 5",
            "the run records 5 events but 4 are present (events removed from the end)",
        ),
        (
            "UPDATE events SET at = '2020-01-01T00:00:00.000+00:00' "
            "WHERE run_id = 'run1' AND seq = 4",
            "event 4 (notice) was changed",
        ),
    ],
    ids=["edited", "deleted", "truncated", "retimed"],
)
def test_verify_detects_tampering_naming_the_first_bad_event(
    journal: Journal, journal_path: Path, sql: str, message: str
) -> None:
    make_run(journal)
    fill(journal, "run1", 4)
    assert journal.verify("run1")[0]
    _tamper(journal_path, sql)
    ok, found = journal.verify("run1")
    assert not ok
    assert message in found


def test_verify_detects_an_event_rehashed_without_its_successors(
    journal: Journal, journal_path: Path
) -> None:
    from deploytui.journal.hashing import event_hash

    make_run(journal)
    fill(journal, "run1", 3)
    event = journal.events("run1")[1]
    forged = '{"text":"forged"}'
    digest = event_hash(event.prev_hash, "run1", 2, event.at, "notice", None, None, forged)
    _tamper(
        journal_path,
        f"UPDATE events SET data = '{forged}', hash = '{digest}' WHERE run_id='run1' AND seq=2",
    )
    ok, found = journal.verify("run1")
    assert not ok and found.startswith("event 3 does not follow event 2 (chain broken)")


def test_captured_values_and_signoffs_are_queryable(journal: Journal) -> None:
    make_run(journal)
    value = {
        "field": "size",
        "label": "Backup size",
        "type": "size",
        "raw": "4.2 GB",
        "value": 4_200_000_000,
        "unit": None,
        "display": "4.2 GB",
        "breach": None,
    }
    journal.append(
        "run1",
        EventType.step_finished,
        step_id="facts",
        attempt=1,
        data={"status": "succeeded", "values": [value]},
    )
    signoff = {"role": "DBA", "name": "Maria", "at": "2026-11-22T02:00:00+00:00"}
    journal.append(
        "run1",
        EventType.step_finished,
        step_id="dba",
        attempt=1,
        data={"status": "succeeded", "signoff": signoff},
    )
    stored = journal.captured_values("run1")
    assert stored[0]["field"] == "size" and stored[0]["display"] == "4.2 GB"
    assert stored[0]["value"] == "4200000000"  # JSON text
    assert journal.signoffs("run1") == [{"step_id": "dba", **signoff}]


def test_output_chunks_are_queryable_per_attempt(journal: Journal) -> None:
    make_run(journal)
    for attempt, lines in ((1, ["a", "b"]), (2, ["c"])):
        journal.append("run1", EventType.step_started, step_id="s", attempt=attempt)
        journal.append(
            "run1", EventType.step_output, step_id="s", attempt=attempt, data={"lines": lines}
        )
    assert journal.output("run1", "s") == ["c"]
    assert journal.output("run1", "s", attempt=1) == ["a", "b"]
    assert all(e.type != "step_output" for e in journal.events("run1", include_output=False))


def test_run_rows_follow_the_events(journal: Journal) -> None:
    make_run(journal)
    assert journal.run("run1").status == RunStatus.running
    journal.append("run1", EventType.step_started, step_id="s", attempt=1)
    assert journal.run("run1").current_step == "s"
    journal.append("run1", EventType.run_paused, data={"reason": "x"})
    assert journal.run("run1").status == RunStatus.waiting
    journal.append("run1", EventType.run_finished, data={"status": "completed"})
    record = journal.run("run1")
    assert (record.status, record.event_count) == (RunStatus.completed, 4)
    assert record.finished_at is not None
    assert [r.id for r in journal.runs(statuses=[RunStatus.completed])] == ["run1"]
    assert journal.runs(statuses=[RunStatus.waiting]) == []


def test_find_run_by_prefix(journal: Journal) -> None:
    make_run(journal, "abc123")
    make_run(journal, "abd456")
    assert journal.find_run("abc").id == "abc123"
    with pytest.raises(JournalError, match="matches several runs"):
        journal.find_run("ab")
    with pytest.raises(JournalError, match="no run 'zz'"):
        journal.find_run("zz")


def test_migrations_apply_to_a_fresh_file_and_are_idempotent(journal_path: Path) -> None:
    Journal(journal_path).close()
    tables = {row[0] for row in query(journal_path, "SELECT name FROM sqlite_master")}
    assert {"runs", "events", "captured_values", "signoffs", "locks"} <= tables
    applied = query(journal_path, "SELECT name FROM _sqlite_migrations")
    Journal(journal_path).close()
    assert query(journal_path, "SELECT name FROM _sqlite_migrations") == applied
    assert len(applied) >= 1


def test_an_unusable_journal_is_a_sentence(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(JournalError, match="damaged"):
        Journal(garbage)


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("UPDATE events SET data = 'not json' WHERE seq = 3", "Expecting value"),
        ("UPDATE events SET type = 'bogus' WHERE seq = 3", "'bogus' is not a valid EventType"),
        ("UPDATE events SET data = '[1]' WHERE seq = 3", "validation error for Event"),
    ],
    ids=["json", "type", "shape"],
)
def test_an_unreadable_event_row_is_a_sentence_naming_it(
    journal: Journal, journal_path: Path, sql: str, reason: str
) -> None:
    """Rows edited outside deploytui used to surface as JSONDecodeError/ValueError tracebacks."""
    make_run(journal)
    fill(journal, "run1", 3)
    _tamper(journal_path, sql)
    with pytest.raises(JournalError) as caught:
        journal.events("run1")
    message = str(caught.value)
    assert message.startswith(
        f"the journal {journal_path} is damaged: event 3 of run run1 cannot be read ("
    )
    assert reason in message and message.endswith("run 'deploytui verify run1'")
    assert isinstance(caught.value, ValueError)  # what such rows raised before; callers catch it


def test_an_unreadable_run_row_is_a_sentence_naming_it(journal: Journal, journal_path: Path):
    make_run(journal)
    _tamper(journal_path, "UPDATE runs SET status = 'bogus' WHERE id = 'run1'")
    expected = (
        f"the journal {journal_path} is damaged: the record of run run1 cannot be read "
        "(bad status); run 'deploytui verify run1'"
    )
    for read in (lambda: journal.run("run1"), lambda: journal.find_run("run"), journal.runs):
        with pytest.raises(JournalError) as caught:
            read()
        assert str(caught.value) == expected
