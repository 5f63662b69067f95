"""Long output lines wrap in the run screen's output pane (UX.md: long text wraps, never
truncates or runs off to the side), again when the terminal is resized, and short lines are
passed through untouched (the flood path stays a length check per line).

A real run: a ``local`` step prints one long line through the real engine; the pure checks cover
the splitting rules (spaces, wide characters, tabs).
"""

from __future__ import annotations

from pathlib import Path

from rich.cells import cell_len
from textual.widgets import DataTable

from deploytui.journal import Journal
from deploytui.ui.bridge import Ask
from deploytui.ui.screens.help import HelpScreen
from deploytui.ui.widgets.output_pane import WRAP_MARK, OutputPane, split_line, wrap_lines
from tests.ui.helpers import (
    live_app,
    run_screen,
    wait_for,
    wait_question,
    wait_screen,
    write_playbook,
)

WORDS = " ".join(f"word{n:03d}" for n in range(60))  # 479 characters, ends in "word059"
PLAYBOOK = f"""
name: long-lines
version: "1"
phases:
  - id: only
    title: Only
    steps:
      - id: talk
        kind: local
        title: Print one long line
        command: "echo 'BEGIN {WORDS} END'"
      - {{id: close, kind: confirm, title: Close the window}}
"""


def test_split_rules() -> None:
    assert wrap_lines(["short", "also short"], 40) == ["short", "also short"]
    pieces = split_line("a" * 30 + " " + "b" * 50, 40)
    assert pieces[0] == "a" * 30  # broken at the space, not mid-word
    assert all(piece.startswith(WRAP_MARK) for piece in pieces[1:])
    assert "".join(piece.removeprefix(WRAP_MARK) for piece in pieces) == "a" * 30 + "b" * 50
    assert all(len(piece) <= 40 for piece in pieces)
    wide = split_line("日本語" * 10, 10)  # two cells per character
    assert all(cell_len(piece) <= 10 for piece in wide)
    assert "".join(piece.removeprefix(WRAP_MARK) for piece in wide) == "日本語" * 10
    tabs = wrap_lines(["x\ty" * 20], 30)
    assert len(tabs) > 1 and all(cell_len(piece) <= 30 and "\t" not in piece for piece in tabs)
    # Before the first layout there is no width: lines are kept whole, wrapped on resize.
    assert wrap_lines(["z" * 100], 0) == ["z" * 100]


def shown_text(pane: OutputPane) -> str:
    return " ".join(str(line).removeprefix(WRAP_MARK) for line in pane.lines)


async def test_a_long_line_wraps_in_the_pane_and_again_on_resize(
    journal: Journal, tmp_path: Path
) -> None:
    app = live_app(journal, write_playbook(tmp_path, PLAYBOOK), cwd=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_question(pilot, Ask.acknowledge, "close")
        screen = run_screen(app)
        pane = screen.query_one(OutputPane)
        await wait_for(pilot, lambda: any("END" in line for line in pane.raw), "the long line")
        await pilot.pause()
        assert any(line.startswith(f"BEGIN {WORDS}") for line in pane.raw)  # unwrapped copy
        continued = [line for line in pane.lines if str(line).startswith(WRAP_MARK)]
        assert len(continued) >= 4, list(pane.lines)
        assert max(cell_len(str(line)) for line in pane.lines) <= pane.wrap_width
        assert pane.max_scroll_x == 0  # nothing off to the side
        assert "word000" in shown_text(pane) and "word059 END" in shown_text(pane)
        narrow = len(pane.lines)

        await pilot.resize_terminal(200, 40)  # the pane gets much wider
        await wait_for(pilot, lambda: len(pane.lines) < narrow, "the lines wrapped again")
        assert max(cell_len(str(line)) for line in pane.lines) <= pane.wrap_width
        assert pane.max_scroll_x == 0
        assert "word059 END" in shown_text(pane)

        # The help screen says how output wraps and where the full output is.
        await pilot.press("question_mark")
        help_screen = await wait_screen(pilot, HelpScreen)
        table = help_screen.query_one(DataTable)
        rows = [" ".join(map(str, table.get_row_at(n))) for n in range(table.row_count)]
        assert any(row.startswith("↪ a long output line wraps") for row in rows)
        assert any(row.startswith("⚠ note: a problem") for row in rows)
        await pilot.press("escape")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.ended, "the end of the run")
