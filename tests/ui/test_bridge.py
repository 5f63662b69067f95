"""The engine-thread side of the UI: questions block until answered, quitting never leaves the
engine waiting, and the feed keeps events, output and questions in order."""

from __future__ import annotations

import threading

from deploytui.engine.operator import Decision
from deploytui.engine.runner import OutputLine, RunOutcome
from deploytui.model.events import DecisionAction, RunStatus
from deploytui.model.steps import ConfirmStep
from deploytui.ui.bridge import Ask, Feed, Question, UiOperator
from deploytui.ui.session import exit_code

STEP = ConfirmStep(id="c", kind="confirm", title="Confirm")


def ask_in_thread(operator: UiOperator, result: dict[str, object]) -> threading.Thread:
    def work() -> None:
        result["answer"] = operator.acknowledge(STEP, None)  # type: ignore[arg-type]

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread


def wait_question(feed: Feed) -> Question:
    while True:
        items = [item for item in feed.drain() if isinstance(item, Question)]
        if items:
            return items[0]
        threading.Event().wait(0.01)


def test_a_question_blocks_until_the_screen_answers() -> None:
    feed = Feed()
    operator = UiOperator(feed)
    result: dict[str, object] = {}
    thread = ask_in_thread(operator, result)
    question = wait_question(feed)
    assert question.ask == Ask.acknowledge
    assert thread.is_alive()
    question.answer(None)
    question.answer(Decision(action=DecisionAction.abort))  # a second answer is ignored
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert result == {"answer": None}


def test_closing_answers_pending_and_later_questions_with_stop() -> None:
    feed = Feed()
    operator = UiOperator(feed)
    result: dict[str, object] = {}
    thread = ask_in_thread(operator, result)
    wait_question(feed)
    operator.close()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert isinstance(result["answer"], Decision)
    assert result["answer"].action == DecisionAction.stop
    # After closing, the engine gets "stop" at once (and False for yes/no questions).
    assert operator.acknowledge(STEP, None).action == DecisionAction.stop  # type: ignore[arg-type, union-attr]
    assert operator.acknowledge_breaches(None, []) is False  # type: ignore[arg-type]
    assert feed.drain() == []


def test_feed_keeps_order() -> None:
    feed = Feed()
    items = [OutputLine(step_id="s", attempt=1, stream="stdout", text=str(n)) for n in range(5)]
    for item in items:
        feed.put(item)
    assert feed.drain() == items
    assert feed.drain() == []


def test_exit_codes_follow_the_cli() -> None:
    def code(status: RunStatus) -> int:
        return exit_code(RunOutcome(run_id="r", status=status))

    assert code(RunStatus.completed) == 0
    assert code(RunStatus.aborted) == 1
    assert code(RunStatus.rolled_back) == 1
    assert code(RunStatus.waiting) == 3
    assert exit_code(None) == 3
