"""The rollback row says "ready" only while the run can still go on: once the run completed it
reads "not needed", once it failed or was aborted without a rollback "not run", in the run
screen's phase list and in the history's run detail alike.

A real run of a small playbook through the real engine (its rollback step is a real ``local``
command that never runs); the pure checks build a RunState from journal-shaped events.
"""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Tree

from deploytui.journal import Journal
from deploytui.journal.state import RunState
from deploytui.model.events import Event, EventType, RunStatus
from deploytui.model.playbook import ROLLBACK_PHASE_ID
from deploytui.playbook import load_playbook
from deploytui.ui.bridge import Ask
from deploytui.ui.screens.history import HistoryScreen, RunDetailScreen
from deploytui.ui.widgets.phase_list import PhaseList, PhaseStrip, phase_rows
from tests.ui.helpers import (
    live_app,
    run_screen,
    wait_for,
    wait_question,
    wait_screen,
    write_playbook,
)
from tests.ui.test_notify_ui import tree_text

PLAYBOOK = """
name: with-rollback
version: "1"
phases:
  - id: only
    title: Only
    steps:
      - {id: close, kind: confirm, title: Close the window}
rollback:
  title: Rollback
  estimate: 5m
  steps:
    - {id: undo, kind: local, title: Undo it, command: "true"}
"""


def rollback_timing(path: Path, *statuses: RunStatus | None) -> list[str]:
    """The rollback row's right-hand text after a run started, then finished as each status."""
    playbook = load_playbook(path).playbook
    shown = []
    for status in statuses:
        events = [
            Event(run_id="r", seq=1, at="2026-11-22T01:00:00+00:00", type=EventType.run_started)
        ]
        if status is not None:
            events.append(
                Event(
                    run_id="r",
                    seq=2,
                    at="2026-11-22T01:10:00+00:00",
                    type=EventType.run_finished,
                    data={"status": status.value},
                )
            )
        state = RunState.from_events("r", playbook, events)
        (row,) = [row for row in phase_rows(state, None) if row[0] == ROLLBACK_PHASE_ID]
        shown.append(row[3])
    return shown


def test_rollback_row_follows_how_the_run_ended(tmp_path: Path) -> None:
    path = write_playbook(tmp_path, PLAYBOOK)
    assert rollback_timing(
        path, None, RunStatus.completed, RunStatus.aborted, RunStatus.failed
    ) == ["ready", "not needed", "not run", "not run"]


async def test_after_completion_rollback_reads_not_needed_here_and_in_history(
    journal: Journal, tmp_path: Path
) -> None:
    app = live_app(journal, write_playbook(tmp_path, PLAYBOOK), cwd=tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_question(pilot, Ask.acknowledge, "close")
        screen = run_screen(app)
        phases = screen.query_one(PhaseList)
        assert phases._rows[-1][3] == "ready"  # the way back is there while the run goes on
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.ended, "the end of the run")
        await pilot.pause()
        (rollback,) = [row for row in phases._rows if row[0] == ROLLBACK_PHASE_ID]
        assert rollback[3] == "not needed"
        assert "ready" not in str(phases.render())
        assert "ready" not in str(screen.query_one(PhaseStrip).render())

        await pilot.press("h")
        history = await wait_screen(pilot, HistoryScreen)
        runs = history.query_one("#runs")
        await wait_for(pilot, lambda: runs.row_count == 1, "the run in history")  # type: ignore[attr-defined]
        await pilot.press("enter")
        detail = await wait_screen(pilot, RunDetailScreen)
        tree = detail.query_one(Tree)
        await wait_for(pilot, lambda: "Rollback" in tree_text(tree), "the timeline")
        assert "Rollback: not needed" in tree_text(tree)
