"""Markup for statuses, durations and values, so every screen shows them the same way.

Status is never colour alone (UX.md): each status is an icon from ``model.events`` plus a theme
colour. Everything user-provided is escaped before it goes into markup.
"""

from __future__ import annotations

import re

from rich.text import Text
from textual.markup import escape

from deploytui.model.events import BREACH_ICON, RUN_ICONS, STEP_ICONS, RunStatus, StepStatus
from deploytui.model.values import format_duration

STEP_STYLES: dict[StepStatus, str] = {
    StepStatus.pending: "dim",
    StepStatus.running: "bold $accent",
    StepStatus.succeeded: "$success",
    StepStatus.failed: "bold $error",
    StepStatus.skipped: "dim",
    StepStatus.interrupted: "$warning",
}
RUN_STYLES: dict[RunStatus, str] = {
    RunStatus.running: "$accent",
    RunStatus.waiting: "$warning",
    RunStatus.interrupted: "$warning",
    RunStatus.completed: "$success",
    RunStatus.failed: "$error",
    RunStatus.aborted: "$error",
    RunStatus.rolled_back: "$warning",
}


def step_icon(status: StepStatus) -> str:
    return f"[{STEP_STYLES[status]}]{STEP_ICONS[status]}[/]"


def run_status(status: RunStatus) -> str:
    words = status.value.replace("_", " ")
    return f"[{RUN_STYLES[status]}]{RUN_ICONS[status]} {words}[/]"


def resumable_state(status: RunStatus, *, driven_elsewhere: bool) -> str:
    """How a resumable run reads: driven by a live process, interrupted, or waiting."""
    if driven_elsewhere:
        return "[$accent]▶ driven elsewhere[/]"
    return run_status(RunStatus.interrupted if status == RunStatus.running else status)


def breach(text: str) -> str:
    return f"[bold $warning]{BREACH_ICON} {escape(text)}[/]"


def against(elapsed: float, estimate: int | None) -> str:
    """``12m / 30m``: time spent against the estimate ("–" when nothing ran yet)."""
    spent = format_duration(elapsed) if elapsed >= 0.5 else "–"
    return f"{spent} / {format_duration(estimate)}" if estimate else spent


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


_VARIABLE = re.compile(r"\$([a-z][a-z0-9-]*)")


def rich_cell(markup: str, variables: dict[str, str]) -> Text:
    """Markup with theme variables as a Rich ``Text`` (DataTable cells use Rich markup)."""
    return Text.from_markup(
        _VARIABLE.sub(lambda match: variables.get(match.group(1), "default"), markup)
    )
