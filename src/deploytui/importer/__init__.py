"""Convert a Markdown deployment checklist into a deploytui playbook (``deploytui import``).

The pipeline, one module per job:

- ``reading``: bytes → text (BOM, CRLF/CR, mojibake repaired, binary refused);
- ``blocks``: text → headings, list items (nested, boxed), code, tables, paragraphs, odd lines;
- ``inline``: one line → its blanks and choices, each with a label and a unit;
- ``infer``: a blank's words → field type, unit and target;
- ``builder``: blocks → phases, steps, rollback and gates (the mapping is in its docstring);
- ``ids``: readable unique ids; ``yamlout``: YAML with a header; ``report``: what was not
  interpreted.

The result is validated with the same model and cross-reference checks ``deploytui run`` uses,
so an import either yields a playbook that loads or raises ``ChecklistError`` with a sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from deploytui.importer.builder import Builder
from deploytui.importer.reading import MAX_BYTES, ChecklistError, decode_checklist
from deploytui.importer.report import Uninterpreted
from deploytui.importer.yamlout import BRACE_VARIABLE, escape_templates, to_yaml
from deploytui.model.playbook import Playbook

__all__ = ["ChecklistError", "ImportResult", "Uninterpreted", "import_bytes", "import_file"]


@dataclass
class ImportResult:
    """An imported checklist: the playbook, its YAML text, and the lines not interpreted."""

    playbook: Playbook
    yaml: str
    uninterpreted: list[Uninterpreted]
    source_name: str


def _playbook_name(source_name: str) -> str:
    stem = Path(source_name).stem if source_name else ""
    stem = re.sub(r"[\x00-\x1f\x7f]", "", stem).strip()
    return stem or "imported-checklist"


def import_bytes(data: bytes, source_name: str = "checklist.md") -> ImportResult:
    """Import a checklist's raw bytes; raise ``ChecklistError`` when it cannot be read."""
    from deploytui.playbook.checks import check_playbook

    text = decode_checklist(data)
    if not text.strip():
        raise ChecklistError("the file is empty; there is nothing to import")
    name = _playbook_name(source_name)
    file_name = Path(source_name).name or name
    try:
        built = Builder(text, name, file_name).build()
    except (ValueError, LookupError, AssertionError, RecursionError) as error:
        # A bug in the importer, never the user's fault: a sentence, not a traceback.
        raise ChecklistError(
            f"internal error while reading the checklist ({error.__class__.__name__}: {error}); "
            "please report this with the checklist"
        ) from error
    playbook_data, escaped = escape_templates(built.data)
    if escaped:
        phases = playbook_data.pop("phases")
        playbook_data["variables"] = {BRACE_VARIABLE: "{{"}
        playbook_data["phases"] = phases
        if "rollback" in playbook_data:
            playbook_data["rollback"] = playbook_data.pop("rollback")
    playbook_data["source_document"] = {"name": file_name, "text": text}
    # Validate the data exactly as the loader does after parsing YAML (shape, then
    # cross-references). Parsing our own YAML again would cost most of the time budget; the
    # tests load every generated document with ``parse_playbook`` to keep the two in step.
    try:
        playbook = Playbook.model_validate(playbook_data)
        problems = check_playbook(playbook, playbook_data)
    except ValidationError as error:
        problems = [((), str(error.errors()[0]["msg"]))]
    if problems:  # a bug in the importer, never the user's fault
        raise ChecklistError(
            f"internal error: the generated playbook does not validate ({problems[0][1]}); "
            "please report this with the checklist"
        )
    document = to_yaml(playbook_data, file_name, built.uninterpreted)
    return ImportResult(playbook, document, built.uninterpreted, source_name)


def import_file(path: Path | str) -> ImportResult:
    """Import the checklist at ``path``."""
    file = Path(path)
    try:
        # One byte past the limit is enough for decode_checklist to refuse it: /dev/zero or a
        # huge log never fills RAM.
        with file.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise ChecklistError("the file does not exist") from None
    except IsADirectoryError:
        raise ChecklistError("this is a folder, not a file") from None
    except OSError as error:
        raise ChecklistError(f"cannot read it: {error.strerror or error}") from None
    return import_bytes(data, str(file))
