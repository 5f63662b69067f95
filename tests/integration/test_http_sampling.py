"""``sample``: N real requests with bounded concurrency → p50/p95/p99 and error rate as values.

The figures must arrive as typed values (units, targets, breaches) that later steps can use as
``{{ inputs.NAME }}`` and gates can require ``within_target``, just like typed answers.
"""

from __future__ import annotations

import itertools
import threading

import pytest

from deploytui.engine.runner import Engine
from deploytui.journal import Journal
from deploytui.model.events import EventType, RunStatus
from deploytui.model.values import percentile
from deploytui.playbook.loader import PlaybookError
from tests.conftest import HttpServer
from tests.core_helpers import ScriptedOperator, decision, load, new_run, of_type
from tests.integration.http_support import http_step, run_http


@pytest.mark.parametrize(
    ("values", "pct", "expected"),
    [
        ([1.0], 95, 1.0),
        ([float(n) for n in range(1, 101)], 50, 50.0),
        ([float(n) for n in range(1, 101)], 95, 95.0),
        ([float(n) for n in range(1, 101)], 99, 99.0),
        ([float(n) for n in range(1, 201)], 95, 190.0),
        ([10.0, 20.0, 30.0], 99, 30.0),
        ([], 50, None),
    ],
)
def test_percentile_is_nearest_rank(values, pct, expected):
    assert percentile(values, pct) == expected


def test_sample_records_typed_figures_with_units(http_server: HttpServer):
    http_server.reply("GET", "/quote", 200, {"ok": True})
    step = http_step(
        id="checkout.latency",
        url=f"{http_server.url}/quote",
        sample={"requests": 40, "concurrency": 4, "p95_ms": "< 5 s", "error_rate": "< 1 %"},
    )
    result, out = run_http(step)
    assert result.ok, result.reason
    by_name = {value.field: value for value in result.values}
    assert list(by_name) == [
        "checkout_latency_p50_ms",
        "checkout_latency_p95_ms",
        "checkout_latency_p99_ms",
        "checkout_latency_error_rate",
    ]
    p50, p95, p99 = (by_name[f"checkout_latency_{p}_ms"] for p in ("p50", "p95", "p99"))
    assert p50.unit == p95.unit == "ms"
    assert 0 < p50.value <= p95.value <= p99.value
    assert p95.display.endswith(" ms") and p95.breach is None
    assert by_name["checkout_latency_error_rate"].value == 0
    assert by_name["checkout_latency_error_rate"].display == "0 %"
    assert len(http_server.received) == 40
    assert result.details["requests"] == 40 and result.details["errors"] == 0
    assert out.text[-1].startswith("40 requests, 4 at once: p50 ")


def test_errors_count_and_a_missed_target_fails_the_step_with_the_values(
    http_server: HttpServer,
):
    counter = itertools.count(1)
    lock = threading.Lock()

    def every_fourth_fails(request):
        with lock:
            number = next(counter)
        return (500, {"error": "boom"}) if number % 4 == 0 else (200, {"ok": True})

    http_server.route("GET", "/flaky", every_fourth_fails)
    step = http_step(
        url=f"{http_server.url}/flaky",
        sample={"requests": 20, "concurrency": 2, "name": "api", "error_rate": "< 10 %"},
    )
    result, out = run_http(step)
    assert not result.ok
    rate = next(value for value in result.values if value.field == "api_error_rate")
    assert rate.value == 25.0
    assert rate.breach == "25 % misses the target < 10 %"
    assert result.reason == f"{http_server.url}/flaky: error rate 25 % misses the target < 10 %"
    assert result.details["error_kinds"] == {"status 500": 5}
    assert "⚠ error rate 25 % misses the target < 10 %" in out.text


def test_concurrency_is_bounded_and_used(http_server: HttpServer):
    lock = threading.Condition()
    state = {"now": 0, "peak": 0}

    def slow(request):
        # A barrier rather than a sleep: the first requests wait (5 s at most) until three are
        # in flight, so the peak is exactly the concurrency however loaded the machine is.
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
            lock.notify_all()
            lock.wait_for(lambda: state["peak"] >= 3, timeout=5)
            state["now"] -= 1
        return 200, {"ok": True}

    http_server.route("GET", "/slow", slow)
    step = http_step(url=f"{http_server.url}/slow", sample={"requests": 30, "concurrency": 3})
    result, _ = run_http(step)
    assert result.ok
    assert state["peak"] == 3


def test_transport_errors_count_as_errors_and_leave_latency_unmeasured():
    step = http_step(
        url="http://127.0.0.1:9/never",  # the discard port: nothing listens on loopback
        timeout="1s",
        sample={"requests": 3, "p95_ms": "< 500 ms", "on_breach": "record"},
    )
    result, _ = run_http(step)
    by_name = {value.field: value for value in result.values}
    assert by_name["h_error_rate"].value == 100.0
    assert by_name["h_p95_ms"].value is None
    assert by_name["h_p95_ms"].breach == "no request got a response to measure"
    assert result.ok  # on_breach: record leaves the decision to a gate


SAMPLED = """
name: sampled
targets:
  http:
    api: {{base_url: "{url}"}}
phases:
  - id: validate
    title: Validation
    steps:
      - id: latency
        kind: http
        title: Sample the API
        target: api
        url: /quote
        sample:
          requests: 12
          concurrency: 3
          name: api
          p95_ms: "{target}"
          on_breach: {on_breach}
      - id: report
        kind: local
        title: Use the figure
        command: echo "p95 was {{{{ inputs.api_p95_ms }}}} ms"
      - id: go
        kind: gate
        title: Go / no-go
        require:
          - {{value: api_p95_ms, within_target: true}}
"""


def test_sampled_values_feed_later_steps_and_gates(journal: Journal, http_server: HttpServer):
    http_server.reply("GET", "/quote", 200, {"ok": True})
    loaded = load(SAMPLED.format(url=http_server.url, target="< 60 s", on_breach="record"))
    run_id = new_run(journal, loaded)
    engine = Engine(journal=journal, run_id=run_id, loaded=loaded, operator=ScriptedOperator())
    assert engine.run().status == RunStatus.completed
    finished = of_type(journal.events(run_id), EventType.step_finished, "latency")[-1]
    values = {value["field"]: value for value in finished.data["values"]}
    assert values["api_p95_ms"]["unit"] == "ms" and values["api_error_rate"]["unit"] == "%"
    p95 = values["api_p95_ms"]["value"]
    assert any(line == f"p95 was {p95:g} ms" for line in journal.output(run_id, "report"))


def test_a_recorded_breach_blocks_the_gate(journal: Journal, http_server: HttpServer):
    http_server.reply("GET", "/quote", 200, {"ok": True})
    loaded = load(SAMPLED.format(url=http_server.url, target="< 0.001 ms", on_breach="record"))
    operator = ScriptedOperator(failures={"go": [decision("abort")]})
    run_id = new_run(journal, loaded)
    engine = Engine(journal=journal, run_id=run_id, loaded=loaded, operator=operator)
    assert engine.run().status == RunStatus.aborted
    gate = of_type(journal.events(run_id), EventType.step_finished, "go")[-1]
    assert gate.data["status"] == "failed"
    assert "misses the target < 0.001 ms" in gate.data["reason"]


def test_a_failing_sample_journals_its_figures(journal: Journal, http_server: HttpServer):
    http_server.reply("GET", "/quote", 200, {"ok": True})
    loaded = load(SAMPLED.format(url=http_server.url, target="< 0.001 ms", on_breach="fail"))
    operator = ScriptedOperator(failures={"latency": [decision("abort")]})
    run_id = new_run(journal, loaded)
    engine = Engine(journal=journal, run_id=run_id, loaded=loaded, operator=operator)
    assert engine.run().status == RunStatus.aborted
    failed = of_type(journal.events(run_id), EventType.step_finished, "latency")[-1]
    assert failed.data["status"] == "failed"
    breach = next(v for v in failed.data["values"] if v["field"] == "api_p95_ms")["breach"]
    assert breach.endswith("misses the target < 0.001 ms")
    assert "p95 latency" in operator.failure_seen[0].reason


def test_a_reference_to_an_unknown_sampled_value_is_a_load_error(http_server: HttpServer):
    text = SAMPLED.format(url=http_server.url, target="< 1 s", on_breach="fail").replace(
        "inputs.api_p95_ms", "inputs.api_p95"
    )
    with pytest.raises(PlaybookError) as raised:
        load(text)
    assert "test.yaml:23:" in str(raised.value)
    assert "{{ inputs.api_p95 }} is not answered or captured" in str(raised.value)
    assert "did you mean 'api_p" in str(raised.value)


def test_a_misspelt_sample_field_gets_a_hint(http_server: HttpServer):
    text = SAMPLED.format(url=http_server.url, target="< 1 s", on_breach="fail").replace(
        "p95_ms:", "p95:"
    )
    with pytest.raises(PlaybookError) as raised:
        load(text)
    assert "unknown field 'p95'; did you mean 'p95_ms'?" in str(raised.value)
