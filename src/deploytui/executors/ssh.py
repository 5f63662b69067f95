"""Run ``ssh`` steps with paramiko: the executor the engine calls, one instance per run.

It ties the parts together: ``ssh_pool`` (connections reused across the run's steps),
``ssh_hostkeys`` (strict known_hosts checking, explicit acceptance), ``ssh_command`` (one host:
streaming, timeout, cancel) and ``ssh_fanout`` (batches, concurrency, failure threshold). Output
from several hosts is prefixed ``[host] ``; per-host results go in ``details["hosts"]``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

from deploytui.executors.base import CANCELLED, ExecContext, ExecResult, HostKey
from deploytui.executors.ssh_command import HostOutcome, run_on_host
from deploytui.executors.ssh_fanout import fan_out, summary, timing
from deploytui.executors.ssh_hostkeys import DEFAULT_KNOWN_HOSTS, KnownHosts
from deploytui.executors.ssh_pool import ConnectionPool
from deploytui.model.playbook import Targets
from deploytui.model.ssh_step import SshStep, expand_hosts
from deploytui.model.steps import StepBase


class SshExecutor:
    kind = "ssh"
    # Runs on ExecContext.hosts when given (the operator's "retry the failed hosts").
    host_subsets = True

    def __init__(self, targets: Targets, *, default_known_hosts: str = DEFAULT_KNOWN_HOSTS) -> None:
        self.targets = targets
        self.known_hosts = KnownHosts(default_known_hosts)
        self.pool = ConnectionPool(targets, self.known_hosts)
        # Where each offered key was looked for, so an accepted key goes to the same file.
        self._offered: dict[tuple[str, int, str], str] = {}
        self._lock = threading.Lock()
        self.warnings: list[str] = []

    # -- the engine's interface ------------------------------------------------------------------

    def execute(self, step: StepBase, ctx: ExecContext) -> ExecResult:
        assert isinstance(step, SshStep)
        while self.warnings:  # e.g. an accepted host key that could not be saved
            ctx.output("stderr", f"deploytui: {self.warnings.pop(0)}")
        hosts = expand_hosts(step.hosts, self.targets)
        if not hosts:
            names = ", ".join(step.hosts)
            return ExecResult(ok=False, reason=f"no hosts to run on: {names} lists no hosts")
        many = len(hosts) > 1
        total = len(hosts)
        if ctx.hosts is not None:
            # A retry of the failed hosts: the same rollout rules (serial, concurrency) over the
            # subset; a percentage max_failures still counts against every host of the step.
            subset = [host for host in hosts if host in set(ctx.hosts)]
            if not subset:
                return ExecResult(
                    ok=False,
                    reason="none of the hosts to retry are in the step any more: "
                    + ", ".join(ctx.hosts),
                )
            ctx.output(
                "stdout",
                f"deploytui: retrying only the {len(subset)} of {total} host(s) that did not "
                "succeed: " + ", ".join(subset),
            )
            hosts = subset
        sudo_password = step.sudo_password if step.sudo else None

        def emit_for(host: str) -> Callable[[str, str], None]:
            prefix = f"[{host}] " if many else ""
            return lambda stream, line: ctx.output(stream, prefix + line)

        def run_one(host: str, batch: int) -> HostOutcome:
            if many:
                where = f" (batch {batch})" if step.serial is not None else ""
                ctx.output("stdout", f"[{host}] ▶ started{where}")
            outcome = run_on_host(
                self.pool,
                host,
                step,
                ctx,
                emit_for(host),
                sudo_password=sudo_password,
                keep_lines=bool(step.capture),
            )
            if many:
                ctx.output(
                    "stdout" if outcome.ok else "stderr",
                    f"[{host}] {'✓' if outcome.ok else '✗'} "
                    f"{outcome.short or outcome.status} in {outcome.duration:.1f}s",
                )
            return outcome

        result = fan_out(hosts, step, run_one, ctx.cancelled, total=total)
        details = {
            "hosts": [outcome.detail() for outcome in result.outcomes],
            "batches": result.batches,
            "failed": len(result.failed),
            "not_started": len(result.not_started),
            "max_failures": step.max_failures,
        }
        if step.serial is not None:
            details["serial"] = step.serial
        unknown = self._unknown_keys(result.outcomes)
        changed = [item.changed_key for item in result.outcomes if item.changed_key is not None]
        if changed:
            details["host_keys_changed"] = [
                key.model_dump(exclude={"key_base64"}) for key in _unique(changed)
            ]
        failed = result.failed
        # Failures within max_failures do not halt the rollout and leave the step successful;
        # anything else (threshold crossed, cancelled, hosts never run, a changed key) fails it.
        ok = not (result.halted or result.cancelled or result.not_started or changed)
        reason = summary(result, step)
        if changed and many:
            # A changed host key is never just one failure among others: say it first, in full.
            first = next(item for item in result.outcomes if item.changed_key is not None)
            reason = f"{first.reason}; {reason}"
        if result.cancelled and not reason.endswith(CANCELLED):
            reason = f"{reason}; {CANCELLED}".lstrip("; ")
        if ok and failed:
            # Within max_failures: the step succeeds, and says loudly which hosts did not.
            ctx.output("stderr", f"deploytui: {reason} — within max_failures {step.max_failures}")
        if ok and many:
            ctx.output(
                "stdout",
                f"deploytui: {len(hosts) - len(failed)} of {len(hosts)} hosts "
                f"{'retried ' if len(hosts) < total else ''}succeeded ({timing(result.outcomes)})",
            )
        return ExecResult(
            ok=ok,
            reason=None if ok else reason,
            details=details,
            captures=self._captures(step, result.outcomes),
            unknown_host_keys=[] if ok else unknown,
        )

    def accept_host_key(self, key: HostKey) -> None:
        """The operator accepted ``key``: trust it for the run and record it in known_hosts."""
        with self._lock:
            path = self._offered.get((key.host, key.port, key.fingerprint))
        warning = self.known_hosts.accept(path or self.known_hosts.path_for(None), key)
        if warning:
            self.warnings.append(warning)

    def close(self) -> None:
        self.pool.close()

    # -- helpers -----------------------------------------------------------------------------

    def _unknown_keys(self, outcomes: list[HostOutcome]) -> list[HostKey]:
        keys = []
        for outcome in outcomes:
            key = outcome.unknown_key
            if key is None or key.changed:
                continue
            with self._lock:
                self._offered[(key.host, key.port, key.fingerprint)] = outcome.known_hosts or ""
            keys.append(key)
        return _unique(keys)

    @staticmethod
    def _captures(step: SshStep, outcomes: list[HostOutcome]) -> dict[str, str]:
        """Each capture from the first host (in order) whose unprefixed output matches."""
        found: dict[str, str] = {}
        for capture in step.capture:
            pattern = re.compile(capture.pattern)
            for outcome in outcomes:
                streams = ["stdout", "stderr"] if capture.stream == "any" else [capture.stream]
                lines = [line for stream in streams for line in outcome.lines.get(stream, [])]
                match = next((m for m in map(pattern.search, lines) if m), None)
                if match:
                    found[capture.name] = match.group(1) if match.groups() else match.group(0)
                    break
        return found


def _unique(keys: list[HostKey]) -> list[HostKey]:
    seen: dict[tuple[str, int, str], HostKey] = {}
    for key in keys:
        seen.setdefault((key.host, key.port, key.fingerprint), key)
    return list(seen.values())
