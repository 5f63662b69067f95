"""Run an ``http`` step with httpx: one request, checked for status, latency and JSON fields.

Failures name the URL and the reason in words (refused, timed out, TLS not trusted, wrong
status with a snippet of the body) so the operator knows whether to retry or roll back.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from deploytui.executors.base import ExecContext, ExecResult
from deploytui.model.playbook import HttpTarget
from deploytui.model.steps import HttpStep, JsonCheck, StepBase

BODY_PREVIEW_LINES = 40
BODY_PREVIEW_BYTES = 8192
_MISSING = object()


def resolve_url(step: HttpStep, target: HttpTarget | None) -> str:
    if step.url.startswith(("http://", "https://")) or target is None:
        return step.url
    return target.base_url.rstrip("/") + "/" + step.url.lstrip("/")


def json_path(document: Any, path: str) -> Any:
    """Follow ``a.b.0.c`` into parsed JSON; ``_MISSING`` when absent."""
    node = document
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif (
            isinstance(node, list)
            and part.lstrip("-").isdigit()
            and -len(node) <= int(part) < len(node)
        ):
            node = node[int(part)]
        else:
            return _MISSING
    return node


def check_json(document: Any, checks: list[JsonCheck]) -> list[str]:
    """Sentences for every JSON check that fails."""
    failures = []
    for check in checks:
        found = json_path(document, check.path)
        if found is _MISSING:
            if check.exists:
                failures.append(f"the JSON has no '{check.path}'")
            continue
        if not check.exists:
            failures.append(f"the JSON should not have '{check.path}'")
        elif check.equals is not None and _text(found) != _text(check.equals):
            failures.append(f"'{check.path}' is {_text(found)!r}, expected {_text(check.equals)!r}")
    return failures


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return str(value)


def explain_http_error(error: httpx.HTTPError, url: str) -> str:
    """Words for a transport failure, naming the URL."""
    text = str(error) or error.__class__.__name__
    if isinstance(error, httpx.ConnectTimeout):
        return f"{url}: no connection within the timeout (host down or firewalled?)"
    if isinstance(error, httpx.TimeoutException):
        return f"{url}: no answer within the timeout"
    if isinstance(error, httpx.ConnectError):
        lowered = text.lower()
        if "certificate" in lowered or "ssl" in lowered:
            return f"{url}: TLS certificate not trusted ({text})"
        if "refused" in lowered:
            return f"{url}: connection refused (is the service running?)"
        if "name or service" in lowered or "nodename" in lowered or "resolve" in lowered:
            return f"{url}: the host name does not resolve"
        return f"{url}: cannot connect ({text})"
    if isinstance(error, httpx.UnsupportedProtocol):
        return f"{url}: not an http:// or https:// URL"
    return f"{url}: {text}"


class HttpExecutor:
    kind = "http"

    def __init__(self, targets: dict[str, HttpTarget] | None = None) -> None:
        self.targets = targets or {}

    def execute(self, step: StepBase, ctx: ExecContext) -> ExecResult:
        assert isinstance(step, HttpStep)
        target = self.targets.get(step.target) if step.target else None
        url = resolve_url(step, target)
        headers = {**(target.headers if target else {}), **step.headers}
        verify = (
            step.verify_tls
            if step.verify_tls is not None
            else (target.verify_tls if target else True)
        )
        timeout = step.timeout or (target.timeout if target else 10.0)
        started = time.perf_counter()
        try:
            with httpx.Client(verify=verify, timeout=timeout, follow_redirects=False) as client:
                response = client.request(
                    step.method,
                    url,
                    headers=headers,
                    content=step.body.encode() if step.body is not None else None,
                    json=step.json_body if step.body is None else None,
                )
        except httpx.HTTPError as error:
            return ExecResult(ok=False, reason=explain_http_error(error, url))
        latency_ms = (time.perf_counter() - started) * 1000
        ctx.emit(f"→ {response.status_code} {response.reason_phrase} in {latency_ms:.0f} ms")
        body = response.text
        for line in body[:BODY_PREVIEW_BYTES].splitlines()[:BODY_PREVIEW_LINES]:
            ctx.emit(line)
        details = {"status": response.status_code, "latency_ms": round(latency_ms, 1), "url": url}
        problems = []
        if response.status_code not in step.expect_status:
            expected = " or ".join(str(code) for code in step.expect_status)
            problems.append(f"status {response.status_code} (expected {expected})")
        if step.max_latency is not None and latency_ms > step.max_latency:
            problems.append(f"took {latency_ms:.0f} ms (limit {step.max_latency:.0f} ms)")
        if step.json_checks:
            try:
                document = response.json()
            except ValueError:
                problems.append("the body is not JSON")
            else:
                problems.extend(check_json(document, step.json_checks))
        if problems:
            return ExecResult(ok=False, reason=f"{url}: " + "; ".join(problems), details=details)
        return ExecResult(ok=True, details=details)
