"""Lines of a checklist the importer could not interpret, reported rather than dropped.

Each one is kept in the playbook as a ``note`` marked ``review: true`` (so nothing the team
wrote is lost), listed in the comment block at the top of the generated YAML, and printed on
stderr by the CLI as ``FILE:LINE: could not interpret: TEXT (REASON)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]")


@dataclass(frozen=True)
class Uninterpreted:
    """One line (1-based) the importer kept as a note because it did not understand it."""

    line: int
    text: str
    reason: str

    def shown(self, limit: int = 100) -> str:
        """The line's text made safe for one terminal or YAML comment line."""
        text = _UNPRINTABLE.sub("?", self.text.strip().replace("\t", " "))
        return text if len(text) <= limit else text[: limit - 1] + "…"

    def format(self, filename: str) -> str:
        return f"{filename}:{self.line}: could not interpret: {self.shown()} ({self.reason})"
