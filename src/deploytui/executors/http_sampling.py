"""Sample an endpoint: N requests, at most C at once; p50/p95/p99 latency and error rate.

This is the checklist's "p95 latency: ____ ms (target < 500 ms)" filled in by measurement
instead of by hand. Each figure becomes a ``CapturedValue`` with its unit and target (via the
step's ``sample_fields()``), so breaches are recorded and shown exactly like typed answers, and
gates can require ``within_target``. Each worker thread uses its own connection, so
``concurrency`` means that many clients hitting the service at once.
"""

from __future__ import annotations

import queue
import threading
from collections import Counter
from dataclasses import dataclass, field

from deploytui.executors.base import ExecContext
from deploytui.executors.http_checks import Outcome, Prepared, problems, send
from deploytui.model.fields import CapturedValue
from deploytui.model.http_step import HttpStep
from deploytui.model.values import format_number, percentile

PROGRESS_STEPS = 10  # progress lines per sample


@dataclass
class SampleFigures:
    """What a sample measured; ``latencies`` are of requests that got a response."""

    requested: int
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    sent: int = 0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def error_rate(self) -> float:
        return 100.0 * self.error_count / self.sent if self.sent else 100.0

    def figures(self) -> dict[str, float | None]:
        ordered = sorted(self.latencies)
        return {
            "p50_ms": _round(percentile(ordered, 50)),
            "p95_ms": _round(percentile(ordered, 95)),
            "p99_ms": _round(percentile(ordered, 99)),
            "error_rate": round(self.error_rate, 2),
        }

    def details(self) -> dict[str, object]:
        ordered = sorted(self.latencies)
        latency = (
            {
                "min": _round(ordered[0]),
                "mean": _round(sum(ordered) / len(ordered)),
                "max": _round(ordered[-1]),
                **{key: value for key, value in self.figures().items() if key != "error_rate"},
            }
            if ordered
            else {}
        )
        return {
            "requests": self.sent,
            "responses": len(ordered),
            "errors": self.error_count,
            "error_kinds": dict(self.errors.most_common(10)),
            "latency_ms": latency,
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _error_kind(reason: str) -> str:
    """Group similar errors ("status 503 (expected 200)" → "status 503")."""
    return reason.split(" (", 1)[0][:80]


def run_sample(step: HttpStep, prepared: Prepared, ctx: ExecContext) -> SampleFigures:
    """Send the requests; stop early (keeping what was measured) when the operator cancels."""
    assert step.sample is not None
    total, workers = step.sample.requests, min(step.sample.concurrency, step.sample.requests)
    tickets: queue.Queue[int] = queue.Queue()
    for number in range(total):
        tickets.put(number)
    results: queue.Queue[Outcome | None] = queue.Queue()
    stop = threading.Event()

    def worker() -> None:
        try:
            with prepared.client() as client:
                while not stop.is_set():
                    try:
                        tickets.get_nowait()
                    except queue.Empty:
                        return
                    results.put(send(client, prepared))
        finally:
            results.put(None)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(workers)]
    for thread in threads:
        thread.start()
    figures = SampleFigures(requested=total)
    every = max(1, total // PROGRESS_STEPS)
    running = workers
    while running:
        try:
            outcome = results.get(timeout=0.2)
        except queue.Empty:
            outcome = False  # type: ignore[assignment]
        if ctx.cancelled.is_set():
            stop.set()
        if outcome is None:
            running -= 1
            continue
        if outcome is False:
            continue
        figures.sent += 1
        found = problems(step, outcome, check_latency=False)
        if outcome.error is None:
            figures.latencies.append(outcome.latency_ms)
        if found:
            figures.errors[_error_kind(found[0])] += 1
        if figures.sent % every == 0 or figures.sent == total:
            ctx.emit(f"sampled {figures.sent}/{total} · {figures.error_count} errors")
    for thread in threads:
        thread.join(timeout=5)
    return figures


def sample_values(step: HttpStep, figures: SampleFigures) -> list[CapturedValue]:
    """The sampled figures as typed values with units, targets and breaches."""
    measured = figures.figures()
    values = []
    for key, field_ in zip(measured, step.sample_fields(), strict=True):
        number = measured[key]
        if number is None:
            values.append(
                field_.empty_value(
                    "no request got a response to measure" if field_.target else None
                )
            )
            continue
        values.append(field_.capture(format_number(number)))
    return values


def summary_line(step: HttpStep, figures: SampleFigures) -> str:
    assert step.sample is not None
    measured = figures.figures()

    def ms(key: str) -> str:
        value = measured[key]
        return "—" if value is None else f"{format_number(value)} ms"

    return (
        f"{figures.sent} requests, {step.sample.concurrency} at once: p50 {ms('p50_ms')} · "
        f"p95 {ms('p95_ms')} · p99 {ms('p99_ms')} · errors {figures.error_count} "
        f"({format_number(float(measured['error_rate'] or 0))} %)"
    )
