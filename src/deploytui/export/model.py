"""The export document: one run, flattened for the JSON, Markdown and HTML exports.

It is built only from ``journal.report.build_report`` (the same ``RunReport`` that ``deploytui
show`` and the TUI's history read), plus what the run's own playbook snapshot says about where
each step came from in an imported checklist. So every view of a run tells the same story, and
the exports need nothing outside the journal. Secrets are masked on the way in, once, for all
formats.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

from deploytui.engine.masking import Masker
from deploytui.journal.report import (
    PhaseReport,
    RunReport,
    StepReport,
    build_report,
    load_run_playbook,
)
from deploytui.journal.store import Journal
from deploytui.model.events import RUN_ICONS, STEP_ICONS, RunStatus, StepStatus
from deploytui.model.playbook import Playbook
from deploytui.model.steps import InputStep

SCHEMA_VERSION = 1

# Outcome words beside every icon: status is never told by colour (or a glyph) alone.
OUTCOME_WORDS: dict[StepStatus, str] = {
    StepStatus.succeeded: "done",
    StepStatus.failed: "failed",
    StepStatus.skipped: "skipped",
    StepStatus.interrupted: "interrupted",
    StepStatus.running: "running",
    StepStatus.pending: "not reached",
    StepStatus.held: "held",
}


class ValueOut(BaseModel):
    """A captured value with its unit, the target it was held to and any breach."""

    field: str
    label: str
    type: str
    raw: str
    value: float | int | str | None
    unit: str | None = None
    display: str
    target: str | None = None
    options: list[str] = Field(default_factory=list, description="Choices of a choice field.")
    breach: str | None = None
    secret: bool = False
    source_line: int | None = Field(default=None, description="Line in the source checklist.")
    source_blank: int | None = Field(default=None, description="Index of the ____ blank filled.")


class HostOut(BaseModel):
    """One host's result of a fan-out step (``details["hosts"]``)."""

    host: str
    ok: bool
    exit_code: int | None = None
    reason: str | None = None
    duration: float | None = None


class ConditionOut(BaseModel):
    """One go/no-go condition as the gate evaluated it."""

    label: str
    passed: bool
    detail: str = ""


class SignoffOut(BaseModel):
    role: str
    name: str
    at: str
    step_id: str | None = None


class StepOut(BaseModel):
    id: str
    title: str
    kind: str
    phase_id: str
    status: StepStatus
    icon: str
    outcome: str = Field(description="done / failed / skipped / interrupted / not reached.")
    reason: str | None = Field(default=None, description="Why it was skipped or failed.")
    marked_done: bool = False
    attempts: int = 0
    failed_attempts: list[str] = Field(default_factory=list)
    retries: list[str] = Field(default_factory=list, description="Retry/re-run decisions.")
    duration: float = 0.0
    estimate: int | None = None
    over_estimate: bool = False
    started_at: str | None = None
    finished_at: str | None = None
    values: list[ValueOut] = Field(default_factory=list)
    signoff: SignoffOut | None = None
    hosts: list[HostOut] = Field(default_factory=list)
    conditions: list[ConditionOut] = Field(default_factory=list)
    action: str | None = Field(default=None, description="What an automated step ran.")
    details: dict[str, Any] = Field(
        default_factory=dict, description="What the executor recorded (status, exit code...)."
    )
    source_line: int | None = None
    source_blank: int | None = None


class PhaseOut(BaseModel):
    id: str
    title: str
    status: StepStatus
    icon: str
    outcome: str
    elapsed: float
    estimate: int | None = None
    steps: list[StepOut]


class RollbackOut(BaseModel):
    ran: bool
    reason: str = ""
    phase: PhaseOut


class JournalCheck(BaseModel):
    """What lets a reader check this report against the journal."""

    head_hash: str
    verified: bool
    message: str
    verify_command: str


class SourceDocumentOut(BaseModel):
    name: str
    text: str


class ExportDocument(BaseModel):
    """Everything an export shows. ``schema_version`` changes when fields change meaning."""

    schema_version: int = SCHEMA_VERSION
    generated_at: str
    run_id: str
    playbook: str
    playbook_version: str
    description: str = ""
    operator: str
    host: str
    status: RunStatus
    status_icon: str
    window_start: str
    window_end: str | None = None
    elapsed: float
    budget: int | None = None
    phases: list[PhaseOut]
    rollback: RollbackOut | None = None
    signoffs: list[SignoffOut]
    breaches: list[ValueOut]
    notices: list[str] = Field(default_factory=list)
    notifications: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Webhook deliveries as journaled (channel, event, ok, attempts, error, at).",
    )
    journal: JournalCheck
    source_document: SourceDocumentOut | None = None

    def all_steps(self) -> list[StepOut]:
        steps = [step for phase in self.phases for step in phase.steps]
        if self.rollback is not None:
            steps.extend(self.rollback.phase.steps)
        return steps


def _held_reason(report: StepReport) -> str | None:
    """A parked step says until when (UTC, like every time in an export)."""
    if report.status != StepStatus.held or not report.held_until:
        return None
    until = datetime.fromisoformat(report.held_until).astimezone(UTC)
    return f"waiting until {until:%Y-%m-%d %H:%M} UTC"


def _step(report: StepReport, phase_id: str, playbook: Playbook) -> StepOut:
    step = playbook.step(report.step_id)
    fields = {field.id: field for field in step.fields} if isinstance(step, InputStep) else {}
    figure_fields = getattr(step, "figure_fields", None)
    if callable(figure_fields):  # a monitor's figures, with targets and the blanks they fill
        fields = {field.id: field for field in figure_fields()}
    values = []
    for item in report.values:
        field = fields.get(item["field"])
        values.append(
            ValueOut(
                **{key: item.get(key) for key in ValueOut.model_fields if key in item},
                target=field.target if field else None,
                options=list(field.options) if field else [],
                source_line=field.source.line if field and field.source else None,
                source_blank=field.source.blank if field and field.source else None,
            )
        )
    details = report.details or {}
    signoff = SignoffOut(**report.signoff, step_id=report.step_id) if report.signoff else None
    retries = [
        f"{item['action']}"
        + (f" ({', '.join(map(str, item.get('hosts', [])))})" if item.get("hosts") else "")
        + f": {item.get('reason') or 'by operator'}"
        for item in report.decisions
        if item.get("action") in {"retry", "rerun", "retry_failed"}
    ]
    # Failures of earlier attempts; the last one is the reason when the step ended failed.
    failed = list(report.failures)
    return StepOut(
        id=report.step_id,
        title=report.title,  # rendered as the operator saw it
        kind=report.kind,
        phase_id=phase_id,
        status=report.status,
        icon=STEP_ICONS[report.status],
        outcome=("done (marked done)" if report.marked_done else OUTCOME_WORDS[report.status]),
        reason=report.reason or _held_reason(report),
        marked_done=report.marked_done,
        attempts=report.attempts,
        failed_attempts=failed,
        retries=retries,
        duration=report.duration,
        estimate=report.estimate,
        over_estimate=bool(report.estimate and report.duration > report.estimate),
        started_at=report.started_at,
        finished_at=report.finished_at,
        values=values,
        signoff=signoff,
        hosts=[HostOut.model_validate(host) for host in details.get("hosts", []) or []],
        conditions=[ConditionOut.model_validate(c) for c in details.get("conditions", []) or []],
        action=details.get("action") if isinstance(details.get("action"), str) else None,
        details={k: v for k, v in details.items() if k not in {"hosts", "conditions", "action"}},
        source_line=step.source.line if step.source else None,
        source_blank=step.source.blank if step.source else None,
    )


def _phase(report: PhaseReport, playbook: Playbook) -> PhaseOut:
    status = report.status
    return PhaseOut(
        id=report.phase_id,
        title=report.title,
        status=status,
        icon=STEP_ICONS[status],
        outcome=OUTCOME_WORDS[status],
        elapsed=report.elapsed,
        estimate=report.estimate,
        steps=[_step(step, report.phase_id, playbook) for step in report.steps],
    )


def _elapsed(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def document_from_report(
    report: RunReport, playbook: Playbook, *, now: datetime | None = None
) -> ExportDocument:
    """Flatten a ``RunReport`` (and its playbook snapshot's source refs) into the export."""
    record = report.run
    rollback = None
    if report.rollback is not None:
        rollback = RollbackOut(
            ran=report.rolling_back,
            reason=report.rollback_reason,
            phase=_phase(report.rollback, playbook),
        )
    fields = playbook.input_fields()
    breaches = [
        ValueOut(
            **{key: item.get(key) for key in ValueOut.model_fields if key in item},
            target=fields[item["field"]].target if item["field"] in fields else None,
        )
        for item in report.breaches
    ]
    source = playbook.source_document
    return ExportDocument(
        generated_at=(now or datetime.now(UTC)).isoformat(timespec="seconds"),
        run_id=record.id,
        playbook=record.playbook_name,
        playbook_version=record.playbook_version,
        description=report.playbook_description,
        operator=record.operator,
        host=record.host,
        status=record.status,
        status_icon=RUN_ICONS[record.status],
        window_start=record.started_at,
        window_end=record.finished_at,
        elapsed=_elapsed(record.started_at, record.finished_at or record.updated_at),
        budget=report.budget,
        phases=[_phase(phase, playbook) for phase in report.phases],
        rollback=rollback,
        signoffs=[SignoffOut(**item) for item in report.signoffs],
        breaches=breaches,
        notices=report.notices,
        notifications=report.notifications,
        journal=JournalCheck(
            head_hash=report.head_hash,
            verified=report.chain_ok,
            message=report.chain_message,
            verify_command=f"deploytui verify {record.id}",
        ),
        source_document=SourceDocumentOut(name=source.name, text=source.text) if source else None,
    )


def masked(document: ExportDocument, secrets: dict[str, str] | None) -> ExportDocument:
    """The document with every known secret value (and its encodings) replaced by ••••.

    The journal is masked already; this is the second belt for values that reached it before a
    secret was declared, or came from a place the engine did not mask.
    """
    masker = Masker((secrets or {}).values())
    data = masker.data(document.model_dump(mode="json"))
    return ExportDocument.model_validate(data)


def build_document(
    journal: Journal, run_id: str, *, secrets: dict[str, str] | None = None
) -> ExportDocument:
    """The export document of a run, straight from the journal."""
    report = build_report(journal, run_id)
    loaded, _ = load_run_playbook(journal, run_id)
    return masked(document_from_report(report, loaded.playbook), secrets)
