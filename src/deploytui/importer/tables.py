"""Markdown tables: rows with blanks become inputs or sign-offs; the rest stays as a note.

A row's label is its first cell that is not a blank ("p95 latency"); each blank cell becomes a
field labelled with the row and the column header ("p95 latency: Measured"), its unit read from
the cell ("______ ms"), its target from a Target/Threshold/Expected/SLA column of the same row.
In a table with a Role column (or a Signature/Sign-off column) each row with blanks is a sign-off
for that role instead, whose ``source.blank`` is the row's first blank (the name). A row with a
box cell (``[ ]``, ``☐``) and no blank is a ``confirm`` (a ``note`` when ticked).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from deploytui.importer import infer
from deploytui.importer.approvals import SIGNOFF, table_signoff_step
from deploytui.importer.blocks import Table
from deploytui.importer.fields import FieldMaker
from deploytui.importer.ids import slug
from deploytui.importer.inline import clause_label, clean, find_slots
from deploytui.importer.report import Uninterpreted

_TARGET_HEADER = re.compile(r"target|threshold|expected|sla|goal", re.IGNORECASE)
_BOX = re.compile(r"^\s*(?:\[( |x|X)\]|(☐)|(☑|☒))\s*$")


def _box(cells: list[str]) -> str:
    """ " " when a cell of the row is an open box ("[ ]", "☐"), "x" when ticked, else ""."""
    for cell in cells:
        match = _BOX.match(cell)
        if match:
            return "x" if (match.group(1) or "").lower() == "x" or match.group(3) else " "
    return ""


def _box_step(line: int, box: str, title: str) -> dict[str, Any]:
    title = title or f"Table row (line {line})"
    if box == "x":
        return {
            "id": "done_" + slug(title, max_words=4),
            "kind": "note",
            "title": title,
            "text": "Already ticked in the checklist: done before this window.",
            "source": {"line": line},
        }
    return {
        "id": slug(title) or "table_row",
        "kind": "confirm",
        "title": title,
        "source": {"line": line},
    }


@dataclass
class TableReading:
    """What a table yields: a note over its lines (when some rows are plain), steps, problems."""

    note: tuple[int, int] | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Uninterpreted] = field(default_factory=list)


def read_table(block: Table, lines: list[str], fields: FieldMaker) -> TableReading:
    header_line, header = block.header
    headers = [clean(cell).lower() for cell in header]
    rows = [(line, cells, find_slots(lines[line - 1])) for line, cells in block.rows]
    numbers = [header_line] + [line for line, _ in block.rows]
    span = (min(numbers), max(numbers))
    reading = TableReading()
    boxed = {line: _box(cells) for line, cells, _ in rows}
    if not any(slots or boxed[line] for line, _, slots in rows):
        reading.note = span
        return reading
    if not block.separator:
        reading.problems.append(
            Uninterpreted(header_line, lines[header_line - 1], "table without a header")
        )
    elif any(not slots and not boxed[line] for line, _, slots in rows):
        reading.note = span  # the whole table, for reference, before its rows' steps
    signoffs = any(
        SIGNOFF.search(cell) or cell in {"role", "signed by", "sign"} for cell in headers
    )
    target_column = next(
        (index for index, cell in enumerate(headers) if _TARGET_HEADER.search(cell)), None
    )
    for line, cells, slots in rows:
        raw = lines[line - 1]
        words = [
            clean(cell) for cell in cells if cell and "___" not in cell and not _BOX.match(cell)
        ]
        label = words[0] if words else ""
        if not slots:
            if boxed[line]:
                reading.steps.append(_box_step(line, boxed[line], " — ".join(words)))
            continue
        blanks = [slot for slot in slots if slot.kind == "blank"]
        if signoffs and label and blanks:
            reading.steps.append(table_signoff_step(line, label, blanks[0].blank_index))
            continue
        target = (
            cells[target_column] if target_column is not None and target_column < len(cells) else ""
        )
        for slot in slots:
            column = raw[: slot.start].count("|") - (1 if raw.strip().startswith("|") else 0)
            cell = cells[column] if 0 <= column < len(cells) else ""
            in_cell = clause_label(cell[: cell.find("___")]) if "___" in cell else ""
            column_name = clean(header[column]) if 0 <= column < len(header) else ""
            slot.label = in_cell or column_name or slot.label
            unit = re.search(r"_{3,}\s*([A-Za-z%/]+)", cell)
            if unit and not slot.unit:
                slot.unit = unit.group(1)
            if target:
                slot.clause = f"{slot.clause} {target}".strip()
                if not infer.target_in(slot.clause):
                    slot.clause = f"target {target}"
        reading.steps.append(
            {
                "id": slug(label) or "table_row",
                "kind": "input",
                "title": label or f"Table row (line {line})",
                "fields": fields.line_fields(line, raw, label or "Row", context=label, slots=slots),
                "source": {"line": line},
            }
        )
    return reading
