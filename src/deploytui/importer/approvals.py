"""Sign-offs and the go/no-go gate.

A line is a sign-off when its words before the first blank say so ("Sign-off", "Signature",
"Approved by", "Who approved", "Approver", "Approval"); the role is the parenthesis after the
blank ("(DevOps Lead)"), whose text after a comma becomes the statement ("(DevOps Lead, after 24
hours)"), else the words before ("QA sign-off: ____" → QA), else "Approver". The step's
``source.blank`` is the name blank; the export fills the rest of the line's blanks (signature,
date) from the same sign-off.

A go/no-go section ends with a gate requiring every earlier sign-off role, every earlier choice
(answered; equal to YES/GO/PASS when it is a two-way choice), the section's own confirms, and
``all_targets_met`` when any field has a target (or when nothing else exists, so the gate always
has a condition). All of them exist before the gate, so the playbook validates.
"""

from __future__ import annotations

import re
from typing import Any

from deploytui.importer.ids import slug
from deploytui.importer.inline import Slot, clean

SIGNOFF = re.compile(
    r"\bsign[\s-]?off\b|\bsigned[\s-]?off\b|\bsignature\b|\bapproved\s+by\b|\bapprover\b"
    r"|\bwho\s+approved\b|\bapproval\b",
    re.IGNORECASE,
)
POSITIVE = ("YES", "GO", "PASS", "PASSED", "APPROVED", "OK", "TRUE", "DONE")


def is_signoff_line(raw: str) -> bool:
    return bool(SIGNOFF.search(raw)) and "___" in raw


def signoff_step(line: int, raw: str, slots: list[Slot]) -> dict[str, Any] | None:
    """The sign-off step for line ``line`` (text ``raw``), or ``None`` when it is not one."""
    blanks = [slot for slot in slots if slot.kind == "blank"]
    if not blanks:
        return None
    before = clean(raw[: blanks[0].start])
    if not SIGNOFF.search(before):
        return None
    after = raw[blanks[0].end :]
    role, statement = "", ""
    parenthesis = re.search(r"\(([^()_]*)\)", after)
    if parenthesis:
        role, _, statement = (part.strip() for part in parenthesis.group(1).partition(","))
    if not role:
        role = SIGNOFF.sub("", before).strip(" :-–—*()[]")
        role = re.sub(r"^(?:[-*+]\s+|\d+[.)]\s+|\[[ xX]\]\s*)+", "", role).strip()
    role = clean(role) or "Approver"
    step: dict[str, Any] = {
        "id": "signoff_" + slug(role, max_words=4),
        "kind": "signoff",
        "title": f"Sign-off: {role}",
        "role": role,
        "source": {"line": line, "blank": blanks[0].blank_index},
    }
    if statement:
        step["statement"] = statement
    return step


def table_signoff_step(line: int, role: str, blank: int | None) -> dict[str, Any]:
    """A row of a Role | Name | Signature | Date table."""
    return {
        "id": "signoff_" + slug(role, max_words=4),
        "kind": "signoff",
        "title": f"Sign-off: {role}",
        "role": role,
        "source": {"line": line, "blank": blank},
    }


def gate_step(
    title: str,
    line: int,
    *,
    roles: list[str],
    choices: list[tuple[str, tuple[str, ...]]],
    steps: list[str],
    targets: bool,
) -> dict[str, Any]:
    """The go/no-go gate closing the section titled ``title`` (heading on ``line``)."""
    require: list[dict[str, Any]] = [{"signoff": role} for role in dict.fromkeys(roles)]
    for field_id, options in choices:
        positive = [option for option in options if option.upper() in POSITIVE]
        if len(options) == 2 and positive:
            require.append({"value": field_id, "equals": positive[0]})
        else:
            require.append({"value": field_id})
    require += [{"step": step_id} for step_id in steps]
    if targets or not require:
        require.append({"all_targets_met": True})
    return {
        "id": "go_no_go",
        "kind": "gate",
        "title": f"Go / No-Go: {title}",
        "description": "Every condition must hold to go on. Generated from the checklist's "
        "go/no-go section: review the conditions.",
        "require": require,
        "source": {"line": line},
        "review": True,
    }
