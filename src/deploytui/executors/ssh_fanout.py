"""Fan a command out over many hosts: bounded concurrency, rolling batches, a failure threshold.

A rolling deploy must stop while most of the fleet is still healthy: hosts run in ``serial``
batches (all at once without it), at most ``concurrency`` at a time, and as soon as more than
``max_failures`` hosts (or percent of them) have failed no further host is started: hosts already
running finish; hosts waiting for a free slot and later batches are reported as not started.
The summary names the failed hosts and why, and where the rollout stopped.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass

from deploytui.executors.base import CANCELLED
from deploytui.executors.ssh_command import HostOutcome
from deploytui.model.ssh_step import SshStep, batch_size, too_many_failures

LISTED_FAILURES = 3  # failed hosts named in the one-line reason; all are in the details

RunOne = Callable[[str, int], HostOutcome]


@dataclass
class FanOutResult:
    outcomes: list[HostOutcome]
    batches: int
    batches_run: int
    halted: bool
    cancelled: bool

    @property
    def failed(self) -> list[HostOutcome]:
        return [item for item in self.outcomes if item.status in {"failed", "cancelled"}]

    @property
    def not_started(self) -> list[HostOutcome]:
        return [item for item in self.outcomes if item.status == "not_started"]


def fan_out(
    hosts: list[str],
    step: SshStep,
    run_one: RunOne,
    cancelled: threading.Event,
    *,
    total: int | None = None,
) -> FanOutResult:
    """Run ``run_one(host, batch)`` over ``hosts`` under the step's rollout rules.

    ``total`` is the step's host count when ``hosts`` is a retried subset: a percentage
    ``max_failures`` is a share of the whole step, not of the hosts retried.
    """
    total = total or len(hosts)
    size = batch_size(step.serial, len(hosts))
    batches = [hosts[index : index + size] for index in range(0, len(hosts), size)]
    results: dict[str, HostOutcome] = {}
    halt = threading.Event()
    failures = 0
    batches_run = 0

    lock = threading.Lock()

    def guarded(host: str, batch: int, slot: int) -> HostOutcome:
        nonlocal failures
        # The first ``concurrency`` hosts of a batch start together; a host waiting for a free
        # slot is not started once the threshold has been crossed (or the operator cancelled).
        if cancelled.is_set() or (halt.is_set() and slot >= step.concurrency):
            return HostOutcome(host=host, ok=False, status="not_started", batch=batch)
        outcome = run_one(host, batch)
        outcome.batch = batch
        if outcome.status in {"failed", "cancelled"}:
            # Counted here, before this worker takes its next host, so no host starts after
            # the threshold was crossed.
            with lock:
                failures += 1
                if too_many_failures(step.max_failures, failures, total):
                    halt.set()
        return outcome

    for number, batch in enumerate(batches, start=1):
        if halt.is_set() or cancelled.is_set():
            for host in batch:
                results[host] = HostOutcome(host=host, ok=False, status="not_started", batch=number)
            continue
        batches_run = number
        with ThreadPoolExecutor(
            max_workers=min(step.concurrency, len(batch)), thread_name_prefix="deploytui-ssh"
        ) as pool:
            futures = [pool.submit(guarded, host, number, slot) for slot, host in enumerate(batch)]
            for future in as_completed(futures):
                outcome = future.result()
                results[outcome.host] = outcome
    return FanOutResult(
        outcomes=[results[host] for host in hosts],
        batches=len(batches),
        batches_run=batches_run,
        halted=halt.is_set(),
        cancelled=cancelled.is_set(),
    )


def summary(result: FanOutResult, step: SshStep) -> str:
    """One sentence: how many failed and why (first few named), and where the rollout stopped."""
    total = len(result.outcomes)
    failed = result.failed
    if total == 1 and failed:
        return failed[0].reason or f"{failed[0].host}: failed"
    named = "; ".join(f"{item.host}: {item.short or 'failed'}" for item in failed[:LISTED_FAILURES])
    more = f"; …and {len(failed) - LISTED_FAILURES} more" if len(failed) > LISTED_FAILURES else ""
    text = f"{len(failed)} of {total} hosts failed ({named}{more})" if failed else ""
    if result.halted and result.not_started:
        where = (
            f"after batch {result.batches_run} of {result.batches}"
            if result.batches > 1
            else "early"
        )
        text += f"; rollout stopped {where} (max_failures {step.max_failures})"
    if result.not_started:
        text += f"; {len(result.not_started)} not started"
    if result.cancelled:
        text += f"; {CANCELLED}"
    return text.lstrip("; ")


def timing(outcomes: list[HostOutcome]) -> str:
    ran = [item.duration for item in outcomes if item.status != "not_started"]
    if not ran:
        return ""
    return f"{min(ran):.1f}–{max(ran):.1f}s per host"
