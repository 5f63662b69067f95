"""What the engine hands its callers: live output lines, the outcome, and its control flow.

Kept apart from ``runner`` so the step handlers (``manual_steps``, ``automated_steps``) and the UI
can import them without importing the engine itself.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel

from deploytui.model.events import Event, RunStatus


class OutputLine(BaseModel):
    """A line of live output (journaled in chunks; delivered to the listener at once)."""

    step_id: str
    attempt: int
    stream: str
    text: str


Listener = Callable[[Event | OutputLine], None]


class RunOutcome(BaseModel):
    run_id: str
    status: RunStatus
    message: str = ""
    # A parked run (a hold): the ISO UTC time it waits for; the message says it in local time.
    held_until: str | None = None


class RunStopped(Exception):
    """The operator left (or an answer is missing): pause the run, resumable."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class StepSettled(Exception):
    """The step was settled by a decision (skip, abort, roll back...): go back to the loop."""


def render_problem(error: Exception) -> str:
    """A template or validation error of a step being rendered, as a sentence (no pydantic dump)."""
    errors = getattr(error, "errors", None)
    if not callable(errors):
        return str(error)
    sentences = []
    for item in errors():
        message = str(item.get("msg", ""))
        for prefix in ("Value error, ", "Assertion failed, "):
            message = message.removeprefix(prefix)
        where = ".".join(str(part) for part in item.get("loc", ()))
        sentences.append(f"{where}: {message}" if where else message)
    return "; ".join(sentences) or str(error)
