"""Parking a run until a checkpoint time, and picking it up again.

A ``hold`` step, or an automated step whose executor returns ``ExecResult.park_until`` (a long
watch between checkpoints), journals ``run_held`` {until, reason, since} and the step becomes
*held*. Everything needed later is in that event, so a run parked for the night survives the
process ending, a kill -9 or a laptop asleep. When the held step comes up again (at once, or on
resume):

- at or after the time, a hold succeeds and a parked step runs again (a new attempt that
  continues from ``ExecContext.history``);
- before it, ``Operator.on_hold`` decides: ``wait`` (sleep on the engine's clock in short naps,
  so a laptop that slept wakes to the right time; a stop or cancel ends the wait), ``continue``
  (go on now, reason journaled), ``stop`` (leave it parked: the run ends *waiting*), or skip /
  abort / roll back as for any step.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from deploytui.engine.messages import RunStopped, StepSettled
from deploytui.engine.operator import Decision
from deploytui.engine.parts import EngineParts
from deploytui.journal.store import PendingEvent
from deploytui.model.events import DecisionAction, EventType, StepStatus
from deploytui.model.hold_step import HoldStep, as_utc, waiting_text
from deploytui.model.steps import AutomatedStep, StepBase

# The longest single nap while waiting: monotonic waits stop while a laptop is suspended, so
# the wall clock is looked at again at least this often.
NAP_SECONDS = 30.0


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def iso_until(moment: datetime) -> str:
    """An end time to whole seconds, rounded up: a parked step is never released early."""
    if moment.microsecond:
        moment += timedelta(microseconds=1_000_000 - moment.microsecond)
    return iso(moment)


class Holds(EngineParts):
    # Provided by the engine (runner.py) and AutomatedSteps; declared for the type checker.
    def _apply_decision(
        self, step: StepBase, decision: Decision, extra: dict[str, Any] | None = None
    ) -> None:
        raise NotImplementedError

    def _can_rollback(self) -> bool:
        raise NotImplementedError

    def _execute_automated(self, step: AutomatedStep) -> None:
        raise NotImplementedError

    def _append_many(self, pending: list[PendingEvent]) -> Any:
        raise NotImplementedError

    # -- reaching a hold -----------------------------------------------------------------------

    def _execute_hold(self, step: HoldStep) -> None:
        attempt, _ = self._start(step, {"action": f"hold {step.wording()}"})
        now = self.clock.now()
        until = step.ends_at(now)
        if until <= now:  # an "until" date and time already past: nothing to wait for
            self._release_hold(step, attempt, until, "the time had already passed")
            return
        self.park(step, attempt, until, f"{step.title} ({step.wording()})")

    def park(
        self,
        step: StepBase,
        attempt: int,
        until: datetime,
        reason: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Journal ``run_held``: the step is parked until ``until`` (the loop asks next)."""
        data: dict[str, Any] = {
            "until": iso_until(until),
            "reason": self.mask(reason),
            "since": iso(self.clock.now()),
        }
        if details:
            data["details"] = details
        self._append(EventType.run_held, step_id=step.id, attempt=attempt, data=data)

    # -- a held step comes up ------------------------------------------------------------------

    def _handle_held(self, step: StepBase) -> None:
        state = self.state.steps[step.id]
        until = as_utc(state.held_until or iso(self.clock.now()))
        released = "the time came"
        while self.clock.now() < until:
            decision = self._ask_hold(step, until)
            action = decision.action
            reason = self.mask(decision.reason)
            if action == DecisionAction.stop:
                raise RunStopped(waiting_text(until, self.clock.now()))
            if action == DecisionAction.continue_:
                self._continue_early(step, until, reason)
                return
            if action == DecisionAction.wait:
                self._append(
                    EventType.decision,
                    step_id=step.id,
                    data={
                        "action": DecisionAction.wait.value,
                        "reason": reason or waiting_text(until, self.clock.now()),
                        "until": iso(until),
                    },
                )
                if self._wait_until(until):
                    released = "waited until the time"
                    break
                if self._stop_requested.is_set():
                    raise RunStopped(
                        f"stopped by the operator, {waiting_text(until, self.clock.now())}"
                    )
                continue  # the wait was cancelled: ask again (continue now, or leave)
            if action in {DecisionAction.skip, DecisionAction.abort, DecisionAction.mark_done}:
                self._apply_decision(step, decision)
                raise StepSettled
            if action == DecisionAction.rollback:
                if not self._can_rollback():
                    raise RunStopped("rollback is not available here")
                self._apply_decision(step, decision)
                raise StepSettled
            raise RunStopped(f"'{action.value}' is not an answer at a hold; the run stays parked")
        if isinstance(step, HoldStep):
            self._release_hold(step, state.attempts, until, released)
        elif isinstance(step, AutomatedStep):
            self._execute_automated(step)  # a new attempt; the executor continues from history
        else:  # pragma: no cover - only holds and automated steps are ever parked
            raise TypeError(f"step {step.id} ({type(step).__name__}) cannot be held")

    def _ask_hold(self, step: StepBase, until: datetime) -> Decision:
        ask = getattr(self.operator, "on_hold", None)
        if ask is None:  # an operator from before holds existed: leave the run parked
            return Decision(action=DecisionAction.stop)
        decision = ask(step, self.view(step), until)
        if not isinstance(decision, Decision):
            return Decision(action=DecisionAction.stop)
        return decision

    def _continue_early(self, step: StepBase, until: datetime, reason: str) -> None:
        now = self.clock.now()
        decision = PendingEvent(
            type=EventType.decision,
            step_id=step.id,
            data={
                "action": DecisionAction.continue_.value,
                "reason": reason,
                "until": iso(until),
                "early_by": round((until - now).total_seconds()),
            },
        )
        if isinstance(step, HoldStep):
            # One transaction: a crash can never leave a released hold to be reached again.
            attempt = self.state.steps[step.id].attempts
            self._append_many(
                [decision, self._hold_finished(step, attempt, until, "continued early")]
            )
            return
        self._append_many([decision])
        if isinstance(step, AutomatedStep):
            self._execute_automated(step)

    def _wait_until(self, until: datetime) -> bool:
        """Sleep on the engine's clock until ``until``; False if cancelled or stopped first."""
        if not self._stop_requested.is_set():
            self._cancel.clear()  # a cancel meant for an earlier step must not end this wait
        while True:
            remaining = (until - self.clock.now()).total_seconds()
            if remaining <= 0:
                return True
            if self._cancel.is_set():
                return False
            if not self.clock.sleep(min(remaining, NAP_SECONDS), self._cancel):
                return False

    # -- ending a hold -------------------------------------------------------------------------

    def _release_hold(self, step: HoldStep, attempt: int, until: datetime, how: str) -> None:
        self._append_many([self._hold_finished(step, attempt, until, how)])

    def _hold_finished(
        self, step: HoldStep, attempt: int, until: datetime, how: str
    ) -> PendingEvent:
        since = self._held_since(step) or self.clock.now()
        return PendingEvent(
            type=EventType.step_finished,
            step_id=step.id,
            attempt=attempt or None,
            data={
                "status": StepStatus.succeeded.value,
                # The hold's real length (wall clock), so phase times tell the truth.
                "duration": round(max(0.0, (self.clock.now() - since).total_seconds()), 3),
                "details": {"hold": {"until": iso(until), "released": how}},
            },
        )

    def _held_since(self, step: StepBase) -> datetime | None:
        """When the step was first parked (its earliest ``run_held`` of this attempt)."""
        attempt = self.state.steps[step.id].attempts
        for event in self.journal.events(self.run_id, include_output=False):
            if (
                event.type == EventType.run_held
                and event.step_id == step.id
                and event.attempt == attempt
                and event.data.get("since")
            ):
                return as_utc(str(event.data["since"]))
        return None
