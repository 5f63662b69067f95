"""Run the benchmarks and write docs/performance.md.

``python -m benchmarks.run [--quick] [--only AREA ...]`` imports every ``benchmarks/bench_*.py``
module, calls its ``run(quick)`` (a list of ``Figure``), and writes one table per area with the
baseline measured in the same run, the ratio, the target and whether it is met, plus the machine
it ran on (these machines are shared: the load average at start and end says how busy it was),
the date, the command to reproduce, and each module's notes on method. ``--only`` runs some
areas and prints their tables without touching docs/performance.md (unless ``--output`` is
given). A benchmark that crashes is reported in the document instead of stopping the others.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import os
import platform
import subprocess
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.common import Figure
from benchmarks.procs import ROOT

ORDER = ("fanout", "journal", "startup", "ui", "history", "import")
DEFAULT_OUTPUT = ROOT / "docs" / "performance.md"


def discover() -> list[str]:
    """Names of the bench_*.py modules, in the order of the issue's list, then the rest."""
    names = sorted(path.stem[len("bench_") :] for path in (ROOT / "benchmarks").glob("bench_*.py"))
    rank = {name: index for index, name in enumerate(ORDER)}
    return sorted(names, key=lambda name: (rank.get(name, len(ORDER)), name))


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def machine() -> dict[str, str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in _read("/proc/cpuinfo").splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    mem_kb = next(
        (
            int(line.split()[1])
            for line in _read("/proc/meminfo").splitlines()
            if line.startswith("MemTotal:")
        ),
        0,
    )
    os_name = next(
        (
            line.split("=", 1)[1].strip('"')
            for line in _read("/etc/os-release").splitlines()
            if line.startswith("PRETTY_NAME=")
        ),
        platform.system(),
    )
    return {
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "RAM": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "Python": platform.python_version(),
        "OS": f"{os_name}, kernel {platform.release()}",
    }


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def revision() -> str:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return f"{commit}{' + uncommitted changes' if dirty else ''}" if commit else "unknown"


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return ""
    if unit == "s":
        return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"
    if unit == "ms":
        return f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"
    if unit in {"events/s", "lines/s"} or value >= 1000:
        return f"{value:,.0f} {unit}"
    if unit == "modules":
        return f"{value:.0f}"
    return f"{value:.1f} {unit}"


def table(figures: list[Figure]) -> list[str]:
    lines = [
        "| figure | value | baseline | ratio | target | met |",
        "|---|---:|---|---:|---|:-:|",
    ]
    for figure in figures:
        baseline = (
            f"{fmt(figure.baseline_value, figure.unit)} ({figure.baseline_name})"
            if figure.baseline_value is not None
            else (figure.baseline_name or "")
        )
        ratio = f"{figure.ratio:.2f}×" if figure.ratio is not None else ""
        met = {True: "✓", False: "✗", None: ""}[figure.met]
        cells = [figure.name, fmt(figure.value, figure.unit), baseline, ratio, figure.target, met]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return lines


def section(
    name: str, module: object, figures: list[Figure], error: str | None, took: float
) -> str:
    area = figures[0].area if figures else name
    lines = [f"## {area}", ""]
    if figures:
        lines += table(figures)
        lines.append("")
    if error:
        lines += ["**The benchmark failed:**", "", "```", error.rstrip(), "```", ""]
    method = inspect.cleandoc(getattr(module, "__doc__", "") or "").replace("``", "`")
    lines += [f"Method (`benchmarks/bench_{name}.py`, {took:.0f} s): {method}", ""]
    noted = [figure for figure in figures if figure.notes]
    if noted:
        lines += [f"- {figure.name}: {figure.notes}" for figure in noted]
        lines.append("")
    return "\n".join(lines)


def document(
    sections: list[str],
    figures: list[Figure],
    *,
    command: str,
    started: str,
    load_start: str,
    load_end: str,
    took: float,
    quick: bool,
) -> str:
    targets = [figure for figure in figures if figure.met is not None]
    met = sum(1 for figure in targets if figure.met)
    facts = machine()
    head = [
        "# Performance",
        "",
        "deploytui measured side by side with what a user would otherwise run, on the same machine "
        "in the same run. Absolute times drift between runs on these shared machines, so every "
        "figure that has a target is judged as a ratio against a baseline measured moments "
        "before or after it (the tools take turns within each repeat); the few absolute targets "
        "are noted as such. Benchmarks are not tests: nothing in the test suite asserts a time.",
        "",
        f"**{met} of {len(targets)} targets met** in this run"
        + (" (quick mode: fewer repeats)" if quick else "")
        + ".",
        "",
        "| machine | |",
        "|---|---|",
        *[f"| {key} | {value} |" for key, value in facts.items()],
        f"| load average (1/5/15 min) at start | {load_start} |",
        f"| load average (1/5/15 min) at end | {load_end} |",
        f"| date | {started} |",
        f"| revision | {revision()} |",
        f"| total time | {took:.0f} s |",
        "",
        "The machine has 2 cores shared with other work: a load average above 2 means the "
        "figures waited for a core, which stretches wall times of both sides of a ratio.",
        "",
        "Reproduce (from the repository root, after `make setup`; the fan-out benchmark needs "
        "openssh-server, which `make test-setup` installs):",
        "",
        "```sh",
        command,
        "```",
        "",
        "`make bench` runs the full benchmark (`python -m benchmarks.run`); `--quick` takes fewer "
        "repeats and `--only AREA` runs one area without touching this file.",
        "",
    ]
    return "\n".join(head + sections)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats (about half the time)")
    parser.add_argument(
        "--only",
        action="append",
        metavar="AREA",
        help=f"run only these areas ({', '.join(discover())}); may be repeated",
    )
    parser.add_argument("--output", help=f"where to write the report (default {DEFAULT_OUTPUT})")
    args = parser.parse_args(argv)
    names = discover()
    if args.only:
        unknown = sorted(set(args.only) - set(names))
        if unknown:
            parser.error(f"unknown area {', '.join(unknown)}; choose from {', '.join(names)}")
        names = [name for name in names if name in args.only]
    output = Path(args.output) if args.output else (None if args.only else DEFAULT_OUTPUT)

    command = "python -m benchmarks.run" + (" --quick" if args.quick else "")
    command += "".join(f" --only {name}" for name in args.only or [])
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    load_start = load_average()
    began = time.monotonic()
    sections: list[str] = []
    everything: list[Figure] = []
    failures = 0
    for name in names:
        print(f"[{time.strftime('%H:%M:%S')}] {name} …", file=sys.stderr, flush=True)
        area_began = time.monotonic()
        module: object = None
        figures: list[Figure] = []
        error = None
        try:
            module = importlib.import_module(f"benchmarks.bench_{name}")
            figures = list(module.run(args.quick))  # type: ignore[attr-defined]
        except Exception:  # one broken benchmark must not lose the others' figures
            error = traceback.format_exc()
            failures += 1
        took = time.monotonic() - area_began
        everything.extend(figures)
        text = section(name, module, figures, error, took)
        sections.append(text)
        print(text, file=sys.stderr, flush=True)
    report = document(
        sections,
        everything,
        command=command,
        started=started,
        load_start=load_start,
        load_end=load_average(),
        took=time.monotonic() - began,
        quick=args.quick,
    )
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(report)
        print(f"wrote {output}", file=sys.stderr)
    else:
        print(report)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
