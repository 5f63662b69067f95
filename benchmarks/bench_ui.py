"""UI under load: key-to-paint latency while a step floods output, and memory after a million lines.

Each measurement runs in a child process (``python -m benchmarks.bench_ui --child ...``) so its
RSS is the app's alone and nothing the runner imported skews it. The child drives the real
``DeployApp`` on a real run (a ``local`` step running a Python generator) through Pilot.

**How key-to-paint is measured.** The child's app overrides ``App._display``, the single place
Textual hands a finished frame (a ``CompositorUpdate``) to the terminal driver. Pilot's driver is
headless and skips the write, so the override serialises the frame into terminal bytes itself
(``render_segments``), which is the work a real terminal write would cost, then takes a
timestamp. A measurement posts the key through the driver's own path (``driver.send_message``,
what the terminal driver does for a key it read) and records the time from that call to the end
of the first frame painted for the screen the key brings up: ``?`` opens the help screen, ``?``
again closes it and the run screen is painted back. The help screen's table must be filled
before its frame counts. The baseline is the same toggling on the same run screen with no output
flowing (the run waits on a ``confirm`` step before the flood starts).

**Memory.** RSS (``VmRSS``) of the same child idle on the run screen, then after a step has
printed 1,000,000 lines through the TUI (the live pane keeps a bounded tail; the journal keeps
every line, which the child checks).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import Figure, compared

ROOT = Path(__file__).resolve().parents[1]
AREA = "UI under load"

GENERATOR = '''
"""Print LINES lines at RATE lines/s in paced batches every 10 ms (RATE 0: as fast as possible)."""
import sys, time
lines, rate = int(sys.argv[1]), float(sys.argv[2])
out = sys.stdout
began = time.monotonic()
written = 0
batch = 100 if rate else 2000
while written < lines:
    if rate:
        due = began + written / rate
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
    count = min(batch, lines - written)
    out.write("".join(
        f"{n:07d} GET /api/orders/{n % 997} 200 {n % 83}ms cache=hit\\n"
        for n in range(written, written + count)
    ))
    out.flush()
    written += count
'''

PLAYBOOK = """
name: ui-load-bench
version: "1"
phases:
  - id: load
    title: Load
    steps:
      - id: ready
        kind: confirm
        title: Ready to start the flood
      - id: flood
        kind: local
        title: Stream output
        timeout: 30m
        command: {command}
      - id: done
        kind: confirm
        title: The flood is over
"""


# -- the child -----------------------------------------------------------------------------------


def _rss_mb() -> tuple[float, float]:
    """(VmRSS, VmHWM) of this process in MB."""
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            key, amount, _ = line.split()
            values[key] = int(amount) / 1024
    return values["VmRSS:"], values["VmHWM:"]


def _timed_app(**kwargs: Any) -> Any:
    """The real app, plus a timestamp at the end of every painted frame (see the docstring)."""
    from textual.widgets import DataTable

    from deploytui.ui.app import DeployApp
    from deploytui.ui.screens.help import HelpScreen

    class TimedApp(DeployApp):
        def __init__(self, **inner: Any) -> None:
            super().__init__(**inner)
            self.want: type | None = None
            self.painted: float | None = None
            self.frames = 0

        def _display(self, screen: Any, renderable: Any) -> None:
            super()._display(screen, renderable)
            if renderable is None or self._batch_count:
                return
            render_segments = getattr(renderable, "render_segments", None)
            if self.is_headless and render_segments is not None:
                render_segments(self.console)  # what a terminal write would cost
            now = time.perf_counter()
            self.frames += 1
            if self.want is None or screen is not self.screen or not isinstance(screen, self.want):
                return
            if isinstance(screen, HelpScreen) and not screen.query_one(DataTable).row_count:
                return
            self.painted = now
            self.want = None

    return TimedApp(**kwargs)


async def _toggle(app: Any) -> float:
    """Press ``?`` and return seconds until the frame showing its effect is painted."""
    from textual import events

    from deploytui.ui.screens.help import HelpScreen
    from deploytui.ui.screens.run import RunScreen

    app.want = RunScreen if isinstance(app.screen, HelpScreen) else HelpScreen
    app.painted = None
    began = time.perf_counter()
    app._driver.send_message(events.Key("question_mark", "?"))
    while app.painted is None:
        _check(app)
        if time.perf_counter() - began > 30:
            raise RuntimeError("no frame painted within 30 s of the key")
        await asyncio.sleep(0.001)
    return float(app.painted - began)


def _check(app: Any) -> None:
    if app._exception is not None:
        raise RuntimeError(f"the app crashed: {app._exception!r}")


async def _toggle_pair(app: Any, gap: float) -> tuple[float, float]:
    """Open the help screen and close it again: the latency of each."""
    opened = await _toggle(app)
    await asyncio.sleep(gap)
    closed = await _toggle(app)
    await asyncio.sleep(gap)
    return opened, closed


async def _wait(app: Any, condition: Any, what: str, timeout: float = 600.0) -> None:
    began = time.monotonic()
    while not condition():
        _check(app)
        if time.monotonic() - began > timeout:
            raise RuntimeError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def _setup(folder: Path, lines: int, rate: float) -> tuple[Any, Any]:
    from deploytui.journal import Journal
    from deploytui.ui.config import UiConfig
    from deploytui.ui.session import start_session

    generator = folder / "gen.py"
    generator.write_text(GENERATOR, encoding="utf-8")
    command = " ".join(shlex.quote(part) for part in (sys.executable, str(generator)))
    playbook = folder / "playbook.yaml"
    playbook.write_text(
        PLAYBOOK.format(command=json.dumps(f"{command} {lines} {rate}")), encoding="utf-8"
    )
    journal = Journal(folder / "journal.db")
    session = start_session(journal, str(playbook), operator_name="bench")
    app = _timed_app(
        journal=journal, operator_name="bench", session=session, config=UiConfig(), cwd=folder
    )
    return app, session


def _run_screen(app: Any) -> Any:
    from deploytui.ui.screens.run import RunScreen

    return next(screen for screen in app.screen_stack if isinstance(screen, RunScreen))


async def _waiting_on(app: Any, step_id: str) -> Any:
    """Wait until the run waits on the ``confirm`` step ``step_id`` (no output flowing)."""
    from deploytui.ui.bridge import Ask
    from deploytui.ui.screens.run import RunScreen

    def waiting() -> bool:
        screens = [s for s in app.screen_stack if isinstance(s, RunScreen)]
        pending = screens[0].pending if screens else None
        return bool(pending and pending.ask == Ask.acknowledge and pending.step.id == step_id)

    await _wait(app, waiting, f"the run to wait on {step_id}")
    await asyncio.sleep(0.5)  # let the work of getting there settle before measuring
    return _run_screen(app)


async def _waiting_on_ready(app: Any) -> Any:
    return await _waiting_on(app, "ready")


async def _latency(folder: Path, seconds: float, rate: float, gap: float) -> dict[str, Any]:
    from deploytui.ui.widgets.output_pane import OutputPane

    lines = int(seconds * rate)
    app, session = _setup(folder, lines, rate)
    result: dict[str, Any] = {}
    async with app.run_test(size=(120, 40)):
        screen = await _waiting_on_ready(app)
        # Half the idle baseline before the flood and half after it, so a change in the load
        # other processes put on the machine during the run weighs on both sides alike.
        idle = [await _toggle_pair(app, gap) for _ in range(max(1, int(seconds / gap / 4)))]
        pane = screen.query_one(OutputPane)
        screen.action_proceed()
        await _wait(app, lambda: pane.total_lines > 0, "the flood to start")
        began, first = time.perf_counter(), pane.total_lines
        loaded = []
        # Toggle while the step is still streaming; the last sample must start mid-flood.
        while screen.shown.status.value == "running" and pane.total_lines < lines:
            loaded.append(await _toggle_pair(app, gap))
        elapsed = time.perf_counter() - began
        arrived = pane.total_lines - first
        await _waiting_on(app, "done")
        idle += [await _toggle_pair(app, gap) for _ in range(len(idle))]
        screen.action_proceed()
        await _wait(app, lambda: screen.ended, "the run to end")
        result = {
            "idle": [value for pair in idle for value in pair],
            "loaded": [value for pair in loaded for value in pair],
            "lines_shown": pane.total_lines,
            "rate": arrived / elapsed if elapsed else 0.0,
            "flood_seconds": elapsed,
            "frames": app.frames,
            "outcome": session.outcome.status.value if session.outcome else None,
        }
        app.exit(0)
    return result


async def _memory(folder: Path, lines: int) -> dict[str, Any]:
    app, session = _setup(folder, lines, 0)
    result: dict[str, Any] = {}
    async with app.run_test(size=(120, 40)):
        screen = await _waiting_on_ready(app)
        gc.collect()
        idle_rss, _ = _rss_mb()
        began = time.perf_counter()
        screen.action_proceed()
        await _wait(app, lambda: screen.current_step == "done", "the flood to end", timeout=1800)
        elapsed = time.perf_counter() - began
        await _waiting_on(app, "done")
        gc.collect()
        rss, peak = _rss_mb()
        journaled = len(session.journal.output(session.run_id, "flood"))
        screen.action_proceed()
        await _wait(app, lambda: screen.ended, "the run to end")
        result = {
            "idle_rss": idle_rss,
            "rss": rss,
            "peak_rss": peak,
            "seconds": elapsed,
            "journaled_lines": journaled,
            "outcome": session.outcome.status.value if session.outcome else None,
        }
        app.exit(0)
    return result


def _child(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["latency", "memory"])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=10_000.0)
    parser.add_argument("--gap", type=float, default=0.1)
    parser.add_argument("--lines", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="deploytui-bench-ui-") as folder:
        if args.mode == "latency":
            result = asyncio.run(_latency(Path(folder), args.seconds, args.rate, args.gap))
        else:
            result = asyncio.run(_memory(Path(folder), args.lines))
    print("RESULT " + json.dumps(result))


# -- the parent ----------------------------------------------------------------------------------


def _spawn(*args: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="deploytui-bench-ui-xdg-") as home:
        env = {
            **os.environ,
            "XDG_CONFIG_HOME": f"{home}/config",
            "XDG_DATA_HOME": f"{home}/data",
            "XDG_STATE_HOME": f"{home}/state",
            "PYTHONPATH": str(ROOT),
        }
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.bench_ui", "--child", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=1800,
        )
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])  # type: ignore[no-any-return]
    raise RuntimeError(f"bench_ui child {args} failed:\n{done.stdout[-2000:]}{done.stderr[-4000:]}")


def _percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (no interpolation: every reported value was observed)."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))
    return ordered[index]


def run(quick: bool) -> list[Figure]:
    seconds = 4.0 if quick else 10.0
    rate = 10_000.0
    lines = 250_000 if quick else 1_000_000
    latency = _spawn("latency", "--seconds", str(seconds), "--rate", str(rate))
    idle = [value * 1000 for value in latency["idle"]]
    loaded = [value * 1000 for value in latency["loaded"]]
    flood = (
        f"while a local step streams {rate:,.0f} lines/s for {seconds:g} s "
        f"(arrived at {latency['rate']:,.0f} lines/s on screen)"
    )
    how = (
        f"'?' toggles the help screen; from the key (posted through the driver) to the end of "
        f"the first frame showing it, serialised as terminal bytes; {len(loaded)} presses under "
        f"load, {len(idle)} idle; baseline: the same on the run screen with no output flowing"
    )
    figures = []
    for label, fraction, target in (("p50", 0.5, None), ("p95", 0.95, 50.0), ("max", 1.0, None)):
        value = _percentile(loaded, fraction)
        base = _percentile(idle, fraction)
        figures.append(
            compared(
                Figure(
                    area=AREA,
                    name=f"key-to-paint {label} {flood}",
                    value=round(value, 1),
                    unit="ms",
                    baseline_name=f"key-to-paint {label}, idle run screen",
                    baseline_value=round(base, 1),
                    target="p95 < 50 ms" if target else "",
                    target_kind="value_max" if target else "none",
                    target_value=target,
                    notes=how if label == "p95" else "",
                )
            )
        )
    memory = _spawn("memory", "--lines", str(lines))
    figures.append(
        compared(
            Figure(
                area=AREA,
                name=f"RSS after {lines:,} output lines through the TUI",
                value=round(memory["rss"], 1),
                unit="MB",
                baseline_name="RSS of the same app idle on the run screen",
                baseline_value=round(memory["idle_rss"], 1),
                target="< 200 MB",
                target_kind="value_max",
                target_value=200.0,
                notes=(
                    f"peak RSS {memory['peak_rss']:.0f} MB; the step took "
                    f"{memory['seconds']:.1f} s ({lines / memory['seconds']:,.0f} lines/s); "
                    f"the journal holds {memory['journaled_lines']:,} of its lines"
                ),
            )
        )
    )
    return figures


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(sys.argv[2:])
    else:
        for figure in run(quick="--quick" in sys.argv):
            print(figure.model_dump_json())
            print(f"  met: {figure.met}  ratio: {figure.ratio}")
