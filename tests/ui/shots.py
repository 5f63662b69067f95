"""Every screen and dialog as a named shot: which scene, what size, what a person presses.

Shared by the snapshot tests (``test_snapshots.py``) and ``scripts/screenshots.py`` so the
README's screenshots and the regression baselines show exactly the same states.
"""

from __future__ import annotations

import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import DataTable, Footer, Log, Tree

from deploytui.executors.base import HostKey
from deploytui.ui.app import DeployApp
from deploytui.ui.bridge import Ask
from deploytui.ui.dialogs.decisions import HostKeyDialog
from deploytui.ui.screens.history import HistoryScreen, OutputScreen, RunDetailScreen
from deploytui.ui.screens.home import HomeScreen
from deploytui.ui.screens.resume import ResumePicker
from tests.ui.helpers import run_screen, scene_app, type_text, wait_for, wait_question, wait_screen
from tests.ui.scenes import RawRun, history_journal, write_scene
from tests.ui.watch_scenes import watch_app, watch_home_app

Before = Callable[[Pilot[object]], Awaitable[None]]
Build = Callable[[RawRun, Path], DeployApp]


@dataclass(frozen=True)
class Shot:
    name: str
    size: tuple[int, int]
    build: Build
    before: Before
    caption: str


def on_scene(cut: str) -> Build:
    def build(raw: RawRun, folder: Path) -> DeployApp:
        scene = write_scene(raw, folder / "journal.db", run_id="7f3a21c4", cut=cut)
        return scene_app(scene, cwd=folder)

    return build


def on_history(raw: RawRun, folder: Path) -> DeployApp:
    scene = history_journal(raw, folder / "journal.db")
    (folder / "playbooks").mkdir(exist_ok=True)
    (folder / "playbooks" / "broken.yaml").write_text("name: broken\nphases: []\n")
    return scene_app(scene, cwd=folder, home=True)


def asked(ask: Ask, *keys: str, text: str = "", answers: tuple[str, ...] = ()) -> Before:
    async def before(pilot: Pilot[object]) -> None:
        await wait_question(pilot, ask)
        await pilot.pause(0.2)
        for answer in answers:
            await type_text(pilot, answer)
            await pilot.press("enter")
        await pilot.press(*keys)
        if text:
            await type_text(pilot, text)
        await pilot.pause(0.3)

    return before


async def breach(pilot: Pilot[object]) -> None:
    await wait_question(pilot, Ask.inputs)
    await pilot.pause(0.2)
    for answer in ("812", "0.4", "YES"):
        await type_text(pilot, answer)
        await pilot.press("enter")
    await wait_question(pilot, Ask.breaches)
    await pilot.pause(0.3)


async def host_key(pilot: Pilot[object]) -> None:
    await wait_question(pilot, Ask.acknowledge)
    app = pilot.app
    view = run_screen(app).pending.view  # type: ignore[arg-type, union-attr]
    key = HostKey(
        host="db-1.internal",
        port=22,
        key_type="ssh-ed25519",
        fingerprint="SHA256:3vL1lFk5mGx0rB7Y0cQ2pZs8oVt6dN4uHw9eKj1aXyE",
        key_base64="AAAAC3NzaC1lZDI1NTE5AAAAIExample",
        changed=True,
    )
    app.push_screen(HostKeyDialog(view, key))  # type: ignore[arg-type]
    dialog = await wait_screen(pilot, HostKeyDialog)
    # The dialog's footer fills in a turn after the screen is shown; wait for its keys.
    footer = dialog.query_one(Footer)
    await wait_for(pilot, lambda: len(footer.children) > 0, "the dialog's footer")
    await pilot.pause(0.3)


async def completed(pilot: Pilot[object]) -> None:
    await wait_for(pilot, lambda: run_screen(pilot.app).ended, "the summary")  # type: ignore[arg-type]
    await pilot.pause(0.3)


async def settle(pilot: Pilot[object]) -> None:
    """Let the screens' loading workers finish (never the engine's, which waits on the
    operator), then let the screen repaint: a loaded machine must not change the picture."""
    app = pilot.app
    loading = [worker for worker in app.workers if worker.name != "engine"]
    await app.workers.wait_for_complete(loading)
    await pilot.pause(0.3)


async def home(pilot: Pilot[object], playbooks: int = 2) -> None:
    screen = await wait_screen(pilot, HomeScreen)
    table = screen.query_one("#playbooks", DataTable)
    await wait_for(pilot, lambda: table.row_count == playbooks, "the playbooks")
    await settle(pilot)


async def resume_picker(pilot: Pilot[object]) -> None:
    await home(pilot)
    await pilot.press("u")
    picker = await wait_screen(pilot, ResumePicker)
    table = picker.query_one(DataTable)
    await wait_for(pilot, lambda: table.row_count == 1, "the resumable run")
    await settle(pilot)


async def history(pilot: Pilot[object]) -> None:
    await home(pilot)
    await pilot.press("h")
    screen = await wait_screen(pilot, HistoryScreen)
    table = screen.query_one("#runs", DataTable)
    await wait_for(pilot, lambda: table.row_count == 4, "the runs")
    await settle(pilot)


async def run_detail(pilot: Pilot[object]) -> None:
    await history(pilot)
    screen = pilot.app.screen
    screen.query_one("#runs", DataTable).move_cursor(row=0)
    await pilot.press("enter")
    detail = await wait_screen(pilot, RunDetailScreen)
    tree = detail.query_one(Tree)
    await wait_for(pilot, lambda: len(tree.root.children) > 0, "the timeline")
    await settle(pilot)


async def step_output(pilot: Pilot[object]) -> None:
    await run_detail(pilot)
    tree = pilot.app.screen.query_one(Tree)
    node = next(node for node in tree.root.children[1].children if node.data == "snapshot")
    tree.move_cursor(node)
    await pilot.press("o")
    output = await wait_screen(pilot, OutputScreen)
    log = output.query_one(Log)
    await wait_for(pilot, lambda: log.line_count > 0, "the output")
    await settle(pilot)


def on_watch(cut: str, *, fire: bool = False) -> Build:
    def build(raw: RawRun, folder: Path) -> DeployApp:
        return watch_app(folder, cut=cut, fire=fire)

    return build


def on_watch_home(raw: RawRun, folder: Path) -> DeployApp:
    return watch_home_app(folder)


async def mid_watch(pilot: Pilot[object]) -> None:
    screen = run_screen(pilot.app)  # type: ignore[arg-type]
    await wait_for(
        pilot,
        lambda: screen.monitor is not None and screen.monitor.samples_seen >= 50,
        "fifty samples",
    )
    await pilot.pause(0.3)


async def trigger(pilot: Pilot[object]) -> None:
    from deploytui.ui.dialogs.trigger import TriggerDialog

    await wait_screen(pilot, TriggerDialog)
    await pilot.pause(0.3)


async def hold(pilot: Pilot[object]) -> None:
    from deploytui.ui.dialogs.hold import HoldDialog

    await wait_screen(pilot, HoldDialog)
    await pilot.pause(0.3)


async def notify_step(pilot: Pilot[object]) -> None:
    screen = run_screen(pilot.app)  # type: ignore[arg-type]
    await wait_for(pilot, lambda: screen.shown_step_id == "announce", "the notify step")
    await pilot.pause(0.3)


async def home_one(pilot: Pilot[object]) -> None:
    await home(pilot, playbooks=1)


async def watch_detail(pilot: Pilot[object]) -> None:
    await home(pilot, playbooks=1)
    await pilot.press("h")
    screen = await wait_screen(pilot, HistoryScreen)
    table = screen.query_one("#runs", DataTable)
    await wait_for(pilot, lambda: table.row_count == 1, "the run")
    await pilot.press("enter")
    detail = await wait_screen(pilot, RunDetailScreen)
    tree = detail.query_one(Tree)
    await wait_for(pilot, lambda: len(tree.root.children) > 0, "the timeline")
    tree.move_cursor(tree.root.children[1].children[0])
    await settle(pilot)


SHOTS: list[Shot] = [
    Shot("home", (100, 30), on_history, home, "Home: runs to resume, recent runs, playbooks"),
    Shot("home_80x24", (80, 24), on_history, home, "Home at 80×24: the panels stack"),
    Shot(
        "run",
        (100, 30),
        on_scene("before:close_window"),
        asked(Ask.acknowledge),
        "Run: phases, the current step, live output, the window clock",
    ),
    Shot(
        "run_80x24",
        (80, 24),
        on_scene("before:close_window"),
        asked(Ask.acknowledge),
        "Run at 80×24: the phase list collapses into a strip",
    ),
    Shot(
        "run_120x40",
        (120, 40),
        on_scene("before:close_window"),
        asked(Ask.acknowledge),
        "Run at 120×40",
    ),
    Shot(
        "run_start",
        (100, 30),
        on_scene("before:announce"),
        asked(Ask.acknowledge),
        "The first step of a new run",
    ),
    Shot(
        "input_form",
        (100, 30),
        on_scene("before:backup_facts"),
        asked(Ask.inputs, "ctrl+s", answers=("lots", "40m")),
        "Input form: a value refused with its message, a target breach flagged",
    ),
    Shot(
        "breach",
        (100, 30),
        on_scene("before:performance"),
        breach,
        "A target breach must be acknowledged (or corrected)",
    ),
    Shot(
        "signoff",
        (100, 30),
        on_scene("before:qa_signoff"),
        asked(Ask.sign),
        "Sign-off: a second person for QA (four-eyes)",
    ),
    Shot(
        "gate",
        (100, 30),
        on_scene("before:go_no_go"),
        asked(Ask.gate),
        "Go / no-go gate: every condition with its state",
    ),
    Shot(
        "failure",
        (100, 30),
        on_scene("failed:checkout_selftest"),
        asked(Ask.failure),
        "A failed step: retry, skip, abort or roll back",
    ),
    Shot(
        "skip_reason",
        (100, 30),
        on_scene("failed:checkout_selftest"),
        asked(Ask.failure, "s", text="checked by hand"),
        "Skipping needs a reason",
    ),
    Shot(
        "abort_confirm",
        (100, 30),
        on_scene("failed:checkout_selftest"),
        asked(Ask.failure, "a"),
        "Abort needs a second, explicit confirmation",
    ),
    Shot(
        "rollback_confirm",
        (100, 30),
        on_scene("failed:checkout_selftest"),
        asked(Ask.failure, "b"),
        "Starting the rollback needs a confirmation too",
    ),
    Shot(
        "interrupted",
        (100, 30),
        on_scene("interrupted:run_migration"),
        asked(Ask.interrupted),
        "Resuming: the interrupted step asks re-run or mark done",
    ),
    Shot(
        "host_key",
        (100, 30),
        on_scene("before:announce"),
        host_key,
        "A changed SSH host key: refusing is the default",
    ),
    Shot(
        "quit_confirm",
        (100, 30),
        on_scene("before:announce"),
        asked(Ask.acknowledge, "ctrl+q"),
        "Quitting mid-run asks first; the run stays resumable",
    ),
    Shot(
        "help",
        (100, 30),
        on_scene("before:announce"),
        asked(Ask.acknowledge, "question_mark"),
        "Help lists the keys of the screen in view",
    ),
    Shot("completed", (100, 30), on_scene("completed"), completed, "The end of a run"),
    Shot(
        "resume_picker",
        (100, 30),
        on_history,
        resume_picker,
        "Resume picker: where each run stopped",
    ),
    Shot(
        "history", (100, 30), on_history, history, "History: runs filtered by playbook and status"
    ),
    Shot(
        "history_80x24",
        (80, 24),
        on_history,
        history,
        "History at 80×24: less important columns give way, run ids stay whole",
    ),
    Shot(
        "run_detail",
        (100, 30),
        on_history,
        run_detail,
        "A run as a timeline: timings, values, breaches, sign-offs, retries",
    ),
    Shot("step_output", (100, 30), on_history, step_output, "The full output of a step"),
    Shot(
        "monitor",
        (100, 30),
        on_watch("watch"),
        mid_watch,
        "A live watch: per signal its state, value, sparkline and thresholds; time left",
    ),
    Shot(
        "monitor_80x24",
        (80, 24),
        on_watch("watch"),
        mid_watch,
        "The live watch at 80×24",
    ),
    Shot(
        "monitor_120x40",
        (120, 40),
        on_watch("watch"),
        mid_watch,
        "The live watch at 120×40",
    ),
    Shot(
        "trigger",
        (100, 30),
        on_watch("watch", fire=True),
        trigger,
        "A rollback trigger fired: what, value against threshold, since when; rollback first",
    ),
    Shot(
        "trigger_80x24",
        (80, 24),
        on_watch("watch", fire=True),
        trigger,
        "The trigger dialog at 80×24",
    ),
    Shot(
        "hold",
        (100, 30),
        on_watch("hold"),
        hold,
        "A hold before its time: wait here (live countdown), continue now, or leave it parked",
    ),
    Shot(
        "hold_80x24",
        (80, 24),
        on_watch("hold"),
        hold,
        "The hold dialog at 80×24",
    ),
    Shot(
        "notify_step",
        (100, 30),
        on_watch("notify"),
        notify_step,
        "A notify step: its channels and the message as it will be sent (secrets masked)",
    ),
    Shot(
        "home_waiting",
        (100, 30),
        on_watch_home,
        home_one,
        "Home: a parked run reads 'waiting until 04:00'",
    ),
    Shot(
        "watch_detail",
        (100, 30),
        on_watch_home,
        watch_detail,
        "History of a watch: figures per signal, crossings, notifications, the parked hold",
    ),
]


def build(shot: Shot, raw: RawRun, folder: Path | None = None) -> DeployApp:
    return shot.build(raw, folder or Path(tempfile.mkdtemp(prefix="deploytui-shot-")))
