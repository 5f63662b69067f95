"""Tables and the run sidebar fit the terminal: no sideways scrolling, nothing cut silently.

``fit_columns`` is checked on its own (which columns go first, when the flexible one wraps), then
the real Home screen on a real journal at 80×24 and 120×40 (resized in place), and the real run
screen's sidebar at 120×40, where step titles must use the room instead of ending in "…".
"""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable

from deploytui.ui.screens.home import HomeScreen
from deploytui.ui.widgets.fitted_table import Col, FittedTable, fit_columns
from deploytui.ui.widgets.phase_list import PhaseList
from tests.ui.helpers import run_screen, wait_for
from tests.ui.scenes import RawRun
from tests.ui.shots import SHOTS, build, home

COLUMNS = [Col("id"), Col("title", flex=True), Col("when", drop=1), Col("who", drop=2)]
NATURAL = [8, 30, 16, 8]  # each shown column costs 2 more (padding)


def test_everything_shows_when_it_fits() -> None:
    assert fit_columns(COLUMNS, NATURAL, room=70, padding=2) == ([0, 1, 2, 3], {}, True)


def test_least_important_columns_go_first() -> None:
    # 70 needed with all four; without "who" (drop=2) 60 is enough.
    assert fit_columns(COLUMNS, NATURAL, room=60, padding=2) == ([0, 1, 2], {}, True)
    assert fit_columns(COLUMNS, NATURAL, room=42, padding=2) == ([0, 1], {}, True)


def test_the_flexible_column_wraps_once_nothing_else_can_go() -> None:
    shown, wrap, fits = fit_columns(COLUMNS, NATURAL, room=30, padding=2)
    assert (shown, fits) == ([0, 1], True)
    assert wrap == {1: 30 - 10 - 2}  # what the id column leaves, minus the title's padding


def test_ids_are_never_dropped_even_when_nothing_fits() -> None:
    shown, wrap, fits = fit_columns(COLUMNS, NATURAL, room=12, padding=2)
    assert 0 in shown and wrap == {} and fits is False


def headers(table: DataTable) -> list[str]:  # type: ignore[type-arg]
    return [str(column.label) for column in table.ordered_columns]


async def test_home_at_80_columns_drops_columns_instead_of_scrolling(
    raw_demo: RawRun, tmp_path: Path
) -> None:
    shot = next(shot for shot in SHOTS if shot.name == "home_80x24")
    app = build(shot, raw_demo, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await home(pilot)
        screen = app.screen
        assert isinstance(screen, HomeScreen)
        recent = screen.query_one("#recent", FittedTable)
        resumable = screen.query_one("#resumable", FittedTable)
        playbooks = screen.query_one("#playbooks", FittedTable)
        assert "operator" not in headers(recent)
        assert "since" not in headers(resumable)
        assert "file" not in headers(playbooks)
        for table in (recent, resumable, playbooks):
            assert not table.show_horizontal_scrollbar, table.id
            assert table.virtual_size.width <= table.scrollable_content_region.width, table.id
        assert [str(recent.get_row_at(row)[0]) for row in range(recent.row_count)] == [
            "7f3a21c4",
            "5d21f8a0",
            "3c9e0b71",
        ]
        assert str(resumable.get_row_at(0)[3]) == "Apply the 7.0 schema migration"

        await pilot.resize_terminal(120, 40)
        await wait_for(pilot, lambda: "operator" in headers(recent), "the operator column")
        assert "since" in headers(resumable)
        assert "file" in headers(playbooks)


async def test_run_sidebar_grows_and_step_titles_wrap_at_120x40(
    raw_demo: RawRun, tmp_path: Path
) -> None:
    shot = next(shot for shot in SHOTS if shot.name == "run_120x40")
    app = build(shot, raw_demo, tmp_path)
    async with app.run_test(size=shot.size) as pilot:
        await shot.before(pilot)
        sidebar = run_screen(app).query_one(PhaseList)
        assert sidebar.outer_size.width > 34  # it was a fixed 34 columns at every size
        text = str(sidebar.render())
        assert "…" not in text
        assert "Watch the error log for a moment" in text
        assert "stakeholders" in text
