"""Split checklist text into Markdown blocks that keep their 1-based line numbers.

A small, forgiving reader rather than a full CommonMark parser, because what matters here is
checklist structure and exact lines: headings (ATX and setext), list items with their nesting,
check boxes (``[ ]``, ``[x]``, doubled ``[ ] [ ]``, ``☐``), fenced code (attached to the item it
is indented under), tables, paragraphs, and things we do not interpret (HTML, front matter,
unknown box states), which are returned as ``Odd`` blocks so they can be reported, not dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_RULE = re.compile(r"^ {0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$")
_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`]*?)[ \t]*$")
_ITEM = re.compile(r"^(?P<indent>[ \t]*)(?P<marker>[-*+•]|\d{1,9}[.)])(?:[ \t]+(?P<rest>.*)|$)")
_BOX = re.compile(r"^\[(?P<state>[^\]\[]?)\][ \t]*")
_BALLOT_BOX = re.compile(r"^(?P<state>[☐☑☒])[ \t]*")
_TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_HTML = re.compile(r"^ {0,3}<(?:!--|/?[A-Za-z][A-Za-z0-9-]*(?:\s|/?>|$))")


@dataclass
class Code:
    """A fenced code block; ``line`` is the opening fence."""

    line: int
    end_line: int
    info: str
    text: str
    closed: bool = True


@dataclass
class Item:
    """A list item (or a bare ``[ ]`` line) with its nested items and code blocks."""

    line: int
    indent: int
    ordered: bool
    text: str  # after the marker and any boxes
    box: str | None = None  # None (no box), " " (open), "x" (ticked) or the odd state seen
    boxes: int = 0
    extra: list[tuple[int, str]] = field(default_factory=list)  # continuation lines
    children: list[Item] = field(default_factory=list)
    code: list[Code] = field(default_factory=list)

    @property
    def last_line(self) -> int:
        last = max([self.line] + [number for number, _ in self.extra])
        for child in self.children:
            last = max(last, child.last_line)
        for block in self.code:
            last = max(last, block.end_line)
        return last


@dataclass
class Heading:
    line: int
    level: int
    text: str


@dataclass
class Paragraph:
    """Consecutive prose lines (each may still hold blanks)."""

    lines: list[tuple[int, str]]


@dataclass
class Table:
    header: tuple[int, list[str]]
    rows: list[tuple[int, list[str]]]
    separator: bool


@dataclass
class Odd:
    """Lines we do not interpret; ``reason`` says what they looked like."""

    lines: list[tuple[int, str]]
    reason: str


Block = Code | Item | Heading | Paragraph | Table | Odd


def _width(indent: str) -> int:
    return len(indent.expandtabs(4))


def split_cells(line: str) -> list[str]:
    text = line.strip()
    if text.startswith("|"):
        text = text[1:]
    if text.endswith("|") and not text.endswith("\\|"):
        text = text[:-1]
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", text)]


class _Reader:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.blocks: list[Block] = []
        self.stack: list[Item] = []  # open list items, outermost first
        self.paragraph: Paragraph | None = None
        self.previous_blank = True

    def close_list(self) -> None:
        self.stack = []

    def close_paragraph(self) -> None:
        self.paragraph = None

    def add(self, block: Block) -> None:
        self.close_paragraph()
        self.blocks.append(block)

    def read(self) -> list[Block]:
        number = 0
        total = len(self.lines)
        if total > 1 and self.lines[0].strip() == "---":
            closing = next(
                (i for i in range(1, min(total, 200)) if self.lines[i].strip() in {"---", "..."}),
                None,
            )
            if closing is not None:
                lines = [(i + 1, self.lines[i]) for i in range(closing + 1)]
                self.add(Odd(lines, "front matter (metadata) is not part of the checklist"))
                number = closing + 1
        while number < total:
            number = self.step(number)
        return self.blocks

    def step(self, index: int) -> int:
        text = self.lines[index]
        line = index + 1
        stripped = text.strip()
        if not stripped:
            self.close_paragraph()
            self.previous_blank = True
            return index + 1
        was_blank, self.previous_blank = self.previous_blank, False
        fence = _FENCE.match(text)
        if fence:
            return self.read_fence(index, fence)
        heading = _HEADING.match(text)
        if heading:
            self.close_list()
            self.add(Heading(line, len(heading.group(1)), (heading.group(2) or "").strip()))
            return index + 1
        setext = _SETEXT.match(text)
        if setext and self.paragraph is not None and not self.stack:
            last_line, last_text = self.paragraph.lines.pop()
            if not self.paragraph.lines:
                self.blocks.remove(self.paragraph)
            self.add(Heading(last_line, 1 if "=" in setext.group(1) else 2, last_text.strip()))
            return index + 1
        if (_RULE.match(text) and not re.fullmatch(r"\s*_{3,}\s*", text)) or (
            re.fullmatch(r"\s*_{3,}\s*", text) and was_blank
        ):
            self.close_list()
            self.close_paragraph()
            return index + 1
        if _HTML.match(text):
            return self.read_html(index)
        if "|" in stripped and (
            stripped.startswith("|")
            or (index + 1 < len(self.lines) and _TABLE_SEPARATOR.match(self.lines[index + 1]))
        ):
            return self.read_table(index)
        item = _ITEM.match(text)
        if item and not _RULE.match(text):
            self.open_item(
                line, _width(item.group("indent")), item.group("marker"), item.group("rest") or ""
            )
            return index + 1
        indent = _width(text[: len(text) - len(text.lstrip())])
        if _BOX.match(stripped) or (_BALLOT_BOX.match(stripped) and stripped.count("☐") < 2):
            self.open_item(line, indent, "", stripped)
            return index + 1
        # A line with its own blank at the list's margin is its own line, not a lazy continuation.
        own_line = indent <= self.stack[-1].indent and "___" in text if self.stack else False
        if self.stack and not own_line and (not was_blank or indent > self.stack[-1].indent):
            owner = self.owner_for(indent) if was_blank else self.stack[-1]
            if owner is not None:
                owner.extra.append((line, stripped))
                return index + 1
        self.close_list()
        if self.paragraph is None:
            self.paragraph = Paragraph([])
            self.blocks.append(self.paragraph)
        self.paragraph.lines.append((line, text))
        return index + 1

    def owner_for(self, indent: int) -> Item | None:
        for item in reversed(self.stack):
            if indent > item.indent:
                return item
        return None

    def open_item(self, line: int, indent: int, marker: str, rest: str) -> None:
        self.close_paragraph()
        box: str | None = None
        boxes = 0
        while True:
            match = _BOX.match(rest) or _BALLOT_BOX.match(rest)
            if not match:
                break
            state = match.group("state")
            state = {"☐": " ", "☑": "x", "☒": "x", "": " ", "X": "x"}.get(state, state)
            box = state if box is None or box == " " else box
            boxes += 1
            rest = rest[match.end() :]
        item = Item(line, indent, marker[:1].isdigit(), rest.strip(), box, boxes)
        while self.stack and self.stack[-1].indent >= indent:
            self.stack.pop()
        if self.stack:
            self.stack[-1].children.append(item)
        else:
            self.blocks.append(item)
        self.stack.append(item)

    def read_fence(self, index: int, fence: re.Match[str]) -> int:
        opener = fence.group("fence")
        indent = _width(fence.group("indent"))
        body: list[str] = []
        cursor = index + 1
        closed = False
        while cursor < len(self.lines):
            candidate = self.lines[cursor]
            stripped = candidate.strip()
            if stripped.startswith(opener[0] * len(opener)) and not stripped.strip(opener[0]):
                closed = True
                break
            body.append(_dedent(candidate, indent))
            cursor += 1
        end_line = cursor + 1 if closed else len(self.lines)
        code = Code(index + 1, end_line, fence.group("info").strip(), "\n".join(body), closed)
        owner = self.owner_for(indent) if self.stack and indent > 0 else None
        if owner is not None:
            self.close_paragraph()
            owner.code.append(code)
        else:
            self.close_list()
            self.add(code)
        self.previous_blank = False
        return cursor + 1

    def read_html(self, index: int) -> int:
        lines: list[tuple[int, str]] = []
        cursor = index
        comment = self.lines[index].strip().startswith("<!--")
        while cursor < len(self.lines) and self.lines[cursor].strip():
            lines.append((cursor + 1, self.lines[cursor]))
            cursor += 1
            if comment and "-->" in lines[-1][1]:
                break
        self.close_list()
        self.add(Odd(lines, "HTML is not interpreted"))
        return cursor

    def read_table(self, index: int) -> int:
        rows: list[tuple[int, list[str]]] = []
        cursor = index
        separator = False
        while cursor < len(self.lines) and "|" in self.lines[cursor]:
            text = self.lines[cursor]
            if _TABLE_SEPARATOR.match(text) and "-" in text:
                separator = separator or cursor == index + 1
            else:
                rows.append((cursor + 1, split_cells(text)))
            cursor += 1
        self.close_list()
        if not rows:  # only separator lines: nothing to read as a table
            self.add(
                Paragraph([(number + 1, self.lines[number]) for number in range(index, cursor)])
            )
            return cursor
        header, body = (rows[0], rows[1:]) if separator else ((index + 1, []), rows)
        self.add(Table(header, body, separator))
        return cursor


def _dedent(text: str, indent: int) -> str:
    removed = 0
    position = 0
    while position < len(text) and removed < indent and text[position] in " \t":
        removed += 4 if text[position] == "\t" else 1
        position += 1
    return text[position:]


def read_blocks(text: str) -> list[Block]:
    """The blocks of ``text`` (lines split on ``\\n`` only, as the export does)."""
    return _Reader(text.split("\n")).read()
