"""The ``notify`` step: queue a webhook message and succeed at once (or wait, if asked).

The sending itself belongs to the run's ``NotificationHub`` (engine/notifications.py), which the
engine hands over as ``ctx.resources["notifications"]``: hook messages and step messages share
one sender, and every outcome is journaled by the engine thread as a ``notification`` event.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from deploytui.executors.base import CANCELLED, ExecContext, ExecResult
from deploytui.model.notify_step import NotifyStep
from deploytui.model.steps import StepBase

if TYPE_CHECKING:
    from deploytui.engine.notifications import NotificationHub


class NotifyExecutor:
    kind = "notify"

    def execute(self, step: StepBase, ctx: ExecContext) -> ExecResult:
        assert isinstance(step, NotifyStep)
        hub: NotificationHub | None = ctx.resources.get("notifications")
        if hub is None:
            return ExecResult(ok=False, reason="notifications are not available in this run")
        sent = hub.send_step(step, ctx.step_id)
        details = {"notify": {"message": sent.message, "channels": sent.channels}}
        for entry in sent.channels:
            where = f"{entry['name']} ({entry['url']})" if entry["url"] else entry["name"]
            if entry["queued"]:
                ctx.emit(f"queued for {where}")
            else:
                ctx.emit(f"not sent to {where}: {entry['skipped']}")
        if not step.wait:
            return ExecResult(ok=True, details=details)
        return self._wait(step, ctx, hub, sent.delivery_ids, sent.skipped, details)

    def _wait(
        self,
        step: NotifyStep,
        ctx: ExecContext,
        hub: NotificationHub,
        ids: list[int],
        skipped: list[str],
        details: dict[str, object],
    ) -> ExecResult:
        """``wait: true``: the operator wants to know it arrived before going on."""
        bound = step.timeout or (hub.config.give_up_after + hub.config.timeout)
        finished = hub.sender.wait(ids, bound, ctx.cancelled) if ids else True
        problems = [f"{name}: not configured" for name in skipped]
        for delivery_id in ids:
            outcome = hub.sender.outcome(delivery_id)
            if outcome is None:
                problems.append("no answer yet" if finished else f"not delivered within {bound:g}s")
            elif outcome.ok:
                ctx.emit(f"delivered to {outcome.channel} (HTTP {outcome.status})")
            else:
                problems.append(f"{outcome.channel}: {outcome.error}")
        if ctx.cancelled.is_set() and not finished:
            return ExecResult(ok=False, reason=CANCELLED, details=details)
        if problems:
            reason = "notification not delivered: " + "; ".join(problems)
            return ExecResult(ok=False, reason=reason, details=details)
        return ExecResult(ok=True, details=details)
