"""Holds in the TUI: the hold dialog (wait with a live countdown, continue now, leave parked) and
a parked run shown as "waiting until 03:00" on home, in the resume picker and in history.

The real engine runs the hold on a ``GatedClock`` (tests/ui/helpers.py): time only moves as far
as the test allows, so the countdown is checked mid-wait without sleeping.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from textual.widgets import DataTable, Static

from deploytui.engine.runner import start_run
from deploytui.journal import Journal
from deploytui.model.events import EventType, RunStatus
from deploytui.playbook import load_playbook
from deploytui.ui.app import DeployApp
from deploytui.ui.config import UiConfig
from deploytui.ui.dialogs.common import ConfirmDialog, ReasonDialog
from deploytui.ui.dialogs.hold import HoldDialog
from deploytui.ui.screens.history import HistoryScreen
from deploytui.ui.screens.home import HomeScreen
from deploytui.ui.screens.resume import ResumePicker
from deploytui.ui.session import RunSession
from deploytui.ui.widgets.step_panel import StepPanel
from tests.ui.helpers import (
    GatedClock,
    run_screen,
    type_text,
    wait_exit,
    wait_for,
    wait_screen,
    write_playbook,
)

START = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)

PLAYBOOK = """
name: hold-test
version: "1"
phases:
  - id: overnight
    title: Overnight
    steps:
      - id: peak
        kind: hold
        title: Wait for the morning traffic peak
        for: 2h
      - id: close
        kind: confirm
        title: Close the window
"""


def hold_app(tmp_path: Path, clock: GatedClock) -> tuple[DeployApp, Journal, str]:
    path = write_playbook(tmp_path, PLAYBOOK)
    loaded = load_playbook(path)
    journal = Journal(tmp_path / "journal.db", clock=lambda: clock.now().isoformat())
    run_id = start_run(journal, loaded, operator_name="ana")
    session = RunSession(
        journal=journal, loaded=loaded, run_id=run_id, operator_name="ana", clock=clock
    )
    app = DeployApp(
        journal=journal,
        operator_name="ana",
        session=session,
        clock=clock.now,
        config=UiConfig(),
        cwd=tmp_path,
    )
    return app, journal, run_id


def text_of(widget: Static) -> str:
    return str(widget.render())


def step_text(app: DeployApp) -> str:
    return text_of(run_screen(app).query_one("#step-body", Static))


def column(table: DataTable, index: int) -> list[str]:  # type: ignore[type-arg]
    return [str(table.get_row_at(row)[index]) for row in range(table.row_count)]


async def test_wait_counts_down_can_stop_waiting_then_leave_parked(tmp_path: Path) -> None:
    clock = GatedClock(START)
    app, journal, run_id = hold_app(tmp_path, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        dialog = await wait_screen(pilot, HoldDialog)
        assert "until 03:00" in text_of(dialog.query_one("Static.message", Static))
        assert text_of(dialog.query_one("#hold-left", Static)) == "⏳ 2h 00m 00s left"
        assert dialog.focused is not None and dialog.focused.id == "wait"

        # Wait here: the engine waits on its clock; the step panel counts down as time passes.
        await pilot.press("w")
        await wait_for(
            pilot, lambda: "2h 00m 00s left" in step_text(app), "the countdown in the panel"
        )
        assert "⏳ waiting until 03:00" in step_text(app)
        clock.allow(600)
        await wait_for(pilot, lambda: "1h 50m 00s left" in step_text(app), "the countdown")

        # c stops waiting (asks first); the engine asks again.
        await pilot.press("c")
        confirm = await wait_screen(pilot, ConfirmDialog)
        assert "Stop waiting" in str(confirm.dialog_title)
        await pilot.click("#confirm")
        again = await wait_screen(pilot, HoldDialog)
        assert text_of(again.query_one("#hold-left", Static)) == "⏳ 1h 50m 00s left"

        # Leave it parked: the run stops, waiting, and the app goes (exit code 3 = waiting).
        await pilot.press("l")
        code = await wait_exit(pilot)
    assert code == 3
    record = journal.run(run_id)
    assert record.status == RunStatus.waiting
    assert record.held_until is not None and record.held_until.startswith("2026-11-22T03:00")
    events = journal.events(run_id, include_output=False)
    decisions = [event.data["action"] for event in events if event.type == EventType.decision]
    assert decisions == ["wait"]
    assert any(event.type == EventType.run_held for event in events)

    # Home, the resume picker and history show the parked run as waiting until 03:00.
    home = DeployApp(
        journal=journal, operator_name="ana", config=UiConfig(), cwd=tmp_path, clock=clock.now
    )
    async with home.run_test(size=(100, 30)) as pilot:
        screen = await wait_screen(pilot, HomeScreen)
        resumable = screen.query_one("#resumable", DataTable)
        await wait_for(pilot, lambda: column(resumable, 0) == [run_id], "the parked run")
        assert column(resumable, 2) == ["⏳ waiting until 03:00"]
        await pilot.press("u")
        picker = await wait_screen(pilot, ResumePicker)
        table = picker.query_one(DataTable)
        await wait_for(pilot, lambda: table.row_count == 1, "the picker's row")
        assert column(table, 2) == ["⏳ waiting until 03:00"]
        await pilot.press("escape")
        await wait_screen(pilot, HomeScreen)
        await pilot.press("h")
        history = await wait_screen(pilot, HistoryScreen)
        runs = history.query_one("#runs", DataTable)
        await wait_for(pilot, lambda: runs.row_count == 1, "the history row")
        assert column(runs, 2) == ["⏳ waiting until 03:00"]
    journal.close()


async def test_continue_now_needs_a_reason(tmp_path: Path) -> None:
    clock = GatedClock(START)
    app, journal, run_id = hold_app(tmp_path, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_screen(pilot, HoldDialog)
        await pilot.press("n")
        reason = await wait_screen(pilot, ReasonDialog)
        await pilot.press("enter")  # empty: refused, the dialog stays
        assert isinstance(app.screen, ReasonDialog)
        assert "required" in text_of(reason.query_one("#reason-error", Static))
        await type_text(pilot, "peak came early")
        await pilot.press("enter")
        screen = run_screen(app)
        await wait_for(
            pilot,
            lambda: screen.pending is not None and screen.pending.step.id == "close",
            "the next step",
        )
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.ended, "the end of the run")
        await pilot.press("enter")
        assert await wait_exit(pilot) == 0
    events = journal.events(run_id, include_output=False)
    decision = next(event for event in events if event.type == EventType.decision)
    assert decision.data["action"] == "continue"
    assert decision.data["reason"] == "peak came early"
    journal.close()


async def test_waiting_until_the_time_goes_on_by_itself(tmp_path: Path) -> None:
    clock = GatedClock(START)
    app, journal, run_id = hold_app(tmp_path, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_screen(pilot, HoldDialog)
        await pilot.press("w")
        screen = run_screen(app)
        await wait_for(pilot, lambda: screen.waiting_until is not None, "the wait")
        clock.allow(2 * 3600)
        await wait_for(
            pilot,
            lambda: screen.pending is not None and screen.pending.step.id == "close",
            "the next step after the hold",
        )
        assert "waiting until" not in step_text(app)
        panel = run_screen(app).query_one(StepPanel)
        assert panel.border_title and "step 2 of 2" in str(panel.border_title)
    steps = journal.events(run_id, include_output=False)
    finished = [e for e in steps if e.type == EventType.step_finished and e.step_id == "peak"]
    assert finished and finished[0].data["status"] == "succeeded"
    journal.close()


def test_a_closing_ui_leaves_a_hold_parked() -> None:
    """Quitting answers every pending question 'stop': at a hold that means leave it parked."""
    from deploytui.engine.operator import StepView
    from deploytui.model.events import DecisionAction
    from deploytui.model.hold_step import HoldStep
    from deploytui.ui.bridge import Feed, UiOperator

    step = HoldStep.model_validate(
        {"id": "peak", "kind": "hold", "title": "Wait", "until": "04:00"}
    )
    view = StepView(
        step_id="peak",
        kind="hold",
        phase_id="p",
        phase_title="P",
        index=1,
        total=1,
        title="Wait",
        description="",
    )
    operator = UiOperator(Feed())
    operator.close()
    decision = operator.on_hold(step, view, START)
    assert decision.action == DecisionAction.stop
