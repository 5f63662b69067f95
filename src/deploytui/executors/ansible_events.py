"""Turn ansible-runner's event stream into deploytui output lines and per-host results.

Ansible reports each task result per host (``runner_on_ok``, ``runner_on_failed``...), each play,
and a final recap (``playbook_on_stats``). The output pane wants one readable line per task
result (``[web-01] changed: Install package``) as it happens; the journal wants per-host outcomes
(succeeded / failed / unreachable) with counts and the reason of the first failure, in the shape
the ssh step uses (``details["hosts"]``) so ``show``, the TUI and exports print them alike.
"""

from __future__ import annotations

import difflib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

COUNTS = ("ok", "changed", "failed", "unreachable", "skipped", "rescued", "ignored")
REASON_CHARS = 300  # a failure message is cut here in the one-line reason; output keeps it all


@dataclass
class HostTally:
    """What happened to one host over an Ansible run."""

    host: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    reason: str | None = None
    started: float | None = None
    finished: float | None = None
    batch: int | None = None

    @property
    def status(self) -> str:
        if self.counts["unreachable"]:
            return "unreachable"
        if self.counts["failed"]:
            return "failed"
        return "succeeded"

    def detail(self) -> dict[str, Any]:
        duration = (
            round(self.finished - self.started, 3)
            if self.started is not None and self.finished is not None
            else 0.0
        )
        detail: dict[str, Any] = {
            "host": self.host,
            "ok": self.status == "succeeded",
            "status": self.status,
            "exit_code": None,
            "reason": self.reason,
            "duration": duration,
            "tasks": dict(self.counts),
        }
        if self.batch is not None:
            detail["batch"] = self.batch
        return detail


def _message(result: dict[str, Any]) -> str:
    """The most useful one-line explanation in a task result."""
    text = _first_message(result).removeprefix("Task failed: ")
    if "ssh: " in text:  # "Data could not be sent to remote host … ssh: connect to host …"
        text = text[text.rindex("ssh: ") :]
    if text == "non-zero return code" and result.get("rc") is not None:
        stderr = str(result.get("stderr") or "").strip().splitlines()
        text = f"exit code {result['rc']}" + (f": {stderr[-1].strip()}" if stderr else "")
    return text


def _first_message(result: dict[str, Any]) -> str:
    for key in ("msg", "stderr", "reason", "module_stderr", "stdout"):
        value = result.get(key)
        if isinstance(value, str) and value.strip():
            lines = [line for line in value.strip().splitlines() if line.strip()]
            return lines[-1].strip() if key in {"stderr", "module_stderr"} else lines[0].strip()
    if result.get("rc") not in (None, 0):
        return f"exit code {result['rc']}"
    return ""


def _diff_lines(result: dict[str, Any]) -> list[str]:
    """``--diff`` output of a task result as unified-diff lines."""
    diffs = result.get("diff") or []
    if isinstance(diffs, dict):
        diffs = [diffs]
    lines: list[str] = []
    for item in diffs:
        if not isinstance(item, dict):
            continue
        if isinstance(item.get("prepared"), str):
            lines.extend(item["prepared"].splitlines())
            continue
        before, after = item.get("before"), item.get("after")
        if isinstance(before, str) and isinstance(after, str):
            lines.extend(
                line.rstrip("\n")
                for line in difflib.unified_diff(
                    before.splitlines(keepends=True),
                    after.splitlines(keepends=True),
                    fromfile=str(item.get("before_header", "before")),
                    tofile=str(item.get("after_header", "after")),
                )
            )
    return lines


class EventTranslator:
    """Feeds on ansible-runner events (``handle``) and keeps the per-host tallies."""

    def __init__(self, emit: Callable[[str, str], None], *, batch: int | None = None) -> None:
        self.emit = emit
        self.batch = batch
        self.hosts: dict[str, HostTally] = {}
        self.recap: dict[str, dict[str, int]] = {}
        self.plays: list[str] = []
        self.errors: list[str] = []  # ansible's own error lines (syntax errors, missing files)

    def _tally(self, host: str) -> HostTally:
        if host not in self.hosts:
            self.hosts[host] = HostTally(host=host, started=time.monotonic(), batch=self.batch)
        return self.hosts[host]

    def handle(self, event: dict[str, Any]) -> bool:
        """ansible-runner's ``event_handler``; returns False so events are not stored on disk."""
        kind = str(event.get("event", ""))
        data = event.get("event_data") or {}
        try:
            self._dispatch(kind, data, event)
        except Exception as error:  # a surprising event must never stop the run
            self.emit("stderr", f"deploytui: could not read an ansible event ({kind}): {error}")
        return False

    def _dispatch(self, kind: str, data: dict[str, Any], event: dict[str, Any]) -> None:
        if kind == "playbook_on_play_start":
            name = str(data.get("play") or data.get("name") or "")
            self.plays.append(name)
            self.emit("stdout", f"PLAY [{name}]")
        elif kind == "runner_on_start" and data.get("host"):
            self._tally(str(data["host"]))
        elif kind in {
            "runner_on_ok",
            "runner_on_failed",
            "runner_on_unreachable",
            "runner_on_skipped",
        }:
            self._result(kind, data)
        elif kind == "playbook_on_stats":
            self._stats(data)
        elif kind in {"verbose", "error", "warning", "deprecated"}:
            text = str(event.get("stdout") or "").strip()
            if text and ("ERROR" in text or "WARNING" in text or kind != "verbose"):
                for line in text.splitlines():
                    self.emit("stderr", line)
                if "ERROR" in text:
                    self.errors.append(text.splitlines()[0])

    def _result(self, kind: str, data: dict[str, Any]) -> None:
        host = str(data.get("host") or "?")
        tally = self._tally(host)
        tally.finished = time.monotonic()
        result = data.get("res") or {}
        if not isinstance(result, dict):
            result = {}
        task = str(data.get("task") or data.get("task_action") or "task")
        message = _message(result)
        if kind == "runner_on_ok":
            word = "changed" if result.get("changed") else "ok"
            tally.counts[word] += 1
            if word == "changed":
                tally.counts["ok"] += 1  # Ansible's recap counts changed tasks as ok too
            note = f" — {message}" if message and data.get("task_action") == "debug" else ""
            self.emit("stdout", f"[{host}] {word}: {task}{note}")
            for line in _diff_lines(result):
                self.emit("stdout", f"[{host}]   {line}")
        elif kind == "runner_on_skipped":
            tally.counts["skipped"] += 1
            self.emit("stdout", f"[{host}] skipped: {task}")
        elif kind == "runner_on_unreachable":
            tally.counts["unreachable"] += 1
            tally.reason = tally.reason or f"unreachable: {message or 'cannot connect'}"
            self.emit("stderr", f"[{host}] UNREACHABLE: {task} — {message}")
        elif data.get("ignore_errors"):
            tally.counts["ignored"] += 1
            self.emit("stderr", f"[{host}] failed (ignored): {task} — {message}")
        else:
            tally.counts["failed"] += 1
            tally.reason = tally.reason or f"{task}: {message or 'failed'}"[:REASON_CHARS]
            self.emit("stderr", f"[{host}] FAILED: {task} — {message}")

    def _stats(self, data: dict[str, Any]) -> None:
        """The play recap: Ansible's own per-host counts, printed like ansible-playbook does."""
        names = {
            "ok": "ok",
            "changed": "changed",
            "failures": "failed",
            "dark": "unreachable",
            "skipped": "skipped",
            "rescued": "rescued",
            "ignored": "ignored",
        }
        hosts = sorted(
            {host for key in names for host in (data.get(key) or {})}
            | set(data.get("processed") or {})
        )
        if not hosts:
            return
        self.emit("stdout", "PLAY RECAP")
        for host in hosts:
            counts = {
                ours: int((data.get(theirs) or {}).get(host, 0)) for theirs, ours in names.items()
            }
            self.recap[host] = counts
            tally = self._tally(host)
            tally.finished = tally.finished or time.monotonic()
            line = " ".join(f"{name}={counts[name]}" for name in COUNTS)
            failed = counts["failed"] or counts["unreachable"]
            self.emit("stderr" if failed else "stdout", f"{host} : {line}")
