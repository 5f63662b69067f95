"""A long watch with checkpoints, through the real engine and the real monitor executor.

"Dashboards every hour for 3 hours": the watch samples a real loopback HTTP service for
``watch_for``, parks the run until the next checkpoint (``run_held``), and each resume continues
the same watch as a new attempt (samples counted across attempts, not restarted). A resume before
the checkpoint asks ``on_hold``; continuing early runs a checkpoint at once. A fail threshold
reached with ``on_trigger: rollback`` starts the rollback without asking.

Real SQLite journal, real HTTP server on loopback; a ManualClock shared by the sessions stands
in for the hours between them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from deploytui.clock import ManualClock
from deploytui.engine.runner import Engine, RunOutcome
from deploytui.journal import Journal
from deploytui.model.events import EventType, RunStatus, StepStatus
from deploytui.playbook.loader import LoadedPlaybook
from tests.conftest import HttpServer
from tests.core_helpers import decision, load, new_run, of_type
from tests.unit.test_holds_engine import HoldOperator

START = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)


def playbook(url: str, on_trigger: str = "ask") -> LoadedPlaybook:
    return load(
        f"""
        name: long watch
        targets:
          http:
            app: {{base_url: "{url}"}}
        phases:
          - id: stabilize
            title: Stabilization
            steps:
              - id: watch
                kind: monitor
                title: Dashboards every hour for 3 hours
                duration: 3h
                checkpoint_every: 1h
                watch_for: 2m
                interval: 1m
                on_trigger: {on_trigger}
                signals:
                  - name: error_rate
                    http: {{target: app, path: /health}}
                    measure: error_rate
                    window: 2m
                    fail: "> 50 %"
              - {{id: after, kind: note, title: After the watch}}
        rollback:
          steps:
            - {{id: undo, kind: note, title: Undo the deployment}}
        """
    )


def session(
    journal: Journal, loaded: LoadedPlaybook, run_id: str, clock: ManualClock, operator: Any
) -> RunOutcome:
    engine = Engine(journal=journal, run_id=run_id, loaded=loaded, operator=operator, clock=clock)
    resumed = journal.events(run_id)[-1].type != EventType.run_started
    return engine.run(resume_data={"operator": "tester"} if resumed else None)


def test_a_checkpointed_watch_parks_and_continues(
    journal: Journal, http_server: HttpServer
) -> None:
    calls: list[str] = []
    http_server.route("GET", "/health", lambda request: (calls.append("x"), (200, "ok"))[1])
    loaded = playbook(http_server.url)
    run_id = new_run(journal, loaded)
    clock = ManualClock(START)

    # First checkpoint: watched for 2 minutes, then parked until 02:00 UTC (an hour in).
    first = session(journal, loaded, run_id, clock, HoldOperator())
    assert first.status == RunStatus.waiting
    assert first.held_until == "2026-11-22T02:00:00+00:00"
    assert journal.run(run_id).held_until == "2026-11-22T02:00:00+00:00"
    (held,) = of_type(journal.events(run_id), EventType.run_held, "watch")
    assert held.attempt == 1
    assert "monitor" in held.data["details"]
    samples_first = len(of_type(journal.events(run_id), EventType.monitor_sample, "watch"))
    assert samples_first >= 2 and len(calls) >= 2

    # Resumed early (at 01:30): the operator continues now; a checkpoint runs at once.
    clock.advance((START + timedelta(minutes=30) - clock.now()).total_seconds())
    early = HoldOperator([decision("continue", "deploy looked odd, check now")])
    second = session(journal, loaded, run_id, clock, early)
    # Asked at resume (continue), then again when the early checkpoint parked it (leave).
    assert [until for _, until, _ in early.held] == [START + timedelta(hours=1)] * 2
    assert second.status == RunStatus.waiting  # parked again until the next checkpoint
    assert second.held_until == "2026-11-22T02:00:00+00:00"

    # Resumed after the last checkpoints' times: no question, and the watch completes.
    for hours in (1, 2):
        clock.advance((START + timedelta(hours=hours) - clock.now()).total_seconds())
        outcome = session(journal, loaded, run_id, clock, HoldOperator())
    assert outcome.status == RunStatus.completed, outcome.message
    events = journal.events(run_id)
    starts = of_type(events, EventType.step_started, "watch")
    assert [event.attempt for event in starts] == [1, 2, 3, 4]
    samples = of_type(events, EventType.monitor_sample, "watch")
    assert [event.attempt for event in samples] == sorted(event.attempt for event in samples)
    (finished,) = of_type(events, EventType.step_finished, "watch")
    assert finished.data["status"] == StepStatus.succeeded.value
    summary = finished.data["details"]["monitor"]["signals"]["error_rate"]
    assert summary["count"] == len(samples)  # the summary covers every attempt's samples
    assert journal.run(run_id).held_until is None
    assert journal.verify(run_id)[0]


def test_a_trigger_with_on_trigger_rollback_rolls_back_unasked(
    journal: Journal, http_server: HttpServer
) -> None:
    http_server.reply("GET", "/health", 500, "down")
    loaded = playbook(http_server.url, on_trigger="rollback")
    run_id = new_run(journal, loaded)
    operator = HoldOperator()
    outcome = session(journal, loaded, run_id, ManualClock(START), operator)
    assert outcome.status == RunStatus.rolled_back
    assert operator.asked.count(("failure", "watch")) == 0
    (choice,) = of_type(journal.events(run_id), EventType.decision, "watch")
    assert choice.data["automatic"] is True
    assert choice.data["trigger"]["signal"] == "error_rate"
    assert "on_trigger: rollback (rollback trigger: error_rate" in choice.data["reason"]
    assert of_type(journal.events(run_id), EventType.step_finished, "undo")


def test_a_sustained_trigger_does_not_span_a_checkpoint_break(
    journal: Journal, http_server: HttpServer
) -> None:
    # Beyond "for 2m" at the end of the first checkpoint (1 min held) and again on the first
    # reading an hour later: nobody watched in between, so that one reading must not trigger.
    statuses = iter([200, 500, 500, 500])
    http_server.route("GET", "/health", lambda request: (next(statuses, 200), "x"))
    loaded = load(
        f"""
        name: long watch
        targets:
          http:
            app: {{base_url: "{http_server.url}"}}
        phases:
          - id: stabilize
            title: Stabilization
            steps:
              - id: watch
                kind: monitor
                title: Status every hour
                duration: 3h
                checkpoint_every: 1h
                watch_for: 2m
                interval: 1m
                signals:
                  - name: status
                    http: {{target: app, path: /health}}
                    measure: status
                    fail: "> 499 for 2m"
        """
    )
    run_id = new_run(journal, loaded)
    clock = ManualClock(START)
    first = session(journal, loaded, run_id, clock, HoldOperator())
    assert first.status == RunStatus.waiting
    clock.advance((START + timedelta(hours=1) - clock.now()).total_seconds())
    second = session(journal, loaded, run_id, clock, HoldOperator())
    assert second.status == RunStatus.waiting, second.message  # parked again, not triggered
    crossings = of_type(journal.events(run_id), EventType.monitor_crossing, "watch")
    assert [c.data["to"] for c in crossings] == ["warning", "ok"]  # never "triggered"
    assert crossings[-1].data["t"] >= 3600  # back to ok only in the second checkpoint
