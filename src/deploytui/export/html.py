"""The HTML report of a run: one self-contained file (inline CSS, no scripts, no external assets)
that reads on screen and prints well: black on white, a page per phase, status as icon + words.

Every piece of run data goes through ``html.escape``; nothing from the journal becomes markup.
"""

from __future__ import annotations

from html import escape

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

CSS = """
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #111;
       background: #fff; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .5rem; }
h2 { font-size: 1.25rem; border-bottom: 2px solid #111; padding-bottom: .2rem; margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { border: 1px solid #999; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #eee; }
code, .hash { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .9em;
              overflow-wrap: anywhere; }
ul.details { margin: .2rem 0 .2rem 1.2rem; padding: 0; }
.status { font-weight: 600; white-space: nowrap; }
.succeeded { color: #0a5d1e; } .failed { color: #a40000; } .skipped, .pending { color: #555; }
.interrupted, .running { color: #7a4d00; }
.breach { background: #fff3c4; border-left: 4px solid #b58100; padding: 0 .3rem; font-weight: 600; }
.over { color: #7a4d00; font-weight: 600; }
.rollback h2 { border-color: #a40000; }
footer { margin-top: 2rem; border-top: 1px solid #999; padding-top: .5rem; font-size: .9rem; }
pre.checklist { white-space: pre-wrap; font-size: .85rem; border: 1px solid #999; padding: .5rem; }
@media print {
  body { margin: 0; max-width: none; font-size: 11pt; color: #000; }
  .succeeded, .failed, .skipped, .pending, .interrupted, .running, .over { color: #000; }
  .breach { background: none; border-left: 3px solid #000; }
  section.phase { break-before: page; }
  section.phase:first-of-type { break-before: auto; }
  tr, li { break-inside: avoid; }
  h2 { break-after: avoid; }
}
"""


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _step_row(step: StepOut) -> str:
    details: list[str] = []
    for number, failure in enumerate(step.failed_attempts, start=1):
        if step.status.value == "failed" and number == len(step.failed_attempts):
            continue
        details.append(f"✗ failed attempt {number}: {_e(failure)}")
    details += [f"↻ {_e(retry)}" for retry in step.retries]
    if step.action:
        details.append(f"ran <code>{_e(step.action)}</code>")
    facts = details_text(step.details)
    if facts:
        details.append(_e(facts))
    monitor = step.details.get("monitor")
    figures = figure_names(monitor) if isinstance(monitor, dict) else set()
    for value in step.values:
        if value.field in figures and not value.breach:
            continue  # a watch's figures: one line per signal below
        text = _e(value_text(value))
        details.append(f'<span class="breach">{text}</span>' if value.breach else text)
    if isinstance(monitor, dict):
        details += [_e(line) for line in monitor_lines(monitor)]
    if step.signoff:
        details.append(
            f"✍ signed as <strong>{_e(step.signoff.role)}</strong> by "
            f"{_e(step.signoff.name)} at {_e(when(step.signoff.at))}"
        )
    for condition in step.conditions:
        mark = "✓ met" if condition.passed else "✗ not met"
        detail = f" ({_e(condition.detail)})" if condition.detail else ""
        details.append(f"{mark}: {_e(condition.label)}{detail}")
    details += [f"host {_e(host_text(host))}" for host in step.hosts]
    listed = (
        '<ul class="details">' + "".join(f"<li>{item}</li>" for item in details) + "</ul>"
        if details
        else ""
    )
    timing = step_timing(step)
    timing_html = f'<span class="over">{_e(timing)}</span>' if step.over_estimate else _e(timing)
    attempts = str(step.attempts) if step.attempts else "—"
    return (
        f'<tr id="step-{_e(step.id)}"><td class="status {_e(step.status.value)}">'
        f"{_e(outcome_text(step))}</td>"
        f"<td><strong>{_e(step.title)}</strong> <code>{_e(step.id)}</code> "
        f"<small>{_e(step.kind)}</small>{listed}</td>"
        f"<td>{timing_html}</td><td>{attempts}</td></tr>"
    )


def _phase(phase: PhaseOut, heading: str, extra_class: str = "") -> str:
    rows = "".join(_step_row(step) for step in phase.steps)
    return (
        f'<section class="phase {extra_class}"><h2>{_e(heading)}</h2>'
        f'<p><span class="status {_e(phase.status.value)}">{_e(phase.icon)} '
        f"{_e(phase.outcome)}</span> · {_e(against(phase.elapsed, phase.estimate))}</p>"
        "<table><thead><tr><th>Outcome</th><th>Step</th><th>Time vs estimate</th>"
        f"<th>Attempts</th></tr></thead><tbody>{rows}</tbody></table></section>"
    )


def render_html(document: ExportDocument, checklist: str | None = None) -> str:
    """The whole report. ``checklist`` is the filled-in Markdown of an imported checklist."""
    title = f"Run {document.run_id} · {document.playbook} v{document.playbook_version}"
    summary = [
        ("Run", f"<code>{_e(document.run_id)}</code>"),
        (
            "Status",
            f'<span class="status {_e(document.status.value)}">{_e(status_text(document))}</span>',
        ),
        ("Operator", f"{_e(document.operator)} on {_e(document.host)}"),
        ("Window", _e(window_text(document))),
        ("Target breaches", str(len(document.breaches)) if document.breaches else "none"),
        ("Journal head", f'<span class="hash">{_e(document.journal.head_hash)}</span>'),
    ]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body>",
        f"<header><h1>{_e(document.playbook)} v{_e(document.playbook_version)} — run report</h1>",
        f"<p>{_e(document.description)}</p>" if document.description else "",
        "<table>"
        + "".join(f"<tr><th>{label}</th><td>{value}</td></tr>" for label, value in summary)
        + "</table></header>",
    ]
    for number, phase in enumerate(document.phases, start=1):
        parts.append(_phase(phase, f"{number}. {phase.title}"))
    rollback = document.rollback
    if rollback is not None and rollback.ran:
        heading = f"{ROLLBACK_ICON} {rollback.phase.title} — started: {rollback.reason}"
        parts.append(_phase(rollback.phase, heading, "rollback"))
    elif rollback is not None:
        parts.append(f"<p>{ROLLBACK_ICON} {_e(rollback.phase.title)}: not needed</p>")
    parts.append("<section><h2>Sign-offs</h2>")
    if document.signoffs:
        parts.append(
            "<table><thead><tr><th>Role</th><th>Name</th><th>Time</th></tr></thead><tbody>"
        )
        parts += [
            f"<tr><td>{_e(item.role)}</td><td>{_e(item.name)}</td><td>{_e(when(item.at))}</td></tr>"
            for item in document.signoffs
        ]
        parts.append("</tbody></table>")
    else:
        parts.append("<p>No sign-offs were given.</p>")
    parts.append("</section>")
    if document.breaches:
        parts.append("<section><h2>Target breaches</h2><ul>")
        parts += [f'<li class="breach">{_e(value_text(item))}</li>' for item in document.breaches]
        parts.append("</ul></section>")
    if document.notifications:
        parts.append("<section><h2>Notifications</h2><ul>")
        parts += [
            f"<li>{_e(notification_line(item, when(item.get('at'))))}</li>"
            for item in document.notifications
        ]
        parts.append("</ul></section>")
    if document.notices:
        parts.append("<section><h2>Notes</h2><ul>")
        parts += [f"<li>{_e(text)}</li>" for text in document.notices]
        parts.append("</ul></section>")
    if checklist is not None and document.source_document is not None:
        parts.append(
            f'<section class="phase"><h2>{_e(document.source_document.name)}, filled in</h2>'
            f'<pre class="checklist">{_e(checklist)}</pre></section>'
        )
    check = document.journal
    parts.append(
        f"<footer><p>Journal: {_e(journal_text(document))}<br>"
        f'Head hash: <span class="hash">{_e(check.head_hash)}</span><br>'
        f"Check this report against the journal: <code>{_e(check.verify_command)}</code><br>"
        f"Generated {_e(when(document.generated_at))} by deploytui "
        f"(export schema {document.schema_version}).</p></footer></body></html>"
    )
    return "\n".join(part for part in parts if part)
