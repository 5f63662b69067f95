"""A monitor step through the real engine: journaled samples and crossings, then `show`, the
exports and a checklist's blanks filled from the figures; and a stopped watch resumed by the
engine that continues from the journal instead of starting again.

Real SQLite journal, real loopback HTTP service (its error rate flips mid-watch), ManualClock.
"""

from __future__ import annotations

import json
from typing import Any

from deploytui.clock import ManualClock
from deploytui.console import show_text
from deploytui.engine.runner import Engine
from deploytui.export import render
from deploytui.export.model import build_document
from deploytui.journal import Journal
from deploytui.journal.report import build_report
from deploytui.model.events import EventType
from tests.conftest import HttpServer
from tests.core_helpers import ScriptedOperator, decision, load, new_run, of_type

CHECKLIST = (
    "# Stabilization\n\n- [ ] Monitor for 10 minutes\n- Error rate: ____ %\n- p95: ____ ms\n"
)


def _playbook(url: str, duration: str = "10m") -> str:
    return f"""
        name: watch test
        source_document:
          name: checklist.md
          text: {json.dumps(CHECKLIST)}
        targets:
          http:
            app: {{base_url: "{url}"}}
        phases:
          - id: stabilize
            title: Stabilization
            steps:
              - id: watch
                kind: monitor
                title: Monitor for {duration}
                source: {{line: 3}}
                duration: {duration}
                interval: 1m
                signals:
                  - name: error_rate
                    label: Error rate
                    http: {{target: app, path: /health}}
                    measure: error_rate
                    window: 3m
                    warn: "> 1 %"
                    fail: "> 50 % for 2m"
                    fill: {{p95: {{line: 4, blank: 0}}}}
                  - name: latency
                    http: {{target: app, path: /health}}
                    measure: latency
                    warn: "> 2 s"
                    fill: {{p95: {{line: 5, blank: 0}}}}
              - id: after
                kind: local
                title: Use a figure
                command: echo "p95 was {{{{ inputs.error_rate_p95 }}}}"
    """


class Flaky:
    def __init__(self, server: HttpServer, fail_from: int | None) -> None:
        self.calls = 0
        self.fail_from = fail_from
        server.route("GET", "/health", self.health)

    def health(self, request: Any) -> tuple[int, Any]:
        self.calls += 1
        # Two signals read /health each tick, so calls 2k+1 and 2k+2 belong to tick k.
        failing = self.fail_from is not None and (self.calls + 1) // 2 > self.fail_from
        return (500, "down") if failing else (200, "ok")


def _engine(journal: Journal, loaded: Any, run_id: str, operator: Any, **kw: Any) -> Engine:
    return Engine(
        journal=journal, run_id=run_id, loaded=loaded, operator=operator, clock=ManualClock(), **kw
    )


def test_a_watch_is_journaled_and_shown_exported_and_filled_in(
    journal: Journal, http_server: HttpServer
) -> None:
    Flaky(http_server, fail_from=8)  # the last 3 ticks fail: a warning, never a trigger
    loaded = load(_playbook(http_server.url))
    run_id = new_run(journal, loaded)
    outcome = _engine(journal, loaded, run_id, ScriptedOperator()).run()
    assert outcome.status.value == "completed", outcome.message

    events = journal.events(run_id)
    samples = of_type(events, EventType.monitor_sample, "watch")
    assert len(samples) == 11  # 0, 1m ... 10m
    assert samples[-1].data["t"] == 600
    crossings = of_type(events, EventType.monitor_crossing, "watch")
    assert [(c.data["signal"], c.data["to"]) for c in crossings] == [("error_rate", "warning")]
    # The figure was usable as {{ inputs.error_rate_p95 }} by the next step.
    output = "\n".join(journal.output(run_id, "after"))
    assert "p95 was 100" in output

    text = show_text(build_report(journal, run_id))
    assert "error_rate (Error rate): min 0 % · p50 0 % · p95 100 % · max 100 % · last 100 %" in text
    assert "· 11 readings · warning" in text
    assert "crossed +8:00" in text and "error_rate ok → warning at 33.3 % (> 1 %)" in text
    assert "Error rate p95: 100 %" in text  # a breach of its target is still listed

    document = build_document(journal, run_id)
    exported = json.loads(render(document, "json"))
    step = exported["phases"][0]["steps"][0]
    assert step["details"]["monitor"]["signals"]["error_rate"]["max"] == 100
    report = render(document, "md", layout="report")
    assert "crossed +8:00" in report
    checklist = render(document, "md", layout="checklist")
    assert "- Error rate: **100 %** ⚠ misses <= 1 %" in checklist
    assert "- p95: **" in checklist and " ms**" in checklist.split("- p95: ", 1)[1].split("\n")[0]
    html = render(document, "html")
    assert "crossed +8:00" in html


def test_a_triggered_watch_fails_the_step_with_the_trigger(
    journal: Journal, http_server: HttpServer
) -> None:
    Flaky(http_server, fail_from=2)
    loaded = load(_playbook(http_server.url))
    run_id = new_run(journal, loaded)
    operator = ScriptedOperator(failures={"watch": [decision("abort", "trigger")]})
    _engine(journal, loaded, run_id, operator).run()
    finished = of_type(journal.events(run_id), EventType.step_finished, "watch")[-1]
    assert finished.data["status"] == "failed"
    # 3m window: 1/3 at 2m, 2/3 at 3m (first beyond 50 %), still beyond at 5m → trigger.
    assert finished.data["reason"] == "rollback trigger: error_rate 100 % > 50 % for 2m"
    text = show_text(build_report(journal, run_id))
    assert "rollback trigger: error_rate 100 % > 50 % for 2m at +5:00" in text


def test_a_stopped_watch_resumes_where_it_was(journal: Journal, http_server: HttpServer) -> None:
    Flaky(http_server, fail_from=None)
    loaded = load(_playbook(http_server.url))
    run_id = new_run(journal, loaded)
    engines: list[Engine] = []

    def stop_after_four(item: Any) -> None:
        if getattr(item, "type", None) == EventType.monitor_sample and item.data["t"] == 180:
            engines[0].request_stop()

    engines.append(_engine(journal, loaded, run_id, ScriptedOperator(), listener=stop_after_four))
    first = engines[0].run()
    assert first.status.value != "completed"
    assert len(of_type(journal.events(run_id), EventType.monitor_sample, "watch")) == 4
    # Before it is resumed, `show` already has the figures of the samples so far.
    stopped = show_text(build_report(journal, run_id))
    assert "error_rate (Error rate): min 0 % · p50 0 % · p95 0 %" in stopped
    assert "· 4 readings · ok" in stopped

    resumed = _engine(journal, loaded, run_id, ScriptedOperator())
    outcome = resumed.run(resume_data={"operator": "tester"})
    assert outcome.status.value == "completed", outcome.message
    samples = of_type(journal.events(run_id), EventType.monitor_sample, "watch")
    attempts = [sample.attempt for sample in samples]
    assert attempts[:4] == [1, 1, 1, 1] and set(attempts[4:]) == {2}
    # The second attempt went on from the journal: no second start, the total stays in bounds.
    assert sum("start" in sample.data for sample in samples) == 1
    finished = of_type(journal.events(run_id), EventType.step_finished, "watch")[-1]
    monitor = finished.data["details"]["monitor"]
    assert monitor["samples"] == len(samples)
    assert monitor["signals"]["error_rate"]["count"] == len(samples)


def _rehearsal(url: str, watch: str) -> Any:
    text = _playbook(url, duration="'{{ vars.watch }}'")
    return load(
        text.replace(
            "        targets:", f"        variables: {{watch: {watch}}}\n        targets:", 1
        )
    )


def test_a_rehearsal_shortens_a_templated_watch_below_a_thresholds_for(
    journal: Journal, http_server: HttpServer
) -> None:
    # --var watch=1m on a watch whose fail is "> 50 % for 2m": the rehearsal runs and says the
    # trigger cannot be reached, instead of failing the step (and offering a rollback).
    Flaky(http_server, fail_from=None)
    loaded = _rehearsal(http_server.url, "1m")
    run_id = new_run(journal, loaded)
    outcome = _engine(journal, loaded, run_id, ScriptedOperator()).run()
    assert outcome.status.value == "completed", outcome.message
    output = "\n".join(journal.output(run_id, "watch"))
    assert "'> 50 % for 2m' asks for longer than one watch lasts" in output
    assert "cannot be reached in this run" in output


def test_a_bad_rendered_duration_fails_with_a_sentence_not_a_pydantic_dump(
    journal: Journal, http_server: HttpServer
) -> None:
    Flaky(http_server, fail_from=None)
    loaded = _rehearsal(http_server.url, "soon")
    run_id = new_run(journal, loaded)
    operator = ScriptedOperator(failures={"watch": [decision("abort", "bad duration")]})
    _engine(journal, loaded, run_id, operator).run()
    finished = of_type(journal.events(run_id), EventType.step_finished, "watch")[-1]
    reason = finished.data["reason"]
    assert reason.startswith("cannot render the step: duration: ")
    assert "'soon' is not a duration" in reason
    assert "pydantic" not in reason and "validation error" not in reason
