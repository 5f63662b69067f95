"""Home: runs to resume (most recent first), recent finished runs, and the playbooks at hand.

Everything is read in a thread worker so a slow disk or a large journal never freezes the screen.
Enter acts on the row under the cursor: start a playbook, resume a run, or review a finished one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from deploytui.journal.locks import RunLock
from deploytui.model.events import EventType, RunRecord, RunStatus
from deploytui.ui.text import resumable_state, rich_cell, run_status
from deploytui.ui.widgets.fitted_table import Col, FittedTable, Row

FINISHED = [RunStatus.completed, RunStatus.failed, RunStatus.aborted, RunStatus.rolled_back]

# At narrow widths the least important columns go first (higher ``drop``); run ids never go,
# and the flexible column wraps instead of being cut.
RESUMABLE_COLUMNS = [
    Col("run"),
    Col("playbook"),
    Col("state"),
    Col("stopped at", flex=True),
    Col("since", drop=1),
]
RECENT_COLUMNS = [
    Col("run"),
    Col("playbook", flex=True),
    Col("status"),
    Col("started", drop=1),
    Col("took", drop=2),
    Col("operator", drop=3),
]
PLAYBOOK_COLUMNS = [Col("playbook"), Col("", flex=True), Col("file", drop=1)]


@dataclass(frozen=True)
class PlaybookEntry:
    path: Path
    title: str
    detail: str
    ok: bool
    problems: str = ""


def short_time(iso: str | None) -> str:
    from deploytui.console import short_time as fmt

    return fmt(iso)


def run_duration(record: RunRecord) -> str:
    from deploytui.console import run_duration as fmt

    return fmt(record)


def resumable_cells(
    record: RunRecord,
    *,
    holder: str | None,
    stopped: str,
    now: datetime,
    cell: Callable[[str], Text],
) -> tuple[str | Text, ...]:
    """A resumable run as home and the resume picker show it: id, playbook, state, where, since."""
    state = resumable_state(
        record.status, driven_elsewhere=bool(holder), held_until=record.held_until, now=now
    )
    return (
        record.id,
        escape(f"{record.playbook_name} v{record.playbook_version}"),
        cell(state),
        escape(stopped),
        short_time(record.updated_at),
    )


def live_holder(journal: object, run_id: str) -> str | None:
    """Who drives a run right now, if a live process holds its lock."""
    holder = RunLock(journal, run_id).holder()  # type: ignore[arg-type]
    if holder is None or holder.alive is False:  # gone (a dead or reused pid on this host)
        return None
    return holder.describe()


# (journal path, playbook sha256) -> {step id: title}; see stopped_at.
_STEP_TITLES: dict[tuple[str, str], dict[str, str]] = {}


def stopped_at(journal: object, record: RunRecord) -> tuple[str, str]:
    """The title of the step it stopped at, and the reason it paused (if journaled)."""
    from deploytui.journal.report import load_run_playbook

    events = journal.events(record.id, include_output=False)  # type: ignore[attr-defined]
    why = ""
    for event in reversed(events):
        if event.type == EventType.run_paused:
            why = str(event.data.get("reason", ""))
            break
    interrupted = [
        event.step_id
        for event in events
        if event.type == EventType.step_interrupted and event.step_id == record.current_step
    ]
    if interrupted:
        why += (
            "\nthis step was running when the run stopped: on resume you choose to re-run "
            "it or mark it done"
        )
    title = record.current_step or "the first step"
    if not record.current_step:
        return title, why
    # Parsing a snapshot costs far more than reading the run's events, and runs of one playbook
    # share it: its step titles are parsed once per journal and playbook version.
    key = (str(getattr(journal, "path", "")), record.playbook_sha256)
    titles = _STEP_TITLES.get(key) if record.playbook_sha256 else None
    if titles is None:
        try:
            loaded, _ = load_run_playbook(journal, record.id)  # type: ignore[arg-type]
        except Exception:  # an unreadable snapshot still lists the run, by step id
            return title, why
        titles = {step.id: step.title for _, step in loaded.playbook.ordered_steps()}
        if record.playbook_sha256:
            if len(_STEP_TITLES) > 64:
                _STEP_TITLES.clear()
            _STEP_TITLES[key] = titles
    return titles.get(record.current_step, title), why


def describe_playbook(path: Path) -> PlaybookEntry:
    from deploytui.playbook import PlaybookError, load_playbook

    try:
        loaded = load_playbook(path)
    except PlaybookError as error:
        count = len(error.problems)
        first = error.problems[0] if error.problems else None
        where = f" (line {first.line})" if first else ""
        label = f"✗ {count} problem{'s' if count != 1 else ''}{where} — enter shows them"
        full = "\n".join(str(problem) for problem in error.problems[:8])
        return PlaybookEntry(path, path.name, label, ok=False, problems=full)
    except OSError as error:
        return PlaybookEntry(path, path.name, f"✗ {error.strerror}", ok=False)
    playbook = loaded.playbook
    steps = sum(1 for _ in playbook.ordered_steps())
    budget = ""
    if playbook.budget_seconds:
        from deploytui.model.values import format_duration

        budget = f" · {format_duration(playbook.budget_seconds)} window"
    return PlaybookEntry(
        path,
        f"{playbook.name} v{playbook.version}",
        f"{len(playbook.phases)} phases · {steps} steps{budget}",
        ok=True,
    )


class HomeScreen(Screen[None]):
    """Start, resume or review from here."""

    HELP_TITLE = "Home"
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (100, "-wide")]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "open", show=True),
        Binding("d", "demo", "demo"),
        Binding("u", "resume_picker", "resume…"),
        Binding("h", "history", "history"),
        Binding("f5", "reload", "reload", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.resumable: list[RunRecord] = []
        self.recent: list[RunRecord] = []
        self.playbooks: list[PlaybookEntry] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="home-title")
        with Vertical(id="home-body"):
            yield FittedTable(RESUMABLE_COLUMNS, id="resumable", cursor_type="row")
            yield FittedTable(PLAYBOOK_COLUMNS, id="playbooks", cursor_type="row")
            yield FittedTable(RECENT_COLUMNS, id="recent", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        app = self.app
        self.query_one("#home-title", Static).update(
            f"[b]deploytui[/b] · operator [b]{escape(app.operator_name)}[/b]"  # type: ignore[attr-defined]
            f" · [dim]journal {escape(app.journal_label)}[/]"  # type: ignore[attr-defined]
        )
        titles = {
            "resumable": "Resume (interrupted or waiting)",
            "recent": "Recent runs",
            "playbooks": "Playbooks",
        }
        hints = {
            "resumable": "enter resumes",
            "recent": "enter opens",
            "playbooks": "enter starts a run",
        }
        for table_id, title in titles.items():
            table = self.query_one(f"#{table_id}", DataTable)
            table.border_title = title
            table.border_subtitle = hints[table_id]
        self.load()

    def on_resize(self) -> None:
        self.query_one(Footer).compact = self.size.width < 100

    def on_screen_resume(self) -> None:
        if self.is_mounted:
            self.load()

    @work(thread=True, exclusive=True, group="home-load")
    def load(self) -> None:
        from deploytui.demo import bundled_playbook
        from deploytui.ui.config import find_playbooks, playbook_folders

        app = self.app
        journal = app.journal  # type: ignore[attr-defined]
        resumable = journal.runs(limit=20, statuses=[RunStatus.running, RunStatus.waiting])
        holders = {record.id: live_holder(journal, record.id) for record in resumable}
        where = {record.id: stopped_at(journal, record)[0] for record in resumable}
        recent = journal.runs(limit=12, statuses=FINISHED)
        folders = playbook_folders(app.config, app.cwd)  # type: ignore[attr-defined]
        paths = [bundled_playbook(), *find_playbooks(folders)]
        entries = [describe_playbook(path) for path in paths]
        app.call_from_thread(self.show, resumable, holders, where, recent, entries)

    def cell(self, markup: str) -> Text:
        return rich_cell(markup, self.app.theme_variables)

    def show(
        self,
        resumable: list[RunRecord],
        holders: dict[str, str | None],
        where: dict[str, str],
        recent: list[RunRecord],
        entries: list[PlaybookEntry],
    ) -> None:
        from deploytui.demo import bundled_playbook

        self.resumable, self.recent, self.playbooks = resumable, recent, entries
        rows = []
        for record in resumable:
            cells = resumable_cells(
                record,
                holder=holders.get(record.id),
                stopped=where.get(record.id, ""),
                now=self.app.clock(),  # type: ignore[attr-defined]
                cell=self.cell,
            )
            rows.append(Row(cells, key=record.id))
        if not resumable:
            rows.append(Row((self.cell("[dim]nothing to resume[/]"), "", "", "", "")))
        self.query_one("#resumable", FittedTable).set_rows(rows)
        rows = []
        for record in recent:
            cells = (
                record.id,
                escape(f"{record.playbook_name} v{record.playbook_version}"),
                self.cell(run_status(record.status)),
                short_time(record.started_at),
                run_duration(record),
                escape(record.operator),
            )
            rows.append(Row(cells, key=record.id))
        if not recent:
            rows.append(Row((self.cell("[dim]no finished runs yet[/]"), "", "", "", "", "")))
        self.query_one("#recent", FittedTable).set_rows(rows)
        rows = []
        demo = bundled_playbook()
        cwd = self.app.cwd or Path.cwd()  # type: ignore[attr-defined]
        for entry in entries:
            path = "bundled demo" if entry.path == demo else str(entry.path)
            if entry.path.is_relative_to(cwd):
                path = str(entry.path.relative_to(cwd))
            detail = entry.detail if entry.ok else f"[$error]{escape(entry.detail)}[/]"
            cells = (self.cell(f"[b]{escape(entry.title)}[/b]"), self.cell(detail), escape(path))
            rows.append(Row(cells, key=str(entry.path)))
        self.query_one("#playbooks", FittedTable).set_rows(rows)

    # -- actions -------------------------------------------------------------------------------

    def action_open(self) -> None:
        focused = self.focused
        if not isinstance(focused, DataTable) or focused.row_count == 0:
            return
        row = focused.cursor_row
        if focused.id == "playbooks" and row < len(self.playbooks):
            self.start(self.playbooks[row])
        elif focused.id == "resumable" and row < len(self.resumable):
            self.resume(self.resumable[row].id)
        elif focused.id == "recent" and row < len(self.recent):
            from deploytui.ui.screens.history import RunDetailScreen

            self.app.push_screen(RunDetailScreen(self.recent[row].id))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def start(self, entry: PlaybookEntry) -> None:
        from deploytui.ui.dialogs.common import ConfirmDialog

        if not entry.ok:
            self.notify(entry.problems or entry.detail, severity="error", timeout=12)
            return

        def chosen(yes: bool | None) -> None:
            if yes:
                self.open_session(str(entry.path), None)

        self.app.push_screen(
            ConfirmDialog(
                f"Start a run of {entry.title}?",
                f"{escape(entry.detail)}\n[dim]{escape(str(entry.path))}[/]\n\n"
                "A new run is recorded in the journal; automated steps run only when you reach "
                "them.",
                "Start the run",
                danger=False,
            ),
            chosen,
        )

    def resume(self, run_id: str) -> None:
        self.open_session(None, run_id)

    def action_demo(self) -> None:
        from deploytui.demo import bundled_playbook

        demo = next((entry for entry in self.playbooks if entry.path == bundled_playbook()), None)
        self.start(demo or describe_playbook(bundled_playbook()))

    def action_resume_picker(self) -> None:
        self.app.action_resume_picker()  # type: ignore[attr-defined]

    def action_history(self) -> None:
        self.app.action_history()  # type: ignore[attr-defined]

    def action_reload(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="home-open")
    def open_session(self, playbook_path: str | None, run_id: str | None) -> None:
        """Create or resume the run off the event loop (loading, secrets, journal writes)."""
        open_run(self.app, playbook_path=playbook_path, run_id=run_id)

    def palette_commands(self) -> list[SystemCommand]:
        return [
            SystemCommand("Start the demo", "Run the bundled demo window", self.action_demo),
            SystemCommand(
                "Resume a run", "Pick an interrupted or waiting run", self.action_resume_picker
            ),
            SystemCommand("Reload", "Re-read runs and playbooks", self.action_reload),
        ]


def confirm_take_over(app: object, journal: object, run_id: str) -> bool | None:
    """From a worker thread: a run whose driver is gone is taken over only once the operator
    confirms, as ``deploytui resume`` asks. True to take over, False when there is nothing to
    take over (free; or alive, which the engine refuses with the holder's name), None for no."""
    import time
    from concurrent.futures import Future

    from deploytui.ui.dialogs.common import ConfirmDialog

    holder = RunLock(journal, run_id).holder()  # type: ignore[arg-type]
    if holder is None or holder.alive:
        return False
    gone = (
        "that process is gone"
        if holder.alive is False
        else "it is on another machine, so deploytui cannot tell whether it still runs"
    )
    dialog = ConfirmDialog(
        "Take over the run?",
        f"Run {run_id} was being driven by {escape(holder.describe())}; {gone}.\n\n"
        "Take the run over and continue it here? (journaled as a take-over)",
        "Take over",
    )
    answer: Future[bool] = Future()
    app.call_from_thread(  # type: ignore[attr-defined]
        app.push_screen,  # type: ignore[attr-defined]
        dialog,
        lambda yes: answer.set_result(bool(yes)),
    )
    while not answer.done():  # the app may quit while the question is open
        if not app.is_running:  # type: ignore[attr-defined]
            return None
        time.sleep(0.05)
    return True if answer.result() else None


def open_run(app: object, *, playbook_path: str | None, run_id: str | None) -> None:
    """From a worker thread: build the session, then open the run screen on the event loop."""
    from deploytui.journal.store import JournalError
    from deploytui.playbook import PlaybookError
    from deploytui.secretstore import SecretError
    from deploytui.ui.screens.run import RunScreen
    from deploytui.ui.session import resume_session, start_session

    journal, operator = app.journal, app.operator_name  # type: ignore[attr-defined]
    try:
        if playbook_path is not None:
            session = start_session(journal, playbook_path, operator_name=operator)
        else:
            assert run_id is not None
            take_over = confirm_take_over(app, journal, run_id)
            if take_over is None:
                return  # the operator left the run as it is
            session = resume_session(journal, run_id, operator_name=operator, take_over=take_over)
    except PlaybookError as error:
        message = "\n".join(str(problem) for problem in error.problems[:5])
        app.call_from_thread(app.notify, message, severity="error", timeout=10)  # type: ignore[attr-defined]
        return
    except (SecretError, JournalError) as error:
        app.call_from_thread(app.notify, str(error), severity="error", timeout=10)  # type: ignore[attr-defined]
        return
    app.call_from_thread(app.push_screen, RunScreen(session, exit_when_done=False))  # type: ignore[attr-defined]
