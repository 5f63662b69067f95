"""Plain-text output for the CLI: live progress of headless runs, ``runs`` and ``show``.

Kept apart from the CLI's argument handling so tests and the exports can reuse the wording.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO

from deploytui.clock import SYSTEM_CLOCK
from deploytui.model.events import (
    BREACH_ICON,
    RUN_ICONS,
    STEP_ICONS,
    Event,
    EventType,
    RunRecord,
    RunStatus,
    StepStatus,
)
from deploytui.model.values import format_duration

if TYPE_CHECKING:  # `deploytui runs` never parses a playbook: keep the report's imports out
    from deploytui.engine.messages import OutputLine
    from deploytui.journal.report import PhaseReport, RunReport, StepReport


# Imported on use: the hold step's module builds the step base models (pydantic), which
# `deploytui runs` only needs for a parked run; the engine's messages only for a live run.
def until_text(until: str, now: datetime) -> str:
    from deploytui.model.hold_step import until_text as text

    return text(until, now)


def waiting_text(until: str, now: datetime) -> str:
    from deploytui.model.hold_step import waiting_text as text

    return text(until, now)


def figure_names(monitor: dict[str, Any]) -> set[str]:
    # Imported on use: the executors package pulls in every step model, which `runs` never needs.
    from deploytui.executors.monitor_report import figure_names as names

    return names(monitor)


def monitor_lines(monitor: dict[str, Any]) -> list[str]:
    from deploytui.executors.monitor_report import monitor_lines as lines

    return lines(monitor)


def short_time(iso: str | None) -> str:
    if not iso:
        return "—"
    moment = datetime.fromisoformat(iso).astimezone()
    return moment.strftime("%Y-%m-%d %H:%M")


def run_duration(record: RunRecord) -> str:
    start = datetime.fromisoformat(record.started_at)
    end = datetime.fromisoformat(record.finished_at or record.updated_at)
    return format_duration((end - start).total_seconds())


def display_status(record: RunRecord, live: bool | None = None) -> str:
    status = record.status
    if record.held_until and status.resumable:
        # Parked by a hold (or waiting for it in a live session): say until when.
        when = waiting_text(record.held_until, SYSTEM_CLOCK.now())
        return f"{STEP_ICONS[StepStatus.held]} {when}"
    if status == RunStatus.running and live is False:
        status = RunStatus.interrupted
    return f"{RUN_ICONS[status]} {status.value.replace('_', ' ')}"


class ProgressPrinter:
    """A listener that prints a headless run as it happens, one line per event."""

    def __init__(self, out: TextIO | None = None, *, title_of: Callable[[str], str]) -> None:
        from deploytui.engine.messages import OutputLine

        self.out = out or sys.stdout
        self.title_of = title_of
        self._output_line = OutputLine

    def __call__(self, item: Event | OutputLine) -> None:
        if isinstance(item, self._output_line):
            prefix = "  ! " if item.stream == "stderr" else "  │ "
            self._print(prefix + item.text)
            return
        step = item.step_id or ""
        data = item.data
        match item.type:
            case EventType.run_started:
                self._print(f"run started by {data.get('operator', '?')}")
            case EventType.run_resumed:
                self._print(f"run resumed by {data.get('operator', '?')}")
            case EventType.step_started:
                attempt = f" (attempt {item.attempt})" if (item.attempt or 1) > 1 else ""
                self._print(f"▶ {step}: {self.title_of(step)}{attempt}")
                if data.get("action"):
                    self._print(f"  {data['action']}")
            case EventType.step_finished:
                status = StepStatus(data["status"])
                line = f"{STEP_ICONS[status]} {step} {status.value}"
                if data.get("duration"):
                    line += f" in {format_duration(float(data['duration']))}"
                if data.get("reason"):
                    line += f": {data['reason']}"
                self._print(line)
                monitor = (data.get("details") or {}).get("monitor")
                figures = figure_names(monitor) if isinstance(monitor, dict) else set()
                for value in data.get("values", []):
                    if value.get("field") in figures and not value.get("breach"):
                        continue  # shown once per signal below
                    mark = f"  {BREACH_ICON} {value['breach']}" if value.get("breach") else ""
                    self._print(f"  {value['label']}: {value['display']}{mark}")
                if isinstance(monitor, dict):
                    for text in monitor_lines(monitor):
                        self._print(f"  {text}")
                if data.get("signoff"):
                    signoff = data["signoff"]
                    self._print(f"  signed as {signoff['role']} by {signoff['name']}")
            case EventType.step_interrupted:
                self._print(f"⏸ {step} interrupted: {data.get('reason', '')}")
            case EventType.decision:
                reason = f": {data['reason']}" if data.get("reason") else ""
                hosts = data.get("hosts")  # retry_failed: the hosts the next attempt runs on
                on = f" ({', '.join(map(str, hosts))})" if isinstance(hosts, list) else ""
                self._print(f"  → {data['action']}{on}{reason}")
            case EventType.rollback_started:
                self._print(f"↺ rollback started: {data.get('reason', '')}")
            case EventType.run_paused:
                self._print(f"⏸ run paused: {data.get('reason', '')}")
            case EventType.run_held:
                when = until_text(str(data.get("until", "")), SYSTEM_CLOCK.now())
                reason = data.get("reason", "")
                self._print(f"{STEP_ICONS[StepStatus.held]} {step} held until {when}: {reason}")
            case EventType.run_finished:
                status = RunStatus(data["status"])
                self._print(f"{RUN_ICONS[status]} run {status.value.replace('_', ' ')}")
            case EventType.notice | EventType.lock_taken_over:
                self._print(f"  note: {data.get('text') or data}")
            case _:
                pass

    def _print(self, text: str) -> None:
        print(text, file=self.out, flush=True)


def runs_table(records: list[RunRecord], live: dict[str, bool]) -> str:
    if not records:
        return "no runs yet; start one with `deploytui run PLAYBOOK` or `deploytui demo`"
    rows = [("RUN", "PLAYBOOK", "STATUS", "STARTED", "DURATION", "OPERATOR", "STEP")]
    for record in records:
        rows.append(
            (
                record.id,
                f"{record.playbook_name} v{record.playbook_version}",
                display_status(record, live.get(record.id)),
                short_time(record.started_at),
                run_duration(record),
                record.operator,
                record.current_step or "—" if record.status.resumable else "",
            )
        )
    widths = [max(len(row[index]) for row in rows) for index in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def _against(elapsed: float, estimate: int | None) -> str:
    spent = format_duration(elapsed) if elapsed else "–"
    return f"{spent} / {format_duration(estimate)}" if estimate else spent


def _step_lines(step: StepReport) -> list[str]:
    line = f"    {STEP_ICONS[step.status]} {step.step_id}  {step.title}"
    timing = _against(step.duration, step.estimate)
    extras = [timing] if step.status != StepStatus.pending else []
    if step.attempts > 1:
        extras.append(f"{step.attempts} attempts")
    if step.marked_done:
        extras.append("marked done")
    if extras:
        line += f"  ({', '.join(extras)})"
    lines = [line]
    if step.action:
        where = f"  @ {step.where}" if step.where and step.where != "local" else ""
        lines.append(f"        {step.action}{where}")
    if step.status == StepStatus.held and step.held_until:
        lines.append(f"        held: {waiting_text(step.held_until, SYSTEM_CLOCK.now())}")
    if (
        step.status in {StepStatus.skipped, StepStatus.failed, StepStatus.interrupted}
        and step.reason
    ):
        lines.append(f"        {step.status.value}: {step.reason}")
    elif step.marked_done and step.reason:
        lines.append(f"        note: {step.reason}")
    for failure in step.failures if step.attempts > 1 else []:
        lines.append(f"        failed attempt: {failure}")
    for decision in step.decisions:
        if decision["action"] in {"retry", "rerun"}:
            lines.append(f"        {decision['action']}: {decision.get('reason') or 'by operator'}")
        elif decision["action"] == "retry_failed":  # only the hosts that had not succeeded
            hosts = ", ".join(str(host) for host in decision.get("hosts", []))
            lines.append(
                f"        retry failed hosts ({hosts}): {decision.get('reason') or 'by operator'}"
            )
        elif decision["action"] == "continue":  # released from a hold before its time
            lines.append(f"        continued early: {decision.get('reason') or 'by operator'}")
    hold = step.details.get("hold") if isinstance(step.details, dict) else None
    if isinstance(hold, dict) and hold.get("until"):
        until = until_text(str(hold["until"]), SYSTEM_CLOCK.now())
        lines.append(f"        held until {until} ({hold.get('released', 'released')})")
    monitor = step.details.get("monitor") if isinstance(step.details, dict) else None
    figures = figure_names(monitor) if isinstance(monitor, dict) else set()
    for value in step.values:
        if value.get("field") in figures and not value.get("breach"):
            continue  # a watch's figures read better as one line per signal, below
        mark = f"   {BREACH_ICON} {value['breach']}" if value.get("breach") else ""
        lines.append(f"        {value['label']}: {value['display']}{mark}")
    if isinstance(monitor, dict):
        lines.extend(f"        {line}" for line in monitor_lines(monitor))
    lines.extend(_host_lines(step.details.get("hosts") or []))
    if step.signoff:
        lines.append(
            f"        signed by {step.signoff['name']} as {step.signoff['role']} "
            f"at {short_time(step.signoff['at'])}"
        )
    return lines


_HOST_ICONS = {
    "succeeded": "✓",
    "failed": "✗",
    "cancelled": "✗",
    "not_started": "–",
    "unreachable": "✗",  # ansible
    "timed_out": "✗",
    "no_tasks": "–",
}


def _host_lines(hosts: list[dict[str, Any]]) -> list[str]:
    """Per-host results of a fan-out step (``details["hosts"]``): one line each."""
    if len(hosts) < 2 and all(host.get("ok") for host in hosts):
        return []
    lines = []
    for host in hosts:
        status = host.get("status") or ("succeeded" if host.get("ok") else "failed")
        if status == "not_started":
            lines.append(f"        – {host['host']}  not started")
            continue
        code = host.get("exit_code")
        what = f"exit {code}" if code is not None else ""
        if not host.get("ok") and host.get("reason"):
            what = host["reason"]
        duration = f"{float(host.get('duration') or 0):.1f}s"
        batch = f"  batch {host['batch']}" if host.get("batch") else ""
        icon = _HOST_ICONS.get(status, "?")
        lines.append(f"        {icon} {host['host']}  {what}  {duration}{batch}")
    return lines


def _phase_lines(phase: PhaseReport) -> list[str]:
    header = (
        f"  {STEP_ICONS[phase.status]} {phase.title}  {_against(phase.elapsed, phase.estimate)}"
    )
    lines = [header]
    for step in phase.steps:
        lines.extend(_step_lines(step))
    return lines


def show_text(report: RunReport, live: bool | None = None) -> str:
    record = report.run
    finished = (
        f"finished {short_time(record.finished_at)}" if record.finished_at else "not finished"
    )
    lines = [
        f"run {record.id} · {record.playbook_name} v{record.playbook_version} · "
        f"{display_status(record, live)}",
        f"operator {record.operator} on {record.host} · started {short_time(record.started_at)}"
        f" · {finished}"
        f" · took {run_duration(record)}"
        + (f" of a {format_duration(report.budget)} window" if report.budget else ""),
        "",
    ]
    for phase in report.phases:
        lines.extend(_phase_lines(phase))
    if report.rollback is not None:
        title = "↺ " + report.rollback.title
        if report.rolling_back:
            lines.append(f"  {title}: started ({report.rollback_reason})")
            lines.extend(_phase_lines(report.rollback)[1:])
        else:
            lines.append(f"  {title}: not needed")
    if report.signoffs:
        lines += ["", "sign-offs:"]
        lines += [
            f"  {item['role']}: {item['name']} at {short_time(item['at'])}"
            for item in report.signoffs
        ]
    if report.breaches:
        lines += ["", "target breaches:"]
        lines += [f"  {BREACH_ICON} {item['label']}: {item['breach']}" for item in report.breaches]
    if report.notifications:
        lines += ["", "notifications:"]
        from deploytui.notify.wording import notification_line

        lines += [
            "  " + notification_line(item, short_time(item.get("at")))
            for item in report.notifications
        ]
    if report.notices:
        lines += ["", "notices:"]
        lines += [f"  ! {text}" for text in report.notices]
    lines += ["", f"journal: {report.chain_message}" + ("" if report.chain_ok else "  ✗ TAMPERED")]
    return "\n".join(lines)
