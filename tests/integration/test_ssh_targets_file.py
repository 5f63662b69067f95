"""``--targets FILE`` end to end: the same playbook (production host names) runs against the test
sshd, the run journals the file, ``resume`` reuses it (or a new one), ``show`` lists the hosts.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import yaml

from deploytui.journal import Journal
from deploytui.model.events import EventType
from tests.core_helpers import cli

PLAYBOOK = textwrap.dedent(
    """\
    name: app rollout
    targets:
      ssh:
        web-1: {host: web-1.prod.example.com}
        web-2: {host: web-2.prod.example.com}
      groups:
        web: [web-1, web-2]
    phases:
      - id: deploy
        title: Deploy
        steps:
          - id: version
            kind: ssh
            title: Current version
            hosts: web
            command: echo "version 41"
            capture: [{name: old_version, pattern: 'version (\\d+)'}]
          - id: ticket
            kind: input
            title: Change ticket
            fields: [{id: ticket, label: Ticket, type: text}]
          - id: deploy
            kind: ssh
            title: Deploy
            hosts: web
            serial: 1
            command: echo "deploying {{ inputs.ticket }} over {{ inputs.old_version }}"
    """
)


def write_targets(path: Path, server: Any, known_hosts: Path) -> Path:
    hosts = {name: server.target(known_hosts=str(known_hosts)) for name in ("web-1", "web-2")}
    path.write_text(yaml.safe_dump({"ssh": hosts, "groups": {"web": ["web-1", "web-2"]}}))
    return path


def test_run_and_resume_use_the_targets_file(sshd, ssh_keys, sshd_factory, tmp_path) -> None:
    playbook = tmp_path / "rollout.yaml"
    playbook.write_text(PLAYBOOK)
    known_hosts = ssh_keys.known_hosts(tmp_path / "known_hosts", [sshd.port])
    targets = write_targets(tmp_path / "test-hosts.yaml", sshd, known_hosts)
    journal = tmp_path / "journal.db"
    no_answers = tmp_path / "none.yaml"
    no_answers.write_text("operator: ana\n")
    first = cli(
        "--journal", str(journal), "run", str(playbook), "--headless",
        "--answers", str(no_answers), "--targets", str(targets),
    )  # fmt: skip
    assert first.returncode == 3, first.stderr
    assert "[web-1] version 41" in first.stdout and "[web-2] version 41" in first.stdout
    with Journal(journal) as opened:
        (run,) = opened.runs()
        started = opened.events(run.id)[0]
        assert started.type == EventType.run_started
        assert started.data["targets"]["path"] == str(targets)

    # The file may change or vanish; resume uses the targets the run was started with.
    targets.unlink()
    answers = tmp_path / "answers.yaml"
    answers.write_text("operator: ana\ninputs: {ticket: CHG-7}\n")
    second = cli(
        "--journal", str(journal), "resume", run.id, "--headless", "--answers", str(answers)
    )
    assert second.returncode == 0, second.stderr + second.stdout
    assert "[web-2] deploying CHG-7 over 41" in second.stdout

    shown = cli("--journal", str(journal), "show", run.id)
    assert shown.returncode == 0
    assert "✓ web-1  exit 0" in shown.stdout and "✓ web-2  exit 0" in shown.stdout
    assert "batch 2" in shown.stdout  # serial: 1 → web-2 ran in the second batch


def test_resume_with_a_new_targets_file_uses_it(sshd, ssh_keys, sshd_factory, tmp_path) -> None:
    playbook = tmp_path / "rollout.yaml"
    playbook.write_text(PLAYBOOK)
    (other,) = sshd_factory(1)
    known_hosts = ssh_keys.known_hosts(tmp_path / "known_hosts", [sshd.port, other.port])
    journal = tmp_path / "journal.db"
    no_answers = tmp_path / "none.yaml"
    no_answers.write_text("operator: ana\n")
    first = cli(
        "--journal", str(journal), "run", str(playbook), "--headless", "--answers",
        str(no_answers), "--targets", str(write_targets(tmp_path / "a.yaml", sshd, known_hosts)),
    )  # fmt: skip
    assert first.returncode == 3, first.stderr
    answers = tmp_path / "answers.yaml"
    answers.write_text("operator: ana\ninputs: {ticket: CHG-8}\n")
    before = other.log.read_text().count("Accepted publickey")
    new_targets = write_targets(tmp_path / "b.yaml", other, known_hosts)
    second = cli(
        "--journal", str(journal), "resume", "--headless", "--answers", str(answers),
        "--targets", str(new_targets),
    )  # fmt: skip
    assert second.returncode == 0, second.stderr + second.stdout
    assert other.log.read_text().count("Accepted publickey") - before == 2
    with Journal(journal) as opened:
        (run,) = opened.runs()
        resumed = [e for e in opened.events(run.id) if e.type == EventType.run_resumed]
        assert resumed[-1].data["targets"]["path"] == str(new_targets)


def test_a_bad_targets_file_is_reported_with_its_line(tmp_path) -> None:
    playbook = tmp_path / "rollout.yaml"
    playbook.write_text(PLAYBOOK)
    targets = tmp_path / "bad.yaml"
    targets.write_text("ssh:\n  web-1: {host: a, port: seventy}\n")
    result = cli("run", str(playbook), "--headless", "--targets", str(targets))
    assert result.returncode == 2
    assert f"{targets}:2:" in result.stderr
    assert "Traceback" not in result.stderr
