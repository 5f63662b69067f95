"""The run screen's top bar: where am I (playbook, run, operator, journal), how much time is left.

The window clock turns yellow (with a ⚠ and words, never colour alone) when the projection from
the estimates of what is left passes the budget, and red when the budget is spent.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from textual.content import Content
from textual.markup import escape
from textual.widget import Widget

from deploytui.engine.timing import window_status
from deploytui.journal.state import RunState
from deploytui.model.values import format_clock, format_duration

LEVEL_STYLE = {"ok": "bold", "warning": "bold $warning", "over": "bold $error"}


def window_text(state: RunState, now: datetime) -> tuple[str, str]:
    """The clock (markup) for the first line and the budget/finish detail for the second."""
    if state.finished_at:
        now = datetime.fromisoformat(state.finished_at)
    status = window_status(state, now)
    style = LEVEL_STYLE[status.level]
    clock = f"window {format_clock(status.elapsed)}"
    if status.budget is not None:
        clock += f" / {format_clock(status.budget)}"
    clock += f" · ETA {format_clock(status.projected)}"
    if status.level == "over":
        clock = f"⚠ {clock} · over budget"
    elif status.level == "warning":
        clock = f"⚠ {clock} · past budget"
    finish = now + timedelta(seconds=status.remaining_estimate)
    detail = f"finish ≈ {finish.strftime('%H:%M')}"
    if status.budget is not None:
        left = status.budget - status.elapsed
        detail = (
            f"budget left {format_duration(left)} · {detail}"
            if left >= 0
            else f"{format_duration(-left)} over budget · {detail}"
        )
    return f"[{style}]{clock}[/]", f"[dim]{detail}[/]"


class StatusBar(Widget):
    """Two lines, each a left part and a right part; wraps when the terminal is too narrow."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        # Per line: left variants, longest first (a shorter one is used to stay on one line),
        # and the right part.
        self._parts: list[tuple[list[str], str]] = [([""], ""), ([""], "")]

    def show(self, state: RunState, now: datetime, *, journal: str, title: str) -> None:
        clock, detail = window_text(state, now)
        operator = escape(state.operator or "?")
        where = f"[bold]{escape(title)}[/] · run [bold]{state.run_id}[/]"
        parts = [
            # At 80 columns dropping the word "operator" keeps the clock on the first line.
            ([f"{where} · operator {operator}", f"{where} · {operator}"], clock),
            ([f"[dim]journal {escape(journal)}[/]"], detail),
        ]
        # The run screen calls this on every drain of its feed (20 times a second during a
        # flood of output): an unchanged bar must not cost a layout and a repaint.
        if parts == self._parts:
            return
        self._parts = parts
        self.refresh(layout=True)

    def render(self) -> Content:
        width = max(self.size.width, 1)
        lines: list[Content] = []
        for variants, right_markup in self._parts:
            right = Content.from_markup(right_markup)
            choices = [Content.from_markup(markup) for markup in variants]
            left = next(
                (item for item in choices if item.cell_length + right.cell_length + 2 <= width),
                choices[0],
            )
            if left.cell_length + right.cell_length + 2 <= width:
                gap = width - left.cell_length - right.cell_length
                lines.append(Content.assemble(left, " " * gap, right))
            else:
                lines.append(left)
                lines.append(Content.assemble(" " * max(0, width - right.cell_length), right))
        return Content("\n").join(lines)
