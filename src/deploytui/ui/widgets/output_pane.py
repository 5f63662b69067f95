"""Live output of the running step: streamed in batches, bounded in memory, following the tail.

The pane keeps the last ``MAX_LINES`` lines (the journal has all of them; history shows the full
output). It follows the tail unless the operator scrolls up; scrolling back to the end resumes
following (Textual's ``Log`` does this when auto-scroll is on).

Long lines wrap (UX.md: long text wraps, never truncates or hides off to the side). Textual's
``Log`` cannot wrap and ``RichLog(wrap=True)`` renders every line through Rich as it is written,
too slow for a flood; so lines are split here, before they reach the ``Log``, and only those
wider than the pane pay for it (a length check per line otherwise). A continuation starts with
``WRAP_MARK``. The unwrapped tail is kept too (``raw``) so a resize wraps it again to the new
width.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from rich.cells import cell_len, chop_cells
from textual import events
from textual.widgets import Log

MAX_LINES = 5_000
WRAP_MARK = "↪ "


def split_line(line: str, width: int) -> list[str]:
    """One output line as pieces of at most ``width`` cells, broken at a space when one is in
    the second half of a piece; every piece after the first starts with ``WRAP_MARK``."""
    if "\t" in line:
        line = line.expandtabs()
    # Wide characters (CJK, emoji) take two cells: such lines are measured by cells (rarer and
    # slower); a plain ASCII line's length is its width.
    ascii_only = line.isascii()
    pieces: list[str] = []
    room, start, end = width, 0, len(line)
    # Every character takes at least one cell, so only a rest shorter than the room needs its
    # cells counted, and a piece is always within the next ``room`` characters: linear time.
    while end - start > room or (not ascii_only and cell_len(line[start:]) > room):
        head = line[start : start + room]
        if not ascii_only:
            head = chop_cells(head, room)[0]
        cut = head.rfind(" ", len(head) // 2)
        if cut <= 0:
            cut = len(head)
        pieces.append(head[:cut])
        start += cut
        while start < end and line[start] == " ":
            start += 1
        room = max(width - len(WRAP_MARK), 2)
    pieces.append(line[start:])
    return [pieces[0], *(WRAP_MARK + piece for piece in pieces[1:])]


def wrap_lines(lines: Iterable[str], width: int) -> list[str]:
    """Lines fitted to ``width`` cells; a line that already fits is passed through as is."""
    if width < 8:  # not laid out yet (or absurdly narrow): leave the lines whole
        return list(lines)
    half = width // 2
    fitted: list[str] = []
    for line in lines:
        # A character is at most two cells wide (a tab is expanded): short lines need no check.
        if len(line) <= half and "\t" not in line:
            fitted.append(line)
        elif len(line) > width or "\t" in line or (not line.isascii() and cell_len(line) > width):
            fitted.extend(split_line(line, width))
        else:
            fitted.append(line)
    return fitted


class OutputPane(Log):
    """A ``Log`` that accepts batches, wraps long lines and never grows past ``MAX_LINES``."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, max_lines=MAX_LINES, auto_scroll=True, highlight=False)
        self.border_title = "Output"
        self.total_lines = 0
        # The unwrapped tail, to wrap again when the pane's width changes.
        self.raw: deque[str] = deque(maxlen=MAX_LINES)
        self._wrapped_at = 0

    @property
    def wrap_width(self) -> int:
        """Cells per line, leaving room for the vertical scrollbar (a flood soon needs it)."""
        return self.content_region.width - self.styles.scrollbar_size_vertical

    def add(self, lines: list[str]) -> None:
        """Write a batch; only the tail that fits is kept, so a flood costs one write."""
        if not lines:
            return
        self.total_lines += len(lines)
        tail = lines[-MAX_LINES:]
        self.raw.extend(tail)
        width = self.wrap_width
        if width != self._wrapped_at:  # written before the first layout, or resized since
            self._rewrap(width)
        else:
            self.write_lines(wrap_lines(tail, width)[-MAX_LINES:])

    def on_resize(self, event: events.Resize) -> None:
        width = self.wrap_width
        if width != self._wrapped_at and self.raw:
            self._rewrap(width)

    def _rewrap(self, width: int) -> None:
        """Everything kept, wrapped again to ``width`` (on a resize: a few thousand lines)."""
        self._wrapped_at = width
        self.clear()
        self.write_lines(wrap_lines(self.raw, width)[-MAX_LINES:])
