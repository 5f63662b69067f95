"""Answer the engine's questions from an answers file (rehearsals in staging, CI, tests).

A missing answer never guesses: the run stops cleanly, resumable later, naming what is missing.
Answers files are YAML validated like playbooks (file:line:column on errors)::

    operator: ana
    inputs: {backup_size: 4.2 GB, p95_ms: 312}
    signoffs: {DBA: Maria Lopez}
    acknowledge_breaches: true
    decisions:                 # per step, consumed in order on each failure
      smoke_flaky: [retry]
      restart_fleet: [retry_failed]   # a fan-out step: only the hosts that did not succeed
      optional_check: [{skip: "not needed in staging"}]
    on_failure: abort          # when no decision is left: abort | stop | rollback
    on_interrupted: rerun      # rerun | stop | {mark_done: "note"}
    holds:                     # a hold reached (or resumed) before its time; default leave
      overnight: wait          # wait | leave | continue | {continue: "reason"} | abort
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from deploytui.clock import SYSTEM_CLOCK
from deploytui.engine.operator import Decision, Failure, GateResult, StepView
from deploytui.executors.base import HostKey
from deploytui.model.events import DecisionAction
from deploytui.model.fields import CapturedValue
from deploytui.model.hold_step import until_text
from deploytui.model.steps import GateStep, InputStep, SignoffStep, StepBase
from deploytui.playbook.loader import PlaybookError, Problem, read_text, sentence_for_error
from deploytui.playbook.safe_yaml import YamlProblem, load_yaml

_DECISION_HELP = (
    "a decision is retry, retry_failed, abort, rollback, stop, rerun, {skip: reason} or "
    "{mark_done: note}"
)


def _action(name: Any) -> DecisionAction:
    try:
        return DecisionAction(str(name))
    except ValueError:
        raise ValueError(f"'{name}' is not a decision; {_DECISION_HELP}") from None


_HOLD_HELP = 'a hold answer is wait, leave, continue or {continue: "reason"} (also abort, rollback)'


def _as_hold_decision(item: Any) -> Decision:
    """``leave`` keeps the run parked (stop); ``continue`` goes on early with a reason."""
    if isinstance(item, Decision):
        return item
    if isinstance(item, str) and item in {"leave", "stop"}:
        return Decision(action=DecisionAction.stop, reason="the answers file says leave")
    if isinstance(item, str) and item == "continue":
        return Decision(action=DecisionAction.continue_, reason="the answers file says continue")
    if isinstance(item, dict) and len(item) == 1 and "continue" in item:
        reason = str(item["continue"] or "").strip() or "the answers file says continue"
        return Decision(action=DecisionAction.continue_, reason=reason)
    try:
        decision = _as_decision(item)
    except ValueError:
        raise ValueError(_HOLD_HELP) from None
    if decision.action not in {
        DecisionAction.wait,
        DecisionAction.abort,
        DecisionAction.rollback,
        DecisionAction.skip,
    }:
        raise ValueError(_HOLD_HELP)
    return decision


def _as_decision(item: Any) -> Decision:
    if isinstance(item, Decision):
        return item
    if isinstance(item, str):
        return Decision(action=_action(item))
    if isinstance(item, dict) and len(item) == 1:
        ((action, reason),) = item.items()
        return Decision(action=_action(action), reason=str(reason or ""))
    raise ValueError(_DECISION_HELP)


class Answers(BaseModel):
    """The content of an answers file."""

    model_config = ConfigDict(extra="forbid")

    operator: str | None = None
    inputs: dict[str, str] = Field(default_factory=dict)
    signoffs: dict[str, str] = Field(default_factory=dict)
    acknowledge_breaches: bool = True
    decisions: dict[str, list[Decision]] = Field(default_factory=dict)
    on_failure: Literal["abort", "stop", "rollback"] = "abort"
    accept_host_keys: list[str] = Field(
        default_factory=list, description="Fingerprints (SHA256:...) the rehearsal may accept."
    )
    on_interrupted: Decision = Field(default_factory=lambda: Decision(action=DecisionAction.rerun))
    holds: dict[str, Annotated[Decision, BeforeValidator(_as_hold_decision)]] = Field(
        default_factory=dict,
        description="Per hold step id: wait, leave (the default) or continue, when a hold is "
        "reached or resumed before its time.",
    )

    @field_validator("inputs", mode="before")
    @classmethod
    def _inputs_as_text(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {str(key): "" if item is None else str(item) for key, item in value.items()}
        return value

    @field_validator("decisions", mode="before")
    @classmethod
    def _decisions(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {
                str(step): [
                    _as_decision(item) for item in (items if isinstance(items, list) else [items])
                ]
                for step, items in value.items()
            }
        return value

    @field_validator("on_interrupted", mode="before")
    @classmethod
    def _interrupted(cls, value: Any) -> Any:
        return _as_decision(value)


def load_answers(path: Path | str) -> Answers:
    """Read and validate an answers file, with file:line:column errors."""
    file = Path(path)
    text = read_text(file)
    try:
        loaded = load_yaml(text)
    except YamlProblem as problem:
        raise PlaybookError(
            [Problem(str(file), problem.line, problem.column, problem.message)]
        ) from None
    data = loaded.data if loaded.data is not None else {}
    if not isinstance(data, dict):
        raise PlaybookError([Problem(str(file), 1, 1, "an answers file is a mapping")])
    try:
        return Answers.model_validate(data)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            path_ = tuple(item["loc"])
            line, column = loaded.locate(path_)
            problems.append(Problem(str(file), line, column, _sentence(item, path_, data)))
        raise PlaybookError(problems) from None


def _sentence(item: Any, path: tuple[Any, ...], data: Any) -> str:
    """Like the playbook's sentences, but naming the answers file and its own field names."""
    if item["type"] == "extra_forbidden" and len(path) == 1:
        guess = difflib.get_close_matches(str(path[0]), list(Answers.model_fields), n=1)
        hint = f"; did you mean '{guess[0]}'?" if guess else ""
        return f"unknown field '{path[0]}' in the answers file{hint}"
    return sentence_for_error(item, path, data).replace("the playbook", "the answers file")


class HeadlessOperator:
    """Implements ``engine.operator.Operator`` from an ``Answers`` object."""

    def __init__(
        self,
        answers: Answers,
        *,
        say: Callable[[str], None] = lambda text: None,
        operator_name: str = "",
    ) -> None:
        self.answers = answers
        self.say = say
        self.operator_name = operator_name
        self._used: dict[str, int] = defaultdict(int)
        self.missing: list[str] = []

    def _stop(self, reason: str) -> Decision:
        self.missing.append(reason)
        return Decision(action=DecisionAction.stop, reason=reason)

    def acknowledge(self, step: StepBase, view: StepView) -> Decision | None:
        return None

    def provide_inputs(
        self, step: InputStep, view: StepView, errors: dict[str, str], previous: dict[str, str]
    ) -> dict[str, str] | Decision:
        if errors:
            detail = "; ".join(f"{field}: {message}" for field, message in errors.items())
            return self._stop(f"answers file: invalid answer for step {step.id} ({detail})")
        missing = [
            field.id
            for field in step.fields
            if field.id not in self.answers.inputs and field.required and field.default is None
        ]
        if missing:
            return self._stop(
                f"answers file has no value for {', '.join(missing)} (step {step.id}); "
                "add them under 'inputs:' and resume"
            )
        return {
            field.id: self.answers.inputs.get(field.id, field.default or "")
            for field in step.fields
        }

    def acknowledge_breaches(self, step: InputStep, breaches: list[CapturedValue]) -> bool:
        for breach in breaches:
            self.say(f"  ⚠ {breach.label}: {breach.breach}")
        return self.answers.acknowledge_breaches

    def sign(self, step: SignoffStep, view: StepView, error: str | None) -> str | Decision:
        if error:
            return self._stop(f"answers file: sign-off for {step.role} refused: {error}")
        name = self.answers.signoffs.get(step.role)
        if not name:
            return self._stop(
                f"answers file has no sign-off for role '{step.role}' (step {step.id}); "
                "add it under 'signoffs:' and resume"
            )
        return name

    def review_gate(
        self, step: GateStep, view: StepView, results: list[GateResult]
    ) -> Decision | None:
        return None

    def _next_decision(self, step: StepBase) -> Decision | None:
        queue = self.answers.decisions.get(step.id, [])
        index = self._used[step.id]
        if index < len(queue):
            self._used[step.id] += 1
            return queue[index]
        return None

    def on_failure(self, step: StepBase, view: StepView, failure: Failure) -> Decision:
        decision = self._next_decision(step)
        if decision is not None:
            return decision
        default = self.answers.on_failure
        if default == "rollback" and failure.can_rollback:
            return Decision(action=DecisionAction.rollback, reason=failure.reason)
        if default == "stop":
            return self._stop(f"step {step.id} failed and the answers file says stop")
        return Decision(action=DecisionAction.abort, reason=failure.reason)

    def confirm_host_key(self, step: StepBase, view: StepView, key: HostKey) -> bool:
        accepted = key.fingerprint in self.answers.accept_host_keys
        verb = "accepted" if accepted else "refused (not in accept_host_keys)"
        self.say(f"  host key of {key.host}:{key.port} {key.key_type} {key.fingerprint} {verb}")
        return accepted

    def on_hold(self, step: StepBase, view: StepView, until: datetime) -> Decision:
        decision = self.answers.holds.get(step.id) or Decision(
            action=DecisionAction.stop, reason="leave (no answer under 'holds:')"
        )
        when = until_text(until, SYSTEM_CLOCK.now())
        self.say(f"  ⏳ {step.id} is held until {when}: {_HOLD_WORDS[decision.action]}")
        return decision

    def on_interrupted(self, step: StepBase, view: StepView) -> Decision:
        # Only an interruption answer (rerun, mark_done) is taken from the step's queue here; a
        # retry or skip meant for a failure stays queued for that failure.
        queue = self.answers.decisions.get(step.id, [])
        index = self._used[step.id]
        if index < len(queue) and queue[index].action in _INTERRUPTION_ACTIONS:
            self._used[step.id] += 1
            return queue[index]
        return self.answers.on_interrupted


_INTERRUPTION_ACTIONS = {DecisionAction.rerun, DecisionAction.mark_done}
_HOLD_WORDS = {
    DecisionAction.stop: "leaving it parked",
    DecisionAction.wait: "waiting here",
    DecisionAction.continue_: "continuing now (answers file)",
    DecisionAction.abort: "aborting (answers file)",
    DecisionAction.rollback: "rolling back (answers file)",
    DecisionAction.skip: "skipping it (answers file)",
}
