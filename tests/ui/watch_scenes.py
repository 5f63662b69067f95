"""Frozen scenes of a stabilisation window: a live watch, a rollback trigger, a hold, a notify.

The demo has no monitor step, so these scenes use a small playbook of their own (below). The
journal is built through the normal ``Journal`` API with a frozen clock and a fixed run id; the
real engine then resumes the run in the app, with a ManualClock frozen at the scene's time. The
monitor step's executor is replaced by ``FrozenWatch``, which journals a fixed series of samples
and crossings through ``ExecContext.record`` exactly as the real monitor executor does, then
blocks (mid-watch) or returns a fired trigger. That fake exists only so snapshots are
byte-identical; the live tests (test_monitor_view.py) use the real executor against a real HTTP
server.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from deploytui.clock import ManualClock
from deploytui.executors import ExecutorSet
from deploytui.executors.base import CANCELLED, ExecContext, ExecResult
from deploytui.journal import Journal
from deploytui.model.events import EventType
from deploytui.playbook import load_playbook
from deploytui.ui.app import DeployApp
from deploytui.ui.config import UiConfig
from deploytui.ui.session import RunSession
from tests.ui.helpers import FrozenApp
from tests.ui.scenes import HOST, JOURNAL_LABEL, OPERATOR, SIGNER

RUN_ID = "7f3a21c4"
BASE = datetime(2026, 3, 14, 1, 0, tzinfo=UTC)
WATCH_STEP = "watch_after_deploy"
INTERVAL = 30.0

WATCH_PLAYBOOK = """\
name: shop-release
version: "7.1"
description: Deploy 7.1, watch it settle for an hour, hold until the morning peak.
window:
  budget: 4h

targets:
  http:
    shop:
      base_url: "{{ vars.shop_url }}"
      timeout: 5s

variables:
  shop_url: http://127.0.0.1:8080

notifications:
  channels:
    ops: {url: "https://hooks.example/services/T000/B000/XXXX", format: slack}
    audit: {url: "https://audit.example/hook", format: generic}

phases:
  - id: deploy
    title: Deploy
    estimate: 20m
    steps:
      - id: announce
        kind: notify
        title: Announce the deployment to stakeholders
        channels: [ops, audit]
        message: "Deploying shop 7.1 now; window until 05:00. Run {{ run.id }}."
      - id: deploy_release
        kind: confirm
        title: Deploy 7.1 to production
  - id: stabilise
    title: Stabilise
    estimate: 1h
    steps:
      - id: watch_after_deploy
        kind: monitor
        title: Watch error rate, latency and the queue for 1 hour
        duration: 1h
        interval: 30s
        signals:
          - name: error_rate
            label: Error rate
            http: {target: shop, path: /health}
            measure: error_rate
            warn: "> 1 %"
            fail: "> 10 % for 5m"
          - name: p95
            label: Latency p95
            http: {target: shop, path: /}
            measure: latency
            warn: "> 500 ms"
            fail: "> 2000 ms for 2m"
          - name: queue_depth
            label: Queue depth
            command: {run: "echo 12"}
            warn: "> 200"
            fail: "> 1000"
      - id: overnight
        kind: hold
        title: Wait for the morning traffic peak
        until: "04:00"
      - id: close_window
        kind: confirm
        title: Close the window

rollback:
  title: Rollback
  steps:
    - id: restore_version
      kind: local
      title: Redeploy 7.0
      command: echo "redeploying 7.0"
    - id: rollback_notify
      kind: notify
      title: Notify stakeholders of the rollback
      channel: ops
      message: "Rolled back to 7.0."
"""


# What the journal says about deliveries (run-level hook, then the announce step's two channels).
NOTIFIED: list[dict[str, Any]] = [
    {"channel": "ops", "event": "run_started", "ok": True, "status": 200, "attempts": 1},
    {"channel": "ops", "event": "announce", "ok": True, "status": 200, "attempts": 1},
    {
        "channel": "audit",
        "event": "announce",
        "ok": False,
        "status": 502,
        "attempts": 5,
        "error": "HTTP 502 Bad Gateway",
    },
]
# The monitor's summary as the executor journals it (details["monitor"]).
WATCH_DETAILS: dict[str, Any] = {
    "monitor": {
        "duration": 3600,
        "elapsed": 3570,
        "signals": {
            "error_rate": {
                "label": "Error rate",
                "unit": "%",
                "min": 0.2,
                "p50": 0.38,
                "p95": 1.3,
                "max": 1.5,
                "last": 0.31,
                "count": 120,
                "state": "ok",
                "warn": "> 1 %",
                "fail": "> 10 % for 5m",
                "crossings": [
                    {"from": "ok", "to": "warning", "value": 1.1, "t": 540.0},
                    {"from": "warning", "to": "ok", "value": 0.5, "t": 690.0},
                ],
            },
            "p95": {
                "label": "Latency p95",
                "unit": "ms",
                "min": 180,
                "p50": 241,
                "p95": 296,
                "max": 300,
                "last": 236,
                "count": 120,
                "state": "ok",
                "warn": "> 500 ms",
                "fail": "> 2000 ms for 2m",
                "crossings": [],
            },
            "queue_depth": {
                "label": "Queue depth",
                "unit": "",
                "min": 12,
                "p50": 23,
                "p95": 33,
                "max": 34,
                "last": 19,
                "count": 120,
                "state": "ok",
                "warn": "> 200",
                "fail": "> 1000",
                "crossings": [],
            },
        },
    }
}


@dataclass(frozen=True)
class WatchScene:
    journal_path: Path
    playbook_path: Path
    now: datetime


def samples(count: int, *, fire: bool = False) -> list[tuple[str, dict[str, Any]]]:
    """A believable watch: error rate ~0.4 % with a warning bump, p95 ~250 ms, a small queue.

    With ``fire`` the error rate climbs past 10 % for the last minutes (a rollback trigger).
    """
    records: list[tuple[str, dict[str, Any]]] = []
    state = {"error_rate": "unknown", "p95": "unknown", "queue_depth": "unknown"}
    limits = {
        "error_rate": (1.0, 10.0, "> 1 %", "> 10 % for 5m"),
        "p95": (500.0, 2000.0, "> 500 ms", "> 2000 ms for 2m"),
        "queue_depth": (200.0, 1000.0, "> 200", "> 1000"),
    }
    for index in range(count):
        t = index * INTERVAL
        error = 0.35 + 0.15 * math.sin(index / 3)
        if 18 <= index <= 22:
            error = 1.1 + 0.1 * (index - 18)  # a short warning bump
        if fire and index >= count - 12:
            error = 10.8 + 0.15 * (index - (count - 12))
        values = {
            "error_rate": round(error, 2),
            "p95": round(240 + 60 * math.sin(index / 5) + (4 * index if fire else 0), 1),
            "queue_depth": float(12 + (index * 7) % 23),
        }
        records.append(("monitor_sample", {"t": t, "v": values}))
        for name, value in values.items():
            warn, fail, warn_text, fail_text = limits[name]
            new = "triggered" if value > fail else "warning" if value > warn else "ok"
            if name == "error_rate" and new == "triggered" and index < count - 1:
                new = "warning"  # sustained "for 5m": it fires only at the end
            if new != state[name]:
                threshold = fail_text if new == "triggered" else warn_text
                records.append(
                    (
                        "monitor_crossing",
                        {
                            "signal": name,
                            "from": state[name],
                            "to": new,
                            "value": value,
                            "threshold": threshold,
                            "t": t,
                        },
                    )
                )
                state[name] = new
    return records


class BlockingNotify:
    """Stands in for the notify executor in a frozen scene: sends nothing, waits to be stopped."""

    kind = "notify"

    def execute(self, step: Any, ctx: ExecContext) -> ExecResult:
        ctx.cancelled.wait()
        return ExecResult(ok=False, reason=CANCELLED)


class FrozenWatch:
    """Journals a fixed series of samples, then blocks mid-watch or fires the trigger."""

    kind = "monitor"

    def __init__(self, records: list[tuple[str, dict[str, Any]]], *, fire: bool) -> None:
        self.records = records
        self.fire = fire
        self.started = threading.Event()

    def execute(self, step: Any, ctx: ExecContext) -> ExecResult:
        for type_, data in self.records:
            ctx.record(type_, data)
        self.started.set()
        if self.fire:
            last = [data for type_, data in self.records if type_ == "monitor_sample"][-1]
            trigger = {
                "signal": "error_rate",
                "value": last["v"]["error_rate"],
                "threshold": "> 10 % for 5m",
                "t": last["t"],
            }
            return ExecResult(
                ok=False,
                reason=f"rollback trigger: error_rate {trigger['value']} % > 10 % for 5m",
                details={"monitor": {"elapsed": last["t"], "duration": 3600, "triggered": trigger}},
            )
        ctx.cancelled.wait()
        return ExecResult(ok=False, reason=CANCELLED)


def write_watch_scene(folder: Path, *, cut: str) -> WatchScene:
    """The run up to ``cut``: ``watch`` (the watch is next), ``hold`` (the hold is next),
    ``notify`` (the first step, a notify, is next)."""
    playbook_path = folder / "shop-release.yaml"
    playbook_path.write_text(WATCH_PLAYBOOK, encoding="utf-8")
    loaded = load_playbook(playbook_path)
    clock_now = [BASE]
    journal_path = folder / "journal.db"
    with Journal(
        journal_path, clock=lambda: clock_now[0].isoformat(timespec="milliseconds")
    ) as journal:
        journal.create_run(
            run_id=RUN_ID,
            playbook_name=loaded.playbook.name,
            playbook_version=loaded.playbook.version,
            playbook_path=str(playbook_path),
            playbook_sha256=loaded.sha256,
            snapshot=loaded.text,
            operator=OPERATOR,
            host=HOST,
            data={"operator": OPERATOR, "host": HOST, "pid": 4242, "overrides": {}},
        )
        done = {"notify": [], "watch": ["announce", "deploy_release"]}.get(
            cut, ["announce", "deploy_release", WATCH_STEP]
        )
        if cut != "notify":
            journal.append(RUN_ID, EventType.notification, data=NOTIFIED[0])
        for step_id in done:
            journal.append(RUN_ID, EventType.step_started, step_id=step_id, attempt=1)
            finished: dict[str, Any] = {"status": "succeeded", "duration": 240.0}
            if step_id == WATCH_STEP:
                for type_, data in samples(120):
                    journal.append(RUN_ID, EventType(type_), step_id=step_id, attempt=1, data=data)
                clock_now[0] += timedelta(hours=1)
                finished = {"status": "succeeded", "duration": 3600.0, "details": WATCH_DETAILS}
            else:
                clock_now[0] += timedelta(minutes=4)
            journal.append(
                RUN_ID, EventType.step_finished, step_id=step_id, attempt=1, data=finished
            )
            if step_id == "announce":
                for data in NOTIFIED[1:]:
                    journal.append(RUN_ID, EventType.notification, step_id=step_id, data=data)
        clock_now[0] += timedelta(seconds=20)
        journal.append(RUN_ID, EventType.run_paused, data={"reason": "stopped by the operator"})
    return WatchScene(journal_path, playbook_path, clock_now[0] + timedelta(seconds=40))


def watch_app(
    folder: Path, *, cut: str, fire: bool = False, count: int = 50, reuse: bool = False
) -> DeployApp:
    """The app resuming a watch scene with a frozen clock (UI and engine); ``reuse`` opens a
    scene already written (and perhaps extended) in ``folder``."""
    if reuse:
        scene = WatchScene(
            folder / "journal.db", folder / "shop-release.yaml", _scene_now(folder / "journal.db")
        )
    else:
        scene = write_watch_scene(folder, cut=cut)
    frozen = scene.now
    journal = Journal(scene.journal_path, clock=lambda: frozen.isoformat(timespec="milliseconds"))
    loaded = load_playbook(scene.playbook_path)
    watch = FrozenWatch(samples(count, fire=fire), fire=fire)
    session = RunSession(
        journal=journal,
        loaded=loaded,
        run_id=RUN_ID,
        operator_name=OPERATOR,
        resume_data={"operator": OPERATOR, "host": HOST, "pid": 4242, "overrides": {}},
        executors=ExecutorSet(
            loaded.playbook,
            overrides={"monitor": watch, "notify": BlockingNotify()},  # type: ignore[dict-item]
        ),
        clock=ManualClock(start=frozen),
    )
    return FrozenApp(
        journal=journal,
        operator_name=OPERATOR,
        session=session,
        clock=lambda: frozen,
        config=UiConfig(name=SIGNER),
        cwd=folder,
        journal_label=JOURNAL_LABEL,
    )


def _scene_now(journal_path: Path) -> datetime:
    with Journal(journal_path) as journal:
        last = journal.events(RUN_ID, include_output=False)[-1].at
    return datetime.fromisoformat(last) + timedelta(seconds=40)


def watch_home_app(folder: Path) -> DeployApp:
    """The app on the home screen over a parked watch run (for history and home shots)."""
    scene = write_watch_scene(folder, cut="hold")
    frozen = scene.now
    with Journal(scene.journal_path, clock=lambda: frozen.isoformat()) as journal:
        # Parked at the hold, as the engine leaves it: the hold step held until 04:00.
        journal.append(
            RUN_ID,
            EventType.step_started,
            step_id="overnight",
            attempt=1,
            data={"action": "hold until 04:00"},
        )
        journal.append(
            RUN_ID,
            EventType.run_held,
            step_id="overnight",
            attempt=1,
            data={
                "until": "2026-03-14T04:00:00+00:00",
                "reason": "Wait for the morning traffic peak (until 04:00)",
                "since": frozen.isoformat(timespec="seconds"),
            },
        )
        journal.append(RUN_ID, EventType.run_paused, data={"reason": "waiting until 04:00"})
    journal = Journal(scene.journal_path, clock=lambda: frozen.isoformat(timespec="milliseconds"))
    return FrozenApp(
        journal=journal,
        operator_name=OPERATOR,
        clock=lambda: frozen,
        config=UiConfig(name=SIGNER),
        cwd=folder,
        journal_label=JOURNAL_LABEL,
    )
