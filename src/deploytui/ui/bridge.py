"""The seam between the engine's thread and the UI's event loop.

The engine runs in a thread worker and calls the ``Operator`` methods synchronously; it also calls
its listener for every journaled event and every output line. Nothing here touches Textual: the
engine thread only appends to a ``Feed`` (a lock-protected queue) and, for questions, waits on a
``Future``. The run screen drains the feed on a short timer, so 10,000 output lines a second
arrive as a few batched writes instead of 10,000 messages, and events, output and questions keep
their order.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from deploytui.engine.operator import Decision, Failure, GateResult, StepView
from deploytui.engine.runner import Engine, OutputLine, RunOutcome
from deploytui.executors.base import HostKey
from deploytui.model.events import DecisionAction, Event, EventType
from deploytui.model.fields import CapturedValue
from deploytui.model.steps import GateStep, InputStep, SignoffStep, StepBase

QUIT_REASON = "stopped by the operator (quit)"


class Ask(StrEnum):
    """The kinds of question the engine asks the operator."""

    acknowledge = "acknowledge"
    inputs = "inputs"
    breaches = "breaches"
    sign = "sign"
    gate = "gate"
    failure = "failure"
    interrupted = "interrupted"
    host_key = "host_key"
    hold = "hold"


@dataclass
class Question:
    """One question from the engine, answered by resolving ``future``."""

    ask: Ask
    step: StepBase
    view: StepView | None
    future: Future[Any] = field(default_factory=Future)
    errors: dict[str, str] = field(default_factory=dict)
    previous: dict[str, str] = field(default_factory=dict)
    breaches: list[CapturedValue] = field(default_factory=list)
    error: str | None = None
    results: list[GateResult] = field(default_factory=list)
    failure: Failure | None = None
    key: HostKey | None = None
    until: datetime | None = None

    def answer(self, value: Any) -> None:
        """Resolve once; later answers (a double key press) are ignored."""
        if not self.future.done():
            self.future.set_result(value)

    @property
    def answered(self) -> bool:
        return self.future.done()

    def stop_answer(self) -> Any:
        """The answer that leaves the run resumable (used when the operator quits)."""
        if self.ask in {Ask.breaches, Ask.host_key}:
            return False
        return Decision(action=DecisionAction.stop, reason=QUIT_REASON)


@dataclass(frozen=True)
class StepStarted:
    """A ``step_started`` event together with the engine's rendered view of the step."""

    event: Event
    view: StepView
    rendered: StepBase | None = None  # templates filled in, secrets masked (None: cannot yet)


@dataclass(frozen=True)
class RunEnded:
    """The engine returned (``outcome``) or raised (``error``)."""

    outcome: RunOutcome | None
    error: str | None = None


FeedItem = Event | OutputLine | Question | StepStarted | RunEnded


class Feed:
    """A thread-safe queue the engine thread fills and the UI drains in batches."""

    def __init__(self) -> None:
        self._items: deque[FeedItem] = deque()
        self._lock = threading.Lock()

    def put(self, item: FeedItem) -> None:
        with self._lock:
            self._items.append(item)

    def drain(self) -> list[FeedItem]:
        with self._lock:
            items = list(self._items)
            self._items.clear()
        return items


class Relay:
    """The engine's listener: enriches ``step_started`` with a view and queues everything."""

    def __init__(self, feed: Feed) -> None:
        self.feed = feed
        self.engine: Engine | None = None

    def __call__(self, item: Event | OutputLine) -> None:
        # Called on the engine thread, so reading the engine's state here is safe.
        if (
            isinstance(item, Event)
            and item.type == EventType.step_started
            and item.step_id
            and self.engine is not None
        ):
            step = self.engine.playbook.step(item.step_id)
            view = self.engine.view(step)
            try:
                rendered: StepBase | None = self.engine.render(step, mask=True)
            except Exception:  # the view already says why it cannot render yet
                rendered = None
            self.feed.put(StepStarted(event=item, view=view, rendered=rendered))
            return
        self.feed.put(item)


class UiOperator:
    """Implements ``engine.operator.Operator`` by queuing a question and waiting for the answer.

    ``close()`` makes every pending and future question answer "stop", so a quitting UI never
    leaves the engine thread waiting forever.
    """

    def __init__(self, feed: Feed, *, on_question: Callable[[], None] | None = None) -> None:
        self.feed = feed
        self.closing = threading.Event()
        self._pending: list[Question] = []
        self._lock = threading.Lock()
        self._on_question = on_question or (lambda: None)

    def close(self) -> None:
        with self._lock:
            self.closing.set()
            pending, self._pending = self._pending, []
        for question in pending:
            question.answer(question.stop_answer())

    def _ask(self, question: Question) -> Any:
        with self._lock:
            if self.closing.is_set():
                return question.stop_answer()
            self._pending.append(question)
        self.feed.put(question)
        self._on_question()
        try:
            return question.future.result()
        finally:
            with self._lock:
                if question in self._pending:
                    self._pending.remove(question)

    # -- the Operator protocol -----------------------------------------------------------------

    def acknowledge(self, step: StepBase, view: StepView) -> Decision | None:
        return self._ask(Question(Ask.acknowledge, step, view))  # type: ignore[no-any-return]

    def provide_inputs(
        self, step: InputStep, view: StepView, errors: dict[str, str], previous: dict[str, str]
    ) -> dict[str, str] | Decision:
        question = Question(Ask.inputs, step, view, errors=dict(errors), previous=dict(previous))
        return self._ask(question)  # type: ignore[no-any-return]

    def acknowledge_breaches(self, step: InputStep, breaches: list[CapturedValue]) -> bool:
        return bool(self._ask(Question(Ask.breaches, step, None, breaches=list(breaches))))

    def sign(self, step: SignoffStep, view: StepView, error: str | None) -> str | Decision:
        return self._ask(Question(Ask.sign, step, view, error=error))  # type: ignore[no-any-return]

    def review_gate(
        self, step: GateStep, view: StepView, results: list[GateResult]
    ) -> Decision | None:
        return self._ask(Question(Ask.gate, step, view, results=list(results)))  # type: ignore[no-any-return]

    def on_failure(self, step: StepBase, view: StepView, failure: Failure) -> Decision:
        return self._ask(Question(Ask.failure, step, view, failure=failure))  # type: ignore[no-any-return]

    def on_interrupted(self, step: StepBase, view: StepView) -> Decision:
        return self._ask(Question(Ask.interrupted, step, view))  # type: ignore[no-any-return]

    def confirm_host_key(self, step: StepBase, view: StepView, key: HostKey) -> bool:
        return bool(self._ask(Question(Ask.host_key, step, view, key=key)))

    def on_hold(self, step: StepBase, view: StepView, until: datetime) -> Decision:
        """A hold reached before its time: wait, continue early (reason) or leave it parked."""
        return self._ask(Question(Ask.hold, step, view, until=until))  # type: ignore[no-any-return]
