"""The Markdown export of a run of an imported checklist: the team's own document, completed.

The original text is kept line for line, in its order; only these change: a step's box is ticked
when the step was done, a skipped or failed step gets a marker with its reason, every ``____``
blank an answer came from holds the answer (⚠ when it missed its target), ``YES / NO`` choices
show the one chosen, and sign-off blanks hold the signer's name and time. Steps that point into a
code block are reported just after the block, so the commands stay intact. An audit appendix
(run, operator, window, sign-offs, the journal's hash) follows the document.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from deploytui.export.markdown import cell, footer_lines, inline, step_lines
from deploytui.export.model import ExportDocument, StepOut, ValueOut
from deploytui.export.wording import outcome_text, status_text, value_text, when, window_text
from deploytui.model.events import BREACH_ICON, ROLLBACK_ICON
from deploytui.model.step_base import AutomatedStep
from deploytui.playbook.fieldnames import step_models

BLANK = re.compile(r"_{3,}")
BOX = re.compile(r"^(\s*(?:[-*+]|\d+[.)])\s+)\[([ xX])\]")
FENCE = re.compile(r"^\s*(```|~~~)")
UNIT_AFTER = re.compile(r"^(\s*)([A-Za-z%][A-Za-z%/]*)")
TIME_WORDS = {"minutes", "minute", "mins", "min", "hours", "hour", "hrs", "seconds", "secs", "sec"}
# Kinds that run something (rather than ask the operator), whatever kinds exist now.
AUTOMATED = {kind for kind, model in step_models().items() if issubclass(model, AutomatedStep)}


@dataclass
class _Line:
    """What the run changes on one line of the original document."""

    blanks: dict[int, tuple[str, ValueOut | None]] = field(default_factory=dict)
    choices: list[ValueOut] = field(default_factory=list)
    ticked: bool | None = None
    markers: list[str] = field(default_factory=list)


def _fill_text(value: ValueOut) -> str:
    text = f"**{value.display}**"
    if value.breach:
        text += f" {BREACH_ICON} misses {value.target}" if value.target else f" {BREACH_ICON}"
    return text


def _absorbs_unit(value: ValueOut | None, word: str) -> bool:
    """Whether the unit written after a blank is already part of the filled display value."""
    if value is None:
        return False
    lowered = word.lower()
    if value.type == "duration":
        return lowered in TIME_WORDS
    tail = value.display.split()[-1].lower() if " " in value.display else ""
    return bool(tail) and (lowered == tail or tail in lowered.split("/"))


def _fill_blanks(text: str, blanks: dict[int, tuple[str, ValueOut | None]]) -> str:
    pieces: list[str] = []
    position = 0
    for index, match in enumerate(BLANK.finditer(text)):
        if match.start() < position:
            continue
        pieces.append(text[position : match.start()])
        position = match.end()
        if index not in blanks:
            pieces.append(match.group(0))
            continue
        filled, value = blanks[index]
        unit = UNIT_AFTER.match(text[position:])
        if unit and _absorbs_unit(value, unit.group(2)):
            position += unit.end()
            # The breach note, if any, goes after the unit the display already carries.
        pieces.append(filled)
    pieces.append(text[position:])
    return "".join(pieces)


def _choose(text: str, value: ValueOut) -> tuple[str, bool]:
    """Mark the chosen option in ``YES / NO`` or ``☐ A  ☐ B`` text; False when not found."""
    chosen = str(value.display)
    box = re.compile(r"☐(\s*)" + re.escape(chosen), re.IGNORECASE)
    if box.search(text):
        return box.sub(lambda m: f"☒{m.group(1)}**{chosen}**", text, count=1), True
    if value.options:
        listed = re.compile(r"\s*/\s*".join(re.escape(option) for option in value.options))
        if listed.search(text):
            return listed.sub(lambda m: f"**{chosen}**", text, count=1), True
    return text, False


def _signoff_blanks(step: StepOut, count: int) -> dict[int, tuple[str, ValueOut | None]]:
    assert step.signoff is not None
    name, at = f"**{step.signoff.name}**", when(step.signoff.at)
    first = step.source_blank or 0
    if count - first <= 1:
        return {first: (f"{name}, {at}", None)}
    # A table row (Name | Signature | Date): name first, time last, the rest attested.
    filled = {first: (name, None), count - 1: (at, None)}
    for index in range(first + 1, count - 1):
        filled[index] = ("✍ signed in deploytui", None)
    return filled


def _fence_ends(lines: list[str]) -> dict[int, int]:
    """For each line inside a fenced code block, the line number (1-based) closing it."""
    inside: dict[int, int] = {}
    opened: int | None = None
    for number, text in enumerate(lines, start=1):
        if FENCE.match(text):
            if opened is None:
                opened = number
            else:
                for inner in range(opened, number + 1):
                    inside[inner] = number
                opened = None
    if opened is not None:
        for inner in range(opened, len(lines) + 1):
            inside[inner] = len(lines)
    return inside


def _plan(
    document: ExportDocument, lines: list[str]
) -> tuple[dict[int, _Line], dict[int, list[str]], list[StepOut], list[tuple[StepOut, ValueOut]]]:
    changes: dict[int, _Line] = defaultdict(_Line)
    after: dict[int, list[str]] = defaultdict(list)
    unplaced: list[StepOut] = []
    loose: list[tuple[StepOut, ValueOut]] = []
    fences = _fence_ends(lines)
    for step in document.all_steps():
        line = step.source_line
        if line is None or not 1 <= line <= len(lines):
            if step.attempts or step.status.value != "pending" or step.phase_id != "rollback":
                unplaced.append(step)
            continue
        if line in fences:
            summary = f"> {outcome_text(step)} — {inline(step.title)} (`{step.id}`)"
            extras = [inline(value_text(value)) for value in step.values]
            extras += [f"{'✓' if host.ok else '✗'} {host.host}" for host in step.hosts]
            after[fences[line]].append(summary + ("; " + "; ".join(extras) if extras else ""))
            continue
        change = changes[line]
        has_box = bool(BOX.match(lines[line - 1]))
        if has_box:
            change.ticked = step.status.value == "succeeded"
        if step.status.value in {"skipped", "failed", "interrupted"} or step.marked_done:
            change.markers.append(f"— {outcome_text(step)}")
        elif step.kind == "gate" and step.status.value == "succeeded":
            change.markers.append("— ✓ GO: every condition met")
        elif not has_box and step.status.value == "succeeded" and step.kind in AUTOMATED:
            change.markers.append(f"— {outcome_text(step)}")
        elif not has_box and step.status.value == "succeeded" and step.kind == "confirm":
            change.markers.append("✓")  # a numbered or plain item, confirmed
        if step.signoff is not None:
            count = len(BLANK.findall(lines[line - 1]))
            if count:
                change.blanks.update(_signoff_blanks(step, count))
            else:
                change.markers.append(f"— ✍ {inline(step.signoff.name)}, {when(step.signoff.at)}")
        for value in step.values:
            if value.source_line is None and step.kind == "input":
                loose.append((step, value))  # a field the checklist has no blank for
                continue
            if value.source_line is None and step.kind == "monitor":
                continue  # figures with no blank to fill are listed with the step instead
            if value.source_line and 1 <= value.source_line <= len(lines):
                target = changes[value.source_line]
                if BOX.match(lines[value.source_line - 1]) and value.source_line != line:
                    target.ticked = step.status.value == "succeeded"
            else:
                target = change
            if value.source_blank is not None:
                target.blanks[value.source_blank] = (_fill_text(value), value)
            elif value.type == "choice":
                target.choices.append(value)
            else:
                target.markers.append(f"→ {_fill_text(value)}")
    return changes, after, unplaced, loose


def _apply(text: str, change: _Line) -> str:
    for value in change.choices:
        text, found = _choose(text, value)
        if not found:
            change.markers.append(f"→ {_fill_text(value)}")
        elif value.breach:
            change.markers.append(f"{BREACH_ICON} {inline(value.breach)}")
    if change.blanks:
        text = _fill_blanks(text, change.blanks)
    if change.ticked is not None:
        text = BOX.sub(lambda m: f"{m.group(1)}[{'x' if change.ticked else ' '}]", text, count=1)
    if change.markers:
        text = text.rstrip() + " " + " ".join(change.markers)
    return text


def render_checklist(document: ExportDocument) -> str:
    """The original checklist, filled in from the run, then the audit appendix."""
    assert document.source_document is not None
    lines = document.source_document.text.split("\n")
    changes, after, unplaced, loose = _plan(document, lines)
    out: list[str] = []
    for number, text in enumerate(lines, start=1):
        out.append(_apply(text, changes[number]) if number in changes else text)
        if number in after:
            out.append("")
            out.extend(after[number])
            out.append("")
    while out and not out[-1].strip():
        out.pop()
    return "\n".join(out) + "\n\n" + "\n".join(appendix(document, unplaced, loose))


def appendix(
    document: ExportDocument,
    unplaced: list[StepOut],
    loose: list[tuple[StepOut, ValueOut]] = (),  # type: ignore[assignment]
) -> list[str]:
    source = document.source_document.name if document.source_document else ""
    run = f"`{document.run_id}` ({cell(document.playbook)} v{cell(document.playbook_version)})"
    lines = [
        "---",
        "",
        f"## Run record — {inline(source)}",
        "",
        "| | |",
        "|---|---|",
        f"| Run | {run} |",
        f"| Status | {cell(status_text(document))} |",
        f"| Operator | {cell(document.operator)} on {cell(document.host)} |",
        f"| Window | {cell(window_text(document))} |",
        "",
    ]
    if document.signoffs:
        lines += ["| Role | Name | Time |", "|---|---|---|"]
        lines += [
            f"| {cell(item.role)} | {cell(item.name)} | {cell(when(item.at))} |"
            for item in document.signoffs
        ]
        lines.append("")
    if document.breaches:
        lines += ["Target breaches:", ""]
        lines += [f"- {inline(value_text(item))}" for item in document.breaches]
        lines.append("")
    rollback = document.rollback
    if rollback is not None and rollback.ran:
        lines += [f"{ROLLBACK_ICON} Rollback started: {inline(rollback.reason)}", ""]
    if loose:
        lines += ["Answers with no blank in the checklist:", ""]
        lines += [f"- {inline(value_text(value))} (`{step.id}`)" for step, value in loose]
        lines.append("")
    if unplaced:
        lines += ["Steps of the playbook that are not lines of the checklist:", ""]
        for step in unplaced:
            lines += step_lines(step)
        lines.append("")
    return lines + footer_lines(document)
