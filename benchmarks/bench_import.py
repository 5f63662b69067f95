"""Import: converting each shipped Markdown checklist (../shared/checklists) into a playbook.

Timed in-process around ``deploytui.importer.import_file`` (what ``deploytui import`` calls:
read, parse, build, validate, render YAML), after one warm-up call so module imports are not
counted; median of 5 (3 with --quick). The target is absolute: < 100 ms each.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from benchmarks.common import Figure
from benchmarks.procs import ROOT

AREA = "import"
CHECKLISTS = ROOT.parent / "shared" / "checklists"


def checklists() -> list[Path]:
    return sorted(CHECKLISTS.glob("*.md"))


def run(quick: bool) -> list[Figure]:
    from deploytui.importer import import_file

    repeats = 3 if quick else 5
    figures = []
    for path in checklists():
        result = import_file(path)  # warm-up (imports, caches)
        times, cpu = [], []
        for _ in range(repeats):
            began, began_cpu = time.perf_counter(), time.process_time()
            import_file(path)
            times.append(time.perf_counter() - began)
            cpu.append(time.process_time() - began_cpu)
        steps = sum(1 for _ in result.playbook.ordered_steps())
        figures.append(
            Figure(
                area=AREA,
                name=f"import {path.name} ({path.stat().st_size // 1024} KB, {steps} steps)",
                value=statistics.median(times) * 1000,
                unit="ms",
                target="< 100 ms",
                target_kind="value_max",
                target_value=100,
                notes="runs: "
                + ", ".join(f"{t * 1000:.0f}" for t in times)
                + f" ms; CPU time {statistics.median(cpu) * 1000:.0f} ms (wall time includes"
                " waiting for a core on a busy machine)",
            )
        )
    return figures
