"""History at scale: a journal of 10,000 runs / 1,000,000 events, and how fast it reads back.

**The journal.** One real run of the bundled demo is recorded headless through the public path
(``deploytui demo --headless``, so every row has the exact shape deploytui writes). Its events
become a template: padded to 100 events a run with more ``step_output`` chunks, re-timed over a
30-minute window, and copied into 10,000 runs with raw ``sqlite3`` in a few large transactions,
each run with its own id, statuses in realistic proportions (85 % completed, failures, aborts,
rollbacks, 1 % waiting and 1 % interrupted for the resume picker), a valid hash chain
(``journal.hashing``), and the ``runs`` / ``captured_values`` / ``signoffs`` projections the
journal keeps. One run is padded to 5,000 events for ``show``. The journals live in a temporary
folder for the benchmark run and are deleted after it.

**The figures.** Whole-process ``deploytui runs`` and ``deploytui show RUN`` (median of 5), and
in-app time for the history screen and the resume picker to appear: in a child process Pilot
pushes the screen and the clock stops at the end of the first frame painted with rows in its
table (the frame serialised to terminal bytes, as in ``bench_ui``). Baselines: the same against a
journal of 10 runs built the same way (the ratio), and ``sqlite3 COUNT(*)`` over the events.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.common import Figure, compared

ROOT = Path(__file__).resolve().parents[1]
AREA = "History at scale"
EVENTS_PER_RUN = 100
BIG_RUN_EVENTS = 5_000
RUN_SECONDS = 30 * 60
RUN_SPACING = timedelta(minutes=45)
BATCH_RUNS = 1_000


def _deploytui() -> list[str]:
    script = Path(sys.executable).parent / "deploytui"
    return [str(script)] if script.exists() else [sys.executable, "-m", "deploytui"]


def _env(folder: Path) -> dict[str, str]:
    return {
        **os.environ,
        "XDG_CONFIG_HOME": str(folder / "config"),
        "XDG_DATA_HOME": str(folder / "data"),
        "XDG_STATE_HOME": str(folder / "state"),
        "PYTHONPATH": str(ROOT),
    }


# -- the template run ------------------------------------------------------------------------------


@dataclass
class Template:
    run: dict[str, Any]
    events: list[
        tuple[float, str, str | None, int | None, str]
    ]  # offset s, type, step, attempt, data


def record_sample(folder: Path) -> Template:
    """One real headless demo run, written by deploytui itself; its rows are the template."""
    path = folder / "sample.db"
    done = subprocess.run(
        [*_deploytui(), "--journal", str(path), "demo", "--headless"],
        cwd=folder,
        env=_env(folder),
        capture_output=True,
        text=True,
        timeout=600,
    )
    if not path.exists():
        raise RuntimeError(f"the demo run wrote no journal:\n{done.stdout[-2000:]}{done.stderr}")
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    run = dict(conn.execute("SELECT * FROM runs ORDER BY started_at LIMIT 1").fetchone())
    rows = conn.execute(
        "SELECT at, type, step_id, attempt, data FROM events WHERE run_id = ? ORDER BY seq",
        (run["id"],),
    ).fetchall()
    conn.close()
    if run["status"] != "completed" or len(rows) < 10:
        raise RuntimeError(f"the demo run did not complete:\n{done.stdout[-2000:]}{done.stderr}")
    began = datetime.fromisoformat(rows[0]["at"])
    span = max((datetime.fromisoformat(rows[-1]["at"]) - began).total_seconds(), 1.0)
    stretch = RUN_SECONDS / span
    events = [
        (
            (datetime.fromisoformat(row["at"]) - began).total_seconds() * stretch,
            row["type"],
            row["step_id"],
            row["attempt"],
            row["data"],
        )
        for row in rows
    ]
    return Template(run=run, events=events)


def padded(template: Template, total: int) -> list[tuple[float, str, str | None, int | None, str]]:
    """The template with copies of its largest output chunk added, to ``total`` events."""
    events = list(template.events)
    outputs = [index for index, event in enumerate(events) if event[1] == "step_output"]
    if not outputs or total <= len(events):
        return events
    index = max(outputs, key=lambda i: len(events[i][4]))
    extra = [events[index]] * (total - len(events))
    return events[: index + 1] + extra + events[index + 1 :]


# -- the bulk writer -------------------------------------------------------------------------------


SMALL_STATUSES = ["completed"] * 6 + ["failed", "aborted", "waiting", "running"]


def _status(number: int, runs: int) -> str:
    if runs < 100:  # the small baseline journal still has runs to resume
        return SMALL_STATUSES[number % len(SMALL_STATUSES)]
    slot = number % 100
    if slot < 85:
        return "completed"
    if slot < 91:
        return "failed"
    if slot < 95:
        return "aborted"
    if slot < 98:
        return "rolled_back"
    return "waiting" if slot == 98 else "running"


def _shaped(
    events: list[tuple[float, str, str | None, int | None, str]], status: str
) -> list[tuple[float, str, str | None, int | None, str]]:
    """The template's events for a run ending in ``status``."""
    if status in {"waiting", "running"}:
        starts = [i for i, event in enumerate(events) if event[1] == "step_started"]
        cut = starts[len(starts) * 3 // 5]
        if status == "running":  # killed while a step ran: its step_started is the last event
            return events[: cut + 1]
        at = events[cut - 1][0] + 1
        reason = json.dumps({"reason": "stopped by the operator (quit)"}, separators=(",", ":"))
        return [*events[:cut], (at, "run_paused", None, None, reason)]
    if status == "completed":
        return events
    last = events[-1]
    data = json.loads(last[4])
    data["status"] = status
    from deploytui.journal.hashing import canonical

    return [*events[:-1], (last[0], last[1], last[2], last[3], canonical(data))]


def build_journal(path: Path, template: Template, runs: int) -> dict[str, Any]:
    """Write ``runs`` runs (one of them with BIG_RUN_EVENTS events) into a new journal."""
    from deploytui.journal import Journal
    from deploytui.journal.hashing import GENESIS, event_hash

    Journal(path).close()  # the schema and every migration, as deploytui creates it
    shapes: dict[str, list[tuple[float, str, str | None, int | None, str]]] = {}
    for status in ("completed", "failed", "aborted", "rolled_back", "waiting", "running"):
        shaped = Template(run=template.run, events=_shaped(template.events, status))
        shapes[status] = padded(shaped, EVENTS_PER_RUN)
    big = padded(template, BIG_RUN_EVENTS)
    base = datetime.now(UTC) - RUN_SPACING * (runs + 1)
    conn = sqlite3.connect(path)
    # Generating, not measuring: no WAL (it would write every page twice) and no fsync; the
    # file is switched back to WAL, as deploytui keeps it, at the end.
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.execute("PRAGMA synchronous=OFF")
    run_columns = (
        "id, playbook_name, playbook_version, playbook_path, playbook_sha256, snapshot, operator, "
        "host, status, started_at, updated_at, finished_at, current_step, event_count, head_hash"
    )
    sample = template.run
    total = 0
    big_id = ""
    for first in range(0, runs, BATCH_RUNS):
        run_rows, event_rows, value_rows, signoff_rows = [], [], [], []
        for number in range(first, min(first + BATCH_RUNS, runs)):
            run_id = f"{(number * 2654435761 + 0x5EED) % 2**32:08x}"
            is_big = number == runs // 2
            status = "completed" if is_big else _status(number, runs)
            events = big if is_big else shapes[status]
            if is_big:
                big_id = run_id
            started = base + RUN_SPACING * number
            prev, current, at = GENESIS, None, ""
            for seq, (offset, type_, step_id, attempt, data) in enumerate(events, start=1):
                at = (started + timedelta(seconds=offset)).isoformat(timespec="milliseconds")
                digest = event_hash(prev, run_id, seq, at, type_, step_id, attempt, data)
                event_rows.append((run_id, seq, at, type_, step_id, attempt, data, prev, digest))
                prev = digest
                if type_ == "step_started":
                    current = step_id
                elif type_ == "step_finished" and ('"values"' in data or '"signoff"' in data):
                    payload = json.loads(data)
                    for value in payload.get("values", []):
                        value_rows.append(
                            (
                                run_id,
                                step_id,
                                value["field"],
                                value["label"],
                                value["type"],
                                value["raw"],
                                None if value["value"] is None else json.dumps(value["value"]),
                                value.get("unit"),
                                value["display"],
                                value.get("breach"),
                                seq,
                            )
                        )
                    signoff = payload.get("signoff")
                    if signoff:
                        signoff_rows.append(
                            (run_id, step_id, signoff["role"], signoff["name"], signoff["at"], seq)
                        )
            finished = at if status not in {"waiting", "running"} else None
            run_rows.append(
                (
                    run_id,
                    sample["playbook_name"],
                    sample["playbook_version"],
                    sample["playbook_path"],
                    sample["playbook_sha256"],
                    sample["snapshot"],
                    sample["operator"],
                    sample["host"],
                    status,
                    started.isoformat(timespec="milliseconds"),
                    at,
                    finished,
                    current,
                    len(events),
                    prev,
                )
            )
            total += len(events)
        with conn:
            conn.executemany(
                f"INSERT INTO runs ({run_columns}) VALUES ({','.join('?' * 15)})", run_rows
            )
            conn.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", event_rows)
            conn.executemany(
                "INSERT OR REPLACE INTO captured_values (run_id, step_id, field, label, type, raw, "
                "value, unit, display, breach, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                value_rows,
            )
            conn.executemany(
                "INSERT OR REPLACE INTO signoffs (run_id, step_id, role, name, at, seq) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                signoff_rows,
            )
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    return {"path": path, "runs": runs, "events": total, "big_run": big_id}


# -- the in-app child ------------------------------------------------------------------------------


async def _screen_times(
    journal_paths: list[Path], rounds: int
) -> dict[str, dict[str, list[float]]]:
    from textual.widgets import DataTable

    from deploytui.journal import Journal
    from deploytui.ui.app import DeployApp
    from deploytui.ui.config import UiConfig
    from deploytui.ui.screens.history import HistoryScreen
    from deploytui.ui.screens.home import HomeScreen
    from deploytui.ui.screens.resume import ResumePicker

    class TimedApp(DeployApp):
        want: tuple[type, str] | None = None
        painted: float | None = None
        rows = 0

        def _display(self, screen: Any, renderable: Any) -> None:
            super()._display(screen, renderable)
            if renderable is None or self._batch_count:
                return
            render_segments = getattr(renderable, "render_segments", None)
            if self.is_headless and render_segments is not None:
                render_segments(self.console)  # what a terminal write would cost
            if self.want is None or screen is not self.screen:
                return
            kind, table_id = self.want
            if isinstance(screen, kind) and screen.query_one(table_id, DataTable).row_count:
                self.painted = time.perf_counter()
                self.rows = screen.query_one(table_id, DataTable).row_count
                self.want = None

    async def wait(condition: Any, what: str) -> None:
        began = time.monotonic()
        while not condition():
            app = apps[0]
            if app._exception is not None:
                raise RuntimeError(f"the app crashed: {app._exception!r}")
            if time.monotonic() - began > 120:
                raise RuntimeError(f"timed out waiting for {what}")
            await asyncio.sleep(0.001)

    async def once(path: Path, times: dict[str, list[float]]) -> None:
        with Journal(path) as journal:
            app = TimedApp(journal=journal, operator_name="bench", config=UiConfig(), cwd=ROOT)
            apps[:] = [app]
            async with app.run_test(size=(120, 40)):
                await wait(lambda: isinstance(app.screen, HomeScreen), "the home screen")
                recent = app.screen.query_one("#recent", DataTable)
                await wait(lambda: recent.row_count > 0, "the home screen's runs")
                await asyncio.sleep(0.5)  # the home screen's own load settles first
                for name, kind, table_id in (
                    ("history", HistoryScreen, "#runs"),
                    ("resume", ResumePicker, "#resume-runs"),
                ):
                    app.want, app.painted = (kind, table_id), None
                    began = time.perf_counter()
                    await app.push_screen(kind())
                    await wait(lambda: app.painted is not None, f"{name} with rows")
                    times[name].append(app.painted - began)  # type: ignore[operator]
                    times[f"{name} rows"].append(app.rows)
                    await app.pop_screen()
                    await asyncio.sleep(0.3)
                app.exit(0)

    apps: list[Any] = []
    results: dict[str, dict[str, list[float]]] = {
        str(path): defaultdict(list) for path in journal_paths
    }
    await once(journal_paths[0], defaultdict(list))  # warm-up, not counted
    # The journals take turns, so a change in the machine's load weighs on each alike.
    for _ in range(rounds):
        for path in journal_paths:
            await once(path, results[str(path)])
    return results


def _child(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("journals", nargs="+")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    paths = [Path(path) for path in args.journals]
    print("RESULT " + json.dumps(asyncio.run(_screen_times(paths, args.rounds))))


# -- the parent ------------------------------------------------------------------------------------


def _in_app(folder: Path, journals: list[Path], rounds: int) -> dict[str, dict[str, float]]:
    """Median seconds per journal and screen, measured in one child process."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.bench_history",
            "--child",
            *map(str, journals),
            "--rounds",
            str(rounds),
        ],
        cwd=ROOT,
        env=_env(folder),
        capture_output=True,
        text=True,
        timeout=900,
    )
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            times = json.loads(line[len("RESULT ") :])
            return {
                path: {name: statistics.median(values) for name, values in screens.items()}
                for path, screens in times.items()
            }
    raise RuntimeError(f"bench_history child failed:\n{done.stdout[-2000:]}{done.stderr[-4000:]}")


def _process_seconds(
    folder: Path, commands: dict[str, list[str]], repeats: int
) -> dict[str, float]:
    """Median wall time of each command as a whole process, the commands taking turns so that a
    change in the machine's load during the benchmark weighs on each of them alike."""
    env = _env(folder)

    def once(argv: list[str]) -> float:
        began = time.perf_counter()
        done = subprocess.run(argv, cwd=folder, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{argv} exited {done.returncode}: {done.stderr[-2000:]}")
        return time.perf_counter() - began

    for argv in commands.values():
        once(argv)  # warm the page cache and the .pyc files: every figure is a warm start
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeats):
        for name, argv in commands.items():
            samples[name].append(once(argv))
    return {name: statistics.median(values) for name, values in samples.items()}


def _figure(name: str, value: float, baseline: float, count_ms: float, notes: str = "") -> Figure:
    return compared(
        Figure(
            area=AREA,
            name=name,
            value=round(value * 1000, 1),
            unit="ms",
            baseline_name="the same, journal of 10 runs",
            baseline_value=round(baseline * 1000, 1),
            target="< 300 ms",
            target_kind="value_max",
            target_value=300.0,
            notes=(notes + "; " if notes else "")
            + f"sqlite3 COUNT(*) of the events: {count_ms:.0f} ms",
        )
    )


def run(quick: bool) -> list[Figure]:
    repeats = 3 if quick else 5
    runs = 10_000
    folder = Path(tempfile.mkdtemp(prefix="deploytui-bench-history-"))
    try:
        template = record_sample(folder)
        began = time.perf_counter()
        large = build_journal(folder / "large.db", template, runs)
        built = time.perf_counter() - began
        small = build_journal(folder / "small.db", template, 10)
        size = sum(
            path.stat().st_size
            for path in (large["path"], Path(f"{large['path']}-wal"))
            if path.exists()
        )
        cli = _deploytui()
        commands = {"version": [*cli, "--version"]}
        for label, journal in (("small", small), ("large", large)):
            path = str(journal["path"])
            commands[f"runs {label}"] = [*cli, "--journal", path, "runs"]
            commands[f"show {label}"] = [*cli, "--journal", path, "show", journal["big_run"]]
            if shutil.which("sqlite3"):
                commands[f"count {label}"] = ["sqlite3", path, "SELECT COUNT(*) FROM events"]
        process = _process_seconds(folder, commands, repeats)
        screens = _in_app(folder, [small["path"], large["path"]], repeats)
        seconds: dict[str, dict[str, float]] = {}
        for label, journal in (("small", small), ("large", large)):
            seconds[label] = {
                "runs": process[f"runs {label}"],
                "show": process[f"show {label}"],
                "count": process.get(f"count {label}", 0.0),
                **screens[str(journal["path"])],
            }
        big, little = seconds["large"], seconds["small"]
        count_ms = big["count"] * 1000
        floor = (
            f"`deploytui --version` takes {process['version'] * 1000:.0f} ms as a whole process "
            "in the same run: the interpreter and import floor"
        )
        scale = f"{large['runs']:,} runs / {large['events']:,} events"
        figures = [
            _figure(
                f"`deploytui runs`, {scale} (whole process)",
                big["runs"],
                little["runs"],
                count_ms,
                floor,
            ),
            _figure(
                f"history screen appears with rows, {scale} (in-app)",
                big["history"],
                little["history"],
                count_ms,
                "Pilot pushes the screen; to the end of its first frame painted with rows "
                f"({big['history rows']:.0f} rows loaded, a screenful painted; the 10-run "
                f"journal paints {little['history rows']:.0f})",
            ),
            _figure(
                f"resume picker appears with rows, {scale} (in-app)",
                big["resume"],
                little["resume"],
                count_ms,
                "1 % of the runs are waiting and 1 % interrupted; the picker lists "
                f"{big['resume rows']:.0f} of them, a screenful painted (the 10-run journal: "
                f"{little['resume rows']:.0f} rows)",
            ),
            _figure(
                f"`deploytui show` of a {BIG_RUN_EVENTS:,}-event run, {scale} (whole process)",
                big["show"],
                little["show"],
                count_ms,
                floor + "; the hash chain of all 5,000 events is verified, as `show` does",
            ),
            compared(
                Figure(
                    area=AREA,
                    name=f"sqlite3 COUNT(*) of the events, {scale} (whole process)",
                    value=round(count_ms, 1),
                    unit="ms",
                    baseline_name="the same, journal of 10 runs",
                    baseline_value=round(little["count"] * 1000, 1),
                    notes="the floor any query over this file pays: the sqlite3 shell",
                )
            ),
            Figure(
                area=AREA,
                name=f"journal file size per event, {scale}",
                value=round(size / large["events"], 1),
                unit="bytes/event",
                notes=(
                    f"{size / 1e6:.0f} MB in all, the playbook snapshot stored with each run "
                    f"included; built in {built:.0f} s"
                ),
            ),
        ]
        return figures
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(sys.argv[2:])
    else:
        for figure in run(quick="--quick" in sys.argv):
            print(figure.model_dump_json())
            print(f"  met: {figure.met}  ratio: {figure.ratio}")
