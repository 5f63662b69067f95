"""History of a large journal: the first page of runs appears at once, the next as the cursor
nears the end of what is loaded, and the title says when there are more runs than shown."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable

from deploytui.journal import Journal
from deploytui.ui.app import DeployApp
from deploytui.ui.config import UiConfig
from deploytui.ui.screens.history import PAGE, HistoryScreen
from tests.ui.helpers import OPERATOR, wait_for, wait_screen

EXTRA = 15


def many_runs(journal: Journal, count: int) -> list[str]:
    """``count`` runs written through the public API, oldest first (ids r0000, r0001...)."""
    ids = []
    for number in range(count):
        run_id = f"r{number:04d}"
        journal.create_run(
            run_id=run_id,
            playbook_name="paged",
            playbook_version="1",
            playbook_path="paged.yaml",
            playbook_sha256="0" * 64,
            snapshot="name: paged\n",
            operator=OPERATOR,
            host="bench",
            data={},
        )
        ids.append(run_id)
    return ids


async def test_runs_load_a_page_at_a_time(tmp_path: Path) -> None:
    # Every run gets its own start time from a clock that moves a second per call.
    ticks = iter(range(1_000_000))
    with Journal(tmp_path / "journal.db", clock=lambda: _moment(next(ticks))) as journal:
        ids = many_runs(journal, PAGE + EXTRA)
    with Journal(tmp_path / "journal.db") as journal:
        app = DeployApp(journal=journal, operator_name=OPERATOR, config=UiConfig(), cwd=tmp_path)
        async with app.run_test(size=(100, 30)) as pilot:
            app.action_history()
            history = await wait_screen(pilot, HistoryScreen)
            table = history.query_one("#runs", DataTable)
            await wait_for(pilot, lambda: table.row_count == PAGE, "the first page")
            assert table.border_title is not None
            assert "more as you scroll" in str(table.border_title)
            # Newest first: the first page holds the latest runs, not the oldest.
            assert table.get_row_at(0)[0] == ids[-1]
            assert table.get_row_at(PAGE - 1)[0] == ids[EXTRA]

            table.focus()
            await pilot.press("ctrl+end")
            await wait_for(pilot, lambda: table.row_count == PAGE + EXTRA, "the next page")
            assert table.get_row_at(PAGE + EXTRA - 1)[0] == ids[0]
            assert str(table.border_title) == f"{PAGE + EXTRA} runs"
            # The cursor stayed where the operator put it.
            assert table.cursor_row >= PAGE - 1


def _moment(tick: int) -> str:
    hours, rest = divmod(tick, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"2026-01-{1 + hours // 24:02d}T{hours % 24:02d}:{minutes:02d}:{seconds:02d}.000+00:00"
