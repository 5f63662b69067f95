"""Evaluate a go/no-go gate over the run's answers, targets, sign-offs and step outcomes."""

from __future__ import annotations

from deploytui.engine.operator import GateResult
from deploytui.journal.state import RunState
from deploytui.model.events import StepStatus
from deploytui.model.steps import GateCondition, GateStep


def _value_entry(state: RunState, field: str) -> dict | None:
    for step in state.steps.values():
        for value in step.values:
            if value["field"] == field:
                return value
    return None


def _field_label(state: RunState, field: str) -> str:
    spec = state.playbook.input_fields().get(field)
    return spec.display_label if spec is not None else field


def _step_title(state: RunState, step_id: str) -> str:
    try:
        return state.playbook.step(step_id).title
    except KeyError:
        return step_id


def evaluate_condition(condition: GateCondition, state: RunState) -> GateResult:
    if condition.signoff is not None:
        name = state.signoffs.get(condition.signoff)
        label = condition.label or f"{condition.signoff} signed off"
        return GateResult(
            label=label, passed=name is not None, detail=f"by {name}" if name else "not signed yet"
        )
    if condition.value is not None:
        entry = _value_entry(state, condition.value)
        name = _field_label(state, condition.value)
        if condition.equals is not None:
            label = condition.label or f"{name} is {condition.equals}"
        elif condition.within_target:
            label = condition.label or f"{name} meets its target"
        else:
            label = condition.label or f"{name} answered"
        if entry is None or entry["value"] is None:
            return GateResult(label=label, passed=False, detail="no answer yet")
        if condition.equals is not None and str(entry["value"]).lower() != condition.equals.lower():
            return GateResult(label=label, passed=False, detail=f"answer is {entry['display']}")
        if condition.within_target and entry.get("breach"):
            return GateResult(label=label, passed=False, detail=entry["breach"])
        return GateResult(label=label, passed=True, detail=entry["display"])
    if condition.step is not None:
        step = state.steps.get(condition.step)
        label = condition.label or f"{_step_title(state, condition.step)} succeeded"
        status = step.status if step else StepStatus.pending
        return GateResult(label=label, passed=status == StepStatus.succeeded, detail=status.value)
    breaches = state.breaches()
    label = condition.label or "every answer meets its target"
    detail = "; ".join(value["breach"] for value in breaches) or "no breach"
    return GateResult(label=label, passed=not breaches, detail=detail)


def evaluate_gate(step: GateStep, state: RunState) -> list[GateResult]:
    return [evaluate_condition(condition, state) for condition in step.require]
