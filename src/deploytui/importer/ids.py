"""Readable, stable, unique ids for imported phases, steps and fields.

Ids are slugs of the text they name ("Backup size" → ``backup_size``), cut to a few words so
they stay readable, made unique by a ``_2``, ``_3`` suffix in document order (so re-importing
the same checklist gives the same ids), and always valid: step and phase ids match
``STEP_ID_PATTERN``, field ids match ``NAME_PATTERN`` (they are used as ``{{ inputs.ID }}``).
"""

from __future__ import annotations

import re
import unicodedata

_NUMBERING = re.compile(r"^\s*(?:step\s+)?\d+(?:\.\d+)*[.):]?\s+", re.IGNORECASE)


def words_of(text: str) -> list[str]:
    """Lower-case ASCII words of ``text`` ("Café ✅ Backup-size" → ["cafe", "backup", "size"])."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.findall(r"[a-z0-9]+", ascii_text.lower())


def slug(text: str, *, max_words: int = 5, drop_numbering: bool = False) -> str:
    if drop_numbering:
        text = _NUMBERING.sub("", text)
    return "_".join(words_of(text)[:max_words])


class IdRegistry:
    """Hands out unique ids; ``reserved`` ids are never handed out."""

    def __init__(self, *, fallback: str, name_safe: bool = False, reserved: set[str] | None = None):
        self.fallback = fallback
        self.name_safe = name_safe  # field ids may not start with a digit
        self.used: set[str] = set(reserved or ())

    def take(self, base: str) -> str:
        base = base.strip("_") or self.fallback
        if self.name_safe and base[0].isdigit():
            base = f"{self.fallback}_{base}"
        candidate = base
        counter = 2
        while candidate in self.used:
            candidate = f"{base}_{counter}"
            counter += 1
        self.used.add(candidate)
        return candidate
