"""Run ``ansible`` steps through ansible-runner: the executor the engine calls, one per run.

It ties the parts together: ``ansible_invocation`` (inventory, options, extra vars through a
pipe) and ``ansible_events`` (event stream → output lines and per-host tallies), and maps the
result onto the engine's semantics, like the ssh step's fan-out: more failed or unreachable hosts
than ``max_failures`` fail the step; ``serial`` batches are run by deploytui (one Ansible run per
batch, ``--limit`` to the batch) so a rollout stops between batches once the threshold is crossed;
cancelling stops the Ansible run; a retry within the same run only targets the hosts that failed
(remembered here, so after a crash and resume a retry runs on every host again).

Ansible is imported only in here (and only when an ``ansible`` step runs).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deploytui.executors.ansible_events import COUNTS, EventTranslator, HostTally
from deploytui.executors.ansible_invocation import (
    ExtraVarsPipe,
    InvocationError,
    ephemeral_inventory,
    inventory_hosts,
    private_dir,
    remove_private_dir,
    runner_kwargs,
    scrub_environment,
    stop_control_masters,
)
from deploytui.executors.base import CANCELLED, ExecContext, ExecResult
from deploytui.model.ansible_step import AnsibleStep
from deploytui.model.playbook import Targets
from deploytui.model.ssh_step import batch_size, expand_hosts, too_many_failures
from deploytui.model.steps import StepBase

LISTED_FAILURES = 3
POLL_SECONDS = 0.1
MISSING = "the ansible step needs ansible-core and ansible-runner: pip install 'deploytui[ansible]'"


@dataclass
class _Run:
    """Everything the batches of one attempt add up to."""

    hosts: list[str]
    tallies: dict[str, HostTally] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)  # hosts with no task result
    recap: dict[str, dict[str, int]] = field(default_factory=dict)
    plays: list[str] = field(default_factory=list)
    batches_run: int = 0
    halted: bool = False
    cancelled: bool = False
    error: str | None = None
    rc: list[int | None] = field(default_factory=list)

    def status(self, host: str) -> str:
        if host in self.statuses:
            return self.statuses[host]
        tally = self.tallies.get(host)
        return tally.status if tally else "not_started"

    def failed(self) -> list[str]:
        return [
            host
            for host in self.hosts
            if self.status(host) in {"failed", "unreachable", "cancelled", "timed_out"}
        ]

    def not_started(self) -> list[str]:
        return [host for host in self.hosts if self.status(host) == "not_started"]


class AnsibleExecutor:
    kind = "ansible"

    def __init__(self, targets: Targets) -> None:
        self.targets = targets
        # (run id, step id) → hosts that did not succeed in the last attempt (retry scope).
        self._unfinished: dict[tuple[str, str], list[str]] = {}
        self._lock = threading.Lock()
        self._control_dir: Path | None = None  # ssh control sockets, shared by the run's steps

    def close(self) -> None:
        """End of the run: stop the ssh connection masters and remove their directory."""
        if self._control_dir is not None:
            stop_control_masters(self._control_dir)
            remove_private_dir(self._control_dir)
            self._control_dir = None

    def _controls(self) -> Path:
        with self._lock:
            if self._control_dir is None:
                self._control_dir = private_dir("deploytui-ansible-cp-")
            return self._control_dir

    def execute(self, step: StepBase, ctx: ExecContext) -> ExecResult:
        assert isinstance(step, AnsibleStep)
        try:
            import ansible_runner  # noqa: F401
        except ImportError:
            return ExecResult(ok=False, reason=MISSING)
        folder = private_dir()
        try:
            return self._execute(step, ctx, folder)
        except InvocationError as error:
            return ExecResult(ok=False, reason=str(error))
        finally:
            remove_private_dir(folder)

    # -- one attempt ---------------------------------------------------------------------------

    def _execute(self, step: AnsibleStep, ctx: ExecContext, folder: Path) -> ExecResult:
        inventory = self._inventory(step, folder)
        if step.inventory is None and not step.limit:
            hosts = expand_hosts(step.hosts, self.targets)  # exactly the ephemeral inventory
        else:
            hosts = inventory_hosts(inventory, step.limit, folder, self._controls())
        if not hosts:
            where = f" matching limit '{step.limit}'" if step.limit else ""
            return ExecResult(ok=False, reason=f"the inventory has no hosts{where}")
        retried = self._retry_scope(step, ctx, hosts)
        if retried is not None:
            ctx.output(
                "stdout",
                f"deploytui: retrying only the {len(retried)} host(s) that did not succeed: "
                + ", ".join(retried),
            )
            hosts = retried
        size = batch_size(step.serial, len(hosts))
        batches = [hosts[index : index + size] for index in range(0, len(hosts), size)]
        # An exact host list is needed when batching or retrying; otherwise Ansible applies the
        # step's own --limit pattern itself.
        exact = step.serial is not None or retried is not None
        run = _Run(hosts=hosts)
        for number, batch in enumerate(batches, start=1):
            if run.halted or run.cancelled or ctx.cancelled.is_set():
                break
            run.batches_run = number
            if len(batches) > 1:
                ctx.output(
                    "stdout", f"deploytui: batch {number} of {len(batches)}: " + ", ".join(batch)
                )
            limit = ",".join(batch) if exact else step.limit
            self._run_batch(step, ctx, folder, inventory, limit, batch, number, run)
            failures = len(run.failed())
            if run.error is None and too_many_failures(step.max_failures, failures, len(hosts)):
                run.halted = number < len(batches)
            if run.error is not None:
                run.halted = True
        run.cancelled = run.cancelled or ctx.cancelled.is_set()
        return self._result(step, ctx, run, len(batches), retried is not None)

    def _inventory(self, step: AnsibleStep, folder: Path) -> str:
        if step.inventory is not None:
            import os

            path = os.path.abspath(os.path.expanduser(step.inventory))
            if not os.path.exists(path):
                raise InvocationError(f"Ansible inventory not found: {step.inventory} ({path})")
            return path
        data = ephemeral_inventory(step, self.targets)
        path = folder / "inventory" / "hosts.json"
        path.parent.mkdir()
        path.write_text(json.dumps(data, indent=1))
        return str(path)

    def _retry_scope(
        self, step: AnsibleStep, ctx: ExecContext, hosts: list[str]
    ) -> list[str] | None:
        """On a retry within this run, the hosts that did not succeed last time (else None)."""
        if ctx.attempt <= 1 or step.retry_hosts != "failed":
            return None
        with self._lock:
            previous = self._unfinished.get((ctx.run_id, step.id))
        if not previous:
            return None  # unknown (e.g. after a resume): every host again
        scope = [host for host in hosts if host in previous]
        return scope or None

    def _run_batch(
        self,
        step: AnsibleStep,
        ctx: ExecContext,
        folder: Path,
        inventory: str,
        limit: str | None,
        batch: list[str],
        number: int,
        run: _Run,
    ) -> None:
        pipe = (
            ExtraVarsPipe(folder, step.extra_vars, f"extravars-{number}")
            if step.extra_vars
            else None
        )
        try:
            self._run_ansible(step, ctx, folder, inventory, limit, batch, number, run, pipe)
        finally:
            if pipe is not None:
                pipe.close()

    def _run_ansible(
        self,
        step: AnsibleStep,
        ctx: ExecContext,
        folder: Path,
        inventory: str,
        limit: str | None,
        batch: list[str],
        number: int,
        run: _Run,
        pipe: ExtraVarsPipe | None,
    ) -> None:
        import ansible_runner

        translator = EventTranslator(ctx.output, batch=number if step.serial is not None else None)
        kwargs = runner_kwargs(
            step,
            folder=folder,
            inventory=inventory,
            limit=limit,
            extra_vars_file=pipe.path if pipe else None,
            control_dir=self._controls(),
        )
        runner = ansible_runner.interface.init_runner(
            **kwargs,
            event_handler=translator.handle,
            cancel_callback=ctx.cancelled.is_set,
        )
        # ansible-runner records its whole environment in artifacts/*/command: keep deploytui's
        # secrets (DEPLOYTUI_SECRET_*) out of the child and off the disk.
        runner.config.env = scrub_environment(runner.config.env)
        # ansible-runner looks for cancellation and the end of the process once per expect
        # timeout (5 s by default): poll often so cancel is prompt and short runs end promptly.
        runner.config.pexpect_timeout = POLL_SECONDS
        status, rc = runner.run()
        run.rc.append(rc)
        run.tallies.update(translator.hosts)
        run.recap.update(translator.recap)
        run.plays.extend(name for name in translator.plays if name not in run.plays)
        # Ansible went through the playbook (some hosts may have failed) and reached the recap.
        finished = status == "successful" or bool(translator.recap)
        for host in batch:
            if host in translator.hosts:
                continue
            if status == "canceled":
                run.statuses[host] = "cancelled"
            elif status == "timeout":
                run.statuses[host] = "timed_out"
            elif finished:
                run.statuses[host] = "no_tasks"  # no play of the playbook targets this host
            else:
                run.statuses[host] = "not_started"
        stopped = {"canceled": "cancelled", "timeout": "timed_out"}.get(status)
        for host, tally in translator.hosts.items():
            if stopped and tally.status == "succeeded" and host not in translator.recap:
                run.statuses[host] = stopped  # it had not finished when the run was stopped
        if status == "canceled":
            run.cancelled = True
        elif status == "timeout":
            run.error = f"timed out after {step.timeout:g}s" if step.timeout else "timed out"
        elif status != "successful" and not any(
            tally.status != "succeeded" for tally in translator.hosts.values()
        ):
            # Ansible failed without any host failing: a syntax error, a missing role...
            why = translator.errors[0] if translator.errors else f"ansible exited with {rc}"
            run.error = why.removeprefix("[ERROR]: ").removeprefix("ERROR! ")

    # -- the step's result -----------------------------------------------------------------------

    def _result(
        self, step: AnsibleStep, ctx: ExecContext, run: _Run, batches: int, retried: bool
    ) -> ExecResult:
        details_hosts = []
        for host in run.hosts:
            tally = run.tallies.get(host) or HostTally(host=host)
            detail = tally.detail()
            status = run.status(host)
            detail["status"] = status
            detail["ok"] = status in {"succeeded", "no_tasks"}
            if status == "cancelled":
                detail["reason"] = detail["reason"] or CANCELLED
            elif status == "timed_out":
                detail["reason"] = detail["reason"] or "timed out"
            details_hosts.append(detail)
        failed = run.failed()
        totals = {name: sum(item["tasks"][name] for item in details_hosts) for name in COUNTS}
        details: dict[str, Any] = {
            "hosts": details_hosts,
            "counts": totals,
            "recap": run.recap,
            "plays": run.plays,
            "batches": batches,
            "failed": len(failed),
            "unreachable": sum(1 for host in run.hosts if run.status(host) == "unreachable"),
            "not_started": len(run.not_started()),
            "max_failures": step.max_failures,
            "check_mode": step.check,
            "ansible_rc": run.rc[-1] if run.rc else None,
        }
        if step.serial is not None:
            details["serial"] = step.serial
        if retried:
            details["retried_hosts"] = list(run.hosts)
        with self._lock:
            self._unfinished[(ctx.run_id, step.id)] = [
                item["host"] for item in details_hosts if not item["ok"]
            ]
        over = too_many_failures(step.max_failures, len(failed), len(run.hosts))
        ok = not (run.error or run.cancelled or over or run.not_started())
        reason = self._summary(step, run, details_hosts, batches)
        if ok and failed:
            ctx.output("stderr", f"deploytui: {reason} — within max_failures {step.max_failures}")
        if ok:
            succeeded = len(run.hosts) - len(failed)
            mode = " in check mode (nothing changed)" if step.check else ""
            ctx.output(
                "stdout",
                f"deploytui: {succeeded} of {len(run.hosts)} hosts succeeded{mode}; "
                f"{totals['changed']} changed task(s)",
            )
        return ExecResult(ok=ok, reason=None if ok else reason, details=details)

    @staticmethod
    def _summary(step: AnsibleStep, run: _Run, hosts: list[dict[str, Any]], batches: int) -> str:
        failed = [item for item in hosts if item["status"] in {"failed", "unreachable"}]
        parts: list[str] = []
        if run.error:
            parts.append(f"ansible: {run.error}")
        if failed:
            named = "; ".join(
                f"{item['host']}: {item['reason'] or item['status']}"
                for item in failed[:LISTED_FAILURES]
            )
            more = f"; …and {len(failed) - LISTED_FAILURES} more" if len(failed) > 3 else ""
            parts.append(f"{len(failed)} of {len(hosts)} hosts failed ({named}{more})")
        not_started = run.not_started()
        if run.halted and not_started and not run.error:
            parts.append(
                f"rollout stopped after batch {run.batches_run} of {batches} "
                f"(max_failures {step.max_failures})"
            )
        if not_started:
            parts.append(f"{len(not_started)} not started")
        if run.cancelled:
            parts.append(CANCELLED)
        return "; ".join(parts) or "the ansible run failed"
