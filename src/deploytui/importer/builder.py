"""Walk the checklist's blocks in order and build the playbook's phases, steps and rollback.

The mapping (each generated step has ``source: {line: N}``, 1-based in the normalised text):

- A heading starts a section; each section with content becomes a phase (title = heading,
  description = the headings above it). Content before any heading goes to an "Overview" phase.
  Sections under a heading that mentions rollback go to ``rollback.steps`` instead.
- ``- [ ] item`` → ``confirm``; with blanks or choices on its line or in its un-boxed
  sub-items → one ``input`` step whose fields each carry ``source: {line, blank}`` (``blank`` =
  index of the ``____`` on that line; left out for a choice or a target with no blank); with a
  fenced code block under it → a ``local`` step (``review: true``); with boxed sub-items → a
  ``note`` naming the group, then the sub-items as steps. Plain sub-items (no box, no blank) go
  into the step's description.
- ``- [x] item`` → a ``note`` saying it was already done before the window.
- "Sign-off: ____ (Role)" (also "Signature", "Approved by", and tables with a Role column) →
  ``signoff`` with that role; its ``source.blank`` is the name blank.
- ``YES / NO``-style lists and ``☐ A ☐ B`` rows → ``choice`` fields, options as written.
- Fenced shell code (or code with no language) → ``local`` with the command verbatim,
  ``review: true``; other languages → ``confirm`` showing the code (deploytui does not run
  them); blocks that only set environment variables → a ``note``.
- Table rows with blanks → ``input`` (label = row label + column header); a row's target column
  becomes the field's target.
- Under a "targets" heading, "Label: < 200ms" items → ``input`` fields with that target and no
  blank (``review: true``), so the run records the measured value against it.
- A "Go/No-Go" section ends with a ``gate`` over the sign-offs and choices answered before it.
- Everything else (prose, plain lists, tables without blanks) → ``note`` steps, one per run of
  consecutive prose; what we do not understand → a ``note`` with ``review: true``, reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from deploytui.importer import infer
from deploytui.importer.approvals import gate_step, is_signoff_line, signoff_step
from deploytui.importer.blocks import (
    Code,
    Heading,
    Item,
    Odd,
    Paragraph,
    Table,
    read_blocks,
)
from deploytui.importer.commands import code_step
from deploytui.importer.fields import FieldMaker
from deploytui.importer.ids import IdRegistry, slug
from deploytui.importer.inline import Slot, clean, find_slots, main_label
from deploytui.importer.report import Uninterpreted
from deploytui.importer.tables import read_table
from deploytui.importer.titles import heading_title, is_rule, title_text

ROLLBACK = re.compile(r"\broll[\s-]?backs?\b|\brevert\b|\bback[\s-]?out\b", re.IGNORECASE)
GO_NO_GO = re.compile(r"\bgo\s*/\s*no[\s-]*go\b|\bgo[\s-]+no[\s-]+go\b", re.IGNORECASE)
TARGETS = re.compile(r"\btargets?\b|\bslos?\b|\bslas?\b|\bthresholds?\b", re.IGNORECASE)
PROCEDURE = re.compile(r"\bsteps?\b|\bprocedures?\b|\brunbook\b|\bhow to\b", re.IGNORECASE)


@dataclass
class Section:
    title: str
    line: int
    level: int
    trail: list[str]
    rollback: bool
    targets: bool
    procedure: bool
    steps: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class GateRegion:
    level: int
    line: int
    title: str
    steps: list[str] = field(default_factory=list)  # confirm steps inside the region


@dataclass
class Built:
    """The playbook as plain data (before YAML) and what could not be interpreted."""

    data: dict[str, Any]
    uninterpreted: list[Uninterpreted]
    title: str


class Builder:
    """One pass over the blocks; steps are added in document order (a gate closes its section)."""

    def __init__(self, text: str, name: str, file_name: str = "") -> None:
        self.text = text
        self.name = name
        self.file_name = file_name or name
        self.lines = text.split("\n")
        self.step_ids = IdRegistry(fallback="step")
        self.fields = FieldMaker()
        self.phase_ids = IdRegistry(fallback="phase", reserved={"rollback"})
        self.phases: list[dict[str, Any]] = []
        self.rollback_steps: list[dict[str, Any]] = []
        self.headings: list[tuple[int, str, bool, bool, bool]] = []
        self.section = Section("Overview", 1, 0, [], False, False, False)
        self.note: tuple[int, int] | None = None
        self.targets: list[dict[str, Any]] = []  # pending stated-target fields
        self.target_line = 0
        self.gate: GateRegion | None = None
        self.uninterpreted: list[Uninterpreted] = []
        self.roles: list[str] = []
        self.choices: list[tuple[str, tuple[str, ...]]] = []
        self.has_targets = False
        self.title = ""
        self.version: str | None = None
        self.rollback_sections: list[str] = []  # titles of the sections the rollback came from
        self.rollback_mark = 0

    # -- output -----------------------------------------------------------------------------

    def add(self, step: dict[str, Any]) -> None:
        """Append a finished step to the current phase (or the rollback)."""
        self.flush_targets()
        self.flush_note()
        step["id"] = self.step_ids.take(step["id"])
        ordered = {"id": step.pop("id"), "kind": step.pop("kind"), "title": step.pop("title")}
        tail = {key: step.pop(key) for key in ("source", "review") if key in step}
        ordered.update(step)
        ordered.update(tail)
        if self.section.rollback:
            self.rollback_steps.append(ordered)
            return
        self.section.steps.append(ordered)
        kind = ordered["kind"]
        if kind == "signoff":
            self.roles.append(ordered["role"])
        elif kind == "input":
            for field_data in ordered["fields"]:
                if field_data.get("type") == "choice":
                    self.choices.append((field_data["id"], tuple(field_data["options"])))
                if field_data.get("target"):
                    self.has_targets = True
        if kind == "confirm" and self.gate is not None:
            self.gate.steps.append(ordered["id"])

    def extend_note(self, first: int, last: int) -> None:
        self.flush_targets()
        if self.note is None:
            self.note = (first, last)
        else:
            self.note = (self.note[0], max(self.note[1], last))

    def flush_note(self) -> None:
        if self.note is None:
            return
        first, last = self.note
        self.note = None
        body = self.lines[first - 1 : last]
        while body and not body[-1].strip():
            body.pop()
        while body and not body[0].strip():
            body.pop(0)
            first += 1
        if not body:
            return
        title = next(
            (title_text(line) for line in body if title_text(line) and not is_rule(line)),
            "Note",
        )
        self.add(
            {
                "id": slug(title) or "note",
                "kind": "note",
                "title": title,
                "text": "\n".join(body),
                "source": {"line": first},
            }
        )

    def flush_targets(self) -> None:
        if not self.targets:
            return
        fields, self.targets = self.targets, []
        step = {
            "id": "targets_" + slug(self.section.title, max_words=4),
            "kind": "input",
            "title": f"{self.section.title}: measured values",
            "description": "The checklist states these targets without blanks; record what you "
            "measure so a breach is flagged.",
            "fields": fields,
            "source": {"line": self.target_line},
            "review": True,
        }
        self.add(step)

    def odd(self, lines: list[tuple[int, str]], reason: str) -> None:
        """Keep lines we do not understand as a note marked for review, and report them."""
        lines = [(number, text) for number, text in lines if text.strip()]
        if not lines:
            return
        for number, text in lines:
            self.uninterpreted.append(Uninterpreted(number, text, reason))
        first = lines[0][0]
        self.add(
            {
                "id": f"unparsed_line_{first}",
                "kind": "note",
                "title": f"Not interpreted (line {first}): {title_text(lines[0][1], 60)}",
                "description": f"Kept as written: {reason}. Review it by hand.",
                "text": "\n".join(text for _, text in lines),
                "source": {"line": first},
                "review": True,
            }
        )

    # -- sections ---------------------------------------------------------------------------

    def close_section(self) -> None:
        self.flush_targets()
        self.flush_note()
        section = self.section
        if section.steps:
            phase: dict[str, Any] = {
                "id": self.phase_ids.take(slug(section.title, max_words=5, drop_numbering=True)),
                "title": section.title,
            }
            if section.trail:
                phase["description"] = " › ".join(section.trail)
            phase["steps"] = section.steps
            self.phases.append(phase)
        if section.rollback and len(self.rollback_steps) > self.rollback_mark:
            self.rollback_sections.append(section.title)
        self.rollback_mark = len(self.rollback_steps)

    def heading(self, block: Heading) -> None:
        self.flush_targets()
        self.flush_note()
        if self.gate is not None and block.level <= self.gate.level:
            self.close_gate()
        self.close_section()
        title = heading_title(block.text)
        if find_slots(self.lines[block.line - 1]):
            title = heading_title(main_label(block.text)) or title
        if block.level == 1 and not self.title:
            self.title = title
        while self.headings and self.headings[-1][0] >= block.level:
            self.headings.pop()
        parent_rollback = any(entry[2] for entry in self.headings)
        parent_targets = any(entry[3] for entry in self.headings)
        parent_procedure = any(entry[4] for entry in self.headings)
        rollback = parent_rollback or bool(ROLLBACK.search(block.text))
        targets = parent_targets or bool(TARGETS.search(block.text))
        procedure = parent_procedure or bool(PROCEDURE.search(block.text))
        trail = [entry[1] for entry in self.headings]
        self.headings.append((block.level, title, rollback, targets, procedure))
        self.section = Section(title, block.line, block.level, trail, rollback, targets, procedure)
        if GO_NO_GO.search(block.text) and not rollback and self.gate is None:
            self.gate = GateRegion(block.level, block.line, title)
        raw = self.lines[block.line - 1]
        if find_slots(raw):
            fields = self.fields.line_fields(block.line, raw, block.text, context="")
            if fields:
                self.add(
                    {
                        "id": slug(title),
                        "kind": "input",
                        "title": main_label(block.text) or title,
                        "fields": fields,
                        "source": {"line": block.line},
                    }
                )

    def close_gate(self) -> None:
        region, self.gate = self.gate, None
        assert region is not None
        self.add(
            gate_step(
                region.title,
                region.line,
                roles=self.roles,
                choices=self.choices,
                steps=region.steps,
                targets=self.has_targets,
            )
        )

    # -- blocks -----------------------------------------------------------------------------

    def build(self) -> Built:
        for block in read_blocks(self.text):
            if isinstance(block, Heading):
                self.heading(block)
            elif isinstance(block, Paragraph):
                self.paragraph(block)
            elif isinstance(block, Item):
                self.item(block, context="")
            elif isinstance(block, Code):
                self.code(block, None)
            elif isinstance(block, Table):
                self.table(block)
            elif isinstance(block, Odd):
                self.flush_note()
                self.odd(block.lines, block.reason)
        self.flush_targets()
        self.flush_note()
        if self.gate is not None:
            self.close_gate()
        self.close_section()
        return Built(self.playbook_data(), self.uninterpreted, self.title)

    def paragraph(self, block: Paragraph) -> None:
        for line, text in block.lines:
            if _VERSION.match(clean(text)) and self.version is None:
                self.version = _VERSION.match(clean(text)).group(1)  # type: ignore[union-attr]
            slots = find_slots(self.lines[line - 1])
            if slots and self.signoff(line, slots):
                continue
            fields = (
                self.fields.line_fields(line, self.lines[line - 1], text, context="")
                if slots
                else []
            )
            if fields:
                self.add(
                    {
                        "id": slug(main_label(text)) or "values",
                        "kind": "input",
                        "title": title_text(main_label(text)) or "Values",
                        "fields": fields,
                        "source": {"line": line},
                    }
                )
            else:
                self.extend_note(line, line)

    def signoff(self, line: int, slots: list[Slot]) -> bool:
        """Add a sign-off step when the line is one ("Sign-off: ____ (DevOps Lead)")."""
        step = signoff_step(line, self.lines[line - 1], slots)
        if step is not None:
            self.add(step)
        return step is not None

    def item(self, item: Item, *, context: str) -> None:
        line = item.line
        raw = self.lines[line - 1]
        if item.box not in (None, " ", "x"):
            self.flush_note()
            self.odd([(line, raw)], f"unknown check box state '[{item.box}]'")
            for child in item.children:
                self.item(child, context=context)
            return
        label = main_label(item.text) or title_text(item.text) or context
        slots = find_slots(raw)
        if slots and self.signoff(line, slots):
            self.paragraph(Paragraph(list(item.extra)))
            self.children_as_steps(item, label)
            return
        actionable = item.box is not None or (
            item.ordered and (self.section.rollback or self.section.procedure)
        )
        if not actionable:
            self.plain_item(item, slots, label, context)
            return
        fields = self.fields.line_fields(line, raw, item.text, context=context, slots=slots)
        description: list[str] = []
        for extra_line, extra_text in item.extra:
            if find_slots(self.lines[extra_line - 1]):
                fields += self.fields.line_fields(
                    extra_line, self.lines[extra_line - 1], extra_text, context=label
                )
            else:
                description.append(extra_text)
        own_fields = len(fields)
        step_children: list[Item] = []
        for child in item.children:
            if _has_steps(child) or self.is_signoff_line(child):
                step_children.append(child)
            elif self.subtree_has_slots(child):
                fields += self.subtree_fields(child, context=label)
            else:
                description += _plain_lines(child)
        text = title_text(item.text) or label or "Step"
        if len(fields) > own_fields and title_text(label) != text:
            description.insert(0, clean(item.text))
        base: dict[str, Any] = {"source": {"line": line}}
        if description:
            base["description"] = "\n".join(description)
        codes = list(item.code)
        if fields:
            self.add(
                {
                    "id": slug(label),
                    "kind": "input",
                    "title": title_text(label),
                    **base,
                    "fields": fields,
                }
            )
        elif codes:
            self.code(codes.pop(0), text, source_line=line, extra=base.get("description", ""))
        elif item.box == "x":
            self.add(
                {
                    "id": "done_" + slug(text, max_words=4),
                    "kind": "note",
                    "title": text,
                    **base,
                    "text": "Already ticked in the checklist: done before this window.",
                }
            )
        elif step_children and item.box is not None:
            count = len(step_children)
            self.add(
                {
                    "id": slug(text),
                    "kind": "note",
                    "title": text,
                    **base,
                    "text": f"The next {count} steps are the items under '{text}' in the checklist."
                    if count != 1
                    else f"The next step is the item under '{text}' in the checklist.",
                }
            )
        else:
            self.add({"id": slug(text), "kind": "confirm", "title": text, **base})
        for code in codes:
            self.code(code, None)
        for child in step_children:
            self.item(child, context=label)

    def children_as_steps(self, item: Item, label: str) -> None:
        for code in item.code:
            self.code(code, None)
        for child in item.children:
            self.item(child, context=label)

    def plain_item(self, item: Item, slots: list[Slot], label: str, context: str) -> None:
        """An item without a box: a blank to fill, a stated target, or prose for a note."""
        line = item.line
        raw = self.lines[line - 1]
        if slots:
            fields = self.fields.line_fields(line, raw, item.text, context=context, slots=slots)
            self.add(
                {
                    "id": slug(label) or "values",
                    "kind": "input",
                    "title": title_text(label) or "Values",
                    "fields": fields,
                    "source": {"line": line},
                }
            )
        elif self.section.targets and self.stated_target(item):
            pass
        else:
            self.extend_note(line, line)
        self.paragraph(Paragraph(list(item.extra)))
        for code in item.code:
            self.code(code, None)
        for child in item.children:
            self.item(child, context=label)

    def stated_target(self, item: Item) -> bool:
        text = clean(item.text)
        head, sep, rest = text.partition(":")
        if not sep or not head.strip():
            return False
        target = infer.stated_target(rest)
        if target is None:
            return False
        label = title_text(head)
        data = infer.target_field(
            self.fields.ids.take(slug(label, max_words=4) or "measured"), label, target
        )
        if "target" not in data:
            self.fields.ids.used.discard(data["id"])
            return False
        hint = rest.strip()
        data["help"] = f"Stated in the checklist: {hint}"
        data["source"] = {"line": item.line}
        self.flush_note()
        if not self.targets:
            self.target_line = item.line
        self.targets.append(data)
        return True

    def is_signoff_line(self, item: Item) -> bool:
        return is_signoff_line(self.lines[item.line - 1])

    def subtree_has_slots(self, item: Item) -> bool:
        return bool(find_slots(self.lines[item.line - 1])) or any(
            self.subtree_has_slots(child) for child in item.children
        )

    def subtree_fields(self, item: Item, *, context: str) -> list[dict[str, Any]]:
        raw = self.lines[item.line - 1]
        fields = self.fields.line_fields(item.line, raw, item.text, context=context)
        label = main_label(item.text) or context
        for child in item.children:
            fields += self.subtree_fields(child, context=label)
        return fields

    def code(
        self, code: Code, title: str | None, *, source_line: int | None = None, extra: str = ""
    ) -> None:
        if not code.closed:
            self.uninterpreted.append(
                Uninterpreted(code.line, self.lines[code.line - 1], "code block is never closed")
            )
        step = code_step(
            code,
            title=title,
            section_title=self.section.title,
            source_line=source_line,
            extra=extra,
        )
        if step is None:
            self.extend_note(code.line, code.end_line)
        else:
            self.add(step)

    def table(self, block: Table) -> None:
        reading = read_table(block, self.lines, self.fields)
        self.uninterpreted += reading.problems
        if reading.note is not None:
            self.extend_note(*reading.note)
            if reading.steps:
                self.flush_note()
        for step in reading.steps:
            self.add(step)

    # -- playbook ---------------------------------------------------------------------------

    def playbook_data(self) -> dict[str, Any]:
        phases = self.phases
        if not phases:
            first = next((i + 1 for i, text in enumerate(self.lines) if text.strip()), 1)
            phases = [
                {
                    "id": "checklist",
                    "title": self.title or "Checklist",
                    "steps": [
                        {
                            "id": self.step_ids.take("no_items"),
                            "kind": "note",
                            "title": "This checklist has no items to work through",
                            "text": "\n".join(self.lines).strip() or "(empty)",
                            "source": {"line": first},
                            "review": True,
                        }
                    ],
                }
            ]
        data: dict[str, Any] = {
            "name": self.name,
            "version": self.version or "1",
            "description": (f"{self.title}. " if self.title else "")
            + f"Imported from {self.file_name} by `deploytui import`; review every step marked "
            "review: true before a real window.",
            "phases": phases,
        }
        if self.rollback_steps:
            data["rollback"] = {
                "description": "From the checklist's sections: "
                + "; ".join(self.rollback_sections),
                "steps": self.rollback_steps,
            }
        return data


_VERSION = re.compile(r"^(?:document\s+)?version:\s*(\S+)", re.IGNORECASE)


def _has_steps(item: Item) -> bool:
    return item.box is not None or bool(item.code) or any(_has_steps(c) for c in item.children)


def _plain_lines(item: Item, depth: int = 0) -> list[str]:
    lines = [f"{'  ' * depth}- {item.text}"] + [f"{'  ' * depth}  {text}" for _, text in item.extra]
    for child in item.children:
        lines += _plain_lines(child, depth + 1)
    return lines
