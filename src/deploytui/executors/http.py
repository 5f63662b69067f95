"""Run an ``http`` step with httpx: once, polled until healthy, or sampled for latency.

Failures name the URL and the reason in words (refused, timed out, TLS not trusted, wrong
status with a snippet of the body) so the operator knows whether to retry or roll back. The
request itself and its checks live in ``http_checks``; sampling in ``http_sampling``.
"""

from __future__ import annotations

import time
from dataclasses import replace

from deploytui.executors.base import CANCELLED, ExecContext, ExecResult
from deploytui.executors.http_checks import (
    Outcome,
    Prepared,
    RequestSetupError,
    check_json,
    explain_http_error,
    json_path,
    prepare,
    problems,
    resolve_url,
    send,
)
from deploytui.executors.http_sampling import run_sample, sample_values, summary_line
from deploytui.model.http_step import HttpStep
from deploytui.model.playbook import HttpTarget
from deploytui.model.steps import StepBase
from deploytui.model.values import format_duration

__all__ = ["HttpExecutor", "check_json", "explain_http_error", "json_path", "resolve_url"]

BODY_PREVIEW_LINES = 40
BODY_PREVIEW_BYTES = 8192


def _seconds(seconds: float) -> str:
    """``0.4s``, ``12.5s``, then ``2m 05s``: short polls need tenths, long ones do not."""
    return f"{seconds:.1f}s" if seconds < 60 else format_duration(seconds)


class HttpExecutor:
    kind = "http"

    def __init__(self, targets: dict[str, HttpTarget] | None = None) -> None:
        self.targets = targets or {}

    def execute(self, step: StepBase, ctx: ExecContext) -> ExecResult:
        assert isinstance(step, HttpStep)
        target = self.targets.get(step.target) if step.target else None
        try:
            prepared = prepare(step, target)
        except RequestSetupError as error:
            return ExecResult(ok=False, reason=f"{resolve_url(step, target)}: {error}")
        if prepared.hidden:  # a server may echo the Authorization header back in its body
            output = ctx.output
            ctx = replace(ctx, output=lambda stream, line: output(stream, prepared.redact(line)))
        result = self._checked(step, prepared, ctx) if step.sample is None or step.poll else None
        if result is not None and (not result.ok or step.sample is None):
            return self._redacted(result, prepared)
        return self._redacted(self._sampled(step, prepared, ctx), prepared)

    # -- one request, or a poll until healthy ---------------------------------------------------

    def _checked(self, step: HttpStep, prepared: Prepared, ctx: ExecContext) -> ExecResult:
        started = time.monotonic()
        attempt = 0
        with prepared.client() as client:
            while True:
                attempt += 1
                outcome = send(client, prepared)
                found = problems(step, outcome)
                if step.poll is None:
                    ctx.emit(f"→ {outcome.summary()}")
                    break
                elapsed = time.monotonic() - started
                verdict = "; ".join(found) if found else "healthy"
                shown = f"{outcome.summary()}: {verdict}" if outcome.error is None else verdict
                ctx.emit(f"attempt {attempt} ({_seconds(elapsed)}): {shown}")
                if not found:
                    break
                remaining = step.poll.deadline - elapsed
                if remaining < step.poll.interval:
                    break
                if ctx.cancelled.wait(step.poll.interval):
                    return ExecResult(ok=False, reason=f"{prepared.url}: {CANCELLED}")
        self._preview(outcome, ctx)
        details: dict[str, object] = {
            "url": prepared.url,
            "latency_ms": round(outcome.latency_ms, 1),
        }
        if outcome.status is not None:
            details["status"] = outcome.status
        if step.poll is not None:
            details["attempts"] = attempt
        if not found:
            return ExecResult(ok=True, details=details)
        reason = "; ".join(found)
        if step.poll is not None:
            reason = (
                f"not healthy after {_seconds(step.poll.deadline)} "
                f"({attempt} attempt{'s' if attempt != 1 else ''}); last: {reason}"
            )
        return ExecResult(ok=False, reason=f"{prepared.url}: {reason}", details=details)

    @staticmethod
    def _preview(outcome: Outcome, ctx: ExecContext) -> None:
        for line in outcome.text[:BODY_PREVIEW_BYTES].splitlines()[:BODY_PREVIEW_LINES]:
            ctx.emit(line)

    # -- sampling -------------------------------------------------------------------------------

    def _sampled(self, step: HttpStep, prepared: Prepared, ctx: ExecContext) -> ExecResult:
        assert step.sample is not None
        figures = run_sample(step, prepared, ctx)
        values = sample_values(step, figures)
        ctx.emit(summary_line(step, figures))
        details = {"url": prepared.url, "concurrency": step.sample.concurrency, **figures.details()}
        if ctx.cancelled.is_set():
            reason = f"{prepared.url}: sampling stopped after {figures.sent} requests, {CANCELLED}"
            return ExecResult(ok=False, reason=reason, details=details, values=values)
        breaches = [f"{value.label} {value.breach}" for value in values if value.breach]
        for breach in breaches:
            ctx.emit(f"⚠ {breach}")
        if breaches and step.sample.on_breach == "fail":
            reason = f"{prepared.url}: " + "; ".join(breaches)
            return ExecResult(ok=False, reason=reason, details=details, values=values)
        return ExecResult(ok=True, details=details, values=values)

    @staticmethod
    def _redacted(result: ExecResult, prepared: Prepared) -> ExecResult:
        if not prepared.hidden or not result.reason:
            return result
        return result.model_copy(update={"reason": prepared.redact(result.reason)})
