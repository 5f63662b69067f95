"""Notifications in the TUI: a notify step's panel (channels, masked message), the quiet line per
delivery in the run screen, and the deliveries in the history timeline.

A real run against a real webhook receiver on loopback (the ``webhook_receiver`` fixture); a
second channel points at a closed port, so one delivery really fails.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from textual.widgets import Static, Tree

from deploytui.journal import Journal
from deploytui.playbook import load_playbook
from deploytui.ui.app import DeployApp
from deploytui.ui.bridge import Ask
from deploytui.ui.config import UiConfig
from deploytui.ui.screens.history import HistoryScreen, RunDetailScreen
from deploytui.ui.session import RunSession
from deploytui.ui.widgets.output_pane import OutputPane
from tests.ui.helpers import run_screen, wait_for, wait_question, wait_screen, write_playbook

SECRET = "s3cr3t-t0ken-42"

PLAYBOOK = """
name: notify-test
version: "1"
secrets: [hook_token]
notifications:
  timeout: 1s
  give_up_after: 2s
  channels:
    ops: {{url: "{ok_url}/hook/{{{{ secrets.hook_token }}}}", format: slack}}
    audit: {{url: "{bad_url}/hook", format: generic}}
phases:
  - id: deploy
    title: Deploy
    steps:
      - id: announce
        kind: notify
        title: Announce the deployment
        channels: [ops, audit]
        message: "Deploying now (token {{{{ secrets.hook_token }}}})"
      - id: close
        kind: confirm
        title: Close the window
"""


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tree_text(tree: Tree[Any]) -> str:
    lines = []

    def walk(node: Any) -> None:
        for child in node.children:
            lines.append(str(child.label))
            walk(child)

    walk(tree.root)
    return "\n".join(lines)


async def test_notify_panel_lines_and_history(tmp_path: Path, webhook_receiver: Any) -> None:
    text = PLAYBOOK.format(ok_url=webhook_receiver.url, bad_url=f"http://127.0.0.1:{closed_port()}")
    path = write_playbook(tmp_path, text)
    loaded = load_playbook(path)
    journal = Journal(tmp_path / "journal.db")
    from deploytui.engine.runner import start_run

    run_id = start_run(journal, loaded, operator_name="ana")
    session = RunSession(
        journal=journal,
        loaded=loaded,
        run_id=run_id,
        operator_name="ana",
        secrets={"hook_token": SECRET},
    )
    app = DeployApp(
        journal=journal, operator_name="ana", session=session, config=UiConfig(), cwd=tmp_path
    )
    async with app.run_test(size=(100, 30)) as pilot:
        screen = run_screen(app)
        await wait_question(pilot, Ask.acknowledge, "close")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.ended, "the end of the run")
        pane = screen.query_one(OutputPane)
        lines = [str(line) for line in pane.lines]
        assert any(line.startswith("✓ notified ops") for line in lines), lines
        failed = [line for line in lines if line.startswith("✗ notification to audit")]
        assert failed and "failed" in failed[0], lines
        assert not any(SECRET in line for line in lines)
        assert any("Deploying now (token ••••)" in line for line in lines), lines

        # History: the deliveries under the step and in the run's notifications.
        await pilot.press("h")
        history = await wait_screen(pilot, HistoryScreen)
        runs = history.query_one("#runs")
        await wait_for(pilot, lambda: runs.row_count == 1, "the run in history")  # type: ignore[attr-defined]
        await pilot.press("enter")
        detail = await wait_screen(pilot, RunDetailScreen)
        tree = detail.query_one(Tree)
        await wait_for(pilot, lambda: "Notifications" in tree_text(tree), "the timeline")
        timeline = tree_text(tree)
        assert "notified ops" in timeline
        assert "notification to audit" in timeline and "failed" in timeline
        assert SECRET not in timeline
    assert webhook_receiver.received, "the ops webhook got the message"
    journal.close()


async def test_notify_panel_shows_channels_and_masked_message(tmp_path: Path) -> None:
    """The panel of a notify step while it is the current step (scene with a stand-in sender)."""
    from tests.ui.watch_scenes import watch_app

    app = watch_app(tmp_path, cut="notify")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = run_screen(app)
        await wait_for(pilot, lambda: screen.shown_step_id == "announce", "the notify step")
        await pilot.pause(0.1)
        body = str(screen.query_one("#step-body", Static).render())
        assert "to ops (slack), audit (generic)" in body
        assert "│ Deploying shop 7.1 now; window until 05:00. Run 7f3a21c4." in body
