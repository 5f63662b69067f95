"""What one line of a checklist asks for: its blanks, its choices, and the label of each.

A *blank* is a run of three or more underscores (``____``), exactly as the filled-in export
(``deploytui.export.fillin.BLANK``) finds them: blank index K on a line is the K-th match of
``_{3,}`` on that line, counting every match, so an index here always names the same blank
there. A *choice* is a slash-separated list of known answers (``YES / NO / N/A``,
``PASS / FAIL``, ``GO / NO-GO``) or a row of ballot boxes (``☐ APPROVED  ☐ BLOCKED``); its options
are kept exactly as written so the export can find and mark the one chosen.

Each slot gets a label from the text before it ("**Backup size:** ____" → "Backup size"), the
line's main label (the bold or colon-ended lead: "Free: … (appropriate: YES / NO)" → "Free"),
the unit written after it ("____ MB/GB"), and the rest of its clause, where targets such as
"(target: < 500 ms)" are found by ``infer``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

BLANK = re.compile(r"_{3,}")
CHOICE_WORDS = (
    "N/A", "NO-GO", "NO GO", "NOGO", "YES", "NO", "NA", "SKIPPED", "SKIP", "PASSED", "PASS",
    "FAILED", "FAIL", "GO", "DONE", "PENDING", "TRUE", "FALSE", "OK", "NOK", "APPROVED",
    "REJECTED", "BLOCKED", "PARTIAL", "UNKNOWN",
)  # fmt: skip
# At least one of these must be present, so "DONE / PENDING" alone is not mistaken for a choice.
ANCHOR_WORDS = {"YES", "NO", "PASS", "FAIL", "PASSED", "FAILED", "GO", "NO-GO", "NO GO", "NOGO"}
_WORD = "|".join(re.escape(word) for word in CHOICE_WORDS)
_CHOICE = re.compile(rf"(?<![\w/-])(?:{_WORD})(?:\s*/\s*(?:{_WORD}))+(?![\w/-])", re.IGNORECASE)
_BALLOT = re.compile(r"[☐□]\s*([^☐□()\n]*?[^\s☐□()])(?=\s*(?:[☐□(]|$))")
_UNIT_AFTER = re.compile(
    r"^\s*((?:[A-Za-zµ°$€£%][A-Za-z0-9µ°$€£%]*)(?:\s*/\s*[A-Za-z]+)*)(?!\s*:)(?![\w/])"
)
_SPACES = re.compile(r"\s+")


@dataclass
class Slot:
    """One thing to fill on a line: a blank or a choice."""

    kind: str  # "blank" | "choice"
    start: int
    end: int
    blank_index: int | None = None  # K-th ``_{3,}`` on the line (blanks only)
    options: tuple[str, ...] = ()  # choices only, as written
    label: str = ""  # the words just before the slot
    unit: str = ""  # the unit written just after a blank ("MB/GB", "ms", "minutes")
    clause: str = ""  # text after the slot up to the next slot (targets, hints)
    in_parens: bool = False  # inside "( … )": secondary, so not required


def clean(text: str) -> str:
    """Markdown emphasis removed and whitespace collapsed: "**Backup size:**  " → "Backup size:"."""
    # Runs of three or more underscores are blanks, so only a lone "__" is a bold marker.
    text = re.sub(r"(?<!_)__(?!_)", "", text.replace("**", ""))
    return _SPACES.sub(" ", text).strip()


def find_blanks(line: str) -> list[re.Match[str]]:
    """Every ``_{3,}`` on the line, in the export's numbering."""
    return list(BLANK.finditer(line))


def _is_real_blank(line: str, match: re.Match[str]) -> bool:
    """``___bold___`` and ``snake___case`` are not blanks; long runs always are."""
    if len(match.group(0)) > 3:
        return True
    before = line[match.start() - 1] if match.start() else " "
    after = line[match.end()] if match.end() < len(line) else " "
    return not (before.isalnum() or after.isalnum())


def _code_spans(line: str) -> list[tuple[int, int]]:
    return [match.span() for match in re.finditer(r"`+[^`]*`+", line)]


def _inside(position: int, spans: list[tuple[int, int]]) -> bool:
    return any(start <= position < end for start, end in spans)


def find_choices(line: str) -> list[Slot]:
    """``YES / NO``-style lists and ``☐ A ☐ B`` rows on the line."""
    spans = _code_spans(line)
    slots: list[Slot] = []
    for match in _CHOICE.finditer(line):
        if _inside(match.start(), spans):
            continue
        options = _rejoin_na(match.group(0))
        upper = {option.upper() for option in options}
        if not upper & ANCHOR_WORDS or len(set(upper)) < 2:
            continue
        lowercase = any(option != option.upper() for option in options)
        if lowercase and not re.search(r"[:(]\s*(\*\*)?\s*$", line[: match.start()]):
            continue  # "a yes/no question" in prose is not a blank to fill
        slots.append(Slot("choice", match.start(), match.end(), options=options))
    ballots = [match for match in _BALLOT.finditer(line) if not _inside(match.start(), spans)]
    if len(ballots) >= 2:
        options = tuple(match.group(1).strip() for match in ballots)
        if len(set(options)) == len(options):
            slots.append(Slot("choice", ballots[0].start(), ballots[-1].end(), options=options))
    return slots


def _rejoin_na(text: str) -> tuple[str, ...]:
    """Split "YES / NO / N/A" into YES, NO, N/A (the slash inside N/A is not a separator)."""
    words = re.findall(rf"(?:{_WORD})", text, flags=re.IGNORECASE)
    return tuple(word.strip() for word in words)


def find_slots(line: str) -> list[Slot]:
    """Every blank and choice on the line, in order, each with its label, unit and clause."""
    # The builder asks about the same line several times; callers may relabel the copies.
    return [replace(slot) for slot in _find_slots(line)]


@lru_cache(maxsize=4096)
def _find_slots(line: str) -> tuple[Slot, ...]:
    spans = _code_spans(line)
    slots = [
        Slot("blank", match.start(), match.end(), blank_index=index)
        for index, match in enumerate(find_blanks(line))
        if _is_real_blank(line, match) and not _inside(match.start(), spans)
    ]
    choices = find_choices(line)
    slots = [
        slot
        for slot in slots
        if not any(choice.start <= slot.start < choice.end for choice in choices)
    ]
    slots = sorted(slots + choices, key=lambda slot: slot.start)
    _describe(line, slots)
    return tuple(slots)


def _describe(line: str, slots: list[Slot]) -> None:
    position = 0
    for number, slot in enumerate(slots):
        slot.label = clause_label(line[position : slot.start])
        slot.in_parens = line[: slot.start].count("(") > line[: slot.start].count(")")
        position = slot.end
        if slot.kind == "blank":
            unit = _UNIT_AFTER.match(line[slot.end :])
            rest = re.split(r"[(),;]|_{3,}", line[slot.end :])[0]
            if unit and ":" in rest:
                unit = None  # "____ End time: ____": the words name the next blank
            if unit and not _unit_like(unit.group(1)):
                unit = None
            if unit:
                slot.unit = unit.group(1).strip()
                position = slot.end + unit.end()
        following = slots[number + 1].start if number + 1 < len(slots) else len(line)
        slot.clause = clean(line[position:following])


_NOT_UNITS = {
    "a", "an", "the", "and", "or", "of", "to", "in", "on", "at", "for", "with", "by", "from",
    "is", "are", "was", "be", "if", "as", "target", "e", "eg", "i", "we", "it", "this", "that",
}  # fmt: skip


def _unit_like(word: str) -> bool:
    """ "ms", "MB/GB", "req/s", "minutes", "%" are units; "a", "and", "target" are not."""
    lowered = word.lower()
    return lowered not in _NOT_UNITS and (len(word) <= 12 or "/" in word)


def clause_label(text: str) -> str:
    """The words naming the next slot: "**Free:** 10 req/min (appropriate: " → "appropriate"."""
    text = clean(text)
    text = re.split(r"[(),;]", text)[-1] if re.search(r"[(),;]", text) else text
    parts = [part.strip() for part in text.split(":") if part.strip()]
    label = parts[-1] if parts else ""
    label = re.sub(r"^(?:[-*+>#]\s*|\d+[.)]\s+|\[[ xX]\]\s*)+", "", label)
    return label.strip(" -–—:|/").strip()


def main_label(text: str) -> str:
    """The lead of a line: its bold label or the words before its first colon, else all of it."""
    cleaned = clean(text)
    bold = re.match(r"^\s*\*\*(.+?)\*\*", text.strip())
    if bold:
        return bold.group(1).strip().rstrip(":").strip()
    head, sep, _ = cleaned.partition(":")
    if sep and head.strip() and len(head) <= 80 and "(" not in head:
        return head.strip()
    first = re.search(r"_{3,}", cleaned)
    choice = _CHOICE.search(cleaned)
    cut = min([m.start() for m in (first, choice) if m] or [len(cleaned)])
    if cut > 0 and re.search(r"\w", cleaned[:cut]):
        cleaned = cleaned[:cut]  # "p99 latency ____ ms (target …)" → "p99 latency"
    without = BLANK.sub(" ", cleaned)
    without = _CHOICE.sub(" ", without)
    label = _SPACES.sub(" ", without).strip(" :-–—,")
    if label.count("(") > label.count(")"):
        label = label[: label.rfind("(")].strip(" :-–—,") if label.endswith("(") else label + ")"
    return label
