"""SSH steps against a real sshd: exit codes, streaming, env/cwd, captures, timeout, cancel.

Runs go through the real Engine, HeadlessOperator and Journal so the journal's per-host details,
output and ``show`` text are what is checked; narrow cases call the executor directly.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
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
from tests.core_helpers import drive, finished_statuses, of_type
from tests.sshd_helpers import ssh_playbook


@pytest.fixture
def known_hosts(ssh_keys: Any, sshd: Any, tmp_path: Path) -> Path:
    return ssh_keys.known_hosts(tmp_path / "known_hosts", [sshd.port])


@pytest.fixture
def targets(sshd: Any, known_hosts: Path) -> dict[str, Any]:
    return {"ssh": {"app-1": sshd.target(known_hosts=str(known_hosts))}}


def run_steps(journal: Any, targets: dict[str, Any], steps: list[dict[str, Any]], **kw: Any):
    loaded = parse_playbook(ssh_playbook(targets, steps), "ssh.yaml")
    lines: list[OutputLine] = []
    operator = HeadlessOperator(Answers(on_failure="abort"))
    run_id, outcome = drive(
        journal,
        loaded,
        operator,
        listener=lambda item: lines.append(item) if isinstance(item, OutputLine) else None,
        **kw,
    )
    return run_id, outcome, lines


def finished(journal: Any, run_id: str, step_id: str) -> dict[str, Any]:
    return of_type(journal.events(run_id), EventType.step_finished, step_id)[-1].data


def test_success_streams_output_and_journals_the_host(journal, targets) -> None:
    steps = [
        {
            "id": "hello",
            "kind": "ssh",
            "title": "Say hello",
            "hosts": "app-1",
            "command": "echo out-line; echo err-line >&2; echo version=4.2.1",
            "capture": [{"name": "version", "pattern": r"^version=(\S+)$"}],
        }
    ]
    run_id, outcome, lines = run_steps(journal, targets, steps)
    assert outcome.status == RunStatus.completed
    assert [line.text for line in lines if line.stream == "stdout"] == ["out-line", "version=4.2.1"]
    assert [line.text for line in lines if line.stream == "stderr"] == ["err-line"]
    data = finished(journal, run_id, "hello")
    (host,) = data["details"]["hosts"]
    assert host["host"] == "app-1" and host["ok"] and host["exit_code"] == 0
    assert host["duration"] > 0
    assert [value["value"] for value in data["values"]] == ["4.2.1"]
    assert "out-line" in journal.output(run_id, "hello")
    started = of_type(journal.events(run_id), EventType.step_started, "hello")[0].data
    assert started["action"].startswith("$ echo out-line") and started["where"] == "app-1"


def test_failing_exit_code_fails_the_step_with_the_host_and_code(journal, targets) -> None:
    steps = [
        {"id": "bad", "kind": "ssh", "title": "Fails", "hosts": "app-1", "command": "exit 3"},
    ]
    run_id, outcome, _ = run_steps(journal, targets, steps)
    assert outcome.status == RunStatus.aborted
    data = finished(journal, run_id, "bad")
    assert data["status"] == "failed"
    assert data["reason"] == "app-1: the command exited with 3 (expected 0)"
    assert data["details"]["hosts"][0]["exit_code"] == 3


def test_expected_exit_codes_env_and_cwd(journal, targets, tmp_path: Path) -> None:
    folder = tmp_path / "work dir"
    folder.mkdir()
    steps = [
        {
            "id": "env",
            "kind": "ssh",
            "title": "Env and cwd",
            "hosts": ["app-1"],
            "cwd": str(folder),
            "env": {"GREETING": "hello; world", "COUNT": 3},
            "command": 'pwd; echo "$GREETING/$COUNT"; exit 2',
            "expect_exit": [0, 2],
        }
    ]
    run_id, outcome, lines = run_steps(journal, targets, steps)
    assert outcome.status == RunStatus.completed, finished(journal, run_id, "env")
    assert [line.text for line in lines] == [str(folder), "hello; world/3"]
    assert finished(journal, run_id, "env")["details"]["hosts"][0]["exit_code"] == 2


def test_missing_cwd_fails_clearly(journal, targets, tmp_path: Path) -> None:
    steps = [
        {
            "id": "cwd",
            "kind": "ssh",
            "title": "Bad cwd",
            "hosts": "app-1",
            "cwd": str(tmp_path / "nope"),
            "command": "true",
        }
    ]
    run_id, _, lines = run_steps(journal, targets, steps)
    assert finished(journal, run_id, "cwd")["reason"].startswith("app-1: the command exited with")
    assert any("nope" in line.text and line.stream == "stderr" for line in lines)


def executor_for(targets: dict[str, Any]) -> SshExecutor:
    return SshExecutor(Targets.model_validate(targets))


def ssh_step(**fields: Any) -> SshStep:
    return SshStep.model_validate({"id": "s", "title": "t", "kind": "ssh", **fields})


def test_output_arrives_before_the_command_ends(targets) -> None:
    """The first line reaches the engine while the command is still sleeping."""
    executor = executor_for(targets)
    first_line = threading.Event()
    seen: list[tuple[float, str]] = []

    def output(stream: str, line: str) -> None:
        seen.append((time.monotonic(), line))
        first_line.set()

    ctx = ExecContext(run_id="r", step_id="s", attempt=1, output=output)
    release = Path(tempfile.mkdtemp()) / "release"
    # The command cannot finish before the test has looked: it waits for the release file.
    step = ssh_step(
        hosts="app-1",
        command=f"echo early; while [ ! -e {release} ]; do sleep 0.05; done; echo late",
        timeout="60s",
    )
    result: dict[str, Any] = {}
    worker = threading.Thread(target=lambda: result.update(r=executor.execute(step, ctx)))
    worker.start()
    try:
        assert first_line.wait(10), "no output arrived"
        assert worker.is_alive(), "the command had already finished"
        assert [line for _, line in seen] == ["early"]
    finally:
        release.touch()
        worker.join(20)
        executor.close()
    assert result["r"].ok
    assert [line for _, line in seen] == ["early", "late"]


def _wait_for_file(path: Path, timeout: float = 10) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return path.read_text().strip()
        time.sleep(0.02)
    raise AssertionError(f"{path} never written")


def _process_gone(pid: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except FileNotFoundError:
            return True
        if stat.rsplit(")", 1)[1].split()[0] == "Z":
            return True
        time.sleep(0.05)
    return False


def test_timeout_stops_the_remote_command(targets, tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    executor = executor_for(targets)
    step = ssh_step(
        hosts="app-1",
        command=f"sh -c 'echo $$ > {pid_file}; exec sleep 300' & wait",
        timeout="2s",
    )
    ctx = ExecContext(run_id="r", step_id="s", attempt=1, output=lambda s, line: None)
    try:
        result = executor.execute(step, ctx)
    finally:
        executor.close()
    assert not result.ok
    assert result.reason == "app-1: the command timed out after 2s"
    assert result.details["hosts"][0]["status"] == "failed"
    assert _process_gone(int(_wait_for_file(pid_file))), "the remote sleep is still running"


def test_cancel_stops_the_remote_command(targets, tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    executor = executor_for(targets)
    step = ssh_step(hosts="app-1", command=f"echo $$ > {pid_file}; exec sleep 300")
    ctx = ExecContext(run_id="r", step_id="s", attempt=1, output=lambda s, line: None)
    result: dict[str, Any] = {}
    worker = threading.Thread(target=lambda: result.update(r=executor.execute(step, ctx)))
    worker.start()
    pid = int(_wait_for_file(pid_file))
    assert not _process_gone(pid, timeout=0.2)
    ctx.cancelled.set()
    worker.join(20)
    executor.close()
    assert result["r"].reason.endswith(CANCELLED)
    assert result["r"].details["hosts"][0]["status"] == "cancelled"
    assert _process_gone(pid), "the remote command survived the cancel"


def test_show_lists_per_host_results(journal, targets) -> None:
    steps = [{"id": "one", "kind": "ssh", "title": "One", "hosts": "app-1", "command": "exit 4"}]
    run_id, _, _ = run_steps(journal, targets, steps)
    text = show_text(build_report(journal, run_id))
    assert "app-1: the command exited with 4 (expected 0)" in text
    assert finished_statuses(journal, run_id, "one") == ["failed"]


def test_sudo_runs_the_command_as_root(journal, targets) -> None:
    if not os.path.exists("/usr/bin/sudo"):
        pytest.skip("sudo is not installed (scripts/install-test-deps.sh installs it)")
    steps = [
        {
            "id": "root",
            "kind": "ssh",
            "title": "As root",
            "hosts": "app-1",
            "sudo": True,
            "command": "id -u",
        }
    ]
    run_id, outcome, lines = run_steps(journal, targets, steps)
    assert outcome.status == RunStatus.completed, finished(journal, run_id, "root")
    assert [line.text for line in lines] == ["0"]


def test_sudo_password_reaches_sudo_not_the_command(journal, targets) -> None:
    """The password is written for sudo only: the command's stdin is /dev/null, and the
    password never shows up in output or the journal."""
    if not os.path.exists("/usr/bin/sudo"):
        pytest.skip("sudo is not installed (scripts/install-test-deps.sh installs it)")
    secret = "s3cret-sudo-pw"
    text = ssh_playbook(
        targets,
        [
            {
                "id": "pw",
                "kind": "ssh",
                "title": "Sudo with a password",
                "hosts": "app-1",
                "sudo": True,
                "sudo_password": "{{ secrets.sudo_pw }}",
                "command": "id -u; cat; echo done",
            }
        ],
        secrets=["sudo_pw"],
    )
    loaded = parse_playbook(text, "ssh.yaml")
    lines: list[OutputLine] = []
    run_id, outcome = drive(
        journal,
        loaded,
        HeadlessOperator(Answers()),
        secrets={"sudo_pw": secret},
        listener=lambda item: lines.append(item) if isinstance(item, OutputLine) else None,
    )
    assert outcome.status == RunStatus.completed
    assert [line.text for line in lines] == ["0", "done"]
    everything = str([event.data for event in journal.events(run_id)])
    assert secret not in everything


def test_stopping_the_run_stops_the_remote_command_and_interrupts_the_step(
    journal, targets, tmp_path: Path
) -> None:
    from deploytui.engine.runner import Engine
    from tests.core_helpers import new_run

    pid_file = tmp_path / "pid"
    steps = [
        {
            "id": "long",
            "kind": "ssh",
            "title": "Long",
            "hosts": "app-1",
            "command": f"echo $$ > {pid_file}; exec sleep 300",
        }
    ]
    loaded = parse_playbook(ssh_playbook(targets, steps), "ssh.yaml")
    run_id = new_run(journal, loaded)
    engine = Engine(
        journal=journal, run_id=run_id, loaded=loaded, operator=HeadlessOperator(Answers())
    )
    result: dict[str, Any] = {}
    worker = threading.Thread(target=lambda: result.update(outcome=engine.run()))
    worker.start()
    pid = int(_wait_for_file(pid_file))
    engine.request_stop()  # what Ctrl+C / SIGTERM do
    worker.join(30)
    assert result["outcome"].status == RunStatus.waiting
    assert of_type(journal.events(run_id), EventType.step_interrupted, "long")
    assert _process_gone(pid), "the remote command survived the stop"


def test_a_command_that_never_stops_printing_can_still_be_stopped(targets) -> None:
    """The stop check runs on every pass of the read loop, not only when output pauses."""
    executor = executor_for(targets)
    count = 0
    ctx = ExecContext("r", "s", 1, output=lambda stream, line: None)

    def output(stream: str, line: str) -> None:
        nonlocal count
        count += 1
        if count == 20_000:  # the flood is certainly under way: abort it
            ctx.cancelled.set()

    ctx.output = output
    step = ssh_step(hosts="app-1", command="yes")
    try:
        result = executor.execute(step, ctx)
    finally:
        executor.close()
    assert result.reason == f"app-1: the command was {CANCELLED}"
    assert count >= 20_000
