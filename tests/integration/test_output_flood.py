"""A local command that prints faster than the run can take its output waits on its pipe: the
lines read ahead of the run are bounded (``MAX_QUEUED_LINES``), so a flood cannot pile up in
memory, and every line still arrives, in order."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from deploytui.executors.base import ExecContext
from deploytui.executors.local import MAX_QUEUED_LINES, LocalExecutor
from deploytui.model.steps import LocalStep

LINES = 6 * MAX_QUEUED_LINES  # far more than the bound plus a pipe's buffer
STALL_SECONDS = 3.0


def test_a_flooding_command_waits_for_a_stalled_reader(tmp_path: Path) -> None:
    finished = tmp_path / "finished"
    step = LocalStep.model_validate(
        {
            "id": "flood",
            "kind": "local",
            "title": "Flood",
            "command": f"seq 1 {LINES}; touch {finished}",
        }
    )
    seen: list[str] = []
    finished_while_stalled: list[bool] = []

    def output(stream: str, text: str) -> None:
        if not seen:
            # Stall on the first line. Without a bound the reader thread would swallow all of
            # the output meanwhile and the command would finish; with it, it must wait.
            began = time.monotonic()
            while time.monotonic() - began < STALL_SECONDS and not finished.exists():
                time.sleep(0.05)
            finished_while_stalled.append(finished.exists())
        seen.append(text)

    ctx = ExecContext(
        run_id="r", step_id="flood", attempt=1, output=output, cancelled=threading.Event()
    )
    result = LocalExecutor().execute(step, ctx)
    assert result.ok, result.reason
    assert finished_while_stalled == [False]
    assert seen == [str(number) for number in range(1, LINES + 1)]
    assert finished.exists()
