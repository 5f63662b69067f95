"""The ``ansible`` step kind, for real: ansible-core through ansible-runner against the loopback
sshd servers (tests/sshd_helpers.py), with tests/data/ansible/site.yml.

The "fleet" is web-1, web-2 and db-1 (names for the session's sshd) and web-3, a port nothing
listens on (really unreachable); the test playbook's play targets the ``web`` group only. A host
fails a task when ``MARKER/fail-HOST`` exists, and every host appends a line to
``MARKER/HOST.log`` per run, so retries are counted on the hosts' side.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import ansible_runner  # noqa: F401  (dev extra: if it is missing, fail here rather than skip all)
import pytest

from deploytui.console import show_text
from deploytui.engine.plan import plan_text
from deploytui.engine.runner import Engine, OutputLine
from deploytui.executors import ansible as ansible_executor
from deploytui.executors.ansible import AnsibleExecutor
from deploytui.executors.base import CANCELLED, ExecContext
from deploytui.journal.report import build_report
from deploytui.model.ansible_step import AnsibleStep
from deploytui.model.events import EventType, RunStatus
from deploytui.model.playbook import Targets
from deploytui.playbook.loader import PlaybookError, parse_playbook
from tests.core_helpers import ScriptedOperator, decision, drive, new_run, of_type
from tests.sshd_helpers import free_port, ssh_playbook

SITE = str(Path(__file__).resolve().parents[1] / "data" / "ansible" / "site.yml")


@pytest.fixture(scope="module")
def fleet(ssh_keys: Any, sshd: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """targets: web-1, web-2 on the live sshd; web-3 on a port with no server."""
    dead_port = free_port()
    known_hosts = ssh_keys.known_hosts(
        tmp_path_factory.mktemp("ansible") / "known_hosts", [sshd.port, dead_port]
    )
    dead = {**sshd.target(known_hosts=str(known_hosts)), "port": dead_port}
    return {
        "ssh": {
            "web-1": sshd.target(known_hosts=str(known_hosts)),
            "web-2": sshd.target(known_hosts=str(known_hosts)),
            "web-3": dead,
            "db-1": sshd.target(known_hosts=str(known_hosts)),
        },
        "groups": {
            "web": ["web-1", "web-2", "web-3"],
            "live": ["web-1", "web-2"],
            "db": ["db-1"],
        },
    }


def step_data(marker: Path, **fields: Any) -> dict[str, Any]:
    extra = fields.pop("extra_vars", {})
    return {
        "id": "deploy",
        "kind": "ansible",
        "title": "Deploy with Ansible",
        "playbook": SITE,
        "hosts": "web",
        "python_interpreter": sys.executable,
        "extra_vars": {"marker_dir": str(marker), **extra},
        **fields,
    }


def execute(fleet: dict[str, Any], data: dict[str, Any], **ctx: Any) -> tuple[Any, list[str]]:
    lines: list[str] = []
    output = ctx.pop("output", None)

    def record(stream: str, line: str) -> None:
        lines.append(line)
        if output:
            output(line)

    step = AnsibleStep.model_validate(data)
    context = ExecContext(run_id="r1", step_id="deploy", attempt=1, output=record, **ctx)
    executor = AnsibleExecutor(Targets.model_validate(fleet))
    try:
        return executor.execute(step, context), lines
    finally:
        executor.close()


def runs(marker: Path, host: str) -> int:
    log = marker / f"{host}.log"
    return len(log.read_text().splitlines()) if log.exists() else 0


def by_host(details: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["host"]: entry for entry in details["hosts"]}


def test_failed_and_unreachable_hosts_past_the_threshold_fail_the_step(fleet, tmp_path) -> None:
    (tmp_path / "fail-web-2").touch()
    result, lines = execute(fleet, step_data(tmp_path, hosts=["web", "db-1"], max_failures=1))
    assert not result.ok
    hosts = by_host(result.details)
    assert hosts["db-1"]["status"] == "no_tasks" and hosts["db-1"]["ok"]  # no play targets db
    assert hosts["web-1"]["status"] == "succeeded" and hosts["web-1"]["ok"]
    assert hosts["web-2"]["status"] == "failed"
    assert "Refuse where a fail marker exists: exit code 1" in hosts["web-2"]["reason"]
    assert hosts["web-3"]["status"] == "unreachable"
    assert "Connection refused" in hosts["web-3"]["reason"]
    assert hosts["web-1"]["tasks"]["changed"] == 2 and hosts["web-1"]["tasks"]["skipped"] == 2
    assert result.details["recap"]["web-3"]["unreachable"] == 1
    assert result.details["plays"] == ["Deploy the web tier"]
    assert "2 of 4 hosts failed (web-2: Refuse" in (result.reason or "")
    # One line per task result, live, prefixed with the host; the recap at the end.
    assert "[web-1] changed: Record this run" in lines
    assert "[web-1] skipped: Linger" in lines
    assert any(
        line.startswith("[web-2] FAILED: Refuse where a fail marker exists") for line in lines
    )
    assert any(line.startswith("[web-3] UNREACHABLE: Record this run") for line in lines)
    assert "web-1 : ok=3 changed=2 failed=0 unreachable=0 skipped=2 rescued=0 ignored=0" in lines
    assert (tmp_path / "web-1.release").read_text() == "none\n"


def test_serial_batches_stop_at_the_threshold_and_show_lists_the_hosts(
    fleet, journal, tmp_path
) -> None:
    (tmp_path / "fail-web-2").touch()
    step = step_data(tmp_path, serial=1, on_failure="abort")
    loaded = parse_playbook(ssh_playbook(fleet, [step]), "fleet.yaml")
    run_id, outcome = drive(journal, loaded, ScriptedOperator())
    assert outcome.status != RunStatus.completed
    (finished,) = of_type(journal.events(run_id), EventType.step_finished, "deploy")
    hosts = by_host(finished.data["details"])
    assert [hosts[name]["status"] for name in ("web-1", "web-2", "web-3")] == [
        "succeeded",
        "failed",
        "not_started",
    ]
    assert [hosts[name].get("batch") for name in ("web-1", "web-2")] == [1, 2]
    assert runs(tmp_path, "web-1") == 1 and runs(tmp_path, "web-2") == 1
    assert "rollout stopped after batch 2 of 3" in finished.data["reason"]
    text = show_text(build_report(journal, run_id))
    assert "✓ web-1" in text and "✗ web-2  Refuse where a fail marker exists" in text
    assert "– web-3  not started" in text


def test_within_max_failures_succeeds_and_a_retry_runs_only_the_failed_hosts(
    fleet, journal, tmp_path
) -> None:
    class FixThenRetry(ScriptedOperator):
        def on_failure(self, step: Any, view: Any, failure: Any) -> Any:
            (tmp_path / "fail-web-2").unlink()  # the operator fixes web-2, then retries
            return super().on_failure(step, view, failure)

    (tmp_path / "fail-web-2").touch()
    targets = {**fleet, "groups": {"web": ["web-1", "web-2"]}}
    steps = [
        step_data(tmp_path, id="tolerant", max_failures=1, extra_vars={"release": "a"}),
        step_data(tmp_path, extra_vars={"release": "b"}),
    ]
    loaded = parse_playbook(ssh_playbook(targets, steps), "fleet.yaml")
    operator = FixThenRetry(failures={"deploy": [decision("retry")]})
    run_id, outcome = drive(journal, loaded, operator)
    assert outcome.status == RunStatus.completed
    events = journal.events(run_id)
    (tolerant,) = of_type(events, EventType.step_finished, "tolerant")
    assert tolerant.data["status"] == "succeeded"
    assert by_host(tolerant.data["details"])["web-2"]["status"] == "failed"
    first, second = of_type(events, EventType.step_finished, "deploy")
    assert first.data["status"] == "failed"
    assert second.data["status"] == "succeeded"
    assert second.data["details"]["retried_hosts"] == ["web-2"]
    # web-1: once per step; web-2: the tolerant step, the failed attempt and the retry.
    assert runs(tmp_path, "web-1") == 2
    assert runs(tmp_path, "web-2") == 3


def test_cancel_stops_the_ansible_run(fleet, tmp_path) -> None:
    cancelled = threading.Event()

    def cancel_on(line: str) -> None:
        if "changed: Write the release" in line:
            cancelled.set()

    data = step_data(tmp_path, hosts="live", extra_vars={"linger": 60})
    result, lines = execute(fleet, data, output=cancel_on, cancelled=cancelled)
    assert not result.ok
    assert CANCELLED in (result.reason or "")
    assert {entry["status"] for entry in result.details["hosts"]} == {"cancelled"}
    assert not any("Linger" in line for line in lines)  # the 60 s task never finished


def test_secrets_in_extra_vars_never_touch_the_disk_nor_the_journal(
    fleet, journal, tmp_path, monkeypatch
) -> None:
    secret = "tok-{{x}}-" + hashlib.sha256(str(tmp_path).encode()).hexdigest()[:20]
    # Also the operator's own secret environment, which ansible-runner would record on disk.
    monkeypatch.setenv("DEPLOYTUI_SECRET_API_TOKEN", secret)
    folders: list[Path] = []
    real_private_dir = ansible_executor.private_dir

    def recording_private_dir(*args: Any) -> Path:
        folder = real_private_dir(*args)
        if not args:  # the step's private data dir (not the run's ssh control-socket dir)
            folders.append(folder)
        return folder

    monkeypatch.setattr(ansible_executor, "private_dir", recording_private_dir)
    scanned: list[Path] = []

    def scan(item: Any) -> None:
        if isinstance(item, OutputLine) and "changed: Record this run" in item.text:
            for path in folders[-1].rglob("*"):
                if path.is_file():
                    scanned.append(path)
                    assert secret.encode() not in path.read_bytes(), path

    step = step_data(
        tmp_path,
        hosts="live",
        extra_vars={
            "token": "{{ secrets.api_token }}",
            "token_sha256": hashlib.sha256(secret.encode()).hexdigest(),
        },
    )
    loaded = parse_playbook(ssh_playbook(fleet, [step], secrets=["api_token"]), "fleet.yaml")
    run_id, outcome = drive(
        journal, loaded, ScriptedOperator(), listener=scan, secrets={"api_token": secret}
    )
    assert outcome.status == RunStatus.completed  # the assert task saw the right token
    assert any(path.name == "command" for path in scanned)  # ansible-runner's record of env
    assert not folders[-1].exists()  # the private data dir is removed afterwards
    assert secret.encode() not in Path(journal.path).read_bytes()
    assert secret not in show_text(build_report(journal, run_id))


def test_check_mode_changes_nothing_and_shows_diffs(fleet, tmp_path) -> None:
    (tmp_path / "web-1.release").write_text("old\n")
    data = step_data(tmp_path, hosts="web-1", check=True, tags=["release"])
    data["extra_vars"]["release"] = "new"
    result, lines = execute(fleet, data)
    assert result.ok, result.reason
    assert result.details["check_mode"] is True
    assert (tmp_path / "web-1.release").read_text() == "old\n"  # check mode: not written
    assert "[web-1] changed: Write the release" in lines
    assert "[web-1]   -old" in lines and "[web-1]   +new" in lines
    assert runs(tmp_path, "web-1") == 0  # --tags release: the other tasks did not run
    assert any("in check mode (nothing changed)" in line for line in lines)


def test_ad_hoc_module_on_an_ansible_inventory_and_the_dry_run_plan(fleet, tmp_path) -> None:
    lines = ["[web]"]
    for name in ("web-1", "web-2"):
        target = fleet["ssh"][name]
        lines.append(
            f"{name} ansible_host={target['host']} ansible_port={target['port']} "
            f"ansible_user={target['user']} ansible_ssh_private_key_file={target['key_file']} "
            f"ansible_python_interpreter={sys.executable} "
            f"ansible_ssh_common_args='-o StrictHostKeyChecking=yes "
            f"-o UserKnownHostsFile={target['known_hosts']}'"
        )
    inventory = tmp_path / "hosts.ini"
    inventory.write_text("\n".join(lines) + "\n")
    data = step_data(tmp_path, limit="web-2", inventory=str(inventory))
    for name in ("playbook", "extra_vars", "hosts", "python_interpreter"):
        del data[name]
    data.update(module="ansible.builtin.ping")
    result, output = execute(fleet, data)
    assert result.ok, result.reason
    assert [entry["host"] for entry in result.details["hosts"]] == ["web-2"]
    assert any(line.startswith("[web-2] ok: ") for line in output)
    loaded = parse_playbook(ssh_playbook(fleet, [step_data(tmp_path)]), "fleet.yaml")
    plan = plan_text(loaded)
    assert "ansible-playbook -i '(deploytui ssh targets)'" in plan
    assert "set `check: true` on the step (runs with --check --diff)" in plan


def test_a_stopped_run_leaves_the_step_interrupted_for_the_operator(
    fleet, journal, tmp_path
) -> None:
    step = step_data(tmp_path, hosts="live", extra_vars={"linger": 60})
    loaded = parse_playbook(ssh_playbook(fleet, [step]), "fleet.yaml")
    run_id = new_run(journal, loaded)
    engine: Engine | None = None

    def stop_on(item: Any) -> None:
        if isinstance(item, OutputLine) and "Write the release" in item.text and engine:
            engine.request_stop()

    engine = Engine(
        journal=journal, run_id=run_id, loaded=loaded, operator=ScriptedOperator(), listener=stop_on
    )
    engine.run()
    assert of_type(journal.events(run_id), EventType.step_interrupted, "deploy")
    # Not idempotent: resuming asks the operator instead of re-running Ansible by itself.
    operator = ScriptedOperator(interrupted={"deploy": [decision("skip", "done by hand")]})
    _, outcome = drive(journal, loaded, operator, run_id=run_id)
    assert ("interrupted", "deploy") in operator.asked
    assert outcome.status == RunStatus.completed
    assert runs(tmp_path, "web-1") == 1  # not re-run


def test_step_validation_and_validate_never_imports_ansible(fleet, tmp_path) -> None:
    bad = step_data(tmp_path, module="ping")
    with pytest.raises(PlaybookError, match="exactly one of: playbook, module"):
        parse_playbook(ssh_playbook(fleet, [bad]), "bad.yaml")
    typo = step_data(tmp_path, hosts="wbe")
    with pytest.raises(PlaybookError, match="did you mean 'web'"):
        parse_playbook(ssh_playbook(fleet, [typo]), "typo.yaml")
    path = tmp_path / "ok.yaml"
    path.write_text(ssh_playbook(fleet, [step_data(tmp_path)]))
    code = (
        "import sys; from deploytui.cli import main; rc = main(['validate', sys.argv[1]]); "
        "assert not [m for m in sys.modules if m.startswith('ansible')], 'ansible imported'; "
        "sys.exit(rc)"
    )
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_ansible_errors_and_timeouts_fail_the_step_with_a_reason(fleet, tmp_path) -> None:
    missing, _ = execute(fleet, step_data(tmp_path, playbook=str(tmp_path / "nope.yml")))
    assert not missing.ok and "Ansible playbook not found" in (missing.reason or "")
    broken = tmp_path / "broken.yml"
    broken.write_text("- hosts: web\n  tasks:\n    - name: x\n      no_such_module_here: {}\n")
    result, lines = execute(fleet, step_data(tmp_path, playbook=str(broken)))
    assert not result.ok
    assert (result.reason or "").startswith("ansible: ")
    assert "no_such_module_here" in "\n".join(lines)
    slow, _ = execute(
        fleet, step_data(tmp_path, hosts="live", timeout=2, extra_vars={"linger": 60})
    )
    assert not slow.ok and "timed out after 2s" in (slow.reason or "")
    assert {entry["status"] for entry in slow.details["hosts"]} == {"timed_out"}


def test_the_documented_examples_load_and_plan() -> None:
    import re
    import textwrap

    docs = Path(__file__).resolve().parents[2] / "docs"
    text = (docs / "playbook-format.md").read_text()
    section = text[text.index("### `ansible`") : text.index("## Importing a checklist")]
    example = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert example is not None
    targets, steps = example.group(1).split("# …\n")
    body = (
        "name: ansible example\nvariables: {release: '2.0'}\nsecrets: [db_password]\n"
        + targets
        + "phases:\n  - id: main\n    title: Main\n    steps:\n"
        + textwrap.indent(steps, "      ")
    )
    plan = plan_text(parse_playbook(body, "example.yaml"))
    assert "--check --diff   @ web: web-01, web-02 (2 hosts)" in plan
    assert "-e {release, db_password}" in plan  # extra vars by name, never their values
    assert "in batches of 25% (one Ansible run each); stops when more than 5% of the hosts" in plan
    awx = re.search(r"```yaml\n(.*?)```", (docs / "scaling.md").read_text(), re.S)
    assert awx is not None
    handoff = parse_playbook("name: awx\nvariables: {release: '1'}\n" + awx.group(1), "awx.yaml")
    assert [step.kind for _, step in handoff.playbook.ordered_steps()] == ["http", "http"]
