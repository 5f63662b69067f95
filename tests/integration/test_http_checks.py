"""The ``http`` step against a real loopback server: status, JSON, body pattern, latency, auth.

Every test sends real requests to ``http.server`` on 127.0.0.1 (the ``http_server`` fixture)
and checks what the executor reports and what the server received.
"""

from __future__ import annotations

import base64
import socket
import time

import pytest
from pydantic import ValidationError

from deploytui.model.playbook import HttpTarget
from tests.conftest import HttpServer
from tests.integration.http_support import http_step, run_http


def test_expected_status_json_and_body_pattern_pass(http_server: HttpServer):
    http_server.reply("GET", "/health", 200, {"status": "ok", "db": {"up": True}, "v": "7.0.1"})
    step = http_step(
        target="api",
        url="/health",
        json_checks=[{"path": "status", "equals": "ok"}, {"path": "db.up", "equals": True}],
        body_pattern=r'"v": "7\.0\.\d+"',
    )
    result, out = run_http(step, {"api": HttpTarget(base_url=http_server.url)})
    assert result.ok, result.reason
    assert result.details["status"] == 200
    assert out.text[0].startswith("→ 200 OK in ")
    assert any('"status": "ok"' in line for line in out.text)  # the body is shown


def test_wrong_status_names_url_and_expectation(http_server: HttpServer):
    http_server.reply("GET", "/health", 503, {"status": "degraded"})
    result, _ = run_http(http_step(url=f"{http_server.url}/health", expect_status=[200, 204]))
    assert not result.ok
    assert result.reason == f"{http_server.url}/health: status 503 (expected 200 or 204)"


def test_json_check_and_body_pattern_failures_are_each_named(http_server: HttpServer):
    http_server.reply("GET", "/h", 200, {"status": "degraded"})
    step = http_step(
        url=f"{http_server.url}/h",
        json_checks=[{"path": "status", "equals": "ok"}, {"path": "db.up"}],
        body_pattern="all good",
    )
    result, _ = run_http(step)
    assert not result.ok
    assert "'status' is 'degraded', expected 'ok'" in result.reason
    assert "the JSON has no 'db.up'" in result.reason
    assert "the body does not match 'all good'" in result.reason


def test_slow_answer_breaks_max_latency(http_server: HttpServer):
    def slow(request):
        time.sleep(0.3)
        return 200, {"status": "ok"}

    http_server.route("GET", "/slow", slow)
    result, _ = run_http(http_step(url=f"{http_server.url}/slow", max_latency="50ms"))
    assert not result.ok
    assert "(limit 50 ms)" in result.reason
    assert result.details["latency_ms"] >= 300


def test_method_headers_and_json_body_reach_the_server(http_server: HttpServer):
    http_server.reply("POST", "/deploy", 201, {"id": 7})
    step = http_step(
        url=f"{http_server.url}/deploy",
        method="post",
        headers={"X-Release": "7.0"},
        json={"version": "7.0"},
        expect_status=201,
    )
    result, _ = run_http(step)
    assert result.ok, result.reason
    request = http_server.received[-1]
    assert request.method == "POST"
    assert request.headers["X-Release"] == "7.0"
    assert request.body == b'{"version":"7.0"}'


def test_basic_auth_is_sent_and_never_shown_even_when_echoed(http_server: HttpServer):
    http_server.route(
        "GET", "/echo", lambda request: (200, f"you sent {request.headers['Authorization']}")
    )
    step = http_step(
        url=f"{http_server.url}/echo",
        auth={"type": "basic", "username": "deployer", "password": "pw-Secret-42"},
        body_pattern="never matches",
    )
    result, out = run_http(step)
    sent = http_server.received[-1].headers["Authorization"]
    token = base64.b64encode(b"deployer:pw-Secret-42").decode()
    assert sent == f"Basic {token}"
    shown = "\n".join(out.text) + (result.reason or "")
    assert token not in shown
    assert "you sent ••••" in shown


def test_bearer_auth_header(http_server: HttpServer):
    http_server.reply("GET", "/me", 200, {"ok": True})
    step = http_step(url=f"{http_server.url}/me", auth={"type": "bearer", "token": "tok-123456"})
    result, _ = run_http(step)
    assert result.ok
    assert http_server.received[-1].headers["Authorization"] == "Bearer tok-123456"


def test_refused_connection_says_so():
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result, _ = run_http(http_step(url=f"http://127.0.0.1:{port}/health", timeout="2s"))
    assert not result.ok
    assert (
        result.reason
        == f"http://127.0.0.1:{port}/health: connection refused (is the service running?)"
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"auth": {"type": "basic", "username": "u"}}, "basic auth needs username and password"),
        ({"auth": {"type": "bearer"}}, "bearer auth needs a token"),
        ({"body_pattern": "("}, "body_pattern is not a valid regular expression"),
        ({"poll": {"interval": "2s"}}, "deadline"),
        ({"sample": {"requests": 5, "p95_ms": "fast"}}, "target 'fast'"),
        ({"sample": {"requests": 5}, "max_latency": "1s"}, "instead of max_latency"),
    ],
)
def test_bad_http_fields_are_refused_with_a_reason(fields, message):
    with pytest.raises(ValidationError) as raised:
        http_step(url="http://x/", **fields)
    assert message in str(raised.value)
