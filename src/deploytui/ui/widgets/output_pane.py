"""Live output of the running step: streamed in batches, bounded in memory, following the tail.

The pane keeps the last ``MAX_LINES`` lines (the journal has all of them; history shows the full
output). It follows the tail unless the operator scrolls up; scrolling back to the end resumes
following (Textual's ``Log`` does this when auto-scroll is on).
"""

from __future__ import annotations

from textual.widgets import Log

MAX_LINES = 5_000


class OutputPane(Log):
    """A ``Log`` that accepts batches and never grows past ``MAX_LINES``."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, max_lines=MAX_LINES, auto_scroll=True, highlight=False)
        self.border_title = "Output"
        self.total_lines = 0

    def add(self, lines: list[str]) -> None:
        """Write a batch; only the tail that fits is kept, so a flood costs one write."""
        if not lines:
            return
        self.total_lines += len(lines)
        self.write_lines(lines[-MAX_LINES:])
