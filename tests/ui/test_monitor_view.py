"""The live monitor view and the rollback-trigger dialog.

Live: the real app drives a real engine whose monitor step reads a real HTTP service on loopback
(the ``http_server`` fixture). Time runs on a ``GatedClock``: the watch only moves as far as the
test allows, so the test looks at the screen mid-watch, flips the service to failing, lets time
run on until the trigger fires, and answers the trigger dialog, with no sleeps and no race.
The view model is also checked on frozen data.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from textual.widgets import Sparkline, Static

from deploytui.engine.operator import Failure, StepView
from deploytui.journal import Journal
from deploytui.model.events import Event, EventType
from deploytui.playbook import load_playbook
from deploytui.ui.app import DeployApp
from deploytui.ui.config import UiConfig
from deploytui.ui.dialogs.common import ConfirmDialog
from deploytui.ui.dialogs.trigger import TriggerDialog, trigger_lines
from deploytui.ui.monitor_view import MonitorView, SignalState, format_number
from deploytui.ui.session import RunSession
from deploytui.ui.widgets.monitor_panel import MonitorPanel
from tests.conftest import HttpServer
from tests.ui.helpers import (
    GatedClock,
    run_screen,
    wait_exit,
    wait_for,
    wait_screen,
    write_playbook,
)

START = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)


class Service:
    """The watched service: healthy until the test flips it."""

    def __init__(self, server: HttpServer) -> None:
        self.failing = False
        server.route("GET", "/health", self.health)

    def health(self, request: Any) -> tuple[int, Any]:
        return (503, {"status": "down"}) if self.failing else (200, {"status": "ok"})


PLAYBOOK = """
name: watch-test
version: "1"
targets:
  http:
    app: {{base_url: "{url}", timeout: 5s}}
phases:
  - id: stabilise
    title: Stabilise
    steps:
      - id: watch
        kind: monitor
        title: Watch the error rate
        duration: 10m
        interval: 30s
        signals:
          - name: error_rate
            label: Error rate
            http: {{target: app, path: /health}}
            measure: error_rate
            window: 1m
            warn: "> 1 %"
            fail: "> 10 % for 1m"
      - id: close
        kind: confirm
        title: Close the window
rollback:
  title: Rollback
  steps:
    - id: restore
      kind: local
      title: Redeploy the previous version
      command: echo "redeploying the previous version"
"""


def live_watch_app(
    tmp_path: Path, url: str, clock: GatedClock, *, text: str = PLAYBOOK
) -> tuple[DeployApp, Journal]:
    from deploytui.engine.runner import start_run

    path = write_playbook(tmp_path, text.format(url=url))
    loaded = load_playbook(path)
    journal = Journal(tmp_path / "journal.db")
    run_id = start_run(journal, loaded, operator_name="ana")
    session = RunSession(
        journal=journal, loaded=loaded, run_id=run_id, operator_name="ana", clock=clock
    )
    app = DeployApp(
        journal=journal,
        operator_name="ana",
        session=session,
        clock=clock.now,
        config=UiConfig(),
        cwd=tmp_path,
    )
    return app, journal


def panel_text(app: DeployApp) -> str:
    panel = run_screen(app).query_one(MonitorPanel)
    texts = [str(static.render()) for static in panel.query(Static)]
    return f"{panel.border_title}\n" + "\n".join(texts)


async def test_live_watch_then_trigger_then_rollback(
    tmp_path: Path, http_server: HttpServer
) -> None:
    service = Service(http_server)
    clock = GatedClock(START)
    app, journal = live_watch_app(tmp_path, http_server.url, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = run_screen(app)

        def samples() -> int:
            return screen.monitor.samples_seen if screen.monitor is not None else 0

        # Mid-watch: three healthy samples (t = 0, 30 s, 60 s), then the watch waits on us.
        clock.allow(60)
        await wait_for(pilot, lambda: samples() == 3, "three samples on screen")
        await pilot.pause(0.1)
        panel = app.screen.query_one(MonitorPanel)
        assert panel.display, "the monitor view is shown while a monitor step runs"
        text = panel_text(app)
        assert "Error rate" in text and "✓ ok" in text
        assert "0 %" in text, text
        assert "warn > 1 %" in text and "fail > 10 % for 1m" in text
        assert "1m of 10m · 9m left" in text, text
        spark = panel.query_one(Sparkline)
        assert list(spark.data or []) == [0.0, 0.0, 0.0]

        # The service starts failing; let the watch run on until the trigger fires.
        service.failing = True
        clock.allow(600)
        dialog = await wait_screen(pilot, TriggerDialog)
        assert isinstance(dialog, TriggerDialog)
        what = str(dialog.query_one("#trigger-what", Static).render())
        assert "Error rate" in what and "fail > 10 % for 1m" in what and "%" in what
        assert "into the watch" in what and "over the threshold since" in what
        # Behind the dialog the signal reads triggered (icon + word, not colour alone).
        assert screen.monitor is not None
        assert screen.monitor.signal("error_rate").state == SignalState.triggered
        assert "✗ triggered" in panel_text(app) or "✗ TRIGGERED" in panel_text(app)

        # Start rollback: b, then the second confirmation (focus starts on Back).
        await pilot.press("b")
        confirm = await wait_screen(pilot, ConfirmDialog)
        assert confirm.focused is not None and confirm.focused.id == "back"
        await pilot.click("#confirm")
        await wait_for(pilot, lambda: screen.ended, "the rollback to finish")
        await pilot.press("enter")
        code = await wait_exit(pilot)
    assert code == 1
    events = journal.events(journal.runs(limit=1)[0].id, include_output=False)
    types = [event.type for event in events]
    assert EventType.monitor_crossing in types
    decision = next(event for event in events if event.type == EventType.decision)
    assert decision.data["action"] == "rollback"
    assert "rollback trigger" in decision.data["reason"]
    assert events[-1].data["status"] == "rolled_back"
    journal.close()


# -- the view model on frozen data ---------------------------------------------------------------


def _event(seq: int, type_: EventType, data: dict[str, Any], at: str) -> Event:
    return Event(run_id="r", seq=seq, at=at, type=type_, step_id="watch", attempt=1, data=data)


def test_view_folds_samples_and_crossings(tmp_path: Path) -> None:
    path = write_playbook(tmp_path, PLAYBOOK.format(url="http://127.0.0.1:9"))
    step = load_playbook(path).playbook.step("watch")
    view = MonitorView.from_step(step)
    assert [signal.label for signal in view.signals] == ["Error rate"]
    assert view.signals[0].warn == "> 1 %" and view.signals[0].fail == "> 10 % for 1m"
    assert view.progress_text(None) == "waiting for the first sample · watch 10m"
    at = "2026-11-22T01:02:00.000+00:00"
    view.apply(_event(1, EventType.monitor_sample, {"t": 0.0, "v": {"error_rate": 0.0}}, at))
    view.apply(
        _event(
            2,
            EventType.monitor_sample,
            {"t": 30.0, "v": {"error_rate": None}, "err": {"error_rate": "timed out"}},
            "2026-11-22T01:02:30.000+00:00",
        )
    )
    signal = view.signal("error_rate")
    assert signal.samples == [0.0] and signal.error == "timed out"
    assert signal.state == SignalState.ok
    crossing = {"signal": "error_rate", "from": "ok", "to": "triggered", "value": 50.0, "t": 30.0}
    view.apply(_event(3, EventType.monitor_crossing, crossing, at))
    assert signal.state == SignalState.triggered and signal.last == 50.0
    assert view.triggered == {
        "signal": "error_rate",
        "value": 50.0,
        "threshold": "> 10 % for 1m",
        "t": 30.0,
    }
    assert view.wall_time(30.0) == datetime(2026, 11, 22, 1, 2, 30, tzinfo=UTC)
    assert view.worst() == SignalState.triggered
    # Watching again (retry after a trigger): the trigger is forgotten, the samples stay.
    view.watch_again()
    assert view.triggered is None and signal.state == SignalState.unknown
    assert signal.samples == [0.0]
    # Another step's events are not this watch's.
    other = Event(run_id="r", seq=4, at=at, type=EventType.monitor_sample, step_id="x", data={})
    assert view.apply(other) is False


def test_numbers_keep_their_units() -> None:
    assert format_number(12.45, "%") == "12.45 %"
    assert format_number(312.0, "ms") == "312 ms"
    assert format_number(1204.0) == "1,204"
    assert format_number(0.0, "%") == "0 %"
    assert format_number(None, "ms") == "–"


def test_trigger_lines_say_what_fired_and_since_when() -> None:
    view = MonitorView(step_id="watch", duration=600, interval=30)
    signal = view.signal("error_rate")
    signal.label, signal.unit, signal.fail = "Error rate", "%", "> 10 % for 5m"
    view.started_at = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)
    trigger = {"signal": "error_rate", "value": 12.4, "threshold": "> 10 % for 5m", "t": 840.0}
    lines = trigger_lines(trigger, view, rollback_steps=2)
    text = "\n".join(lines)
    assert "Error rate" in text and "12.4 %" in text and "> 10 % for 5m" in text
    assert "fired at 01:14:00, 14m into the watch" in text
    assert "over the threshold since 01:09:00 (5m)" in text
    assert "rollback (2 steps) is ready" in text
    no_rollback = trigger_lines(trigger, None, rollback_steps=0)
    assert "no rollback steps" in no_rollback[-1]


async def test_trigger_dialog_without_rollback_offers_watch_again() -> None:
    """No rollback steps: no roll back button or key; focus on watching again."""
    from textual.app import App

    view = StepView(
        step_id="watch",
        kind="monitor",
        phase_id="p",
        phase_title="P",
        index=1,
        total=1,
        title="Watch",
        description="",
    )
    failure = Failure(reason="rollback trigger", attempt=1, can_rollback=False)
    trigger = {"signal": "error_rate", "value": 12.4, "threshold": "> 10 %", "t": 60.0}
    chosen: list[str | None] = []

    class Host(App[None]):
        CSS_PATH = DeployApp.CSS_PATH

        def on_mount(self) -> None:
            self.push_screen(TriggerDialog(view, failure, trigger), chosen.append)

    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert not app.screen.query("#rollback")
        assert app.screen.focused is not None and app.screen.focused.id == "retry"
        await pilot.press("b")  # not offered: nothing happens
        assert isinstance(app.screen, TriggerDialog)
        await pilot.press("enter")
        await wait_for(pilot, lambda: chosen, "the choice")
    assert chosen == ["retry"]


async def test_resumed_watch_shows_the_earlier_samples(tmp_path: Path) -> None:
    """A watch interrupted mid-way and resumed: the view continues with what was journaled."""
    from tests.ui.watch_scenes import RUN_ID, WATCH_STEP, samples, watch_app, write_watch_scene

    scene = write_watch_scene(tmp_path, cut="watch")
    with Journal(scene.journal_path) as journal:
        journal.append(RUN_ID, EventType.step_started, step_id=WATCH_STEP, attempt=1)
        for type_, data in samples(10):
            journal.append(RUN_ID, EventType(type_), step_id=WATCH_STEP, attempt=1, data=data)
        journal.append(
            RUN_ID,
            EventType.step_interrupted,
            step_id=WATCH_STEP,
            attempt=1,
            data={"reason": "the laptop went to sleep"},
        )
    app = watch_app(tmp_path, cut="watch", count=5, reuse=True)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = run_screen(app)
        await wait_for(
            pilot,
            lambda: screen.monitor is not None and screen.monitor.samples_seen >= 15,
            "the earlier and the new samples",
        )
        assert screen.monitor is not None
        assert screen.monitor.samples_seen == 15
        assert len(screen.monitor.signal("error_rate").samples) == 15


async def test_watch_fits_at_every_size(tmp_path: Path) -> None:
    """80×24, 100×30, 120×40: every signal row is on screen, thresholds are not cut, the
    sparkline keeps usable width, and the output pane keeps some lines."""
    from tests.ui.watch_scenes import watch_app

    app = watch_app(tmp_path, cut="watch")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = run_screen(app)
        await wait_for(
            pilot,
            lambda: screen.monitor is not None and screen.monitor.samples_seen >= 50,
            "the samples",
        )
        for size in ((80, 24), (100, 30), (120, 40)):
            await pilot.resize_terminal(*size)
            await pilot.pause(0.3)
            panel = screen.query_one(MonitorPanel)
            rows = list(panel.query(".signal"))
            assert len(rows) == 3, size
            for row in rows:
                assert row.region.bottom <= panel.region.bottom, (size, "row cut off")
                right = row.query_one(".signal-right", Static)
                assert right.region.width >= len("fail > 2000 ms for 2m"), size
                assert row.query_one(Sparkline).region.width >= 14, size
            assert screen.query_one("#output").region.height >= 4, size
            assert rows[0].region.height == (3 if size[1] >= 36 else 2), size


CHECKPOINTS = """
name: checkpoint-test
version: "1"
targets:
  http:
    app: {{base_url: "{url}", timeout: 5s}}
phases:
  - id: stabilise
    title: Stabilise
    steps:
      - id: watch
        kind: monitor
        title: Watch every 10 minutes for half an hour
        duration: 30m
        interval: 30s
        checkpoint_every: 10m
        watch_for: 1m
        signals:
          - name: error_rate
            label: Error rate
            http: {{target: app, path: /health}}
            measure: error_rate
            fail: "> 10 %"
"""


async def test_checkpoints_park_then_the_watch_continues(
    tmp_path: Path, http_server: HttpServer
) -> None:
    """A long watch parks between checkpoints: the hold dialog says so; waiting continues the
    same watch (its earlier samples still on screen)."""
    from deploytui.engine.runner import start_run
    from deploytui.ui.dialogs.hold import HoldDialog

    Service(http_server)
    clock = GatedClock(START)
    path = write_playbook(tmp_path, CHECKPOINTS.format(url=http_server.url))
    loaded = load_playbook(path)
    journal = Journal(tmp_path / "journal.db")
    run_id = start_run(journal, loaded, operator_name="ana")
    session = RunSession(
        journal=journal, loaded=loaded, run_id=run_id, operator_name="ana", clock=clock
    )
    app = DeployApp(
        journal=journal,
        operator_name="ana",
        session=session,
        clock=clock.now,
        config=UiConfig(),
        cwd=tmp_path,
    )
    async with app.run_test(size=(100, 30)) as pilot:
        screen = run_screen(app)
        clock.allow(60)
        dialog = await wait_screen(pilot, HoldDialog)
        assert "Next checkpoint" in str(dialog.dialog_title)
        first = screen.monitor.samples_seen if screen.monitor else 0
        assert first == 3  # t = 0, 30 s, 60 s
        await pilot.press("w")
        clock.allow(600)  # to the next checkpoint, and its minute of watching
        # The watch continues at 10m, watches its minute, then parks for the 20m checkpoint.
        await wait_for(
            pilot,
            lambda: (
                screen.monitor is not None
                and screen.monitor.samples_seen > first
                and isinstance(app.screen, HoldDialog)
            ),
            "the watch to continue after the checkpoint, then park again",
        )
        assert screen.monitor is not None
        assert len(screen.monitor.signal("error_rate").samples) == 6  # 0, 30 s, 1m; 10m ... 11m
        await pilot.press("l")
        assert await wait_exit(pilot) == 3
    journal.close()


async def test_on_trigger_rollback_rolls_back_without_asking_and_says_so(
    tmp_path: Path, http_server: HttpServer
) -> None:
    service = Service(http_server)
    service.failing = True
    clock = GatedClock(START)
    interval = "        interval: 30s\n"
    text = PLAYBOOK.replace(interval, interval + "        on_trigger: rollback\n")
    app, journal = live_watch_app(tmp_path, http_server.url, clock, text=text)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = run_screen(app)
        clock.allow(600)
        await wait_for(pilot, lambda: screen.ended, "the automatic rollback to finish")
        assert not any(isinstance(s, TriggerDialog) for s in app.screen_stack)
        toasts = [(n.title, n.message) for n in app._notifications]  # what the operator saw
        assert any("ROLLBACK TRIGGER FIRED" in title for title, _ in toasts), toasts
        assert any("automatically" in message for _, message in toasts), toasts
    events = journal.events(journal.runs(limit=1)[0].id, include_output=False)
    decision = next(event for event in events if event.type == EventType.decision)
    assert decision.data["action"] == "rollback" and decision.data.get("automatic") is True
    assert events[-1].data["status"] == "rolled_back"
    journal.close()


async def test_a_second_watch_shows_only_its_own_signals() -> None:
    from textual.app import App, ComposeResult

    first = MonitorView(step_id="one", duration=60, interval=30)
    for name in ("error_rate", "p95", "queue"):
        first.signal(name)
    second = MonitorView(step_id="two", duration=60, interval=30)
    second.signal("disk")

    class Host(App[None]):
        CSS_PATH = DeployApp.CSS_PATH

        def compose(self) -> ComposeResult:
            yield MonitorPanel(id="monitor")

    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        panel = app.query_one(MonitorPanel)
        panel.show(first, None)
        await wait_for(pilot, lambda: len(panel.query(".signal")) == 3, "the first watch's rows")
        panel.show(second, None)
        await wait_for(pilot, lambda: len(panel.query(".signal")) == 1, "the second watch's row")
        left = panel.query_one(".signal-left", Static)
        await wait_for(pilot, lambda: "disk" in str(left.render()), "the row drawn")
        panel.show(None, None)
        assert not panel.display
