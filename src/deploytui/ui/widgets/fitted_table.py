"""A DataTable that fits its width instead of scrolling sideways.

A tired operator on an 80-column SSH session should not have to scroll a table to the right to
find out which run is which. ``FittedTable`` knows which columns matter least: when the natural
widths do not fit, it drops those first (file path, operator, duration…), then lets the one
flexible column (a title or a description) take what is left and wrap onto more lines. Columns
marked as never dropped (ids, run ids) are never cut. It refits whenever its width changes, so a
terminal resize reshapes the table, and it shows no horizontal scrollbar when everything fits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual import events
from textual.widgets import DataTable

Cell = str | Text

#: The narrowest a flexible column gets before the table gives up and scrolls instead.
MIN_FLEX = 12
#: Wide enough for a wrapped title to read well; narrower, less important columns go first.
COMFORTABLE = 28


@dataclass(frozen=True)
class Col:
    """One column: ``drop`` 0 means never dropped; higher numbers are dropped first."""

    label: str
    drop: int = 0
    flex: bool = False


@dataclass(frozen=True)
class Row:
    cells: tuple[Cell, ...]
    key: str | None = None


def cell_width(cell: Cell) -> int:
    """Width in cells of the widest line, the way DataTable renders it (str cells are markup)."""
    text = Text.from_markup(cell) if isinstance(cell, str) else cell
    return max((line.cell_len for line in text.split("\n")), default=0)


def fit_columns(
    columns: Sequence[Col], natural: Sequence[int], room: int, padding: int
) -> tuple[list[int], dict[int, int], bool]:
    """Which columns to show, the flexible column's width if it must wrap, and whether it fits.

    ``natural`` is each column's content width; each shown column also costs ``padding``.
    """
    shown = list(range(len(columns)))

    def total(indexes: list[int]) -> int:
        return sum(natural[index] + padding for index in indexes)

    droppable = sorted(
        (index for index, column in enumerate(columns) if column.drop),
        key=lambda index: (-columns[index].drop, -index),
    )
    flex = next((index for index, column in enumerate(columns) if column.flex), None)

    def flex_room(indexes: list[int]) -> int:
        if flex is None or flex not in indexes:
            return -1
        return room - total([index for index in indexes if index != flex]) - padding

    # Drop the least important columns until the rest fit, or until the flexible column can
    # wrap comfortably (a few lines of a title read better than a missing column).
    for index in droppable:
        if total(shown) <= room or flex_room(shown) >= min(natural[flex or 0], COMFORTABLE):
            break
        shown.remove(index)
    if total(shown) <= room:
        return shown, {}, True
    if flex is not None and flex_room(shown) >= min(natural[flex], MIN_FLEX):
        return shown, {flex: flex_room(shown)}, True
    return shown, {}, False


class FittedTable(DataTable[Cell]):
    """Set ``columns`` once, give rows with :meth:`set_rows`; the table picks what to show."""

    def __init__(self, columns: Sequence[Col], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.specs = list(columns)
        self.data: list[Row] = []
        self.shown: list[int] = list(range(len(self.specs)))
        self._fitted_width = -1

    def set_rows(self, rows: Sequence[Row]) -> None:
        rows = list(rows)
        if rows == self.data and self.size.width == self._fitted_width:
            return  # a reload with nothing new: keep the table (and its cursor) as it is
        self.data = rows
        self.refit(force=True)

    def on_resize(self, event: events.Resize) -> None:
        self.refit()

    def room(self) -> int:
        # The border and padding, and one column kept free for a vertical scrollbar.
        return self.size.width - self.styles.gutter.width - 1

    def refit(self, *, force: bool = False) -> None:
        width = self.size.width
        if width <= 0 or (width == self._fitted_width and not force):
            return
        self._fitted_width = width
        natural = [cell_width(Text.from_markup(spec.label)) for spec in self.specs]
        for row in self.data:
            for index, cell in enumerate(row.cells):
                natural[index] = max(natural[index], cell_width(cell))
        shown, wrap, fits = fit_columns(self.specs, natural, self.room(), 2 * self.cell_padding)
        self.shown = shown
        # With everything visible there is nothing to scroll to; a scrollbar would only eat a
        # line. If even the narrowest layout does not fit, scrolling is better than clipping.
        self.styles.overflow_x = "hidden" if fits else "auto"
        row, column = self.cursor_row, self.cursor_column
        self.clear(columns=True)
        # Widths and heights are given explicitly rather than measured by the DataTable when it
        # next goes idle: a rebuild is then complete the moment it returns.
        for index in shown:
            width = wrap.get(index, natural[index])
            self.add_column(self.specs[index].label, width=width, key=str(index))
        for item in self.data:
            cells = [item.cells[index] for index in shown]
            height = max(
                [1, *(self.cell_lines(item.cells[index], width) for index, width in wrap.items())]
            )
            self.add_row(*cells, key=item.key, height=height)
        if self.data:
            self.move_cursor(row=min(row, len(self.data) - 1), column=column, animate=False)

    def cell_lines(self, cell: Cell, width: int) -> int:
        """How many lines a cell takes once wrapped at ``width``."""
        text = Text.from_markup(cell) if isinstance(cell, str) else cell
        return len(text.wrap(self.app.console, width))
