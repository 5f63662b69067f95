"""Read one signal once: an HTTP endpoint, a Prometheus instant query, or a command's number.

Each reader turns one reading into a number or a sentence saying why there is none ("the query
returned no data (empty vector)", "connection refused (is the service running?)"). HTTP requests
reuse the ``http`` step's request building (target headers, auth, TLS trust, words for transport
errors); commands reuse the ``local`` and ``ssh`` executors (process groups, timeouts, the run's
SSH connection handling and host-key checks) instead of running anything themselves.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode

from deploytui.executors.base import ExecContext, ExecResult, HostKey
from deploytui.executors.http_checks import Prepared, RequestSetupError, prepare, problems, send
from deploytui.executors.monitor_eval import ErrorWindow
from deploytui.model.http_step import HttpStep
from deploytui.model.monitor_step import DEFAULT_NUMBER, MonitorSignal, MonitorStep
from deploytui.model.playbook import HttpTarget
from deploytui.model.ssh_step import SshStep
from deploytui.model.steps import LocalStep
from deploytui.model.values import InvalidValue, parse_number_text

COMMAND_TIMEOUT = 30.0
SNIPPET = 80


@dataclass
class Reading:
    """One reading: a number, or why there is none; ``counts`` = (sent, failed) requests."""

    value: float | None
    error: str | None = None
    counts: tuple[int, int] | None = None


class HostKeyNeeded(Exception):
    """An ssh command signal met a host key the operator has not accepted yet."""

    def __init__(self, reason: str, keys: list[HostKey]) -> None:
        super().__init__(reason)
        self.reason = reason
        self.keys = keys


class Reader(Protocol):
    def read(self, t: float) -> Reading: ...

    def close(self) -> None: ...


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SNIPPET else text[: SNIPPET - 1] + "…"


def _http_step(step_id: str, target: str, url: str, **fields: Any) -> HttpStep:
    """A throwaway ``http`` step so the request is built exactly as an http step's would be."""
    return HttpStep.model_validate(
        {"kind": "http", "id": step_id, "title": "monitor", "target": target, "url": url, **fields}
    )


class HttpReader:
    """Status, latency (the slowest of the reading's requests) or error rate over a window."""

    def __init__(self, step: MonitorStep, signal: MonitorSignal, target: HttpTarget | None) -> None:
        assert signal.http is not None
        config = signal.http
        self.signal = signal
        self.requests = config.requests
        fields: dict[str, Any] = {
            "method": config.method,
            "headers": config.headers,
            "expect_status": config.expect_status,
        }
        if config.auth is not None:
            fields["auth"] = config.auth.model_dump()
        if config.timeout is not None or step.timeout is not None:
            fields["timeout"] = config.timeout or step.timeout
        self.http_step = _http_step(step.id, config.target, config.path, **fields)
        self.prepared: Prepared = prepare(self.http_step, target)  # RequestSetupError: caller
        self.client = self.prepared.client()
        self.window = ErrorWindow(signal.window_seconds(step.seconds[1]))

    def read(self, t: float) -> Reading:
        sent = failed = 0
        latencies: list[float] = []
        status: int | None = None
        first_error: str | None = None
        for _ in range(self.requests):
            outcome = send(self.client, self.prepared)
            sent += 1
            found = problems(self.http_step, outcome, check_latency=False)
            if outcome.error is None:
                latencies.append(outcome.latency_ms)
                status = outcome.status
            if found:
                failed += 1
                first_error = first_error or self.prepared.redact(found[0])
        measure = self.signal.measure
        if measure == "error_rate":
            self.window.add(t, sent, failed)
            return Reading(value=self.window.rate(t), counts=(sent, failed))
        if measure == "latency":
            if not latencies:
                return Reading(value=None, error=first_error or "no response")
            return Reading(value=max(latencies))
        if status is None:
            return Reading(value=None, error=first_error or "no response")
        return Reading(value=float(status))

    def restore(self, t: float, counts: Any) -> None:
        """Put an earlier attempt's request counts back into the error-rate window."""
        if isinstance(counts, list) and len(counts) == 2:
            self.window.add(t, int(counts[0]), int(counts[1]))

    def close(self) -> None:
        self.client.close()


class PrometheusReader:
    """An instant query: exactly one series (or a scalar), a finite number."""

    def __init__(self, step: MonitorStep, signal: MonitorSignal, target: HttpTarget | None) -> None:
        assert signal.prometheus is not None
        config = signal.prometheus
        self.scale = config.scale
        fields: dict[str, Any] = {"expect_status": [200]}
        if config.timeout is not None or step.timeout is not None:
            fields["timeout"] = config.timeout or step.timeout
        url = "/api/v1/query?" + urlencode({"query": config.query})
        self.http_step = _http_step(step.id, config.target, url, **fields)
        self.prepared = prepare(self.http_step, target)
        self.client = self.prepared.client()

    def read(self, t: float) -> Reading:
        outcome = send(self.client, self.prepared)
        if outcome.error is not None:
            return Reading(value=None, error=f"Prometheus: {self.prepared.redact(outcome.error)}")
        try:
            document = json.loads(outcome.text)
        except ValueError:
            document = None
        if not isinstance(document, dict):
            return Reading(
                value=None,
                error=f"Prometheus answered {outcome.status} without JSON: "
                f"{_snippet(self.prepared.redact(outcome.text))!r} (is the target Prometheus?)",
            )
        if document.get("status") != "success":
            kind = document.get("errorType") or f"status {outcome.status}"
            why = document.get("error") or "no reason given"
            return Reading(value=None, error=f"the query failed: {kind}: {_snippet(str(why))}")
        try:
            number = self._number(document.get("data") or {})
        except ValueError as error:
            return Reading(value=None, error=str(error))
        return Reading(value=number * self.scale)

    @staticmethod
    def _number(data: dict[str, Any]) -> float:
        kind, result = data.get("resultType"), data.get("result")
        if kind == "scalar" and isinstance(result, list) and len(result) == 2:
            text = result[1]
        elif kind == "vector" and isinstance(result, list):
            if not result:
                raise ValueError("the query returned no data (empty vector)")
            if len(result) > 1:
                raise ValueError(
                    f"the query returned {len(result)} series; make it one, "
                    "e.g. sum(...) or max(...)"
                )
            text = (result[0].get("value") or [None, None])[1]
        elif kind == "matrix":
            raise ValueError(
                "the query returned a range vector; drop the [5m] for an instant value"
            )
        else:
            raise ValueError(f"the query returned a {kind or 'strange'} result, not a number")
        try:
            number = float(text)
        except (TypeError, ValueError):
            raise ValueError(f"the query returned {text!r}, not a number") from None
        if math.isnan(number):
            raise ValueError("the query returned NaN (nothing to divide by yet?)")
        if math.isinf(number):
            raise ValueError(f"the query returned {'+' if number > 0 else '-'}Inf")
        return number

    def close(self) -> None:
        self.client.close()


# Runs a rendered local/ssh step with a context and gives back what the executor returned.
RunStep = Callable[[LocalStep | SshStep, ExecContext], ExecResult]


class CommandReader:
    """Run the command (local or on one ssh host) and parse a number from its stdout."""

    def __init__(
        self, step: MonitorStep, signal: MonitorSignal, run: RunStep, ctx: ExecContext
    ) -> None:
        assert signal.command is not None
        config = signal.command
        self.scale = config.scale
        self.pattern = re.compile(config.pattern or DEFAULT_NUMBER)
        self.host = config.host
        self.ctx = ctx
        self.run = run
        fields: dict[str, Any] = {
            "id": step.id,
            "title": f"monitor {signal.name}",
            "command": config.run,
            "timeout": config.timeout or step.timeout or COMMAND_TIMEOUT,
        }
        self.command: LocalStep | SshStep = (
            SshStep.model_validate({"kind": "ssh", "hosts": [config.host], **fields})
            if config.host
            else LocalStep.model_validate({"kind": "local", **fields})
        )
        self.where = f" on {config.host}" if config.host else ""

    def read(self, t: float) -> Reading:
        lines: dict[str, list[str]] = {"stdout": [], "stderr": []}
        lock = threading.Lock()

        def collect(stream: str, line: str) -> None:
            with lock:
                lines.setdefault(stream, []).append(line)

        sub = ExecContext(
            run_id=self.ctx.run_id,
            step_id=self.ctx.step_id,
            attempt=self.ctx.attempt,
            output=collect,
            cancelled=self.ctx.cancelled,
            clock=self.ctx.clock,
        )
        result = self.run(self.command, sub)
        if not result.ok:
            if result.unknown_host_keys:
                raise HostKeyNeeded(result.reason or "unknown host key", result.unknown_host_keys)
            said = [line for line in lines["stderr"] if not line.startswith("deploytui:")]
            tail = f": {_snippet(said[-1])}" if said else ""
            return Reading(value=None, error=f"{result.reason or 'the command failed'}{tail}")
        output = "\n".join(lines["stdout"])
        match = self.pattern.search(output)
        if not match:
            shown = _snippet(output) or "nothing"
            return Reading(
                value=None,
                error=f"no number in the output{self.where} ({self.pattern.pattern}); "
                f"it said {shown!r}",
            )
        text = match.group(1) if match.groups() else match.group(0)
        try:
            number = float(text) if "e" in text.lower() else parse_number_text(text)
        except (InvalidValue, ValueError):
            return Reading(value=None, error=f"'{_snippet(text)}' from the output is not a number")
        return Reading(value=number * self.scale)

    def close(self) -> None:
        return None


__all__ = [
    "CommandReader",
    "HostKeyNeeded",
    "HttpReader",
    "PrometheusReader",
    "Reader",
    "Reading",
    "RequestSetupError",
]
