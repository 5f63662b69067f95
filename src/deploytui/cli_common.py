"""What every ``deploytui`` command shares: exit codes, usage errors, the journal, the operator.

Kept apart from ``cli`` so the command modules (``cli_run``, ``cli_history``, ``cli_export``...)
use one ``UsageError`` and one wording, whether run as ``deploytui`` or ``python -m deploytui.cli``.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deploytui.errorlog import log_path  # noqa: F401  (re-exported: one log for CLI and TUI)

if TYPE_CHECKING:
    from deploytui.engine.runner import RunOutcome
    from deploytui.journal import Journal

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_WAITING = 0, 1, 2, 3


class UsageError(Exception):
    """Bad command-line input (exit 2)."""


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def parse_vars(items: Sequence[str]) -> dict[str, str]:
    overrides = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UsageError(f"--var {item}: write it as NAME=VALUE")
        overrides[name.strip()] = value
    return overrides


def open_journal(args: argparse.Namespace) -> Journal:
    from deploytui.journal import Journal, default_journal_path

    return Journal(Path(args.journal) if args.journal else default_journal_path())


def operator_name(args: argparse.Namespace, answers: Any = None) -> str:
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


def outcome_code(outcome: RunOutcome) -> int:
    from deploytui.model.events import RunStatus

    if outcome.status in {RunStatus.completed, RunStatus.rolled_back}:
        return EXIT_OK if outcome.status == RunStatus.completed else EXIT_FAILED
    if outcome.status == RunStatus.waiting:
        return EXIT_WAITING
    return EXIT_FAILED


def require_terminal() -> None:
    """The UI needs a terminal; without one it would wait forever on a pipe."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError(
            "there is no terminal here for the UI: use --headless --answers FILE, "
            "or run it in a terminal (ssh -t, tmux)"
        )


def targets_file(args: argparse.Namespace) -> Any:
    """The ``--targets FILE`` inventory override, read (or None)."""
    from deploytui.playbook.loader import TargetsFile

    path = getattr(args, "targets", None)
    return TargetsFile.read(path) if path else None
