"""Run one ssh step's command on one host: stream its lines, enforce its timeout, stop it on cancel.

The remote shell prints its process id (a process group leader: sshd starts every session with
setsid) on a marker line before it execs the command, so a timeout or an abort can kill the whole
process group over a second channel instead of just closing ours, which would leave a
``sleep 3600`` running on the host. The command's stdin is /dev/null (sudo reads its password
from the channel first), ``cwd`` and ``env`` are applied inside the same shell, and every value
is shell-quoted.
"""

from __future__ import annotations

import os
import re
import select
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import paramiko

from deploytui.executors.base import CANCELLED, ExecContext, HostKey
from deploytui.executors.ssh_pool import ConnectionPool, SshFailure
from deploytui.model.ssh_step import SshStep
from deploytui.model.values import format_duration

MAX_LINE_BYTES = 64 * 1024
MAX_KEPT_LINES = 10_000  # per host and stream, for captures only
POLL_SECONDS = 0.02
# How long a host's reader sleeps when nothing happens. Output, EOF and the channel closing wake
# it at once (see ``_waiter``), so this only bounds how soon a cancel or timeout is noticed.
# (Polling every 20 ms made 50 hosts' readers wake 2,500 times a second for nothing.)
WAIT_SECONDS = 0.1
EXIT_GRACE_SECONDS = 2.0  # output still held open by a background child after the exit status
PID_WAIT_SECONDS = 5.0  # a stop that comes before the remote shell even reported its pid
# TERM the group, give it about a second, then KILL. (``kill -0`` also sees orphaned zombies that
# a container's init never reaps, so a longer polite wait would only add delay.)
KILL_SCRIPT = (
    "kill -TERM -- -{pid} 2>/dev/null; i=0; while [ $i -lt 5 ]; do "
    "kill -0 -- -{pid} 2>/dev/null || exit 0; sleep 0.2; i=$((i+1)); done; "
    "kill -KILL -- -{pid} 2>/dev/null; exit 0"
)

Emit = Callable[[str, str], None]


@dataclass
class HostOutcome:
    """How one host did; ``detail()`` is what goes into the journal."""

    host: str
    ok: bool
    status: str  # succeeded | failed | not_started | cancelled
    exit_code: int | None = None
    reason: str | None = None
    short: str | None = None
    duration: float = 0.0
    batch: int = 0
    reconnected: bool = False
    unknown_key: HostKey | None = None
    changed_key: HostKey | None = None
    known_hosts: str | None = None
    lines: dict[str, list[str]] = field(default_factory=lambda: {"stdout": [], "stderr": []})

    def detail(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "host": self.host,
            "ok": self.ok,
            "status": self.status,
            "exit_code": self.exit_code,
            "reason": self.reason,
            "duration": round(self.duration, 3),
            "batch": self.batch,
        }
        if self.reconnected:
            data["reconnected"] = True
        if self.changed_key is not None:
            data["host_key"] = self.changed_key.model_dump(exclude={"key_base64"})
        elif self.unknown_key is not None:
            data["host_key"] = self.unknown_key.model_dump(exclude={"key_base64"})
        return data


def _cd(cwd: str) -> str:
    if cwd == "~" or cwd.startswith("~/"):
        rest = cwd[2:]
        return 'cd -- "$HOME"' + (f"/{shlex.quote(rest)}" if rest else "")
    return f"cd -- {shlex.quote(cwd)}"


def remote_command(step: SshStep, marker: str) -> str:
    """The exact text sent to the host's sshd for ``step`` (no secrets in it)."""
    parts = ["exec </dev/null"]
    if step.cwd:
        parts.append(_cd(step.cwd) + " || exit 1")
    parts.extend(f"export {name}={shlex.quote(value)}" for name, value in step.env.items())
    parts.append(step.command)
    inner = shlex.quote("\n".join(parts))
    if step.sudo:
        user = f"-u {shlex.quote(step.sudo_user)} " if step.sudo_user else ""
        mode = "-S -p ''" if step.sudo_password else "-n"
        run = f"exec sudo {mode} {user}-- /bin/sh -c {inner}"
    else:
        run = f"exec /bin/sh -c {inner}"
    return f'echo "{marker} $$" >&2; {run}'


class _Lines:
    """Split a byte stream into lines (length-capped), decoding each as UTF-8."""

    def __init__(self) -> None:
        self.buffer = bytearray()

    def feed(self, data: bytes) -> list[str]:
        self.buffer.extend(data)
        lines = []
        while True:
            end = self.buffer.find(b"\n")
            if end < 0:
                if len(self.buffer) >= MAX_LINE_BYTES:
                    end = MAX_LINE_BYTES - 1
                else:
                    break
            chunk = bytes(self.buffer[: end + 1])
            del self.buffer[: end + 1]
            lines.append(chunk.decode("utf-8", errors="replace").rstrip("\r\n"))
        return lines

    def rest(self) -> list[str]:
        if not self.buffer:
            return []
        text = bytes(self.buffer).decode("utf-8", errors="replace").rstrip("\r\n")
        self.buffer.clear()
        return [text]


def _waiter(channel: paramiko.Channel) -> Callable[[], None]:
    """A function that sleeps until the channel has output, EOF or closes (or WAIT_SECONDS).

    paramiko's ``Channel.fileno()`` is a pipe set whenever data arrives on stdout or stderr and
    kept set after EOF or close; from then on only the exit status can still arrive, so the wait
    is on that instead. ``poll`` rather than ``select``: no limit on descriptor numbers.
    """
    try:
        poller = select.poll()
        poller.register(channel.fileno(), select.POLLIN)
    except (OSError, ValueError, AttributeError):
        return lambda: time.sleep(POLL_SECONDS)

    def wait() -> None:
        if channel.eof_received or channel.closed:
            channel.status_event.wait(WAIT_SECONDS)
        else:
            poller.poll(WAIT_SECONDS * 1000)

    return wait


def _open_session(pool: ConnectionPool, host: str) -> tuple[paramiko.Channel, bool]:
    """A session channel on the pooled connection; reconnect once if it died unnoticed."""
    connection = pool.get(host)
    reconnected = connection.reconnected
    for attempt in (1, 2):
        transport = connection.client.get_transport()
        try:
            if transport is None:
                raise EOFError("no transport")
            return transport.open_session(), reconnected
        except (paramiko.SSHException, EOFError, OSError):
            if attempt == 2:
                raise SshFailure(
                    f"{host}: the connection was lost and could not be reopened", "lost connection"
                ) from None
            pool.drop(host)
            connection = pool.get(host)
            reconnected = True
    raise AssertionError("unreachable")


def run_on_host(
    pool: ConnectionPool,
    host: str,
    step: SshStep,
    ctx: ExecContext,
    emit: Emit,
    *,
    sudo_password: str | None,
    keep_lines: bool,
) -> HostOutcome:
    """Connect (or reuse), run, stream, and report how it went. Never raises."""
    began = time.monotonic()
    try:
        channel, reconnected = _open_session(pool, host)
    except SshFailure as failure:
        return HostOutcome(
            host=host,
            ok=False,
            status="failed",
            reason=failure.reason,
            short=failure.short,
            duration=time.monotonic() - began,
            unknown_key=failure.unknown_key,
            changed_key=failure.changed_key,
            known_hosts=failure.known_hosts,
        )
    try:
        outcome = _stream(pool, host, channel, step, ctx, emit, sudo_password, keep_lines, began)
    except Exception as error:  # one host's surprise must not take the other hosts down
        channel.close()
        pool.drop(host)
        outcome = HostOutcome(
            host=host,
            ok=False,
            status="failed",
            reason=f"{host}: SSH failed during the command: {error.__class__.__name__}: {error}",
            short="ssh error",
            duration=time.monotonic() - began,
        )
    outcome.reconnected = reconnected
    return outcome


def _stream(
    pool: ConnectionPool,
    host: str,
    channel: paramiko.Channel,
    step: SshStep,
    ctx: ExecContext,
    emit: Emit,
    sudo_password: str | None,
    keep_lines: bool,
    began: float,
) -> HostOutcome:
    marker = "deploytui-pid-" + os.urandom(6).hex()
    outcome = HostOutcome(host=host, ok=False, status="failed")
    try:
        channel.exec_command(remote_command(step, marker))
        if step.sudo and sudo_password:
            channel.sendall((sudo_password + "\n").encode())
        channel.shutdown_write()
    except (paramiko.SSHException, EOFError, OSError) as error:
        channel.close()
        pool.drop(host)
        outcome.reason = f"{host}: could not start the command: {error}"
        outcome.short = "could not start"
        outcome.duration = time.monotonic() - began
        return outcome
    splitters = {"stdout": _Lines(), "stderr": _Lines()}
    pid: int | None = None
    marker_pattern = re.compile(rf"^{marker} (\d+)$")

    def deliver(stream: str, lines: list[str]) -> None:
        nonlocal pid
        for line in lines:
            if stream == "stderr" and pid is None:
                found = marker_pattern.match(line)
                if found:
                    pid = int(found.group(1))
                    continue
            emit(stream, line)
            if keep_lines and len(outcome.lines[stream]) < MAX_KEPT_LINES:
                outcome.lines[stream].append(line)

    command_began = time.monotonic()
    deadline = command_began + step.timeout if step.timeout else None
    wait = _waiter(channel)
    stopped: str | None = None
    status_at: float | None = None
    while True:
        moved = False
        if channel.recv_ready():
            data = channel.recv(65536)
            deliver("stdout", splitters["stdout"].feed(data))
            moved = bool(data)
        if channel.recv_stderr_ready():
            data = channel.recv_stderr(65536)
            deliver("stderr", splitters["stderr"].feed(data))
            moved = moved or bool(data)
        # Checked on every pass, so a command that never stops printing can still be stopped.
        if ctx.cancelled.is_set():
            stopped = CANCELLED
        elif deadline is not None and time.monotonic() > deadline:
            stopped = f"timed out after {format_duration(step.timeout or 0)}"
        if stopped:
            if pid is None:  # stopped before the shell reported its pid: wait for it briefly
                pid_by = time.monotonic() + PID_WAIT_SECONDS
                while pid is None and time.monotonic() < pid_by and not channel.closed:
                    if channel.recv_stderr_ready():
                        deliver("stderr", splitters["stderr"].feed(channel.recv_stderr(65536)))
                    else:
                        time.sleep(POLL_SECONDS)
            _kill(pool, host, pid)
            channel.close()
            break
        if moved:
            continue
        if channel.closed or (channel.eof_received and channel.exit_status_ready()):
            break
        if channel.exit_status_ready():
            status_at = status_at or time.monotonic()
            if time.monotonic() - status_at > EXIT_GRACE_SECONDS:
                break
        wait()
    for stream, splitter in splitters.items():
        deliver(stream, splitter.rest())
    outcome.duration = time.monotonic() - began
    transport = channel.get_transport()
    code = channel.exit_status if channel.status_event.is_set() else -1
    if stopped:
        outcome.status = "cancelled" if stopped == CANCELLED else "failed"
        outcome.reason = (
            f"{host}: the command was {stopped}"
            if stopped == CANCELLED
            else (f"{host}: the command {stopped}")
        )
        outcome.short = "cancelled" if stopped == CANCELLED else stopped
        return outcome
    if code == -1:
        if transport is None or not transport.is_active():
            pool.drop(host)
            outcome.reason = f"connection to {host} lost during the command"
            outcome.short = "connection lost"
        else:
            outcome.reason = f"{host}: the command ended without an exit status (killed?)"
            outcome.short = "no exit status"
        channel.close()
        return outcome
    channel.close()
    outcome.exit_code = code
    if code not in step.expect_exit:
        expected = " or ".join(str(item) for item in step.expect_exit)
        outcome.reason = f"{host}: the command exited with {code} (expected {expected})"
        outcome.short = f"exit {code}"
        return outcome
    outcome.ok = True
    outcome.status = "succeeded"
    return outcome


def _kill(pool: ConnectionPool, host: str, pid: int | None) -> None:
    """TERM, then KILL, the command's process group, over a second channel."""
    if pid is None:
        return
    try:
        transport = pool.get(host).client.get_transport()
        if transport is None:
            return
        killer = transport.open_session(timeout=5)
        killer.exec_command(KILL_SCRIPT.format(pid=pid))
        killer.status_event.wait(10)
        killer.close()
    except (paramiko.SSHException, EOFError, OSError, SshFailure):
        pass  # the connection is gone, and with it the session and its command
