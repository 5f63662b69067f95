"""What the live monitor view shows, as plain data: built from a monitor step and its events.

The run screen receives ``monitor_sample`` / ``monitor_crossing`` journal events through the
feed; this module folds them into a ``MonitorView`` (per signal: label, unit, samples so far,
last value, state, thresholds) that the widget only draws. Keeping it free of Textual means it is
tested with frozen data, rebuilt from the journal on resume (the watch continues, so do its
samples), and reused by the trigger dialog to say what fired, against what, since when.

The step is read by duck typing (``signals`` with ``name``/``label``/``unit``/``warn``/``fail``,
``duration``, ``interval``) so the view does not depend on how the model parses thresholds.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from deploytui.model.events import Event, EventType
from deploytui.model.values import InvalidValue, format_duration, parse_duration_exact

# How many samples a sparkline keeps (a 24 h watch at 30 s is 2,880; the widget bins them
# into its width anyway, so older ones only cost memory).
MAX_SAMPLES = 4_000


class SignalState(StrEnum):
    ok = "ok"
    warning = "warning"
    triggered = "triggered"
    unknown = "unknown"


# Never colour alone (UX.md): icon + word + colour.
STATE_ICONS: dict[SignalState, str] = {
    SignalState.ok: "✓",
    SignalState.warning: "⚠",
    SignalState.triggered: "✗",
    SignalState.unknown: "?",
}
STATE_STYLES: dict[SignalState, str] = {
    SignalState.ok: "$success",
    SignalState.warning: "bold $warning",
    SignalState.triggered: "bold $error",
    SignalState.unknown: "dim",
}

_FOR = re.compile(r"\bfor\s+(\S+)\s*$", re.IGNORECASE)


def state_markup(state: SignalState) -> str:
    return f"[{STATE_STYLES[state]}]{STATE_ICONS[state]} {state.value}[/]"


def threshold_text(value: Any) -> str | None:
    """A threshold as the playbook wrote it (``> 10 % for 5m``), whatever the model made of it."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    for attribute in ("text", "raw", "source", "expression"):
        text = getattr(value, attribute, None)
        if isinstance(text, str) and text.strip():
            return text.strip()
    if isinstance(value, dict):
        for key in ("text", "raw", "source", "expression"):
            if isinstance(value.get(key), str):
                return str(value[key])
    return str(value)


def sustained_seconds(threshold: str | None) -> float | None:
    """The ``for 5m`` part of a threshold, in seconds."""
    if not threshold:
        return None
    match = _FOR.search(threshold)
    if not match:
        return None
    try:
        return parse_duration_exact(match.group(1), bare_unit="s")
    except InvalidValue:
        return None


def format_number(value: float | None, unit: str = "") -> str:
    """``12.4 %``, ``312 ms``, ``1,204`` — three significant-ish digits, unit attached."""
    if value is None:
        return "–"
    magnitude = abs(value)
    if magnitude >= 1000 or value == int(value):
        text = f"{value:,.0f}"
    elif magnitude >= 100:
        text = f"{value:.0f}"
    else:
        text = f"{value:.2f}".rstrip("0").rstrip(".") if magnitude else "0"
    return f"{text} {unit}".strip() if unit else text


class SignalView(BaseModel):
    """One signal of the watch: its definition and what was read so far."""

    name: str
    label: str
    unit: str = ""
    warn: str | None = None
    fail: str | None = None
    samples: list[float] = Field(default_factory=list)
    count: int = 0
    last: float | None = None
    error: str | None = None
    state: SignalState = SignalState.unknown
    since: float | None = None  # watch time (s) of the last state change

    def value_text(self) -> str:
        return format_number(self.last, self.unit)

    def thresholds_text(self) -> str:
        parts = []
        if self.warn:
            parts.append(f"warn {self.warn}")
        if self.fail:
            parts.append(f"fail {self.fail}")
        return " · ".join(parts) or "no thresholds"


class MonitorView(BaseModel):
    """A watch in progress: its signals, how far it got, and the trigger if one fired."""

    step_id: str
    title: str = ""
    duration: float | None = None
    interval: float | None = None
    signals: list[SignalView] = Field(default_factory=list)
    elapsed: float = 0.0
    started_at: datetime | None = None  # wall time of t = 0 (from the first sample seen)
    last_sample_at: datetime | None = None
    triggered: dict[str, Any] | None = None
    samples_seen: int = 0

    # -- building ------------------------------------------------------------------------------

    @classmethod
    def from_step(cls, step: Any, events: list[Event] | None = None) -> MonitorView:
        signals = []
        for signal in getattr(step, "signals", None) or []:
            name = str(_field(signal, "name", "?"))
            signals.append(
                SignalView(
                    name=name,
                    label=str(
                        _field(signal, "display_label", None)
                        or _field(signal, "label", None)
                        or name
                    ),
                    unit=str(_field(signal, "unit", None) or ""),
                    warn=threshold_text(_field(signal, "warn", None)),
                    fail=threshold_text(_field(signal, "fail", None)),
                )
            )
        view = cls(
            step_id=str(getattr(step, "id", "?")),
            title=str(getattr(step, "title", "")),
            duration=_seconds(getattr(step, "duration", None)),
            interval=_seconds(getattr(step, "interval", None)),
            signals=signals,
        )
        for event in events or []:
            view.apply(event)
        return view

    def signal(self, name: str) -> SignalView:
        for signal in self.signals:
            if signal.name == name:
                return signal
        # A signal the step did not declare (an older playbook snapshot): show it anyway.
        added = SignalView(name=name, label=name)
        self.signals.append(added)
        return added

    def apply(self, event: Event) -> bool:
        """Fold one journal event in; True if it was this watch's."""
        if event.step_id != self.step_id:
            return False
        if event.type == EventType.monitor_sample:
            self._sample(event)
            return True
        if event.type == EventType.monitor_crossing:
            self._crossing(event.data)
            return True
        if event.type == EventType.step_finished:
            monitor = (event.data.get("details") or {}).get("monitor") or {}
            if monitor.get("triggered"):
                self.triggered = dict(monitor["triggered"])
            if isinstance(monitor.get("elapsed"), int | float):
                self.elapsed = max(self.elapsed, float(monitor["elapsed"]))
            return True
        return False

    def _sample(self, event: Event) -> None:
        data = event.data
        t = _number(data.get("t"))
        at = _when(event.at)
        start = _when(data.get("start")) if isinstance(data.get("start"), str) else None
        if start is not None and self.started_at is None:
            self.started_at = start  # the executor says when t = 0 was (first sample only)
        if t is not None:
            self.elapsed = max(self.elapsed, t)
            if at is not None and self.started_at is None:
                self.started_at = at - timedelta(seconds=t)
        self.last_sample_at = at or self.last_sample_at
        self.samples_seen += 1
        errors = data.get("err") or {}
        for name, raw in (data.get("v") or {}).items():
            signal = self.signal(str(name))
            value = _number(raw)
            signal.error = str(errors[name]) if name in errors else None
            if value is None:
                continue
            signal.last = value
            signal.count += 1
            signal.samples.append(value)
            if len(signal.samples) > MAX_SAMPLES:
                del signal.samples[: len(signal.samples) - MAX_SAMPLES]
            if signal.state == SignalState.unknown:
                signal.state = SignalState.ok  # until a crossing says otherwise
        for name, reason in errors.items():
            self.signal(str(name)).error = str(reason)

    def _crossing(self, data: dict[str, Any]) -> None:
        signal = self.signal(str(data.get("signal", "?")))
        try:
            signal.state = SignalState(str(data.get("to", "unknown")))
        except ValueError:
            signal.state = SignalState.unknown
        signal.since = _number(data.get("t"))
        value = _number(data.get("value"))
        if value is not None:
            signal.last = value
        if signal.state == SignalState.triggered and self.triggered is None:
            self.triggered = {
                "signal": signal.name,
                "value": value,
                "threshold": data.get("threshold") or signal.fail,
                "t": signal.since,
            }

    def watch_again(self) -> None:
        """A new attempt after a trigger: the executor forgets the trigger, so does the view
        (the samples stay: the watch continues)."""
        self.triggered = None
        for signal in self.signals:
            if signal.state == SignalState.triggered:
                signal.state = SignalState.unknown

    # -- reading -------------------------------------------------------------------------------

    def live_elapsed(self, now: datetime | None) -> float:
        """Watch time now: the last sample's, plus the wall time since it (at most an interval),
        so the clock moves between samples but never runs ahead of a stalled watch."""
        elapsed = self.elapsed
        if now is not None and self.last_sample_at is not None:
            drift = max(0.0, (now - self.last_sample_at).total_seconds())
            elapsed += min(drift, self.interval or 0.0)
        if self.duration:
            elapsed = min(elapsed, self.duration)
        return elapsed

    def progress_text(self, now: datetime | None) -> str:
        """``12m 30s of 1h · 47m left`` (or just the elapsed time without a duration)."""
        elapsed = self.live_elapsed(now)
        if not self.samples_seen:
            text = "waiting for the first sample"
            if self.duration:
                text += f" · watch {format_duration(self.duration)}"
            return text
        if not self.duration:
            return f"{format_duration(elapsed)} watched"
        left = max(0.0, self.duration - elapsed)
        total, remaining = format_duration(self.duration), format_duration(left)
        return f"{format_duration(elapsed)} of {total} · {remaining} left"

    def wall_time(self, t: float | None) -> datetime | None:
        """The wall-clock time of a watch time ``t`` (None before the first sample)."""
        if t is None or self.started_at is None:
            return None
        return self.started_at + timedelta(seconds=t)

    def worst(self) -> SignalState:
        order = [SignalState.triggered, SignalState.warning, SignalState.ok]
        states = {signal.state for signal in self.signals}
        return next((state for state in order if state in states), SignalState.unknown)


def _field(item: Any, name: str, default: Any) -> Any:
    if isinstance(item, dict):
        return item.get(name, default)
    return getattr(item, name, default)


def _seconds(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, timedelta):
        return value.total_seconds()
    try:
        return parse_duration_exact(str(value), bare_unit="s")
    except InvalidValue:
        return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _when(iso: str | None) -> datetime | None:
    if not iso:
        return None
    try:
        return datetime.fromisoformat(iso)
    except ValueError:
        return None
