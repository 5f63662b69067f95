"""The window clock: elapsed, remaining estimate, projection against the budget."""

from __future__ import annotations

from datetime import datetime, timedelta

from deploytui.engine.timing import window_status
from deploytui.journal.state import RunState
from deploytui.model.events import Event, EventType
from tests.core_helpers import load

PLAYBOOK = load(
    """
    name: t
    window: {budget: 30m}
    phases:
      - id: p
        title: P
        steps:
          - {id: a, kind: confirm, title: A, estimate: 10m}
          - {id: b, kind: confirm, title: B, estimate: 15m}
    rollback:
      steps:
        - {id: r, kind: confirm, title: R, estimate: 1h}
    """
).playbook
START = datetime.fromisoformat("2026-11-22T01:00:00+00:00")


def state(*done: str) -> RunState:
    result = RunState.empty("x", PLAYBOOK)
    result.apply(Event(run_id="x", seq=1, at=START.isoformat(), type=EventType.run_started))
    for seq, step in enumerate(done, start=2):
        result.apply(
            Event(
                run_id="x",
                seq=seq,
                at="t",
                type=EventType.step_finished,
                step_id=step,
                data={"status": "succeeded"},
            )
        )
    return result


def test_on_track() -> None:
    status = window_status(state(), START + timedelta(minutes=1))
    assert (status.elapsed, status.remaining_estimate, status.budget) == (60, 1500, 1800)
    assert status.projected == 1560 and status.level == "ok"


def test_projection_past_budget_warns() -> None:
    status = window_status(state("a"), START + timedelta(minutes=20))
    assert status.remaining_estimate == 900
    assert status.level == "warning"


def test_budget_spent_is_over() -> None:
    assert window_status(state("a", "b"), START + timedelta(minutes=31)).level == "over"


def test_rollback_counts_only_rollback_steps() -> None:
    rolling = state("a")
    rolling.rolling_back = True
    assert window_status(rolling, START).remaining_estimate == 3600
