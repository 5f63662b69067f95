"""What the run screen's panels say: the window clock's warnings, per-host results, phase states.

Pure functions over real model objects (the bundled demo playbook, a RunState built from events);
no app needed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from deploytui.demo import bundled_playbook
from deploytui.engine.operator import StepView
from deploytui.journal.state import RunState
from deploytui.model.events import Event, EventType, StepStatus
from deploytui.playbook import load_playbook
from deploytui.ui.widgets.phase_list import phase_status, plain_title
from deploytui.ui.widgets.status_bar import window_text
from deploytui.ui.widgets.step_panel import StepShown, reflow, step_markup

START = datetime(2026, 3, 14, 1, 0, tzinfo=UTC)


def started_state() -> RunState:
    playbook = load_playbook(bundled_playbook()).playbook
    event = Event(
        run_id="r", seq=1, at=START.isoformat(), type=EventType.run_started, data={"operator": "a"}
    )
    return RunState.from_events("r", playbook, [event])


def test_window_clock_warns_in_words_not_only_colour() -> None:
    state = started_state()  # budget 45m, estimates of what is left: about 15m
    clock, detail = window_text(state, START + timedelta(minutes=10))
    assert "⚠" not in clock and "budget left 35m" in detail
    clock, _ = window_text(state, START + timedelta(minutes=35))
    assert "⚠" in clock and "past budget" in clock and "$warning" in clock
    clock, detail = window_text(state, START + timedelta(minutes=50))
    assert "over budget" in clock and "$error" in clock
    assert "5m over budget" in detail


def test_step_panel_lists_per_host_results() -> None:
    view = StepView(
        step_id="migrate",
        kind="ssh",
        phase_id="p",
        phase_title="Migration",
        index=1,
        total=1,
        title="Run the migration",
        description="",
        action="$ npm run migrate",
        where="db group (2 hosts)",
    )
    shown = StepShown(
        view=view,
        status=StepStatus.failed,
        result={
            "status": "failed",
            "reason": "1 of 2 hosts failed",
            "details": {
                "hosts": [
                    {"host": "db-1", "ok": True, "exit_code": 0, "duration": 2.0},
                    {"host": "db-2", "ok": False, "exit_code": 1, "reason": "index exists"},
                ]
            },
        },
    )
    text = step_markup(shown)
    assert "db-1[/b]  exit 0 · 2s" in text
    assert "db-2[/b]  exit 1 · index exists" in text
    assert "failed: 1 of 2 hosts failed" in text
    assert "$ npm run migrate" in text and "db group (2 hosts)" in text


def test_phase_status_and_titles() -> None:
    assert phase_status([StepStatus.succeeded, StepStatus.skipped]) == StepStatus.succeeded
    assert phase_status([StepStatus.succeeded, StepStatus.pending]) == StepStatus.running
    assert phase_status([StepStatus.pending, StepStatus.failed]) == StepStatus.failed
    assert phase_status([StepStatus.skipped]) == StepStatus.skipped
    assert plain_title("Deploy {{ vars.release }}", {"release": "7.0.0"}) == "Deploy 7.0.0"
    assert reflow("one\ntwo\n\nthree") == "one two\nthree"
