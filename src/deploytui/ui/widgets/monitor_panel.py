"""The live watch: one row per signal with its state, value, sparkline and thresholds.

Drawn from a ``MonitorView`` (see ``ui.monitor_view``); the run screen feeds it events and calls
``show`` on every drain and clock tick. Each row reads, left to right: the label over the state
(icon + word + colour) and current value with unit, a sparkline of the watch so far, then the
warn/fail thresholds. The panel's title carries the time watched and the time left. Rows are two
lines; a long label or threshold wraps and the row grows rather than cutting it. On tall
terminals rows get a third line: a taller sparkline and its range.
"""

from __future__ import annotations

from datetime import datetime

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.widgets import Sparkline, Static

from deploytui.model.values import format_duration
from deploytui.ui.monitor_view import (
    MonitorView,
    SignalState,
    SignalView,
    format_number,
    state_markup,
)


def signal_left(signal: SignalView, *, tall: bool = False) -> str:
    """``Error rate`` over ``✓ ok 0.26 %`` (and the range on tall terminals)."""
    lines = [
        f"[b]{escape(signal.label)}[/b]",
        f"{state_markup(signal.state)} [b]{escape(signal.value_text())}[/b]",
    ]
    if signal.error:
        # No room for the reason (host, status, timeout): the output pane has it.
        lines[1] = f"{state_markup(signal.state)} [$warning]no reading[/] [dim](output)[/]"
    if tall and signal.samples:
        low, high = min(signal.samples), max(signal.samples)
        scale = f"{format_number(low)}–{format_number(high, signal.unit)}"
        lines.append(f"[dim]range {escape(scale)}[/]")
    return "\n".join(lines)


def signal_right(signal: SignalView) -> str:
    warn = f"[$warning]warn[/] {escape(signal.warn)}" if signal.warn else "[dim]no warn[/]"
    fail = f"[$error]fail[/] {escape(signal.fail)}" if signal.fail else "[dim]no fail[/]"
    return f"{warn}\n{fail}"


class SignalRow(Horizontal):
    """One signal: state + label + value | sparkline | thresholds."""

    def __init__(self, signal: SignalView) -> None:
        super().__init__(classes="signal")
        self._left = Static("", classes="signal-left")
        self._spark = Sparkline([], classes="signal-spark")
        self._right = Static("", classes="signal-right")

    def compose(self) -> ComposeResult:
        yield self._left
        yield self._spark
        yield self._right

    def show(self, signal: SignalView) -> None:
        tall = self.is_attached and self.screen.has_class("-tall")
        self._left.update(signal_left(signal, tall=tall))
        self._right.update(signal_right(signal))
        # Sparkline draws nothing sensible from an empty list; one flat point reads as "no data".
        self._spark.data = list(signal.samples) or [0.0]
        for state in SignalState:
            self.set_class(signal.state == state, f"-{state.value}")


class MonitorPanel(Vertical, can_focus=False):
    """Every signal of the current watch; hidden when the current step is not a monitor."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.view: MonitorView | None = None
        self._rows: dict[str, SignalRow] = {}
        self._step_id: str | None = None

    def show(self, view: MonitorView | None, now: datetime | None) -> None:
        self.view = view
        self.display = view is not None
        if view is None:
            return
        if view.step_id != self._step_id:
            # Another watch (a second monitor step): its own signals, not the last one's.
            self.reset()
            self._step_id = view.step_id
        for signal in view.signals:
            row = self._rows.get(signal.name)
            if row is None:
                row = SignalRow(signal)
                self._rows[signal.name] = row
                self.mount(row)
                # Mounting is deferred: draw once it is there.
                self.call_after_refresh(row.show, signal)
            else:
                row.show(signal)
        worst = view.worst()
        icon = {
            SignalState.triggered: "✗ TRIGGERED · ",
            SignalState.warning: "⚠ ",
        }.get(worst, "")
        self.border_title = f"{icon}Watch · {view.progress_text(now)}"
        self.border_subtitle = (
            f"a sample every {format_duration(view.interval)}" if view.interval else ""
        )
        for state in SignalState:
            self.set_class(worst == state, f"-{state.value}")

    def reset(self) -> None:
        for row in self._rows.values():
            row.remove()
        self._rows.clear()
