"""A hold reached before its time: wait here, continue now (with a reason), or leave it parked.

The engine asks ``Operator.on_hold(step, view, until)`` when a run reaches a hold (or a parked
watch's next checkpoint) before the time. The dialog counts down to the time live; the run
screen turns the choice into a ``Decision`` (``wait``, ``continue`` with a reason, ``stop``).
Nothing here waits itself: "wait here" hands the waiting to the engine, which sleeps on its clock
and can be cancelled from the run screen.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from deploytui.engine.operator import StepView
from deploytui.ui.dialogs.common import Dialog, buttons, esc
from deploytui.ui.text import countdown, held_time, until_text


class HoldDialog(Dialog[str]):
    """``wait`` / ``continue`` / ``leave``; escape backs out and leaves the question pending."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *Dialog.BINDINGS,
        Binding("w", "choose('wait')", "wait here"),
        Binding("n", "choose('continue')", "continue now…"),
        Binding("l", "choose('leave')", "leave it parked"),
    ]

    def __init__(
        self, view: StepView, until: datetime, *, now: Callable[[], datetime], run_id: str
    ) -> None:
        # A long watch parks between checkpoints the same way a hold does.
        kind = "Next checkpoint" if view.kind == "monitor" else "Hold"
        super().__init__(title=f"⏳ {kind} · {view.title}", classes="warning hold")
        self.view = view
        self.until = until
        self.now = now
        self.run_id = run_id
        self._left = Static("", id="hold-left", classes="message")

    def body(self) -> ComposeResult:
        when = until_text(self.until, self.now())
        what = (
            "This checkpoint's watch is done; the next one starts at "
            f"[b]{esc(held_time(self.until, self.now()))}[/b]."
            if self.view.kind == "monitor"
            else f"The run is held [b]{esc(when)}[/b]."
        )
        yield Static(what, classes="message")
        yield self._left
        yield Static(
            "[b]Wait here[/b]: this screen counts down; the run goes on at "
            f"{esc(held_time(self.until, self.now()))} "
            "([b]c[/b] stops waiting).\n"
            "[b]Continue now[/b]: go on early; your reason goes into the journal.\n"
            "[b]Leave it parked[/b]: quit; resume it later with "
            f"[b]deploytui resume {esc(self.run_id)}[/b].",
            classes="message",
        )
        yield buttons(
            ("wait", "Wait here (w)", "primary"),
            ("continue", "Continue now… (n)", "warning"),
            ("leave", "Leave it parked (l)", "default"),
        )

    def on_mount(self) -> None:
        self.tick()
        self.set_interval(1.0, self.tick)
        self.query_one("#wait").focus()

    def tick(self) -> None:
        left = (self.until - self.now()).total_seconds()
        if left > 0:
            self._left.update(f"[bold $warning]⏳ {countdown(left)} left[/]")
        else:
            self._left.update("[bold $success]✓ the time has come: waiting ends at once[/]")

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)

    def pressed(self, button_id: str) -> None:
        self.dismiss(button_id)
