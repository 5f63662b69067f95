"""Retry the failed hosts only: what is on offer, how results merge, and how state replays it.

The end-to-end behaviour against real sshd is tests/integration/test_ssh_retry_failed.py and the
dialog tests/ui/test_retry_failed_hosts.py; these pin the rules every consumer relies on.
"""

from __future__ import annotations

from typing import Any

from deploytui.engine.host_retry import merge_details, retryable_hosts
from deploytui.journal.state import RunState
from deploytui.model.events import Event, EventType, StepStatus
from tests.core_helpers import load

PLAYBOOK = """
name: hosts
targets:
  ssh:
    a: {host: 127.0.0.1}
    b: {host: 127.0.0.1}
    c: {host: 127.0.0.1}
phases:
  - id: main
    title: Main
    steps:
      - {id: fan, kind: ssh, title: Fan out, hosts: [a, b, c], command: "true"}
"""


def host(name: str, ok: bool, status: str = "", **extra: Any) -> dict[str, Any]:
    return {"host": name, "ok": ok, "status": status or ("succeeded" if ok else "failed"), **extra}


def test_only_a_partial_failure_offers_a_retry_of_the_failed_hosts() -> None:
    mixed = {"hosts": [host("a", True), host("b", False), host("c", False, "not_started")]}
    assert retryable_hosts(mixed) == ["b", "c"]  # not started counts as not succeeded
    assert retryable_hosts({"hosts": [host("a", False), host("b", False)]}) == []  # = retry all
    assert retryable_hosts({"hosts": [host("a", True)]}) == []
    assert retryable_hosts({}) == [] and retryable_hosts({"hosts": "nonsense"}) == []


def test_merge_keeps_earlier_successes_and_takes_the_retried_hosts_latest_result() -> None:
    earlier = [host("a", True, batch=1), host("b", False, batch=1), host("c", False, "not_started")]
    latest = {"hosts": [host("b", True), host("c", False)], "failed": 1, "batches": 1}
    merged = merge_details(earlier, latest, ["b", "c"])
    assert [item["host"] for item in merged["hosts"]] == ["a", "b", "c"]
    assert merged["hosts"][0] == host("a", True, batch=1)  # untouched, not marked retried
    assert merged["hosts"][1] == {**host("b", True), "retried": True}
    assert merged["failed"] == 1 and merged["not_started"] == 0
    assert merged["retried_hosts"] == ["b", "c"] and merged["batches"] == 1


def event(seq: int, type_: EventType, data: dict[str, Any], attempt: int | None = None) -> Event:
    return Event(
        run_id="r", seq=seq, at="2026-01-01T00:00:00+00:00", type=type_, step_id="fan",
        attempt=attempt, data=data,
    )  # fmt: skip


def test_state_replays_the_subset_rerun_keeps_it_and_plain_retry_clears_it() -> None:
    playbook = load(PLAYBOOK).playbook
    details = {"hosts": [host("a", True), host("b", False), host("c", True)]}
    events = [
        event(1, EventType.step_started, {}, 1),
        event(2, EventType.step_finished, {"status": "failed", "details": details}, 1),
        event(3, EventType.decision, {"action": "retry_failed", "hosts": ["b"]}),
        event(4, EventType.step_started, {"hosts": ["b"]}, 2),  # then the process died
    ]
    state = RunState.from_events("r", playbook, events)
    state.resolve_interrupted()
    step = state.steps["fan"]
    assert step.status == StepStatus.interrupted and step.retry_hosts == ["b"]
    assert step.details == details  # the earlier results a resumed attempt completes

    state.apply(event(5, EventType.decision, {"action": "rerun"}))
    assert step.status == StepStatus.pending and step.retry_hosts == ["b"]
    state.apply(event(6, EventType.decision, {"action": "retry"}))
    assert step.retry_hosts is None
