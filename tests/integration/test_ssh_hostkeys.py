"""Strict host keys against a real sshd: unknown keys are an explicit, journaled operator choice;
changed keys are refused and never offered; known_hosts files are read and written like OpenSSH's.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from deploytui.engine.headless import Answers, HeadlessOperator
from deploytui.executors.base import ExecContext, HostKey
from deploytui.executors.ssh import SshExecutor
from deploytui.model.events import EventType, RunStatus
from deploytui.model.playbook import Targets
from deploytui.model.ssh_step import SshStep
from deploytui.playbook.loader import parse_playbook
from tests.core_helpers import drive, of_type
from tests.sshd_helpers import keygen, ssh_playbook

STEP = {"id": "check", "kind": "ssh", "title": "Check", "hosts": "app-1", "command": "echo ok"}


def openssh_fingerprint(public_key_file: Path) -> str:
    """What ``ssh-keygen -lf`` says: the fingerprint an operator compares against."""
    out = subprocess.run(
        ["ssh-keygen", "-lf", str(public_key_file)], capture_output=True, text=True, check=True
    ).stdout
    return out.split()[1]


class RecordingOperator(HeadlessOperator):
    def __init__(self, answers: Answers) -> None:
        super().__init__(answers)
        self.offered: list[HostKey] = []

    def confirm_host_key(self, step: Any, view: Any, key: HostKey) -> bool:
        self.offered.append(key)
        return super().confirm_host_key(step, view, key)


def run(journal: Any, sshd: Any, known_hosts: Path, answers: Answers) -> tuple[str, Any, Any]:
    targets = {"ssh": {"app-1": sshd.target(known_hosts=str(known_hosts))}}
    loaded = parse_playbook(ssh_playbook(targets, [STEP]), "hk.yaml")
    operator = RecordingOperator(answers)
    run_id, outcome = drive(journal, loaded, operator)
    return run_id, outcome, operator


def test_unknown_key_accepted_by_the_operator_is_journaled_and_saved(
    journal, sshd, ssh_keys, tmp_path: Path
) -> None:
    known_hosts = tmp_path / "empty_known_hosts"
    known_hosts.write_text("")
    fingerprint = openssh_fingerprint(ssh_keys.host_key.with_suffix(".pub"))
    run_id, outcome, operator = run(
        journal, sshd, known_hosts, Answers(accept_host_keys=[fingerprint])
    )
    assert outcome.status == RunStatus.completed
    assert [key.fingerprint for key in operator.offered] == [fingerprint]
    events = journal.events(run_id)
    (accepted,) = of_type(events, EventType.host_key_accepted)
    assert accepted.data["fingerprint"] == fingerprint
    assert accepted.data["host"] == "127.0.0.1" and accepted.data["port"] == sshd.port
    first, second = of_type(events, EventType.step_finished, "check")
    assert first.data["status"] == "failed" and "host key unknown" in first.data["reason"]
    assert fingerprint in first.data["reason"]
    assert second.data["status"] == "succeeded"
    assert known_hosts.read_text() == f"[127.0.0.1]:{sshd.port} {ssh_keys.host_public}\n"


def test_unknown_key_not_accepted_stops_the_step(journal, sshd, tmp_path: Path) -> None:
    known_hosts = tmp_path / "missing_known_hosts"
    run_id, outcome, operator = run(journal, sshd, known_hosts, Answers(on_failure="abort"))
    assert outcome.status == RunStatus.aborted
    assert len(operator.offered) == 1
    assert not of_type(journal.events(run_id), EventType.host_key_accepted)
    (finished,) = of_type(journal.events(run_id), EventType.step_finished, "check")
    assert f"[127.0.0.1]:{sshd.port} is not in {known_hosts}" in finished.data["reason"]
    assert not known_hosts.exists()


def test_changed_key_is_refused_and_never_offered(journal, sshd, ssh_keys, tmp_path) -> None:
    impostor = keygen(tmp_path / "other_host_key", "other")
    known_hosts = ssh_keys.known_hosts(tmp_path / "known_hosts", [sshd.port], public=impostor)
    real = openssh_fingerprint(ssh_keys.host_key.with_suffix(".pub"))
    # Even an answers file that lists the new key's fingerprint cannot accept a changed key.
    run_id, outcome, operator = run(
        journal, sshd, known_hosts, Answers(accept_host_keys=[real], on_failure="abort")
    )
    assert outcome.status == RunStatus.aborted
    assert operator.offered == []
    assert not of_type(journal.events(run_id), EventType.host_key_accepted)
    (finished,) = of_type(journal.events(run_id), EventType.step_finished, "check")
    reason = finished.data["reason"]
    assert "HOST KEY CHANGED — REFUSED" in reason
    assert real in reason
    assert openssh_fingerprint(tmp_path / "other_host_key.pub") in reason
    assert finished.data["details"]["host_keys_changed"][0]["changed"] is True
    assert known_hosts.read_text().count("\n") == 1


def executor_and_step(sshd: Any, **target: Any) -> tuple[SshExecutor, SshStep]:
    targets = Targets.model_validate({"ssh": {"app-1": sshd.target(**target)}})
    step = SshStep.model_validate(STEP)
    return SshExecutor(targets), step


def ctx() -> ExecContext:
    return ExecContext(run_id="r", step_id="check", attempt=1, output=lambda s, line: None)


def test_default_known_hosts_is_the_users(sshd, ssh_keys, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    executor, step = executor_and_step(sshd)
    try:
        first = executor.execute(step, ctx())
        assert not first.ok and str(tmp_path / ".ssh" / "known_hosts") in (first.reason or "")
        (key,) = first.unknown_host_keys
        executor.accept_host_key(key)
        assert executor.execute(step, ctx()).ok
    finally:
        executor.close()
    saved = tmp_path / ".ssh" / "known_hosts"
    assert saved.read_text() == f"[127.0.0.1]:{sshd.port} {ssh_keys.host_public}\n"
    assert saved.stat().st_mode & 0o777 == 0o600
    # A new run (a new executor) trusts the saved key without asking.
    executor, step = executor_and_step(sshd)
    try:
        assert executor.execute(step, ctx()).ok
    finally:
        executor.close()


def test_hashed_known_hosts_entries_are_understood(sshd, ssh_keys, tmp_path) -> None:
    known_hosts = ssh_keys.known_hosts(tmp_path / "known_hosts", [sshd.port])
    subprocess.run(["ssh-keygen", "-H", "-f", str(known_hosts)], capture_output=True, check=True)
    assert "127.0.0.1" not in known_hosts.read_text()
    executor, step = executor_and_step(sshd, known_hosts=str(known_hosts))
    try:
        assert executor.execute(step, ctx()).ok
    finally:
        executor.close()


@pytest.mark.parametrize("content", ["not a known_hosts line at all\n", ""])
def test_unreadable_or_empty_known_hosts_does_not_trust_anything(
    sshd, tmp_path, content: str
) -> None:
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(content)
    executor, step = executor_and_step(sshd, known_hosts=str(known_hosts))
    try:
        result = executor.execute(step, ctx())
    finally:
        executor.close()
    assert not result.ok
    assert "host key unknown" in (result.reason or "")


def test_a_key_that_cannot_be_saved_is_still_trusted_for_the_run(sshd, tmp_path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where a folder should be")
    known_hosts = blocker / "known_hosts"
    executor, step = executor_and_step(sshd, known_hosts=str(known_hosts))
    lines: list[str] = []
    context = ExecContext("r", "check", 1, output=lambda stream, line: lines.append(line))
    try:
        (key,) = executor.execute(step, context).unknown_host_keys
        executor.accept_host_key(key)
        assert executor.execute(step, context).ok
    finally:
        executor.close()
    assert any(f"could not add the key to {known_hosts}" in line for line in lines)
    assert lines[-1] == "ok"
