"""History: filtering runs by status and playbook, and exporting a run's report from its detail."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, Input, Select, Tree

from deploytui.journal import Journal
from deploytui.ui.app import DeployApp
from deploytui.ui.config import UiConfig
from deploytui.ui.dialogs.export import ExportDialog
from deploytui.ui.screens.history import HistoryScreen, RunDetailScreen
from tests.ui.helpers import OPERATOR, wait_for, wait_screen
from tests.ui.scenes import RawRun, history_journal


async def test_filter_by_status_then_export_a_run(raw_demo: RawRun, tmp_path: Path) -> None:
    history_journal(raw_demo, tmp_path / "journal.db")
    with Journal(tmp_path / "journal.db") as journal:
        app = DeployApp(journal=journal, operator_name=OPERATOR, config=UiConfig(), cwd=tmp_path)
        async with app.run_test(size=(100, 30)) as pilot:
            app.action_history()
            history = await wait_screen(pilot, HistoryScreen)
            table = history.query_one("#runs", DataTable)
            await wait_for(pilot, lambda: table.row_count == 4, "all runs")
            history.query_one("#filter-status", Select).value = "aborted"
            await wait_for(pilot, lambda: table.row_count == 1, "the aborted run")
            assert table.get_row_at(0)[0] == "3c9e0b71"
            history.query_one("#filter-status", Select).clear()
            history.query_one("#filter-playbook", Select).value = "shop-release-demo"
            await wait_for(pilot, lambda: table.row_count == 4, "the demo's runs")

            table.focus()
            await pilot.press("enter")
            detail = await wait_screen(pilot, RunDetailScreen)
            tree = detail.query_one(Tree)
            await wait_for(pilot, lambda: len(tree.root.children) > 0, "the timeline")
            await pilot.press("e")
            dialog = await wait_screen(pilot, ExportDialog)
            await pilot.click("#html")
            assert dialog.query_one("#export-path", Input).value.endswith("7f3a21c4.html")
            await pilot.press("ctrl+s")
            target = tmp_path / "deploytui-7f3a21c4.html"
            await wait_for(pilot, target.exists, "the exported file")
    text = target.read_text(encoding="utf-8")
    assert "<html" in text.lower()
    assert "7f3a21c4" in text
