"""Local commands, for real: exit codes, timeouts that kill the whole process group, env, cwd,
line-by-line streaming, captures into later steps, and quoting of captured values."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

from deploytui.executors.base import ExecContext, ExecResult
from deploytui.executors.local import LocalExecutor
from deploytui.journal import Journal
from deploytui.model.events import EventType, RunStatus
from deploytui.model.steps import LocalStep
from tests.core_helpers import ScriptedOperator, drive, load, of_type, wait_for


def step(**fields: object) -> LocalStep:
    return LocalStep.model_validate({"id": "s", "kind": "local", "title": "S", **fields})


class Collector:
    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []
        self.cancelled = threading.Event()

    def __call__(self, stream: str, text: str) -> None:
        self.lines.append((stream, text))

    def ctx(self) -> ExecContext:
        return ExecContext(
            run_id="r", step_id="s", attempt=1, output=self, cancelled=self.cancelled
        )


def run(local: LocalStep, collector: Collector | None = None) -> tuple[ExecResult, Collector]:
    collector = collector or Collector()
    return LocalExecutor().execute(local, collector.ctx()), collector


def alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie (nothing reaps orphans in a container)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def test_exit_code_expectation() -> None:
    ok, _ = run(step(command="exit 3", expect_exit=[0, 3]))
    assert ok.ok and ok.details == {"exit_code": 3}
    bad, _ = run(step(command="exit 4", expect_exit=3))
    assert not bad.ok
    assert bad.reason == "the command exited with 4 (expected 3)"


def test_stdout_and_stderr_are_both_streamed() -> None:
    result, collector = run(step(command="echo out; echo err >&2; printf 'no newline'"))
    assert result.ok
    assert sorted(collector.lines) == [
        ("stderr", "err"),
        ("stdout", "no newline"),
        ("stdout", "out"),
    ]


def test_env_and_cwd(tmp_path: Path) -> None:
    result, collector = run(
        step(command='echo "$GREETING from $(pwd)"', env={"GREETING": "hello"}, cwd=str(tmp_path))
    )
    assert result.ok
    assert collector.lines == [("stdout", f"hello from {tmp_path}")]


def test_a_missing_cwd_is_a_clear_reason(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    result, _ = run(step(command="true", cwd=str(missing)))
    assert not result.ok
    assert result.reason == f"working directory {missing} does not exist"


def test_timeout_kills_the_process_group_including_children(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    command = f"sleep 60 & echo $! > {pid_file}; sh -c 'sleep 60' & wait"
    result, _ = run(step(command=command, timeout=0.5))
    assert not result.ok
    assert result.reason == "the command timed out after 0.5s"
    child = int(pid_file.read_text())
    wait_for(lambda: not alive(child), timeout=10, what=f"child {child} to die")


def test_cancel_stops_the_command(tmp_path: Path) -> None:
    started = tmp_path / "started"
    collector = Collector()
    results: list[ExecResult] = []
    worker = threading.Thread(
        target=lambda: results.append(run(step(command=f"touch {started}; sleep 60"), collector)[0])
    )
    worker.start()
    wait_for(started.exists, what="the command to start")
    collector.cancelled.set()
    worker.join(timeout=15)
    assert results[0].reason == "the command was cancelled by the operator"


def test_output_arrives_line_by_line_before_the_command_ends(tmp_path: Path) -> None:
    go = tmp_path / "go"
    # The command cannot finish until the test has seen its first line and created `go`.
    command = (
        f"echo ready; i=0; while [ ! -e {go} ]; do i=$((i+1)); "
        f'[ "$i" -gt 200 ] && echo gave-up && exit 1; sleep 0.05; done; echo done'
    )

    class Releaser(Collector):
        def __call__(self, stream: str, text: str) -> None:
            super().__call__(stream, text)
            if text == "ready":
                go.touch()

    result, collector = run(step(command=command), Releaser())
    assert collector.lines == [("stdout", "ready"), ("stdout", "done")]
    assert result.ok


def test_long_lines_and_binary_output_do_not_break_the_reader() -> None:
    result, collector = run(
        step(command="head -c 200000 /dev/zero | tr '\\0' x; echo; printf '\\377\\376\\n'")
    )
    assert result.ok
    assert sum(len(text) for _, text in collector.lines[:-1]) == 200000
    assert collector.lines[-1] == ("stdout", "\ufffd\ufffd")


def test_capture_feeds_a_later_step_and_metacharacters_stay_quoted(
    journal: Journal, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    loaded = load(
        f"""
        name: capture
        phases:
          - id: p
            title: P
            steps:
              - id: produce
                kind: local
                title: Produce
                command: echo 'backup written to x; touch PWNED'
                capture:
                  - {{name: location, pattern: "backup written to (.*)", stream: stdout}}
              - id: consume
                kind: local
                title: Consume
                cwd: {work}
                command: printf '%s' {{{{ inputs.location }}}} > got.txt; ls
        """
    )
    run_id, outcome = drive(journal, loaded, ScriptedOperator())
    assert outcome.status == RunStatus.completed
    assert (work / "got.txt").read_text() == "x; touch PWNED"
    assert not (work / "PWNED").exists()
    assert journal.captured_values(run_id)[0]["value"] == '"x; touch PWNED"'
    assert journal.output(run_id, "consume") == ["got.txt"]


def test_a_required_capture_that_matches_nothing_fails_the_step(journal: Journal) -> None:
    loaded = load(
        """
        name: capture
        phases:
          - id: p
            title: P
            steps:
              - id: produce
                kind: local
                title: Produce
                on_failure: abort
                command: echo nothing useful
                capture: [{name: size, pattern: "size=(\\\\d+)"}]
        """
    )
    run_id, outcome = drive(journal, loaded, ScriptedOperator())
    assert outcome.status == RunStatus.aborted
    reason = of_type(journal.events(run_id), EventType.step_finished, "produce")[0].data["reason"]
    assert reason.startswith("nothing in the output matched capture 'size'")


PROBE = """
import sqlite3, sys
connection = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
row = connection.execute(
    "SELECT count(*), max(data) FROM events WHERE type = ? AND step_id = ?", sys.argv[2:4]
).fetchone()
print(row[0], row[1])
sys.exit(0 if row[0] == 1 else 1)
"""


def probe_playbook(tmp_path: Path, journal: Journal, event: str, step_id: str) -> str:
    """A playbook whose ``probe`` step checks, from its own process, that an event is on disk."""
    script = tmp_path / "probe.py"
    script.write_text(PROBE)
    return f"""
        name: durable
        phases:
          - id: p
            title: P
            steps:
              - {{id: first, kind: local, title: First, command: echo first}}
              - id: probe
                kind: local
                title: Probe
                on_failure: abort
                command: {sys.executable} {script} {journal.path} {event} {step_id}
        """


def test_step_started_is_durable_before_the_command_runs(journal: Journal, tmp_path: Path) -> None:
    loaded = load(probe_playbook(tmp_path, journal, "step_started", "probe"))
    run_id, outcome = drive(journal, loaded, ScriptedOperator())
    assert journal.output(run_id, "probe")[0].startswith("1 ")
    assert outcome.status == RunStatus.completed


def test_the_result_is_durable_before_the_next_step_starts(
    journal: Journal, tmp_path: Path
) -> None:
    loaded = load(probe_playbook(tmp_path, journal, "step_finished", "first"))
    run_id, outcome = drive(journal, loaded, ScriptedOperator())
    assert outcome.status == RunStatus.completed
    assert '"status":"succeeded"' in journal.output(run_id, "probe")[0]


@pytest.mark.parametrize("lines", [3, 1200])
def test_all_output_is_journaled_in_chunks(journal: Journal, lines: int) -> None:
    loaded = load(
        f"""
        name: chunks
        phases:
          - id: p
            title: P
            steps:
              - {{id: many, kind: local, title: Many, command: "seq 1 {lines}"}}
        """
    )
    run_id, _ = drive(journal, loaded, ScriptedOperator())
    assert journal.output(run_id, "many") == [str(n) for n in range(1, lines + 1)]
