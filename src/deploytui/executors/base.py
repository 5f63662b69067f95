"""The seam between the engine and the things that run commands (local, http, ssh, mongo).

An executor receives a step whose templates are already rendered, streams output lines through
``ExecContext.output`` as they arrive, polls ``ExecContext.cancelled``, and returns an
``ExecResult`` whose ``reason`` is a sentence the operator can act on (host, what failed, why).
Executors never touch the journal or the UI; the engine does both.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel, Field

from deploytui.clock import SYSTEM_CLOCK, Clock
from deploytui.model.fields import CapturedValue
from deploytui.model.steps import StepBase

OutputCallback = Callable[[str, str], None]
# (event type, data): a compact record the engine journals for the step, such as a monitor
# sample. The engine masks secrets in ``data`` and commits it before the callback returns.
RecordCallback = Callable[[str, dict[str, Any]], None]


def _no_record(type_: str, data: dict[str, Any]) -> None:
    return None


@dataclass
class ExecContext:
    """What an executor may use while running one attempt of one step."""

    run_id: str
    step_id: str
    attempt: int
    output: OutputCallback
    cancelled: threading.Event = field(default_factory=threading.Event)
    resources: dict[str, Any] = field(default_factory=dict)
    record: RecordCallback = _no_record
    # Records (type, data, at) this step journaled in earlier attempts, so a watch that was
    # interrupted or parked continues rather than starting again.
    history: list[dict[str, Any]] = field(default_factory=list)
    clock: Clock = field(default_factory=lambda: SYSTEM_CLOCK)
    # Only these hosts (the operator chose to retry the failed hosts); None = every host. Only
    # executors with ``host_subsets = True`` receive it; the engine merges the per-host results.
    hosts: list[str] | None = None

    def emit(self, line: str, stream: str = "stdout") -> None:
        self.output(stream, line)


class HostKey(BaseModel):
    """A host key that is not (or no longer) in known_hosts; the operator decides."""

    host: str
    port: int = 22
    key_type: str
    fingerprint: str
    key_base64: str
    changed: bool = False


class ExecResult(BaseModel):
    """How an attempt ended. ``details`` is journaled as-is (exit code, status, latency...).

    Fan-out executors put one entry per host in ``details["hosts"]``:
    ``{"host", "ok", "exit_code", "reason", "duration"}``; the UI, ``show`` and exports read it.
    """

    ok: bool
    reason: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    captures: dict[str, str] = Field(default_factory=dict)
    values: list[CapturedValue] = Field(
        default_factory=list,
        description="Typed figures (sampled p95, days left...) journaled with the result, even "
        "when the step fails, so the operator sees them; breaches are recorded like answers'.",
    )
    unknown_host_keys: list[HostKey] = Field(default_factory=list)
    park_until: datetime | None = Field(
        default=None,
        description="The step is not finished: park the run until this time (a long watch "
        "between checkpoints) and run the step again on resume, with ``ExecContext.history``.",
    )


class Executor(Protocol):
    """Runs one kind of automated step.

    Optional methods the engine uses when present: ``close()`` at the end of the run, and
    ``accept_host_key(key: HostKey)`` after the operator accepted an unknown host key.
    """

    kind: str

    def execute(self, step: StepBase, ctx: ExecContext) -> ExecResult: ...


CANCELLED = "cancelled by the operator"
