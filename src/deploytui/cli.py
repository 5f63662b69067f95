"""The ``deploytui`` command: thin wiring of playbook, journal, engine and UI.

Every command returns an exit code: 0 run completed (or command succeeded), 1 run failed or
aborted, 2 bad input, 3 run stopped waiting for input. Errors print as sentences; a traceback is
written to a log file, never to the operator's terminal. Heavy modules are imported inside the
commands that need them so ``--version`` and ``validate`` stay fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from deploytui import __version__
from deploytui.cli_common import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_OK,
    UsageError,
    operator_name,
    require_terminal,
    say,
)
from deploytui.cli_history import cmd_runs, cmd_show, cmd_verify
from deploytui.cli_run import cmd_demo, cmd_resume, cmd_run

COMMANDS: dict[str, str] = {
    "validate": "check playbooks and report every problem with file:line:column",
    "run": "start a run of a playbook (TUI, or --headless with --answers)",
    "resume": "continue an interrupted or waiting run where it stopped",
    "runs": "list runs: playbook, status, start, duration, operator",
    "show": "a run's phases and steps with outcomes, values, sign-offs and timings",
    "verify": "recompute a run's hash chain and report the first event that does not match",
    "watch": "follow a run live from another terminal, read-only (never takes the run's lock)",
    "demo": "run the bundled demo window against an embedded demo service",
    "export": "a run's filled-in report as Markdown, HTML or JSON (stdout or -o FILE)",
    "secrets": "set, get, list or delete playbook secrets in the OS keyring",
    "import": "convert a Markdown checklist into a playbook (stdout or -o FILE)",
}


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
        phases = len(playbook.phases)
        print(
            f"{file}: ok — {playbook.name} v{playbook.version}, "
            f"{phases} phase{'s' if phases != 1 else ''}, {steps} step{'s' if steps != 1 else ''}"
        )
    return worst


def cmd_home(args: argparse.Namespace) -> int:
    require_terminal()
    try:
        from deploytui.ui.launch import run_home
    except ImportError:
        build_parser().print_help()
        return EXIT_OK
    return run_home(journal_path=args.journal, operator_name=operator_name(args))


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
        help="confirm taking the run over from a driver that is gone (asked on a terminal)",
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

    from deploytui import cli_watch

    cli_watch.add_arguments(command("watch", cli_watch.cmd_watch))

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
    if argv is None:  # the console script, not a caller in a longer-lived process (tests)
        from deploytui.startup import starting

        starting()  # rare GC collections while start-up builds its long-lived objects
    parser = build_parser()
    args = parser.parse_args(argv)
    return dispatch(args)


class _NoPlaybookLoaded(Exception):
    """Stands in for PlaybookError when no playbook was loaded, so none can have been raised."""


def _playbook_error() -> type[Exception]:
    # Named only once an exception reaches dispatch: `runs` never imports the playbook loader
    # and every step model (a third of its start-up) just to name an error it cannot raise.
    loader = sys.modules.get("deploytui.playbook.loader")
    found: type[Exception] = loader.PlaybookError if loader is not None else _NoPlaybookLoaded
    return found


def dispatch(args: argparse.Namespace) -> int:
    from deploytui.journal.store import JournalError
    from deploytui.secretstore import SecretError

    try:
        return int(args.handler(args))
    except _playbook_error() as error:
        for problem in error.problems:
            say(str(problem))
        return EXIT_BAD_INPUT
    except (UsageError, SecretError) as error:
        say(f"deploytui: {error}")
        return EXIT_BAD_INPUT
    except JournalError as error:
        say(f"deploytui: {error}")
        return EXIT_FAILED
    except KeyboardInterrupt:
        say("\ninterrupted")
        return 130
    except Exception as error:  # never a traceback in front of the operator
        from deploytui.errorlog import internal_error_sentence

        path = _log_exception(error)
        say(internal_error_sentence(error))
        say(f"the details are in {path}; the journal is intact and the run can be resumed")
        return EXIT_FAILED


def _log_exception(error: BaseException) -> Path:
    from deploytui.errorlog import log_exception

    return log_exception(error)


if __name__ == "__main__":
    sys.exit(main())
