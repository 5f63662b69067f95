"""``--dry-run``: every step with what it would run, templates rendered, nothing executed.

Answers that do not exist yet render as ``<inputs.NAME>`` and secrets as ``••••``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from deploytui.engine.runner import describe_action
from deploytui.model.playbook import ROLLBACK_PHASE_ID
from deploytui.model.steps import GateStep, InputStep, SignoffStep
from deploytui.model.values import format_duration
from deploytui.playbook.loader import LoadedPlaybook
from deploytui.playbook.templating import Context, render_data, render_targets


class _Placeholders(Mapping[str, Any]):
    def __init__(self, namespace: str) -> None:
        self.namespace = namespace

    def __getitem__(self, key: str) -> str:
        return f"<{self.namespace}.{key}>"

    def __contains__(self, key: object) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def plan_text(loaded: LoadedPlaybook) -> str:
    playbook = loaded.playbook
    context = Context(
        variables=playbook.variables,
        inputs=_Placeholders("inputs"),
        secrets=_Placeholders("secrets"),
        run={
            "id": "<run.id>",
            "operator": "<run.operator>",
            "started_at": "<run.started_at>",
            "playbook": playbook.name,
        },
    )
    budget = (
        f" · window {format_duration(playbook.budget_seconds)}" if playbook.budget_seconds else ""
    )
    lines = [f"dry run of {playbook.name} v{playbook.version}{budget} — nothing is executed", ""]
    targets = render_targets(
        playbook.targets, playbook.variables, _Placeholders("secrets"), mask=True
    )
    current_phase = None
    for number, (phase_id, step) in enumerate(playbook.ordered_steps(), start=1):
        if phase_id != current_phase:
            current_phase = phase_id
            title = (
                playbook.rollback.title
                if phase_id == ROLLBACK_PHASE_ID
                else next(phase.title for phase in playbook.phases if phase.id == phase_id)
            )
            lines.append(f"{'↺ ' if phase_id == ROLLBACK_PHASE_ID else ''}{title}")
        estimate = f" ({format_duration(step.estimate)})" if step.estimate else ""
        raw = step.model_dump(by_alias=True, mode="json")
        rendered = type(step).model_validate(
            render_data(raw, context, shell_keys={"command"}, mask=True)
        )
        lines.append(f"  {number:>3}. [{step.kind}] {step.id}: {rendered.title}{estimate}")
        action, where = describe_action(rendered, targets)
        if action:
            lines.append(
                f"       {action}" + (f"   @ {where}" if where and where != "local" else "")
            )
        notes = getattr(rendered, "dry_run_notes", None)
        if callable(notes):  # e.g. an ansible step says how to preview it in check mode
            lines.extend(f"       {note}" for note in notes())
        if isinstance(step, InputStep):
            for field in step.fields:
                target = f" target {field.target}" if field.target else ""
                unit = f" [{field.unit}]" if field.unit else ""
                lines.append(f"       ask {field.display_label}: {field.type.value}{unit}{target}")
        elif isinstance(step, SignoffStep):
            lines.append(f"       sign-off by {step.role}")
        elif isinstance(step, GateStep):
            for condition in step.require:
                what = (
                    condition.label
                    or condition.signoff
                    or condition.value
                    or condition.step
                    or "all targets met"
                )
                lines.append(f"       require {what}")
    return "\n".join(lines)
