"""A run as a report: phases and steps with outcomes, values, sign-offs, retries, timings.

One structure feeds ``deploytui show``, the TUI's history screen and the exports, so they all
tell the same story. It is built from the journal alone (events plus the playbook snapshot).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from deploytui.journal import outline as outlines
from deploytui.journal.outline import ROLLBACK_PHASE_ID, PlaybookOutline
from deploytui.journal.state import RunState
from deploytui.journal.store import Journal
from deploytui.model.events import Event, EventType, RunRecord, StepStatus

if TYPE_CHECKING:
    # The loader (and with it every step model) is imported only when a snapshot has to be
    # parsed the full way: a report usually reads the cached outline (journal/outline.py).
    from deploytui.playbook.loader import LoadedPlaybook


class StepReport(BaseModel):
    step_id: str
    title: str
    kind: str
    status: StepStatus
    attempts: int
    duration: float
    estimate: int | None
    reason: str | None
    values: list[dict[str, Any]]
    signoff: dict[str, Any] | None
    decisions: list[dict[str, Any]]
    failures: list[str]
    details: dict[str, Any]
    marked_done: bool
    started_at: str | None
    finished_at: str | None
    action: str | None = None
    where: str | None = None
    # While parked (status held): the ISO UTC time the step waits for.
    held_until: str | None = None


class PhaseReport(BaseModel):
    phase_id: str
    title: str
    estimate: int | None
    elapsed: float
    steps: list[StepReport]

    @property
    def status(self) -> StepStatus:
        statuses = {step.status for step in self.steps}
        if StepStatus.failed in statuses:
            return StepStatus.failed
        if StepStatus.interrupted in statuses:
            return StepStatus.interrupted
        if StepStatus.held in statuses:
            return StepStatus.held
        if StepStatus.running in statuses:
            return StepStatus.running
        if statuses <= {StepStatus.skipped}:
            return StepStatus.skipped if statuses else StepStatus.pending
        if statuses <= {StepStatus.succeeded, StepStatus.skipped}:
            return StepStatus.succeeded
        if statuses == {StepStatus.pending}:
            return StepStatus.pending
        return StepStatus.running


class RunReport(BaseModel):
    run: RunRecord
    playbook_description: str
    budget: int | None
    phases: list[PhaseReport]
    rollback: PhaseReport | None
    rolling_back: bool
    rollback_reason: str
    signoffs: list[dict[str, Any]]
    values: list[dict[str, Any]]
    breaches: list[dict[str, Any]]
    head_hash: str
    chain_ok: bool
    chain_message: str
    notices: list[str]
    notifications: list[dict[str, Any]] = []


def load_run_playbook(journal: Journal, run_id: str) -> tuple[LoadedPlaybook, dict[str, str]]:
    """The playbook a run was started with (its snapshot), with the run's variable overrides
    and the latest ``--targets`` file it was started or resumed with."""
    from deploytui.playbook.loader import TargetsFile, parse_playbook

    text, path = journal.snapshot(run_id)
    events = journal.events(run_id, after_seq=0, include_output=False)
    overrides, recorded = _snapshot_inputs(events)
    targets = TargetsFile(path=recorded[0], text=recorded[1]) if recorded else None
    loaded = parse_playbook(text, path, overrides=overrides or None, targets=targets)
    return loaded, overrides


def _snapshot_inputs(events: list[Event]) -> tuple[dict[str, str], tuple[str, str] | None]:
    """The run's variable overrides and the latest ``--targets`` file (path, text) it was
    started or resumed with: what, besides the snapshot, its playbook was parsed with."""
    overrides = dict(events[0].data.get("overrides", {})) if events else {}
    targets = None
    for event in events:
        if event.type in {EventType.run_started, EventType.run_resumed}:
            recorded = event.data.get("targets")
            if isinstance(recorded, dict):
                targets = (recorded["path"], recorded["text"])
    return overrides, targets


def run_outline(
    journal: Journal, run_id: str, events: list[Event]
) -> tuple[PlaybookOutline, LoadedPlaybook | None]:
    """The outline of the run's playbook from the cache, else from a full parse of its snapshot
    (then cached); with the parsed playbook when a full parse happened."""
    text, path = journal.snapshot(run_id)
    overrides, targets = _snapshot_inputs(events)
    key = outlines.cache_key(text, path, overrides, targets)
    cached = outlines.read_cached(key)
    if cached is not None:
        return cached, None
    from deploytui.playbook.loader import TargetsFile, parse_playbook

    loaded = parse_playbook(
        text,
        path,
        overrides=overrides or None,
        targets=TargetsFile(path=targets[0], text=targets[1]) if targets else None,
    )
    outline = outlines.outline_of(loaded.playbook)
    outlines.write_cached(key, outline)
    return outline, loaded


class _Masked(dict[str, str]):
    """Every secret reads as the mask; titles never need the real value."""

    def __contains__(self, key: object) -> bool:
        return True

    def __getitem__(self, key: str) -> str:
        from deploytui.playbook.templating import MASK

        return MASK


def _titled(text: str, state: RunState, record: RunRecord) -> str:
    """A title with its templates rendered as the run saw them (raw if it cannot render)."""
    if "{{" not in text:
        return text
    from deploytui.playbook.templating import Context, TemplateError, render

    context = Context(
        variables=state.playbook.variables,
        inputs=state.inputs,
        secrets=_Masked(),
        run={
            "id": record.id,
            "operator": record.operator,
            "started_at": record.started_at,
            "playbook": record.playbook_name,
        },
    )
    try:
        return render(text, context, mask=True)
    except TemplateError:
        return text


def _with_watch(step: Any, details: dict[str, Any], events: list[Any]) -> dict[str, Any]:
    """A monitor step without a result yet (running, parked, cut off) still shows its figures,
    rebuilt from the samples it journaled."""
    if getattr(step, "kind", None) != "monitor" or "monitor" in details:
        return details
    from deploytui.executors.monitor_eval import summary_from_records

    records = [
        {"type": event.type.value, "data": event.data}
        for event in events
        if event.step_id == step.id
        and event.type in {EventType.monitor_sample, EventType.monitor_crossing}
    ]
    summary = summary_from_records(step, records) if records else None
    return {**details, "monitor": summary} if summary else details


def build_report(journal: Journal, run_id: str) -> RunReport:
    record = journal.run(run_id)
    events = journal.events(run_id, include_output=False)
    playbook, loaded = run_outline(journal, run_id, events)
    state = RunState.from_events(run_id, playbook, events)
    parsed: list[Any] = [loaded.playbook] if loaded else []

    def full_step(step_id: str) -> Any:
        # The few kinds whose report needs the real model (NEEDS_FULL_MODEL) parse the snapshot.
        if not parsed:
            parsed.append(load_run_playbook(journal, run_id)[0].playbook)
        return parsed[0].step(step_id)

    if not record.status.resumable:
        state.resolve_interrupted()
    ok, message = journal.verify(run_id)

    def step_report(step_id: str) -> StepReport:
        step = playbook.step(step_id)
        st = state.steps[step_id]
        return StepReport(
            step_id=step_id,
            title=_titled(step.title, state, record),
            kind=getattr(step, "kind", "?"),
            status=st.status,
            attempts=st.attempts,
            duration=st.duration,
            estimate=step.estimate,
            reason=st.reason,
            values=st.values,
            signoff=st.signoff,
            decisions=st.decisions,
            failures=st.failures,
            details=(
                _with_watch(full_step(step_id), st.details, events)
                if step.kind in outlines.NEEDS_FULL_MODEL and "monitor" not in st.details
                else st.details
            ),
            marked_done=st.marked_done,
            started_at=st.started_at,
            finished_at=st.finished_at,
            action=st.action,
            where=st.where,
            held_until=st.held_until,
        )

    phases = [
        PhaseReport(
            phase_id=phase.id,
            title=phase.title,
            estimate=phase.planned_seconds or None,
            elapsed=state.phase_elapsed(phase.id),
            steps=[step_report(step.id) for step in phase.steps],
        )
        for phase in playbook.phases
    ]
    rollback = None
    if playbook.rollback.steps:
        rollback = PhaseReport(
            phase_id=ROLLBACK_PHASE_ID,
            title=playbook.rollback.title,
            estimate=playbook.rollback.estimate,
            elapsed=state.phase_elapsed(ROLLBACK_PHASE_ID),
            steps=[step_report(step.id) for step in playbook.rollback.steps],
        )
    return RunReport(
        run=record,
        playbook_description=playbook.description,
        budget=playbook.budget_seconds,
        phases=phases,
        rollback=rollback,
        rolling_back=state.rolling_back,
        rollback_reason=state.rollback_reason,
        signoffs=journal.signoffs(run_id),
        values=journal.captured_values(run_id),
        breaches=state.breaches(),
        head_hash=journal.head_hash(run_id),
        chain_ok=ok,
        chain_message=message,
        notices=state.notices,
        notifications=state.notifications,
    )
