"""The UI never blocks: a 100,000-line output streams in batches while keys keep working.

The output pane stays bounded (the journal keeps every line), and help opens and closes while the
command is still printing. Nothing here measures time; it checks the UI answered a key before the
flood ended and that memory use of the pane is capped.
"""

from __future__ import annotations

from pathlib import Path

from deploytui.journal import Journal
from deploytui.ui.bridge import Ask
from deploytui.ui.screens.help import HelpScreen
from deploytui.ui.screens.run import RunScreen
from deploytui.ui.widgets.output_pane import MAX_LINES, OutputPane
from tests.ui.helpers import live_app, run_screen, wait_for, wait_question, write_playbook

LINES = 100_000


async def test_flood_of_output_keeps_keys_responsive_and_pane_bounded(
    journal: Journal, tmp_path: Path
) -> None:
    gate = tmp_path / "release"
    path = write_playbook(
        tmp_path,
        f"""
        name: flood
        phases:
          - id: main
            title: Main
            steps:
              - id: flood
                kind: local
                title: Print a lot
                command: >-
                  seq 1 {LINES // 2};
                  while [ ! -f {gate} ]; do sleep 0.05; done;
                  seq {LINES // 2 + 1} {LINES}
              - id: after
                kind: confirm
                title: Carry on
        """,
    )
    app = live_app(journal, path, cwd=tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = run_screen(app)
        pane = screen.query_one(OutputPane)
        await wait_for(pilot, lambda: pane.total_lines >= LINES // 2, "the first half")
        # The command is still running (it waits for the gate file): keys must work now.
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "help to open")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen), "help to close")
        assert screen.pending is None  # still running: the flood has not finished
        gate.touch()
        await wait_question(pilot, Ask.acknowledge, "after")
        assert pane.line_count <= MAX_LINES
        assert pane.lines[-1] == str(LINES)
    output = journal.output(app.session.run_id, "flood")  # type: ignore[union-attr]
    assert len(output) == LINES
    assert output[-1] == str(LINES)
