"""One HTTP request and the words for what went wrong with it.

Shared by the three ways an ``http`` step runs (once, polled, sampled): ``prepare`` turns a
rendered step and its target into request settings (auth, TLS trust), ``send`` performs one
request and times it, ``problems`` lists every unmet expectation as a sentence, and
``explain_http_error`` turns transport failures (refused, timeout, untrusted certificate) into
something an operator can act on at 3 a.m.
"""

from __future__ import annotations

import base64
import json
import re
import ssl
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from deploytui.model.http_step import HttpStep, JsonCheck
from deploytui.model.playbook import HttpTarget

MASK = "••••"
_MISSING = object()
_VERIFY_FAILED = re.compile(r"certificate verify failed:\s*(.+?)\s*\(_ssl", re.IGNORECASE)


def resolve_url(step: HttpStep, target: HttpTarget | None) -> str:
    if step.url.startswith(("http://", "https://")) or target is None:
        return step.url
    return target.base_url.rstrip("/") + "/" + step.url.lstrip("/")


@dataclass
class Prepared:
    """Everything needed to send the step's request, decided once per attempt."""

    url: str
    method: str
    headers: dict[str, str]
    content: bytes | None
    json_body: Any
    verify: bool | ssl.SSLContext
    timeout: float
    # Values derived from credentials (the Authorization header, its base64 part) that the
    # engine's masker cannot know about; the executor hides them in anything it reports.
    hidden: list[str] = field(default_factory=list)

    def redact(self, text: str) -> str:
        for value in self.hidden:
            if value:
                text = text.replace(value, MASK)
        return text

    def client(self, *, connections: int = 1) -> httpx.Client:
        return httpx.Client(
            verify=self.verify,
            timeout=self.timeout,
            follow_redirects=False,
            limits=httpx.Limits(max_connections=connections),
        )


class RequestSetupError(ValueError):
    """The request cannot be built (a bad ca_file): a sentence for the step's failure reason."""


def ca_context(ca_file: str) -> ssl.SSLContext:
    """A verifying context trusting ``ca_file``; a missing or non-PEM file is a clear error."""
    try:
        return ssl.create_default_context(cafile=ca_file)
    except FileNotFoundError:
        raise RequestSetupError(f"ca_file {ca_file} does not exist") from None
    except IsADirectoryError:
        raise RequestSetupError(f"ca_file {ca_file} is a folder, not a PEM file") from None
    except ssl.SSLError:
        raise RequestSetupError(f"ca_file {ca_file} holds no PEM certificate") from None
    except OSError as error:
        raise RequestSetupError(f"cannot read ca_file {ca_file}: {error.strerror}") from None


def tls_context(verify: bool, ca_file: str | None) -> bool | ssl.SSLContext:
    """``False``, or a verifying context that trusts ``ca_file`` (or the system's CAs)."""
    if not verify:
        return False
    if ca_file:
        return ca_context(ca_file)
    return True


def prepare(step: HttpStep, target: HttpTarget | None) -> Prepared:
    headers = {**(target.headers if target else {}), **step.headers}
    hidden: list[str] = []
    if step.auth is not None:
        if step.auth.type == "basic":
            pair = f"{step.auth.username}:{step.auth.password}".encode()
            token = base64.b64encode(pair).decode()
            headers["Authorization"] = f"Basic {token}"
            hidden += [token, step.auth.password or ""]
        else:
            headers["Authorization"] = f"Bearer {step.auth.token}"
            hidden.append(step.auth.token or "")
    for name, value in headers.items():
        if name.lower() in {"authorization", "proxy-authorization", "cookie", "x-api-key"}:
            hidden.append(value)
            hidden.extend(part for part in value.split() if len(part) >= 8)
    verify = (
        step.verify_tls if step.verify_tls is not None else (target.verify_tls if target else True)
    )
    ca_file = step.ca_file or (target.ca_file if target else None)
    return Prepared(
        url=resolve_url(step, target),
        method=step.method,
        headers=headers,
        content=step.body.encode() if step.body is not None else None,
        json_body=step.json_body if step.body is None else None,
        verify=tls_context(verify, ca_file),
        timeout=step.timeout or (target.timeout if target else 10.0),
        hidden=sorted({value for value in hidden if value}, key=len, reverse=True),
    )


@dataclass
class Outcome:
    """One request's result: a response (status, body, latency) or a transport error."""

    latency_ms: float
    status: int | None = None
    reason_phrase: str = ""
    text: str = ""
    error: str | None = None

    def summary(self) -> str:
        if self.error is not None:
            return self.error
        return f"{self.status} {self.reason_phrase} in {self.latency_ms:.0f} ms".replace("  ", " ")


def send(client: httpx.Client, prepared: Prepared) -> Outcome:
    """Send the request once; latency runs from sending to the end of the body."""
    started = time.perf_counter()
    try:
        response = client.request(
            prepared.method,
            prepared.url,
            headers=prepared.headers,
            content=prepared.content,
            json=prepared.json_body,
        )
        text = response.text
    except httpx.HTTPError as error:
        latency = (time.perf_counter() - started) * 1000
        return Outcome(latency_ms=latency, error=explain_http_error(error, prepared.url, bare=True))
    except httpx.InvalidURL as error:  # not an HTTPError: e.g. "http://[::1" or a NUL byte
        latency = (time.perf_counter() - started) * 1000
        return Outcome(latency_ms=latency, error=f"not a valid URL ({error})")
    latency = (time.perf_counter() - started) * 1000
    return Outcome(
        latency_ms=latency,
        status=response.status_code,
        reason_phrase=response.reason_phrase,
        text=text,
    )


def problems(step: HttpStep, outcome: Outcome, *, check_latency: bool = True) -> list[str]:
    """Sentences for every expectation ``outcome`` misses (empty when it is healthy)."""
    if outcome.error is not None:
        return [outcome.error]
    found = []
    if outcome.status not in step.expect_status:
        expected = " or ".join(str(code) for code in step.expect_status)
        found.append(f"status {outcome.status} (expected {expected})")
    if check_latency and step.max_latency is not None and outcome.latency_ms > step.max_latency:
        found.append(f"took {outcome.latency_ms:.0f} ms (limit {step.max_latency:.0f} ms)")
    if step.body_pattern is not None and not re.search(step.body_pattern, outcome.text):
        found.append(f"the body does not match {step.body_pattern!r}")
    if step.json_checks:
        try:
            document = json.loads(outcome.text)
        except ValueError:
            found.append("the body is not JSON")
        else:
            found.extend(check_json(document, step.json_checks))
    return found


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


def explain_tls_failure(text: str) -> str:
    """A sentence for a certificate that is not trusted, with what to do about it."""
    match = _VERIFY_FAILED.search(text)
    why = match.group(1) if match else text
    lowered = why.lower()
    if "self-signed" in lowered or "self signed" in lowered or "local issuer" in lowered:
        hint = "trust its CA with ca_file, or set verify_tls: false"
    elif "expired" in lowered:
        hint = "renew the certificate"
    elif "hostname" in lowered or "ip address mismatch" in lowered:
        hint = "the certificate is for another name"
    else:
        hint = "check the certificate chain"
    return f"TLS certificate not trusted: {why} ({hint})"


def explain_http_error(error: httpx.HTTPError, url: str, *, bare: bool = False) -> str:
    """Words for a transport failure, naming the URL (unless ``bare``)."""
    text = str(error) or error.__class__.__name__
    prefix = "" if bare else f"{url}: "
    if isinstance(error, httpx.ConnectTimeout):
        return f"{prefix}no connection within the timeout (host down or firewalled?)"
    if isinstance(error, httpx.TimeoutException):
        return f"{prefix}no answer within the timeout"
    if isinstance(error, httpx.ConnectError):
        lowered = text.lower()
        if "certificate" in lowered or "ssl" in lowered:
            return prefix + explain_tls_failure(text)
        if "refused" in lowered:
            return f"{prefix}connection refused (is the service running?)"
        if "name or service" in lowered or "nodename" in lowered or "resolve" in lowered:
            return f"{prefix}the host name does not resolve"
        return f"{prefix}cannot connect ({text})"
    if isinstance(error, httpx.UnsupportedProtocol):
        return f"{prefix}not an http:// or https:// URL"
    if isinstance(error, httpx.RemoteProtocolError):
        return f"{prefix}the server closed the connection or answered garbage ({text})"
    return f"{prefix}{text}"
