"""Run a ``local`` step: a shell command on the operator's machine, output streamed by line.

The command runs in its own process group so a timeout or an abort stops it and everything it
started (TERM, then KILL after a grace period). Lines are read as bytes with a length cap so a
binary or newline-free stream cannot exhaust memory.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import threading
import time
from typing import IO

from deploytui.executors.base import CANCELLED, ExecContext, ExecResult
from deploytui.model.steps import LocalStep, StepBase
from deploytui.model.values import format_duration

MAX_LINE_BYTES = 64 * 1024
KILL_GRACE_SECONDS = 3.0


# Lines read but not yet handed to the run: a command printing faster than the run journals
# and shows its output then waits on its pipe, instead of its output piling up in memory (a
# million lines printed at full speed held over 100 MB here before this bound).
MAX_QUEUED_LINES = 10_000


def _pump(
    stream: IO[bytes],
    name: str,
    lines: queue.Queue[tuple[str, str | None]],
    done: threading.Event,
) -> None:
    def put(item: tuple[str, str | None]) -> bool:
        while True:
            try:
                lines.put(item, timeout=0.2)
                return True
            except queue.Full:
                if done.is_set():  # the step is over: nobody reads any more
                    return False

    try:
        while True:
            chunk = stream.readline(MAX_LINE_BYTES)
            if not chunk:
                break
            if not put((name, chunk.decode("utf-8", errors="replace").rstrip("\r\n"))):
                return
    finally:
        put((name, None))


def stop_process_group(process: subprocess.Popen[bytes]) -> None:
    """TERM the command's process group, then KILL it if it lingers."""
    for sig, wait in ((signal.SIGTERM, KILL_GRACE_SECONDS), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _seconds_text(seconds: float) -> str:
    """Short timeouts as "0.5s" (format_duration would round them to "0s"), longer as "5m"."""
    return f"{seconds:g}s" if seconds < 60 else format_duration(seconds)


SECRET_ENV_PREFIX = "DEPLOYTUI_SECRET_"


class LocalExecutor:
    kind = "local"

    def execute(self, step: StepBase, ctx: ExecContext) -> ExecResult:
        assert isinstance(step, LocalStep)
        # The operator's DEPLOYTUI_SECRET_* variables are not passed on: a command gets only the
        # secrets its step hands it (``env: {X: "{{ secrets.x }}"}``), so a tool that dumps or
        # logs its environment cannot spill every secret of the run.
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(SECRET_ENV_PREFIX)}
        env = {**inherited, **step.env}
        cwd = os.path.expanduser(step.cwd) if step.cwd else None
        if cwd and not os.path.isdir(cwd):
            return ExecResult(ok=False, reason=f"working directory {cwd} does not exist")
        try:
            process = subprocess.Popen(
                ["/bin/sh", "-c", step.command],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=cwd,
                env=env,
                start_new_session=True,
            )
        except OSError as error:
            return ExecResult(ok=False, reason=f"cannot start the command: {error.strerror}")
        lines: queue.Queue[tuple[str, str | None]] = queue.Queue(maxsize=MAX_QUEUED_LINES)
        done = threading.Event()
        assert process.stdout is not None and process.stderr is not None
        pumps = [
            threading.Thread(
                target=_pump, args=(process.stdout, "stdout", lines, done), daemon=True
            ),
            threading.Thread(
                target=_pump, args=(process.stderr, "stderr", lines, done), daemon=True
            ),
        ]
        for pump in pumps:
            pump.start()
        deadline = time.monotonic() + step.timeout if step.timeout else None
        open_streams = 2
        stopped: str | None = None
        exited_at: float | None = None
        while open_streams:
            # A background child can keep the pipes open after the command itself has exited.
            if exited_at is None and process.poll() is not None:
                exited_at = time.monotonic()
            if exited_at is not None and time.monotonic() - exited_at > 2.0 and lines.empty():
                break
            try:
                name, line = lines.get(timeout=0.1)
            except queue.Empty:
                name, line = "", ""
            if line is None:
                open_streams -= 1
            elif name:
                ctx.output(name, line)
            if stopped:
                continue
            if ctx.cancelled.is_set():
                stopped = CANCELLED
            elif deadline is not None and time.monotonic() > deadline:
                stopped = f"timed out after {_seconds_text(step.timeout or 0)}"
            if stopped:
                stop_process_group(process)
        done.set()
        code = process.wait()
        for pump in pumps:
            pump.join(timeout=1)
        details = {"exit_code": code}
        if stopped:
            return ExecResult(
                ok=False,
                reason=f"the command was {stopped}"
                if stopped == CANCELLED
                else f"the command {stopped}",
                details=details,
            )
        if code not in step.expect_exit:
            expected = " or ".join(str(item) for item in step.expect_exit)
            return ExecResult(
                ok=False,
                reason=f"the command exited with {code} (expected {expected})",
                details=details,
            )
        return ExecResult(ok=True, details=details)
