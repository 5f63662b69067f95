"""History: past runs filtered by playbook and status, a run as a timeline, any step's output.

The timeline is built from ``journal.report.build_report``, the same structure ``deploytui show``
and the exports use, so the three always agree. Reads happen in thread workers.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Log, Select, Static, Tree
from textual.widgets.tree import TreeNode

from deploytui.journal.report import PhaseReport, RunReport, StepReport
from deploytui.model.events import RunRecord, RunStatus, StepStatus
from deploytui.model.values import format_duration
from deploytui.ui.screens.home import RECENT_COLUMNS
from deploytui.ui.text import against, breach, record_status, rich_cell, rollback_idle, step_icon
from deploytui.ui.widgets.fitted_table import FittedTable, Row
from deploytui.ui.widgets.phase_list import plain_title

ALL = "all"

# The same columns as home's recent runs (least important first to go at narrow widths).
RUN_COLUMNS = RECENT_COLUMNS


# Runs read at a time: a journal of thousands of runs shows its first screens at once, and the
# next page is read as the cursor nears the end of what is loaded.
PAGE = 100


def export_available() -> bool:
    return importlib.util.find_spec("deploytui.export") is not None


class HistoryScreen(Screen[None]):
    """Runs, newest first, filtered by playbook and status."""

    HELP_TITLE = "History"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "open run"),
        Binding("escape", "back", "back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.records: list[RunRecord] = []
        self.limit = PAGE
        self.more = False  # whether the journal has more runs than are loaded

    def compose(self) -> ComposeResult:
        yield Static("[b]History[/b] · past runs, newest first", id="history-title")
        with Horizontal(id="filters"):
            yield Select[str]([], prompt="All playbooks", id="filter-playbook", allow_blank=True)
            statuses = [(status.value.replace("_", " "), status.value) for status in RunStatus]
            yield Select[str](statuses, prompt="All statuses", id="filter-status")
        yield FittedTable(RUN_COLUMNS, id="runs", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#runs", DataTable)
        self.load()
        table.focus()

    def on_resize(self) -> None:
        # On a small terminal the filters lose their borders: two rows more for the runs.
        narrow = self.size.width < 100
        for select in self.query(Select):
            select.compact = narrow
        self.query_one(Footer).compact = narrow

    def on_select_changed(self, event: Select.Changed) -> None:
        self.limit = PAGE
        self.load()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if self.more and event.cursor_row >= len(self.records) - 10:
            self.more = False  # one page at a time
            self.limit += PAGE
            self.load()

    def _filter(self, select_id: str) -> str | None:
        select = self.query_one(select_id, Select)
        return None if select.is_blank() else str(select.value)

    @work(thread=True, exclusive=True, group="history-load")
    def load(self) -> None:
        journal = self.app.journal  # type: ignore[attr-defined]
        playbook = self._filter("#filter-playbook")
        status = self._filter("#filter-status")
        statuses = None
        if status:
            statuses = [RunStatus(status)]
            if status == RunStatus.interrupted.value:
                statuses = [RunStatus.running, RunStatus.waiting]
        # One run more than the page tells whether there are more to read.
        limit = self.limit
        records = journal.runs(limit=limit + 1, playbook=playbook, statuses=statuses)
        names = journal.playbook_names()
        self.app.call_from_thread(self.show, records[:limit], names, len(records) > limit)

    def cell(self, markup: str) -> Text:
        return rich_cell(markup, self.app.theme_variables)

    def show(self, records: list[RunRecord], names: list[str], more: bool = False) -> None:
        from deploytui.console import run_duration, short_time

        self.records = records
        self.more = more
        select = self.query_one("#filter-playbook", Select)
        current = None if select.is_blank() else select.value
        with select.prevent(Select.Changed):
            select.set_options([(name, name) for name in names])
            if current in names:
                select.value = current
        table = self.query_one("#runs", FittedTable)
        rows = [
            Row(
                (
                    record.id,
                    escape(f"{record.playbook_name} v{record.playbook_version}"),
                    self.cell(record_status(record, self.app.clock())),  # type: ignore[attr-defined]
                    short_time(record.started_at),
                    run_duration(record),
                    escape(record.operator),
                ),
                key=record.id,
            )
            for record in records
        ]
        table.set_rows(rows)
        table.border_title = f"{len(records)} run{'s' if len(records) != 1 else ''}"
        if more:
            table.border_title = f"latest {len(records)} runs · more as you scroll"
        table.border_subtitle = "enter opens a run"

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        table = self.query_one("#runs", DataTable)
        if self.focused is table and 0 <= table.cursor_row < len(self.records):
            self.app.push_screen(RunDetailScreen(self.records[table.cursor_row].id))

    def action_back(self) -> None:
        self.dismiss()


def _step_label(step: StepReport, variables: dict[str, object]) -> str:
    timing = against(step.duration, step.estimate) if step.status != StepStatus.pending else ""
    extras = [timing] if timing else []
    if step.attempts > 1:
        extras.append(f"{step.attempts} attempts")
    if step.marked_done:
        extras.append("marked done")
    extra = f"  [dim]{' · '.join(extras)}[/]" if extras else ""
    title = plain_title(step.title, variables)
    return f"{step_icon(step.status)} {escape(title)} [dim]({escape(step.kind)})[/]{extra}"


def monitor_lines(details: dict[str, Any]) -> list[str]:
    """A watch's figures per signal (min / p50 / p95 / max, state) and the trigger, if any."""
    from deploytui.ui.monitor_view import SignalState, format_number, state_markup

    monitor = details.get("monitor") or {}
    lines = []
    for name, signal in (monitor.get("signals") or {}).items():
        unit = str(signal.get("unit") or "")
        figures = " · ".join(
            f"{figure} {format_number(signal.get(figure))}"
            for figure in ("min", "p50", "p95", "max")
            if signal.get(figure) is not None
        )
        try:
            state = SignalState(str(signal.get("state", "unknown")))
        except ValueError:
            state = SignalState.unknown
        label = escape(str(signal.get("label") or name))
        shown = f"{escape(figures)} {escape(unit)}".strip() if figures else "no readings"
        lines.append(f"{state_markup(state)} {label}: {shown}")
        for crossing in signal.get("crossings") or []:
            if not isinstance(crossing, dict) or crossing.get("from") == "unknown":
                continue
            at = crossing.get("t")
            when = f" at {format_duration(float(at))}" if isinstance(at, int | float) else ""
            value = crossing.get("value")
            number = format_number(float(value), unit) if isinstance(value, int | float) else ""
            lines.append(
                f"  [dim]{when.strip() or 'then'}: {escape(str(crossing.get('from')))} → "
                f"{escape(str(crossing.get('to')))}, {escape(number)}[/]"
            )
    trigger = monitor.get("triggered")
    if isinstance(trigger, dict) and trigger:
        value = trigger.get("value")
        number = format_number(float(value)) if isinstance(value, int | float) else "–"
        at = trigger.get("t")
        when = f" after {format_duration(float(at))}" if isinstance(at, int | float) else ""
        lines.append(
            f"[bold $error]✗ rollback trigger: {escape(str(trigger.get('signal')))} "
            f"{escape(number)} {escape(str(trigger.get('threshold') or ''))}{when}[/]"
        )
    return lines


def notification_line(data: dict[str, Any], at: str | None = None) -> str:
    """``✓ ops · run_started`` or ``✗ audit · step_failed: failed after 5 attempts: …``."""
    from deploytui.console import short_time

    channel = escape(str(data.get("channel", "?")))
    about = f" · {escape(str(data['event']))}" if data.get("event") else ""
    when = f" [dim]{short_time(at)[11:]}[/]" if at else ""
    if data.get("ok"):
        return f"[$success]✓[/] notified {channel}{about}{when}"
    attempts = data.get("attempts")
    tries = f" after {attempts} attempts" if isinstance(attempts, int) else ""
    error = f": {escape(str(data['error']))}" if data.get("error") else ""
    return f"[bold $error]✗[/] notification to {channel}{about} failed{tries}{error}{when}"


def _step_details(step: StepReport, now: datetime | None = None) -> list[str]:
    lines = []
    if step.reason and step.status in {
        StepStatus.skipped,
        StepStatus.failed,
        StepStatus.interrupted,
    }:
        lines.append(f"[$warning]{step.status.value}: {escape(step.reason)}[/]")
    elif step.marked_done and step.reason:
        lines.append(f"note: {escape(step.reason)}")
    if step.attempts > 1:
        lines.extend(f"[$error]✗ failed attempt:[/] {escape(item)}" for item in step.failures)
    for decision in step.decisions:
        reason = f": {escape(str(decision.get('reason')))}" if decision.get("reason") else ""
        lines.append(f"→ {escape(decision['action'].replace('_', ' '))}{reason}")
    watch = monitor_lines(step.details)
    figures: set[str] = set()
    if watch:
        # The watch's own lines say the figures per signal; do not list them again one by one.
        lines.extend(watch)
        signals = (step.details.get("monitor") or {}).get("signals") or {}
        figures = {f"{name}_{f}" for name in signals for f in ("min", "p50", "p95", "max", "last")}
    held = getattr(step, "held_until", None)
    if held and step.status == StepStatus.held:
        from deploytui.ui.text import parse_time, until_text

        until = parse_time(held)
        if until is not None:
            lines.append(f"[bold $warning]⏳ held {until_text(until, now)}[/]")
    for value in step.values:
        if value.get("field") in figures and not value.get("breach"):
            continue
        line = f"{escape(value['label'])}: [b]{escape(str(value['display']))}[/b]"
        if value.get("breach"):
            line += "  " + breach(value["breach"])
        lines.append(line)
    if step.signoff:
        from deploytui.console import short_time

        lines.append(
            f"signed by [b]{escape(step.signoff['name'])}[/b] as {escape(step.signoff['role'])}"
            f" at {short_time(step.signoff['at'])}"
        )
    for host in step.details.get("hosts", []) or []:
        icon = step_icon(StepStatus.succeeded if host.get("ok") else StepStatus.failed)
        reason = f" · {escape(str(host['reason']))}" if host.get("reason") else ""
        lines.append(f"{icon} {escape(str(host.get('host')))}{reason}")
    return lines


class RunDetailScreen(Screen[None]):
    """One run as a timeline of phases and steps; enter on a step shows its full output."""

    HELP_TITLE = "Run detail"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "output", "output"),
        Binding("e", "export", "export"),
        Binding("escape", "back", "back"),
    ]

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id
        self.report: RunReport | None = None
        self.variables: dict[str, object] = {}
        # Journaled notification events by step (None: run-level hooks).
        self.notifications: dict[str | None, list[Any]] = {}

    def compose(self) -> ComposeResult:
        yield Static("", id="detail-header")
        yield Tree("run", id="timeline")
        yield Footer()

    def on_mount(self) -> None:
        tree = self.query_one(Tree)
        tree.show_root = False
        tree.guide_depth = 3
        tree.border_title = "Timeline"
        tree.border_subtitle = "o shows a step's output"
        tree.focus()
        self.load()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "export":
            return export_available()
        return True

    @work(thread=True, exclusive=True, group="detail-load")
    def load(self) -> None:
        from deploytui.journal.report import build_report, load_run_playbook

        journal = self.app.journal  # type: ignore[attr-defined]
        from deploytui.model.events import EventType

        report = build_report(journal, self.run_id)
        variables = dict(load_run_playbook(journal, self.run_id)[0].playbook.variables)
        notifications = [
            event
            for event in journal.events(self.run_id, include_output=False)
            if event.type == EventType.notification
        ]
        self.app.call_from_thread(self.show, report, variables, notifications)

    def cell(self, markup: str) -> Text:
        return rich_cell(markup, self.app.theme_variables)

    def show(
        self, report: RunReport, variables: dict[str, object], notifications: Sequence[Any] = ()
    ) -> None:
        from deploytui.console import run_duration, short_time

        self.report = report
        self.variables = variables
        self.notifications = {}
        for event in notifications:
            self.notifications.setdefault(event.step_id, []).append(event)
        record = report.run
        window = f" of a {format_duration(report.budget)} window" if report.budget else ""
        chain = (
            f"[$success]✓ journal verified[/] [dim]({escape(report.chain_message)})[/]"
            if report.chain_ok
            else f"[bold $error]✗ journal TAMPERED: {escape(report.chain_message)}[/]"
        )
        lines = [
            f"[b]{escape(record.playbook_name)} v{escape(record.playbook_version)}[/b] · run "
            f"[b]{record.id}[/b] · {record_status(record, self.app.clock())}",  # type: ignore[attr-defined]
            f"operator {escape(record.operator)} on {escape(record.host)} · started "
            f"{short_time(record.started_at)} · took {run_duration(record)}{window}",
            chain,
        ]
        if report.breaches:
            lines.append(
                "  ".join(breach(f"{item['label']}: {item['breach']}") for item in report.breaches)
            )
        self.query_one("#detail-header", Static).update("\n".join(lines))
        tree: Tree[Any] = self.query_one(Tree)
        tree.clear()
        phases = list(report.phases)
        if report.rollback is not None and report.rolling_back:
            phases.append(report.rollback)
        for phase in phases:
            self._add_phase(tree.root, phase)
        if report.rollback is not None and not report.rolling_back:
            idle = rollback_idle(record.status)
            tree.root.add_leaf(self.cell(f"[dim]↺ {escape(report.rollback.title)}: {idle}[/]"))
        sent = [event for events in self.notifications.values() for event in events]
        if sent:
            failed = sum(1 for event in sent if not event.data.get("ok"))
            summary = f"{len(sent) - failed} delivered" + (
                f", [$error]{failed} failed[/]" if failed else ""
            )
            node = tree.root.add(self.cell(f"[b]✉ Notifications[/b]  [dim]{summary}[/]"))
            for event in sent:
                node.add_leaf(self.cell(notification_line(event.data, event.at)))
        if report.notices:  # what the run worked around, as `deploytui show` lists it
            node = tree.root.add(
                self.cell(f"[b][$warning]⚠[/] Notices[/b]  [dim]{len(report.notices)}[/]")
            )
            for text in report.notices:
                node.add_leaf(self.cell(f"[$warning]⚠[/] {escape(text)}"))
        tree.root.expand_all()

    def _add_phase(self, root: TreeNode[Any], phase: PhaseReport) -> None:
        label = (
            f"{step_icon(phase.status)} [b]{escape(phase.title)}[/b]  "
            f"[dim]{against(phase.elapsed, phase.estimate)}[/]"
        )
        node = root.add(self.cell(label), data=None)
        for step in phase.steps:
            label = _step_label(step, self.variables)
            child = node.add(self.cell(label), data=step.step_id)
            details = _step_details(step, self.app.clock())  # type: ignore[attr-defined]
            details += [
                notification_line(event.data, event.at)
                for event in self.notifications.get(step.step_id, [])
            ]
            for line in details:
                child.add_leaf(self.cell(line), data=step.step_id)
            if not child.children:
                child.allow_expand = False

    def on_tree_node_selected(self, event: Tree.NodeSelected[Any]) -> None:
        if event.node.data and not event.node.children:
            self.action_output()

    def action_output(self) -> None:
        node = self.query_one(Tree).cursor_node
        if node is None or not node.data:
            self.notify("Move to a step to see its output.", timeout=3)
            return
        step_id = str(node.data)
        title = step_id
        if self.report is not None:
            for phase in [*self.report.phases, self.report.rollback]:
                for step in phase.steps if phase else []:
                    if step.step_id == step_id:
                        title = plain_title(step.title, self.variables)
        self.app.push_screen(OutputScreen(self.run_id, step_id, title=title))

    def action_export(self) -> None:
        from deploytui.ui.dialogs.export import ExportDialog

        folder = self.app.cwd or Path.cwd()  # type: ignore[attr-defined]
        self.app.push_screen(ExportDialog(self.run_id, folder), self.export_chosen)

    def export_chosen(self, choice: tuple[str, Path] | None) -> None:
        if choice is not None:
            self.export(*choice)

    @work(thread=True, exclusive=True, group="detail-export")
    def export(self, fmt: str, path: Path) -> None:
        """Render and write the report off the event loop, as ``deploytui export`` does."""
        from deploytui.export import build_document, render, write_atomic

        try:
            document = build_document(self.app.journal, self.run_id)  # type: ignore[attr-defined]
            write_atomic(path, render(document, fmt))  # type: ignore[arg-type]
        except (OSError, ValueError) as error:
            self.app.call_from_thread(
                self.notify, f"export failed: {error}", severity="error", timeout=10
            )
            return
        self.app.call_from_thread(self.notify, f"wrote the {fmt} report to {path}", timeout=8)

    def action_back(self) -> None:
        self.dismiss()


class OutputScreen(Screen[None]):
    """The full journaled output of one step (its last attempt)."""

    HELP_TITLE = "Step output"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back", "back")]

    def __init__(self, run_id: str, step_id: str, *, title: str = "") -> None:
        super().__init__()
        self.run_id = run_id
        self.step_id = step_id
        self.title_text = title or step_id

    def compose(self) -> ComposeResult:
        yield Static("", id="output-title")
        yield Log(id="full-output", highlight=False, auto_scroll=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#output-title", Static).update(
            f"[b]{escape(self.title_text)}[/b] · step {escape(self.step_id)} · run {self.run_id}"
            " · [dim]full output, last attempt[/]"
        )
        log = self.query_one(Log)
        log.border_title = "Output"
        log.focus()
        self.load()

    @work(thread=True, exclusive=True, group="output-load")
    def load(self) -> None:
        lines = self.app.journal.output(self.run_id, self.step_id)  # type: ignore[attr-defined]
        self.app.call_from_thread(self.show, lines)

    def show(self, lines: list[str]) -> None:
        log = self.query_one(Log)
        log.write_lines(lines or ["(this step printed nothing)"])
        log.border_subtitle = f"{len(lines)} lines"
        log.scroll_home(animate=False)

    def action_back(self) -> None:
        self.dismiss()
