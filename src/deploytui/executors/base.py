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
from typing import Any, Protocol

from pydantic import BaseModel, Field

from deploytui.model.steps import StepBase

OutputCallback = Callable[[str, str], None]


@dataclass
class ExecContext:
    """What an executor may use while running one attempt of one step."""

    run_id: str
    step_id: str
    attempt: int
    output: OutputCallback
    cancelled: threading.Event = field(default_factory=threading.Event)
    resources: dict[str, Any] = field(default_factory=dict)

    def emit(self, line: str, stream: str = "stdout") -> None:
        self.output(stream, line)


class ExecResult(BaseModel):
    """How an attempt ended. ``details`` is journaled as-is (exit code, status, latency...)."""

    ok: bool
    reason: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    captures: dict[str, str] = Field(default_factory=dict)


class Executor(Protocol):
    """Runs one kind of automated step."""

    kind: str

    def execute(self, step: StepBase, ctx: ExecContext) -> ExecResult: ...


CANCELLED = "cancelled by the operator"
