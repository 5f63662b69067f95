"""The resume picker: interrupted and waiting runs, with where each stopped and why.

Resuming continues at the first unfinished step; a step that was running when the run stopped is
then offered as "re-run or mark done" by the run screen (the engine asks, the dialog answers).
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from deploytui.model.events import RunRecord, RunStatus
from deploytui.ui.screens.home import live_holder, open_run, resumable_cells, stopped_at
from deploytui.ui.text import rich_cell
from deploytui.ui.widgets.fitted_table import Col, FittedTable, Row

# The detail pane below repeats where and why, so at narrow widths the table can lose more.
RESUME_COLUMNS = [
    Col("run"),
    Col("playbook"),
    Col("state"),
    Col("stopped at", flex=True),
    Col("since", drop=2),
    Col("operator", drop=3),
]


class ResumePicker(Screen[None]):
    HELP_TITLE = "Resume"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "resume", "resume"),
        Binding("escape", "back", "back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.records: list[RunRecord] = []
        self.rows: list[tuple[RunRecord, str | None, str, str]] = []

    def compose(self) -> ComposeResult:
        yield Static(
            "[b]Resume a run[/b] · it continues at the first unfinished step", id="resume-title"
        )
        yield FittedTable(RESUME_COLUMNS, id="resume-runs", cursor_type="row", zebra_stripes=True)
        yield Static("", id="resume-detail")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.focus()
        self.load()

    @work(thread=True, exclusive=True, group="resume-load")
    def load(self) -> None:
        journal = self.app.journal  # type: ignore[attr-defined]
        records = journal.runs(limit=50, statuses=[RunStatus.running, RunStatus.waiting])
        rows = []
        for record in records:
            holder = live_holder(journal, record.id)
            title, why = stopped_at(journal, record)
            rows.append((record, holder, title, why))
        self.app.call_from_thread(self.show, rows)

    def cell(self, markup: str) -> Text:
        return rich_cell(markup, self.app.theme_variables)

    def show(self, rows: list[tuple[RunRecord, str | None, str, str]]) -> None:
        self.records = [row[0] for row in rows]
        self.rows = rows
        table = self.query_one(FittedTable)
        items = []
        for record, holder, title, _ in rows:
            cells = (
                *resumable_cells(
                    record,
                    holder=holder,
                    stopped=title,
                    now=self.app.clock(),  # type: ignore[attr-defined]
                    cell=self.cell,
                ),
                escape(record.operator),
            )
            items.append(Row(cells, key=record.id))
        table.set_rows(items)
        table.border_title = f"{len(rows)} resumable run{'s' if len(rows) != 1 else ''}"
        # The table's own enter binding hides ours from the footer, so say it on the panel.
        table.border_subtitle = "enter resumes" if rows else ""
        if not rows:
            self.query_one("#resume-detail", Static).update(
                "[dim]Nothing to resume: every run has finished.[/]"
            )
        else:
            self.show_detail(table.cursor_row)

    def show_detail(self, index: int) -> None:
        if not 0 <= index < len(self.rows):
            return
        record, holder, title, why = self.rows[index]
        lines = [f"Run [b]{record.id}[/b] stopped at [b]{escape(title)}[/b]"]
        if why:
            lines.append(f"reason: {escape(why)}")  # the second line, if any, is the step's
        if holder:
            lines.append(f"[$warning]driven right now by {escape(holder)}[/]")
        self.query_one("#resume-detail", Static).update("\n".join(lines))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_detail(event.cursor_row)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_resume()

    @work(thread=True, exclusive=True, group="resume-open")
    def action_resume(self) -> None:
        table = self.query_one(DataTable)
        index = table.cursor_row
        if not 0 <= index < len(self.records):
            return
        run_id = self.records[index].id
        self.app.call_from_thread(self.dismiss)
        open_run(self.app, playbook_path=None, run_id=run_id)

    def action_back(self) -> None:
        self.dismiss()
