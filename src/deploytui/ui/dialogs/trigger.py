"""A monitor's rollback trigger fired: say it loudly and offer the rollback first.

Shown instead of the plain failure dialog when ``Failure.trigger`` is set (the monitor's
``details["monitor"]["triggered"]``): which signal, its value against the fail threshold, when it
fired and since when it was over, with the signal's sparkline. Rolling back still goes through
the run screen's second confirmation; retry watches again; skip asks for a reason; abort
confirms. Nothing here starts the rollback by itself (UX.md: nothing dangerous on one key).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Sparkline, Static

from deploytui.engine.operator import Failure, StepView
from deploytui.model.values import format_duration
from deploytui.ui.dialogs.common import Dialog, buttons, esc
from deploytui.ui.monitor_view import MonitorView, format_number, sustained_seconds


def _clock(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%H:%M:%S") if moment else ""


def trigger_lines(
    trigger: dict[str, Any], monitor: MonitorView | None, rollback_steps: int
) -> list[str]:
    """What fired, value against threshold, since when, and what happens next."""
    name = str(trigger.get("signal", "?"))
    signal = monitor.signal(name) if monitor is not None else None
    label = signal.label if signal else name
    unit = signal.unit if signal else ""
    threshold = str(trigger.get("threshold") or (signal.fail if signal else "") or "")
    raw = trigger.get("value")
    value = format_number(float(raw), unit) if isinstance(raw, int | float) else "no reading"
    lines = [
        f"[bold $error]✗ {esc(label)}[/]  [bold]{esc(value)}[/]  [$error]fail {esc(threshold)}[/]"
    ]
    when = []
    t = trigger.get("t")
    if isinstance(t, int | float):
        fired = monitor.wall_time(float(t)) if monitor is not None else None
        at = f" at {_clock(fired)}" if fired else ""
        when.append(f"fired{at}, {format_duration(float(t))} into the watch")
        sustained = sustained_seconds(threshold)
        if sustained and fired is not None:
            since = _clock(fired - timedelta(seconds=sustained))
            when.append(f"over the threshold since {since} ({format_duration(sustained)})")
    lines.extend(f"  {item}" for item in when)
    if rollback_steps:
        lines.append(
            f"\nThis is a rollback trigger of the playbook. The rollback ({rollback_steps} "
            "step"
            + ("s" if rollback_steps != 1 else "")
            + ") is ready; starting it asks once more."
        )
    else:
        lines.append("\nThis is a rollback trigger, but the playbook has no rollback steps.")
    return lines


class TriggerDialog(Dialog[str]):
    """Roll back (confirm), watch again, skip (reason) or abort (confirm)."""

    VERTICAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-short"), (28, "-roomy")]

    BINDINGS: ClassVar[list[BindingType]] = [
        *Dialog.BINDINGS,
        Binding("b", "choose('rollback')", "roll back…"),
        Binding("r", "choose('retry')", "watch again"),
        Binding("s", "choose('skip')", "skip…"),
        Binding("a", "choose('abort')", "abort…"),
    ]

    def __init__(
        self,
        view: StepView,
        failure: Failure,
        trigger: dict[str, Any],
        *,
        monitor: MonitorView | None = None,
        rollback_steps: int = 0,
    ) -> None:
        super().__init__(title="✗ ROLLBACK TRIGGER FIRED", classes="danger trigger")
        self.view = view
        self.failure = failure
        self.trigger = trigger
        self.monitor = monitor
        self.rollback_steps = rollback_steps

    def body(self) -> ComposeResult:
        attempt = f" · attempt {self.failure.attempt}" if self.failure.attempt else ""
        yield Static(
            f"[b]{esc(self.view.title)}[/b][dim] ({esc(self.view.step_id)}{attempt})[/]",
            classes="message",
        )
        lines = trigger_lines(self.trigger, self.monitor, self.rollback_steps)
        yield Static("\n".join(lines[:-1]), id="trigger-what", classes="message")
        signal = None
        if self.monitor is not None:
            signal = self.monitor.signal(str(self.trigger.get("signal", "?")))
        if signal is not None and signal.samples:
            yield Sparkline(list(signal.samples), id="trigger-spark")
            low, high = min(signal.samples), max(signal.samples)
            yield Static(
                f"[dim]{esc(signal.label)} over the watch so far: {len(signal.samples)} samples, "
                f"{esc(format_number(low))}–{esc(format_number(high, signal.unit))}[/]",
                classes="message",
            )
        yield Static(lines[-1].lstrip("\n"), classes="message")
        items = []
        if self.failure.can_rollback:
            items.append(("rollback", "Start rollback… (b)", "error"))
        items += [
            ("retry", "Watch again (r)", "primary" if not self.failure.can_rollback else "default"),
            ("skip", "Skip… (s)", "default"),
            ("abort", "Abort… (a)", "default"),
        ]
        yield buttons(*items)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "choose" and parameters == ("rollback",):
            return self.failure.can_rollback
        return True

    def on_mount(self) -> None:
        # The suggested way out has the focus; it still asks for confirmation before acting.
        self.query_one("#rollback" if self.failure.can_rollback else "#retry").focus()

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)

    def pressed(self, button_id: str) -> None:
        self.dismiss(button_id)
