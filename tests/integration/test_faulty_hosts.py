"""Faulty hosts, end to end: the one place that proves issue 6's list through the real engine.

Every fault here is real (an sshd on loopback that is stopped, killed mid-command, impersonated
or silent; a real HTTP(S) server that is slow, fails or has an expired certificate). Each case
drives the Engine in-process with a recording operator and checks, for its fault:

- the step fails with a sentence naming the host (or URL) and the reason — asserted verbatim;
- the journal is intact: ``deploytui verify RUN`` passes and the ``step_finished`` event
  carries that same reason;
- the operator is offered the failure with ``can_rollback`` true (the playbook has rollback
  steps), and the decision taken (retry / skip / abort / roll back; each used at least twice
  across the cases) does what it says.

Executor-level details already proven elsewhere (stdout streaming, the remote process being
killed on timeout, fan-out thresholds, TLS variants) are not repeated; docs/reliability.md
points at those tests.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploytui.cli import main as cli_main
from deploytui.engine.operator import Decision, Failure, StepView
from deploytui.journal import Journal
from deploytui.model.events import EventType, RunStatus
from deploytui.model.steps import StepBase
from deploytui.playbook.loader import parse_playbook
from tests.conftest import HttpServer
from tests.core_helpers import ScriptedOperator, decision, drive, finished_statuses, of_type
from tests.integration.http_support import make_ca, make_leaf, tls_server
from tests.sshd_helpers import keygen

# -- the playbook every case runs: the faulty step, a step after it, and a rollback ------------


def playbook(
    targets: dict[str, Any], probe: dict[str, Any], *, rollback: bool = True, tmp: Path
) -> Any:
    """``probe`` (the faulty step), then ``after``; rollback writes a marker file."""
    data: dict[str, Any] = {
        "name": "faulty hosts",
        "targets": targets,
        "phases": [
            {
                "id": "main",
                "title": "Main",
                "steps": [
                    {"id": "probe", "title": "Probe", **probe},
                    {
                        "id": "after",
                        "kind": "local",
                        "title": "After",
                        "command": f"touch {tmp / 'after-ran'}",
                    },
                ],
            }
        ],
    }
    if rollback:
        data["rollback"] = {
            "steps": [
                {
                    "id": "undo",
                    "kind": "local",
                    "title": "Undo",
                    "command": f"touch {tmp / 'undo-ran'}",
                }
            ]
        }
    return parse_playbook(yaml.safe_dump(data, sort_keys=False), "faulty.yaml")


class RecordingOperator(ScriptedOperator):
    """Records every failure offered; ``before_decision`` repairs the host (for a retry)."""

    def __init__(self, answer: Decision, before_decision: Callable[[], None] | None = None):
        super().__init__(failures={"probe": [answer]})
        self.before_decision = before_decision
        self.offered: list[tuple[str, StepView, Failure]] = []

    def on_failure(self, step: StepBase, view: StepView, failure: Failure) -> Decision:
        self.offered.append((step.id, view, failure))
        if self.before_decision is not None:
            self.before_decision()
        return super().on_failure(step, view, failure)


@dataclass
class Case:
    """What a fault case ran: the run, its events, what the operator was offered."""

    journal: Journal
    journal_path: Path
    run_id: str
    status: RunStatus
    operator: RecordingOperator
    tmp: Path
    events: list[Any] = field(default_factory=list)

    @property
    def first_failure(self) -> dict[str, Any]:
        finished = of_type(self.events, EventType.step_finished, "probe")
        return finished[0].data


def run_case(
    journal: Journal,
    journal_path: Path,
    tmp: Path,
    targets: dict[str, Any],
    probe: dict[str, Any],
    answer: Decision,
    *,
    before_decision: Callable[[], None] | None = None,
    rollback: bool = True,
) -> Case:
    loaded = playbook(targets, probe, rollback=rollback, tmp=tmp)
    operator = RecordingOperator(answer, before_decision)
    run_id, outcome = drive(journal, loaded, operator)
    return Case(
        journal=journal,
        journal_path=journal_path,
        run_id=run_id,
        status=outcome.status,
        operator=operator,
        tmp=tmp,
        events=journal.events(run_id),
    )


def assert_failure_offered(case: Case, reason: str | re.Pattern[str]) -> str:
    """The step failed with ``reason``, journaled and offered as such, rollback available."""
    data = case.first_failure
    assert data["status"] == "failed"
    journaled = data["reason"]
    if isinstance(reason, re.Pattern):
        assert reason.fullmatch(journaled), journaled
    else:
        assert journaled == reason
    (step_id, view, failure), *_ = case.operator.offered
    assert step_id == "probe" and view.step_id == "probe"
    assert failure.reason == journaled
    assert failure.attempt == 1
    assert failure.can_rollback is True
    return journaled


def assert_journal_verifies(case: Case, capsys: pytest.CaptureFixture[str]) -> None:
    """``deploytui verify RUN`` (the real CLI, in-process) passes on the run."""
    capsys.readouterr()
    code = cli_main(["--journal", str(case.journal_path), "verify", case.run_id])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.startswith(f"✓ run {case.run_id}: ")


def assert_decision_applied(case: Case, action: str) -> None:
    """The operator's choice did what it says, seen in the journal and on disk."""
    after_ran = (case.tmp / "after-ran").exists()
    undo_ran = (case.tmp / "undo-ran").exists()
    statuses = finished_statuses(case.journal, case.run_id, "probe")
    decisions = [e.data["action"] for e in of_type(case.events, EventType.decision, "probe")]
    assert decisions == [action]
    if action == "retry":
        assert statuses == ["failed", "succeeded"]
        attempts = [e.attempt for e in of_type(case.events, EventType.step_started, "probe")]
        assert attempts == [1, 2]
        assert case.status == RunStatus.completed and after_ran and not undo_ran
    elif action == "skip":
        assert statuses == ["failed", "skipped"]
        assert case.first_failure["reason"]  # the failure stays on record next to the skip
        skipped = of_type(case.events, EventType.step_finished, "probe")[-1].data
        assert skipped["reason"] == "host is known bad tonight"
        assert case.status == RunStatus.completed and after_ran and not undo_ran
    elif action == "abort":
        assert statuses == ["failed"]
        assert case.status == RunStatus.aborted and not after_ran and not undo_ran
        assert not of_type(case.events, EventType.step_started, "after")
    elif action == "rollback":
        assert statuses == ["failed"]
        assert of_type(case.events, EventType.rollback_started, "probe")
        assert finished_statuses(case.journal, case.run_id, "undo") == ["succeeded"]
        assert case.status == RunStatus.rolled_back and undo_ran and not after_ran
    else:  # pragma: no cover - a typo in a test
        raise AssertionError(action)


ANSWERS = {
    "retry": decision("retry"),
    "skip": decision("skip", "host is known bad tonight"),
    "abort": decision("abort"),
    "rollback": decision("rollback", "host failed"),
}


# -- SSH faults -----------------------------------------------------------------------------------


@pytest.fixture
def known_hosts(ssh_keys: Any, tmp_path: Path) -> Callable[..., Path]:
    def make(*servers: Any, public: str | None = None) -> Path:
        return ssh_keys.known_hosts(
            tmp_path / "known_hosts", [server.port for server in servers], public
        )

    return make


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts TCP connections and never says a word: a hung host."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()


def ssh_probe(hosts: str, command: str = "echo ok", **extra: Any) -> dict[str, Any]:
    return {"kind": "ssh", "hosts": hosts, "command": command, **extra}


def test_unreachable_host_fails_naming_it_then_skip(
    journal, journal_path, tmp_path, ssh_keys, silent_port, capfd
) -> None:
    target = {
        "host": "127.0.0.1",
        "port": silent_port,
        "user": ssh_keys.user,
        "key_file": str(ssh_keys.client_key),
        "known_hosts": str(tmp_path / "kh"),
        "connect_timeout": 1,
    }
    case = run_case(
        journal, journal_path, tmp_path, {"ssh": {"db-2": target}}, ssh_probe("db-2"),
        ANSWERS["skip"],
    )  # fmt: skip
    assert_failure_offered(
        case,
        f"db-2 (127.0.0.1:{silent_port}): no SSH answer within 1s (the port accepts "
        "connections but no SSH server answers: the host may be hung or overloaded)",
    )
    # paramiko's own log line ("Error reading SSH protocol banner") never reaches the terminal.
    assert "SSH protocol banner" not in capfd.readouterr().err
    assert_journal_verifies(case, capfd)
    assert_decision_applied(case, "skip")


def test_refused_connection_then_retry_once_sshd_is_back(
    journal, journal_path, tmp_path, sshd_factory, known_hosts, capsys
) -> None:
    (server,) = sshd_factory(1)
    kh = known_hosts(server)
    server.stop()
    targets = {"ssh": {"db-1": server.target(known_hosts=str(kh))}}
    case = run_case(
        journal, journal_path, tmp_path, targets, ssh_probe("db-1"), ANSWERS["retry"],
        before_decision=server.start,  # the operator restarts sshd, then retries
    )  # fmt: skip
    assert_failure_offered(
        case, f"db-1 (127.0.0.1:{server.port}): connection refused (is sshd running?)"
    )
    assert_journal_verifies(case, capsys)
    assert_decision_applied(case, "retry")


def test_auth_failure_names_user_and_key_then_abort(
    journal, journal_path, tmp_path, sshd, known_hosts, capsys
) -> None:
    stranger = tmp_path / "stranger_key"
    keygen(stranger, "stranger")
    target = sshd.target(key_file=str(stranger), known_hosts=str(known_hosts(sshd)), user="root")
    case = run_case(
        journal, journal_path, tmp_path, {"ssh": {"app": target}}, ssh_probe("app"),
        ANSWERS["abort"],
    )  # fmt: skip
    assert_failure_offered(
        case,
        re.compile(
            rf"app \(127\.0\.0\.1:{sshd.port}\): authentication failed for user root with key "
            rf"{re.escape(str(stranger))} \(the server refused it: .+\)"
        ),
    )
    assert_journal_verifies(case, capsys)
    assert_decision_applied(case, "abort")


def test_changed_host_key_is_refused_loudly_then_rollback(
    journal, journal_path, tmp_path, sshd, known_hosts, capsys
) -> None:
    impostor = keygen(tmp_path / "old_host_key", "reinstalled")
    kh = known_hosts(sshd, public=impostor)
    targets = {"ssh": {"app": sshd.target(known_hosts=str(kh))}}
    case = run_case(journal, journal_path, tmp_path, targets, ssh_probe("app"), ANSWERS["rollback"])
    reason = assert_failure_offered(
        case,
        re.compile(
            rf"app \(127\.0\.0\.1:{sshd.port}\): HOST KEY CHANGED — REFUSED\. .+ records "
            rf"\[127\.0\.0\.1\]:{sshd.port} as ssh-ed25519 SHA256:\S+ but the server offers "
            r"ssh-ed25519 SHA256:\S+\. Someone may be intercepting the connection\..+"
        ),
    )
    assert "ssh-keygen -R" in reason
    assert not of_type(case.events, EventType.host_key_accepted)
    assert_journal_verifies(case, capsys)
    assert_decision_applied(case, "rollback")


def test_sshd_stopped_mid_command_then_retry_after_restart(
    journal, journal_path, tmp_path, sshd_factory, known_hosts, capsys
) -> None:
    (server,) = sshd_factory(1)
    targets = {"ssh": {"web-3": server.target(known_hosts=str(known_hosts(server)))}}
    marker = tmp_path / "first-attempt"
    # The first attempt prints and then waits; the server dies under it. The retry is quick.
    command = (
        f"if [ -e {marker} ]; then echo second; else touch {marker}; echo started; sleep 60; fi"
    )
    stopped = threading.Event()

    def stop_when_started() -> None:
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        server.stop()
        stopped.set()

    killer = threading.Thread(target=stop_when_started, daemon=True)
    killer.start()
    case = run_case(
        journal, journal_path, tmp_path, targets, ssh_probe("web-3", command), ANSWERS["retry"],
        before_decision=server.start,
    )  # fmt: skip
    killer.join(5)
    assert stopped.is_set()
    assert_failure_offered(case, "connection to web-3 lost during the command")
    assert case.first_failure["details"]["hosts"][0]["exit_code"] is None
    assert_journal_verifies(case, capsys)
    assert_decision_applied(case, "retry")


def test_a_hanging_command_times_out_naming_the_host_then_rollback(
    journal, journal_path, tmp_path, sshd, known_hosts, capsys
) -> None:
    targets = {"ssh": {"app-1": sshd.target(known_hosts=str(known_hosts(sshd)))}}
    probe = ssh_probe("app-1", "sleep 300", timeout="1s")
    case = run_case(journal, journal_path, tmp_path, targets, probe, ANSWERS["rollback"])
    assert_failure_offered(case, "app-1: the command timed out after 1s")
    assert_journal_verifies(case, capsys)
    assert_decision_applied(case, "rollback")


def test_one_host_of_twenty_failing_during_fan_out_then_retry(
    journal, journal_path, tmp_path, sshd, sshd_factory, known_hosts, capsys
) -> None:
    (flaky,) = sshd_factory(1)
    kh = known_hosts(sshd, flaky)
    flaky.stop()
    names = [f"web-{number:02d}" for number in range(1, 21)]
    hosts = {
        name: (flaky if name == "web-13" else sshd).target(known_hosts=str(kh)) for name in names
    }
    targets = {"ssh": hosts, "groups": {"web": names}}
    probe = ssh_probe("web", "echo deployed", concurrency=10)
    case = run_case(
        journal, journal_path, tmp_path, targets, probe, ANSWERS["retry"],
        before_decision=flaky.start,
    )  # fmt: skip
    assert_failure_offered(
        case,
        re.compile(r"1 of 20 hosts failed \(web-13: refused\); rollout stopped early.*"),
    )
    per_host = {entry["host"]: entry for entry in case.first_failure["details"]["hosts"]}
    assert len(per_host) == 20
    assert per_host["web-13"]["reason"] == (
        f"web-13 (127.0.0.1:{flaky.port}): connection refused (is sshd running?)"
    )
    # The default max_failures is 0: the rollout stops at the failure; no host fails silently.
    assert [name for name, entry in per_host.items() if entry["status"] == "failed"] == ["web-13"]
    assert {entry["status"] for entry in per_host.values()} <= {
        "succeeded",
        "failed",
        "not_started",
    }
    assert_journal_verifies(case, capsys)
    assert_decision_applied(case, "retry")


# -- HTTP faults ----------------------------------------------------------------------------------


def test_slow_endpoint_past_its_timeout_then_retry_once_fast(
    journal, journal_path, tmp_path, http_server: HttpServer, capsys
) -> None:
    slow = threading.Event()
    slow.set()

    def health(request: Any) -> tuple[int, Any]:
        if slow.is_set():
            time.sleep(8)  # well past the timeout, however loaded the machine
        return 200, {"status": "ok"}

    http_server.route("GET", "/health", health)
    # A timeout generous enough that the recovered (instant) answer is never late on a busy box.
    targets = {"http": {"api": {"base_url": http_server.url, "timeout": "2s"}}}
    probe = {"kind": "http", "target": "api", "url": "/health"}
    case = run_case(
        journal, journal_path, tmp_path, targets, probe, ANSWERS["retry"],
        before_decision=slow.clear,  # the service recovers before the operator retries
    )  # fmt: skip
    assert_failure_offered(case, f"{http_server.url}/health: no answer within the timeout")
    assert_journal_verifies(case, capsys)
    assert_decision_applied(case, "retry")


def test_endpoint_returning_500_then_abort(
    journal, journal_path, tmp_path, http_server: HttpServer, capsys
) -> None:
    http_server.reply("GET", "/health", 500, {"error": "database unavailable"})
    targets = {"http": {"api": {"base_url": http_server.url}}}
    probe = {"kind": "http", "target": "api", "url": "/health"}
    case = run_case(journal, journal_path, tmp_path, targets, probe, ANSWERS["abort"])
    assert_failure_offered(case, f"{http_server.url}/health: status 500 (expected 200)")
    assert_journal_verifies(case, capsys)
    assert_decision_applied(case, "abort")


def test_expired_certificate_then_skip(journal, journal_path, tmp_path, capsys) -> None:
    ca = make_ca(tmp_path)
    expired = make_leaf(tmp_path, "old", ca=ca, expired=True)
    with tls_server(expired) as port:
        url = f"https://127.0.0.1:{port}"
        targets = {"http": {"api": {"base_url": url, "ca_file": str(ca[0].cert)}}}
        probe = {"kind": "http", "target": "api", "url": "/health"}
        case = run_case(journal, journal_path, tmp_path, targets, probe, ANSWERS["skip"])
    reason = assert_failure_offered(
        case,
        re.compile(rf"{re.escape(url)}/health: TLS certificate not trusted: .+"),
    )
    assert "certificate has expired (renew the certificate)" in reason
    assert_journal_verifies(case, capsys)
    assert_decision_applied(case, "skip")


# -- without rollback steps, rollback is not offered ----------------------------------------------


def test_without_rollback_steps_rollback_is_not_offered_nor_applied(
    journal, journal_path, tmp_path, http_server: HttpServer, capsys
) -> None:
    http_server.reply("GET", "/health", 500, "no")
    targets = {"http": {"api": {"base_url": http_server.url}}}
    probe = {"kind": "http", "target": "api", "url": "/health"}
    case = run_case(
        journal, journal_path, tmp_path, targets, probe, ANSWERS["rollback"], rollback=False
    )
    (_, _, failure), *_ = case.operator.offered
    assert failure.can_rollback is False
    # Asking for it anyway stops the run (resumable) instead of pretending to roll back.
    assert case.status == RunStatus.waiting
    assert not of_type(case.events, EventType.rollback_started)
    assert_journal_verifies(case, capsys)
