"""What every benchmark reports: a figure, the baseline measured in the same run, the ratio.

Absolute times drift between runs on these shared machines, so each figure is judged as a
ratio against a baseline measured moments before or after it, in the same process run.
``benchmarks/run.py`` collects the figures of every ``bench_*.py`` module (each exposes
``run(quick: bool) -> list[Figure]``) and writes ``docs/performance.md``.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, Field


class Figure(BaseModel):
    """One measured line of docs/performance.md."""

    area: str = Field(description="Section: fan-out, journal, start-up, UI, history, import.")
    name: str = Field(description="What was measured, e.g. 'ssh step, N=50 hosts'.")
    value: float
    unit: str = Field(description="s, ms, events/s, MB, bytes/event...")
    baseline_name: str | None = Field(default=None, description="e.g. 'raw paramiko threads'.")
    baseline_value: float | None = None
    ratio: float | None = Field(default=None, description="value / baseline_value.")
    target: str = Field(default="", description="As the issue states it: '≤ 1.2× raw paramiko'.")
    target_kind: Literal["ratio_max", "ratio_min", "value_max", "none"] = "none"
    target_value: float | None = None
    notes: str = ""

    @property
    def met(self) -> bool | None:
        if self.target_kind == "none" or self.target_value is None:
            return None
        if self.target_kind == "value_max":
            return self.value <= self.target_value
        if self.ratio is None:
            return None
        if self.target_kind == "ratio_max":
            return self.ratio <= self.target_value
        return self.ratio >= self.target_value


def compared(figure: Figure) -> Figure:
    """Fill in the ratio from value and baseline."""
    if figure.baseline_value:
        figure.ratio = figure.value / figure.baseline_value
    return figure


def median_seconds(action: Callable[[], object], repeats: int = 5) -> float:
    """Median wall time of ``action`` over ``repeats`` runs."""
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        action()
        times.append(time.perf_counter() - began)
    return statistics.median(times)
