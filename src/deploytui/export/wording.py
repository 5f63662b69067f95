"""Wording shared by the Markdown and HTML exports, so both read the same.

Times are shown in UTC with seconds (a report is read later, elsewhere, by auditors); durations
read ``2m 05s``; every outcome has an icon and words.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from deploytui.export.model import ExportDocument, HostOut, StepOut, ValueOut
from deploytui.model.events import BREACH_ICON
from deploytui.model.values import format_duration


def when(iso: str | None) -> str:
    if not iso:
        return "—"
    moment = datetime.fromisoformat(iso)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def against(elapsed: float, estimate: int | None, *, started: bool = True) -> str:
    """``2m 05s of 3m estimated``, ``⚠ 5m of 3m estimated (over)``, or ``–``."""
    spent = format_duration(elapsed) if started and elapsed else "–"
    if not estimate:
        return spent
    over = bool(elapsed and elapsed > estimate)
    text = f"{spent} of {format_duration(estimate)} estimated"
    return f"{BREACH_ICON} {text} (over)" if over else text


def step_timing(step: StepOut) -> str:
    return against(step.duration, step.estimate, started=step.attempts > 0)


def value_text(value: ValueOut) -> str:
    """``p95 latency: 312 ms (target < 500 ms)``, or ``p95 latency: ⚠ 612 ms misses the target
    < 500 ms`` when it breached."""
    if value.breach:
        return f"{value.label}: {BREACH_ICON} {value.breach}"
    text = f"{value.label}: {value.display}"
    if value.target:
        text += f" (target {value.target})"
    return text


def host_text(host: HostOut) -> str:
    icon, word = ("✓", "ok") if host.ok else ("✗", "failed")
    parts = [f"{icon} {host.host}: {word}"]
    if host.exit_code is not None:
        parts.append(f"exit {host.exit_code}")
    if host.duration is not None:
        parts.append(format_duration(host.duration))
    if host.reason:
        parts.append(host.reason)
    return ", ".join(parts)


def outcome_text(step: StepOut) -> str:
    """``✓ done``, ``⊘ skipped: not needed in staging``, ``✗ failed: exit 2``."""
    text = f"{step.icon} {step.outcome}"
    if step.reason and (step.status.value in {"skipped", "failed", "interrupted", "held"}):
        text += f": {step.reason}"
    elif step.marked_done and step.reason:
        text += f" ({step.reason})"
    return text


def window_text(document: ExportDocument) -> str:
    took = format_duration(document.elapsed)
    budget = f" of a {format_duration(document.budget)} budget" if document.budget else ""
    over_budget = bool(document.budget and document.elapsed > document.budget)
    over = f" {BREACH_ICON} over budget" if over_budget else ""
    return f"{when(document.window_start)} → {when(document.window_end)} ({took}{budget}{over})"


def status_text(document: ExportDocument) -> str:
    return f"{document.status_icon} {document.status.value.replace('_', ' ')}"


def journal_text(document: ExportDocument) -> str:
    check = document.journal
    verdict = "✓ verified" if check.verified else "✗ NOT VERIFIED (tampered or incomplete)"
    return f"{verdict}: {check.message}"


def details_text(details: dict[str, Any]) -> str:
    """``status 200 · exit_code 0 · winning_plan FETCH > IXSCAN``: the executor's short facts."""
    parts = []
    for key, value in details.items():
        if isinstance(value, bool | int | float | str):
            parts.append(f"{key.replace('_', ' ')} {value}")
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            parts.append(f"{key.replace('_', ' ')} {'; '.join(value)}")
    return " · ".join(parts)
