"""The journal's vocabulary: event types, step and run statuses, and the event record.

Inspired by ansible-runner's fixed status vocabulary: every consumer (engine state, TUI, `show`,
exports) agrees on these names, and the journal stores nothing else.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class EventType(StrEnum):
    """What can happen in a run; each is one row in the journal's ``events`` table."""

    run_started = "run_started"
    run_resumed = "run_resumed"
    run_paused = "run_paused"
    run_finished = "run_finished"
    step_started = "step_started"
    step_output = "step_output"
    step_finished = "step_finished"
    step_interrupted = "step_interrupted"
    decision = "decision"
    rollback_started = "rollback_started"
    lock_taken_over = "lock_taken_over"
    host_key_accepted = "host_key_accepted"
    notice = "notice"
    # A monitor's periodic reading of its signals (compact: one event per tick, all signals).
    monitor_sample = "monitor_sample"
    # A signal moved between ok / warning / triggered.
    monitor_crossing = "monitor_crossing"
    # The run is parked until a checkpoint time (a hold, or a long watch between checkpoints).
    run_held = "run_held"
    # A webhook notification was delivered or finally given up on.
    notification = "notification"


class StepStatus(StrEnum):
    """A step's state, derived from its events."""

    pending = "pending"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    skipped = "skipped"
    interrupted = "interrupted"
    # Parked until a time (a hold, or a long watch between checkpoints); see journal/state.py.
    held = "held"

    @property
    def finished(self) -> bool:
        return self in {StepStatus.succeeded, StepStatus.skipped}


class RunStatus(StrEnum):
    """A run's state as stored on its ``runs`` row (``interrupted`` is derived from locks)."""

    running = "running"
    waiting = "waiting"
    interrupted = "interrupted"
    completed = "completed"
    failed = "failed"
    aborted = "aborted"
    rolled_back = "rolled_back"

    @property
    def resumable(self) -> bool:
        return self in {RunStatus.running, RunStatus.waiting, RunStatus.interrupted}


class DecisionAction(StrEnum):
    """Choices the operator makes when a step cannot simply continue."""

    retry = "retry"
    # Retry a fan-out step on the hosts that did not succeed only; the decision's data names
    # them ({"hosts": [...]}) and the next attempt runs on exactly those (engine/host_retry.py).
    retry_failed = "retry_failed"
    skip = "skip"
    abort = "abort"
    rollback = "rollback"
    rerun = "rerun"
    mark_done = "mark_done"
    stop = "stop"
    # At a hold reached before its time: wait here until it (the engine sleeps on its clock)...
    wait = "wait"
    # ...or go on early (a reason is required and journaled). ``stop`` leaves the run parked.
    continue_ = "continue"


class Event(BaseModel):
    """One journaled event. ``hash`` chains it to the run's previous event."""

    # Built when first read: `deploytui runs` lists run records only.
    model_config = ConfigDict(frozen=True, defer_build=True)

    run_id: str
    seq: int
    at: str
    type: EventType
    step_id: str | None = None
    attempt: int | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    prev_hash: str = ""
    hash: str = ""


class RunRecord(BaseModel):
    """A row of the ``runs`` table: enough to list, filter and resume runs quickly."""

    model_config = ConfigDict(frozen=True)

    id: str
    playbook_name: str
    playbook_version: str
    playbook_path: str
    playbook_sha256: str
    operator: str
    host: str
    status: RunStatus
    started_at: str
    updated_at: str
    finished_at: str | None = None
    current_step: str | None = None
    event_count: int = 0
    # ISO UTC time a parked run waits for (set by run_held, cleared when the run moves on).
    held_until: str | None = None


# Status never by colour alone (UX.md): every status has an icon.
STEP_ICONS: dict[StepStatus, str] = {
    StepStatus.pending: "○",
    StepStatus.running: "▶",
    StepStatus.succeeded: "✓",
    StepStatus.failed: "✗",
    StepStatus.skipped: "⊘",
    StepStatus.interrupted: "⏸",
    StepStatus.held: "⏳",
}
RUN_ICONS: dict[RunStatus, str] = {
    RunStatus.running: "▶",
    RunStatus.waiting: "⏸",
    RunStatus.interrupted: "⏸",
    RunStatus.completed: "✓",
    RunStatus.failed: "✗",
    RunStatus.aborted: "✗",
    RunStatus.rolled_back: "↺",
}
BREACH_ICON = "⚠"
ROLLBACK_ICON = "↺"
