"""How the engine talks to whoever drives the run: the TUI, the headless runner, or a test.

The engine calls these methods from its own thread and blocks until they return; a UI answers
them by posting a message to its event loop and waiting on a future. Every method may answer
with a ``Decision`` (skip with a reason, abort, roll back, or stop = leave the run resumable).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, model_validator

from deploytui.executors.base import HostKey
from deploytui.model.events import DecisionAction
from deploytui.model.fields import CapturedValue
from deploytui.model.steps import GateStep, InputStep, SignoffStep, StepBase


class Decision(BaseModel):
    """An operator's choice. Skipping needs a reason; marking done needs a note."""

    model_config = ConfigDict(frozen=True)

    action: DecisionAction
    reason: str = ""

    @model_validator(mode="after")
    def _reason_when_needed(self) -> Decision:
        if (
            self.action in {DecisionAction.skip, DecisionAction.mark_done, DecisionAction.continue_}
            and not self.reason.strip()
        ):
            raise ValueError(f"{self.action.value} needs a reason")
        return self


CONTINUE = None  # returned by acknowledge() to mean "done, go on"


class StepView(BaseModel):
    """What a step is about to do, rendered for display (secrets masked)."""

    model_config = ConfigDict(frozen=True)

    step_id: str
    kind: str
    phase_id: str
    phase_title: str
    index: int
    total: int
    title: str
    description: str
    action: str | None = None
    where: str | None = None
    estimate: int | None = None
    attempt: int = 1
    rollback: bool = False


class Failure(BaseModel):
    """Why a step failed, and what the operator may do about it."""

    model_config = ConfigDict(frozen=True)

    reason: str
    attempt: int
    can_rollback: bool
    # A monitor's rollback trigger (details["monitor"]["triggered"]: signal, value, threshold,
    # t) when the failure is one: the UI offers the rollback loudly.
    trigger: dict[str, Any] | None = None
    # A fan-out step that succeeded on some hosts: the hosts that did not (failed, cancelled or
    # not started), which ``retry_failed`` re-runs alone; empty when that is not on offer.
    failed_hosts: list[str] = []
    # How many hosts the step ran on (0 when it is not a fan-out step).
    host_count: int = 0


class GateResult(BaseModel):
    """One go/no-go condition and whether it holds now."""

    model_config = ConfigDict(frozen=True)

    label: str
    passed: bool
    detail: str = ""


class Operator(Protocol):
    """The engine's questions. ``None`` from acknowledge/review_gate means continue."""

    def acknowledge(self, step: StepBase, view: StepView) -> Decision | None: ...

    def provide_inputs(
        self, step: InputStep, view: StepView, errors: dict[str, str], previous: dict[str, str]
    ) -> dict[str, str] | Decision: ...

    def acknowledge_breaches(self, step: InputStep, breaches: list[CapturedValue]) -> bool: ...

    def sign(self, step: SignoffStep, view: StepView, error: str | None) -> str | Decision: ...

    def review_gate(
        self, step: GateStep, view: StepView, results: list[GateResult]
    ) -> Decision | None: ...

    def on_failure(self, step: StepBase, view: StepView, failure: Failure) -> Decision: ...

    def on_interrupted(self, step: StepBase, view: StepView) -> Decision: ...

    def on_hold(self, step: StepBase, view: StepView, until: datetime) -> Decision:
        """The run is parked until ``until`` (aware UTC) and that time has not come yet.

        Asked when a hold (or a watch's checkpoint) is reached and when a parked run is resumed
        early. Answer ``wait`` (stay, the engine sleeps until then; a stop ends the wait),
        ``continue_`` with a reason (go on now), ``stop`` (leave it parked, resume later), or
        ``abort`` / ``rollback`` / ``skip`` as for any step.
        """
        ...

    def confirm_host_key(self, step: StepBase, view: StepView, key: HostKey) -> bool:
        """Accept a host key that known_hosts does not have (journaled with its fingerprint).

        Only *unknown* keys are offered. A *changed* key (known_hosts has another key for the
        host) is refused by the ssh executor with a loud reason and never reaches this method.
        """
        ...
