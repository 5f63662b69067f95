"""Answers files: validated like playbooks, and a headless operator that never guesses."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploytui.engine.headless import Answers, HeadlessOperator, load_answers
from deploytui.engine.operator import Failure
from deploytui.journal import Journal
from deploytui.model.events import DecisionAction, RunStatus
from deploytui.playbook.loader import PlaybookError
from tests.core_helpers import drive, finished_statuses, load


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "answers.yaml"
    path.write_text(text)
    return path


def test_answers_file_is_parsed_with_yes_no_as_text(tmp_path: Path) -> None:
    answers = load_answers(
        write(
            tmp_path,
            "operator: ana\n"
            "inputs: {smoke: YES, p95: 312, empty: }\n"
            "signoffs: {DBA: Maria}\n"
            "decisions: {flaky: [retry, {skip: not needed}], other: abort}\n"
            "on_interrupted: {mark_done: finished by hand}\n",
        )
    )
    assert answers.inputs == {"smoke": "YES", "p95": "312", "empty": ""}
    assert [d.action for d in answers.decisions["flaky"]] == ["retry", "skip"]
    assert answers.decisions["flaky"][1].reason == "not needed"
    assert answers.decisions["other"][0].action == DecisionAction.abort
    assert answers.on_interrupted.action == DecisionAction.mark_done


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("inputs: {a: 1}\nsignofs: {}\n", "answers.yaml:2:1:"),
        ("on_failure: explode\n", "answers.yaml:1:1:"),
        ("decisions: {x: [{skip: ''}]}\n", "skip needs a reason"),
        ("decisions: {x: [dance]}\n", "answers.yaml:1:"),
        ("- a\n", "an answers file is a mapping"),
        ("a: !!python/object/apply:os.system [x]\n", "is not allowed"),
    ],
)
def test_bad_answers_files_are_positioned_sentences(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(PlaybookError) as caught:
        load_answers(path)
    assert expected in str(caught.value)
    assert str(path) in str(caught.value)


def test_unknown_answer_keys_suggest_the_right_one(tmp_path: Path) -> None:
    with pytest.raises(
        PlaybookError, match=r"unknown field .signofs. in the answers file; did you mean .signoffs."
    ):
        load_answers(write(tmp_path, "signofs: {}\n"))


INPUT = """
name: h
phases:
  - id: p
    title: P
    steps:
      - id: f
        kind: input
        title: F
        fields:
          - {id: p95, type: number, unit: ms, target: "< 500 ms"}
          - {id: note, type: text, required: false}
"""


def test_a_missing_answer_stops_naming_it(journal: Journal) -> None:
    operator = HeadlessOperator(Answers())
    run_id, outcome = drive(journal, load(INPUT), operator)
    assert outcome.status == RunStatus.waiting
    assert "answers file has no value for p95 (step f)" in outcome.message
    assert journal.run(run_id).status == RunStatus.waiting


def test_a_breach_is_acknowledged_by_default_and_said(journal: Journal) -> None:
    said: list[str] = []
    operator = HeadlessOperator(Answers(inputs={"p95": "612"}), say=said.append)
    run_id, outcome = drive(journal, load(INPUT), operator)
    assert outcome.status == RunStatus.completed
    assert said == ["  ⚠ p95: 612 ms misses the target < 500 ms"]
    stored = {value["field"]: value for value in journal.captured_values(run_id)}
    assert stored["p95"]["breach"] == "612 ms misses the target < 500 ms"
    assert stored["note"]["display"] == "—"  # optional and unanswered


def test_acknowledge_breaches_false_stops_the_run_waiting(journal: Journal) -> None:
    operator = HeadlessOperator(Answers(inputs={"p95": "612"}, acknowledge_breaches=False))
    run_id, outcome = drive(journal, load(INPUT), operator)
    assert outcome.status == RunStatus.waiting
    assert "breach not acknowledged" in outcome.message
    assert journal.captured_values(run_id) == []
    assert finished_statuses(journal, run_id, "f") == []


def test_an_invalid_answer_stops_naming_the_field(journal: Journal) -> None:
    operator = HeadlessOperator(Answers(inputs={"p95": "fast"}))
    _, outcome = drive(journal, load(INPUT), operator)
    assert outcome.status == RunStatus.waiting
    assert "invalid answer for step f (p95: 'fast' is not a number" in outcome.message


def test_decisions_are_consumed_in_order_then_the_default_applies() -> None:
    answers = Answers.model_validate(
        {"decisions": {"s": ["retry", {"skip": "later"}]}, "on_failure": "stop"}
    )
    operator = HeadlessOperator(answers)
    step = load(
        "name: x\nphases: [{id: p, title: P, steps: [{id: s, kind: note, title: S}]}]\n"
    ).playbook.step("s")
    failure = Failure(reason="boom", attempt=1, can_rollback=False)
    actions = [operator.on_failure(step, None, failure).action for _ in range(3)]  # type: ignore[arg-type]
    assert actions == ["retry", "skip", "stop"]
    assert operator.missing == ["step s failed and the answers file says stop"]


def test_default_on_failure_rollback_only_when_possible() -> None:
    operator = HeadlessOperator(Answers(on_failure="rollback"))
    step = load(
        "name: x\nphases: [{id: p, title: P, steps: [{id: s, kind: note, title: S}]}]\n"
    ).playbook.step("s")
    assert (
        operator.on_failure(step, None, Failure(reason="x", attempt=1, can_rollback=True)).action  # type: ignore[arg-type]
        == "rollback"
    )
    assert (
        operator.on_failure(step, None, Failure(reason="x", attempt=1, can_rollback=False)).action  # type: ignore[arg-type]
        == "abort"
    )


def test_on_interrupted_takes_only_interruption_answers_from_the_queue() -> None:
    answers = Answers.model_validate(
        {"decisions": {"s": ["retry", {"mark_done": "done by hand"}]}, "on_interrupted": "rerun"}
    )
    operator = HeadlessOperator(answers)
    step = load(
        "name: x\nphases: [{id: p, title: P, steps: [{id: s, kind: note, title: S}]}]\n"
    ).playbook.step("s")
    # the queued retry is for a failure: the interruption gets the default instead
    assert operator.on_interrupted(step, None).action == "rerun"  # type: ignore[arg-type]
    failure = Failure(reason="boom", attempt=1, can_rollback=False)
    assert operator.on_failure(step, None, failure).action == "retry"  # type: ignore[arg-type]
    marked = operator.on_interrupted(step, None)  # type: ignore[arg-type]
    assert (marked.action, marked.reason) == ("mark_done", "done by hand")
