"""Basic HTTP steps against a real server on loopback: status, latency, JSON checks, and clear
reasons naming the URL when the connection is refused or the server does not answer in time.

(Polling, sampling and TLS are tested in their own files.)
"""

from __future__ import annotations

import socket
import time

from deploytui.executors.base import ExecContext, ExecResult
from deploytui.executors.http import HttpExecutor
from deploytui.journal import Journal
from deploytui.model.events import EventType, RunStatus
from tests.conftest import HttpServer
from tests.core_helpers import ScriptedOperator, drive, load, of_type


def execute(base_url: str, **fields: object) -> tuple[ExecResult, list[str]]:
    """Run one http step (built through the playbook loader) against target ``api``."""
    spec = ", ".join(f"{key}: {value}" for key, value in fields.items())
    loaded = load(
        f"""
        name: http
        targets:
          http:
            api: {{base_url: "{base_url}", timeout: 5s}}
        phases:
          - id: p
            title: P
            steps:
              - {{id: h, kind: http, title: H, target: api, {spec}}}
        """
    )
    lines: list[str] = []
    ctx = ExecContext(run_id="r", step_id="h", attempt=1, output=lambda s, t: lines.append(t))
    executor = HttpExecutor(loaded.playbook.targets.http)
    return executor.execute(loaded.playbook.step("h"), ctx), lines


def test_expected_status_passes_and_the_body_is_shown(http_server: HttpServer) -> None:
    http_server.reply("GET", "/health", 200, {"status": "ok"})
    result, lines = execute(http_server.url, url="/health")
    assert result.ok
    assert result.details["status"] == 200
    assert result.details["url"] == f"{http_server.url}/health"
    assert lines[0].startswith("→ 200")
    assert '{"status": "ok"}' in lines


def test_an_unexpected_status_fails_naming_url_and_codes(http_server: HttpServer) -> None:
    http_server.reply("GET", "/health", 503, {"status": "down"})
    result, _ = execute(http_server.url, url="/health", expect_status="[200, 204]")
    assert not result.ok
    assert result.reason == f"{http_server.url}/health: status 503 (expected 200 or 204)"


def test_method_headers_and_json_body_are_sent(http_server: HttpServer) -> None:
    http_server.reply("POST", "/deploy", 201, {"deployed": "7.0.0"})
    result, _ = execute(
        http_server.url,
        url="/deploy",
        method="post",
        headers='{X-Change: "CHG-1"}',
        json='{version: "7.0.0"}',
        expect_status=201,
    )
    assert result.ok
    request = http_server.received[-1]
    assert (request.method, request.headers["X-Change"]) == ("POST", "CHG-1")
    assert request.body == b'{"version":"7.0.0"}' or b'"version": "7.0.0"' in request.body


def test_max_latency(http_server: HttpServer) -> None:
    def slow(request):
        time.sleep(0.3)
        return 200, {"ok": True}

    http_server.route("GET", "/slow", slow)
    result, _ = execute(http_server.url, url="/slow", max_latency="50ms")
    assert not result.ok
    assert result.reason.startswith(f"{http_server.url}/slow: took ")
    assert result.reason.endswith("ms (limit 50 ms)")
    assert result.details["latency_ms"] >= 300
    fast, _ = execute(http_server.url, url="/slow", max_latency="5s")
    assert fast.ok


def test_json_checks(http_server: HttpServer) -> None:
    http_server.reply("GET", "/v", 200, {"version": "7.0.0", "items": [{"ok": True}], "count": 3})
    checks = (
        "[{path: version, equals: '7.0.0'}, {path: items.0.ok, equals: true}, "
        "{path: count, equals: 3}, {path: debug, exists: false}]"
    )
    assert execute(http_server.url, url="/v", json_checks=checks)[0].ok
    failing = (
        "[{path: version, equals: '6.4.2'}, {path: missing.path}, {path: count, exists: false}]"
    )
    result, _ = execute(http_server.url, url="/v", json_checks=failing)
    assert not result.ok
    assert "'version' is '7.0.0', expected '6.4.2'" in result.reason
    assert "the JSON has no 'missing.path'" in result.reason
    assert "the JSON should not have 'count'" in result.reason


def test_json_checks_on_a_non_json_body(http_server: HttpServer) -> None:
    http_server.reply("GET", "/text", 200, "plain text")
    result, _ = execute(http_server.url, url="/text", json_checks="[{path: a}]")
    assert not result.ok and "the body is not JSON" in result.reason


def test_connection_refused_names_the_url() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    result, _ = execute(url, url="/health")
    assert not result.ok
    assert result.reason == f"{url}/health: connection refused (is the service running?)"


def test_a_server_that_does_not_answer_times_out_naming_the_url() -> None:
    # A socket that accepts connections (backlog) but never answers.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    try:
        result, _ = execute(url, url="/hang", timeout="0.5s")
    finally:
        listener.close()
    assert not result.ok
    assert result.reason == f"{url}/hang: no answer within the timeout"


def test_an_http_step_in_a_run_journals_status_and_reason(
    journal: Journal, http_server: HttpServer
) -> None:
    http_server.reply("GET", "/health", 200, {"status": "ok"})
    http_server.reply("GET", "/broken", 500, {"error": "boom"})
    loaded = load(
        f"""
        name: http-run
        variables: {{base: "{http_server.url}"}}
        targets:
          http:
            api: {{base_url: "{{{{ vars.base }}}}"}}
        phases:
          - id: p
            title: P
            steps:
              - {{id: ok, kind: http, title: OK, target: api, url: /health,
                 json_checks: [{{path: status, equals: ok}}]}}
              - {{id: bad, kind: http, title: Bad, target: api, url: /broken, on_failure: abort}}
        """
    )
    run_id, outcome = drive(journal, loaded, ScriptedOperator())
    assert outcome.status == RunStatus.aborted
    events = journal.events(run_id)
    ok = of_type(events, EventType.step_finished, "ok")[0]
    assert ok.data["status"] == "succeeded" and ok.data["details"]["status"] == 200
    started = of_type(events, EventType.step_started, "bad")[0]
    assert started.data["action"] == f"GET {http_server.url}/broken"
    bad = of_type(events, EventType.step_finished, "bad")[0]
    assert bad.data["reason"] == f"{http_server.url}/broken: status 500 (expected 200)"


def test_a_url_httpx_cannot_parse_fails_the_step_with_a_reason() -> None:
    """httpx.InvalidURL is not an HTTPError: it used to surface as an internal error."""
    broken, _ = execute("http://[::1", url="/health")
    assert not broken.ok
    assert broken.reason.startswith("http://[::1/health: not a valid URL (")
    nul, _ = execute("http://127.0.0.1:1", url='"/a\\0b"')
    assert not nul.ok
    assert "not a valid URL (Invalid non-printable ASCII character in URL" in nul.reason
