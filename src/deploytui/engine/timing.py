"""The maintenance-window clock: elapsed, budget left, and projected finish from estimates."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from deploytui.journal.state import RunState
from deploytui.model.playbook import ROLLBACK_PHASE_ID


class WindowStatus(BaseModel):
    elapsed: float
    budget: float | None
    remaining_estimate: float
    projected: float
    level: str  # ok | warning (projection past budget) | over (budget spent)


def window_status(state: RunState, now: datetime) -> WindowStatus:
    started = state.started_datetime()
    elapsed = max(0.0, (now - started).total_seconds()) if started else 0.0
    remaining = 0.0
    for phase_id, step in state.playbook.ordered_steps():
        if (phase_id == ROLLBACK_PHASE_ID) != state.rolling_back:
            continue
        if not state.steps[step.id].done:
            remaining += step.estimate or 0
    budget = state.playbook.budget_seconds
    projected = elapsed + remaining
    level = "ok"
    if budget is not None:
        if elapsed > budget:
            level = "over"
        elif projected > budget:
            level = "warning"
    return WindowStatus(
        elapsed=elapsed,
        budget=budget,
        remaining_estimate=remaining,
        projected=projected,
        level=level,
    )
