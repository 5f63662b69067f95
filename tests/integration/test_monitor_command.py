"""Command signals: a number parsed from a command's output, locally and over the real test sshd.

Local commands run through the ``local`` executor, remote ones through the ``ssh`` executor and
its connection pool (strict host keys), so the monitor inherits their timeouts and cancellation.
The command's output changes between readings (a counter file), so the trigger fires mid-watch.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from deploytui.clock import ManualClock
from deploytui.executors.base import ExecContext, ExecResult
from deploytui.executors.monitor import MonitorExecutor
from deploytui.model.monitor_step import MonitorStep
from deploytui.model.playbook import Targets


def _step(command: dict[str, Any], **signal: Any) -> MonitorStep:
    return MonitorStep.model_validate(
        {
            "id": "watch",
            "kind": "monitor",
            "title": "Watch the queue",
            "duration": "5m",
            "interval": "1m",
            "signals": [{"name": "queue_depth", "command": command, "warn": "> 100", **signal}],
        }
    )


def _run(step: MonitorStep, targets: Targets) -> tuple[ExecResult, list[dict[str, Any]]]:
    records: list[dict[str, Any]] = []
    ctx = ExecContext(
        run_id="run",
        step_id="watch",
        attempt=1,
        output=lambda stream, line: None,
        cancelled=threading.Event(),
        record=lambda type_, data: records.append({"type": type_, **data}),
        clock=ManualClock(),
    )
    executor = MonitorExecutor(targets)
    try:
        return executor.execute(step, ctx), records
    finally:
        executor.close()


# A queue that grows by 400 each time it is read: 400, 800, 1200 ...
GROWING = (
    'n=$(cat {file} 2>/dev/null || echo 0); n=$((n+400)); echo $n > {file}; echo "(integer) $n"'
)


def test_a_local_command_number_crosses_the_fail_threshold(tmp_path: Path) -> None:
    command = {"run": GROWING.format(file=tmp_path / "n"), "pattern": r"\(integer\) (\d+)"}
    result, records = _run(_step(command, fail="> 1000"), Targets())
    samples = [
        record["v"]["queue_depth"] for record in records if record["type"] == "monitor_sample"
    ]
    assert samples == [400, 800, 1200]
    assert result.reason == "rollback trigger: queue_depth 1200 > 1000"


def test_command_failures_say_why(tmp_path: Path) -> None:
    result, records = _run(
        _step({"run": "echo 'no digits here'; echo oops >&2"}, fail="> 5"), Targets()
    )
    assert not result.ok
    first = next(record for record in records if record["type"] == "monitor_sample")
    assert first["err"]["queue_depth"] == (
        "no number in the output ([-+]?(?:\\d+(?:\\.\\d+)?|\\.\\d+)(?:[eE][-+]?\\d+)?); "
        "it said 'no digits here'"
    )
    result, records = _run(_step({"run": "echo broken >&2; exit 3"}, fail="> 5"), Targets())
    first = next(record for record in records if record["type"] == "monitor_sample")
    assert first["err"]["queue_depth"] == "the command exited with 3 (expected 0): broken"


def test_a_command_over_ssh_is_read_through_the_ssh_executor(
    sshd: Any, ssh_keys: Any, tmp_path: Path
) -> None:
    known = ssh_keys.known_hosts(tmp_path / "known_hosts", [sshd.port])
    targets = Targets.model_validate({"ssh": {"web-1": sshd.target(known_hosts=str(known))}})
    remote_file = tmp_path / "remote-n"  # the test sshd runs on this machine
    command = {
        "run": GROWING.format(file=remote_file),
        "host": "web-1",
        "pattern": r"\(integer\) (\d+)",
        "scale": 0.5,
    }
    result, records = _run(_step(command, fail="> 500 for 1m"), targets)
    samples = [
        record["v"]["queue_depth"] for record in records if record["type"] == "monitor_sample"
    ]
    assert samples == [200, 400, 600, 800]  # scaled by 0.5; beyond 500 at 2m, held 1m at 3m
    assert result.reason == "rollback trigger: queue_depth 800 > 500 for 1m"
    assert remote_file.read_text().strip() == "1600"


def test_an_unknown_ssh_host_key_ends_the_watch_for_the_operator(sshd: Any, tmp_path: Path) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    targets = Targets.model_validate({"ssh": {"web-1": sshd.target(known_hosts=str(empty))}})
    result, records = _run(_step({"run": "echo 1", "host": "web-1"}, fail="> 5"), targets)
    assert not result.ok
    assert result.unknown_host_keys and result.unknown_host_keys[0].port == sshd.port
    assert not [record for record in records if record["type"] == "monitor_sample"]
