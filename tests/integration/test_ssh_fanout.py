"""Fan-out over 20+ hosts against real sshd processes: concurrency bound, serial batches, the
failure threshold, per-host results in the journal and in ``show``.

Most "hosts" are aliases of one sshd (different names, same 127.0.0.1:port); hosts that must
fail point at an sshd that was started and then stopped, so they really are refused.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

import pytest

from deploytui.console import show_text
from deploytui.engine.headless import Answers, HeadlessOperator
from deploytui.engine.runner import OutputLine
from deploytui.executors.base import CANCELLED, ExecContext
from deploytui.executors.ssh import SshExecutor
from deploytui.journal.report import build_report
from deploytui.model.events import EventType, RunStatus
from deploytui.model.playbook import Targets
from deploytui.model.ssh_step import SshStep
from deploytui.playbook.loader import parse_playbook
from tests.core_helpers import drive, of_type
from tests.sshd_helpers import ssh_playbook

NAMES = [f"web-{number:02d}" for number in range(1, 21)]


@pytest.fixture
def fleet(ssh_keys: Any, sshd: Any, sshd_factory: Any, tmp_path: Path):
    """Build targets for NAMES where the names in ``dead`` point at a stopped sshd."""
    (dead_server,) = sshd_factory(1)
    dead_server.stop()
    known_hosts = ssh_keys.known_hosts(tmp_path / "known_hosts", [sshd.port, dead_server.port])

    def build(dead: set[str] = frozenset(), names: list[str] = NAMES) -> dict[str, Any]:
        hosts = {
            name: (dead_server if name in dead else sshd).target(known_hosts=str(known_hosts))
            for name in names
        }
        return {"ssh": hosts, "groups": {"web": list(names)}}

    return build


def run_step(journal: Any, targets: dict[str, Any], step: dict[str, Any]):
    base = {"id": "deploy", "kind": "ssh", "title": "Deploy", "hosts": "web"}
    loaded = parse_playbook(ssh_playbook(targets, [{**base, **step}]), "fleet.yaml")
    lines: list[OutputLine] = []
    run_id, outcome = drive(
        journal,
        loaded,
        HeadlessOperator(Answers(on_failure="abort")),
        listener=lambda item: lines.append(item) if isinstance(item, OutputLine) else None,
    )
    (finished,) = of_type(journal.events(run_id), EventType.step_finished, "deploy")
    return run_id, outcome, finished.data, [line.text for line in lines]


def by_host(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["host"]: entry for entry in data["details"]["hosts"]}


def test_failures_within_the_threshold_let_the_step_succeed(journal, fleet) -> None:
    dead = {"web-04", "web-11", "web-17"}
    run_id, outcome, data, lines = run_step(
        journal, fleet(dead), {"command": "echo deployed", "concurrency": 5, "max_failures": 3}
    )
    assert outcome.status == RunStatus.completed
    hosts = by_host(data)
    assert len(hosts) == 20
    assert {name for name, entry in hosts.items() if not entry["ok"]} == dead
    assert all(hosts[name]["exit_code"] == 0 for name in hosts if name not in dead)
    assert all("connection refused" in hosts[name]["reason"] for name in dead)
    # Every live host's output is prefixed with its name; the tolerated failures are announced.
    for name in set(NAMES) - dead:
        assert f"[{name}] deployed" in lines
    assert any("3 of 20 hosts failed" in line and "within max_failures 3" in line for line in lines)
    text = show_text(build_report(journal, run_id))
    assert re.search(r"✗ web-04  web-04 \(127\.0\.0\.1:\d+\): connection refused", text)
    assert re.search(r"✓ web-05  exit 0  \d+\.\ds", text)


def test_threshold_exceeded_fails_and_stops_the_rollout(journal, fleet) -> None:
    run_id, outcome, data, _ = run_step(
        journal,
        fleet({"web-03", "web-09", "web-10"}),
        {"command": "true", "max_failures": 2, "concurrency": 1},
    )
    assert outcome.status == RunStatus.aborted
    assert data["status"] == "failed"
    hosts = by_host(data)
    # One at a time: the third failure (web-10) stops the rollout; later hosts never start.
    assert [name for name in NAMES if hosts[name]["status"] == "not_started"] == NAMES[10:]
    assert all(
        hosts[name]["ok"] for name in NAMES[:10] if name not in {"web-03", "web-09", "web-10"}
    )
    assert data["reason"].startswith(
        "3 of 20 hosts failed (web-03: refused; web-09: refused; web-10: refused); "
        "rollout stopped early (max_failures 2); 10 not started"
    )
    assert "not started" in show_text(build_report(journal, run_id))


def test_serial_batches_run_in_order_and_stop_after_a_failing_batch(journal, fleet) -> None:
    # Batches of 25% = 5 hosts; web-07 and web-08 (batch 2) fail, max_failures 1 → stop there.
    _run_id, outcome, data, lines = run_step(
        journal,
        fleet({"web-07", "web-08"}),
        {"command": "echo hi", "serial": "25%", "max_failures": 1, "concurrency": 5},
    )
    assert outcome.status == RunStatus.aborted
    hosts = by_host(data)
    assert {hosts[name]["batch"] for name in NAMES[:5]} == {1}
    assert {hosts[name]["batch"] for name in NAMES[5:10]} == {2}
    assert all(hosts[name]["status"] == "not_started" for name in NAMES[10:])
    assert data["details"]["batches"] == 4
    assert "rollout stopped after batch 2 of 4 (max_failures 1); 10 not started" in data["reason"]
    # Every host of batch 1 finished before any host of batch 2 started.
    started_2 = min(index for index, line in enumerate(lines) if "▶ started (batch 2)" in line)
    finished_1 = [
        index
        for index, line in enumerate(lines)
        if any(line.startswith(f"[{name}] ✓") for name in NAMES[:5])
    ]
    assert len(finished_1) == 5 and max(finished_1) < started_2


def test_concurrency_is_bounded(fleet, tmp_path: Path) -> None:
    targets = Targets.model_validate(fleet(names=NAMES[:8]))
    # A barrier instead of a sleep: each host waits (10 s at most) until three hosts have
    # arrived, so the first three must overlap and the peak is exactly 3, however slow the box.
    arrived = tmp_path / "arrived"
    arrived.mkdir()
    barrier = (
        f"touch {arrived}/$$; n=0; "
        f'while [ "$(ls {arrived} | wc -l)" -lt 3 ] && [ $n -lt 200 ]; '
        "do sleep 0.05; n=$((n+1)); done"
    )
    step = SshStep.model_validate(
        {
            "id": "s",
            "title": "t",
            "kind": "ssh",
            "hosts": "web",
            "command": barrier,
            "concurrency": 3,
        }
    )
    running = peak = 0
    lock = threading.Lock()

    def output(stream: str, line: str) -> None:
        nonlocal running, peak
        with lock:
            if "▶ started" in line:
                running += 1
                peak = max(peak, running)
            elif "] ✓" in line or "] ✗" in line:
                running -= 1

    executor = SshExecutor(targets)
    try:
        result = executor.execute(step, ExecContext("r", "s", 1, output=output))
    finally:
        executor.close()
    assert result.ok, result.reason
    assert peak == 3  # used (it was `1 <= peak`, true even when hosts run one at a time), bounded


def test_percent_threshold(journal, fleet) -> None:
    # 10% of 20 is 2: two failures are tolerated, and the step says which.
    _, outcome, data, _ = run_step(
        journal, fleet({"web-01", "web-20"}), {"command": "true", "max_failures": "10%"}
    )
    assert outcome.status == RunStatus.completed
    assert data["details"]["failed"] == 2
    _, outcome, data, _ = run_step(
        journal, fleet({"web-01", "web-02", "web-20"}), {"command": "true", "max_failures": "10%"}
    )
    assert outcome.status == RunStatus.aborted
    assert data["reason"].startswith("3 of 20 hosts failed")


def test_failing_exit_codes_on_every_host_name_them(journal, fleet) -> None:
    _, _, data, _ = run_step(journal, fleet(), {"command": "exit 2", "max_failures": "100%"})
    # max_failures 100% tolerates everything: every host runs and each exit code is recorded.
    assert data["status"] == "succeeded"
    assert all(entry["exit_code"] == 2 for entry in data["details"]["hosts"])
    assert data["details"]["failed"] == 20


def test_default_is_to_stop_at_the_first_failure(journal, fleet) -> None:
    _, outcome, data, _ = run_step(
        journal, fleet({"web-01"}), {"command": "sleep 0.2", "concurrency": 2}
    )
    assert outcome.status == RunStatus.aborted
    statuses = [entry["status"] for entry in data["details"]["hosts"]]
    assert statuses.count("failed") == 1
    # web-01 and web-02 start together (concurrency 2); nobody after the failure.
    assert statuses.count("not_started") == 18
    assert data["details"]["hosts"][1]["status"] == "succeeded"


def test_where_line_names_the_group_and_hosts(journal, fleet) -> None:
    run_id, _, _, _ = run_step(journal, fleet(), {"command": "true"})
    started = of_type(journal.events(run_id), EventType.step_started, "deploy")[0]
    assert started.data["where"] == "web: web-01, web-02, web-03 … web-20 (20 hosts)"


def test_cancel_during_fan_out_stops_running_hosts_and_starts_no_more(fleet) -> None:
    targets = Targets.model_validate(fleet())
    step = SshStep.model_validate(
        {
            "id": "s",
            "title": "t",
            "kind": "ssh",
            "hosts": "web",
            "command": "echo go; sleep 60",
            "concurrency": 4,
        }
    )
    ctx = ExecContext("r", "s", 1, output=lambda stream, line: None)
    seen = threading.Semaphore(0)
    ctx.output = lambda stream, line: seen.release() if line.endswith("] go") else None
    executor = SshExecutor(targets)
    result: dict[str, Any] = {}
    worker = threading.Thread(target=lambda: result.update(r=executor.execute(step, ctx)))
    worker.start()
    for _ in range(4):
        assert seen.acquire(timeout=20)
    ctx.cancelled.set()
    worker.join(30)
    executor.close()
    outcome = result["r"]
    assert not outcome.ok and outcome.reason.endswith(CANCELLED)
    statuses = [entry["status"] for entry in outcome.details["hosts"]]
    assert statuses.count("cancelled") == 4
    assert statuses.count("not_started") == 16


def test_an_empty_group_fails_instead_of_succeeding_on_nothing() -> None:
    executor = SshExecutor(Targets.model_validate({"groups": {"web": []}}))
    step = SshStep.model_validate(
        {"id": "s", "title": "t", "kind": "ssh", "hosts": "web", "command": "true"}
    )
    result = executor.execute(step, ExecContext("r", "s", 1, output=lambda s, line: None))
    assert not result.ok
    assert result.reason == "no hosts to run on: web lists no hosts"


def test_cancel_between_batches_fails_the_step(fleet) -> None:
    """Batch 1 all succeeded, the operator aborted before batch 2: the rollout is incomplete."""
    targets = Targets.model_validate(fleet(names=NAMES[:4]))
    step = SshStep.model_validate(
        {"id": "s", "title": "t", "kind": "ssh", "hosts": "web", "command": "true", "serial": 2}
    )
    ctx = ExecContext("r", "s", 1, output=lambda stream, line: None)

    def output(stream: str, line: str) -> None:
        if line.startswith("[web-02] ✓") or line.startswith("[web-01] ✓"):
            finished.append(line)
            if len(finished) == 2:
                ctx.cancelled.set()  # both hosts of batch 1 are done

    finished: list[str] = []
    ctx.output = output
    executor = SshExecutor(targets)
    try:
        result = executor.execute(step, ctx)
    finally:
        executor.close()
    assert not result.ok
    assert [entry["status"] for entry in result.details["hosts"]] == [
        "succeeded",
        "succeeded",
        "not_started",
        "not_started",
    ]
    assert result.reason == f"2 not started; {CANCELLED}"
