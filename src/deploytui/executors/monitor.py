"""Run a ``monitor`` step: read every signal each interval, journal it, stop at a trigger.

The watch is one loop on ``ctx.clock``: read all signals at once (a thread each, so one slow
endpoint does not delay the others' readings), journal a compact ``monitor_sample``, feed the
readings to each signal's thresholds (``monitor_eval``), journal every state change as a
``monitor_crossing``, and sleep until the next tick, waking at once when the operator cancels.
A fail threshold reached ends the watch there with ``rollback trigger: …``. A watch that was
interrupted (crash, stop) or parked between checkpoints replays ``ctx.history`` first, so its
time, state and figures continue rather than restart.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from deploytui.executors.base import CANCELLED, ExecContext, ExecResult
from deploytui.executors.local import LocalExecutor
from deploytui.executors.monitor_eval import TRIGGERED, SignalWatch, nice, rounded, watch_clock
from deploytui.executors.monitor_signals import (
    CommandReader,
    HostKeyNeeded,
    HttpReader,
    PrometheusReader,
    Reader,
    Reading,
    RequestSetupError,
)
from deploytui.model.fields import CapturedValue
from deploytui.model.monitor_step import MonitorStep
from deploytui.model.playbook import Targets
from deploytui.model.ssh_step import SshStep
from deploytui.model.steps import LocalStep, StepBase
from deploytui.model.values import format_duration, format_number

STATE_WORDS = {"ok": "ok", "warning": "WARN", "triggered": "TRIGGER", "unknown": "?"}


class MonitorExecutor:
    kind = "monitor"

    def __init__(self, targets: Targets) -> None:
        self.targets = targets
        self._local = LocalExecutor()
        self._ssh: Any = None  # an SshExecutor, made on the first ssh command signal

    def _run_command(self, step: LocalStep | SshStep, ctx: ExecContext) -> ExecResult:
        if isinstance(step, SshStep):
            if self._ssh is None:
                from deploytui.executors.ssh import SshExecutor

                self._ssh = SshExecutor(self.targets)
            return self._ssh.execute(step, ctx)
        return self._local.execute(step, ctx)

    def accept_host_key(self, key: Any) -> None:
        if self._ssh is not None:
            self._ssh.accept_host_key(key)

    def close(self) -> None:
        if self._ssh is not None:
            self._ssh.close()

    def execute(self, step: StepBase, ctx: ExecContext) -> ExecResult:
        assert isinstance(step, MonitorStep)
        readers: dict[str, Reader] = {}
        try:
            for signal in step.signals:
                reader_target = signal.http or signal.prometheus
                target = self.targets.http.get(reader_target.target) if reader_target else None
                if reader_target is not None and target is None:
                    return ExecResult(
                        ok=False,
                        reason=f"signal {signal.name}: no http target '{reader_target.target}'",
                    )
                if signal.http is not None:
                    readers[signal.name] = HttpReader(step, signal, target)
                elif signal.prometheus is not None:
                    readers[signal.name] = PrometheusReader(step, signal, target)
                else:
                    readers[signal.name] = CommandReader(step, signal, self._run_command, ctx)
        except RequestSetupError as error:
            for reader in readers.values():
                reader.close()
            return ExecResult(ok=False, reason=f"signal {signal.name}: {error}")
        try:
            return _Watch(step, ctx, readers).run()
        finally:
            for reader in readers.values():
                reader.close()


class _Watch:
    """One attempt of one watch, continuing whatever earlier attempts journaled."""

    def __init__(self, step: MonitorStep, ctx: ExecContext, readers: dict[str, Reader]) -> None:
        self.step = step
        self.ctx = ctx
        self.clock = ctx.clock
        self.readers = readers
        self.duration, self.interval = step.seconds  # rendered by the engine: numbers now
        self.watches = {signal.name: SignalWatch(signal) for signal in step.signals}
        self.samples = 0
        self.last_t = 0.0
        self.triggered: dict[str, Any] | None = None
        self.retriggerable = False  # the last attempt ended at a trigger
        self.start = self._replay()
        self._mono0 = self.clock.monotonic()
        self._base = max(self.last_t, (self.clock.now() - self.start).total_seconds())

    # -- time ------------------------------------------------------------------------------------

    def now_t(self) -> float:
        """Seconds since the watch began (its first sample), across attempts and parks."""
        return self._base + (self.clock.monotonic() - self._mono0)

    def _window_end(self, elapsed: float) -> tuple[float, float | None]:
        """(when this stretch of watching ends, the next checkpoint after it or None)."""
        step = self.step
        if step.checkpoint_every is None or step.watch_for is None:
            return self.duration, None
        every, watch = step.checkpoint_every, step.watch_for
        scheduled = math.floor(elapsed / every) * every
        # Inside a checkpoint's watch: to its end. Between checkpoints (resumed early or late):
        # a checkpoint now, watched for watch_for.
        end = scheduled + watch if elapsed < scheduled + watch else elapsed + watch
        end = min(end, self.duration)
        following = (math.floor(end / every) + 1) * every
        return end, (following if following < self.duration else None)

    # -- history -----------------------------------------------------------------------------------

    def _replay(self) -> datetime:
        """Feed earlier attempts' samples through the thresholds; the watch's start time."""
        start: datetime | None = None
        crossings: dict[str, list[dict[str, Any]]] = {}
        for record in self.ctx.history:
            data = record.get("data") or {}
            if record.get("type") == "monitor_crossing":
                crossings.setdefault(str(data.get("signal")), []).append(data)
                continue
            if record.get("type") != "monitor_sample":
                continue
            t = float(data.get("t") or 0.0)
            if start is None:
                start = _parse_time(data.get("start")) or _at_minus(record.get("at"), t)
            values, errors = data.get("v") or {}, data.get("err") or {}
            for name, counts in (data.get("n") or {}).items():
                reader = self.readers.get(name)
                restore = getattr(reader, "restore", None)
                if callable(restore):
                    restore(t, counts)
            for name, watch in self.watches.items():
                if name in values:
                    value = values[name]
                    watch.observe(t, None if value is None else float(value), errors.get(name))
            self.samples += 1
            self.last_t = max(self.last_t, t)
        for name, watch in self.watches.items():
            watch.crossings = crossings.get(name, [])
            if watch.state == TRIGGERED:  # a trigger ended the last attempt: watch again
                watch.state = "unknown"
                self.retriggerable = True
        if self.samples:
            self.ctx.emit(
                f"continuing the watch at {watch_clock(self.last_t)} "
                f"({self.samples} earlier sample{'s' if self.samples != 1 else ''})"
            )
        return start or self.clock.now()

    # -- the loop ----------------------------------------------------------------------------------

    def run(self) -> ExecResult:
        step = self.step
        elapsed = self.now_t()
        if self.samples and elapsed - self.last_t > 2 * self.interval:
            # Continuing after a checkpoint break or a long crash: a sustained threshold starts
            # again, so a rollback trigger never rests on one reading at each end of the gap.
            for watch in self.watches.values():
                watch.break_streaks()
        end, next_checkpoint = self._window_end(elapsed)
        # A retry after a trigger (or a watch with no sample at all) reads at least once, even
        # when its time is up: it must not pass on the strength of old readings.
        read_once = elapsed >= end and (self.retriggerable or not self.samples)
        if read_once:
            end = elapsed
        if elapsed < end or read_once:
            if not self.samples:
                every = self.interval
                self.ctx.emit(
                    f"watching {len(step.signals)} signal{'s' if len(step.signals) != 1 else ''} "
                    f"every {f'{every:g}s' if every < 60 else format_duration(every)} "
                    f"until {watch_clock(end)}"
                )
                for problem in step.unreachable_thresholds():  # a rehearsal's short watch
                    self.ctx.emit(f"note: {problem}; it cannot be reached in this run", "stderr")
            stopped = self._watch_until(end)
            if stopped is not None:
                return stopped
        if next_checkpoint is not None:
            until = self.start + timedelta(seconds=next_checkpoint)
            self.ctx.emit(
                f"checkpoint done; the watch goes on at {watch_clock(next_checkpoint)} "
                f"({until.isoformat(timespec='seconds')})"
            )
            return ExecResult(ok=True, park_until=until, details=self._details(next_checkpoint))
        return self._finished()

    def _watch_until(self, end: float) -> ExecResult | None:
        """Tick until ``end``; a result when the watch stops early (trigger, cancel, host key)."""
        interval = self.interval
        with ThreadPoolExecutor(max_workers=len(self.readers)) as pool:
            due = self.now_t()
            while True:
                if self.ctx.cancelled.is_set():
                    return self._cancelled()
                t = self.now_t()
                try:
                    readings = self._read_all(pool, t)
                except HostKeyNeeded as needed:
                    return ExecResult(
                        ok=False,
                        reason=needed.reason,
                        details=self._details(None),
                        unknown_host_keys=needed.keys,
                    )
                if self.ctx.cancelled.is_set() and self._all_failed(readings):
                    return self._cancelled()  # the readings were cut short, not real failures
                self._journal(t, readings)
                if self.triggered is not None:
                    return self._trigger_result()
                due += interval
                if due > end + min(1.0, interval * 0.1):  # a late first tick still ends at end
                    return None
                wait = due - self.now_t()
                if wait < 0:
                    due = self.now_t()  # readings took longer than the interval: no catching up
                    wait = 0.0
                if not self.clock.sleep(wait, self.ctx.cancelled):
                    return self._cancelled()

    def _read_all(self, pool: ThreadPoolExecutor, t: float) -> dict[str, Reading]:
        futures = {name: pool.submit(reader.read, t) for name, reader in self.readers.items()}
        readings: dict[str, Reading] = {}
        needed: HostKeyNeeded | None = None
        for name, future in futures.items():
            try:
                readings[name] = future.result()
            except HostKeyNeeded as error:
                needed = needed or error
            except Exception as error:  # a reader's surprise is that reading's failure
                readings[name] = Reading(value=None, error=f"{error.__class__.__name__}: {error}")
        if needed is not None:
            raise needed
        return readings

    @staticmethod
    def _all_failed(readings: dict[str, Reading]) -> bool:
        return all(reading.value is None for reading in readings.values())

    def _journal(self, t: float, readings: dict[str, Reading]) -> None:
        sample: dict[str, Any] = {
            "t": round(t, 3),
            "v": {name: rounded(reading.value) for name, reading in readings.items()},
        }
        errors = {name: reading.error for name, reading in readings.items() if reading.error}
        if errors:
            sample["err"] = errors
        counts = {name: list(r.counts) for name, r in readings.items() if r.counts is not None}
        if counts:
            sample["n"] = counts
        if self.samples == 0:
            sample["start"] = self.start.isoformat()
        self.ctx.record("monitor_sample", sample)
        self.samples += 1
        self.last_t = t
        parts = []
        for name, reading in readings.items():
            watch = self.watches[name]
            crossing = watch.observe(t, reading.value, reading.error)
            if crossing is not None:
                crossing["at"] = self.clock.now().isoformat()
                watch.crossings.append(crossing)
                self.ctx.record("monitor_crossing", crossing)
                if crossing["to"] == TRIGGERED and self.triggered is None:
                    self.triggered = {
                        "signal": name,
                        "value": crossing["value"],
                        "threshold": crossing["threshold"],
                        "t": crossing["t"],
                    }
            shown = watch.display(reading.value)
            if reading.value is None and reading.error:
                shown = f"— ({reading.error})"
            parts.append(f"{name} {shown} {STATE_WORDS[watch.state]}")
        self.ctx.emit(f"{watch_clock(t)}  " + " · ".join(parts))

    # -- results -----------------------------------------------------------------------------------

    def _details(self, next_checkpoint: float | None) -> dict[str, Any]:
        monitor: dict[str, Any] = {
            "duration": self.duration,
            "elapsed": round(self.last_t, 3),
            "interval": self.interval,
            "samples": self.samples,
            "started_at": self.start.isoformat(),
            "signals": {name: watch.summary() for name, watch in self.watches.items()},
        }
        if self.triggered is not None:
            monitor["triggered"] = dict(self.triggered)
        if next_checkpoint is not None:
            monitor["next_checkpoint"] = (
                self.start + timedelta(seconds=next_checkpoint)
            ).isoformat()
        return {"monitor": monitor}

    def _values(self) -> list[CapturedValue]:
        values = []
        for signal in self.step.signals:
            figures = self.watches[signal.name].figures()
            for field in signal.figure_fields():
                number = figures[field.id[len(signal.name) + 1 :]]
                if number is None:
                    values.append(field.empty_value())
                else:
                    values.append(field.capture(format_number(float(nice(number)))))
        return values

    def _trigger_result(self) -> ExecResult:
        assert self.triggered is not None
        watch = self.watches[self.triggered["signal"]]
        value = self.triggered["value"]
        reason = (
            f"rollback trigger: {watch.signal.name} {watch.display(value)} "
            f"{self.triggered['threshold']}"
        )
        self.ctx.emit(f"✗ {reason} (at {watch_clock(self.triggered['t'])})", "stderr")
        return ExecResult(
            ok=False, reason=reason, details=self._details(None), values=self._values()
        )

    def _cancelled(self) -> ExecResult:
        reason = f"watch stopped at {watch_clock(self.last_t)}: {CANCELLED}"
        return ExecResult(
            ok=False, reason=reason, details=self._details(None), values=self._values()
        )

    def _finished(self) -> ExecResult:
        details = self._details(None)
        values = self._values()
        blind = [watch for watch in self.watches.values() if not watch.values]
        if blind:
            reasons = "; ".join(
                f"{watch.signal.name}: {watch.last_error or 'no reading'}" for watch in blind
            )
            return ExecResult(
                ok=False,
                reason=f"no reading succeeded during the watch — {reasons}",
                details=details,
                values=values,
            )
        for watch in self.watches.values():
            if watch.state == "warning":
                self.ctx.emit(
                    f"⚠ {watch.signal.name} ended the watch in warning "
                    f"({watch.display(watch.last)}, warn {watch.signal.warn})",
                    "stderr",
                )
        summary = " · ".join(
            f"{name} p95 {watch.display(watch.figures()['p95'])}"
            for name, watch in self.watches.items()
        )
        self.ctx.emit(
            f"✓ watched {format_duration(self.last_t)}, {self.samples} samples: {summary}"
        )
        return ExecResult(ok=True, details=details, values=values)


def _parse_time(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _at_minus(at: Any, t: float) -> datetime | None:
    when = _parse_time(at) if isinstance(at, str) else at if isinstance(at, datetime) else None
    return when - timedelta(seconds=t) if when is not None else None
