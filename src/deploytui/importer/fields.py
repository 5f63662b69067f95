"""Input fields for the blanks and choices on one line, with labels, ids and source refs.

Labels join the line's lead and the slot's own words ("Schedule maintenance window: Start");
ids are the slot's words when they say enough (two or more), else the lead's first words plus
them (``schedule_maintenance_window_start``), else the surrounding item's words (so a sub-item
"Service: ____" under "Log aggregation" is ``log_aggregation_service``). Each field gets
``source: {line, blank}`` (``blank`` omitted for choices).
"""

from __future__ import annotations

import re
from typing import Any

from deploytui.importer import infer
from deploytui.importer.ids import IdRegistry, words_of
from deploytui.importer.inline import Slot, find_slots, main_label


class FieldMaker:
    """Makes fields with ids unique across the whole playbook."""

    def __init__(self) -> None:
        self.ids = IdRegistry(fallback="value", name_safe=True)

    def line_fields(
        self, line: int, raw: str, content: str, *, context: str, slots: list[Slot] | None = None
    ) -> list[dict[str, Any]]:
        """Input fields for the blanks and choices on one line."""
        slots = find_slots(raw) if slots is None else slots
        main = main_label(content)
        _name_by_parenthesis(slots)
        fields: list[dict[str, Any]] = []
        for slot in slots:
            sub = slot.label if slot.label and slot.label != main else ""
            if sub and main and sub.lower() not in main.lower() and main.lower() not in sub.lower():
                label = f"{main}: {sub}"
            else:
                label = sub or main or context or "Value"
            field_id = self.ids.take(_field_base(main, sub, context))
            if slot.kind == "choice":
                data: dict[str, Any] = {
                    "id": field_id,
                    "label": label,
                    "type": "choice",
                    "options": list(slot.options),
                }
                hint = infer.hint(slot.clause)
                if hint:
                    data["help"] = hint
                if slot.in_parens:
                    data["required"] = False
                data = infer.validated(data)
            else:
                data = infer.infer_field(
                    field_id=field_id,
                    label=label,
                    unit=slot.unit,
                    clause=_with_stated_target(slot),
                    required=not slot.in_parens,
                )
            data["source"] = {"line": line, "blank": slot.blank_index}
            if slot.blank_index is None:
                data["source"] = {"line": line}
            fields.append(data)
        return fields


def _name_by_parenthesis(slots: list[Slot]) -> None:
    """ "____ / ____ (used/total)": name the blanks after the parenthesis."""
    blanks = [slot for slot in slots if slot.kind == "blank"]
    if len(blanks) < 2:
        return
    match = re.search(r"\(\s*([\w ]+(?:\s*/\s*[\w ]+)+)\s*\)", blanks[-1].clause)
    if not match:
        return
    names = [name.strip() for name in match.group(1).split("/")]
    if len(names) == len(blanks):
        for slot, name in zip(blanks, names, strict=True):
            slot.label = name
        blanks[-1].clause = blanks[-1].clause.replace(match.group(0), "").strip()


def _field_base(main: str, sub: str, context: str) -> str:
    main_words, sub_words, context_words = words_of(main), words_of(sub), words_of(context)
    if len(sub_words) >= 2:
        chosen = sub_words
    elif sub_words:
        chosen = (main_words or context_words)[:3] + sub_words
    elif len(main_words) >= 2 or not context_words:
        chosen = main_words
    else:
        chosen = context_words[:3] + main_words
    return "_".join(chosen[:6])


def _with_stated_target(slot: Slot) -> str:
    """The clause, or the label's own target ("ISR shrink is < 5 seconds: ____ s")."""
    if infer.target_in(slot.clause) or not infer.target_in(slot.label):
        return slot.clause
    return f"{slot.clause} (target {slot.label[infer._TARGET.search(slot.label).start() :]})"  # type: ignore[union-attr]
