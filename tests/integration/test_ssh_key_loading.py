"""Private keys in a fan-out: read once per run and shared by every host that names the key;
a key that cannot be read here (a passphrase) still gets its own sentence.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import paramiko

from deploytui.executors.base import ExecContext
from deploytui.executors.ssh import SshExecutor
from deploytui.model.playbook import Targets
from deploytui.model.ssh_step import SshStep


def execute(targets: dict[str, Any], **fields: Any):
    executor = SshExecutor(Targets.model_validate(targets))
    lines: list[str] = []
    ctx = ExecContext("r", "s", 1, output=lambda stream, line: lines.append(line))
    step = SshStep.model_validate({"id": "s", "title": "t", "kind": "ssh", **fields})
    try:
        return executor.execute(step, ctx), lines
    finally:
        executor.close()


def test_a_key_shared_by_many_hosts_is_read_once(ssh_keys, sshd, tmp_path: Path, monkeypatch):
    known_hosts = ssh_keys.known_hosts(tmp_path / "known_hosts", [sshd.port])
    reads: list[str] = []
    original = paramiko.PKey.from_path

    def counting(path: Any, passphrase: Any = None) -> paramiko.PKey:
        reads.append(str(path))
        return original(path, passphrase)

    monkeypatch.setattr(paramiko.PKey, "from_path", counting)
    names = [f"web-{number}" for number in range(1, 6)]
    targets = {
        "ssh": {name: sshd.target(known_hosts=str(known_hosts)) for name in names},
        "groups": {"web": names},
    }
    result, lines = execute(targets, hosts="web", command="echo ok", concurrency=5)
    assert result.ok, result.reason
    assert [entry["ok"] for entry in result.details["hosts"]] == [True] * 5
    assert sum(1 for line in lines if line.endswith("] ok")) == 5
    assert reads == [str(ssh_keys.client_key)]


def test_a_key_with_a_passphrase_is_explained(ssh_keys, sshd, tmp_path: Path) -> None:
    key = tmp_path / "locked_ed25519"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "s3cret", "-C", "locked", "-f", str(key)],
        check=True,
        capture_output=True,
    )
    known_hosts = ssh_keys.known_hosts(tmp_path / "known_hosts", [sshd.port])
    targets = {"ssh": {"db-1": sshd.target(known_hosts=str(known_hosts), key_file=str(key))}}
    result, _ = execute(targets, hosts="db-1", command="echo never")
    assert not result.ok
    assert f"key file {key} is protected by a passphrase" in (result.reason or "")
    assert "ssh-agent" in (result.reason or "")
