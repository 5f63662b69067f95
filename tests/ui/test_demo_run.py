"""The whole demo driven through the TUI with keys, as an operator would, then reviewed in history.

Real parts: the bundled playbook, its embedded HTTP service, the real engine in a thread worker,
a real SQLite journal. The checkout self-test fails once by design and is retried from the failure
dialog.
"""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, Tree

from deploytui.demo import bundled_playbook
from deploytui.journal import Journal
from deploytui.journal.report import build_report
from deploytui.model.events import RunStatus, StepStatus
from deploytui.ui.bridge import Ask
from deploytui.ui.dialogs.decisions import FailureDialog, GateDialog
from deploytui.ui.dialogs.input_form import InputForm
from deploytui.ui.dialogs.signoff import SignoffDialog
from deploytui.ui.screens.history import HistoryScreen, RunDetailScreen
from tests.ui.helpers import (
    live_app,
    run_screen,
    type_text,
    wait_exit,
    wait_for,
    wait_question,
    wait_screen,
)


async def fill(pilot, answers: list[str]) -> None:  # type: ignore[no-untyped-def]
    await wait_screen(pilot, InputForm)
    for answer in answers:
        await type_text(pilot, answer)
        await pilot.press("enter")


async def test_demo_runs_to_completion_and_shows_in_history(
    journal: Journal, tmp_path: Path
) -> None:
    app = live_app(journal, bundled_playbook(), cwd=tmp_path)
    run_id = app.session.run_id  # type: ignore[union-attr]
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_question(pilot, Ask.acknowledge, "announce")
        await pilot.press("enter")
        await wait_screen(pilot, SignoffDialog)
        await pilot.press("enter")  # the operator's own name is prefilled
        await wait_question(pilot, Ask.inputs, "backup_facts")
        await fill(pilot, ["4.2 GB", "12m"])
        await wait_question(pilot, Ask.inputs, "migration_check")
        await fill(pilot, ["4", "yes"])
        await wait_question(pilot, Ask.failure, "checkout_selftest")
        await wait_screen(pilot, FailureDialog)
        await pilot.press("r")
        await wait_question(pilot, Ask.inputs, "performance")
        await fill(pilot, ["312", "0.4", "YES"])
        await wait_question(pilot, Ask.sign, "qa_signoff")
        await wait_screen(pilot, SignoffDialog)
        await type_text(pilot, "Joe Park")  # four-eyes: the field starts empty for QA
        await pilot.press("enter")
        await wait_question(pilot, Ask.gate, "go_no_go")
        await wait_screen(pilot, GateDialog)
        await pilot.press("enter")  # all conditions hold: Go has the focus
        await wait_question(pilot, Ask.acknowledge, "close_window")
        await pilot.press("enter")
        screen = run_screen(app)
        await wait_for(pilot, lambda: screen.ended, "the run to finish")
        assert "Run completed" in screen.shown.ended

        await pilot.press("h")
        history = await wait_screen(pilot, HistoryScreen)
        table = history.query_one("#runs", DataTable)
        await wait_for(pilot, lambda: table.row_count == 1, "the history table")
        assert table.get_row_at(0)[0] == run_id
        assert "completed" in str(table.get_row_at(0)[2])
        await pilot.press("enter")
        detail = await wait_screen(pilot, RunDetailScreen)
        tree = detail.query_one(Tree)
        await wait_for(pilot, lambda: len(tree.root.children) > 0, "the timeline")
        labels = [str(node.label) for node in _walk(tree.root)]
        assert any("Backup size: 4.2 GB" in label for label in labels)
        assert any("signed by Joe Park as QA" in label for label in labels)
        assert any("2 attempts" in label and "Checkout self-test" in label for label in labels)
        await pilot.press("escape", "escape")
        await wait_for(pilot, lambda: app.screen is screen, "back on the run screen")
        await pilot.press("enter")
        assert await wait_exit(pilot) == 0

    report = build_report(journal, run_id)
    assert report.run.status == RunStatus.completed
    steps = {step.step_id: step for phase in report.phases for step in phase.steps}
    assert all(step.status == StepStatus.succeeded for step in steps.values())
    assert [item["name"] for item in report.signoffs] == ["ana", "Joe Park"]
    assert steps["checkout_selftest"].attempts == 2
    assert {value["field"]: value["display"] for value in report.values}["p95_ms"] == "312 ms"


def _walk(node):  # type: ignore[no-untyped-def]
    for child in node.children:
        yield child
        yield from _walk(child)
