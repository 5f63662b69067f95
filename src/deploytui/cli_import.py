"""``deploytui import CHECKLIST.md [-o PLAYBOOK.yaml]``: turn a Markdown checklist into a playbook.

Kept out of cli.py so the command's options and wording live in one place; cli.py only
registers it. The YAML goes to stdout (or ``-o FILE``, written atomically, never over an
existing file unless ``--force``); the summary and every line that could not be interpreted go
to stderr as ``FILE:LINE: could not interpret: …``. Exit codes: 0 imported (even with lines not
interpreted, which are kept in the playbook as notes to review), 2 unreadable input or output.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

EXIT_OK, EXIT_BAD_INPUT = 0, 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("checklist", metavar="CHECKLIST.md", help="the Markdown checklist")
    parser.add_argument(
        "-o",
        "--output",
        metavar="PLAYBOOK.yaml",
        help="write the playbook to this file instead of stdout",
    )
    parser.add_argument(
        "--force", action="store_true", help="overwrite the output file if it exists"
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="no summary line (problems are still listed)"
    )


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _write_atomically(path: Path, text: str) -> None:
    folder = path.parent if str(path.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def cmd_import(args: argparse.Namespace) -> int:
    from deploytui.importer import ChecklistError, import_file

    source = args.checklist
    try:
        result = import_file(source)
    except ChecklistError as error:
        _say(f"{source}: cannot import: {error}")
        return EXIT_BAD_INPUT
    for item in result.uninterpreted:
        _say(item.format(source))
    if args.output:
        target = Path(args.output)
        if target.exists() and not args.force:
            _say(f"{target}: already exists; pass --force to overwrite it")
            return EXIT_BAD_INPUT
        try:
            _write_atomically(target, result.yaml)
        except OSError as error:
            _say(f"{target}: cannot write: {error.strerror or error}")
            return EXIT_BAD_INPUT
    else:
        sys.stdout.write(result.yaml)
        sys.stdout.flush()
    if not args.quiet:
        _say(_summary(result, args.output))
    return EXIT_OK


def _summary(result: object, output: str | None) -> str:
    from deploytui.importer import ImportResult

    assert isinstance(result, ImportResult)
    playbook = result.playbook
    steps = [step for _, step in playbook.ordered_steps()]
    kinds: dict[str, int] = {}
    for step in steps:
        kinds[step.kind] = kinds.get(step.kind, 0) + 1  # type: ignore[attr-defined]
    fields = len(playbook.input_fields())
    review = sum(1 for step in steps if step.review)
    parts = [
        _count(len(playbook.phases), "phase"),
        _count(len(steps), "step"),
        _count(fields, "field"),
        _count(kinds.get("signoff", 0), "sign-off"),
        _count(kinds.get("local", 0), "command"),
        f"{review} to review",
    ]
    where = f" → {output}" if output else ""
    skipped = len(result.uninterpreted)
    tail = f"; {_count(skipped, 'line')} not interpreted" if skipped else ""
    return f"imported {result.source_name}{where}: {', '.join(parts)}{tail}"


def _count(number: int, word: str) -> str:
    return f"{number} {word}{'' if number == 1 else 's'}"
