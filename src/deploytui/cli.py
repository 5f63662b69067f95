"""The ``deploytui`` command: thin wiring of playbook, journal, engine and UI.

Every command returns an exit code: 0 run completed (or command succeeded), 1 run failed or
aborted, 2 bad input, 3 run stopped waiting for input. Errors print as sentences; a traceback is
written to a log file, never to the operator's terminal. Heavy modules are imported inside the
commands that need them so ``--version`` and ``validate`` stay fast.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deploytui import __version__

if TYPE_CHECKING:
    from deploytui.engine.runner import Engine, RunOutcome
    from deploytui.journal import Journal
    from deploytui.playbook import LoadedPlaybook

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_WAITING = 0, 1, 2, 3

COMMANDS: dict[str, str] = {
    "validate": "check playbooks and report every problem with file:line:column",
    "run": "start a run of a playbook (TUI, or --headless with --answers)",
    "resume": "continue an interrupted or waiting run where it stopped",
    "runs": "list runs: playbook, status, start, duration, operator",
    "show": "a run's phases and steps with outcomes, values, sign-offs and timings",
    "verify": "recompute a run's hash chain and report the first event that does not match",
    "demo": "run the bundled demo window against an embedded demo service",
    "export": "a run's filled-in report as Markdown, HTML or JSON (stdout or -o FILE)",
    "secrets": "set, get, list or delete playbook secrets in the OS keyring",
    "import": "convert a Markdown checklist into a playbook (stdout or -o FILE)",
}


class UsageError(Exception):
    """Bad command-line input (exit 2)."""


def log_path() -> Path:
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "deploytui" / "deploytui.log"


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _parse_vars(items: Sequence[str]) -> dict[str, str]:
    overrides = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UsageError(f"--var {item}: write it as NAME=VALUE")
        overrides[name.strip()] = value
    return overrides


def _journal(args: argparse.Namespace) -> Journal:
    from deploytui.journal import Journal, default_journal_path

    return Journal(Path(args.journal) if args.journal else default_journal_path())


def _operator_name(args: argparse.Namespace, answers: Any = None) -> str:
    if getattr(args, "operator", None):
        return str(args.operator)
    if answers is not None and answers.operator:
        return str(answers.operator)
    if os.environ.get("DEPLOYTUI_OPERATOR"):
        return os.environ["DEPLOYTUI_OPERATOR"]
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "operator"


def _outcome_code(outcome: RunOutcome) -> int:
    from deploytui.model.events import RunStatus

    if outcome.status in {RunStatus.completed, RunStatus.rolled_back}:
        return EXIT_OK if outcome.status == RunStatus.completed else EXIT_FAILED
    if outcome.status == RunStatus.waiting:
        return EXIT_WAITING
    return EXIT_FAILED


# -- validate ----------------------------------------------------------------------------------


def cmd_validate(args: argparse.Namespace) -> int:
    from deploytui.playbook import PlaybookError, load_playbook

    worst = EXIT_OK
    for file in args.files:
        try:
            loaded = load_playbook(file)
        except PlaybookError as error:
            for problem in error.problems:
                print(problem)
            count = len(error.problems)
            print(f"{file}: {count} problem{'s' if count != 1 else ''}")
            worst = EXIT_BAD_INPUT
            continue
        playbook = loaded.playbook
        steps = sum(1 for _ in playbook.ordered_steps())
        print(
            f"{file}: ok — {playbook.name} v{playbook.version}, {len(playbook.phases)} phases, "
            f"{steps} steps"
        )
    return worst


# -- run / resume / demo ----------------------------------------------------------------------


def _drive_headless(
    engine: Engine, *, resume_data: dict[str, Any] | None, take_over: bool
) -> RunOutcome:
    """Run the engine in a worker thread so Ctrl+C, SIGHUP and SIGTERM pause it cleanly."""
    import signal
    import threading

    from deploytui.engine.runner import RunOutcome
    from deploytui.model.events import RunStatus

    result: dict[str, Any] = {}

    def work() -> None:
        try:
            result["outcome"] = engine.run(take_over=take_over, resume_data=resume_data)
        except BaseException as error:  # re-raised in the main thread
            result["error"] = error

    def stop(signum: int, frame: object) -> None:
        name = "Ctrl+C" if signum == signal.SIGINT else signal.Signals(signum).name
        _say(f"\nstopping ({name}); the run stays resumable")
        engine.request_stop()

    # SIGINT gets a handler too: a KeyboardInterrupt raised inside Thread.join() can leave the
    # thread looking finished (CPython gh-90882), and we would exit before the step is journaled
    # as interrupted.
    signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    in_main = threading.current_thread() is threading.main_thread()
    previous = {sig: signal.signal(sig, stop) for sig in signals} if in_main else {}
    worker = threading.Thread(target=work, name="deploytui-engine", daemon=True)
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
    from deploytui.secretstore import keyring_backend_warning, resolve_secrets

    if id(loaded) not in _resolved_secrets:
        names = loaded.playbook.secrets
        _resolved_secrets[id(loaded)] = resolve_secrets(names)
        warning = keyring_backend_warning() if names else None
        if warning:
            _say(warning)
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
    operator = HeadlessOperator(answers, say=print, operator_name=_operator_name(args, answers))
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
    code = _outcome_code(outcome)
    if code == EXIT_WAITING:
        _say(f"run {run_id} is waiting: {outcome.message}")
        _say(
            f"resume it with: deploytui resume {run_id}"
            + (" --headless --answers FILE" if args.headless else "")
        )
    else:
        print(f"run {run_id}: {outcome.status.value.replace('_', ' ')}")
    return code


def _require_terminal() -> None:
    """The UI needs a terminal; without one it would wait forever on a pipe."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError(
            "there is no terminal here for the UI: use --headless --answers FILE, "
            "or run it in a terminal (ssh -t, tmux)"
        )


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
        _say("the terminal UI is not available in this build; running headless")
        args.headless = True
        return _run_headless(args, journal, loaded, run_id, resume_data=resume_data)
    return run_tui(
        journal=journal,
        loaded=loaded,
        run_id=run_id,
        secrets=_secrets_for(loaded),
        operator_name=_operator_name(args),
        resume_data=resume_data,
        take_over=getattr(args, "take_over", False),
    )


def _targets_file(args: argparse.Namespace) -> Any:
    """The ``--targets FILE`` inventory override, read (or None)."""
    from deploytui.playbook.loader import TargetsFile

    path = getattr(args, "targets", None)
    return TargetsFile.read(path) if path else None


def _start(args: argparse.Namespace, playbook_path: str, overrides: dict[str, str]) -> int:
    from deploytui.engine.runner import start_run
    from deploytui.playbook import load_playbook

    loaded = load_playbook(playbook_path, overrides=overrides or None, targets=_targets_file(args))
    if args.dry_run:
        from deploytui.engine.plan import plan_text

        print(plan_text(loaded))
        return EXIT_OK
    _secrets_for(loaded)  # fail before creating a run when a secret is missing
    if not args.headless:
        _require_terminal()
    answers = None
    if args.headless:
        from deploytui.engine.headless import load_answers

        answers = load_answers(args.answers) if args.answers else None
    with _journal(args) as journal:
        run_id = start_run(
            journal,
            loaded,
            operator_name=_operator_name(args, answers),
            overrides=overrides,
            mode="headless" if args.headless else "interactive",
        )
        _say(f"run {run_id} · journal {journal.path}")
        if args.headless:
            return _run_headless(args, journal, loaded, run_id, resume_data=None)
        return _run_tui(args, journal, loaded, run_id, resume_data=None)


def cmd_run(args: argparse.Namespace) -> int:
    if args.answers and not args.headless:
        args.headless = True
    return _start(args, args.file, _parse_vars(args.var))


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
        with _journal(args) as journal:
            run_id = journal.find_run(args.run_id).id if args.run_id else _pick_resumable(journal)
            demo = is_bundled_demo(journal.run(run_id).playbook_path)
        if demo:
            # A demo run needs its service again (on a new port).
            args.resume = run_id
            return cmd_demo(args)
    return _resume(args, extra_overrides or {})


def _resume(args: argparse.Namespace, extra_overrides: dict[str, str]) -> int:
    from deploytui.engine.session import prepare_resume

    with _journal(args) as journal:
        run_id = journal.find_run(args.run_id).id if args.run_id else _pick_resumable(journal)
        record = journal.run(run_id)
        if not record.status.resumable:
            _say(
                f"run {run_id} has already {record.status.value.replace('_', ' ')}; "
                f"`deploytui show {run_id}` shows it"
            )
            return EXIT_OK if record.status.value == "completed" else EXIT_FAILED
        if not args.headless:
            _require_terminal()
        loaded, resume_data = prepare_resume(
            journal,
            run_id,
            operator_name=_operator_name(args),
            extra_overrides={**_parse_vars(getattr(args, "var", [])), **extra_overrides},
            targets=_targets_file(args),  # else the run keeps the targets it started with
        )
        if resume_data["playbook_changed"]:
            _say(
                f"note: {record.playbook_path} has changed since run {run_id} started; "
                "continuing with the playbook as it was then (the run's snapshot)"
            )
        _say(f"resuming run {run_id} ({record.playbook_name}) · journal {journal.path}")
        if args.headless:
            return _run_headless(args, journal, loaded, run_id, resume_data=resume_data)
        return _run_tui(args, journal, loaded, run_id, resume_data=resume_data)


def cmd_demo(args: argparse.Namespace) -> int:
    from deploytui.demo import bundled_answers, bundled_playbook
    from deploytui.demo.service import DemoService

    with DemoService() as service:
        _say(f"demo service listening on {service.url}")
        overrides = {"demo_url": service.url}
        # A headless demo (new or resumed) answers from the bundled rehearsal file.
        if args.headless and not args.answers:
            args.answers = str(bundled_answers())
        if getattr(args, "resume", None):
            with _journal(args) as journal:
                args.run_id = journal.find_run(args.resume).id
                service.replay(journal, args.run_id)
            return _resume(args, overrides)
        return _start(args, str(bundled_playbook()), overrides)


# -- runs / show / verify ----------------------------------------------------------------------


def _live_runs(journal: Journal, run_ids: list[str]) -> dict[str, bool]:
    """Whether each run's lock is held by a live process (else a 'running' run is interrupted)."""
    from deploytui.journal.locks import RunLock, process_alive

    live = {}
    for run_id in run_ids:
        holder = RunLock(journal, run_id).holder()
        live[run_id] = holder is not None and (
            holder.host != os.uname().nodename or process_alive(holder.pid)
        )
    return live


def cmd_runs(args: argparse.Namespace) -> int:
    from deploytui.console import runs_table
    from deploytui.model.events import RunStatus

    statuses = None
    if args.status:
        try:
            statuses = [RunStatus(args.status)]
        except ValueError:
            names = ", ".join(status.value for status in RunStatus)
            raise UsageError(f"--status {args.status}: use one of {names}") from None
        if statuses == [RunStatus.interrupted]:
            statuses = [RunStatus.running]
    with _journal(args) as journal:
        records = journal.runs(limit=args.limit, playbook=args.playbook, statuses=statuses)
        live = _live_runs(journal, [r.id for r in records if r.status == RunStatus.running])
        if args.status == "interrupted":
            records = [record for record in records if not live.get(record.id)]
        print(runs_table(records, live))
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    from deploytui.console import show_text
    from deploytui.journal.report import build_report

    with _journal(args) as journal:
        run_id = journal.find_run(args.run_id).id
        report = build_report(journal, run_id)
        live = _live_runs(journal, [run_id]).get(run_id)
        if args.output:
            for line in journal.output(run_id, args.output):
                print(line)
            return EXIT_OK
        print(show_text(report, live))
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    with _journal(args) as journal:
        run_ids = (
            [journal.find_run(args.run_id).id]
            if args.run_id
            else [record.id for record in journal.runs(limit=1_000_000)]
        )
        worst = EXIT_OK
        for run_id in run_ids:
            ok, message = journal.verify(run_id)
            print(f"{'✓' if ok else '✗'} run {run_id}: {message}")
            if not ok:
                worst = EXIT_FAILED
        if not run_ids:
            print("no runs in the journal")
    return worst


def cmd_home(args: argparse.Namespace) -> int:
    _require_terminal()
    try:
        from deploytui.ui.launch import run_home
    except ImportError:
        build_parser().print_help()
        return EXIT_OK
    return run_home(journal_path=args.journal, operator_name=_operator_name(args))


# -- parser ------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="deploytui",
        description="Drive a production maintenance window from the terminal.",
        epilog="With no command, opens the home screen. Exit codes: 0 completed, 1 failed or "
        "aborted, 2 bad input, 3 stopped waiting for input.",
    )
    parser.add_argument("--version", action="version", version=f"deploytui {__version__}")
    parser.add_argument(
        "--journal",
        metavar="PATH",
        help="journal file (default $DEPLOYTUI_JOURNAL or the XDG data dir)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, handler: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
        child = sub.add_parser(name, help=COMMANDS[name], description=COMMANDS[name])
        child.set_defaults(handler=handler)
        child.add_argument(
            "--journal", metavar="PATH", default=argparse.SUPPRESS, help="journal file"
        )
        return child

    validate = command("validate", cmd_validate)
    validate.add_argument("files", nargs="+", metavar="FILE")

    def run_options(child: argparse.ArgumentParser, *, answers_default: bool = False) -> None:
        child.add_argument("--headless", action="store_true", help="no TUI; answer from a file")
        child.add_argument("--answers", metavar="FILE", help="answers file for --headless")
        child.add_argument("--operator", metavar="NAME", help="who drives the run")
        child.add_argument(
            "--var",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="override a playbook variable (repeatable)",
        )
        child.add_argument(
            "--targets",
            metavar="FILE",
            help="YAML that replaces the playbook's targets: (e.g. staging hosts); "
            "resume reuses the run's unless given again",
        )

    run = command("run", cmd_run)
    run.add_argument("file", metavar="FILE")
    run_options(run)
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="show what would run, templates rendered, executing nothing",
    )

    resume = command("resume", cmd_resume)
    resume.add_argument(
        "run_id",
        nargs="?",
        metavar="RUN_ID",
        help="run id or prefix (default: the latest resumable run)",
    )
    run_options(resume)
    resume.add_argument(
        "--take-over",
        action="store_true",
        help="take the run from a driver on another host that is gone",
    )

    runs = command("runs", cmd_runs)
    runs.add_argument("--playbook", metavar="NAME")
    runs.add_argument("--status", metavar="STATUS")
    runs.add_argument("--limit", type=int, default=50)

    show = command("show", cmd_show)
    show.add_argument("run_id", metavar="RUN_ID")
    show.add_argument("--output", metavar="STEP_ID", help="print the full output of a step")

    verify = command("verify", cmd_verify)
    verify.add_argument("run_id", nargs="?", metavar="RUN_ID")

    from deploytui import cli_export

    cli_export.add_arguments(command("export", cli_export.cmd_export))

    from deploytui import cli_secrets

    cli_secrets.add_arguments(command("secrets", cli_secrets.cmd_secrets))

    from deploytui import cli_import

    cli_import.add_arguments(command("import", cli_import.cmd_import))

    demo = command("demo", cmd_demo)
    run_options(demo)
    demo.add_argument("--dry-run", action="store_true", help="show the demo's plan only")
    demo.add_argument("--resume", metavar="RUN_ID", help="resume an earlier demo run")
    demo.add_argument("--take-over", action="store_true", help=argparse.SUPPRESS)
    parser.set_defaults(handler=cmd_home)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return dispatch(args)


def dispatch(args: argparse.Namespace) -> int:
    from deploytui.journal.store import JournalError
    from deploytui.playbook import PlaybookError
    from deploytui.secretstore import SecretError

    try:
        return int(args.handler(args))
    except PlaybookError as error:
        for problem in error.problems:
            _say(str(problem))
        return EXIT_BAD_INPUT
    except (UsageError, SecretError) as error:
        _say(f"deploytui: {error}")
        return EXIT_BAD_INPUT
    except JournalError as error:
        _say(f"deploytui: {error}")
        return EXIT_FAILED
    except KeyboardInterrupt:
        _say("\ninterrupted")
        return 130
    except Exception as error:  # never a traceback in front of the operator
        path = _log_exception(error)
        _say(f"deploytui: internal error: {error.__class__.__name__}: {error}")
        _say(f"the details are in {path}; the journal is intact and the run can be resumed")
        return EXIT_FAILED


def _log_exception(error: BaseException) -> Path:
    path = log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as log:
            log.write(f"--- {datetime.now(UTC).isoformat()} deploytui {__version__}\n")
            log.write("".join(traceback.format_exception(error)))
    except OSError:
        pass
    return path


if __name__ == "__main__":
    sys.exit(main())
