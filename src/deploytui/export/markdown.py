"""The Markdown report of a run: phases, steps with outcomes, values, sign-offs, the hash.

Plain Markdown that reads well as text too (in a ticket, an e-mail, a terminal): headings per
phase, one list item per step led by its icon and outcome words, details indented under it.
"""

from __future__ import annotations

import re

from deploytui.executors.monitor_report import figure_names, monitor_lines
from deploytui.export.model import ExportDocument, PhaseOut, StepOut
from deploytui.export.wording import (
    against,
    details_text,
    host_text,
    journal_text,
    outcome_text,
    status_text,
    step_timing,
    value_text,
    when,
    window_text,
)
from deploytui.model.events import ROLLBACK_ICON
from deploytui.notify.wording import notification_line


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|") or "—"


_TAG_LIKE = re.compile(r"<(?=[A-Za-z/!?])")


def inline(text: str) -> str:
    """One line of text that cannot turn into HTML when rendered (``<b`` → ``&lt;b``), while
    ``< 500 ms`` stays readable as plain text."""
    flat = " ".join(str(text).split())
    return _TAG_LIKE.sub("&lt;", flat)


def step_lines(step: StepOut) -> list[str]:
    head = f"- {outcome_text(step)} — **{inline(step.title)}** (`{step.id}`, {step.kind})"
    timing = step_timing(step)
    lines = [head if timing == "–" else f"{head} · {timing}"]
    details: list[str] = []
    if step.attempts > 1:
        details.append(f"{step.attempts} attempts")
    for number, failure in enumerate(step.failed_attempts, start=1):
        if step.status.value == "failed" and number == len(step.failed_attempts):
            continue  # the final failure is already the outcome's reason
        details.append(f"✗ failed attempt {number}: {inline(failure)}")
    details.extend(f"↻ {inline(retry)}" for retry in step.retries)
    if step.action:
        details.append(f"ran `{step.action}`")
    facts = details_text(step.details)
    if facts:
        details.append(inline(facts))
    monitor = step.details.get("monitor")
    figures = figure_names(monitor) if isinstance(monitor, dict) else set()
    details.extend(
        inline(value_text(value))
        for value in step.values
        if value.field not in figures or value.breach  # figures: one line per signal below
    )
    if isinstance(monitor, dict):
        details.extend(inline(line) for line in monitor_lines(monitor))
    if step.signoff:
        details.append(
            f"✍ signed as **{inline(step.signoff.role)}** by {inline(step.signoff.name)} "
            f"at {when(step.signoff.at)}"
        )
    for condition in step.conditions:
        mark = "✓ met" if condition.passed else "✗ not met"
        detail = f" ({inline(condition.detail)})" if condition.detail else ""
        details.append(f"{mark}: {inline(condition.label)}{detail}")
    if step.hosts:
        details.append("per host:")
        lines.extend(f"  - {item}" for item in details)
        lines.extend(f"    - {inline(host_text(host))}" for host in step.hosts)
        return lines
    lines.extend(f"  - {item}" for item in details)
    return lines


def phase_lines(number: int | None, phase: PhaseOut, heading: str = "##") -> list[str]:
    label = f"{number}. " if number is not None else ""
    timing = against(phase.elapsed, phase.estimate)
    lines = [
        f"{heading} {label}{inline(phase.title)}",
        "",
        f"{phase.icon} {phase.outcome} · {timing}",
        "",
    ]
    for step in phase.steps:
        lines.extend(step_lines(step))
    lines.append("")
    return lines


def render_report(document: ExportDocument) -> str:
    steps = [step for phase in document.phases for step in phase.steps]
    if document.rollback is not None and document.rollback.ran:
        steps += document.rollback.phase.steps
    counts = {
        word: sum(1 for step in steps if step.outcome.startswith(word))
        for word in ("done", "failed", "skipped", "interrupted", "not reached")
    }
    summary = ", ".join(f"{count} {word}" for word, count in counts.items() if count)
    lines = [
        f"# Run report: {inline(document.playbook)} v{inline(document.playbook_version)}",
        "",
        "| | |",
        "|---|---|",
        f"| Run | `{document.run_id}` |",
        f"| Status | {cell(status_text(document))} |",
        f"| Operator | {cell(document.operator)} on {cell(document.host)} |",
        f"| Window | {cell(window_text(document))} |",
        f"| Steps | {cell(summary)} |",
        f"| Target breaches | {len(document.breaches) or 'none'} |",
        f"| Journal head | `{document.journal.head_hash}` |",
        "",
    ]
    if document.description:
        lines += [inline(document.description), ""]
    for number, phase in enumerate(document.phases, start=1):
        lines += phase_lines(number, phase)
    rollback = document.rollback
    if rollback is not None and rollback.ran:
        lines += [f"## {ROLLBACK_ICON} {inline(rollback.phase.title)}", ""]
        lines += [f"Started: {inline(rollback.reason) or 'by the operator'}", ""]
        lines += phase_lines(None, rollback.phase, "###")[2:]
    elif rollback is not None:
        lines += [f"{ROLLBACK_ICON} {inline(rollback.phase.title)}: not needed", ""]
    lines += ["## Sign-offs", ""]
    if document.signoffs:
        lines += ["| Role | Name | Time | Step |", "|---|---|---|---|"]
        lines += [
            f"| {cell(item.role)} | {cell(item.name)} | {cell(when(item.at))} | "
            f"`{item.step_id or '—'}` |"
            for item in document.signoffs
        ]
    else:
        lines.append("No sign-offs were given.")
    lines.append("")
    if document.breaches:
        lines += ["## Target breaches", ""]
        lines += [f"- {inline(value_text(item))}" for item in document.breaches]
        lines.append("")
    if document.notifications:
        lines += ["## Notifications", ""]
        lines += [
            f"- {inline(notification_line(item, when(item.get('at'))))}"
            for item in document.notifications
        ]
        lines.append("")
    if document.notices:
        lines += ["## Notes", ""]
        lines += [f"- {inline(text)}" for text in document.notices]
        lines.append("")
    lines += footer_lines(document)
    return "\n".join(lines)


def footer_lines(document: ExportDocument) -> list[str]:
    return [
        "---",
        "",
        f"Journal: {journal_text(document)}  ",
        f"Head hash: `{document.journal.head_hash}`  ",
        f"Check this report against the journal: `{document.journal.verify_command}`  ",
        f"Generated {when(document.generated_at)} by deploytui "
        f"(export schema {document.schema_version}).",
        "",
    ]
