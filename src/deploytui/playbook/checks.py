"""Cross-reference checks that pydantic cannot do field by field.

Unique ids, templates that refer to things that exist *before* the step that uses them, gate
conditions and targets that name real roles, fields, steps and hosts. Each problem is returned
with the data path of the offending value so the loader can point at file:line:column.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any

from deploytui.model.playbook import ROLLBACK_PHASE_ID, Playbook
from deploytui.model.steps import (
    AutomatedStep,
    GateStep,
    HttpStep,
    InputStep,
    OnFailure,
    SignoffStep,
    StepBase,
)
from deploytui.playbook.templating import RUN_FIELDS, TemplateError, references

DataPath = tuple[str | int, ...]
Finding = tuple[DataPath, str]


def _strings(data: Any, path: DataPath) -> Iterator[tuple[DataPath, str]]:
    if isinstance(data, str):
        yield path, data
    elif isinstance(data, list):
        for index, item in enumerate(data):
            yield from _strings(item, (*path, index))
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _strings(value, (*path, key))


def _hint(name: str, known: set[str]) -> str:
    guess = difflib.get_close_matches(name, sorted(known), n=1)
    return f"; did you mean '{guess[0]}'?" if guess else ""


def _check_templates(
    data: Any, path: DataPath, known: dict[str, set[str]], where: str
) -> Iterator[Finding]:
    for value_path, text in _strings(data, path):
        if "{{" not in text:
            continue
        try:
            refs = list(references(text))
        except TemplateError as error:
            yield value_path, str(error)
            continue
        for ref in refs:
            if ref.default is not None or ref.name in known[ref.namespace]:
                continue
            full = f"{{{{ {ref.namespace}.{ref.name} }}}}"
            if ref.namespace == "inputs" and ref.name in known.get("all_inputs", set()):
                reason = f"{full} is only answered later in the playbook, not {where}"
            elif ref.namespace == "inputs":
                reason = f"{full} is not answered or captured by any step {where}"
            elif ref.namespace == "secrets":
                reason = f"{full} is not declared under 'secrets:'"
            elif ref.namespace == "vars":
                reason = f"{full} is not declared under 'variables:'"
            else:
                reason = f"{full} is not a run field; use one of {', '.join(RUN_FIELDS)}"
            yield value_path, reason + _hint(ref.name, known[ref.namespace])


def _step_paths(data: dict[str, Any]) -> Iterator[tuple[DataPath, Any]]:
    for phase_index, phase in enumerate(data.get("phases") or []):
        for step_index, step in enumerate((phase or {}).get("steps") or []):
            yield ("phases", phase_index, "steps", step_index), step
    rollback = data.get("rollback") or {}
    for step_index, step in enumerate(rollback.get("steps") or []):
        yield ("rollback", "steps", step_index), step


def check_playbook(playbook: Playbook, data: dict[str, Any]) -> list[Finding]:
    """Every cross-reference problem in ``playbook`` (whose raw YAML data is ``data``)."""
    findings: list[Finding] = []
    steps = list(playbook.ordered_steps())
    paths = [path for path, _ in _step_paths(data)]

    seen_phases: set[str] = set()
    for index, phase in enumerate(playbook.phases):
        if phase.id in seen_phases or phase.id == ROLLBACK_PHASE_ID:
            findings.append(
                (("phases", index, "id"), f"phase id '{phase.id}' is used twice or reserved")
            )
        seen_phases.add(phase.id)

    known: dict[str, set[str]] = {
        "vars": set(playbook.variables),
        "secrets": set(playbook.secrets),
        "run": set(RUN_FIELDS),
        "inputs": set(),
        "all_inputs": set(playbook.input_fields()) | playbook.capture_names(),
    }
    findings.extend(_check_targets(playbook, data, known))
    findings.extend(_check_notifications(playbook, data, known))

    seen_steps: set[str] = set()
    roles: set[str] = set()
    all_values = set(playbook.input_fields()) | playbook.capture_names()
    for (phase_id, step), path in zip(steps, paths, strict=True):
        if step.id in seen_steps:
            findings.append(((*path, "id"), f"step id '{step.id}' is used twice"))
        if phase_id == ROLLBACK_PHASE_ID:
            # Rollback may run after any failure, so it may refer to any value (at run time a
            # value that was never answered fails the step with a clear reason).
            known["inputs"] = set(all_values)
        where = "before this step" if phase_id != ROLLBACK_PHASE_ID else "in the playbook"
        step_data = _at(data, path)
        findings.extend(_check_templates(step_data, path, known, where))
        if isinstance(step, GateStep):
            findings.extend(_check_gate(step, path, known["inputs"], roles, seen_steps))
        if isinstance(step, SignoffStep):
            for index, role in enumerate(step.distinct_from):
                if role not in roles:
                    findings.append(
                        (
                            (*path, "distinct_from", index),
                            f"no sign-off for role '{role}' comes before this step"
                            + _hint(role, roles),
                        )
                    )
            roles.add(step.role)
        if isinstance(step, HttpStep):
            findings.extend(_check_http(step, path, playbook))
        if not playbook.rollback.steps and phase_id != ROLLBACK_PHASE_ID:
            findings.extend(_rollback_without_steps(step, path))
        reference_problems = getattr(step, "reference_problems", None)
        if callable(reference_problems):  # kinds that name targets check them themselves
            findings.extend(((*path, *where), why) for where, why in reference_problems(playbook))
        new_names: list[str] = []
        if isinstance(step, InputStep):
            new_names = [field.id for field in step.fields]
        elif isinstance(step, AutomatedStep):
            new_names = step.value_names()
        for name in new_names:
            if name in known["inputs"] and phase_id != ROLLBACK_PHASE_ID:
                findings.append((path, f"the value name '{name}' is used by two steps"))
            known["inputs"].add(name)
        seen_steps.add(step.id)
    return findings


def _rollback_without_steps(step: StepBase, path: DataPath) -> Iterator[Finding]:
    """``on_failure: rollback`` or ``on_trigger: rollback`` promise a rollback that is not there."""
    if step.on_failure == OnFailure.rollback:
        yield (
            (*path, "on_failure"),
            "on_failure: rollback needs a 'rollback:' section with steps; "
            "add one, or use ask / abort / skip",
        )
    if getattr(step, "on_trigger", None) == "rollback":
        yield (
            (*path, "on_trigger"),
            "on_trigger: rollback needs a 'rollback:' section with steps; add one, or use ask",
        )


def _at(data: Any, path: DataPath) -> Any:
    for part in path:
        data = data[part]
    return data


def _check_targets(
    playbook: Playbook, data: dict[str, Any], known: dict[str, set[str]]
) -> Iterator[Finding]:
    static = {
        "vars": known["vars"],
        "secrets": known["secrets"],
        "run": known["run"],
        "inputs": set(),
    }
    yield from _check_templates(
        data.get("targets") or {}, ("targets",), static, "(targets use only vars and secrets)"
    )
    hosts = set(playbook.targets.ssh)
    for group, members in playbook.targets.groups.items():
        if group in hosts:
            yield ("targets", "groups", group), f"'{group}' is both a host and a group name"
        for index, member in enumerate(members):
            if member not in hosts:
                yield (
                    ("targets", "groups", group, index),
                    f"group '{group}' names unknown ssh host '{member}'" + _hint(member, hosts),
                )
    for name, host in playbook.targets.ssh.items():
        if host.jump is not None and host.jump not in hosts:
            yield (
                ("targets", "ssh", name, "jump"),
                f"jump host '{host.jump}' is not an ssh target" + _hint(host.jump, hosts),
            )
        chain, hop = [name], host.jump
        while hop is not None and hop in hosts and hop not in chain:
            chain.append(hop)
            hop = playbook.targets.ssh[hop].jump
        if hop is not None and hop in chain:
            yield (
                ("targets", "ssh", name, "jump"),
                f"jump hosts go round in a loop: {' → '.join([*chain, hop])}",
            )


def _check_notifications(
    playbook: Playbook, data: dict[str, Any], known: dict[str, set[str]]
) -> Iterator[Finding]:
    """Channel templates use only vars and secrets; hooks name declared channels."""
    block = data.get("notifications") or {}
    static = {**known, "inputs": set(), "run": set()}
    yield from _check_templates(
        block.get("channels") or {},
        ("notifications", "channels"),
        static,
        "(channels use only vars and secrets)",
    )
    channels = set(playbook.notifications.channels)
    raw_on = block.get("on") or {}
    for event, names in playbook.notifications.on.items():
        for index, name in enumerate(names):
            if name not in channels:
                where: DataPath = ("notifications", "on", event.value)
                if isinstance(raw_on.get(event.value), list):
                    where = (*where, index)
                yield (
                    where,
                    f"notification channel '{name}' is not declared under "
                    f"notifications.channels" + _hint(name, channels),
                )


def _check_gate(
    step: GateStep, path: DataPath, values: set[str], roles: set[str], steps: set[str]
) -> Iterator[Finding]:
    for index, condition in enumerate(step.require):
        where = (*path, "require", index)
        if condition.signoff is not None and condition.signoff not in roles:
            yield (
                where,
                (
                    f"no sign-off for role '{condition.signoff}' comes before this gate"
                    + _hint(condition.signoff, roles)
                ),
            )
        if condition.value is not None and condition.value not in values:
            yield (
                where,
                (
                    f"no value '{condition.value}' is answered before this gate"
                    + _hint(condition.value, values)
                ),
            )
        if condition.step is not None and condition.step not in steps:
            yield (
                where,
                (
                    f"no step '{condition.step}' comes before this gate"
                    + _hint(condition.step, steps)
                ),
            )


def _check_http(step: HttpStep, path: DataPath, playbook: Playbook) -> Iterator[Finding]:
    targets = set(playbook.targets.http)
    if step.target is not None and step.target not in targets:
        yield (
            (*path, "target"),
            (
                f"http target '{step.target}' is not defined under targets.http"
                + _hint(step.target, targets)
            ),
        )
    if step.target is None and not step.url.startswith(("http://", "https://", "{{")):
        yield (*path, "url"), "a url without a target must start with http:// or https://"
