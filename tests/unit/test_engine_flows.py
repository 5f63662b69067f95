"""The engine's run state machine, driven by a scripted operator on a real journal file.

Local steps run real (tiny) shell commands; nothing is faked but the person at the keyboard.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from deploytui.engine.runner import Engine
from deploytui.journal import Journal
from deploytui.journal.locks import RunLock, RunLocked
from deploytui.model.events import EventType, RunStatus
from tests.core_helpers import (
    ScriptedOperator,
    decision,
    drive,
    finished_statuses,
    load,
    new_run,
    of_type,
    wait_for,
)

FLAKY = """
name: flows
phases:
  - id: main
    title: Main
    steps:
      - id: first
        kind: confirm
        title: First
      - id: flaky
        kind: local
        title: Fails until a marker file exists
        command: test -f {marker}
        retry_delay: 0
        {extra}
      - id: after
        kind: local
        title: After
        command: echo after-ran >> {log}
rollback:
  steps:
    - id: undo
      kind: local
      title: Undo
      command: echo undo-ran >> {log}
"""


def flaky(tmp_path: Path, extra: str = "") -> tuple[str, Path, Path]:
    marker, log = tmp_path / "marker", tmp_path / "log"
    return FLAKY.format(marker=marker, log=log, extra=extra), marker, log


def test_a_clean_run_completes_and_every_step_succeeds_once(journal: Journal, tmp_path: Path):
    text, marker, log = flaky(tmp_path)
    marker.touch()
    run_id, outcome = drive(journal, load(text), ScriptedOperator())
    assert outcome.status == RunStatus.completed
    for step in ("first", "flaky", "after"):
        assert finished_statuses(journal, run_id, step) == ["succeeded"]
    assert finished_statuses(journal, run_id, "undo") == []
    assert log.read_text() == "after-ran\n"
    assert journal.run(run_id).status == RunStatus.completed


def test_retry_decision_runs_the_step_again(journal: Journal, tmp_path: Path):
    text, marker, _ = flaky(tmp_path)

    class FixThenRetry(ScriptedOperator):
        def on_failure(self, step, view, failure):
            marker.touch()  # the operator fixes the cause, then retries
            return super().on_failure(step, view, failure)

    operator = FixThenRetry(failures={"flaky": [decision("retry")]})
    run_id, outcome = drive(journal, load(text), operator)
    assert outcome.status == RunStatus.completed
    assert finished_statuses(journal, run_id, "flaky") == ["failed", "succeeded"]
    started = of_type(journal.events(run_id), EventType.step_started, "flaky")
    assert [event.attempt for event in started] == [1, 2]
    assert "exited with 1" in operator.failure_seen[0].reason
    assert operator.failure_seen[0].can_rollback


def test_skip_needs_a_reason_and_the_reason_is_journaled(journal: Journal, tmp_path: Path):
    with pytest.raises(ValueError, match="needs a reason"):
        decision("skip", "  ")
    text, _, log = flaky(tmp_path)
    operator = ScriptedOperator(failures={"flaky": [decision("skip", "checked by hand")]})
    run_id, outcome = drive(journal, load(text), operator)
    assert outcome.status == RunStatus.completed
    assert finished_statuses(journal, run_id, "flaky") == ["failed", "skipped"]
    decisions = of_type(journal.events(run_id), EventType.decision, "flaky")
    assert [(d.data["action"], d.data["reason"]) for d in decisions] == [
        ("skip", "checked by hand")
    ]
    assert log.read_text() == "after-ran\n"


def test_abort_ends_the_run_aborted_without_running_later_steps(journal: Journal, tmp_path: Path):
    text, _, log = flaky(tmp_path)
    operator = ScriptedOperator(failures={"flaky": [decision("abort", "too risky")]})
    run_id, outcome = drive(journal, load(text), operator)
    assert outcome.status == RunStatus.aborted
    assert journal.run(run_id).status == RunStatus.aborted
    assert not log.exists()


def test_rollback_runs_the_rollback_steps_and_ends_rolled_back(journal: Journal, tmp_path: Path):
    text, _, log = flaky(tmp_path)
    operator = ScriptedOperator(failures={"flaky": [decision("rollback", "broken")]})
    run_id, outcome = drive(journal, load(text), operator)
    assert outcome.status == RunStatus.rolled_back
    assert log.read_text() == "undo-ran\n"  # 'after' never ran, 'undo' did
    assert finished_statuses(journal, run_id, "undo") == ["succeeded"]
    assert of_type(journal.events(run_id), EventType.rollback_started)[0].data["reason"] == "broken"


def test_automatic_retries_happen_before_the_operator_is_asked(journal: Journal, tmp_path: Path):
    text, _, _ = flaky(tmp_path, extra="retries: 2")
    operator = ScriptedOperator(failures={"flaky": [decision("abort", "give up")]})
    run_id, outcome = drive(journal, load(text), operator)
    assert outcome.status == RunStatus.aborted
    assert finished_statuses(journal, run_id, "flaky") == ["failed"] * 3
    automatic = [
        d
        for d in of_type(journal.events(run_id), EventType.decision, "flaky")
        if d.data.get("automatic")
    ]
    assert len(automatic) == 2
    assert operator.asked.count(("failure", "flaky")) == 1


@pytest.mark.parametrize(
    ("policy", "status", "after_ran", "undo_ran"),
    [
        ("abort", RunStatus.aborted, False, False),
        ("skip", RunStatus.completed, True, False),
        ("rollback", RunStatus.rolled_back, False, True),
    ],
)
def test_on_failure_policies_decide_without_asking(
    journal: Journal, tmp_path: Path, policy, status, after_ran, undo_ran
):
    text, _, log = flaky(tmp_path, extra=f"on_failure: {policy}")
    operator = ScriptedOperator()
    run_id, outcome = drive(journal, load(text), operator)
    assert outcome.status == status
    assert ("failure", "flaky") not in operator.asked
    content = log.read_text() if log.exists() else ""
    assert ("after-ran" in content) == after_ran
    assert ("undo-ran" in content) == undo_ran
    if policy == "skip":
        reason = of_type(journal.events(run_id), EventType.decision, "flaky")[0].data["reason"]
        assert reason.startswith("on_failure: skip")


INPUTS = """
name: inputs
phases:
  - id: main
    title: Main
    steps:
      - id: facts
        kind: input
        title: Facts
        fields:
          - {id: size, type: size}
          - {id: p95, type: number, unit: ms, target: "< 500 ms"}
      - id: lead
        kind: signoff
        title: Lead
        role: Lead
      - id: qa
        kind: signoff
        title: QA
        role: QA
        distinct_from: [Lead]
      - id: use
        kind: local
        title: Use the answers
        command: echo {{ inputs.size }} {{ inputs.p95 }}
        capture:
          - {name: echoed, pattern: "^(.*)$"}
"""


def test_a_missing_answer_leaves_the_run_waiting_and_resume_finishes_it(journal: Journal):
    loaded = load(INPUTS)
    first = ScriptedOperator(inputs={"size": "4.2 GB"})  # p95 missing
    run_id, outcome = drive(journal, loaded, first)
    assert outcome.status == RunStatus.waiting
    assert journal.run(run_id).status == RunStatus.waiting
    assert of_type(journal.events(run_id), EventType.run_paused)
    answers = ScriptedOperator(
        inputs={"size": "4.2 GB", "p95": "0.3 s"}, signoffs={"Lead": "Ana", "QA": "Joe"}
    )
    _, outcome = drive(journal, loaded, answers, run_id=run_id)
    assert outcome.status == RunStatus.completed
    assert finished_statuses(journal, run_id, "facts") == ["succeeded"]
    values = {value["field"]: value for value in journal.captured_values(run_id)}
    assert values["size"]["display"] == "4.2 GB"
    assert values["p95"]["display"] == "300 ms"
    # normalised values reach later commands: bytes and milliseconds
    assert values["echoed"]["raw"] == "4200000000 300"


def test_signoff_distinct_from_refuses_the_same_person_case_insensitively(journal: Journal):
    operator = ScriptedOperator(
        inputs={"size": "1 GB", "p95": "100"},
        signoffs={"Lead": "Ana Silva", "QA": ["  ana   SILVA ", "Joe Park"]},
    )
    run_id, outcome = drive(journal, load(INPUTS), operator)
    assert outcome.status == RunStatus.completed
    assert len(operator.sign_errors) == 1
    assert "another person must sign as QA" in operator.sign_errors[0]
    signoffs = {item["role"]: item["name"] for item in journal.signoffs(run_id)}
    assert signoffs == {"Lead": "Ana Silva", "QA": "Joe Park"}


def test_a_breach_is_recorded_and_shown(journal: Journal):
    operator = ScriptedOperator(
        inputs={"size": "1 GB", "p95": "612 ms"}, signoffs={"Lead": "A", "QA": "B"}
    )
    run_id, outcome = drive(journal, load(INPUTS), operator)
    assert outcome.status == RunStatus.completed
    assert [value.field for value in operator.breaches_seen] == ["p95"]
    stored = {value["field"]: value for value in journal.captured_values(run_id)}
    assert stored["p95"]["breach"] == "612 ms misses the target < 500 ms"
    assert stored["size"]["breach"] is None


def test_an_unacknowledged_breach_is_not_accepted(journal: Journal):
    operator = ScriptedOperator(inputs={"size": "1 GB", "p95": "612"}, acknowledge_breaches=False)
    run_id, outcome = drive(journal, load(INPUTS), operator)
    assert outcome.status == RunStatus.waiting
    assert "breach not acknowledged" in operator.input_errors[0]["p95"]
    assert journal.captured_values(run_id) == []


def test_an_invalid_answer_is_refused_with_a_sentence(journal: Journal):
    operator = ScriptedOperator(inputs={"size": "4.2 parsecs", "p95": "12"})
    run_id, outcome = drive(journal, load(INPUTS), operator)
    assert outcome.status == RunStatus.waiting
    assert operator.input_errors == [
        {"size": "'parsecs' is not a size unit; use B, KB, MB, GB or TB"}
    ]
    assert journal.captured_values(run_id) == []


GATE = """
name: gate
phases:
  - id: main
    title: Main
    steps:
      - id: facts
        kind: input
        title: Facts
        fields:
          - {id: smoke, type: choice, options: [YES, NO]}
          - {id: p95, type: number, unit: ms, target: "< 500 ms"}
      - id: qa
        kind: signoff
        title: QA
        role: QA
      - id: go
        kind: gate
        title: Go / no-go
        require:
          - {signoff: QA}
          - {value: smoke, equals: "YES"}
          - {value: p95, within_target: true}
      - id: deploy
        kind: local
        title: Deploy
        command: echo deployed
"""


def test_a_gate_passes_when_its_conditions_hold(journal: Journal):
    operator = ScriptedOperator(inputs={"smoke": "yes", "p95": "200"}, signoffs={"QA": "Joe"})
    run_id, outcome = drive(journal, load(GATE), operator)
    assert outcome.status == RunStatus.completed
    assert all(result.passed for result in operator.gate_results[0])
    assert finished_statuses(journal, run_id, "go") == ["succeeded"]


def test_a_blocked_gate_fails_with_no_go_listing_the_blockers(journal: Journal):
    operator = ScriptedOperator(
        inputs={"smoke": "NO", "p95": "900"},
        signoffs={"QA": "Joe"},
        failures={"go": [decision("abort", "no-go")]},
    )
    run_id, outcome = drive(journal, load(GATE), operator)
    assert outcome.status == RunStatus.aborted
    failed = of_type(journal.events(run_id), EventType.step_finished, "go")[0]
    reason = failed.data["reason"]
    assert reason.startswith("no-go: ")
    assert "smoke is YES (answer is NO)" in reason
    assert "p95 meets its target (900 ms misses the target < 500 ms)" in reason
    assert "QA signed off" not in reason  # only the blockers are listed
    assert operator.failure_seen[0].reason == reason


def test_a_gate_skip_is_journaled_as_gate_overridden(journal: Journal):
    operator = ScriptedOperator(
        inputs={"smoke": "NO", "p95": "100"},
        signoffs={"QA": "Joe"},
        failures={"go": [decision("retry"), decision("skip", "smoke flake, known issue")]},
    )
    run_id, outcome = drive(journal, load(GATE), operator)
    assert outcome.status == RunStatus.completed
    assert len(operator.gate_results) == 2  # the retry evaluated the gate again
    assert finished_statuses(journal, run_id, "go") == ["failed", "failed", "skipped"]
    skip = [
        d
        for d in of_type(journal.events(run_id), EventType.decision, "go")
        if d.data["action"] == "skip"
    ]
    assert skip[0].data["reason"] == "gate overridden: smoke flake, known issue"
    assert finished_statuses(journal, run_id, "deploy") == ["succeeded"]


INTERRUPTED = """
name: interrupted
phases:
  - id: main
    title: Main
    steps:
      - id: once
        kind: local
        title: Not idempotent
        command: echo x >> {log}
      - id: again
        kind: local
        title: Idempotent
        idempotent: true
        command: echo y >> {log}
"""


def _interrupt(journal: Journal, run_id: str, step_id: str) -> None:
    """Journal a step_started with no result, as a process killed mid-step leaves it."""
    attempt = (
        sum(1 for event in of_type(journal.events(run_id), EventType.step_started, step_id)) + 1
    )
    journal.append(run_id, EventType.step_started, step_id=step_id, attempt=attempt)


def test_an_interrupted_non_idempotent_step_asks_and_can_be_marked_done(
    journal: Journal, tmp_path: Path
):
    log = tmp_path / "log"
    loaded = load(INTERRUPTED.format(log=log))

    run_id = new_run(journal, loaded)
    _interrupt(journal, run_id, "once")
    operator = ScriptedOperator(interrupted={"once": [decision("mark_done", "it had finished")]})
    _, outcome = drive(journal, loaded, operator, run_id=run_id)
    assert outcome.status == RunStatus.completed
    assert ("interrupted", "once") in operator.asked
    assert log.read_text() == "y\n"  # 'once' was not run again
    finished = of_type(journal.events(run_id), EventType.step_finished, "once")
    assert finished[0].data["marked_done"] is True
    assert finished[0].data["reason"] == "it had finished"


def test_an_interrupted_non_idempotent_step_reruns_when_chosen(journal: Journal, tmp_path: Path):
    log = tmp_path / "log"
    loaded = load(INTERRUPTED.format(log=log))

    run_id = new_run(journal, loaded)
    _interrupt(journal, run_id, "once")
    operator = ScriptedOperator(interrupted={"once": [decision("rerun")]})
    _, outcome = drive(journal, loaded, operator, run_id=run_id)
    assert outcome.status == RunStatus.completed
    assert log.read_text() == "x\ny\n"
    assert finished_statuses(journal, run_id, "once") == ["succeeded"]


def test_an_interrupted_idempotent_step_reruns_by_itself(journal: Journal, tmp_path: Path):
    log = tmp_path / "log"
    loaded = load(INTERRUPTED.format(log=log))
    # 'once' finished before the crash; 'again' (idempotent) was cut off mid-run
    run_id = new_run(journal, loaded)
    journal.append(run_id, EventType.step_started, step_id="once", attempt=1)
    journal.append(
        run_id, EventType.step_finished, step_id="once", attempt=1, data={"status": "succeeded"}
    )
    _interrupt(journal, run_id, "again")
    operator = ScriptedOperator()
    _, outcome = drive(journal, loaded, operator, run_id=run_id)
    assert outcome.status == RunStatus.completed
    assert ("interrupted", "again") not in operator.asked
    rerun = of_type(journal.events(run_id), EventType.decision, "again")
    assert rerun[0].data["action"] == "rerun"
    assert finished_statuses(journal, run_id, "once") == ["succeeded"]  # never re-run
    assert log.read_text() == "y\n"


def test_resume_never_reruns_completed_steps(journal: Journal, tmp_path: Path):
    text, marker, log = flaky(tmp_path)
    loaded = load(text)
    run_id, outcome = drive(journal, loaded, ScriptedOperator())  # flaky fails, no decision
    assert outcome.status == RunStatus.waiting
    marker.touch()
    operator = ScriptedOperator(failures={"flaky": [decision("retry")]})
    _, outcome = drive(journal, loaded, operator, run_id=run_id)
    assert outcome.status == RunStatus.completed
    assert operator.asked.count(("acknowledge", "first")) == 0
    assert finished_statuses(journal, run_id, "first") == ["succeeded"]
    assert finished_statuses(journal, run_id, "flaky") == ["failed", "succeeded"]
    assert log.read_text() == "after-ran\n"


def test_a_finished_run_is_not_driven_again(journal: Journal, tmp_path: Path):
    text, marker, log = flaky(tmp_path)
    marker.touch()
    loaded = load(text)
    run_id, _ = drive(journal, loaded, ScriptedOperator())
    count = len(journal.events(run_id))
    engine = Engine(journal=journal, run_id=run_id, loaded=loaded, operator=ScriptedOperator())
    assert engine.run().status == RunStatus.completed
    assert len(journal.events(run_id)) == count
    assert log.read_text() == "after-ran\n"


def test_a_run_locked_by_a_live_process_is_refused(journal: Journal, tmp_path: Path):
    text, _marker, _ = flaky(tmp_path)
    loaded = load(text)

    run_id = new_run(journal, loaded)
    holder = RunLock(journal, run_id)
    holder.acquire()
    try:
        engine = Engine(journal=journal, run_id=run_id, loaded=loaded, operator=ScriptedOperator())
        with pytest.raises(RunLocked, match=r"being driven by \w+ \(pid \d+ on .+ since \d{4}-"):
            engine.run()
    finally:
        holder.release()
    assert len(journal.events(run_id)) == 1  # the refused driver wrote nothing


def test_a_captured_value_reaches_the_next_command_only_quoted(journal: Journal, tmp_path: Path):
    text = f"""
    name: quoting
    phases:
      - id: main
        title: Main
        steps:
          - id: produce
            kind: local
            title: Produce
            command: echo 'value=x; touch PWNED'
            capture:
              - {{name: value, pattern: "value=(.*)"}}
          - id: consume
            kind: local
            title: Consume
            cwd: {tmp_path}
            command: echo got {{{{ inputs.value }}}} > out.txt
    """
    _run_id, outcome = drive(journal, load(text), ScriptedOperator())
    assert outcome.status == RunStatus.completed
    assert not (tmp_path / "PWNED").exists()
    assert (tmp_path / "out.txt").read_text() == "got x; touch PWNED\n"


def test_stop_request_while_a_command_runs_leaves_the_run_waiting(journal: Journal, tmp_path: Path):
    started = tmp_path / "started"
    text = f"""
    name: stop
    phases:
      - id: main
        title: Main
        steps:
          - id: slow
            kind: local
            title: Slow
            command: touch {started}; sleep 20
    """
    loaded = load(text)

    run_id = new_run(journal, loaded)
    engine = Engine(journal=journal, run_id=run_id, loaded=loaded, operator=ScriptedOperator())

    result = {}
    worker = threading.Thread(target=lambda: result.setdefault("outcome", engine.run()))
    worker.start()
    wait_for(started.exists, what="the command to start")
    engine.request_stop()
    worker.join(timeout=15)
    assert result["outcome"].status == RunStatus.waiting
    events = journal.events(run_id)
    assert of_type(events, EventType.step_interrupted, "slow")
    assert events[-1].type == EventType.run_paused


def test_a_run_interrupted_during_rollback_resumes_the_rollback(journal: Journal, tmp_path: Path):
    text, _, log = flaky(tmp_path)
    loaded = load(text)
    run_id = new_run(journal, loaded)
    for step_id, status in (("first", "succeeded"), ("flaky", "failed")):
        journal.append(run_id, EventType.step_started, step_id=step_id, attempt=1)
        journal.append(
            run_id, EventType.step_finished, step_id=step_id, attempt=1, data={"status": status}
        )
    journal.append(run_id, EventType.decision, step_id="flaky", data={"action": "rollback"})
    journal.append(run_id, EventType.rollback_started, step_id="flaky", data={"reason": "bad"})
    journal.append(run_id, EventType.step_started, step_id="undo", attempt=1)  # then the crash
    operator = ScriptedOperator(interrupted={"undo": [decision("rerun")]})
    _, outcome = drive(journal, loaded, operator, run_id=run_id)
    assert outcome.status == RunStatus.rolled_back
    assert operator.asked == [("interrupted", "undo")]
    assert log.read_text() == "undo-ran\n"  # 'after' never ran; 'undo' ran once more
