"""A run's state is derived from its events alone: statuses, values, sign-offs, next step."""

from __future__ import annotations

import pytest

from deploytui.journal.state import RunState
from deploytui.journal.store import JournalError
from deploytui.model.events import Event, EventType, RunStatus, StepStatus
from tests.core_helpers import load

PLAYBOOK = load(
    """
    name: s
    phases:
      - id: p
        title: P
        steps:
          - {id: a, kind: input, title: A, fields: [{id: size, type: size}]}
          - {id: b, kind: signoff, title: B, role: QA}
          - {id: c, kind: local, title: C, command: "true"}
    rollback:
      steps:
        - {id: r, kind: local, title: R, command: "true"}
    """
).playbook


def events(*items: tuple) -> list[Event]:
    return [
        Event(
            run_id="x",
            seq=seq,
            at=f"2026-11-22T01:00:{seq:02d}+00:00",
            type=type_,
            step_id=step,
            attempt=attempt,
            data=data or {},
        )
        for seq, (type_, step, attempt, data) in enumerate(items, start=1)
    ]


def test_empty_run_starts_at_the_first_step() -> None:
    state = RunState.from_events("x", PLAYBOOK, events((EventType.run_started, None, None, {})))
    assert state.next_step_id() == "a"
    assert state.status == RunStatus.running


def test_values_and_signoffs_are_folded_in() -> None:
    value = {"field": "size", "value": 4_200_000_000, "display": "4.2 GB", "breach": "too big"}
    state = RunState.from_events(
        "x",
        PLAYBOOK,
        events(
            (EventType.run_started, None, None, {"operator": "ana"}),
            (EventType.step_started, "a", 1, {}),
            (EventType.step_finished, "a", 1, {"status": "succeeded", "values": [value]}),
            (EventType.step_started, "b", 1, {}),
            (
                EventType.step_finished,
                "b",
                1,
                {"status": "succeeded", "signoff": {"role": "QA", "name": "Joe", "at": "t"}},
            ),
        ),
    )
    assert state.inputs == {"size": 4_200_000_000}
    assert state.signoffs == {"QA": "Joe"}
    assert state.operator == "ana"
    assert state.breaches() == [value]
    assert state.next_step_id() == "c"


def test_a_started_step_without_result_is_interrupted_after_replay() -> None:
    state = RunState.from_events(
        "x",
        PLAYBOOK,
        events((EventType.run_started, None, None, {}), (EventType.step_started, "a", 1, {})),
    )
    assert state.steps["a"].status == StepStatus.running
    state.resolve_interrupted()
    assert state.steps["a"].status == StepStatus.interrupted
    assert state.next_step_id() == "a"


def test_retry_decision_makes_a_failed_step_pending_again() -> None:
    state = RunState.from_events(
        "x",
        PLAYBOOK,
        events(
            (EventType.step_started, "c", 1, {}),
            (EventType.step_finished, "c", 1, {"status": "failed", "reason": "boom"}),
            (EventType.decision, "c", None, {"action": "retry"}),
        ),
    )
    assert state.steps["c"].status == StepStatus.pending
    assert state.steps["c"].failures == ["boom"]
    assert state.steps["c"].attempts == 1


def test_rollback_switches_the_section_and_finishing_sets_the_status() -> None:
    state = RunState.from_events(
        "x",
        PLAYBOOK,
        events(
            (EventType.rollback_started, "a", None, {"reason": "bad"}),
            (EventType.step_started, "r", 1, {}),
            (EventType.step_finished, "r", 1, {"status": "succeeded", "duration": 1.5}),
        ),
    )
    assert state.rolling_back and state.rollback_reason == "bad"
    assert state.next_step_id() is None
    assert state.phase_elapsed("rollback") == 1.5
    state.apply(events((EventType.run_finished, None, None, {"status": "rolled_back"}))[0])
    assert state.finished and state.status == RunStatus.rolled_back


def test_an_event_edited_to_nonsense_is_a_journal_error_naming_it() -> None:
    """A step_finished whose status was edited outside deploytui used to crash `show`."""
    edited = events(
        (EventType.run_started, None, None, {}),
        (EventType.step_started, "a", 1, {}),
        (EventType.step_finished, "a", 1, {"status": "weird"}),
    )
    with pytest.raises(JournalError) as caught:
        RunState.from_events("x", PLAYBOOK, edited)
    assert str(caught.value) == (
        "event 3 (step_finished) of run x cannot be interpreted "
        "(ValueError: 'weird' is not a valid StepStatus); run 'deploytui verify x'"
    )
