"""One-line titles from Markdown text, for phases, steps and notes.

Titles are what the operator reads in the phase list and on the step panel, so emphasis markers,
list markers and heading hashes are removed, long text is cut with "…" (the full text stays in
the note or description), and decoration emoji are dropped from phase titles and ids.
"""

from __future__ import annotations

import re

from deploytui.importer.blocks import split_cells
from deploytui.importer.inline import clean

_EMOJI = re.compile(r"[\u2600-\u27bf\U0001f000-\U0001faff\ufe0f\u200d\u2b00-\u2bff]")
TITLE_LIMIT = 120


def title_text(text: str, limit: int = TITLE_LIMIT) -> str:
    """A one-line title from Markdown text (emphasis removed, cut with … when too long)."""
    if text.strip().startswith("|"):
        text = "Table: " + ", ".join(cell for cell in split_cells(text) if cell)
    cleaned = clean(re.sub(r"^\s*(?:#{1,6}\s+|>\s*|[-*+•]\s+|\d+[.)]\s+)", "", text))
    cleaned = cleaned.rstrip(":").strip()
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1].rstrip() + "…"


def heading_title(text: str) -> str:
    """Heading text without decoration emoji ("🎯 Final Go/No-Go ✅" → "Final Go/No-Go")."""
    title = title_text(_EMOJI.sub("", text))
    return title or title_text(text) or "Section"


def is_rule(line: str) -> bool:
    """A thematic break (``---``, ``***``, ``___``)."""
    return bool(re.fullmatch(r"\s*(?:[-*_]\s*){3,}", line))
