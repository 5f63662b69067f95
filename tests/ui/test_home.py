"""Home: what can be resumed, what finished recently, which playbooks are at hand; start and resume.

The journal holds real demo runs (see scenes.py); resuming and starting use the real engine and
the real demo service.
"""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable

from deploytui.demo import bundled_playbook
from deploytui.journal import Journal
from deploytui.model.events import RunStatus
from deploytui.ui.app import DeployApp
from deploytui.ui.bridge import Ask
from deploytui.ui.config import UiConfig
from deploytui.ui.dialogs.common import ConfirmDialog
from deploytui.ui.dialogs.decisions import InterruptedDialog
from deploytui.ui.screens.home import HomeScreen
from deploytui.ui.screens.resume import ResumePicker
from tests.ui.helpers import OPERATOR, wait_exit, wait_for, wait_question, wait_screen
from tests.ui.scenes import RawRun, history_journal


def home_app(journal: Journal, cwd: Path) -> DeployApp:
    return DeployApp(journal=journal, operator_name=OPERATOR, config=UiConfig(), cwd=cwd)


def column(table: DataTable, index: int) -> list[str]:  # type: ignore[type-arg]
    return [str(table.get_row_at(row)[index]) for row in range(table.row_count)]


async def test_home_lists_runs_and_playbooks(raw_demo: RawRun, tmp_path: Path) -> None:
    history_journal(raw_demo, tmp_path / "journal.db")
    (tmp_path / "playbooks").mkdir()
    (tmp_path / "playbooks" / "broken.yaml").write_text("name: broken\nphases: []\n")
    with Journal(tmp_path / "journal.db") as journal:
        app = home_app(journal, tmp_path)
        async with app.run_test(size=(100, 30)) as pilot:
            home = await wait_screen(pilot, HomeScreen)
            playbooks = home.query_one("#playbooks", DataTable)
            await wait_for(pilot, lambda: playbooks.row_count == 2, "the playbooks")
            assert column(home.query_one("#resumable", DataTable), 0) == ["8b4417ce"]
            assert column(home.query_one("#recent", DataTable), 0) == [
                "7f3a21c4",
                "5d21f8a0",
                "3c9e0b71",
            ]
            assert column(playbooks, 0) == ["shop-release-demo v7.0", "broken.yaml"]
            assert "✗" in column(playbooks, 1)[1]
            assert column(playbooks, 2) == ["bundled demo", "playbooks/broken.yaml"]


async def test_resume_from_home_asks_about_the_interrupted_step(
    raw_demo: RawRun, tmp_path: Path
) -> None:
    history_journal(raw_demo, tmp_path / "journal.db")
    with Journal(tmp_path / "journal.db") as journal:
        app = home_app(journal, tmp_path)
        async with app.run_test(size=(100, 30)) as pilot:
            home = await wait_screen(pilot, HomeScreen)
            table = home.query_one("#resumable", DataTable)
            await wait_for(pilot, lambda: len(home.resumable) == 1, "the resumable run")
            table.focus()
            await pilot.press("enter")
            dialog = await wait_screen(pilot, InterruptedDialog)
            assert dialog.view.step_id == "run_migration"
            await pilot.press("ctrl+q")
            await wait_screen(pilot, ConfirmDialog)
            await pilot.click("#confirm")
            assert await wait_exit(pilot) == 3
        assert journal.run("8b4417ce").status == RunStatus.waiting


async def test_start_the_demo_from_home_and_quit(journal: Journal, tmp_path: Path) -> None:
    app = home_app(journal, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_screen(pilot, HomeScreen)
        await pilot.press("d")
        await wait_screen(pilot, ConfirmDialog)
        await pilot.click("#confirm")
        await wait_question(pilot, Ask.acknowledge, "announce")
        await pilot.press("ctrl+q")
        await wait_screen(pilot, ConfirmDialog)
        await pilot.click("#confirm")
        assert await wait_exit(pilot) == 3
    (record,) = journal.runs()
    assert record.playbook_path == str(bundled_playbook().resolve())
    assert record.status == RunStatus.waiting


async def test_resume_picker_lists_where_runs_stopped(raw_demo: RawRun, tmp_path: Path) -> None:
    history_journal(raw_demo, tmp_path / "journal.db")
    with Journal(tmp_path / "journal.db") as journal:
        app = home_app(journal, tmp_path)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_screen(pilot, HomeScreen)
            await pilot.press("u")
            picker = await wait_screen(pilot, ResumePicker)
            table = picker.query_one(DataTable)
            await wait_for(pilot, lambda: table.row_count == 1, "the picker rows")
            assert column(table, 3) == ["Apply the 7.0 schema migration"]
            detail = str(picker.query_one("#resume-detail").render())
            assert "reason: stopped by the operator (quit)" in detail
            assert "on resume you choose to re-run it or mark it done" in detail


async def test_command_palette_offers_the_main_actions(journal: Journal, tmp_path: Path) -> None:
    from textual.command import CommandPalette
    from textual.widgets import OptionList

    from deploytui.ui.screens.history import HistoryScreen
    from tests.ui.helpers import type_text

    app = home_app(journal, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_screen(pilot, HomeScreen)
        await pilot.press("ctrl+p")
        await wait_screen(pilot, CommandPalette)
        await type_text(pilot, "History")
        results = app.screen.query_one(OptionList)
        await wait_for(pilot, lambda: results.option_count > 0, "the palette's matches")
        assert "History" in str(results.get_option_at_index(0).prompt)
        await pilot.press("enter")
        await wait_screen(pilot, HistoryScreen)


def test_resuming_a_demo_run_gets_a_service_where_the_run_left_it(
    raw_demo: RawRun, tmp_path: Path
) -> None:
    """The UI resumes a demo run on a fresh demo service replayed from the journal, as the CLI does:
    already deployed at 7.0.0 and warmed up, so later checks pass as they would have."""
    import httpx

    from deploytui.ui.session import resume_session

    history_journal(raw_demo, tmp_path / "journal.db")
    with Journal(tmp_path / "journal.db") as journal:
        session = resume_session(journal, "7f3a21c4", operator_name=OPERATOR)
        try:
            url = session.loaded.playbook.variables["demo_url"]
            assert httpx.get(f"{url}/api/version").json() == {"version": "7.0.0"}
            assert httpx.get(f"{url}/api/checkout/selftest").status_code == 200
        finally:
            session.close()
        assert len(session.cleanups) == 0
