"""Go/no-go evaluation over answers, targets, sign-offs and step outcomes."""

from __future__ import annotations

from deploytui.engine.gates import evaluate_gate
from deploytui.journal.state import RunState
from deploytui.model.events import Event, EventType
from tests.core_helpers import load

LOADED = load(
    """
    name: g
    phases:
      - id: p
        title: P
        steps:
          - id: facts
            kind: input
            title: Facts
            fields:
              - {id: smoke, type: choice, options: [YES, NO]}
              - {id: p95, type: number, unit: ms, target: "< 500 ms"}
          - {id: check, kind: local, title: Check, command: "true"}
          - {id: qa, kind: signoff, title: QA, role: QA}
          - id: go
            kind: gate
            title: Go
            require:
              - {signoff: QA}
              - {value: smoke, equals: "YES"}
              - {value: p95, within_target: true}
              - {step: check}
              - {all_targets_met: true, label: "No breach at all"}
    """
)
GATE = LOADED.playbook.step("go")


def state_with(*finished: tuple[str, dict]) -> RunState:
    state = RunState.empty("x", LOADED.playbook)
    for seq, (step_id, data) in enumerate(finished, start=1):
        state.apply(
            Event(
                run_id="x",
                seq=seq,
                at="t",
                type=EventType.step_finished,
                step_id=step_id,
                data={"status": "succeeded", **data},
            )
        )
    return state


def value(field: str, raw: object, display: str, breach: str | None = None) -> dict:
    return {"field": field, "value": raw, "display": display, "breach": breach}


def test_everything_missing_blocks_with_reasons() -> None:
    results = evaluate_gate(GATE, state_with())
    assert [(r.label, r.passed, r.detail) for r in results] == [
        ("QA signed off", False, "not signed yet"),
        ("smoke is YES", False, "no answer yet"),
        ("p95 meets its target", False, "no answer yet"),
        ("Check succeeded", False, "pending"),
        ("No breach at all", True, "no breach"),
    ]


def test_all_conditions_hold() -> None:
    state = state_with(
        ("facts", {"values": [value("smoke", "YES", "YES"), value("p95", 312, "312 ms")]}),
        ("check", {}),
        ("qa", {"signoff": {"role": "QA", "name": "Joe", "at": "t"}}),
    )
    results = evaluate_gate(GATE, state)
    assert all(result.passed for result in results)
    assert results[0].detail == "by Joe"


def test_wrong_answer_and_breach_block() -> None:
    state = state_with(
        (
            "facts",
            {
                "values": [
                    value("smoke", "NO", "NO"),
                    value("p95", 900, "900 ms", "900 ms misses the target < 500 ms"),
                ]
            },
        ),
    )
    results = {r.label: r for r in evaluate_gate(GATE, state)}
    assert results["smoke is YES"].detail == "answer is NO"
    assert results["p95 meets its target"].detail == "900 ms misses the target < 500 ms"
    assert not results["No breach at all"].passed


def test_equals_is_case_insensitive() -> None:
    state = state_with(("facts", {"values": [value("smoke", "yes", "yes")]}))
    assert evaluate_gate(GATE, state)[1].passed
