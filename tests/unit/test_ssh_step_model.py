"""The ssh step's model and load-time checks, and the ``--targets`` inventory override (no sshd)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from pydantic import ValidationError

from deploytui.model.playbook import Targets
from deploytui.model.ssh_step import (
    SshStep,
    batch_size,
    expand_hosts,
    summarize_hosts,
    too_many_failures,
)
from deploytui.playbook.loader import PlaybookError, TargetsFile, parse_playbook

PLAYBOOK = textwrap.dedent(
    """\
    name: rollout
    secrets: [sudo_pw]
    targets:
      ssh:
        web-1: {host: web-1.example.com}
        web-2: {host: web-2.example.com, user: deploy}
        bastion: {host: bastion.example.com}
      groups:
        web: [web-1, web-2]
    phases:
      - id: deploy
        title: Deploy
        steps:
          - id: restart
            kind: ssh
            title: Restart the app
            hosts: web
            command: systemctl restart app
    """
)


def step(**fields: object) -> SshStep:
    return SshStep.model_validate({"id": "s", "title": "t", "kind": "ssh", **fields})


def problems(text: str, targets: TargetsFile | None = None) -> list[str]:
    with pytest.raises(PlaybookError) as caught:
        parse_playbook(text, "pb.yaml", targets=targets)
    return [str(problem) for problem in caught.value.problems]


def with_step(extra: str) -> str:
    return PLAYBOOK + textwrap.indent(textwrap.dedent(extra), " " * 6)


def test_defaults_and_shorthands() -> None:
    parsed = step(hosts="web", command="true", expect_exit=3, env={"N": 1})
    assert parsed.hosts == ["web"] and parsed.expect_exit == [3] and parsed.env == {"N": "1"}
    assert parsed.max_failures == 0 and parsed.serial is None and parsed.concurrency == 10


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("serial", 0, "serial must be at least 1"),
        ("serial", "0%", "between 1% and 100%"),
        ("serial", "150%", "between 1% and 100%"),
        ("serial", "half", "a number of hosts or a percentage"),
        ("max_failures", -1, "max_failures must be at least 0"),
        ("max_failures", True, "a number of hosts or a percentage"),
        ("env", {"BAD-NAME": "x"}, "environment variable name 'BAD-NAME'"),
        ("sudo_password", "{{ secrets.sudo_pw }}", "only apply with sudo: true"),
        ("concurrency", 0, "greater than or equal to 1"),
    ],
)
def test_invalid_fields(field: str, value: object, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        step(hosts="web", command="true", **{field: value})
    assert message in str(caught.value)


def test_counts_and_percentages() -> None:
    assert step(hosts="w", command="x", serial="25%").serial == "25%"
    assert step(hosts="w", command="x", max_failures="10").max_failures == 10
    assert [batch_size(None, 20), batch_size(5, 20), batch_size("25%", 20)] == [20, 5, 5]
    assert batch_size("30%", 7) == 3  # rounds up
    assert batch_size("1%", 7) == 1
    assert too_many_failures(2, 3, 20) and not too_many_failures(2, 2, 20)
    assert not too_many_failures("10%", 2, 20) and too_many_failures("10%", 3, 20)
    assert too_many_failures(0, 1, 1)


def test_hosts_expand_groups_in_order_once() -> None:
    targets = Targets.model_validate(
        {
            "ssh": {name: {"host": name} for name in ("a", "b", "c")},
            "groups": {"ab": ["a", "b"], "bc": ["b", "c"]},
        }
    )
    assert expand_hosts(["bc", "ab", "a"], targets) == ["b", "c", "a"]


def test_host_summary_never_cuts_a_name() -> None:
    assert summarize_hosts(["db-1"]) == "db-1"
    assert summarize_hosts(["a", "b", "c", "d"]) == "a, b, c, d (4 hosts)"
    names = [f"web-{number:02d}" for number in range(1, 13)]
    assert summarize_hosts(names, "web") == "web: web-01, web-02, web-03 … web-12 (12 hosts)"


def test_describe_action() -> None:
    loaded = parse_playbook(PLAYBOOK, "pb.yaml")
    shown = step(hosts="web", command="systemctl restart app", sudo=True)
    assert shown.describe_action(loaded.playbook.targets) == (
        "$ systemctl restart app (sudo)",
        "web: web-1, web-2 (2 hosts)",
    )
    assert step(hosts=["web-2"], command="id").describe_action(loaded.playbook.targets) == (
        "$ id",
        "web-2",
    )


def test_unknown_host_is_a_load_error_with_its_line() -> None:
    text = with_step(
        """\
        - id: check
          kind: ssh
          title: Check
          hosts: [web-1, web-3]
          command: uptime
        """
    )
    (problem,) = problems(text)
    assert problem.startswith("pb.yaml:22:24:")  # at web-3 itself
    assert "ssh host or group 'web-3' is not defined" in problem
    assert "did you mean" in problem


def test_sudo_password_must_be_a_secret() -> None:
    text = with_step(
        """\
        - id: root
          kind: ssh
          title: As root
          hosts: web
          sudo: true
          sudo_password: hunter2
          command: id
        """
    )
    (problem,) = problems(text)
    assert problem.startswith("pb.yaml:24:")
    assert "sudo_password must name a secret" in problem


def test_jump_loop_is_a_load_error() -> None:
    text = PLAYBOOK.replace(
        "bastion: {host: bastion.example.com}",
        "bastion: {host: bastion.example.com, jump: web-1}",
    ).replace("web-1: {host: web-1.example.com}", "web-1: {host: web-1.example.com, jump: bastion}")
    found = problems(text)
    assert any("jump hosts go round in a loop: web-1 → bastion → web-1" in item for item in found)


def test_targets_file_replaces_the_targets_section(tmp_path: Path) -> None:
    file = tmp_path / "staging.yaml"
    file.write_text(
        "ssh:\n"
        "  web-1: {host: 127.0.0.1, port: 2201}\n"
        "  web-2: {host: 127.0.0.1, port: 2202}\n"
        "groups:\n"
        "  web: [web-1, web-2]\n"
    )
    loaded = parse_playbook(PLAYBOOK, "pb.yaml", targets=TargetsFile.read(file))
    assert [host.port for host in loaded.playbook.targets.ssh.values()] == [2201, 2202]
    assert "bastion" not in loaded.playbook.targets.ssh
    assert loaded.targets_file is not None and loaded.targets_file.path == str(file)
    assert loaded.text == PLAYBOOK  # the snapshot is the playbook as written


def test_targets_file_with_a_top_level_targets_key(tmp_path: Path) -> None:
    file = tmp_path / "t.yaml"
    file.write_text(
        "targets:\n  ssh:\n    web-1: {host: a}\n    web-2: {host: b}\n"
        "  groups: {web: [web-1, web-2]}\n"
    )
    loaded = parse_playbook(PLAYBOOK, "pb.yaml", targets=TargetsFile.read(file))
    assert loaded.playbook.targets.ssh["web-2"].host == "b"


def test_errors_in_a_targets_file_name_that_file_and_line(tmp_path: Path) -> None:
    file = tmp_path / "bad.yaml"
    file.write_text("ssh:\n  web-1: {host: a}\n  web-2:\n    host: b\n    prot: 22\n")
    found = problems(PLAYBOOK, TargetsFile.read(file))
    assert f"{file}:5:5: targets.ssh.web-2: unknown field 'prot'; did you mean 'port'?" in found


def test_a_targets_file_must_define_what_the_steps_use(tmp_path: Path) -> None:
    file = tmp_path / "partial.yaml"
    file.write_text("ssh:\n  web-1: {host: a}\n")
    (problem,) = problems(PLAYBOOK, TargetsFile.read(file))
    assert problem.startswith("pb.yaml:17:")
    assert "ssh host or group 'web' is not defined" in problem


@pytest.mark.parametrize(
    ("content", "message"),
    [("- just\n- a list\n", "a targets file is a mapping"), ("ssh: [\n", "")],
)
def test_malformed_targets_file(tmp_path: Path, content: str, message: str) -> None:
    file = tmp_path / "t.yaml"
    file.write_text(content)
    found = problems(PLAYBOOK, TargetsFile.read(file))
    assert found and all(item.startswith(f"{file}:") for item in found)
    assert message in found[0]


def test_missing_targets_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(PlaybookError) as caught:
        TargetsFile.read(tmp_path / "nope.yaml")
    assert str(caught.value) == f"{tmp_path / 'nope.yaml'}:1:1: the file does not exist"


def test_validate_never_imports_paramiko(tmp_path: Path) -> None:
    file = tmp_path / "pb.yaml"
    file.write_text(PLAYBOOK)
    code = (
        "import sys; from deploytui.cli import main; "
        f"code = main(['validate', {str(file)!r}]); "
        "import deploytui.engine.runner; "
        "print(code, 'paramiko' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "0 False"
