"""Notices in the run screen: a problem the run works around (an unconfigured notification
channel, a plaintext keyring, a run lock taken over) shows once as a quiet ``⚠ note:`` line in the
output pane and once as a warning toast; the
history lists the run's notices.

Real runs of small playbooks through the real engine; the keyring is a real keyring backend (an
in-memory one named like keyrings.alt's plaintext file backend, as tests/unit/test_secrets_cli.py
does) installed for the test and restored after it.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from textual.widgets import Tree

from deploytui.engine.runner import start_run
from deploytui.journal import Journal
from deploytui.model.events import Event, EventType
from deploytui.playbook import load_playbook
from deploytui.secretstore import SERVICE
from deploytui.ui.app import DeployApp
from deploytui.ui.bridge import Ask
from deploytui.ui.config import UiConfig
from deploytui.ui.screens.history import HistoryScreen, RunDetailScreen
from deploytui.ui.session import RunSession, resume_session
from deploytui.ui.widgets.output_pane import OutputPane
from tests.ui.helpers import (
    OPERATOR,
    live_app,
    run_screen,
    wait_for,
    wait_question,
    wait_screen,
    write_playbook,
)
from tests.ui.test_notify_ui import tree_text

UNCONFIGURED = """
name: rehearsal
variables:
  stakeholder_webhook: ""
notifications:
  channels:
    stakeholders: {url: "{{ vars.stakeholder_webhook }}", format: slack}
  on:
    run_started: [stakeholders]
    run_finished: [stakeholders]
phases:
  - id: p
    title: P
    steps:
      - id: announce
        kind: notify
        title: Announce the deployment to stakeholders
        channel: stakeholders
        message: Deploying
      - {id: close, kind: confirm, title: Close the window}
"""
WITH_SECRET = """
name: secret-run
secrets: [api_token]
phases:
  - id: p
    title: P
    steps:
      - {id: close, kind: confirm, title: Close the window}
"""
PLAIN = """
name: plain-run
phases:
  - id: p
    title: P
    steps:
      - {id: close, kind: confirm, title: Close the window}
"""


class PlaintextKeyring(KeyringBackend):
    """An in-memory keyring named like keyrings.alt's unencrypted file backend."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


@pytest.fixture
def plaintext_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[PlaintextKeyring]:
    monkeypatch.delenv("DEPLOYTUI_SECRET_API_TOKEN", raising=False)
    backend = PlaintextKeyring()
    backend.set_password(SERVICE, "api_token", "t0ken-from-the-keyring")
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


def notes(pane: OutputPane) -> list[str]:
    """The pane's notice lines, unwrapped."""
    return [line for line in pane.raw if line.startswith("⚠ note: ")]


def toasts(app: DeployApp, needle: str) -> list[str]:
    """Severity of every toast whose message contains ``needle``."""
    return [str(toast.severity) for toast in app._notifications if needle in toast.message]


async def test_a_notice_is_a_quiet_line_and_a_warning_toast_once(
    journal: Journal, tmp_path: Path
) -> None:
    app = live_app(journal, write_playbook(tmp_path, UNCONFIGURED), cwd=tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_question(pilot, Ask.acknowledge, "close")
        screen = run_screen(app)
        pane = screen.query_one(OutputPane)
        wanted = "notification channel 'stakeholders' is not configured (its url is empty)"
        await wait_for(pilot, lambda: notes(pane), "the notice in the output pane")
        (line,) = notes(pane)
        assert wanted in line and "its messages are skipped" in line
        assert toasts(app, wanted) == ["warning"]
        # The same notice again (a second engine, a replayed event) is not shown twice.
        (notice,) = [e for e in journal.events(screen.session.run_id) if e.type == "notice"]
        screen.session.feed.put(notice)
        marker = Event(
            run_id=notice.run_id, seq=notice.seq + 1000, at=notice.at, type=EventType.notice,
            data={"text": "a second, different notice"},
        )  # fmt: skip
        screen.session.feed.put(marker)
        await wait_for(pilot, lambda: len(notes(pane)) == 2, "the second notice")
        assert len([text for text in notes(pane) if wanted in text]) == 1
        assert toasts(app, wanted) == ["warning"]
        # On screen the long notice wraps inside the pane instead of running off its edge.
        assert pane.max_scroll_x == 0
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.ended, "the end of the run")
        # History lists the run's notices too (as `deploytui show` does).
        await pilot.press("h")
        history = await wait_screen(pilot, HistoryScreen)
        runs = history.query_one("#runs")
        await wait_for(pilot, lambda: runs.row_count == 1, "the run in history")  # type: ignore[attr-defined]
        await pilot.press("enter")
        detail = await wait_screen(pilot, RunDetailScreen)
        tree = detail.query_one(Tree)
        await wait_for(pilot, lambda: "Notices" in tree_text(tree), "the notices in the timeline")
        assert wanted in tree_text(tree)


async def test_a_plaintext_keyring_is_warned_about_once_when_a_run_starts(
    journal: Journal, tmp_path: Path, plaintext_keyring: PlaintextKeyring
) -> None:
    app = live_app(journal, write_playbook(tmp_path, WITH_SECRET), cwd=tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_question(pilot, Ask.acknowledge, "close")
        screen = run_screen(app)
        pane = screen.query_one(OutputPane)
        await wait_for(pilot, lambda: notes(pane), "the keyring warning")
        (line,) = notes(pane)
        assert "stores secrets unencrypted in a file" in line
        assert "PlaintextKeyring" in line and "DEPLOYTUI_SECRET_<NAME>" in line
        assert toasts(app, "stores secrets unencrypted") == ["warning"]
        assert "t0ken-from-the-keyring" not in "\n".join(pane.raw)
        # The next run in the same app (home → another run) checks again and does not warn.
        check = screen.check_keyring()
        await wait_for(pilot, lambda: check.is_finished, "the second keyring check")
        assert check.result is False
        assert toasts(app, "stores secrets unencrypted") == ["warning"]
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.ended, "the end of the run")


async def test_no_keyring_warning_when_the_environment_gives_every_secret(
    journal: Journal,
    tmp_path: Path,
    plaintext_keyring: PlaintextKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DEPLOYTUI_SECRET_API_TOKEN", "from-the-environment")
    app = live_app(journal, write_playbook(tmp_path, WITH_SECRET), cwd=tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_question(pilot, Ask.acknowledge, "close")
        screen = run_screen(app)
        # Run the check once more and wait for it: it must decide not to warn.
        check = screen.check_keyring()
        await wait_for(pilot, lambda: check.is_finished, "the keyring check")
        assert check.result is False
        assert not getattr(app, "keyring_warned", False)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.ended, "the end of the run")
        assert notes(screen.query_one(OutputPane)) == []
        assert toasts(app, "keyring") == []


async def test_a_lock_taken_over_on_resume_is_noted(journal: Journal, tmp_path: Path) -> None:
    path = write_playbook(tmp_path, PLAIN)
    run_id = start_run(journal, load_playbook(path), operator_name=OPERATOR)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with journal.db.atomic():
        journal.db.execute(
            "INSERT INTO locks (run_id, host, pid, since, token) VALUES (?, ?, ?, ?, ?)",
            (run_id, socket.gethostname(), dead.pid, "2026-11-22T01:02:03.000+00:00", "gone"),
        )
    session: RunSession = resume_session(journal, run_id, operator_name=OPERATOR, take_over=True)
    app = DeployApp(
        journal=journal, operator_name=OPERATOR, session=session, config=UiConfig(), cwd=tmp_path
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_question(pilot, Ask.acknowledge, "close")
        screen = run_screen(app)
        pane = screen.query_one(OutputPane)
        await wait_for(pilot, lambda: notes(pane), "the take-over notice")
        (line,) = notes(pane)
        assert "run lock taken over" in line
        assert f"{socket.gethostname()} pid {dead.pid}" in line and "held since" in line
        assert toasts(app, "run lock taken over") == ["warning"]
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.ended, "the end of the run")
