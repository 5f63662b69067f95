"""Retry the failed hosts only, against real sshd processes: a non-idempotent command that
succeeded on 17 of 20 hosts never runs there again; the report lists every host once.

The 17 good "hosts" are aliases of one sshd; the 3 that fail each point at their own sshd, which
is stopped for the first attempt and restarted before the retry. The command appends one line to
a marker file named after the sshd's port (``$SSH_CONNECTION``'s last field), so the good
hosts' marker counts their runs (17 lines = once each) and each failed host has its own marker.
"""

from __future__ import annotations

import re
import signal
from pathlib import Path
from typing import Any

import pytest

from deploytui.console import show_text
from deploytui.engine.headless import Answers, HeadlessOperator, load_answers
from deploytui.engine.operator import Decision, Failure, StepView
from deploytui.export.model import build_document
from deploytui.journal.report import build_report
from deploytui.model.events import EventType, RunStatus, StepStatus
from deploytui.model.steps import StepBase
from deploytui.playbook.loader import parse_playbook
from tests.core_helpers import cli, drive, of_type, playbook_text, query, wait_for
from tests.integration.test_crash_resume import events as journal_events
from tests.integration.test_crash_resume import spawn
from tests.sshd_helpers import ssh_playbook

NAMES = [f"web-{number:02d}" for number in range(1, 21)]
DOWN = ["web-04", "web-11", "web-17"]


class Fleet:
    """20 hosts; DOWN each on its own sshd (stopped until ``restart``)."""

    def __init__(self, sshd: Any, servers: list[Any], known_hosts: Path, folder: Path) -> None:
        self.sshd = sshd
        self.servers = dict(zip(DOWN, servers, strict=True))
        self.known_hosts = known_hosts
        self.folder = folder
        folder.mkdir()

    def targets(self) -> dict[str, Any]:
        hosts = {
            name: self.servers.get(name, self.sshd).target(known_hosts=str(self.known_hosts))
            for name in NAMES
        }
        return {"ssh": hosts, "groups": {"web": list(NAMES)}}

    def command(self, extra: str = "") -> str:
        # Not idempotent: every run appends a line. ``extra`` runs after the append.
        return f'echo once >> {self.folder}/marker-"${{SSH_CONNECTION##* }}"{extra}'

    def lines(self, name: str) -> int:
        port = self.servers.get(name, self.sshd).port
        marker = self.folder / f"marker-{port}"
        return len(marker.read_text().splitlines()) if marker.exists() else 0

    def restart(self, names: list[str] = DOWN) -> None:
        for name in names:
            self.servers[name].start()


@pytest.fixture
def fleet(ssh_keys: Any, sshd: Any, sshd_factory: Any, tmp_path: Path) -> Fleet:
    servers = sshd_factory(len(DOWN))
    for server in servers:
        server.stop()
    ports = [sshd.port, *(server.port for server in servers)]
    known_hosts = ssh_keys.known_hosts(tmp_path / "known_hosts", ports)
    return Fleet(sshd, servers, known_hosts, tmp_path / "markers")


def playbook(fleet: Fleet, **step: Any) -> str:
    base = {
        "id": "deploy",
        "kind": "ssh",
        "title": "Append once",
        "hosts": "web",
        "command": fleet.command(),
    }
    after = {"id": "after", "kind": "local", "title": "After", "command": "true"}
    return ssh_playbook(fleet.targets(), [{**base, **step}, after])


class Recording(HeadlessOperator):
    """The headless operator, remembering each Failure the engine offered."""

    def __init__(self, answers: Answers) -> None:
        super().__init__(answers, say=lambda text: None)
        self.failures: list[Failure] = []

    def on_failure(self, step: StepBase, view: StepView, failure: Failure) -> Decision:
        self.failures.append(failure)
        return super().on_failure(step, view, failure)


def answers_file(tmp_path: Path, text: str) -> Answers:
    path = tmp_path / "answers.yaml"
    path.write_text(playbook_text(text))
    return load_answers(path)


def by_host(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["host"]: entry for entry in data["details"]["hosts"]}


def test_retry_failed_hosts_runs_only_them_and_reports_every_host_once(
    journal: Any, fleet: Fleet, tmp_path: Path
) -> None:
    # max_failures 0: the first failure fails the step, but all 20 start at once (concurrency).
    loaded = parse_playbook(playbook(fleet, max_failures=0, concurrency=20), "fleet.yaml")
    first = Recording(Answers(on_failure="stop"))
    run_id, outcome = drive(journal, loaded, first)
    assert outcome.status == RunStatus.waiting
    (failure,) = first.failures
    assert failure.failed_hosts == DOWN and failure.host_count == 20
    assert fleet.lines("web-01") == 17 and fleet.lines("web-04") == 0

    fleet.restart()
    second = Recording(answers_file(tmp_path, "decisions:\n  deploy: [retry_failed]\n"))
    _, outcome = drive(journal, loaded, second, run_id=run_id)
    assert outcome.status == RunStatus.completed, outcome.message
    # The good hosts ran once (17 lines for 17 aliases), each restarted host once.
    assert fleet.lines("web-01") == 17
    assert [fleet.lines(name) for name in DOWN] == [1, 1, 1]

    events = journal.events(run_id)
    decisions = of_type(events, EventType.decision, "deploy")
    assert [(e.data["action"], e.data.get("hosts")) for e in decisions] == [("retry_failed", DOWN)]
    starts = of_type(events, EventType.step_started, "deploy")
    assert [(e.attempt, e.data.get("hosts")) for e in starts] == [(1, None), (2, DOWN)]
    last = of_type(events, EventType.step_finished, "deploy")[-1]
    assert last.data["status"] == StepStatus.succeeded
    hosts = by_host(last.data)
    assert [entry["host"] for entry in last.data["details"]["hosts"]] == NAMES  # once, in order
    assert all(entry["ok"] for entry in hosts.values())
    assert {name for name, entry in hosts.items() if entry.get("retried")} == set(DOWN)
    assert last.data["details"]["failed"] == 0 and last.data["details"]["retried_hosts"] == DOWN

    text = show_text(build_report(journal, run_id))
    for name in NAMES:  # one host line each, all succeeded
        assert len(re.findall(rf"^\s+[✓✗] {name}\b", text, re.MULTILINE)) == 1, name
    assert not re.search(r"^\s+✗ web-", text, re.MULTILINE)
    assert "retry failed hosts (web-04, web-11, web-17)" in text
    # The export (JSON, Markdown, HTML share this model) has every host once, all succeeded.
    document = build_document(journal, run_id)
    (exported,) = [step for phase in document.phases for step in phase.steps if step.id == "deploy"]
    assert [host.host for host in exported.hosts] == NAMES and all(h.ok for h in exported.hosts)
    assert "retry_failed (web-04, web-11, web-17): by operator" in exported.retries


def test_automatic_retries_run_only_the_failed_hosts(journal: Any, fleet: Fleet) -> None:
    loaded = parse_playbook(
        playbook(fleet, max_failures=0, concurrency=20, retries=1, retry_delay="0s"), "f.yaml"
    )
    run_id, outcome = drive(journal, loaded, Recording(Answers(on_failure="stop")))
    assert outcome.status == RunStatus.waiting  # still down after the automatic retry
    assert fleet.lines("web-01") == 17  # the automatic retry did not touch the good hosts
    events = journal.events(run_id)
    (automatic,) = of_type(events, EventType.decision, "deploy")
    assert automatic.data["action"] == "retry_failed" and automatic.data["automatic"] is True
    assert automatic.data["hosts"] == DOWN
    starts = of_type(events, EventType.step_started, "deploy")
    assert [e.data.get("hosts") for e in starts] == [None, DOWN]


def test_a_partial_retry_keeps_the_rollout_rules_and_offers_what_is_left(
    journal: Any, fleet: Fleet
) -> None:
    # Batches of 5, no failure tolerated: web-04 fails in batch 1, batches 2-4 never start.
    loaded = parse_playbook(playbook(fleet, serial=5, concurrency=5, max_failures=0), "f.yaml")
    operator = Recording(Answers(decisions={"deploy": ["retry_failed", "retry_failed"]}))
    comeback = [DOWN[:2], DOWN[2:]]  # before the first retry two come back, then the last

    def restart_then_answer(step: StepBase, view: StepView, failure: Failure) -> Decision:
        fleet.restart(comeback.pop(0))
        return Recording.on_failure(operator, step, view, failure)

    operator.on_failure = restart_then_answer  # type: ignore[method-assign]
    run_id, outcome = drive(journal, loaded, operator)
    assert outcome.status == RunStatus.completed, outcome.message
    first, second = operator.failures
    not_started = NAMES[5:]
    assert first.failed_hosts == ["web-04", *not_started] and first.host_count == 20
    # The retry ran 16 hosts in batches of 5; web-17 (still down) stopped it after batch 3.
    assert second.failed_hosts == ["web-17", "web-20"] and second.host_count == 20
    assert fleet.lines("web-01") == 17  # every good host exactly once over three attempts
    assert [fleet.lines(name) for name in DOWN] == [1, 1, 1]

    events = journal.events(run_id)
    starts = of_type(events, EventType.step_started, "deploy")
    assert [e.data.get("hosts") for e in starts] == [None, first.failed_hosts, ["web-17", "web-20"]]
    finished = of_type(events, EventType.step_finished, "deploy")
    middle = by_host(finished[1].data)
    assert len(finished[1].data["details"]["hosts"]) == 20
    assert middle["web-01"]["ok"] and middle["web-01"].get("retried") is None  # carried over
    assert middle["web-17"]["status"] == "failed" and middle["web-20"]["status"] == "not_started"
    assert [middle[name]["batch"] for name in ("web-04", "web-10", "web-15")] == [1, 2, 3]
    assert finished[1].data["reason"].startswith("1 of 16 hosts failed (web-17: refused)")
    assert all(entry["ok"] for entry in by_host(finished[2].data).values())


def test_a_crash_during_the_partial_retry_resumes_on_the_same_hosts(
    fleet: Fleet, tmp_path: Path
) -> None:
    hold = tmp_path / "hold"
    journal = tmp_path / "journal.db"
    path = tmp_path / "fleet.yaml"
    command = fleet.command(f"; while [ -e {hold} ]; do sleep 0.1; done")
    path.write_text(playbook(fleet, max_failures=0, concurrency=20, command=command))
    stop = tmp_path / "stop.yaml"
    stop.write_text("on_failure: stop\n")
    retry = tmp_path / "retry.yaml"
    retry.write_text("decisions:\n  deploy: [retry_failed]\non_interrupted: rerun\n")

    first = cli("--journal", str(journal), "run", str(path), "--headless", "--answers", str(stop))
    assert "deploy" in first.stdout + first.stderr
    run_id = query(journal, "SELECT id FROM runs")[0][0]
    assert fleet.lines("web-01") == 17

    fleet.restart()
    hold.touch()  # the retried hosts now block after appending, until the hold is gone
    process = spawn(
        ["--journal", str(journal), "resume", run_id, "--headless", "--answers", str(retry)]
    )
    try:
        wait_for(
            lambda: all(fleet.lines(name) == 1 for name in DOWN),
            timeout=60,
            what="the retried hosts to run",
        )
        process.kill()  # a crash in the middle of the partial retry
    finally:
        process.communicate(timeout=30)
        hold.unlink()
    assert process.returncode == -signal.SIGKILL

    resumed = cli(
        "--journal", str(journal), "resume", run_id, "--headless", "--answers", str(retry),
        "--take-over",
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    # The re-run after the crash went to the same three hosts, never to the good ones.
    assert fleet.lines("web-01") == 17
    assert [fleet.lines(name) for name in DOWN] == [2, 2, 2]
    found = journal_events(journal, run_id)
    deploy = [e for e in found if e["step"] == "deploy"]
    starts = [(e["attempt"], e["data"].get("hosts")) for e in deploy if e["type"] == "step_started"]
    assert starts == [(1, None), (2, DOWN), (3, DOWN)]
    decisions = [e["data"]["action"] for e in deploy if e["type"] == "decision"]
    assert decisions == ["retry_failed", "rerun"]
    last = [e for e in deploy if e["type"] == "step_finished"][-1]
    assert last["data"]["status"] == "succeeded"
    assert [entry["host"] for entry in last["data"]["details"]["hosts"]] == NAMES
    assert all(entry["ok"] for entry in last["data"]["details"]["hosts"])


def test_retry_failed_for_a_step_without_hosts_stops_instead_of_retrying_all(
    journal: Any, tmp_path: Path
) -> None:
    loaded = parse_playbook(
        playbook_text(
            """
            name: local
            phases:
              - id: main
                title: Main
                steps:
                  - {id: flaky, kind: local, title: Flaky, command: "echo run >> runs; exit 1"}
            """
        ),
        "local.yaml",
    )
    operator = Recording(answers_file(tmp_path, "decisions:\n  flaky: [retry_failed]\n"))
    run_id, outcome = drive(journal, loaded, operator)
    assert operator.failures[0].failed_hosts == []
    assert outcome.status == RunStatus.waiting
    assert "not available" in (outcome.message or "")
    assert not [e for e in journal.events(run_id) if e.data.get("action") == "retry_failed"]
