"""Prometheus signals against a REAL Prometheus server scraping a metrics endpoint we control.

The server (tests/prometheus_helpers.py, started once per session) scrapes every second; each
test uses its own metric names. Covers a value read through /api/v1/query with a scale, the
clear errors (failed query, empty vector, NaN, several series), and a whole watch on the real
clock in which the test raises the metric mid-watch until the sustained fail threshold fires.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest

from deploytui.executors.base import ExecContext, ExecResult
from deploytui.executors.monitor import MonitorExecutor
from deploytui.executors.monitor_signals import PrometheusReader
from deploytui.model.monitor_step import MonitorStep
from deploytui.model.playbook import Targets


def _metric() -> str:
    return f"deploytui_test_{uuid.uuid4().hex[:10]}"


def _step(query: str, **signal: Any) -> MonitorStep:
    return MonitorStep.model_validate(
        {
            "id": "watch",
            "kind": "monitor",
            "title": "watch",
            "duration": signal.pop("duration", "10s"),
            "interval": signal.pop("interval", "1s"),
            "signals": [
                {
                    "name": "p99",
                    "prometheus": {"target": "prom", "query": query, **signal.pop("prom", {})},
                    "unit": "ms",
                    "warn": "> 500 ms",
                    **signal,
                }
            ],
        }
    )


def _targets(prometheus: Any) -> Targets:
    return Targets.model_validate({"http": {"prom": {"base_url": prometheus.url}}})


def _read(prometheus: Any, query: str, **prom: Any) -> Any:
    step = _step(query, prom=prom)
    reader = PrometheusReader(step, step.signals[0], _targets(prometheus).http["prom"])
    try:
        return reader.read(0.0)
    finally:
        reader.close()


def test_a_scraped_value_is_read_and_scaled(prometheus: Any) -> None:
    name = _metric()
    prometheus.metrics.set(name, 0.25)
    prometheus.wait_for_value(name, 0.25)
    reading = _read(prometheus, name, scale=1000)
    assert reading.error is None
    assert reading.value == pytest.approx(250.0)


def test_clear_errors_for_bad_queries(prometheus: Any) -> None:
    name = _metric()
    prometheus.metrics.set(f'{name}{{code="200"}}', 5)
    prometheus.metrics.set(f'{name}{{code="500"}}', 1)
    prometheus.wait_for_value(f'{name}{{code="500"}}', 1)

    failed = _read(prometheus, "sum(")
    assert failed.value is None
    assert failed.error.startswith("the query failed: bad_data:")

    empty = _read(prometheus, f"{name}_never_scraped")
    assert empty.error == "the query returned no data (empty vector)"

    nan = _read(prometheus, f'{name}{{code="200"}} * 0 / 0')
    assert nan.error == "the query returned NaN (nothing to divide by yet?)"

    several = _read(prometheus, name)
    assert several.error == "the query returned 2 series; make it one, e.g. sum(...) or max(...)"
    assert _read(prometheus, f"sum({name})").value == 6


def test_prometheus_down_is_a_reading_error_not_a_crash(prometheus: Any) -> None:
    targets = Targets.model_validate({"http": {"prom": {"base_url": "http://127.0.0.1:9"}}})
    step = _step("up")
    reader = PrometheusReader(step, step.signals[0], targets.http["prom"])
    reading = reader.read(0.0)
    reader.close()
    assert reading.value is None
    assert reading.error == "Prometheus: connection refused (is the service running?)"


def test_a_metric_raised_mid_watch_fires_the_sustained_trigger(prometheus: Any) -> None:
    name = _metric()
    prometheus.metrics.set(name, 0.2)
    prometheus.wait_for_value(name, 0.2)
    # Real clock, 0.5 s interval: the watch would last 90 s if nothing fired.
    step = _step(
        name,
        prom={"scale": 1000},
        duration="90s",
        interval="0.5s",
        fail="> 2000 ms for 1s",
    )
    records: list[tuple[str, dict[str, Any]]] = []
    first_ok = threading.Event()

    def record(type_: str, data: dict[str, Any]) -> None:
        records.append((type_, data))
        if type_ == "monitor_sample" and data["v"]["p99"] == 200:
            first_ok.set()

    ctx = ExecContext(
        run_id="r", step_id="watch", attempt=1, output=lambda stream, line: None, record=record
    )
    outcome: list[ExecResult] = []
    executor = MonitorExecutor(_targets(prometheus))
    worker = threading.Thread(target=lambda: outcome.append(executor.execute(step, ctx)))
    worker.start()
    assert first_ok.wait(60), records
    prometheus.metrics.set(name, 3.5)  # 3500 ms: beyond the fail threshold from now on
    worker.join(90)
    assert not worker.is_alive()
    result = outcome[0]
    assert not result.ok
    assert result.reason == "rollback trigger: p99 3500 ms > 2000 ms for 1s"
    monitor = result.details["monitor"]
    assert monitor["triggered"]["signal"] == "p99"
    assert monitor["signals"]["p99"]["min"] == 200
    assert monitor["signals"]["p99"]["max"] == 3500
    crossings = [data for type_, data in records if type_ == "monitor_crossing"]
    assert [(c["from"], c["to"]) for c in crossings] == [
        ("ok", "warning"),
        ("warning", "triggered"),
    ]
    # The trigger came at least a second after the first reading beyond it (sustained).
    assert crossings[1]["t"] - crossings[0]["t"] >= 1.0
    assert {value.field for value in result.values} >= {"p99_p95", "p99_max"}
