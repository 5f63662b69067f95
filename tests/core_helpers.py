"""Helpers shared by the core tests: playbooks from text, a scripted operator, engine runs.

The scripted operator is the test's stand-in for a person at the TUI: it answers from queues the
test fills and records every question it was asked, so tests assert on what the engine asked.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from deploytui.engine.operator import Decision, Failure, GateResult, StepView
from deploytui.engine.runner import Engine, RunOutcome, start_run
from deploytui.executors.base import HostKey
from deploytui.journal import Journal
from deploytui.model.events import DecisionAction, Event, EventType
from deploytui.model.fields import CapturedValue
from deploytui.model.steps import GateStep, InputStep, SignoffStep, StepBase
from deploytui.playbook.loader import LoadedPlaybook, parse_playbook

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


def playbook_text(body: str) -> str:
    """Dedent a playbook written inline in a test."""
    return textwrap.dedent(body).lstrip("\n")


def load(body: str, filename: str = "test.yaml") -> LoadedPlaybook:
    return parse_playbook(playbook_text(body), filename)


def decision(action: str, reason: str = "") -> Decision:
    return Decision(action=DecisionAction(action), reason=reason)


class ScriptedOperator:
    """An ``Operator`` answering from queues; anything not scripted stops the run (waiting)."""

    def __init__(
        self,
        *,
        inputs: dict[str, str] | None = None,
        signoffs: dict[str, list[str] | str] | None = None,
        failures: dict[str, list[Decision]] | None = None,
        interrupted: dict[str, list[Decision]] | None = None,
        acknowledge_breaches: bool = True,
        gate_replies: dict[str, list[Decision | None]] | None = None,
    ) -> None:
        self.inputs = dict(inputs or {})
        self.signoffs = {
            role: [names] if isinstance(names, str) else list(names)
            for role, names in (signoffs or {}).items()
        }
        self.failures = {key: list(value) for key, value in (failures or {}).items()}
        self.interrupted = {key: list(value) for key, value in (interrupted or {}).items()}
        self.breach_answer = acknowledge_breaches
        self.gate_replies = {key: list(value) for key, value in (gate_replies or {}).items()}
        self.asked: list[tuple[str, str]] = []
        self.failure_seen: list[Failure] = []
        self.sign_errors: list[str] = []
        self.input_errors: list[dict[str, str]] = []
        self.breaches_seen: list[CapturedValue] = []
        self.gate_results: list[list[GateResult]] = []

    def acknowledge(self, step: StepBase, view: StepView) -> Decision | None:
        self.asked.append(("acknowledge", step.id))
        return None

    def provide_inputs(
        self, step: InputStep, view: StepView, errors: dict[str, str], previous: dict[str, str]
    ) -> dict[str, str] | Decision:
        self.asked.append(("inputs", step.id))
        if errors:
            self.input_errors.append(dict(errors))
            return decision("stop", "invalid answer")
        missing = [field.id for field in step.fields if field.id not in self.inputs]
        if missing:
            return decision("stop", f"no answer for {', '.join(missing)}")
        return {field.id: self.inputs[field.id] for field in step.fields}

    def acknowledge_breaches(self, step: InputStep, breaches: list[CapturedValue]) -> bool:
        self.breaches_seen.extend(breaches)
        return self.breach_answer

    def sign(self, step: SignoffStep, view: StepView, error: str | None) -> str | Decision:
        self.asked.append(("sign", step.id))
        if error:
            self.sign_errors.append(error)
        names = self.signoffs.get(step.role) or []
        if not names:
            return decision("stop", f"no signer for {step.role}")
        return names.pop(0)

    def review_gate(
        self, step: GateStep, view: StepView, results: list[GateResult]
    ) -> Decision | None:
        self.gate_results.append(results)
        replies = self.gate_replies.get(step.id) or []
        return replies.pop(0) if replies else None

    def on_failure(self, step: StepBase, view: StepView, failure: Failure) -> Decision:
        self.asked.append(("failure", step.id))
        self.failure_seen.append(failure)
        queue = self.failures.get(step.id) or []
        return queue.pop(0) if queue else decision("stop", "no decision scripted")

    def on_interrupted(self, step: StepBase, view: StepView) -> Decision:
        self.asked.append(("interrupted", step.id))
        queue = self.interrupted.get(step.id) or []
        return queue.pop(0) if queue else decision("stop", "no decision scripted")

    def confirm_host_key(self, step: StepBase, view: StepView, key: HostKey) -> bool:
        return False


def make_run(journal: Journal, run_id: str = "run1") -> str:
    """A bare run row with its run_started event (journal tests need no playbook)."""
    journal.create_run(
        run_id=run_id,
        playbook_name="pb",
        playbook_version="1",
        playbook_path="/x/pb.yaml",
        playbook_sha256="0" * 64,
        snapshot="name: pb\n",
        operator="ana",
        host="h",
        data={"operator": "ana"},
    )
    return run_id


def new_run(journal: Journal, loaded: LoadedPlaybook, operator_name: str = "tester") -> str:
    return start_run(journal, loaded, operator_name=operator_name, mode="headless")


def drive(
    journal: Journal,
    loaded: LoadedPlaybook,
    operator: Any,
    *,
    run_id: str | None = None,
    listener: Callable[[Any], None] | None = None,
    secrets: dict[str, str] | None = None,
) -> tuple[str, RunOutcome]:
    """Start (or continue) a run and drive it to its end or first stop."""
    run_id = run_id or new_run(journal, loaded)
    engine = Engine(
        journal=journal,
        run_id=run_id,
        loaded=loaded,
        operator=operator,
        listener=listener,
        secrets=secrets,
    )
    resume = {"operator": "tester"} if journal.events(run_id)[-1].type != "run_started" else None
    return run_id, engine.run(resume_data=resume)


def of_type(events: list[Event], type_: EventType, step_id: str | None = None) -> list[Event]:
    return [
        event
        for event in events
        if event.type == type_ and (step_id is None or event.step_id == step_id)
    ]


def finished_statuses(journal: Journal, run_id: str, step_id: str) -> list[str]:
    return [
        event.data["status"]
        for event in of_type(journal.events(run_id), EventType.step_finished, step_id)
    ]


# -- subprocess helpers for CLI, crash and boundary tests --------------------------------------


def cli_env(home: Path) -> dict[str, str]:
    """The test's isolated environment for a ``deploytui`` subprocess."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("DEPLOYTUI_")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m deploytui.cli ARGS`` and capture its output."""
    return subprocess.run(
        [PYTHON, "-m", "deploytui.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env if env is not None else dict(os.environ),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
    )


def query(db: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Read the journal from outside the engine, as another process would."""
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


def wait_for(predicate: Callable[[], Any], *, timeout: float = 30, what: str = "") -> Any:
    """Poll ``predicate`` until it returns something truthy; fail with ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = predicate()
        except sqlite3.Error:
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        time.sleep(0.02)
