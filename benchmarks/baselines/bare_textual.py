"""Baseline: the smallest Textual app, started headless, exited at its first paint.

What deploytui's TUI start-up is compared with: interpreter start, ``import textual``, the app's
first screen composed, painted and idle, then exit. ``tui_run_screen.py`` stops deploytui's run
screen the same way (a Pilot that waits for idle, then exits).
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static


class Bare(App[None]):
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("hello")
        yield Footer()


async def first_paint(pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.pause()  # until the first screen has processed its messages (painted, idle)
    pilot.app.exit()


if __name__ == "__main__":
    Bare().run(headless=True, size=(100, 30), auto_pilot=first_paint)
