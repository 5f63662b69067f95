"""The manual step kinds: notes and confirms, typed inputs, sign-offs and go/no-go gates.

Each asks the operator (through the ``Operator`` protocol) and loops until the answer is valid,
the operator decides otherwise (skip, abort, roll back, stop), or a gate blocks.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import ValidationError

from deploytui.engine.gates import evaluate_gate
from deploytui.engine.operator import Decision, StepView
from deploytui.engine.parts import EngineParts
from deploytui.model.events import DecisionAction
from deploytui.model.fields import CapturedValue
from deploytui.model.steps import ConfirmStep, GateStep, InputStep, NoteStep, SignoffStep, StepBase
from deploytui.model.values import InvalidValue
from deploytui.playbook.templating import TemplateError


class ManualSteps(EngineParts):
    def _execute_manual(self, step: StepBase) -> None:
        view = self.view(step)
        attempt, began = self._start(step)
        # The operator sees the step with templates rendered and secrets masked.
        step = self._shown_or_raw(step)
        if isinstance(step, NoteStep | ConfirmStep):
            self._interject(step, self.operator.acknowledge(step, view))
            self._succeed(step, attempt, began)
        elif isinstance(step, InputStep):
            values = self._ask_inputs(step, view)
            self._succeed(
                step, attempt, began, values=[value.model_dump(mode="json") for value in values]
            )
        elif isinstance(step, SignoffStep):
            signoff = self._ask_signoff(step, view)
            self._succeed(step, attempt, began, signoff=signoff)
        elif isinstance(step, GateStep):
            self._review_gate(step, view, attempt, began)
        else:
            raise TypeError(f"no handler for step kind {type(step).__name__}")

    def _shown_or_raw(self, step: StepBase) -> StepBase:
        try:
            return self.render(step, mask=True)
        except (TemplateError, ValidationError):
            return step

    def _ask_inputs(self, step: InputStep, view: StepView) -> list[CapturedValue]:
        errors: dict[str, str] = {}
        previous: dict[str, str] = {}
        while True:
            reply = self.operator.provide_inputs(step, view, errors, previous)
            if isinstance(reply, Decision):
                self._interject(step, reply)
                continue
            previous = {key: str(value) for key, value in reply.items()}
            captured, errors = [], {}
            for field in step.fields:
                try:
                    value = field.capture(previous.get(field.id, ""))
                except InvalidValue as error:
                    errors[field.id] = str(error)
                    continue
                captured.append(self._masked_value(value))
            if errors:
                continue
            breaches = [value for value in captured if value.breach]
            if breaches and not self.operator.acknowledge_breaches(step, breaches):
                errors = {
                    value.field: f"breach not acknowledged: {value.breach}" for value in breaches
                }
                continue
            return captured

    def _ask_signoff(self, step: SignoffStep, view: StepView) -> dict[str, str]:
        error: str | None = None
        while True:
            reply = self.operator.sign(step, view, error)
            if isinstance(reply, Decision):
                self._interject(step, reply)
                continue
            name = " ".join(reply.split())
            if not name:
                error = "type the signer's name"
                continue
            clash = [
                role
                for role in step.distinct_from
                if self.state.signoffs.get(role, "").casefold() == name.casefold()
            ]
            if clash:
                error = (
                    f"{name} already signed as {clash[0]}; another person must sign as {step.role}"
                )
                continue
            return {
                "role": step.role,
                "name": self.mask(name),
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
            }

    def _review_gate(self, step: GateStep, view: StepView, attempt: int, began: float) -> None:
        results = evaluate_gate(step, self.state)
        reply = self.operator.review_gate(step, view, results)
        summary = [result.model_dump() for result in results]
        if reply is not None:
            if reply.action == DecisionAction.skip:
                reply = Decision(
                    action=DecisionAction.skip, reason=f"gate overridden: {reply.reason}"
                )
            self._interject(step, reply)
        blockers = [f"{result.label} ({result.detail})" for result in results if not result.passed]
        if blockers:
            self._fail(
                step, attempt, began, "no-go: " + "; ".join(blockers), {"conditions": summary}
            )
            return
        self._succeed(step, attempt, began, details={"conditions": summary})
