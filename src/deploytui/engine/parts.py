"""What the step handlers may use of the engine: its state, journal, operator and helpers.

``Engine`` (runner.py) is assembled from ``ManualSteps`` and ``AutomatedSteps``; this base names
the attributes and methods they share, so each handler module reads on its own and type-checks.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import TYPE_CHECKING, Any

from deploytui.clock import Clock
from deploytui.engine.masking import Masker
from deploytui.engine.messages import Listener
from deploytui.engine.operator import Decision, Operator, StepView
from deploytui.executors import ExecutorSet
from deploytui.journal.state import RunState
from deploytui.journal.store import Journal
from deploytui.model.events import Event, EventType
from deploytui.model.fields import CapturedValue
from deploytui.model.playbook import Targets
from deploytui.model.steps import StepBase

if TYPE_CHECKING:
    from deploytui.engine.notifications import NotificationHub


class EngineParts:
    journal: Journal
    run_id: str
    operator: Operator
    state: RunState
    mask: Masker
    listener: Listener
    executors: ExecutorSet
    shown_targets: Targets
    clock: Clock
    notifications: NotificationHub
    _cancel: threading.Event
    _stop_requested: threading.Event

    def view(self, step: StepBase) -> StepView:
        raise NotImplementedError

    def render(self, step: StepBase, *, mask: bool) -> StepBase:
        raise NotImplementedError

    def _append(self, type_: EventType, **kwargs: Any) -> Event:
        raise NotImplementedError

    def _start(self, step: StepBase, data: dict[str, Any] | None = None) -> tuple[int, float]:
        raise NotImplementedError

    def _succeed(self, step: StepBase, attempt: int, began: float, **data: Any) -> None:
        raise NotImplementedError

    def _fail(
        self,
        step: StepBase,
        attempt: int,
        began: float,
        reason: str,
        details: dict[str, Any],
        values: list[CapturedValue] | None = None,
    ) -> None:
        raise NotImplementedError

    def _interject(self, step: StepBase, reply: Decision | None) -> None:
        raise NotImplementedError

    def park(
        self,
        step: StepBase,
        attempt: int,
        until: datetime,
        reason: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Park the run until ``until`` (engine/holds.py)."""
        raise NotImplementedError

    def _masked_value(self, value: CapturedValue) -> CapturedValue:
        """A captured value with any secret in it masked (and marked secret)."""
        masked_raw = self.mask(value.raw)
        if masked_raw == value.raw:
            return value
        return value.model_copy(
            update={
                "raw": masked_raw,
                "display": self.mask(value.display),
                "value": self.mask(str(value.value)),
                "secret": True,
            }
        )
