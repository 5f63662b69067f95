"""Crash and resume, for real: a headless run in a subprocess is killed mid-step (SIGKILL) or
stopped (SIGINT, SIGHUP), resumed, and the journal must show every step completed exactly once,
the interrupted step handled per its ``idempotent`` flag and the answers, no captured value or
sign-off lost, and an intact hash chain.

These are kills placed by watching the journal from outside (mid-step, during a command). The
systematic sweep — SIGKILL after every single journal event of the demo and of each shipped
playbook, compared with an uninterrupted run — is tests/integration/test_fault_injection.py
(it replaced the demo's step-boundary kills that lived here).
"""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import pytest

from deploytui.playbook.loader import load_playbook
from tests.core_helpers import PYTHON, cli, playbook_text, query, wait_for

CRASH = """
name: crash-test
phases:
  - id: before
    title: Before
    steps:
      - id: facts
        kind: input
        title: Facts
        fields:
          - {id: size, type: size}
          - {id: ok, type: choice, options: [YES, NO, N/A]}
      - {id: lead, kind: signoff, title: Lead, role: Lead}
  - id: work
    title: Work
    steps:
      - id: produce
        kind: local
        title: Produce a token (not idempotent)
        command: echo "token=tk-42"; sleep 1; echo produced
        capture: [{name: token, pattern: "token=(\\\\S+)"}]
      - id: settle
        kind: local
        title: Settle (idempotent)
        idempotent: true
        command: echo settling; sleep 1; echo settled
      - id: use
        kind: local
        title: Use the answers
        command: echo using {{ inputs.token }} {{ inputs.size }}; sleep 0.5
  - id: after
    title: After
    steps:
      - {id: qa, kind: signoff, title: QA, role: QA, distinct_from: [Lead]}
      - id: final
        kind: local
        title: Final (not idempotent)
        command: echo finishing; sleep 1; echo finished
rollback:
  steps:
    - {id: undo, kind: local, title: Undo, command: echo undo}
"""
ANSWERS = """
operator: crash-tester
inputs: {size: 4.2 GB, ok: N/A}
signoffs: {Lead: Ana Silva, QA: Joe Park}
on_interrupted: rerun
decisions:
  final: [{mark_done: "finished by hand before the crash"}]
"""
EXPECTED_VALUES = {"size": "4.2 GB", "ok": "N/A", "token": "tk-42"}
EXPECTED_SIGNOFFS = {"Lead": "Ana Silva", "QA": "Joe Park"}


def setup_files(tmp_path: Path) -> dict[str, Path]:
    files = {
        "playbook": tmp_path / "crash.yaml",
        "answers": tmp_path / "answers.yaml",
        "journal": tmp_path / "journal.db",
    }
    files["playbook"].write_text(playbook_text(CRASH))
    files["answers"].write_text(playbook_text(ANSWERS))
    return files


def spawn(args: list[str], *, default_sigint: bool = False) -> subprocess.Popen[str]:
    def restore_sigint() -> None:
        # pytest workers may ignore SIGINT; a real terminal would deliver it to a default handler.
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    return subprocess.Popen(
        [PYTHON, "-m", "deploytui.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        preexec_fn=restore_sigint if default_sigint else None,
    )


def started(journal: Path, step_id: str) -> bool:
    return bool(
        query(
            journal,
            "SELECT 1 FROM events WHERE type = 'step_started' AND step_id = ?",
            (step_id,),
        )
    )


def the_run(journal: Path) -> str:
    return query(journal, "SELECT id FROM runs")[0][0]


def events(journal: Path, run_id: str) -> list[dict]:
    rows = query(
        journal,
        "SELECT seq, type, step_id, attempt, data FROM events WHERE run_id = ? ORDER BY seq",
        (run_id,),
    )
    return [
        {"seq": seq, "type": type_, "step": step, "attempt": attempt, "data": json.loads(data)}
        for seq, type_, step, attempt, data in rows
    ]


def assert_completed_exactly_once(journal: Path, run_id: str, playbook: Path) -> list[dict]:
    """Every step succeeded exactly once; the chain verifies; values and sign-offs are all there."""
    found = events(journal, run_id)
    loaded = load_playbook(playbook)
    for phase in loaded.playbook.phases:
        for step in phase.steps:
            successes = [
                e
                for e in found
                if e["type"] == "step_finished"
                and e["step"] == step.id
                and e["data"]["status"] == "succeeded"
            ]
            assert len(successes) == 1, f"{step.id}: {len(successes)} successful results"
    assert query(journal, "SELECT status FROM runs WHERE id = ?", (run_id,)) == [("completed",)]
    assert not [e for e in found if e["type"] == "rollback_started"]
    verified = cli("--journal", str(journal), "verify", run_id)
    assert verified.returncode == 0, verified.stdout
    return found


def step_events(found: list[dict], step_id: str, type_: str) -> list[dict]:
    return [e for e in found if e["step"] == step_id and e["type"] == type_]


@pytest.mark.parametrize("kill_at", ["produce", "settle", "final"])
def test_sigkill_mid_step_then_resume_completes_every_step_once(
    tmp_path: Path, kill_at: str
) -> None:
    files = setup_files(tmp_path)
    journal = files["journal"]
    process = spawn(
        [
            "--journal",
            str(journal),
            "run",
            str(files["playbook"]),
            "--headless",
            "--answers",
            str(files["answers"]),
        ]
    )
    try:
        wait_for(lambda: started(journal, kill_at), what=f"{kill_at} to start")
        process.kill()
    finally:
        process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    run_id = the_run(journal)
    # The killed process left the run 'running' with a dead lock holder: resumable.
    assert query(journal, "SELECT status FROM runs")[0][0] == "running"
    listed = cli("--journal", str(journal), "runs", "--status", "interrupted")
    assert run_id in listed.stdout and "⏸ interrupted" in listed.stdout

    # The dead driver's lock is taken over only when confirmed (no terminal: --take-over).
    refused = cli(
        "--journal", str(journal), "resume", run_id, "--headless", "--answers",
        str(files["answers"]),
    )  # fmt: skip
    assert refused.returncode == 1 and "process is gone" in refused.stderr
    resumed = cli(
        "--journal",
        str(journal),
        "resume",
        run_id,
        "--headless",
        "--answers",
        str(files["answers"]),
        "--take-over",
    )
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    found = assert_completed_exactly_once(journal, run_id, files["playbook"])

    values = {
        row[0]: row[1]
        for row in query(
            journal, "SELECT field, display FROM captured_values WHERE run_id = ?", (run_id,)
        )
    }
    assert values == EXPECTED_VALUES
    signoffs = dict(query(journal, "SELECT role, name FROM signoffs WHERE run_id = ?", (run_id,)))
    assert signoffs == EXPECTED_SIGNOFFS
    assert [e for e in found if e["type"] == "lock_taken_over"]  # the dead driver's lock

    starts = step_events(found, kill_at, "step_started")
    decisions = step_events(found, kill_at, "decision")
    finished = step_events(found, kill_at, "step_finished")
    if kill_at == "produce":  # not idempotent; the answers file says on_interrupted: rerun
        assert [d["data"]["action"] for d in decisions] == ["rerun"]
        assert len(starts) == 2 and finished[-1]["attempt"] == 2
    elif kill_at == "settle":  # idempotent: re-run by itself
        assert decisions[0]["data"] == {
            "action": "rerun",
            "reason": "idempotent step re-run after interruption",
        }
        assert len(starts) == 2
    else:  # the answers file marks it done, with a note; it is not run again
        assert [d["data"]["action"] for d in decisions] == ["mark_done"]
        assert len(starts) == 1
        assert finished[0]["data"]["marked_done"] is True
        assert finished[0]["data"]["reason"] == "finished by hand before the crash"
    # Nothing that had finished before the kill ran again.
    for step_id in ("facts", "lead"):
        assert len(step_events(found, step_id, "step_started")) == 1


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGHUP], ids=["SIGINT", "SIGHUP"])
def test_ctrl_c_or_hangup_mid_command_leaves_the_run_waiting_and_resumable(
    tmp_path: Path, signum: signal.Signals
) -> None:
    files = setup_files(tmp_path)
    journal = files["journal"]
    process = spawn(
        [
            "--journal",
            str(journal),
            "run",
            str(files["playbook"]),
            "--headless",
            "--answers",
            str(files["answers"]),
        ],
        default_sigint=True,
    )
    try:
        wait_for(lambda: started(journal, "produce"), what="produce to start")
        process.send_signal(signum)
        _, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 3, err
    assert "the run stays resumable" in err
    run_id = the_run(journal)
    found = events(journal, run_id)
    assert step_events(found, "produce", "step_interrupted")
    assert found[-1]["type"] == "run_paused"
    assert query(journal, "SELECT status FROM runs")[0][0] == "waiting"

    resumed = cli(
        "--journal",
        str(journal),
        "resume",
        run_id,
        "--headless",
        "--answers",
        str(files["answers"]),
    )
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    found = assert_completed_exactly_once(journal, run_id, files["playbook"])
    assert len(step_events(found, "produce", "step_started")) == 2
