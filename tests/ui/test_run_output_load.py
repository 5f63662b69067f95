"""The run screen under a flood of output: draining output alone redraws the output pane, not
the footer or the panels (rebuilding those 20 times a second made every key press wait)."""

from __future__ import annotations

from pathlib import Path

from deploytui.engine.runner import OutputLine
from deploytui.journal import Journal
from deploytui.ui.bridge import Ask
from deploytui.ui.screens.run import RunScreen
from deploytui.ui.widgets.output_pane import OutputPane
from deploytui.ui.widgets.phase_list import PhaseList
from deploytui.ui.widgets.status_bar import StatusBar
from deploytui.ui.widgets.step_panel import StepPanel
from tests.ui.helpers import live_app, run_screen, wait_for, wait_question, write_playbook

PLAYBOOK = """
name: output-load
version: "1"
phases:
  - id: only
    title: Only
    steps:
      - id: ready
        kind: confirm
        title: Ready
"""
BATCHES = 30


async def test_output_batches_leave_footer_and_panels_alone(
    journal: Journal, tmp_path: Path
) -> None:
    app = live_app(journal, write_playbook(tmp_path, PLAYBOOK), cwd=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_question(pilot, Ask.acknowledge, "ready")
        screen: RunScreen = run_screen(app)
        # A stopped clock: the once-a-second tick then has nothing new to draw either.
        stopped = app.clock()
        app.clock = lambda: stopped
        await pilot.pause(1.5)
        footer_refreshes: list[object] = []
        screen.bindings_updated_signal.subscribe(app, footer_refreshes.append)
        panels = [screen.query_one(kind) for kind in (StatusBar, PhaseList, StepPanel)]
        renders = {id(panel): 0 for panel in panels}
        for panel in panels:
            original = panel.refresh

            def counted(*args: object, _panel: object = panel, _original=original, **kw: object):
                renders[id(_panel)] += 1
                return _original(*args, **kw)

            panel.refresh = counted  # type: ignore[method-assign]
        pane = screen.query_one(OutputPane)
        before = pane.total_lines
        for batch in range(BATCHES):
            for number in range(20):
                screen.session.feed.put(
                    OutputLine(
                        step_id="ready", attempt=1, stream="stdout", text=f"{batch}.{number}"
                    )
                )
            expected = before + 20 * (batch + 1)
            await wait_for(
                pilot, lambda total=expected: pane.total_lines == total, f"batch {batch}"
            )
        assert pane.total_lines == before + 20 * BATCHES
        assert footer_refreshes == []
        assert renders == {id(panel): 0 for panel in panels}
        # The question is still there to answer, and answering still updates the footer.
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.ended, "the run to end")
        await wait_for(pilot, lambda: footer_refreshes != [], "the footer to follow the run")
