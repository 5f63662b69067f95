"""Markup for statuses, durations and values, so every screen shows them the same way.

Status is never colour alone (UX.md): each status is an icon from ``model.events`` plus a theme
colour. Everything user-provided is escaped before it goes into markup.
"""

from __future__ import annotations

import re
from datetime import datetime

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
    # Parked until a time (a hold, or a long watch between checkpoints).
    StepStatus.held: "bold $warning",
}
HELD_ICON = STEP_ICONS[StepStatus.held]
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


def rollback_idle(status: RunStatus) -> str:
    """What the rollback row says while no rollback ran: ``ready`` only while the run can still
    go on; once it ended the way back was ``not needed`` (completed) or ``not run``."""
    if status == RunStatus.completed:
        return "not needed"
    if status in {RunStatus.failed, RunStatus.aborted, RunStatus.rolled_back}:
        return "not run"
    return "ready"


def resumable_state(
    status: RunStatus,
    *,
    driven_elsewhere: bool,
    held_until: str | None = None,
    now: datetime | None = None,
) -> str:
    """How a resumable run reads: driven by a live process, parked until a time, interrupted,
    or waiting."""
    if driven_elsewhere:
        return "[$accent]▶ driven elsewhere[/]"
    if held_until and status == RunStatus.waiting:
        until = parse_time(held_until)
        if until is not None:
            return f"[$warning]{HELD_ICON} waiting {until_text(until, now)}[/]"
    return run_status(RunStatus.interrupted if status == RunStatus.running else status)


def record_status(record: object, now: datetime | None = None) -> str:
    """A run row's status: ``⏳ waiting until 04:00`` for a parked run, else its status."""
    status = record.status  # type: ignore[attr-defined]
    held = getattr(record, "held_until", None)
    if status == RunStatus.waiting and held:
        until = parse_time(held)
        if until is not None:
            return f"[$warning]{HELD_ICON} waiting {until_text(until, now)}[/]"
    return run_status(status)


def parse_time(iso: str | None) -> datetime | None:
    if not iso:
        return None
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.astimezone()


def held_time(until: datetime, now: datetime | None = None) -> str:
    """``04:00`` (local time), with the date when it is not today: the wording ``runs``,
    ``show`` and the engine use (model.hold_step)."""
    from deploytui.model.hold_step import until_text as hold_until_text

    return hold_until_text(until, now or datetime.now().astimezone())


def until_text(until: datetime, now: datetime | None = None) -> str:
    return f"until {held_time(until, now)}"


def countdown(seconds: float) -> str:
    """``2h 13m 05s``, ``13m 05s``, ``5s``: a countdown that visibly moves every second."""
    total = max(0, int(seconds + 0.999))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m {secs:02d}s"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


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
