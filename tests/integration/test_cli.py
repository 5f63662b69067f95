"""The ``deploytui`` command end to end, as a subprocess: exit codes 0/1/2/3, validate, run,
resume, dry-run, verify, runs, show, the demo, changed playbooks and one driver per run."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
from pathlib import Path

import pytest

from deploytui.demo import bundled_playbook
from tests.core_helpers import PYTHON, cli, playbook_text, query, wait_for

PLAYBOOK = """
name: cli-test
variables: {{out: "{out}"}}
phases:
  - id: p
    title: P
    steps:
      - id: facts
        kind: input
        title: Facts
        fields:
          - {{id: size, type: size, target: "< 1 GB"}}
          - {{id: ok, type: choice, options: [YES, NO]}}
      - id: write
        kind: local
        title: Write
        command: echo {{{{ inputs.size }}}} {{{{ inputs.ok }}}} >> {{{{ vars.out }}}}
      - id: lead
        kind: signoff
        title: Lead signs
        role: Lead
"""
ANSWERS = "operator: ana\ninputs: {size: 4.2 GB, ok: YES}\nsignoffs: {Lead: Ana Silva}\n"


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    paths = {
        "playbook": tmp_path / "pb.yaml",
        "answers": tmp_path / "answers.yaml",
        "journal": tmp_path / "j.db",
        "out": tmp_path / "out.txt",
    }
    paths["playbook"].write_text(playbook_text(PLAYBOOK.format(out=paths["out"])))
    paths["answers"].write_text(ANSWERS)
    return paths


def run_id_of(completed: subprocess.CompletedProcess[str]) -> str:
    for line in completed.stderr.splitlines():
        if line.startswith("run ") and " · journal " in line:
            return line.split()[1]
    raise AssertionError(f"no run id in: {completed.stderr}")


def no_traceback(completed: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in completed.stdout + completed.stderr


def test_validate_ok_and_problems_exit_0_and_2(tmp_path: Path, files: dict[str, Path]) -> None:
    good = cli("validate", str(files["playbook"]))
    assert good.returncode == 0
    assert good.stdout.strip() == f"{files['playbook']}: ok — cli-test v1, 1 phase, 3 steps"
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: x\nphases:\n  - id: p\n    title: P\n    steps:\n"
        "      - {id: a, kind: lcoal, title: A}\n"
    )
    result = cli("validate", str(files["playbook"]), str(bad))
    assert result.returncode == 2
    assert f"{bad}:6:17: phases[0].steps[0] (id 'a'): unknown step kind 'lcoal'" in result.stdout
    assert f"{bad}: 1 problem" in result.stdout
    no_traceback(result)


@pytest.mark.parametrize(
    "content",
    [
        b"\x00\x01binary",
        b"\xff\xfe\xfa not utf8",
        b"",
        b"[" * 10_000,
        b"a: !!python/object/apply:os.system ['echo PWNED']\n",
    ],
    ids=["binary", "latin", "empty", "deep", "python-tag"],
)
def test_validate_hostile_files_never_traceback(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "hostile.yaml"
    path.write_bytes(content)
    result = cli("validate", str(path))
    assert result.returncode == 2
    assert result.stdout.startswith(f"{path}:1:")
    assert "PWNED" not in result.stdout
    no_traceback(result)


def test_validate_a_missing_file(tmp_path: Path) -> None:
    result = cli("validate", str(tmp_path / "nope.yaml"))
    assert result.returncode == 2
    assert "the file does not exist" in result.stdout


def test_headless_run_completes_with_exit_0(files: dict[str, Path]) -> None:
    result = cli(
        "--journal",
        str(files["journal"]),
        "run",
        str(files["playbook"]),
        "--headless",
        "--answers",
        str(files["answers"]),
    )
    assert result.returncode == 0, result.stderr
    run_id = run_id_of(result)
    assert f"run {run_id}: completed" in result.stdout
    assert files["out"].read_text() == "4200000000 YES\n"
    shown = cli("--journal", str(files["journal"]), "show", run_id)
    assert shown.returncode == 0
    assert "signed by Ana Silva as Lead" in shown.stdout
    assert "size: 4.2 GB" in shown.stdout
    # the breach is recorded, shown live and in the report
    assert "⚠ size: 4.2 GB misses the target < 1 GB" in result.stdout
    assert "target breaches:" in shown.stdout
    assert "⚠ size: 4.2 GB misses the target < 1 GB" in shown.stdout
    listed = cli("--journal", str(files["journal"]), "runs")
    assert run_id in listed.stdout and "completed" in listed.stdout
    verified = cli("--journal", str(files["journal"]), "verify", run_id)
    assert verified.returncode == 0 and verified.stdout.startswith(f"✓ run {run_id}: ")


def test_the_ui_without_a_terminal_is_refused_before_any_run_exists(
    files: dict[str, Path],
) -> None:
    """With stdin not a terminal the UI would wait forever: refuse, and start nothing."""
    journal = str(files["journal"])
    for args in (["run", str(files["playbook"])], []):
        result = cli("--journal", journal, *args)
        assert result.returncode == 2
        assert "no terminal here for the UI: use --headless --answers FILE" in result.stderr
        assert "Traceback" not in result.stderr
    assert "no runs yet" in cli("--journal", journal, "runs").stdout


def test_missing_answer_waits_with_exit_3_then_resume_finishes(files: dict[str, Path]) -> None:
    partial = files["answers"].with_name("partial.yaml")
    partial.write_text("inputs: {size: 4.2 GB}\n")
    first = cli(
        "--journal",
        str(files["journal"]),
        "run",
        str(files["playbook"]),
        "--headless",
        "--answers",
        str(partial),
    )
    assert first.returncode == 3
    run_id = run_id_of(first)
    assert "answers file has no value for ok (step facts)" in first.stderr
    assert f"deploytui resume {run_id}" in first.stderr
    assert not files["out"].exists()
    resumed = cli(
        "--journal",
        str(files["journal"]),
        "resume",
        run_id,
        "--answers",  # an answers file alone means headless
        str(files["answers"]),
    )
    assert resumed.returncode == 0, resumed.stderr
    assert files["out"].read_text() == "4200000000 YES\n"
    statuses = query(
        files["journal"],
        "SELECT step_id, count(*) FROM events WHERE run_id = ? AND type = 'step_finished' "
        "GROUP BY step_id",
        (run_id,),
    )
    assert dict(statuses) == {"facts": 1, "write": 1, "lead": 1}
    again = cli("--journal", str(files["journal"]), "resume", run_id, "--headless")
    assert again.returncode == 0 and "has already completed" in again.stderr


def test_failed_run_exits_1(tmp_path: Path, files: dict[str, Path]) -> None:
    failing = tmp_path / "fail.yaml"
    failing.write_text(
        "name: f\nphases:\n  - id: p\n    title: P\n    steps:\n"
        "      - {id: boom, kind: local, title: Boom, command: 'exit 7'}\n"
    )
    result = cli("--journal", str(files["journal"]), "run", str(failing), "--headless")
    assert result.returncode == 1
    assert "the command exited with 7 (expected 0)" in result.stdout
    assert f"run {run_id_of(result)}: aborted" in result.stdout


def test_bad_answers_file_exits_2(files: dict[str, Path]) -> None:
    files["answers"].write_text("inputz: {}\n")
    result = cli(
        "--journal",
        str(files["journal"]),
        "run",
        str(files["playbook"]),
        "--headless",
        "--answers",
        str(files["answers"]),
    )
    assert result.returncode == 2
    assert f"{files['answers']}:1:1:" in result.stderr and "did you mean 'inputs'" in result.stderr
    no_traceback(result)
    assert not files["journal"].exists() or not query(files["journal"], "SELECT id FROM runs")


def test_dry_run_executes_nothing(tmp_path: Path, files: dict[str, Path]) -> None:
    marker = tmp_path / "created"
    playbook = tmp_path / "dry.yaml"
    playbook.write_text(
        "name: dry\nphases:\n  - id: p\n    title: P\n    steps:\n"
        f"      - {{id: touch, kind: local, title: Touch, command: 'touch {marker}'}}\n"
    )
    result = cli("--journal", str(files["journal"]), "run", str(playbook), "--dry-run")
    assert result.returncode == 0
    assert f"$ touch {marker}" in result.stdout
    assert not marker.exists()
    assert not files["journal"].exists()


def _tamper(journal: Path, sql: str) -> None:
    connection = sqlite3.connect(journal)
    with connection:
        connection.execute(sql)
    connection.close()


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        (
            "UPDATE events SET data = replace(data, 'Ana Silva', 'Eve') "
            "WHERE type = 'step_finished' AND step_id = 'lead'",
            "was changed after it was written",
        ),
        ("DELETE FROM events WHERE seq = 3", "event 3 is missing"),
        ("DELETE FROM events WHERE seq = (SELECT max(seq) FROM events)", "removed from the end"),
    ],
    ids=["edited", "deleted", "truncated"],
)
def test_verify_detects_tampering_and_exits_1(
    files: dict[str, Path], sql: str, message: str
) -> None:
    done = cli(
        "--journal",
        str(files["journal"]),
        "run",
        str(files["playbook"]),
        "--headless",
        "--answers",
        str(files["answers"]),
    )
    run_id = run_id_of(done)
    _tamper(files["journal"], sql)
    result = cli("--journal", str(files["journal"]), "verify", run_id)
    assert result.returncode == 1
    assert result.stdout.startswith(f"✗ run {run_id}: event ") or "events" in result.stdout
    assert message in result.stdout
    shown = cli("--journal", str(files["journal"]), "show", run_id)
    assert "TAMPERED" in shown.stdout


def test_unknown_run_and_bad_var_are_clear(files: dict[str, Path]) -> None:
    unknown = cli("--journal", str(files["journal"]), "show", "nope")
    assert unknown.returncode == 1 and "no run 'nope'" in unknown.stderr
    bad_var = cli(
        "--journal",
        str(files["journal"]),
        "run",
        str(files["playbook"]),
        "--headless",
        "--var",
        "missing=1",
    )
    assert bad_var.returncode == 2
    assert "--var missing: the playbook declares no such variable" in bad_var.stderr


BLOCKING = """
name: blocking
phases:
  - id: p
    title: P
    steps:
      - id: wait
        kind: local
        title: Wait for the go file
        command: echo waiting; while [ ! -e {go} ]; do sleep 0.05; done; echo released >> {log}
      - id: after
        kind: local
        title: After
        command: echo after >> {log}
"""


def start_blocking(
    tmp_path: Path, files: dict[str, Path]
) -> tuple[subprocess.Popen[str], Path, Path]:
    go, log = tmp_path / "go", tmp_path / "log"
    playbook = tmp_path / "blocking.yaml"
    playbook.write_text(playbook_text(BLOCKING.format(go=go, log=log)))
    process = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "deploytui.cli",
            "--journal",
            str(files["journal"]),
            "run",
            str(playbook),
            "--headless",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    wait_for(
        lambda: query(
            files["journal"],
            "SELECT id FROM events e JOIN runs r ON r.id = e.run_id "
            "WHERE e.type = 'step_started' AND e.step_id = 'wait'",
        ),
        what="the wait step to start",
    )
    return process, go, playbook


def test_a_second_driver_is_refused_naming_host_pid_and_since(
    tmp_path: Path, files: dict[str, Path]
) -> None:
    process, go, _ = start_blocking(tmp_path, files)
    try:
        run_id = query(files["journal"], "SELECT id FROM runs")[0][0]
        second = cli("--journal", str(files["journal"]), "resume", run_id, "--headless")
        assert second.returncode == 1
        assert f"run {run_id} is being driven by " in second.stderr
        # (The operator's name comes first; tests/integration/test_two_operators.py checks it.)
        assert f"(pid {process.pid} on {socket.gethostname()} since " in second.stderr
        no_traceback(second)
    finally:
        go.touch()
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert (tmp_path / "log").read_text() == "released\nafter\n"


def test_a_changed_playbook_resumes_on_its_snapshot_and_says_so(
    tmp_path: Path, files: dict[str, Path]
) -> None:
    process, go, playbook = start_blocking(tmp_path, files)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 3, err
    run_id = query(files["journal"], "SELECT id FROM runs")[0][0]
    # Someone edits the playbook after the run started: the resumed run must not see it.
    playbook.write_text(playbook.read_text().replace("echo after", "echo CHANGED"))
    go.touch()
    resumed = cli(
        "--journal",
        str(files["journal"]),
        "resume",
        run_id,
        "--headless",
        "--answers",
        str(files["answers"]),
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f"{playbook} has changed since run {run_id} started" in resumed.stderr
    assert "continuing with the playbook as it was then" in resumed.stderr
    assert (tmp_path / "log").read_text() == "released\nafter\n"
    data = query(
        files["journal"],
        "SELECT data FROM events WHERE run_id = ? AND type = 'run_resumed'",
        (run_id,),
    )
    assert '"playbook_changed":true' in data[0][0]


def test_the_demo_completes_and_the_journal_shows_the_retried_checkout(tmp_path: Path) -> None:
    journal = tmp_path / "demo.db"
    result = cli("--journal", str(journal), "demo", "--headless", timeout=120)
    assert result.returncode == 0, result.stderr
    run_id = run_id_of(result)
    rows = query(
        journal,
        "SELECT type, attempt, data FROM events WHERE run_id = ? AND step_id = 'checkout_selftest'"
        " AND type IN ('step_started', 'step_finished', 'decision') ORDER BY seq",
        (run_id,),
    )
    assert [(row[0], row[1]) for row in rows] == [
        ("step_started", 1),
        ("step_finished", 1),
        ("decision", None),
        ("step_started", 2),
        ("step_finished", 2),
    ]
    assert '"status":"failed"' in rows[1][2] and '"action":"retry"' in rows[2][2]
    assert '"status":"succeeded"' in rows[4][2]
    assert "▶ deploy_release: Deploy release 7.0.0" in result.stdout  # titles are rendered
    assert query(journal, "SELECT status FROM runs WHERE id = ?", (run_id,)) == [("completed",)]
    assert cli("--journal", str(journal), "verify", run_id).returncode == 0


def test_demo_dry_run_and_version() -> None:
    plan = cli("demo", "--dry-run")
    assert plan.returncode == 0 and "nothing is executed" in plan.stdout
    assert str(bundled_playbook().name) and "checkout_selftest" in plan.stdout
    version = cli("--version")
    assert version.returncode == 0 and version.stdout.startswith("deploytui ")
    assert os.path.exists(bundled_playbook())


def test_a_target_url_rendered_to_garbage_fails_its_steps_not_the_run(
    tmp_path: Path, files: dict[str, Path]
) -> None:
    """A --var that makes base_url unparsable used to crash the run with an internal error."""
    playbook = tmp_path / "garbage.yaml"
    playbook.write_text(
        playbook_text(
            """
            name: garbage-url
            variables: {url: "https://127.0.0.1:1"}
            targets:
              http:
                api: {base_url: "{{ vars.url }}", timeout: 2s}
            phases:
              - id: p
                title: P
                steps:
                  - {id: cert, kind: tls_cert, title: Cert, target: api, on_failure: skip}
                  - {id: ping, kind: http, title: Ping, target: api, url: /, on_failure: skip}
            """
        )
    )
    result = cli(
        "--journal", str(files["journal"]), "run", str(playbook), "--headless",
        "--var", "url=http://[::1",
    )  # fmt: skip
    no_traceback(result)
    assert "internal error" not in result.stdout + result.stderr
    assert result.returncode == 0, result.stderr
    assert (
        "⊘ cert skipped: on_failure: skip (http target 'api' gives no host to connect to "
        "(is base_url a valid URL?))" in result.stdout
    )
    assert "⊘ ping skipped: on_failure: skip (http://[::1/: not a valid URL (" in result.stdout
    assert f"run {run_id_of(result)}: completed" in result.stdout
