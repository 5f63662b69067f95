"""Thresholds over time: each signal's state (ok / warning / triggered / unknown) and figures.

Kept apart from the samplers (no I/O, no clock) so the rules that decide a rollback can be tested
reading by reading, and so a resumed watch can replay its journaled samples through the same
code and arrive at exactly the state it had. A threshold with ``for`` is reached when every
reading since the first one beyond it has stayed beyond it for that long; a failed reading
(unknown) neither confirms nor breaks such a run. A fail threshold that is beyond but not yet
held long enough already shows as a warning.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from deploytui.executors.monitor_report import nice, watch_clock
from deploytui.model.monitor_step import MonitorSignal, MonitorStep, Threshold
from deploytui.model.values import format_number, percentile

OK, WARNING, TRIGGERED, UNKNOWN = "ok", "warning", "triggered", "unknown"
__all__ = ["ErrorWindow", "SignalWatch", "nice", "percentile", "watch_clock"]


def rounded(value: float | None) -> float | None:
    """Figures keep four decimals: enough for 0.05 % and 0.3 ms, short in the journal."""
    if value is None:
        return None
    result = round(value, 4)
    return int(result) if float(result).is_integer() and abs(result) < 2**53 else result


class _Sustain:
    """When the current unbroken run of readings beyond ``threshold`` began."""

    def __init__(self, threshold: Threshold | None) -> None:
        self.threshold = threshold
        self.since: float | None = None

    def beyond(self, value: float) -> bool:
        return self.threshold is not None and self.threshold.reached_by(value)

    def observe(self, t: float, value: float) -> bool:
        """Feed a reading; True when the threshold is reached (held long enough)."""
        if not self.beyond(value):
            self.since = None
            return False
        if self.since is None:
            self.since = t
        assert self.threshold is not None
        return t - self.since >= self.threshold.sustain - 1e-9


class SignalWatch:
    """One signal's readings, state and crossings over a watch."""

    def __init__(self, signal: MonitorSignal) -> None:
        self.signal = signal
        self.warn, self.fail = signal.thresholds()
        self._warn = _Sustain(self.warn)
        self._fail = _Sustain(self.fail)
        self.state = UNKNOWN
        self._seen = False  # the first known state is not a crossing when it is ok
        self.values: list[float] = []
        self.last: float | None = None
        self.errors = 0
        self.last_error: str | None = None
        self.crossings: list[dict[str, Any]] = []

    def break_streaks(self) -> None:
        """Forget how long the thresholds have been beyond: nobody watched in between.

        Called when a watch continues after a checkpoint break or a long crash, so a sustained
        ``for`` needs readings after the gap rather than one reading at each end of it.
        """
        self._warn.since = None
        self._fail.since = None

    def observe(
        self, t: float, value: float | None, error: str | None = None
    ) -> dict[str, Any] | None:
        """Feed one reading; the crossing (``from``, ``to``, ``threshold``...) if it moved."""
        if value is None:
            self.errors += 1
            self.last_error = error
            new = UNKNOWN
        else:
            self.values.append(value)
            self.last = value
            failed = self._fail.observe(t, value)
            warned = self._warn.observe(t, value)
            if failed:
                new = TRIGGERED
            elif warned or self._fail.beyond(value):
                new = WARNING
            else:
                new = OK
        old, first = self.state, not self._seen
        self.state = new
        self._seen = self._seen or new != UNKNOWN
        if new == old or (first and new == OK):
            return None
        crossing: dict[str, Any] = {
            "signal": self.signal.name,
            "from": old,
            "to": new,
            "value": rounded(value),
            "threshold": self._threshold_for(old, new, value),
            "t": round(t, 3),
        }
        if new == UNKNOWN and error:
            crossing["error"] = error
        return crossing

    def _threshold_for(self, old: str, new: str, value: float | None) -> str | None:
        if new == TRIGGERED:
            return self.fail.text if self.fail else None
        if new == WARNING:
            if self.warn is not None and value is not None and self._warn.beyond(value):
                return self.warn.text
            return self.fail.text if self.fail else None
        if new == OK:  # the threshold it came back under
            if old == TRIGGERED and self.fail:
                return self.fail.text
            return (self.warn or self.fail).text if (self.warn or self.fail) else None
        return None

    def display(self, value: float | None) -> str:
        return "—" if value is None else format_number(float(nice(value)), self.signal.unit)

    def figures(self) -> dict[str, float | None]:
        ordered = sorted(self.values)
        return {
            "min": rounded(ordered[0]) if ordered else None,
            "p50": rounded(percentile(ordered, 50)),
            "p95": rounded(percentile(ordered, 95)),
            "max": rounded(ordered[-1]) if ordered else None,
            "last": rounded(self.last),
        }

    def summary(self) -> dict[str, Any]:
        return {
            "label": self.signal.display_label,
            "unit": self.signal.unit,
            "source": self.signal.source,
            **self.figures(),
            "count": len(self.values),
            "errors": self.errors,
            "last_error": self.last_error,
            "state": self.state,
            "warn": self.signal.warn,
            "fail": self.signal.fail,
            "crossings": list(self.crossings),
        }


class ErrorWindow:
    """Requests and failures per reading over a sliding window: the http error rate."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._readings: deque[tuple[float, int, int]] = deque()

    def add(self, t: float, sent: int, failed: int) -> None:
        self._readings.append((t, sent, failed))

    def rate(self, t: float) -> float | None:
        """Per cent of failed requests in the window ending at ``t``; None without requests."""
        while self._readings and self._readings[0][0] <= t - self.seconds:
            self._readings.popleft()
        sent = sum(item[1] for item in self._readings)
        failed = sum(item[2] for item in self._readings)
        return 100.0 * failed / sent if sent else None


def summary_from_records(step: MonitorStep, records: list[dict[str, Any]]) -> dict[str, Any] | None:
    """``details["monitor"]`` rebuilt from journaled samples and crossings, for a watch that has
    no result yet (running, parked between checkpoints, or cut off by a crash); None if it has
    no sample. ``records`` are ``{"type", "data"}`` in journal order, over every attempt."""
    watches = {signal.name: SignalWatch(signal) for signal in step.signals}
    samples, last_t, started = 0, 0.0, None
    for record in records:
        data = record.get("data") or {}
        if record.get("type") == "monitor_crossing":
            watch = watches.get(str(data.get("signal")))
            if watch is not None:
                watch.crossings.append(data)
            continue
        if record.get("type") != "monitor_sample":
            continue
        t = float(data.get("t") or 0.0)
        started = started or data.get("start")
        errors = data.get("err") or {}
        for name, value in (data.get("v") or {}).items():
            if name in watches:
                number = None if value is None else float(value)
                watches[name].observe(t, number, errors.get(name))
        samples += 1
        last_t = max(last_t, t)
    if not samples:
        return None
    duration = step.duration if isinstance(step.duration, int | float) else None
    summary: dict[str, Any] = {
        "duration": duration,
        "elapsed": round(last_t, 3),
        "samples": samples,
        "started_at": started,
        "signals": {name: watch.summary() for name, watch in watches.items()},
    }
    return summary
