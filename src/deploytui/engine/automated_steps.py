"""The automated step kinds: render, journal the start, run the executor, journal the result.

Output streams to the listener at once and to the journal in chunks; captures, typed figures and
unknown host keys (which the operator may accept) are handled here for every executor alike.
"""

from __future__ import annotations

import re
from datetime import UTC
from typing import Any

from pydantic import ValidationError

from deploytui.engine.describe import describe_action
from deploytui.engine.host_retry import host_results, merge_details, retryable_hosts
from deploytui.engine.messages import OutputLine, RunStopped, render_problem
from deploytui.engine.output import OutputRecorder
from deploytui.engine.parts import EngineParts
from deploytui.executors.base import ExecContext, ExecResult
from deploytui.model.events import DecisionAction, EventType
from deploytui.model.fields import CapturedValue, FieldType
from deploytui.model.steps import AutomatedStep, StepBase
from deploytui.playbook.templating import TemplateError


def monitor_trigger(details: dict[str, Any]) -> dict[str, Any] | None:
    """The rollback trigger a monitor reported (``details["monitor"]["triggered"]``), if any."""
    monitor = details.get("monitor") if isinstance(details, dict) else None
    triggered = monitor.get("triggered") if isinstance(monitor, dict) else None
    return triggered if isinstance(triggered, dict) and triggered else None


class AutomatedSteps(EngineParts):
    def _execute_automated(self, step: AutomatedStep) -> None:
        try:
            rendered = self.render(step, mask=False)
            shown = self.render(step, mask=True)
        except (TemplateError, ValidationError) as error:
            attempt, began = self._start(step)
            self._fail(step, attempt, began, f"cannot render the step: {render_problem(error)}", {})
            return
        action, where = describe_action(shown, self.shown_targets)
        # A retry of the failed hosts only: the subset and the results it completes come from
        # the journal (state), so a resume after a crash mid-retry runs the same hosts.
        subset = self.state.steps[step.id].retry_hosts if self._host_subsets(step) else None
        earlier = host_results(self.state.steps[step.id].details) if subset is not None else []
        started: dict[str, Any] = {"action": self.mask(action or ""), "where": where}
        if subset is not None:
            started["hosts"] = subset
        attempt, began = self._start(step, started)
        if not self._stop_requested.is_set():
            # A stop that arrived while step_started was being written must still cancel it.
            self._cancel.clear()
        recorder = OutputRecorder(
            journal=self.journal,
            run_id=self.run_id,
            step_id=step.id,
            attempt=attempt,
            mask=self.mask,
            on_line=lambda stream, text: self.listener(
                OutputLine(step_id=step.id, attempt=attempt, stream=stream, text=text)
            ),
        )
        ctx = ExecContext(
            run_id=self.run_id,
            step_id=step.id,
            attempt=attempt,
            output=recorder.line,
            cancelled=self._cancel,
            record=lambda type_, data: self._record(step, attempt, type_, data),
            history=self._records_so_far(step),
            resources={"notifications": self.notifications},
            clock=self.clock,
            hosts=subset,
        )
        try:
            result = self.executors.for_kind(step.kind).execute(rendered, ctx)
        except Exception as error:  # an executor bug must not take the run down with it
            result = ExecResult(
                ok=False,
                reason=f"internal error in the {step.kind} executor: "
                f"{error.__class__.__name__}: {error}",
            )
        recorder.close()
        details = self.mask.data(result.details)
        if subset is not None:
            details = merge_details(earlier, details, subset)
        typed = [self._masked_value(value) for value in result.values]
        if self._stop_requested.is_set() and not result.ok:
            self._append(
                EventType.step_interrupted,
                step_id=step.id,
                attempt=attempt,
                data={"reason": "stopped by the operator while running"},
            )
            raise RunStopped("stopped by the operator while a step was running")
        if not result.ok and result.unknown_host_keys and self._accept_host_keys(step, result):
            self._fail(step, attempt, began, result.reason or "unknown host key", details)
            self._append(
                EventType.decision,
                step_id=step.id,
                data=self._retry_data(step, "host key accepted by the operator"),
            )
            return
        if not result.ok:
            self._fail(step, attempt, began, result.reason or "the step failed", details, typed)
            return
        if result.park_until is not None:
            # Not finished: a long watch between checkpoints. Park the run (engine/holds.py);
            # the next attempt continues from ExecContext.history.
            until = result.park_until
            until = until.replace(tzinfo=UTC) if until.tzinfo is None else until
            self.park(step, attempt, until, result.reason or "until the next checkpoint", details)
            return
        values, missing = self._captures(step, recorder, result)
        if missing:
            self._fail(step, attempt, began, missing, details, typed)
            return
        values.extend(typed)
        self._succeed(
            step,
            attempt,
            began,
            details=details,
            values=[value.model_dump(mode="json") for value in values],
        )

    def _host_subsets(self, step: StepBase) -> bool:
        """Whether the step's executor can run on a subset of its hosts (``ExecContext.hosts``)."""
        if not isinstance(step, AutomatedStep):
            return False
        try:
            return bool(getattr(self.executors.for_kind(step.kind), "host_subsets", False))
        except KeyError:
            return False

    def _failed_hosts(self, step: StepBase) -> list[str]:
        """The hosts a ``retry_failed`` would run now ([] when it is not on offer)."""
        if not self._host_subsets(step):
            return []
        return retryable_hosts(self.state.steps[step.id].details)

    def _retry_data(self, step: StepBase, reason: str, **extra: Any) -> dict[str, Any]:
        """A retry the engine decides itself (automatic, or after a host key was accepted).

        On a fan-out step that succeeded on some hosts it runs only the others: a retry nobody
        chose must never be riskier than the operator's default, and hosts that already
        succeeded run again only when the operator chooses "retry all".
        """
        hosts = self._failed_hosts(step)
        if hosts:
            return {
                "action": DecisionAction.retry_failed.value,
                "reason": reason,
                "hosts": hosts,
                **extra,
            }
        return {"action": DecisionAction.retry.value, "reason": reason, **extra}

    def _record(self, step: AutomatedStep, attempt: int, type_: str, data: dict[str, Any]) -> None:
        """Journal a compact record an executor made while running (a monitor sample...)."""
        self._append(EventType(type_), step_id=step.id, attempt=attempt, data=self.mask.data(data))

    def _records_so_far(self, step: AutomatedStep) -> list[dict[str, Any]]:
        """Records this step journaled in earlier attempts (a watch continues, not restarts)."""
        kinds = (EventType.monitor_sample, EventType.monitor_crossing, EventType.run_held)
        return [
            {"type": event.type.value, "at": event.at, "attempt": event.attempt, "data": event.data}
            for event in self.journal.events(self.run_id, step_id=step.id, types=kinds)
        ]

    def _accept_host_keys(self, step: AutomatedStep, result: ExecResult) -> bool:
        """Ask about each unknown key; journal and hand over the accepted ones."""
        executor = self.executors.for_kind(step.kind)
        accept = getattr(executor, "accept_host_key", None)
        if not callable(accept):
            return False
        view = self.view(step)
        for key in result.unknown_host_keys:
            if not self.operator.confirm_host_key(step, view, key):
                return False
        for key in result.unknown_host_keys:
            accept(key)
            self._append(
                EventType.host_key_accepted,
                step_id=step.id,
                data=key.model_dump(exclude={"key_base64"}),
            )
        return True

    def _captures(
        self, step: AutomatedStep, recorder: OutputRecorder, result: ExecResult
    ) -> tuple[list[CapturedValue], str]:
        values: list[CapturedValue] = []
        for capture in step.capture:
            text = result.captures.get(capture.name)
            if text is None:
                lines = recorder.captured_lines(capture.stream)
                for line in lines:
                    match = re.search(capture.pattern, line)
                    if match:
                        text = match.group(1) if match.groups() else match.group(0)
                        break
            if text is None:
                if capture.required:
                    return (
                        [],
                        f"nothing in the output matched capture '{capture.name}' "
                        f"({capture.pattern})",
                    )
                continue
            masked = self.mask(text)
            values.append(
                CapturedValue(
                    field=capture.name,
                    label=capture.name,
                    type=FieldType.text,
                    raw=masked,
                    value=masked,
                    display=masked,
                    secret=masked != text,
                )
            )
        return values, ""
