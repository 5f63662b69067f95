"""One run as the TUI drives it: the engine, its UI operator and feed, and what to clean up.

Kept free of Textual so it can be built and checked without an event loop. ``start_session`` and
``resume_session`` are what the home screen uses; ``launch.run_tui`` builds one directly from what
the CLI has already prepared. A run of the bundled demo owns its embedded demo service for the
life of the run, as ``deploytui demo`` does.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from deploytui.clock import Clock
from deploytui.engine.runner import Engine, RunOutcome, start_run
from deploytui.executors import ExecutorSet
from deploytui.journal.store import Journal
from deploytui.model.events import RunStatus
from deploytui.playbook.loader import LoadedPlaybook
from deploytui.ui.bridge import Feed, Relay, UiOperator

EXIT_OK, EXIT_FAILED, EXIT_WAITING = 0, 1, 3


def exit_code(outcome: RunOutcome | None) -> int:
    """The CLI's exit codes: 0 completed, 1 failed/aborted/rolled back, 3 left waiting."""
    if outcome is None:
        return EXIT_WAITING
    if outcome.status == RunStatus.completed:
        return EXIT_OK
    if outcome.status in {RunStatus.waiting, RunStatus.running, RunStatus.interrupted}:
        return EXIT_WAITING
    return EXIT_FAILED


@dataclass
class RunSession:
    """Everything needed to drive one run from the TUI."""

    journal: Journal
    loaded: LoadedPlaybook
    run_id: str
    operator_name: str
    secrets: dict[str, str] = field(default_factory=dict)
    resume_data: dict[str, Any] | None = None
    take_over: bool = False
    executors: ExecutorSet | None = None
    cleanups: list[Callable[[], None]] = field(default_factory=list)
    feed: Feed = field(default_factory=Feed)
    outcome: RunOutcome | None = None
    # The engine's clock (holds, watches); tests pass a ManualClock, None means the system's.
    clock: Clock | None = None

    def __post_init__(self) -> None:
        self.operator = UiOperator(self.feed)
        self.relay = Relay(self.feed)
        self.engine = Engine(
            journal=self.journal,
            run_id=self.run_id,
            loaded=self.loaded,
            operator=self.operator,
            secrets=self.secrets,
            listener=self.relay,
            executors=self.executors,
            clock=self.clock,
        )
        self.relay.engine = self.engine

    def run(self) -> RunOutcome:
        """Drive the run to its end, a terminal decision or a stop (call from a worker thread)."""
        try:
            self.outcome = self.engine.run(take_over=self.take_over, resume_data=self.resume_data)
        finally:
            self.close()
        return self.outcome

    def stop(self) -> None:
        """Leave the run resumable: stop the running command and answer every question 'stop'."""
        self.engine.request_stop()
        self.operator.close()

    def close(self) -> None:
        for cleanup in self.cleanups:
            # A demo service that fails to stop must not hide the run's outcome.
            with contextlib.suppress(Exception):
                cleanup()
        self.cleanups.clear()


def _demo_service(
    path: str, journal: Journal | None = None, run_id: str | None = None
) -> tuple[dict[str, str], Callable[[], None]]:
    """For the bundled demo, start its service (replaying a resumed run's state); else nothing."""
    from deploytui.demo import is_bundled_demo

    if not is_bundled_demo(path):
        return {}, lambda: None
    from deploytui.demo.service import DemoService

    service = DemoService().__enter__()
    if journal is not None and run_id is not None:
        service.replay(journal, run_id)  # the deployed version, the warmed-up checkout
    return {"demo_url": service.url}, lambda: service.__exit__(None, None, None)


def _with_demo(
    path: str, build: Callable[[dict[str, str]], RunSession], **replay: Any
) -> RunSession:
    """Build a session with the demo service (if any) running; stop it if building fails."""
    overrides, cleanup = _demo_service(path, **replay)
    try:
        session = build(overrides)
    except BaseException:
        cleanup()
        raise
    session.cleanups.append(cleanup)
    return session


def start_session(journal: Journal, playbook_path: str, *, operator_name: str) -> RunSession:
    """Create a run of a playbook file (raises PlaybookError / SecretError with a sentence)."""
    from deploytui.playbook import load_playbook
    from deploytui.secretstore import resolve_secrets

    def build(overrides: dict[str, str]) -> RunSession:
        loaded = load_playbook(playbook_path, overrides=overrides or None)
        secrets = resolve_secrets(loaded.playbook.secrets)
        run_id = start_run(journal, loaded, operator_name=operator_name, overrides=overrides)
        return RunSession(
            journal=journal,
            loaded=loaded,
            run_id=run_id,
            operator_name=operator_name,
            secrets=secrets,
        )

    return _with_demo(playbook_path, build)


def resume_session(
    journal: Journal, run_id: str, *, operator_name: str, take_over: bool = False
) -> RunSession:
    """Resume a run with the playbook it started with (a demo run gets a fresh demo service)."""
    from deploytui.engine.session import prepare_resume
    from deploytui.secretstore import resolve_secrets

    def build(overrides: dict[str, str]) -> RunSession:
        loaded, resume_data = prepare_resume(
            journal, run_id, operator_name=operator_name, extra_overrides=overrides or None
        )
        return RunSession(
            journal=journal,
            loaded=loaded,
            run_id=run_id,
            operator_name=operator_name,
            secrets=resolve_secrets(loaded.playbook.secrets),
            resume_data=resume_data,
            take_over=take_over,
        )

    return _with_demo(journal.run(run_id).playbook_path, build, journal=journal, run_id=run_id)
