"""Parking in the engine, in-process with a ManualClock and a real SQLite journal.

A hold (or an executor returning ``park_until``) journals ``run_held`` and the run ends waiting;
the state is derived from the journal alone, so a fresh engine picks it up: at/after the time it
goes on, before it ``on_hold`` decides (wait, continue with a reason, leave). Also: a monitor's
rollback trigger reaches ``on_failure`` as ``Failure.trigger`` or, with ``on_trigger: rollback``,
starts the rollback unasked. Executors are in-test overrides (``ExecutorSet(overrides=...)``)
where the point is the engine, not the executor.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from deploytui.clock import ManualClock
from deploytui.engine.operator import Decision, StepView
from deploytui.engine.runner import Engine, RunOutcome
from deploytui.executors import ExecutorSet
from deploytui.executors.base import ExecContext, ExecResult
from deploytui.journal import Journal
from deploytui.journal.schema import m001_initial
from deploytui.journal.state import RunState
from deploytui.model.events import DecisionAction, EventType, RunStatus, StepStatus
from deploytui.model.steps import StepBase
from deploytui.playbook.loader import LoadedPlaybook
from tests.core_helpers import ScriptedOperator, decision, load, new_run, of_type

START = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)

HOLD_PLAYBOOK = """
name: holds
phases:
  - id: p
    title: P
    steps:
      - {id: before, kind: note, title: Before}
      - {id: overnight, kind: hold, title: Wait for the morning, for: 2h}
      - {id: after, kind: note, title: After}
"""


class HoldOperator(ScriptedOperator):
    """The scripted operator, answering holds from a queue (default: leave it parked)."""

    def __init__(self, holds: list[Decision] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.holds = list(holds or [])
        self.held: list[tuple[str, datetime, StepView]] = []

    def on_hold(self, step: StepBase, view: StepView, until: datetime) -> Decision:
        self.held.append((step.id, until, view))
        return self.holds.pop(0) if self.holds else decision("stop")


def engine_for(
    journal: Journal,
    loaded: LoadedPlaybook,
    operator: Any,
    clock: Any,
    run_id: str,
    overrides: dict[str, Any] | None = None,
) -> Engine:
    return Engine(
        journal=journal,
        run_id=run_id,
        loaded=loaded,
        operator=operator,
        clock=clock,
        executors=ExecutorSet(loaded.playbook, overrides=overrides) if overrides else None,
    )


def go(engine: Engine, resume: bool) -> RunOutcome:
    return engine.run(resume_data={"operator": "tester"} if resume else None)


def parked(journal: Journal, clock: ManualClock, operator: Any = None) -> tuple[str, Any]:
    loaded = load(HOLD_PLAYBOOK)
    run_id = new_run(journal, loaded)
    outcome = go(
        engine_for(journal, loaded, operator or HoldOperator(), clock, run_id), resume=False
    )
    return run_id, outcome


def test_reaching_a_hold_parks_the_run(journal: Journal) -> None:
    clock = ManualClock(START)
    operator = HoldOperator()
    run_id, outcome = parked(journal, clock, operator)
    assert outcome.status == RunStatus.waiting
    assert outcome.held_until == "2026-11-22T03:00:00+00:00"
    assert outcome.message.startswith("waiting until ")
    # The operator was asked once, with the hold's end in UTC.
    assert [(step, until) for step, until, _ in operator.held] == [
        ("overnight", START + timedelta(hours=2))
    ]
    assert operator.held[0][2].action == "hold for 2h 00m"
    events = journal.events(run_id)
    (held,) = of_type(events, EventType.run_held, "overnight")
    assert held.data["until"] == "2026-11-22T03:00:00+00:00"
    assert held.data["since"] == "2026-11-22T01:00:00+00:00"
    assert "Wait for the morning" in held.data["reason"]
    assert events[-1].type == EventType.run_paused
    record = journal.run(run_id)
    assert record.status == RunStatus.waiting
    assert record.held_until == "2026-11-22T03:00:00+00:00"
    # The state, derived from the journal alone, says the same.
    state = RunState.from_events(run_id, load(HOLD_PLAYBOOK).playbook, events)
    assert state.steps["overnight"].status == StepStatus.held
    assert state.steps["overnight"].held_until == "2026-11-22T03:00:00+00:00"
    assert state.held_until == "2026-11-22T03:00:00+00:00"
    assert state.status == RunStatus.waiting
    assert state.next_step_id() == "overnight"
    assert not of_type(events, EventType.step_finished, "overnight")


def test_resume_after_the_time_goes_on_without_asking(journal: Journal) -> None:
    clock = ManualClock(START)
    run_id, _ = parked(journal, clock)
    clock.advance(2 * 3600 + 60)
    operator = HoldOperator()
    outcome = go(engine_for(journal, load(HOLD_PLAYBOOK), operator, clock, run_id), resume=True)
    assert outcome.status == RunStatus.completed
    assert operator.held == []
    (finished,) = of_type(journal.events(run_id), EventType.step_finished, "overnight")
    assert finished.data["status"] == "succeeded"
    assert finished.data["details"]["hold"]["released"] == "the time came"
    assert finished.data["duration"] == pytest.approx(2 * 3600 + 60)
    assert journal.run(run_id).held_until is None


def test_resume_early_and_leave_stays_parked(journal: Journal) -> None:
    clock = ManualClock(START)
    run_id, _ = parked(journal, clock)
    clock.advance(600)
    operator = HoldOperator([decision("stop")])
    outcome = go(engine_for(journal, load(HOLD_PLAYBOOK), operator, clock, run_id), resume=True)
    assert outcome.status == RunStatus.waiting
    assert outcome.held_until == "2026-11-22T03:00:00+00:00"
    assert len(operator.held) == 1
    record = journal.run(run_id)
    assert (record.status, record.held_until) == (RunStatus.waiting, "2026-11-22T03:00:00+00:00")
    assert not of_type(journal.events(run_id), EventType.step_finished, "overnight")


def test_resume_early_and_continue_journals_the_reason(journal: Journal) -> None:
    clock = ManualClock(START)
    run_id, _ = parked(journal, clock)
    clock.advance(1800)
    operator = HoldOperator([decision("continue", "traffic peak came early")])
    outcome = go(engine_for(journal, load(HOLD_PLAYBOOK), operator, clock, run_id), resume=True)
    assert outcome.status == RunStatus.completed
    events = journal.events(run_id)
    (choice,) = [e for e in of_type(events, EventType.decision, "overnight")]
    assert choice.data["action"] == "continue"
    assert choice.data["reason"] == "traffic peak came early"
    assert choice.data["early_by"] == 5400
    (finished,) = of_type(events, EventType.step_finished, "overnight")
    assert finished.data["details"]["hold"]["released"] == "continued early"
    # The decision and the hold's end were written together (one transaction, one time).
    assert finished.seq == choice.seq + 1 and finished.at == choice.at


def test_continue_needs_a_reason() -> None:
    with pytest.raises(ValueError, match="continue needs a reason"):
        Decision(action=DecisionAction.continue_)


def test_resume_early_and_wait_sleeps_on_the_clock(journal: Journal) -> None:
    clock = ManualClock(START)
    run_id, _ = parked(journal, clock)
    operator = HoldOperator([decision("wait")])
    outcome = go(engine_for(journal, load(HOLD_PLAYBOOK), operator, clock, run_id), resume=True)
    assert outcome.status == RunStatus.completed
    assert clock.now() >= START + timedelta(hours=2)  # the engine slept on the manual clock
    events = journal.events(run_id)
    (wait,) = of_type(events, EventType.decision, "overnight")
    assert wait.data["action"] == "wait"
    assert wait.data["until"] == "2026-11-22T03:00:00+00:00"
    (finished,) = of_type(events, EventType.step_finished, "overnight")
    assert finished.data["details"]["hold"]["released"] == "waited until the time"


class BlockingClock(ManualClock):
    """Sleeps really block until cancelled (or a long real timeout): a wait to interrupt."""

    def __init__(self, start: datetime) -> None:
        super().__init__(start)
        self.sleeping = threading.Event()

    def sleep(self, seconds: float, cancelled: threading.Event | None = None) -> bool:
        self.sleeping.set()
        assert cancelled is not None
        return not cancelled.wait(60)


def test_a_wait_is_cancellable_and_a_stop_leaves_it_parked(journal: Journal) -> None:
    clock = BlockingClock(START)
    loaded = load(HOLD_PLAYBOOK)
    run_id = new_run(journal, loaded)
    # First a wait that the operator cancels (asked again), then a wait ended by a stop.
    operator = HoldOperator([decision("wait"), decision("wait")])
    engine = engine_for(journal, loaded, operator, clock, run_id)
    result: dict[str, RunOutcome] = {}
    worker = threading.Thread(target=lambda: result.update(outcome=go(engine, resume=False)))
    worker.start()
    assert clock.sleeping.wait(30)
    # While it waits in-process the run is live: running, with its time on the row.
    record = journal.run(run_id)
    assert (record.status, record.held_until) == (RunStatus.running, "2026-11-22T03:00:00+00:00")
    clock.sleeping.clear()
    engine.cancel_current()
    assert clock.sleeping.wait(30)  # asked again, waiting again
    assert len(operator.held) == 2
    engine.request_stop()
    worker.join(30)
    assert not worker.is_alive()
    outcome = result["outcome"]
    assert outcome.status == RunStatus.waiting
    assert "waiting until" in outcome.message
    state = RunState.from_events(run_id, loaded.playbook, journal.events(run_id))
    assert state.steps["overnight"].status == StepStatus.held
    assert journal.run(run_id).status == RunStatus.waiting


def test_an_operator_without_on_hold_leaves_the_run_parked(journal: Journal) -> None:
    clock = ManualClock(START)
    run_id, outcome = parked(journal, clock, ScriptedOperator())
    assert outcome.status == RunStatus.waiting
    assert journal.run(run_id).held_until == "2026-11-22T03:00:00+00:00"


def test_an_until_already_past_does_not_park(journal: Journal) -> None:
    loaded = load(HOLD_PLAYBOOK.replace("for: 2h", 'until: "2026-11-21T23:00Z"'))
    run_id = new_run(journal, loaded)
    outcome = go(engine_for(journal, loaded, HoldOperator(), ManualClock(START), run_id), False)
    assert outcome.status == RunStatus.completed
    assert not of_type(journal.events(run_id), EventType.run_held)


def test_abort_from_a_hold(journal: Journal) -> None:
    clock = ManualClock(START)
    run_id, outcome = parked(journal, clock, HoldOperator([decision("abort", "change cancelled")]))
    assert outcome.status == RunStatus.aborted
    assert journal.run(run_id).held_until is None


# -- an automated step that parks (a long watch between checkpoints) ---------------------------

PARKING_PLAYBOOK = """
name: parking
phases:
  - id: p
    title: P
    steps:
      - id: watch
        kind: local
        title: Watch between checkpoints
        command: "true"
      - {id: after, kind: note, title: After}
"""


class CheckpointExecutor:
    """Parks twice (two checkpoints two hours apart), then finishes; remembers what it saw."""

    kind = "local"

    def __init__(self) -> None:
        self.seen: list[tuple[int, list[dict[str, Any]]]] = []

    def execute(self, step: StepBase, ctx: ExecContext) -> ExecResult:
        self.seen.append((ctx.attempt, list(ctx.history)))
        ctx.record("monitor_sample", {"t": float(len(self.seen)), "v": {"x": 1.0}})
        if len(self.seen) < 3:
            until = ctx.clock.now() + timedelta(hours=2)
            return ExecResult(ok=True, park_until=until, details={"checkpoint": len(self.seen)})
        return ExecResult(ok=True, details={"samples": len(ctx.history)})


def test_a_parked_step_runs_again_as_a_new_attempt_with_its_history(journal: Journal) -> None:
    loaded = load(PARKING_PLAYBOOK)
    run_id = new_run(journal, loaded)
    clock = ManualClock(START)
    executor = CheckpointExecutor()
    outcome = go(
        engine_for(journal, loaded, HoldOperator(), clock, run_id, {"local": executor}), False
    )
    assert outcome.status == RunStatus.waiting
    (held,) = of_type(journal.events(run_id), EventType.run_held, "watch")
    assert held.attempt == 1
    assert held.data["details"] == {"checkpoint": 1}
    assert journal.run(run_id).held_until == "2026-11-22T03:00:00+00:00"
    # Second checkpoint: resumed on time, runs attempt 2, parks again; the third finishes.
    for _ in range(2):
        clock.advance(2 * 3600)
        outcome = go(
            engine_for(journal, loaded, HoldOperator(), clock, run_id, {"local": executor}), True
        )
    assert outcome.status == RunStatus.completed
    assert [attempt for attempt, _ in executor.seen] == [1, 2, 3]
    history = executor.seen[2][1]
    assert [item["type"] for item in history] == [
        "monitor_sample",
        "run_held",
        "monitor_sample",
        "run_held",
    ]
    assert [item["attempt"] for item in history] == [1, 1, 2, 2]
    (finished,) = of_type(journal.events(run_id), EventType.step_finished, "watch")
    assert finished.attempt == 3 and finished.data["status"] == "succeeded"


def test_a_parked_step_continued_early_runs_at_once(journal: Journal) -> None:
    loaded = load(PARKING_PLAYBOOK)
    run_id = new_run(journal, loaded)
    clock = ManualClock(START)
    executor = CheckpointExecutor()
    operator = HoldOperator([decision("continue", "check now"), decision("continue", "again")])
    outcome = go(engine_for(journal, loaded, operator, clock, run_id, {"local": executor}), False)
    assert outcome.status == RunStatus.completed
    assert [attempt for attempt, _ in executor.seen] == [1, 2, 3]
    assert clock.now() == START  # nobody waited
    continues = of_type(journal.events(run_id), EventType.decision, "watch")
    assert [item.data["reason"] for item in continues] == ["check now", "again"]


# -- rollback triggers -------------------------------------------------------------------------

TRIGGER = {"signal": "error_rate", "value": 12.4, "threshold": "> 10 % for 5m", "t": 360.0}
MONITOR_PLAYBOOK = """
name: triggers
phases:
  - id: p
    title: P
    steps:
      - id: watch
        kind: monitor
        title: Watch
        duration: 1h
        interval: 30s
        on_trigger: {on_trigger}
        retries: 2
        signals:
          - name: q
            command: {{run: "echo 1"}}
            fail: "> 1000"
rollback:
  steps:
    - {{id: undo, kind: note, title: Undo}}
"""


class TriggeredExecutor:
    kind = "monitor"

    def __init__(self) -> None:
        self.calls = 0

    def execute(self, step: StepBase, ctx: ExecContext) -> ExecResult:
        self.calls += 1
        return ExecResult(
            ok=False,
            reason="rollback trigger: error_rate 12.4 % > 10 % for 5m",
            details={"monitor": {"triggered": TRIGGER}},
        )


def test_a_trigger_reaches_on_failure_and_is_not_retried(journal: Journal) -> None:
    loaded = load(MONITOR_PLAYBOOK.format(on_trigger="ask"))
    run_id = new_run(journal, loaded)
    executor = TriggeredExecutor()
    operator = HoldOperator(failures={"watch": [decision("rollback", "trigger fired")]})
    outcome = go(
        engine_for(journal, loaded, operator, ManualClock(START), run_id, {"monitor": executor}),
        False,
    )
    assert executor.calls == 1  # retries: 2 does not apply to a rollback trigger
    (failure,) = operator.failure_seen
    assert failure.trigger == TRIGGER
    assert failure.can_rollback
    assert outcome.status == RunStatus.rolled_back


def test_on_trigger_rollback_starts_the_rollback_unasked(journal: Journal) -> None:
    loaded = load(MONITOR_PLAYBOOK.format(on_trigger="rollback"))
    run_id = new_run(journal, loaded)
    operator = HoldOperator()
    outcome = go(
        engine_for(
            journal, loaded, operator, ManualClock(START), run_id, {"monitor": TriggeredExecutor()}
        ),
        False,
    )
    assert outcome.status == RunStatus.rolled_back
    assert ("failure", "watch") not in operator.asked
    (choice,) = of_type(journal.events(run_id), EventType.decision, "watch")
    assert choice.data["action"] == "rollback"
    assert choice.data["automatic"] is True
    assert choice.data["trigger"] == TRIGGER
    assert choice.data["reason"].startswith("on_trigger: rollback (rollback trigger: error_rate")
    (started,) = of_type(journal.events(run_id), EventType.rollback_started)
    assert started.seq == choice.seq + 1


# -- the journal file ----------------------------------------------------------------------------


def test_an_old_journal_gains_held_until(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = Migrations("deploytui")
    old()(m001_initial)
    database = Database(path)
    old.apply(database)
    database.execute(
        "INSERT INTO runs (id, playbook_name, playbook_version, playbook_path, playbook_sha256, "
        "snapshot, operator, host, status, started_at, updated_at) "
        "VALUES ('r1', 'pb', '1', '/pb.yaml', 'x', 'name: pb', 'ana', 'h', 'waiting', "
        "'2026-11-22T01:00:00+00:00', '2026-11-22T01:00:00+00:00')"
    )
    database.conn.commit()
    database.close()
    with Journal(path) as journal:
        record = journal.run("r1")
        assert record.status == RunStatus.waiting
        assert record.held_until is None
        columns = {row[1] for row in journal.db.execute("PRAGMA table_info(runs)").fetchall()}
        assert "held_until" in columns
