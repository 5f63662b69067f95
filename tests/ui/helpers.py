"""Helpers for driving the app in tests: build it on a scene or a live demo, and wait for states.

Waiting polls the app between event-loop turns (``pilot.pause``) until a condition holds; the
timeout only turns a hang into a readable failure, nothing asserts on time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input

from deploytui.clock import ManualClock
from deploytui.journal import Journal
from deploytui.journal.report import load_run_playbook
from deploytui.ui.app import DeployApp
from deploytui.ui.bridge import Ask
from deploytui.ui.config import UiConfig
from deploytui.ui.screens.run import RunScreen
from deploytui.ui.session import RunSession
from tests.ui.scenes import HOST, JOURNAL_LABEL, OPERATOR, SIGNER, Scene

WAIT_SECONDS = 60.0


async def wait_for(pilot: Pilot[object], condition: Callable[[], object], what: str) -> None:
    turns = int(WAIT_SECONDS / 0.05)
    for _ in range(turns):
        if condition():
            return
        if pilot.app._exception is not None:  # the app crashed: fail now, not at the timeout
            raise AssertionError(f"the app crashed while waiting for {what}")
        await pilot.pause(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def run_screen(app: DeployApp) -> RunScreen:
    return next(screen for screen in app.screen_stack if isinstance(screen, RunScreen))


async def wait_screen(pilot: Pilot[object], kind: type[Screen[object]]) -> Screen[object]:
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, kind), kind.__name__)
    await pilot.pause()
    return app.screen


async def wait_question(pilot: Pilot[object], ask: Ask, step_id: str | None = None) -> None:
    app = pilot.app

    def asked() -> bool:
        screens = [s for s in app.screen_stack if isinstance(s, RunScreen)]
        if not screens or screens[0].pending is None:
            return False
        pending = screens[0].pending
        return pending.ask == ask and (step_id is None or pending.step.id == step_id)

    await wait_for(pilot, asked, f"question {ask} {step_id or ''}")
    await pilot.pause()


class FrozenApp(DeployApp):
    """The app with steady (non-blinking) text cursors, so screenshots do not flicker."""

    def on_mount(self) -> None:  # DeployApp.on_mount runs as well (Textual calls both)
        self.set_interval(0.05, self._steady_cursors)

    def _steady_cursors(self) -> None:
        for screen in self.screen_stack:
            for widget in screen.query(Input):
                widget.cursor_blink = False


def scene_app(scene: Scene, *, cwd: Path, home: bool = False) -> DeployApp:
    """The app on a scene: frozen clock, the scene's journal, no demo service (nothing runs)."""
    frozen = scene.now
    journal = Journal(scene.journal_path, clock=lambda: frozen.isoformat(timespec="milliseconds"))
    session = None
    if not home:
        loaded, _ = load_run_playbook(journal, scene.run_id)
        session = RunSession(
            journal=journal,
            loaded=loaded,
            run_id=scene.run_id,
            operator_name=OPERATOR,
            resume_data={"operator": OPERATOR, "host": HOST, "pid": 4242, "overrides": {}},
        )
    return FrozenApp(
        journal=journal,
        operator_name=OPERATOR,
        session=session,
        clock=lambda: frozen,
        config=UiConfig(name=SIGNER),
        cwd=cwd,
        journal_label=JOURNAL_LABEL,
    )


def frozen_at(scene: Scene) -> datetime:
    return scene.now


def live_app(journal: Journal, playbook_path: Path, *, cwd: Path) -> DeployApp:
    """The app driving a real new run of a playbook file (the demo gets its real service)."""
    from deploytui.ui.session import start_session

    session = start_session(journal, str(playbook_path), operator_name=OPERATOR)
    return DeployApp(
        journal=journal, operator_name=OPERATOR, session=session, config=UiConfig(), cwd=cwd
    )


def write_playbook(folder: Path, text: str, name: str = "playbook.yaml") -> Path:
    import textwrap

    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


async def type_text(pilot: Pilot[object], text: str) -> None:
    await pilot.press(*text)


async def wait_exit(pilot: Pilot[object]) -> int:
    app = pilot.app
    await wait_for(pilot, lambda: app.return_code is not None, "the app to exit")
    return int(app.return_code or 0)


class GatedClock(ManualClock):
    """A manual clock whose ``sleep`` waits until the test lets time run that far."""

    def __init__(self, start: datetime) -> None:
        super().__init__(start)
        self._gate = threading.Condition()
        self._limit = self.monotonic()

    def allow(self, seconds: float) -> None:
        with self._gate:
            self._limit += seconds
            self._gate.notify_all()

    def sleep(self, seconds: float, cancelled: threading.Event | None = None) -> bool:
        with self._gate:
            while self.monotonic() + seconds > self._limit + 1e-6:
                if cancelled is not None and cancelled.is_set():
                    return False
                self._gate.wait(0.05)
        if cancelled is not None and cancelled.is_set():
            return False
        self.advance(max(0.0, seconds))
        return True
