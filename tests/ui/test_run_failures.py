"""A failing step retried then skipped with a reason; quitting mid-command and resuming to the end.

Real local commands, real engine thread, real journal. The quit happens while a 30-second command
runs, which also shows the keys stay responsive during it.
"""

from __future__ import annotations

from pathlib import Path

from deploytui.journal import Journal
from deploytui.journal.state import RunState
from deploytui.model.events import EventType, RunStatus, StepStatus
from deploytui.playbook.loader import load_playbook
from deploytui.ui.app import DeployApp
from deploytui.ui.bridge import Ask
from deploytui.ui.config import UiConfig
from deploytui.ui.dialogs.common import ConfirmDialog, ReasonDialog
from deploytui.ui.dialogs.decisions import FailureDialog, InterruptedDialog
from deploytui.ui.session import resume_session
from deploytui.ui.widgets.output_pane import OutputPane
from tests.ui.helpers import (
    OPERATOR,
    live_app,
    run_screen,
    type_text,
    wait_exit,
    wait_for,
    wait_question,
    wait_screen,
    write_playbook,
)

FLAKY = """
    name: flaky
    phases:
      - id: main
        title: Main
        steps:
          - id: flaky
            kind: local
            title: A check that keeps failing
            command: echo "connection refused" >&2; exit 3
          - id: after
            kind: confirm
            title: Carry on
"""


def state_of(journal: Journal, run_id: str, path: Path) -> RunState:
    return RunState.from_events(run_id, load_playbook(path).playbook, journal.events(run_id))


async def test_failed_step_retried_then_skipped_with_a_reason(
    journal: Journal, tmp_path: Path
) -> None:
    path = write_playbook(tmp_path, FLAKY)
    app = live_app(journal, path, cwd=tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_question(pilot, Ask.failure, "flaky")
        dialog = await wait_screen(pilot, FailureDialog)
        assert dialog.failure.attempt == 1
        await pilot.press("r")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, FailureDialog) and app.screen.failure.attempt == 2,
            "the second failure",
        )
        await pilot.press("s")
        reason = await wait_screen(pilot, ReasonDialog)
        await pilot.press("enter")  # an empty reason is refused
        assert app.screen is reason
        await type_text(pilot, "checked by hand on the host")
        await pilot.press("enter")
        await wait_question(pilot, Ask.acknowledge, "after")
        assert "connection refused" in "\n".join(run_screen(app).query_one(OutputPane).lines)
        await pilot.press("enter")
        await wait_for(pilot, lambda: run_screen(app).ended, "the run to finish")
        await pilot.press("enter")
        assert await wait_exit(pilot) == 0
    state = state_of(journal, app.session.run_id, path)  # type: ignore[union-attr]
    flaky = state.steps["flaky"]
    assert flaky.status == StepStatus.skipped
    assert flaky.reason == "checked by hand on the host"
    assert flaky.attempts == 2
    assert [item["action"] for item in flaky.decisions] == ["retry", "skip"]
    assert state.status == RunStatus.completed


async def test_quit_mid_command_then_resume_to_completion(journal: Journal, tmp_path: Path) -> None:
    marker = tmp_path / "first-attempt-ran"
    path = write_playbook(
        tmp_path,
        f"""
        name: slow
        phases:
          - id: main
            title: Main
            steps:
              - id: slow
                kind: local
                title: A long migration
                command: >-
                  if [ -f {marker} ]; then echo "second attempt: done";
                  else touch {marker}; echo "first attempt started"; sleep 30; fi
              - id: after
                kind: confirm
                title: Carry on
        """,
    )
    app = live_app(journal, path, cwd=tmp_path)
    run_id = app.session.run_id  # type: ignore[union-attr]
    async with app.run_test(size=(100, 30)) as pilot:
        pane = run_screen(app).query_one(OutputPane)
        await wait_for(pilot, lambda: "first attempt started" in pane.lines, "the command to start")
        await pilot.press("ctrl+q")
        await wait_screen(pilot, ConfirmDialog)
        await pilot.click("#confirm")
        assert await wait_exit(pilot) == 3
    assert journal.run(run_id).status == RunStatus.waiting
    interrupted = [e for e in journal.events(run_id) if e.type == EventType.step_interrupted]
    assert [event.step_id for event in interrupted] == ["slow"]

    session = resume_session(journal, run_id, operator_name=OPERATOR)
    app = DeployApp(
        journal=journal, operator_name=OPERATOR, session=session, config=UiConfig(), cwd=tmp_path
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_question(pilot, Ask.interrupted, "slow")
        await wait_screen(pilot, InterruptedDialog)
        await pilot.press("r")
        await wait_question(pilot, Ask.acknowledge, "after")
        assert "second attempt: done" in run_screen(app).query_one(OutputPane).lines
        await pilot.press("enter")
        await wait_for(pilot, lambda: run_screen(app).ended, "the run to finish")
        await pilot.press("enter")
        assert await wait_exit(pilot) == 0
    state = state_of(journal, run_id, path)
    assert state.status == RunStatus.completed
    assert state.steps["slow"].status == StepStatus.succeeded
    assert state.steps["slow"].attempts == 2


async def test_interrupted_step_marked_done_needs_a_note(journal: Journal, tmp_path: Path) -> None:
    path = write_playbook(
        tmp_path,
        """
        name: slow
        phases:
          - id: main
            title: Main
            steps:
              - id: slow
                kind: local
                title: A long migration
                command: echo "started"; sleep 30
        """,
    )
    app = live_app(journal, path, cwd=tmp_path)
    run_id = app.session.run_id  # type: ignore[union-attr]
    async with app.run_test(size=(100, 30)) as pilot:
        pane = run_screen(app).query_one(OutputPane)
        await wait_for(pilot, lambda: "started" in pane.lines, "the command to start")
        await pilot.press("ctrl+q")
        await wait_screen(pilot, ConfirmDialog)
        await pilot.click("#confirm")
        assert await wait_exit(pilot) == 3

    session = resume_session(journal, run_id, operator_name=OPERATOR)
    app = DeployApp(
        journal=journal, operator_name=OPERATOR, session=session, config=UiConfig(), cwd=tmp_path
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_screen(pilot, InterruptedDialog)
        await pilot.press("d")
        note = await wait_screen(pilot, ReasonDialog)
        await type_text(pilot, "migration log shows it completed")
        await pilot.click("#confirm")
        await wait_for(pilot, lambda: run_screen(app).ended, "the run to finish")
        assert app.screen is not note
        await pilot.press("enter")
        assert await wait_exit(pilot) == 0
    state = state_of(journal, run_id, path)
    assert state.steps["slow"].marked_done
    assert state.steps["slow"].reason == "migration log shows it completed"
