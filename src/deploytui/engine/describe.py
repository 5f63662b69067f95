"""One line saying what an automated step will run, and where (the step header, the journal).

A kind describes itself with a ``describe_action(targets)`` method; ``local`` and ``http`` are
described here. A description that fails never stops a run: it becomes a note instead.
"""

from __future__ import annotations

from deploytui.model.playbook import Targets
from deploytui.model.steps import HttpStep, LocalStep, StepBase


def describe_action(step: StepBase, targets: Targets) -> tuple[str | None, str | None]:
    """What the step will run and where, from an already-rendered step and targets."""
    try:
        return _describe(step, targets)
    except Exception as error:  # a kind's description must not take the run down
        return f"(cannot describe this step: {error})", None


def _describe(step: StepBase, targets: Targets) -> tuple[str | None, str | None]:
    if isinstance(step, LocalStep):
        return f"$ {step.command}", "local"
    if isinstance(step, HttpStep):
        from deploytui.executors.http import resolve_url

        target = targets.http.get(step.target) if step.target else None
        url = f"{step.method} {resolve_url(step, target)}"
        return url + step.mode_text(), step.target or "http"
    describe = getattr(step, "describe_action", None)
    if callable(describe):
        return describe(targets)
    return None, None
