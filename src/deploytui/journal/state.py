"""A run's state, derived only from its journaled events (so resume needs nothing else).

Replaying the events of a run gives, for every step, its status, attempts, times, values and
sign-off, plus whether rollback is under way and whether the run has finished. A step that has a
``step_started`` but no result was running when the process died: it is *interrupted*.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from deploytui.journal.outline import ROLLBACK_PHASE_ID
from deploytui.model.events import DecisionAction, Event, EventType, RunStatus, StepStatus

if TYPE_CHECKING:  # `show` folds events over a cached outline: no step models to import
    from deploytui.journal.outline import PlaybookOutline
    from deploytui.model.playbook import Playbook


@dataclass
class StepState:
    step_id: str
    phase_id: str
    status: StepStatus = StepStatus.pending
    attempts: int = 0
    started_at: str | None = None
    finished_at: str | None = None
    duration: float = 0.0
    reason: str | None = None
    values: list[dict[str, Any]] = field(default_factory=list)
    signoff: dict[str, Any] | None = None
    details: dict[str, Any] = field(default_factory=dict)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    marked_done: bool = False
    action: str | None = None
    where: str | None = None
    # While ``held``: the ISO UTC time the step is parked until (journaled by run_held).
    held_until: str | None = None
    # The hosts the next attempt runs on (a ``retry_failed`` decision); None = every host.
    # A ``rerun`` after an interruption keeps it, a plain ``retry`` clears it.
    retry_hosts: list[str] | None = None

    @property
    def done(self) -> bool:
        return self.status.finished


@dataclass
class RunState:
    run_id: str
    playbook: Playbook | PlaybookOutline
    steps: dict[str, StepState]
    status: RunStatus = RunStatus.running
    started_at: str | None = None
    finished_at: str | None = None
    operator: str = ""
    rolling_back: bool = False
    rollback_reason: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)
    signoffs: dict[str, str] = field(default_factory=dict)
    last_seq: int = 0
    overrides: dict[str, str] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    # A parked run: the ISO UTC time it waits for and why (cleared when the run moves on).
    held_until: str | None = None
    held_reason: str = ""

    @classmethod
    def empty(cls, run_id: str, playbook: Playbook | PlaybookOutline) -> RunState:
        steps = {
            step.id: StepState(step_id=step.id, phase_id=phase_id)
            for phase_id, step in playbook.ordered_steps()
        }
        return cls(run_id=run_id, playbook=playbook, steps=steps)

    @classmethod
    def from_events(
        cls, run_id: str, playbook: Playbook | PlaybookOutline, events: list[Event]
    ) -> RunState:
        state = cls.empty(run_id, playbook)
        for event in events:
            try:
                state.apply(event)
            except (ValueError, KeyError, TypeError) as error:
                # Only an event edited outside deploytui gets here (e.g. status "weird").
                from deploytui.journal.store import DamagedRowError

                raise DamagedRowError(
                    f"event {event.seq} ({event.type.value}) of run {run_id} cannot be "
                    f"interpreted ({error.__class__.__name__}: {error}); "
                    f"run 'deploytui verify {run_id}'"
                ) from None
        return state

    @property
    def finished(self) -> bool:
        return self.status in {
            RunStatus.completed,
            RunStatus.failed,
            RunStatus.aborted,
            RunStatus.rolled_back,
        }

    def apply(self, event: Event) -> None:
        """Fold one event into the state (events arrive in sequence order)."""
        self.last_seq = event.seq
        data = event.data
        step = self.steps.get(event.step_id or "")
        match event.type:
            case EventType.run_started:
                self.started_at = event.at
                self.operator = data.get("operator", "")
                self.overrides = dict(data.get("overrides", {}))
            case EventType.run_resumed:
                self.status = RunStatus.running
                self.overrides.update(data.get("overrides", {}))
            case EventType.run_paused:
                self.status = RunStatus.waiting
            case EventType.run_finished:
                self.status = RunStatus(data["status"])
                self.finished_at = event.at
                self.held_until = None
            case EventType.run_held:
                # A hold (or a watch between checkpoints) parked the run: nothing is lost if the
                # process ends now, because the time is in the journal, not in memory.
                self.status = RunStatus.waiting
                self.held_until = str(data["until"])
                self.held_reason = str(data.get("reason", ""))
                if step:
                    step.status = StepStatus.held
                    step.held_until = self.held_until
            case EventType.rollback_started:
                self.rolling_back = True
                self.rollback_reason = data.get("reason", "")
            case EventType.notice:
                self.notices.append(data.get("text", ""))
            case EventType.notification:
                self.notifications.append({**data, "at": event.at})
            case EventType.step_started if step:
                step.status = StepStatus.running
                step.attempts = event.attempt or step.attempts + 1
                step.started_at = event.at
                step.finished_at = None
                step.action = data.get("action") or step.action
                step.where = data.get("where") or step.where
                step.held_until = self.held_until = None
                if self.status == RunStatus.waiting:  # a parked step released in-process
                    self.status = RunStatus.running
            case EventType.step_interrupted if step:
                step.status = StepStatus.interrupted
                step.reason = data.get("reason")
            case EventType.step_finished if step:
                self._finish(step, event)
                step.held_until = self.held_until = None
                if self.status == RunStatus.waiting:  # a held step settled in-process
                    self.status = RunStatus.running
            case EventType.decision if step:
                step.decisions.append({"at": event.at, **data})
                action = DecisionAction(data["action"])
                if action in {DecisionAction.retry, DecisionAction.rerun}:
                    step.status = StepStatus.pending
                if action == DecisionAction.retry:
                    step.retry_hosts = None
                if action == DecisionAction.retry_failed:
                    step.status = StepStatus.pending
                    step.retry_hosts = [str(host) for host in data["hosts"]]
                if action in {DecisionAction.wait, DecisionAction.continue_}:
                    self.status = RunStatus.running  # the operator is here, the run goes on
                if action == DecisionAction.continue_ and step.status == StepStatus.held:
                    # Released early: the step runs (a watch's next checkpoint) or finishes
                    # (a hold) at once; it is no longer parked.
                    step.status = StepStatus.pending
                    step.held_until = self.held_until = None
            case _:
                pass

    def _finish(self, step: StepState, event: Event) -> None:
        data = event.data
        step.status = StepStatus(data["status"])
        step.finished_at = event.at
        step.reason = data.get("reason")
        step.duration += float(data.get("duration", 0.0))
        step.details = data.get("details", {})
        step.marked_done = bool(data.get("marked_done"))
        if step.status == StepStatus.failed and step.reason:
            step.failures.append(step.reason)
        for value in data.get("values", []):
            step.values = [item for item in step.values if item["field"] != value["field"]]
            step.values.append(value)
            self.inputs[value["field"]] = value["value"]
        signoff = data.get("signoff")
        if signoff:
            step.signoff = signoff
            self.signoffs[signoff["role"]] = signoff["name"]

    def resolve_interrupted(self) -> None:
        """Steps still running after replay were cut off by a crash: mark them interrupted."""
        for step in self.steps.values():
            if step.status == StepStatus.running:
                step.status = StepStatus.interrupted

    def next_step_id(self) -> str | None:
        """The first unfinished step of the active section (phases, or rollback)."""
        section = ROLLBACK_PHASE_ID if self.rolling_back else None
        for step in self.steps.values():
            in_rollback = step.phase_id == ROLLBACK_PHASE_ID
            if (section == ROLLBACK_PHASE_ID) != in_rollback:
                continue
            if not step.done:
                return step.step_id
        return None

    def breaches(self) -> list[dict[str, Any]]:
        return [
            value for step in self.steps.values() for value in step.values if value.get("breach")
        ]

    def phase_elapsed(self, phase_id: str) -> float:
        return sum(step.duration for step in self.steps.values() if step.phase_id == phase_id)

    def started_datetime(self) -> datetime | None:
        return datetime.fromisoformat(self.started_at) if self.started_at else None
