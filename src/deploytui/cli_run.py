"""``deploytui run``, ``resume`` and ``demo``: start or continue a run, in the UI or headless.

Headless runs drive the engine in a worker thread so Ctrl+C, SIGHUP and SIGTERM pause the run
cleanly (the running step is journaled as interrupted) instead of killing it mid-write.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from deploytui.cli_common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_WAITING,
    UsageError,
    open_journal,
    operator_name,
    outcome_code,
    parse_vars,
    require_terminal,
    say,
    targets_file,
)

if TYPE_CHECKING:
    from deploytui.engine.runner import Engine, RunOutcome
    from deploytui.journal import Journal
    from deploytui.playbook import LoadedPlaybook


def _drive_headless(
    engine: Engine, *, resume_data: dict[str, Any] | None, take_over: bool
) -> RunOutcome:
    """Run the engine in a worker thread so Ctrl+C, SIGHUP and SIGTERM pause it cleanly."""
    import signal
    import threading

    from deploytui.engine.runner import RunOutcome
    from deploytui.model.events import RunStatus
    from deploytui.startup import started

    result: dict[str, Any] = {}

    def work() -> None:
        try:
            result["outcome"] = engine.run(take_over=take_over, resume_data=resume_data)
        except BaseException as error:  # re-raised in the main thread
            result["error"] = error

    def stop(signum: int, frame: object) -> None:
        name = "Ctrl+C" if signum == signal.SIGINT else signal.Signals(signum).name
        say(f"\nstopping ({name}); the run stays resumable")
        engine.request_stop()

    # SIGINT gets a handler too: a KeyboardInterrupt raised inside Thread.join() can leave the
    # thread looking finished (CPython gh-90882), and we would exit before the step is journaled
    # as interrupted.
    signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    in_main = threading.current_thread() is threading.main_thread()
    previous = {sig: signal.signal(sig, stop) for sig in signals} if in_main else {}
    worker = threading.Thread(target=work, name="deploytui-engine", daemon=True)
    started()  # start-up's objects set aside; normal GC pace for the run (deploytui.startup)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.2)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if "error" in result:
        raise result["error"]
    return result.get("outcome") or RunOutcome(run_id=engine.run_id, status=RunStatus.waiting)


_resolved_secrets: dict[int, dict[str, str]] = {}


def _secrets_for(loaded: LoadedPlaybook) -> dict[str, str]:
    """The playbook's secrets, read once per process (with a warning about weak keyrings)."""
    import os

    from deploytui.secretstore import env_name, keyring_backend_warning, resolve_secrets

    if id(loaded) not in _resolved_secrets:
        names = loaded.playbook.secrets
        _resolved_secrets[id(loaded)] = resolve_secrets(names)
        # Only secrets read from the keyring can be stored weakly; when the environment gave
        # them all, the keyring (slow to import and probe) is not touched at all.
        from_keyring = [name for name in names if env_name(name) not in os.environ]
        warning = keyring_backend_warning() if from_keyring else None
        if warning:
            say(warning)
    return _resolved_secrets[id(loaded)]


def _run_headless(
    args: argparse.Namespace,
    journal: Journal,
    loaded: LoadedPlaybook,
    run_id: str,
    *,
    resume_data: dict[str, Any] | None,
) -> int:
    from deploytui.console import ProgressPrinter
    from deploytui.engine.headless import Answers, HeadlessOperator, load_answers
    from deploytui.engine.runner import Engine

    answers = load_answers(args.answers) if args.answers else Answers()
    operator = HeadlessOperator(answers, say=print, operator_name=operator_name(args, answers))
    engines: list[Engine] = []
    # Titles may use templates ("Deploy release {{ vars.release }}"): show them rendered.
    printer = ProgressPrinter(
        title_of=lambda step_id: engines[0].view(loaded.playbook.step(step_id)).title
    )
    engine = Engine(
        journal=journal,
        run_id=run_id,
        loaded=loaded,
        operator=operator,
        secrets=_secrets_for(loaded),
        listener=printer,
    )
    engines.append(engine)
    outcome = _drive_headless(
        engine, resume_data=resume_data, take_over=getattr(args, "take_over", False)
    )
    code = outcome_code(outcome)
    resume_hint = f"deploytui resume {run_id}" + (
        " --headless --answers FILE" if args.headless else ""
    )
    if code == EXIT_WAITING and outcome.held_until:
        from deploytui.clock import SYSTEM_CLOCK
        from deploytui.model.hold_step import waiting_text

        # Parked by a hold: say until when, in local time, and how to pick it up.
        when = waiting_text(outcome.held_until, SYSTEM_CLOCK.now())
        say(f"run {run_id} is {when} — resume with: {resume_hint}")
    elif code == EXIT_WAITING:
        say(f"run {run_id} is waiting: {outcome.message}")
        say(f"resume it with: {resume_hint}")
    else:
        print(f"run {run_id}: {outcome.status.value.replace('_', ' ')}")
    return code


def _run_tui(
    args: argparse.Namespace,
    journal: Journal,
    loaded: LoadedPlaybook,
    run_id: str,
    *,
    resume_data: dict[str, Any] | None,
) -> int:
    try:
        from deploytui.ui.launch import run_tui
    except ImportError:
        say("the terminal UI is not available in this build; running headless")
        args.headless = True
        return _run_headless(args, journal, loaded, run_id, resume_data=resume_data)
    return run_tui(
        journal=journal,
        loaded=loaded,
        run_id=run_id,
        secrets=_secrets_for(loaded),
        operator_name=operator_name(args),
        resume_data=resume_data,
        take_over=getattr(args, "take_over", False),
    )


def _start(args: argparse.Namespace, playbook_path: str, overrides: dict[str, str]) -> int:
    from deploytui.engine.runner import start_run
    from deploytui.playbook import load_playbook

    loaded = load_playbook(playbook_path, overrides=overrides or None, targets=targets_file(args))
    if args.dry_run:
        from deploytui.engine.plan import plan_text

        print(plan_text(loaded))
        return EXIT_OK
    _secrets_for(loaded)  # fail before creating a run when a secret is missing
    if not args.headless:
        require_terminal()
    answers = None
    if args.headless:
        from deploytui.engine.headless import load_answers

        answers = load_answers(args.answers) if args.answers else None
    with open_journal(args) as journal:
        run_id = start_run(
            journal,
            loaded,
            operator_name=operator_name(args, answers),
            overrides=overrides,
            mode="headless" if args.headless else "interactive",
        )
        say(f"run {run_id} · journal {journal.path}")
        if args.headless:
            return _run_headless(args, journal, loaded, run_id, resume_data=None)
        return _run_tui(args, journal, loaded, run_id, resume_data=None)


def cmd_run(args: argparse.Namespace) -> int:
    if args.answers and not args.headless:
        args.headless = True
    return _start(args, args.file, parse_vars(args.var))


def _pick_resumable(journal: Journal) -> str:
    from deploytui.model.events import RunStatus

    candidates = journal.runs(limit=1, statuses=[RunStatus.running, RunStatus.waiting])
    if not candidates:
        raise UsageError("no run to resume; `deploytui runs` lists them")
    return candidates[0].id


def cmd_resume(args: argparse.Namespace, extra_overrides: dict[str, str] | None = None) -> int:
    from deploytui.demo import is_bundled_demo

    if getattr(args, "answers", None) and not args.headless:
        args.headless = True  # an answers file means headless, as for `run`
    if extra_overrides is None:
        with open_journal(args) as journal:
            run_id = journal.find_run(args.run_id).id if args.run_id else _pick_resumable(journal)
            demo = is_bundled_demo(journal.run(run_id).playbook_path)
        if demo:
            # A demo run needs its service again (on a new port).
            args.resume = run_id
            return cmd_demo(args)
    return _resume(args, extra_overrides or {})


def _resume(args: argparse.Namespace, extra_overrides: dict[str, str]) -> int:
    from deploytui.engine.session import prepare_resume

    with open_journal(args) as journal:
        run_id = journal.find_run(args.run_id).id if args.run_id else _pick_resumable(journal)
        record = journal.run(run_id)
        if not record.status.resumable:
            say(
                f"run {run_id} has already {record.status.value.replace('_', ' ')}; "
                f"`deploytui show {run_id}` shows it"
            )
            return EXIT_OK if record.status.value == "completed" else EXIT_FAILED
        if not args.headless:
            require_terminal()
        confirm_take_over(journal, run_id, args)
        answers = None
        if args.headless and getattr(args, "answers", None):
            from deploytui.engine.headless import load_answers

            answers = load_answers(args.answers)  # its operator resumes the run, as for `run`
        loaded, resume_data = prepare_resume(
            journal,
            run_id,
            operator_name=operator_name(args, answers),
            extra_overrides={**parse_vars(getattr(args, "var", [])), **extra_overrides},
            targets=targets_file(args),  # else the run keeps the targets it started with
        )
        if resume_data["playbook_changed"]:
            say(
                f"note: {record.playbook_path} has changed since run {run_id} started; "
                "continuing with the playbook as it was then (the run's snapshot)"
            )
        say(f"resuming run {run_id} ({record.playbook_name}) · journal {journal.path}")
        if args.headless:
            return _run_headless(args, journal, loaded, run_id, resume_data=resume_data)
        return _run_tui(args, journal, loaded, run_id, resume_data=resume_data)


def confirm_take_over(journal: Journal, run_id: str, args: argparse.Namespace) -> None:
    """A lock whose holder is gone is taken over only once the operator says so.

    On a terminal we ask (default no); otherwise ``--take-over`` is the confirmation. A live
    holder is refused by the lock itself (with who holds it), asked or not.
    """
    import sys

    from deploytui.journal.locks import RunLock, RunLocked

    holder = RunLock(journal, run_id).holder()
    if holder is not None and holder.alive:
        raise RunLocked(
            f"run {run_id} is being driven by {holder.describe()}; "
            f"it can be watched meanwhile with `deploytui watch {run_id}`"
        )
    if holder is None or getattr(args, "take_over", False):
        return  # free, or confirmed on the command line
    gone = (
        "that process is gone"
        if holder.alive is False
        else "it is on another machine, so deploytui cannot tell whether it still runs"
    )
    if not sys.stdin.isatty():
        what = "was" if holder.alive is False else "is"
        raise RunLocked(
            f"run {run_id} {what} being driven by {holder.describe()}; {gone}. "
            "Resume with --take-over to take the run over"
        )
    say(f"run {run_id} was being driven by {holder.describe()}; {gone}.")
    print("take the run over and continue it? [y/N] ", end="", file=sys.stderr, flush=True)
    answer = sys.stdin.readline().strip().lower()
    if answer not in {"y", "yes"}:
        raise RunLocked(f"run {run_id} left as it is (not taken over)")
    args.take_over = True


def cmd_demo(args: argparse.Namespace) -> int:
    from deploytui.demo import bundled_answers, bundled_playbook
    from deploytui.demo.service import DemoService

    with DemoService() as service:
        say(f"demo service listening on {service.url}")
        overrides = {"demo_url": service.url}
        # A headless demo (new or resumed) answers from the bundled rehearsal file.
        if args.headless and not args.answers:
            args.answers = str(bundled_answers())
        if getattr(args, "resume", None):
            with open_journal(args) as journal:
                args.run_id = journal.find_run(args.resume).id
                service.replay(journal, args.run_id)
            return _resume(args, overrides)
        return _start(args, str(bundled_playbook()), overrides)
