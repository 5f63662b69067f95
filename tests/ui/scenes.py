"""Deterministic journals of the bundled demo at chosen moments, for snapshots and screenshots.

One real run of the demo (the real engine, the headless operator with the demo's answers file,
the real embedded demo service, a real SQLite journal) produces the events. Scenes copy those
events into another journal through the normal ``Journal`` API, cut at a chosen point, with a
frozen clock, a fixed run id, host and step durations, and the demo service's random port and
measured latencies normalised. Every snapshot of a scene is therefore byte-identical, while the
content is what the engine really journals. ``scripts/screenshots.py`` uses the same scenes.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from deploytui.clock import ManualClock
from deploytui.demo import bundled_answers, bundled_playbook
from deploytui.demo.service import DemoService
from deploytui.engine.headless import HeadlessOperator, load_answers
from deploytui.engine.runner import Engine, start_run
from deploytui.journal import Journal
from deploytui.model.events import Event, EventType
from deploytui.playbook import load_playbook

BASE = datetime(2026, 3, 14, 1, 0, tzinfo=UTC)
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")
DEMO_URL = "http://127.0.0.1:8080"
OPERATOR = "ana"
SIGNER = "Ana Silva"  # the lead's full name, as the demo's answers file signs
HOST = "ops-laptop"
JOURNAL_LABEL = "~/.local/share/deploytui/journal.db"
# How long each demo step "took" in the scenes (seconds), so timings read like a real window.
DURATIONS = {
    "announce": 35,
    "lead_signoff": 50,
    "snapshot": 110,
    "backup_facts": 150,
    "run_migration": 160,
    "migration_check": 80,
    "write_config": 20,
    "health": 2,
    "checkout_selftest": 3,
    "performance": 140,
    "qa_signoff": 65,
    "go_no_go": 30,
    "deploy_release": 40,
    "version_check": 2,
    "watch": 75,
    "watch_signals": 12,
    "close_window": 25,
}
_LATENCY = re.compile(r"in \d+ ms")
# A watch's latency readings and figures in its output ("shop_latency 1.85 ms", "p95 2.1 ms").
_WATCHED_LATENCY = re.compile(r"(latency(?:\s+(?:min|p50|p95|max|last))?\s+)\d+(?:\.\d+)? ms")


@dataclass(frozen=True)
class RawRun:
    """The events of one real demo run, and what is needed to normalise them."""

    events: list[Event]
    snapshot: str
    sha256: str
    url: str
    run_id: str


@dataclass(frozen=True)
class Scene:
    journal_path: Path
    run_id: str
    now: datetime


class SceneClock:
    """A journal clock the scene moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> str:
        return self.now.isoformat(timespec="milliseconds")


def record_demo_run() -> RawRun:
    """Run the whole demo once, for real, answered by its bundled answers file."""
    with tempfile.TemporaryDirectory() as folder, DemoService() as service:
        loaded = load_playbook(bundled_playbook(), overrides={"demo_url": service.url})
        with Journal(Path(folder) / "raw.db") as journal:
            run_id = start_run(
                journal, loaded, operator_name=OPERATOR, overrides={"demo_url": service.url}
            )
            operator = HeadlessOperator(load_answers(bundled_answers()), operator_name=OPERATOR)
            # A manual clock: the demo's watch samples at exact intervals (same count every time)
            # and takes no real time; its latency readings are normalised below.
            Engine(
                journal=journal,
                run_id=run_id,
                loaded=loaded,
                operator=operator,
                clock=ManualClock(start=BASE),
            ).run()
            events = journal.events(run_id)
    return RawRun(events, loaded.text, loaded.sha256, service.url, run_id)


def _normalise(value: Any, raw: RawRun, run_id: str, at: str, latency: bool = False) -> Any:
    """Make measured things constant: the service URL, run id, latencies (a watch's included)."""
    if isinstance(value, bool):
        return value
    if latency and isinstance(value, int | float):
        return 42.0
    if isinstance(value, str):
        text = value.replace(raw.url, DEMO_URL).replace(raw.run_id, run_id)
        if latency and _NUMBER.fullmatch(text.strip()):
            return "42"
        text = _WATCHED_LATENCY.sub(r"\g<1>42 ms", text)
        return _LATENCY.sub("in 42 ms", text)
    if isinstance(value, dict):
        # A captured figure of a latency signal ({"field": "shop_latency_p95", ...}).
        figure = "latency" in str(value.get("field", ""))
        result = {}
        for key, item in value.items():
            inner = latency or "latency" in key or (figure and key in {"value", "raw"})
            if figure and key == "display":
                result[key] = "42 ms"
            elif key == "at" and isinstance(item, str):
                result[key] = at[:19] + "+00:00"
            else:
                result[key] = _normalise(item, raw, run_id, at, inner)
        return result
    if isinstance(value, list):
        return [_normalise(item, raw, run_id, at, latency) for item in value]
    return value


def _one_line_each(type_: EventType, data: dict[str, Any]) -> list[dict[str, Any]]:
    """Output is journaled in chunks flushed on a timer, so how many ``step_output`` events a
    run has depends on the machine's load; one event per line makes the scene's event count
    (and hash chain head, shown in history) the same every time."""
    if type_ != EventType.step_output or not isinstance(data.get("lines"), list):
        return [data]
    streams = data.get("streams")
    chunks = []
    for index, line in enumerate(data["lines"]):
        chunk: dict[str, Any] = {"lines": [line]}
        if isinstance(streams, list) and index < len(streams):
            chunk["streams"] = [streams[index]]
        chunks.append(chunk)
    return chunks


def write_scene(
    raw: RawRun,
    journal_path: Path,
    *,
    run_id: str,
    cut: str = "completed",
    base: datetime = BASE,
    pause_reason: str = "stopped by the operator (quit)",
) -> Scene:
    """Copy the demo run into ``journal_path`` up to ``cut``.

    ``cut`` is ``completed``; ``before:STEP`` (paused before STEP starts); ``failed:STEP`` (paused
    right after STEP's first failure); ``interrupted:STEP`` (STEP was running when the run
    stopped); or ``aborted:STEP`` (aborted after STEP's first failure).
    """
    kind, _, target = cut.partition(":")
    clock = SceneClock(base)
    cursor = base
    with Journal(journal_path, clock=clock) as journal:
        overrides = {"demo_url": DEMO_URL}
        journal.create_run(
            run_id=run_id,
            playbook_name="shop-release-demo",
            playbook_version="7.0",
            playbook_path=str(bundled_playbook()),
            playbook_sha256=raw.sha256,
            snapshot=raw.snapshot,
            operator=OPERATOR,
            host=HOST,
            data={
                "operator": OPERATOR,
                "host": HOST,
                "pid": 4242,
                "overrides": overrides,
                "mode": "interactive",
                "playbook_sha256": raw.sha256,
            },
        )
        ended = False
        for event in raw.events:
            if event.type == EventType.run_started:
                continue
            if (
                kind == "before"
                and event.type == EventType.step_started
                and event.step_id == target
            ):
                break
            if (
                kind == "interrupted"
                and event.type == EventType.step_finished
                and event.step_id == target
            ):
                journal.append(
                    run_id,
                    EventType.step_interrupted,
                    step_id=target,
                    attempt=event.attempt,
                    data={"reason": "stopped by the operator while running"},
                )
                break
            data = dict(event.data)
            if event.type == EventType.step_started:
                clock.now = cursor
            elif event.type == EventType.step_finished and event.step_id:
                cursor += timedelta(seconds=DURATIONS.get(event.step_id, 20))
                clock.now = cursor
                data["duration"] = float(DURATIONS.get(event.step_id, 20))
            data = _normalise(data, raw, run_id, clock())
            for part in _one_line_each(event.type, data):
                journal.append(
                    run_id, event.type, step_id=event.step_id, attempt=event.attempt, data=part
                )
            if event.type == EventType.run_finished:
                ended = True
            if (
                kind in {"failed", "aborted"}
                and event.type == EventType.step_finished
                and event.step_id == target
            ):
                if kind == "aborted":
                    journal.append(
                        run_id,
                        EventType.decision,
                        step_id=target,
                        data={"action": "abort", "reason": "aborted by the operator"},
                    )
                    journal.append(run_id, EventType.run_finished, data={"status": "aborted"})
                    ended = True
                break
        if not ended:
            cursor += timedelta(seconds=5)
            clock.now = cursor
            journal.append(run_id, EventType.run_paused, data={"reason": pause_reason})
    return Scene(journal_path, run_id, cursor + timedelta(seconds=40))


def history_journal(raw: RawRun, journal_path: Path) -> Scene:
    """Several runs over a few days: completed, aborted, waiting, interrupted."""
    write_scene(
        raw,
        journal_path,
        run_id="3c9e0b71",
        cut="aborted:checkout_selftest",
        base=BASE - timedelta(days=6),
    )
    write_scene(
        raw, journal_path, run_id="5d21f8a0", cut="completed", base=BASE - timedelta(days=3)
    )
    write_scene(
        raw,
        journal_path,
        run_id="8b4417ce",
        cut="interrupted:run_migration",
        base=BASE - timedelta(days=1),
    )
    return write_scene(raw, journal_path, run_id="7f3a21c4", cut="completed", base=BASE)
