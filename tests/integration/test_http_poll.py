"""``poll``: repeat an HTTP check until the service is healthy or the deadline passes.

A real loopback server answers 503 for its first requests, as a service coming back after a
deploy does; the step must wait for it, print one line per attempt, and stop at the deadline.
"""

from __future__ import annotations

import itertools
import threading

from deploytui.engine.runner import Engine
from deploytui.journal import Journal
from deploytui.model.events import EventType, RunStatus
from tests.conftest import HttpServer
from tests.core_helpers import ScriptedOperator, load, new_run, of_type
from tests.integration.http_support import Captured, http_step, run_http


def healthy_after(server: HttpServer, failures: int) -> None:
    counter = itertools.count(1)

    def handler(request):
        return (
            (503, {"status": "starting"}) if next(counter) <= failures else (200, {"status": "ok"})
        )

    server.route("GET", "/health", handler)


def test_poll_waits_until_healthy_with_one_line_per_attempt(http_server: HttpServer):
    healthy_after(http_server, 2)
    step = http_step(
        url=f"{http_server.url}/health",
        json_checks=[{"path": "status", "equals": "ok"}],
        poll={"interval": 0.05, "deadline": "30s"},
    )
    result, out = run_http(step)
    assert result.ok, result.reason
    assert result.details["attempts"] == 3
    attempts = [line for line in out.text if line.startswith("attempt ")]
    assert len(attempts) == 3
    assert "503 Service Unavailable" in attempts[0] and "status 503 (expected 200)" in attempts[0]
    assert attempts[2].endswith(": healthy")
    assert len(http_server.received) == 3


def test_poll_gives_up_at_the_deadline_with_the_last_reason(http_server: HttpServer):
    http_server.reply("GET", "/health", 503, {"status": "starting"})
    step = http_step(url=f"{http_server.url}/health", poll={"interval": 0.1, "deadline": 0.4})
    result, out = run_http(step)
    assert not result.ok
    assert result.reason.startswith(f"{http_server.url}/health: not healthy after 0.4s (")
    assert result.reason.endswith("last: status 503 (expected 200)")
    attempts = [line for line in out.text if line.startswith("attempt ")]
    assert 2 <= len(attempts) == result.details["attempts"] == len(http_server.received)


def test_poll_stops_when_the_operator_cancels(http_server: HttpServer):
    http_server.reply("GET", "/health", 503, {})
    step = http_step(url=f"{http_server.url}/health", poll={"interval": 0.05, "deadline": "10m"})
    captured = Captured()
    original = captured.ctx.output

    def output(stream: str, line: str) -> None:
        original(stream, line)
        if line.startswith("attempt 3"):
            captured.ctx.cancelled.set()

    captured.ctx.output = output
    from deploytui.executors.http import HttpExecutor

    result = HttpExecutor().execute(step, captured.ctx)
    assert not result.ok
    assert result.reason.endswith("cancelled by the operator")
    assert len(http_server.received) == 3


def test_poll_through_the_engine_journals_each_attempt(journal: Journal, http_server: HttpServer):
    healthy_after(http_server, 1)
    loaded = load(
        f"""
        name: poll
        targets:
          http:
            api: {{base_url: "{http_server.url}"}}
        phases:
          - id: deploy
            title: Deploy
            steps:
              - id: back_up
                kind: http
                title: Wait for the API
                target: api
                url: /health
                poll: {{interval: 0.05, deadline: 30s}}
        """
    )
    run_id = new_run(journal, loaded)
    lock = threading.Lock()
    seen: list[str] = []

    def listener(item) -> None:
        with lock:
            seen.append(getattr(item, "text", ""))

    engine = Engine(
        journal=journal,
        run_id=run_id,
        loaded=loaded,
        operator=ScriptedOperator(),
        listener=listener,
    )
    assert engine.run().status == RunStatus.completed
    assert [line for line in journal.output(run_id, "back_up") if line.startswith("attempt")] == [
        line for line in seen if line.startswith("attempt")
    ]
    assert len([line for line in seen if line.startswith("attempt")]) == 2
    started = of_type(journal.events(run_id), EventType.step_started, "back_up")[0]
    assert started.data["action"] == f"GET {http_server.url}/health until healthy (within 30s)"
    finished = of_type(journal.events(run_id), EventType.step_finished, "back_up")
    assert finished[-1].data["details"]["attempts"] == 2
