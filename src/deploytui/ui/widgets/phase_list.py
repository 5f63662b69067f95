"""The phases of a run with icon, elapsed against estimate, and the current one highlighted.

``PhaseList`` is the sidebar at 100 columns and wider (its step titles wrap, they are never cut);
``PhaseStrip`` is the one-line form that replaces it at 80 columns. Rollback is always listed,
so the way back is always in sight.
"""

from __future__ import annotations

import re
import textwrap

from textual.content import Content
from textual.markup import escape
from textual.widget import Widget

from deploytui.journal.state import RunState
from deploytui.model.events import ROLLBACK_ICON, STEP_ICONS, StepStatus
from deploytui.model.playbook import ROLLBACK_PHASE_ID
from deploytui.ui.text import STEP_STYLES, against, rollback_idle, step_icon

PhaseRow = tuple[str, str, str, str, bool]
_VARS = re.compile(r"\{\{\s*vars\.(\w+)\s*\}\}")


def phase_status(statuses: list[StepStatus]) -> StepStatus:
    """One status for a phase from its steps' statuses (same rule as the report)."""
    found = set(statuses)
    for status in (StepStatus.failed, StepStatus.interrupted, StepStatus.held, StepStatus.running):
        if status in found:
            return status
    if not found or found == {StepStatus.pending}:
        return StepStatus.pending
    if found <= {StepStatus.succeeded, StepStatus.skipped}:
        return StepStatus.skipped if found == {StepStatus.skipped} else StepStatus.succeeded
    return StepStatus.running


def phase_rows(state: RunState, current_step: str | None) -> list[PhaseRow]:
    """(phase id, icon markup, title, timing) per phase plus rollback, and which is current."""
    playbook = state.playbook
    current_phase = playbook.phase_of(current_step) if current_step else None
    rows: list[PhaseRow] = []
    for number, phase in enumerate(playbook.phases, start=1):
        statuses = [state.steps[step.id].status for step in phase.steps]
        status = phase_status(statuses)
        timing = against(state.phase_elapsed(phase.id), phase.planned_seconds or None)
        title = f"{number} {phase.title}"
        rows.append((phase.id, step_icon(status), title, timing, phase.id == current_phase))
    rollback = playbook.rollback
    if rollback.steps:
        statuses = [state.steps[step.id].status for step in rollback.steps]
        if state.rolling_back:
            icon = step_icon(phase_status(statuses))
            timing = against(state.phase_elapsed(ROLLBACK_PHASE_ID), rollback.estimate)
        else:
            # "ready" only while the run can still go on (after the end it is not ready).
            icon, timing = f"[dim]{ROLLBACK_ICON}[/]", rollback_idle(state.status)
        rows.append(
            (
                ROLLBACK_PHASE_ID,
                icon,
                rollback.title,
                timing,
                current_phase == ROLLBACK_PHASE_ID,
            )
        )
    return rows


def plain_title(title: str, variables: dict[str, object]) -> str:
    """A step title with ``{{ vars.x }}`` filled in (the engine renders the rest when it runs)."""
    return _VARS.sub(lambda match: str(variables.get(match.group(1), match.group(0))), title)


class PhaseList(Widget):
    """The sidebar: one line per phase, then the steps of the current phase."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._rows: list[PhaseRow] = []
        self._steps: list[tuple[str, str, bool]] = []
        self._phase_title = ""

    def show(self, state: RunState, current_step: str | None) -> None:
        before = (self._rows, self._steps, self._phase_title)
        self._rows = phase_rows(state, current_step)
        playbook = state.playbook
        self._steps = []
        if current_step:
            phase_id = playbook.phase_of(current_step)
            if phase_id == ROLLBACK_PHASE_ID:
                steps, self._phase_title = playbook.rollback.steps, playbook.rollback.title
            else:
                phase = next(item for item in playbook.phases if item.id == phase_id)
                steps, self._phase_title = phase.steps, phase.title
            self._steps = [
                (
                    step_icon(state.steps[step.id].status),
                    plain_title(step.title, dict(playbook.variables)),
                    step.id == current_step,
                )
                for step in steps
            ]
        # Called on every drain of the run's feed: unchanged, it costs no layout or repaint.
        if (self._rows, self._steps, self._phase_title) != before:
            self.refresh(layout=True)

    def render(self) -> Content:
        width = max(self.size.width, 10)
        lines = self._phase_lines(width)
        if self._steps:
            lines.append(Content(""))
            lines.append(Content.from_markup(f"[dim]Steps in {escape(self._phase_title)}[/]"))
            for icon, title, current in self._steps:
                # Long titles wrap under themselves (hanging indent past the icon), never "…".
                # The icon may be two cells wide (⏳ held), so measure it rather than assume.
                first = Content.from_markup(f"{icon} ")
                indent = first.cell_length
                parts = textwrap.wrap(title, max(width - indent, 8)) or [""]
                for number, part in enumerate(parts):
                    lead = first if number == 0 else Content(" " * indent)
                    line = lead.append(Content(part))
                    lines.append(line.stylize("bold") if current else line)
        return Content("\n").join(lines)

    def _phase_lines(self, width: int) -> list[Content]:
        lines = []
        for _, icon, title, timing, current in self._rows:
            left = Content.from_markup(f"{icon} ").append(Content(title))
            right = Content(timing)
            room = width - right.cell_length - 1
            if left.cell_length > room:
                left = left.truncate(max(room - 1, 4), ellipsis=True)
            gap = " " * max(1, width - left.cell_length - right.cell_length)
            line = Content.assemble(left, gap, right)
            if current:
                line = line.stylize("bold reverse")
            lines.append(line)
        return lines


class PhaseStrip(Widget):
    """One line: the current phase in words, then every phase as an icon."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._markup = ""

    def show(self, state: RunState, current_step: str | None) -> None:
        rows = phase_rows(state, current_step)
        current = next((row for row in rows if row[4]), None)
        icons = " ".join(row[1] for row in rows)
        words = "[dim]phases[/]  "  # between phases (or at the end) the icons still get a label
        if current is not None:
            words = f"[bold]{escape(current[2])}[/] {current[3]}  "
        markup = f"{words}{icons}"
        if markup != self._markup:
            self._markup = markup
            self.refresh()

    def render(self) -> Content:
        return Content.from_markup(self._markup)


__all__ = ["STEP_ICONS", "STEP_STYLES", "PhaseList", "PhaseStrip", "phase_status"]
