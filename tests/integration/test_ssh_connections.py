"""Connections against real sshd processes: reuse across steps, transparent reconnects, a server
dying mid-command, auth failures, refused and unreachable hosts, a jump host.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from deploytui.engine.headless import Answers, HeadlessOperator
from deploytui.executors.base import ExecContext
from deploytui.executors.ssh import SshExecutor
from deploytui.model.events import Event, EventType, RunStatus
from deploytui.model.playbook import Targets
from deploytui.model.ssh_step import SshStep
from deploytui.playbook.loader import parse_playbook
from tests.core_helpers import drive, of_type
from tests.sshd_helpers import keygen, ssh_playbook


def step(**fields: Any) -> SshStep:
    return SshStep.model_validate({"id": "s", "title": "t", "kind": "ssh", **fields})


def execute(targets: dict[str, Any], **fields: Any):
    executor = SshExecutor(Targets.model_validate(targets))
    lines: list[str] = []
    ctx = ExecContext("r", "s", 1, output=lambda stream, line: lines.append(line))
    try:
        return executor.execute(step(**fields), ctx), lines
    finally:
        executor.close()


def logins(server: Any) -> int:
    return server.log.read_text().count("Accepted publickey")


def test_connection_is_reused_across_steps_and_reopened_after_a_drop(
    journal, ssh_keys, sshd_factory, tmp_path: Path
) -> None:
    (server,) = sshd_factory(1)
    known_hosts = ssh_keys.known_hosts(tmp_path / "known_hosts", [server.port])
    targets = {"ssh": {"db-1": server.target(known_hosts=str(known_hosts))}}
    steps = [
        {
            "id": f"s{number}",
            "kind": "ssh",
            "title": f"Step {number}",
            "hosts": "db-1",
            "command": f"echo {number}",
        }
        for number in (1, 2, 3)
    ]
    loaded = parse_playbook(ssh_playbook(targets, steps), "reuse.yaml")

    def listener(item: Any) -> None:
        # Between steps 2 and 3 the host drops every connection (as a restart would).
        if (
            isinstance(item, Event)
            and item.type == EventType.step_finished
            and item.step_id == "s2"
        ):
            server.drop_sessions()

    run_id, outcome = drive(journal, loaded, HeadlessOperator(Answers()), listener=listener)
    assert outcome.status == RunStatus.completed
    hosts = {
        event.step_id: event.data["details"]["hosts"][0]
        for event in of_type(journal.events(run_id), EventType.step_finished)
    }
    assert "reconnected" not in hosts["s1"] and "reconnected" not in hosts["s2"]
    assert hosts["s3"]["reconnected"] is True
    assert logins(server) == 2  # one for steps 1–2, one after the drop


def test_server_stopped_mid_command_fails_the_step_with_the_reason(
    ssh_keys, sshd_factory, tmp_path: Path
) -> None:
    (server,) = sshd_factory(1)
    known_hosts = ssh_keys.known_hosts(tmp_path / "known_hosts", [server.port])
    targets = Targets.model_validate(
        {"ssh": {"web-3": server.target(known_hosts=str(known_hosts))}}
    )
    executor = SshExecutor(targets)
    started = threading.Event()
    ctx = ExecContext(
        "r", "s", 1, output=lambda stream, line: started.set() if line == "started" else None
    )
    result: dict[str, Any] = {}
    worker = threading.Thread(
        target=lambda: result.update(
            r=executor.execute(step(hosts="web-3", command="echo started; sleep 60"), ctx)
        )
    )
    worker.start()
    try:
        assert started.wait(20)
        server.stop()
        worker.join(30)
        assert not worker.is_alive()
    finally:
        executor.close()
    assert result["r"].reason == "connection to web-3 lost during the command"
    assert result["r"].details["hosts"][0]["exit_code"] is None


def test_wrong_key_is_an_auth_failure_naming_user_and_key(sshd, ssh_keys, tmp_path) -> None:
    stranger = tmp_path / "stranger_key"
    keygen(stranger, "stranger")
    known_hosts = ssh_keys.known_hosts(tmp_path / "known_hosts", [sshd.port])
    target = sshd.target(key_file=str(stranger), known_hosts=str(known_hosts), user="root")
    result, _ = execute({"ssh": {"app": target}}, hosts="app", command="true")
    assert not result.ok
    assert result.reason.startswith(
        f"app (127.0.0.1:{sshd.port}): authentication failed for user root with key {stranger}"
    )


def test_missing_key_file_is_named(sshd, tmp_path) -> None:
    target = sshd.target(key_file=str(tmp_path / "nope"), known_hosts=str(tmp_path / "kh"))
    result, _ = execute({"ssh": {"app": target}}, hosts="app", command="true")
    assert (
        result.reason == f"app (127.0.0.1:{sshd.port}): key file {tmp_path / 'nope'} does not exist"
    )
    # A folder where the key should be is named as such, not as missing.
    target = sshd.target(key_file=str(tmp_path), known_hosts=str(tmp_path / "kh"))
    result, _ = execute({"ssh": {"app": target}}, hosts="app", command="true")
    assert result.reason == f"app (127.0.0.1:{sshd.port}): key file {tmp_path} is not a file"


def test_refused_port_is_reported_as_refused(ssh_keys, sshd_factory, tmp_path) -> None:
    (server,) = sshd_factory(1)
    server.stop()
    target = server.target(known_hosts=str(tmp_path / "kh"))
    result, _ = execute({"ssh": {"app": target}}, hosts="app", command="true")
    assert result.reason == (
        f"app (127.0.0.1:{server.port}): connection refused (is sshd running?)"
    )


def test_unresolvable_host_is_reported(sshd, tmp_path) -> None:
    target = sshd.target(host="no-such-host.invalid", known_hosts=str(tmp_path / "kh"))
    result, _ = execute({"ssh": {"app": target}}, hosts="app", command="true")
    assert result.reason == (
        f"app (no-such-host.invalid:{sshd.port}): cannot resolve host name no-such-host.invalid"
    )


def test_jump_host_tunnels_to_the_target(sshd, ssh_keys, tmp_path) -> None:
    known_hosts = ssh_keys.known_hosts(tmp_path / "known_hosts", [sshd.port])
    targets = {
        "ssh": {
            "bastion": sshd.target(known_hosts=str(known_hosts)),
            # Reached only through the bastion's direct-tcpip tunnel.
            "inner": sshd.target(known_hosts=str(known_hosts), jump="bastion"),
        }
    }
    before = logins(sshd)
    result, lines = execute(targets, hosts="inner", command="echo via-jump")
    assert result.ok, result.reason
    assert lines == ["via-jump"]
    assert logins(sshd) - before == 2  # the bastion, then the target through it


def test_jump_host_failure_is_named(sshd, ssh_keys, sshd_factory, tmp_path) -> None:
    (dead,) = sshd_factory(1)
    dead.stop()
    known_hosts = ssh_keys.known_hosts(tmp_path / "known_hosts", [sshd.port])
    targets = {
        "ssh": {
            "bastion": dead.target(known_hosts=str(known_hosts)),
            "inner": sshd.target(known_hosts=str(known_hosts), jump="bastion"),
        }
    }
    result, _ = execute(targets, hosts="inner", command="true")
    assert result.reason == (
        f"inner: cannot reach jump host bastion (127.0.0.1:{dead.port}): "
        "connection refused (is sshd running?)"
    )


@pytest.mark.parametrize("hosts", ["ghost", ["ghost"]])
def test_unknown_target_at_run_time_fails_clearly(hosts: Any) -> None:
    result, _ = execute({"ssh": {}}, hosts=hosts, command="true")
    assert result.reason == "ghost: not an ssh target (define it under targets.ssh)"
