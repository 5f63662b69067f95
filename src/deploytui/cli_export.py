"""``deploytui export RUN_ID --format md|html|json [-o FILE]``: a run's filled-in report.

Kept out of cli.py so the command's options and error wording live in one small place; cli.py
only registers it. Exit codes follow cli.py: 0 written, 2 bad input (unknown run, bad path).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_OK, EXIT_BAD_INPUT = 0, 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_id", metavar="RUN_ID", help="run id or a unique prefix of it")
    parser.add_argument(
        "--format",
        "-f",
        choices=("md", "html", "json"),
        default="md",
        help="md (default), html (one self-contained printable file) or json",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write to FILE (atomically) instead of printing to stdout",
    )
    parser.add_argument(
        "--layout",
        choices=("auto", "report", "checklist"),
        default="auto",
        help="Markdown only: the run report, or the imported checklist filled in "
        "(auto: the checklist when the run's playbook was imported from one)",
    )


def _available_secrets(names: list[str]) -> dict[str, str]:
    """The run's secrets that can be read now, to mask the export once more; none is required
    (the journal holds them masked already), so a missing one is not an error here."""
    from deploytui.secretstore import SecretError, resolve_secrets

    found: dict[str, str] = {}
    for name in names:
        try:
            found.update(resolve_secrets([name]))
        except SecretError:
            continue
    return found


class _BadInput(Exception):
    """A sentence for the operator; the command exits 2."""


def cmd_export(args: argparse.Namespace) -> int:
    # Errors are handled here rather than raised to cli.dispatch: under ``python -m
    # deploytui.cli`` that module is ``__main__`` and its exception classes are not ours.
    try:
        return _export(args)
    except _BadInput as error:
        print(f"deploytui: {error}", file=sys.stderr, flush=True)
        return EXIT_BAD_INPUT


def _export(args: argparse.Namespace) -> int:
    from deploytui.export import build_document, render, write_atomic
    from deploytui.journal import Journal, default_journal_path
    from deploytui.journal.report import load_run_playbook
    from deploytui.journal.store import JournalError

    path = Path(args.journal) if getattr(args, "journal", None) else None
    if path is not None and not path.exists():
        raise _BadInput(f"there is no journal at {path}")
    with Journal(path or default_journal_path()) as journal:
        try:
            run_id = journal.find_run(args.run_id).id
        except JournalError as error:
            raise _BadInput(f"{error}; `deploytui runs` lists the runs") from None
        loaded, _ = load_run_playbook(journal, run_id)
        secrets = _available_secrets(list(loaded.playbook.secrets))
        document = build_document(journal, run_id, secrets=secrets)
    if args.layout == "checklist" and document.source_document is None:
        raise _BadInput(
            f"run {run_id} was not started from an imported checklist; "
            "use --layout report (or auto)"
        )
    text = render(document, args.format, layout=args.layout, secrets=secrets)
    if not args.output or args.output == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return EXIT_OK
    target = Path(args.output)
    if target.is_dir():
        raise _BadInput(f"-o {target}: this is a folder; give a file name")
    if not target.parent.exists():
        raise _BadInput(f"-o {target}: the folder {target.parent} does not exist")
    try:
        write_atomic(target, text)
    except OSError as error:
        raise _BadInput(f"-o {target}: cannot write: {error.strerror or error}") from None
    print(f"wrote the {args.format} report of run {run_id} to {target}", file=sys.stderr)
    return EXIT_OK
