"""The run engine: walks a playbook step by step, asks the operator, runs executors, journals.

It is UI-free and synchronous: callers run ``Engine.run()`` in a thread (the TUI) or directly
(headless, tests). The ordering rule that makes resume exact: a step's ``step_started`` is
committed before the step executes, and its result (with values, sign-off, captures) is committed
in one transaction before the next step begins. State is always re-derived from events.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from typing import Any

from pydantic import ValidationError

from deploytui.clock import SYSTEM_CLOCK, Clock
from deploytui.engine.automated_steps import AutomatedSteps, monitor_trigger
from deploytui.engine.describe import describe_action
from deploytui.engine.holds import Holds
from deploytui.engine.host_retry import host_results
from deploytui.engine.manual_steps import ManualSteps
from deploytui.engine.masking import Masker
from deploytui.engine.messages import (
    Listener,
    OutputLine,
    RunOutcome,
    RunStopped,
    StepSettled,
    render_problem,
)
from deploytui.engine.notifications import NotificationHub
from deploytui.engine.operator import Decision, Failure, Operator, StepView
from deploytui.executors import ExecutorSet
from deploytui.executors.base import CANCELLED
from deploytui.journal.locks import RunLock
from deploytui.journal.state import RunState
from deploytui.journal.store import Journal, PendingEvent
from deploytui.model.events import DecisionAction, Event, EventType, RunStatus, StepStatus
from deploytui.model.fields import CapturedValue
from deploytui.model.hold_step import HoldStep
from deploytui.model.playbook import ROLLBACK_PHASE_ID
from deploytui.model.steps import (
    AutomatedStep,
    GateStep,
    OnFailure,
    StepBase,
)
from deploytui.playbook.loader import LoadedPlaybook
from deploytui.playbook.templating import Context, TemplateError, render_data, render_targets

# Callers import these from here: the engine's public face.
__all__ = ["Engine", "Listener", "OutputLine", "RunOutcome", "describe_action", "start_run"]


def new_run_id() -> str:
    return os.urandom(4).hex()


class Engine(ManualSteps, AutomatedSteps, Holds):
    """Drives one run of one playbook."""

    def __init__(
        self,
        *,
        journal: Journal,
        run_id: str,
        loaded: LoadedPlaybook,
        operator: Operator,
        secrets: dict[str, str] | None = None,
        listener: Listener | None = None,
        executors: ExecutorSet | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.journal = journal
        self.run_id = run_id
        self.loaded = loaded
        self.playbook = loaded.playbook
        self.operator = operator
        self.secrets = dict(secrets or {})
        self.mask = Masker(self.secrets.values())
        self.listener = listener or (lambda item: None)
        self.clock: Clock = clock or SYSTEM_CLOCK
        self.shown_targets = render_targets(
            self.playbook.targets, self.playbook.variables, self.secrets, mask=True
        )
        self.executors = executors or ExecutorSet(
            self.playbook,
            targets=render_targets(
                self.playbook.targets, self.playbook.variables, self.secrets, mask=False
            ),
        )
        self.state = RunState.from_events(run_id, self.playbook, journal.events(run_id))
        self.state.resolve_interrupted()
        self._cancel = threading.Event()
        self._stop_requested = threading.Event()
        self._lock = RunLock(journal, run_id)
        self.notifications = NotificationHub.for_engine(self)  # webhook hooks, notify steps

    # -- control from other threads ------------------------------------------------------------

    def cancel_current(self) -> None:
        """Stop the command that is running now (the step then fails as cancelled)."""
        self._cancel.set()

    def request_stop(self) -> None:
        """Leave the run resumable: stop the running command and mark its step interrupted."""
        self._stop_requested.set()
        self._cancel.set()

    # -- journaling ----------------------------------------------------------------------------

    def _append(self, type_: EventType, **kwargs: Any) -> Event:
        event = self.journal.append(self.run_id, type_, **kwargs)
        self._applied([event])
        return event

    def _append_many(self, pending: list[PendingEvent]) -> list[Event]:
        events = self.journal.append_many(self.run_id, pending)
        self._applied(events)
        return events

    def _applied(self, events: list[Event]) -> None:
        for event in events:
            self.state.apply(event)
            self.listener(event)
            self.notifications.observe(event)

    # -- the loop ------------------------------------------------------------------------------

    def run(
        self, *, take_over: bool = False, resume_data: dict[str, Any] | None = None
    ) -> RunOutcome:
        """Run until the end, a terminal decision, or a stop. Safe to call on a resumed run."""
        if self.state.finished:
            return RunOutcome(
                run_id=self.run_id, status=self.state.status, message="the run had already finished"
            )
        self._lock.acquire(take_over=take_over)
        try:
            if resume_data is not None:
                self._append(EventType.run_resumed, data=resume_data)
            self.notifications.run_began(self.state)
            return self._loop()
        except RunStopped as stop:
            self._append(EventType.run_paused, data={"reason": stop.reason})
            return RunOutcome(
                run_id=self.run_id,
                status=RunStatus.waiting,
                message=stop.reason,
                held_until=self.state.held_until,
            )
        finally:
            try:  # a bounded wait for webhook deliveries; their outcomes are journaled
                if pending := self.notifications.finish():
                    self._append_many(pending)
            finally:
                self._lock.release()
                self.executors.close()

    def _loop(self) -> RunOutcome:
        while True:
            if pending := self.notifications.drain():  # webhook outcomes since the last step
                self._append_many(pending)
            if self._stop_requested.is_set():
                raise RunStopped("stopped by the operator")
            if self.state.finished:
                return RunOutcome(run_id=self.run_id, status=self.state.status)
            step_id = self.state.next_step_id()
            if step_id is None:
                return self._finish()
            step = self.playbook.step(step_id)
            step_state = self.state.steps[step_id]
            try:
                if step_state.status == StepStatus.interrupted and step.automated:
                    self._handle_interrupted(step)
                elif step_state.status == StepStatus.held:
                    self._handle_held(step)  # parked until a time (engine/holds.py)
                elif step_state.status == StepStatus.failed:
                    self._handle_failure(step, step_state.reason or "the step failed")
                else:
                    self._execute(step)
            except StepSettled:
                continue

    def _finish(self) -> RunOutcome:
        status = RunStatus.rolled_back if self.state.rolling_back else RunStatus.completed
        self._append(EventType.run_finished, data={"status": status.value})
        return RunOutcome(run_id=self.run_id, status=status)

    # -- views and rendering -------------------------------------------------------------------

    def context(self) -> Context:
        run_fields = {
            "id": self.run_id,
            "operator": self.state.operator,
            "started_at": self.state.started_at or "",
            "playbook": self.playbook.name,
        }
        return Context(
            variables=self.playbook.variables,
            inputs=self.state.inputs,
            secrets=self.secrets,
            run=run_fields,
        )

    def render(self, step: StepBase, *, mask: bool) -> StepBase:
        """The step with every template substituted (secrets masked when ``mask``)."""
        raw = step.model_dump(by_alias=True, exclude_unset=False, mode="json")
        if raw.get("estimate") is not None:
            # Stored in seconds; a bare number would be read back as minutes.
            raw["estimate"] = f"{raw['estimate']}s"
        rendered = render_data(raw, self.context(), shell_keys={"command"}, mask=mask)
        # "rendered": checks that only make sense on the playbook as written are skipped.
        return type(step).model_validate(rendered, context={"rendered": True})

    def view(self, step: StepBase) -> StepView:
        phase_id = self.playbook.phase_of(step.id)
        if phase_id == ROLLBACK_PHASE_ID:
            phase_title, siblings = self.playbook.rollback.title, self.playbook.rollback.steps
        else:
            phase = next(phase for phase in self.playbook.phases if phase.id == phase_id)
            phase_title, siblings = phase.title, phase.steps
        action = where = None
        title, description = step.title, step.description
        try:
            shown_step = self.render(step, mask=True)
            title, description = shown_step.title, shown_step.description
            action, where = describe_action(shown_step, self.shown_targets)
        except (TemplateError, ValidationError) as error:
            action = f"(cannot render yet: {render_problem(error)})"
        return StepView(
            step_id=step.id,
            kind=getattr(step, "kind", "?"),
            phase_id=phase_id,
            phase_title=phase_title,
            index=[item.id for item in siblings].index(step.id) + 1,
            total=len(siblings),
            title=title,
            description=description,
            action=self.mask(action) if action else None,
            where=where,
            estimate=step.estimate,
            attempt=self.state.steps[step.id].attempts + 1,
            rollback=phase_id == ROLLBACK_PHASE_ID,
        )

    # -- decisions -----------------------------------------------------------------------------

    def _apply_decision(
        self, step: StepBase, decision: Decision, extra: dict[str, Any] | None = None
    ) -> None:
        """Journal a decision (with ``extra`` data) and its consequence together."""
        action = decision.action
        data = {"action": action.value, "reason": self.mask(decision.reason), **(extra or {})}
        pending = [PendingEvent(type=EventType.decision, step_id=step.id, data=data)]
        if action == DecisionAction.stop:
            raise RunStopped(decision.reason or "stopped by the operator")
        if action == DecisionAction.skip:
            pending.append(
                PendingEvent(
                    type=EventType.step_finished,
                    step_id=step.id,
                    attempt=self.state.steps[step.id].attempts or None,
                    data={"status": StepStatus.skipped.value, "reason": self.mask(decision.reason)},
                )
            )
        elif action == DecisionAction.mark_done:
            pending.append(
                PendingEvent(
                    type=EventType.step_finished,
                    step_id=step.id,
                    attempt=self.state.steps[step.id].attempts or None,
                    data={
                        "status": StepStatus.succeeded.value,
                        "marked_done": True,
                        "reason": self.mask(decision.reason),
                    },
                )
            )
        elif action == DecisionAction.abort:
            pending.append(
                PendingEvent(type=EventType.run_finished, data={"status": RunStatus.aborted.value})
            )
        elif action == DecisionAction.rollback:
            if self.state.rolling_back or not self.playbook.rollback.steps:
                raise ValueError("rollback is not available now")
            pending.append(
                PendingEvent(
                    type=EventType.rollback_started,
                    step_id=step.id,
                    data={"reason": self.mask(decision.reason) or f"after step {step.id}"},
                )
            )
        self._append_many(pending)
        if action in {DecisionAction.abort, DecisionAction.rollback}:
            raise StepSettled

    def _interject(self, step: StepBase, reply: Decision | None) -> None:
        """Apply a decision the operator made instead of answering (skip, abort, stop...)."""
        if reply is None:
            return
        if reply.action == DecisionAction.rollback and not self._can_rollback():
            raise RunStopped("rollback is not available here")
        self._apply_decision(step, reply)
        raise StepSettled

    def _can_rollback(self) -> bool:
        return bool(self.playbook.rollback.steps) and not self.state.rolling_back

    def _handle_failure(self, step: StepBase, reason: str) -> None:
        policy = step.on_failure
        trigger = monitor_trigger(self.state.steps[step.id].details)
        failed_hosts = [] if trigger else self._failed_hosts(step)
        if (
            trigger
            and str(getattr(step, "on_trigger", "ask")) == "rollback"
            and self._can_rollback()
        ):
            # The playbook opted in explicitly: a rollback trigger starts the rollback unasked.
            self._apply_decision(
                step,
                Decision(action=DecisionAction.rollback, reason=f"on_trigger: rollback ({reason})"),
                extra={"automatic": True, "trigger": trigger},
            )
            return
        if policy == OnFailure.abort:
            decision = Decision(action=DecisionAction.abort, reason=f"on_failure: abort ({reason})")
        elif policy == OnFailure.skip:
            decision = Decision(action=DecisionAction.skip, reason=f"on_failure: skip ({reason})")
        elif policy == OnFailure.rollback and self._can_rollback():
            decision = Decision(action=DecisionAction.rollback, reason=reason)
        else:
            failure = Failure(
                reason=reason,
                attempt=self.state.steps[step.id].attempts,
                can_rollback=self._can_rollback(),
                trigger=trigger,
                failed_hosts=failed_hosts,
                host_count=len(host_results(self.state.steps[step.id].details)),
            )
            decision = self.operator.on_failure(step, self.view(step), failure)
            if decision.action == DecisionAction.rollback and not failure.can_rollback:
                decision = Decision(action=DecisionAction.stop, reason="rollback not available")
        if decision.action == DecisionAction.retry_failed:
            if not failed_hosts:
                # Never widen it to "retry all" silently: that is the choice it exists to avoid.
                decision = Decision(
                    action=DecisionAction.stop,
                    reason="retry of the failed hosts only is not available for this step",
                )
            else:
                self._apply_decision(step, decision, extra={"hosts": failed_hosts})
                return
        if (
            isinstance(step, GateStep)
            and decision.action == DecisionAction.skip
            and not decision.reason.startswith("gate overridden: ")
        ):
            # Skipping a blocked gate is going ahead despite a no-go: the audit trail says so.
            decision = Decision(
                action=DecisionAction.skip, reason=f"gate overridden: {decision.reason}"
            )
        self._apply_decision(step, decision)

    def _handle_interrupted(self, step: StepBase) -> None:
        """An automated step was running when the run stopped: re-run only if safe or chosen."""
        if step.idempotent:
            self._append(
                EventType.decision,
                step_id=step.id,
                data={
                    "action": DecisionAction.rerun.value,
                    "reason": "idempotent step re-run after interruption",
                },
            )
            return
        decision = self.operator.on_interrupted(step, self.view(step))
        self._apply_decision(step, decision)

    # -- executing a step ----------------------------------------------------------------------

    def _start(self, step: StepBase, data: dict[str, Any] | None = None) -> tuple[int, float]:
        attempt = self.state.steps[step.id].attempts + 1
        self._append(EventType.step_started, step_id=step.id, attempt=attempt, data=data or {})
        return attempt, time.monotonic()

    def _succeed(self, step: StepBase, attempt: int, began: float, **data: Any) -> None:
        payload = {
            "status": StepStatus.succeeded.value,
            "duration": round(time.monotonic() - began, 3),
            **data,
        }
        self._append(EventType.step_finished, step_id=step.id, attempt=attempt, data=payload)

    def _execute(self, step: StepBase) -> None:
        if isinstance(step, HoldStep):
            self._execute_hold(step)
            return
        if isinstance(step, AutomatedStep):
            self._execute_automated(step)
            return
        self._execute_manual(step)

    def _fail(
        self,
        step: StepBase,
        attempt: int,
        began: float,
        reason: str,
        details: dict[str, Any],
        values: list[CapturedValue] | None = None,
    ) -> None:
        reason = self.mask(reason)
        data: dict[str, Any] = {
            "status": StepStatus.failed.value,
            "reason": reason,
            "duration": round(time.monotonic() - began, 3),
            "details": details,
        }
        if values:  # typed figures an executor measured (a sampled p95 that missed its target)
            data["values"] = [value.model_dump(mode="json") for value in values]
        self._append(EventType.step_finished, step_id=step.id, attempt=attempt, data=data)
        if reason.endswith(CANCELLED) or not isinstance(step, AutomatedStep):
            return
        if monitor_trigger(details):
            return  # a rollback trigger is not a flaky failure: never retried automatically
        automatic_retries = sum(
            1
            for item in self.state.steps[step.id].decisions
            if item.get("automatic")
            and item.get("action")
            in {DecisionAction.retry.value, DecisionAction.retry_failed.value}
        )
        if automatic_retries < step.retries:
            time.sleep(step.retry_delay)
            self._append(
                EventType.decision,
                step_id=step.id,
                data=self._retry_data(
                    step,
                    f"automatic retry {automatic_retries + 1} of {step.retries}",
                    automatic=True,
                ),
            )


def start_run(
    journal: Journal,
    loaded: LoadedPlaybook,
    *,
    operator_name: str,
    overrides: dict[str, str] | None = None,
    mode: str = "interactive",
) -> str:
    """Create a run (row + snapshot + ``run_started``) and return its id."""
    playbook = loaded.playbook
    for _ in range(5):
        run_id = new_run_id()
        try:
            journal.run(run_id)
        except Exception:
            break
    journal.create_run(
        run_id=run_id,
        playbook_name=playbook.name,
        playbook_version=playbook.version,
        playbook_path=os.path.abspath(loaded.path)
        if not loaded.path.startswith("<")
        else loaded.path,
        playbook_sha256=loaded.sha256,
        snapshot=loaded.text,
        operator=operator_name,
        host=socket.gethostname(),
        data={
            "operator": operator_name,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "overrides": overrides or {},
            "mode": mode,
            "playbook_sha256": loaded.sha256,
            # --targets FILE: kept so resume and show use the same hosts.
            **({"targets": loaded.targets_file.record()} if loaded.targets_file else {}),
        },
    )
    return run_id
