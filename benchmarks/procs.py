"""Whole-process measurements: wall time and peak memory of one command, as a user would see it.

Every figure compares processes started the same way (a fresh interpreter each time), so start-up
costs are counted on both sides. Peak memory is the ``ru_maxrss`` that ``wait4`` reports for the
child (Linux: the largest resident set of the child or any of its waited-for descendants).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
PYTHON = sys.executable


def tool(name: str) -> str:
    """A console script of the venv this benchmark runs in (deploytui, ansible...)."""
    candidate = VENV_BIN / name
    return str(candidate) if candidate.exists() else name


@dataclass
class ProcessRun:
    seconds: float
    max_rss_mb: float
    cpu_seconds: float  # user + system time of the process and its waited-for children
    returncode: int
    output: str


def run_process(
    command: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | Path | None = None,
    timeout: float = 300.0,
    check: bool = True,
) -> ProcessRun:
    """Run ``command`` to completion; its wall time, peak RSS and combined output."""
    out_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-out-{os.getpid()}-{time.time_ns()}"
    with out_path.open("w+b") as out:
        began = time.perf_counter()
        process = subprocess.Popen(
            list(command),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=dict(env) if env is not None else None,
            cwd=cwd,
        )
        deadline = began + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                process.kill()
                pid, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.002)
        seconds = time.perf_counter() - began
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        output = out.read().decode("utf-8", errors="replace")
    out_path.unlink(missing_ok=True)
    if check and process.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} exited with {process.returncode}:\n{output[-3000:]}"
        )
    return ProcessRun(
        seconds,
        usage.ru_maxrss / 1024,
        usage.ru_utime + usage.ru_stime,
        process.returncode,
        output,
    )


@dataclass
class Summary:
    """Medians over repeated runs of one command."""

    seconds: float
    cpu_seconds: float
    max_rss_mb: float
    runs: list[ProcessRun]

    @classmethod
    def of(cls, runs: list[ProcessRun]) -> Summary:
        return cls(
            seconds=statistics.median(run.seconds for run in runs),
            cpu_seconds=statistics.median(run.cpu_seconds for run in runs),
            max_rss_mb=statistics.median(run.max_rss_mb for run in runs),
            runs=runs,
        )

    def spread(self) -> str:
        return ", ".join(f"{run.seconds:.2f}" for run in self.runs)


def interleaved(
    commands: Mapping[str, tuple[Sequence[str], Mapping[str, str] | None]],
    repeats: int,
    *,
    timeout: float = 300.0,
) -> dict[str, Summary]:
    """Run each command ``repeats`` times, taking turns, so load from elsewhere hits them all."""
    runs: dict[str, list[ProcessRun]] = {name: [] for name in commands}
    for _ in range(repeats):
        for name, (command, env) in commands.items():
            runs[name].append(run_process(command, env=env, timeout=timeout))
    return {name: Summary.of(items) for name, items in runs.items()}


def bench_env(**extra: str) -> dict[str, str]:
    """The environment for measured processes: ours, with the repository's ``src`` importable."""
    env = dict(os.environ)
    env.update(extra)
    return env
