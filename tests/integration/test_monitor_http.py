"""HTTP signals against a real loopback service whose error rate and latency change mid-watch.

Time runs on a ``ManualClock`` (each interval passes at once), while every reading is a real
HTTP request to the ``http_server`` fixture. The test flips the service's behaviour from the
``ctx.record`` callback, which the executor calls between ticks, so "the service degrades after
the third sample" is exact rather than a race.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from deploytui.clock import ManualClock
from deploytui.executors.base import ExecContext, ExecResult
from deploytui.executors.monitor import MonitorExecutor
from deploytui.model.monitor_step import MonitorStep
from deploytui.model.playbook import Targets
from tests.conftest import HttpServer


class Service:
    """The service's behaviour, changed by the test while the watch runs."""

    def __init__(self, server: HttpServer) -> None:
        self.failing = False
        self.delay = 0.0
        self.status = 503
        server.route("GET", "/health", self._health)

    def _health(self, request: Any) -> tuple[int, Any]:
        if self.delay:
            time.sleep(self.delay)
        return (self.status, {"status": "down"}) if self.failing else (200, {"status": "ok"})


def _step(signals: list[dict[str, Any]], **fields: Any) -> MonitorStep:
    return MonitorStep.model_validate(
        {
            "id": "watch",
            "kind": "monitor",
            "title": "Watch",
            "duration": "10m",
            "interval": "30s",
            **fields,
            "signals": signals,
        }
    )


ERROR_RATE = {
    "name": "error_rate",
    "http": {"target": "app", "path": "/health", "timeout": "5s"},
    "measure": "error_rate",
    "window": "2m",
    "warn": "> 1 %",
    "fail": "> 10 % for 1m",
}


class Recorder:
    def __init__(self, on_sample: Callable[[int], None] | None = None) -> None:
        self.records: list[tuple[str, dict[str, Any]]] = []
        self.lines: list[str] = []
        self.on_sample = on_sample

    def record(self, type_: str, data: dict[str, Any]) -> None:
        self.records.append((type_, data))
        if type_ == "monitor_sample" and self.on_sample is not None:
            self.on_sample(len(self.samples()))

    def samples(self) -> list[dict[str, Any]]:
        return [data for type_, data in self.records if type_ == "monitor_sample"]

    def crossings(self) -> list[dict[str, Any]]:
        return [data for type_, data in self.records if type_ == "monitor_crossing"]

    def history(self, clock: ManualClock) -> list[dict[str, Any]]:
        at = clock.now().isoformat()
        return [{"type": t, "at": at, "attempt": 1, "data": d} for t, d in self.records]


def _run(
    server: HttpServer,
    step: MonitorStep,
    recorder: Recorder,
    clock: ManualClock,
    *,
    history: list[dict[str, Any]] | None = None,
    cancelled: threading.Event | None = None,
) -> ExecResult:
    targets = Targets.model_validate({"http": {"app": {"base_url": server.url}}})
    ctx = ExecContext(
        run_id="run",
        step_id=step.id,
        attempt=2 if history else 1,
        output=lambda stream, line: recorder.lines.append(line),
        cancelled=cancelled or threading.Event(),
        record=recorder.record,
        history=history or [],
        clock=clock,
    )
    executor = MonitorExecutor(targets)
    try:
        return executor.execute(step, ctx)
    finally:
        executor.close()


def test_error_rate_rising_mid_watch_fires_the_sustained_trigger(http_server: HttpServer) -> None:
    service = Service(http_server)

    def degrade(count: int) -> None:
        if count == 3:  # healthy for the first three readings, then every request fails
            service.failing = True

    recorder = Recorder(on_sample=degrade)
    result = _run(http_server, _step([ERROR_RATE]), recorder, ManualClock())

    assert not result.ok
    # A 2m window at 30s holds four readings: 1 of 4 failed at 90s (first beyond 10 %), 3 of 4
    # at 150s, when it has been beyond for 1m.
    assert result.reason == "rollback trigger: error_rate 75 % > 10 % for 1m"
    values = [sample["v"]["error_rate"] for sample in recorder.samples()]
    assert values == [0, 0, 0, 25, 50, 75]
    assert [sample["t"] for sample in recorder.samples()] == [0, 30, 60, 90, 120, 150]
    assert recorder.samples()[0]["start"]  # the watch's start, for resuming
    assert recorder.samples()[3]["n"] == {"error_rate": [1, 1]}
    crossings = recorder.crossings()
    assert [(c["from"], c["to"], c["threshold"], c["t"]) for c in crossings] == [
        ("ok", "warning", "> 1 %", 90),
        ("warning", "triggered", "> 10 % for 1m", 150),
    ]
    monitor = result.details["monitor"]
    assert monitor["triggered"] == {
        "signal": "error_rate",
        "value": 75,
        "threshold": "> 10 % for 1m",
        "t": 150,
    }
    summary = monitor["signals"]["error_rate"]
    assert (summary["min"], summary["max"], summary["last"], summary["count"]) == (0, 75, 75, 6)
    assert summary["state"] == "triggered" and len(summary["crossings"]) == 2
    figures = {value.field: value for value in result.values}
    assert figures["error_rate_max"].display == "75 %"
    assert figures["error_rate_p95"].breach == "75 % misses the target <= 1 %"
    assert any("rollback trigger" in line for line in recorder.lines)


def test_latency_warning_then_recovery_and_the_watch_completes(http_server: HttpServer) -> None:
    service = Service(http_server)

    def slow_then_fast(count: int) -> None:
        service.delay = 0.3 if count in (2, 3) else 0.0  # readings 3 and 4 are slow

    recorder = Recorder(on_sample=slow_then_fast)
    signal = {
        "name": "latency",
        "http": {"target": "app", "path": "/health"},
        "measure": "latency",
        "warn": "> 250 ms",
        "fail": "> 5 s",
    }
    result = _run(http_server, _step([signal], duration="3m"), recorder, ManualClock())

    assert result.ok, result.reason
    assert len(recorder.samples()) == 7  # 0, 30s ... 3m
    latencies = [sample["v"]["latency"] for sample in recorder.samples()]
    assert [value >= 250 for value in latencies] == [False, False, True, True] + [False] * 3
    assert [(c["from"], c["to"]) for c in recorder.crossings()] == [
        ("ok", "warning"),
        ("warning", "ok"),
    ]
    assert recorder.crossings()[1]["threshold"] == "> 250 ms"
    assert result.details["monitor"]["signals"]["latency"]["state"] == "ok"
    assert "triggered" not in result.details["monitor"]


def test_status_signal_and_an_unreachable_service(http_server: HttpServer) -> None:
    service = Service(http_server)
    service.failing = True
    recorder = Recorder()
    status = {
        "name": "status",
        "http": {"target": "app", "path": "/health"},
        "measure": "status",
        "fail": ">= 500",
    }
    result = _run(http_server, _step([status]), recorder, ManualClock())
    assert result.reason == "rollback trigger: status 503 >= 500"

    # A service that is not listening: every reading fails, and the step says why.
    dead = HttpServer(url="http://127.0.0.1:9")
    recorder = Recorder()
    result = _run(dead, _step([status], duration="1m"), recorder, ManualClock())
    assert not result.ok
    assert result.reason == (
        "no reading succeeded during the watch — status: "
        "connection refused (is the service running?)"
    )
    assert recorder.samples()[0]["v"] == {"status": None}
    assert recorder.samples()[0]["err"]["status"].startswith("connection refused")


def test_an_interrupted_watch_continues_from_its_history(http_server: HttpServer) -> None:
    Service(http_server)
    clock = ManualClock()
    cancelled = threading.Event()
    first = Recorder(on_sample=lambda count: cancelled.set() if count == 4 else None)
    step = _step([ERROR_RATE], duration="5m")
    stopped = _run(http_server, step, first, clock, cancelled=cancelled)
    assert not stopped.ok
    assert stopped.reason == "watch stopped at +1:30: cancelled by the operator"
    assert len(first.samples()) == 4

    clock.advance(45)  # the crash and the resume took 45 s of wall-clock time
    second = Recorder()
    result = _run(http_server, step, second, clock, history=first.history(clock))
    assert result.ok, result.reason
    times = [sample["t"] for sample in second.samples()]
    assert times[0] == 135  # 90 s watched + 45 s away: time counts from the first sample
    assert times[-1] <= 300 and times == [135, 165, 195, 225, 255, 285]
    monitor = result.details["monitor"]
    assert monitor["samples"] == 10 and monitor["signals"]["error_rate"]["count"] == 10
    assert "start" not in second.samples()[0]
    assert any("continuing the watch at +1:30" in line for line in second.lines)


def test_checkpoints_park_between_watches(http_server: HttpServer) -> None:
    Service(http_server)
    clock = ManualClock()
    start = clock.now()
    step = _step(
        [ERROR_RATE], duration="1h", checkpoint_every="20m", watch_for="1m", interval="30s"
    )
    recorder = Recorder()
    first = _run(http_server, step, recorder, clock)
    assert first.ok and first.park_until == start + timedelta(minutes=20)
    assert [sample["t"] for sample in recorder.samples()] == [0, 30, 60]
    assert first.values == []  # figures come when the whole watch is done

    clock.advance(first.park_until.timestamp() - clock.now().timestamp())
    second = _run(http_server, step, Recorder(), clock, history=recorder.history(clock))
    assert second.park_until == start + timedelta(minutes=40)

    history = recorder.history(clock)
    recorder2 = Recorder()
    clock.advance(second.park_until.timestamp() - clock.now().timestamp())
    # The second checkpoint's samples, as the engine would hand them over.
    second_samples = [
        {"type": "monitor_sample", "at": clock.now().isoformat(), "attempt": 2, "data": data}
        for data in ({"t": 1200 + 30 * i, "v": {"error_rate": 0}} for i in range(3))
    ]
    third = _run(http_server, step, recorder2, clock, history=history + second_samples)
    assert third.ok and third.park_until is None  # the next checkpoint (60m) is the end
    assert [sample["t"] for sample in recorder2.samples()] == [2400, 2430, 2460]
    assert third.details["monitor"]["samples"] == 9
    assert {value.field for value in third.values} >= {"error_rate_p95", "error_rate_last"}


def test_cancel_stops_a_real_clock_watch_promptly(http_server: HttpServer) -> None:
    from deploytui.clock import SystemClock

    Service(http_server)
    cancelled = threading.Event()
    recorder = Recorder(on_sample=lambda count: cancelled.set())
    step = _step([ERROR_RATE], duration="10m", interval="1m")
    outcome: list[ExecResult] = []
    targets = Targets.model_validate({"http": {"app": {"base_url": http_server.url}}})
    ctx = ExecContext(
        run_id="run",
        step_id="watch",
        attempt=1,
        output=lambda stream, line: None,
        cancelled=cancelled,
        record=recorder.record,
        clock=SystemClock(offset=0),
    )
    worker = threading.Thread(
        target=lambda: outcome.append(MonitorExecutor(targets).execute(step, ctx))
    )
    worker.start()
    worker.join(30)  # far less than the one-minute interval it would otherwise sleep
    assert not worker.is_alive()
    assert outcome[0].reason == "watch stopped at +0:00: cancelled by the operator"


def test_a_retry_after_a_trigger_reads_again_even_when_the_time_is_up(
    http_server: HttpServer,
) -> None:
    service = Service(http_server)
    service.failing = True
    clock = ManualClock()
    step = _step([{**ERROR_RATE, "fail": "> 10 %"}], duration="5m")
    first = Recorder()
    triggered = _run(http_server, step, first, clock)
    assert triggered.reason == "rollback trigger: error_rate 100 % > 10 %"

    clock.advance(3600)  # the operator decided an hour later, long after the watch's end
    still = Recorder()
    again = _run(http_server, step, still, clock, history=first.history(clock))
    assert len(still.samples()) == 1  # one fresh reading, and the service is still failing
    assert again.reason == "rollback trigger: error_rate 100 % > 10 %"

    service.failing = False
    history = first.history(clock) + [
        {"type": t, "at": clock.now().isoformat(), "attempt": 2, "data": d}
        for t, d in still.records
    ]
    clock.advance(60)
    fixed = Recorder()
    # The 2m window still holds the failures of the last readings, so 50 % > 10 % again:
    # a fixed service passes only once its window has cleared, never on old readings.
    result = _run(http_server, step, fixed, clock, history=history)
    assert len(fixed.samples()) == 1
    assert not result.ok and result.reason.startswith("rollback trigger: error_rate")
