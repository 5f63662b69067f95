"""The run screen: drive one run of a playbook, phase by phase, without ever blocking.

The engine runs in a thread worker. Everything it says (events, output lines, questions) arrives
through the session's ``Feed``, drained every ``DRAIN_SECONDS`` into one batch of screen updates.
Questions are kept as ``pending`` until answered, so the operator can close a dialog, look
around, and come back to it with enter; the run-level keys (skip, abort, roll back) answer the
pending question with a ``Decision``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer

from deploytui.engine.operator import Decision
from deploytui.engine.runner import OutputLine, RunOutcome
from deploytui.journal.state import RunState
from deploytui.model.events import (
    RUN_ICONS,
    DecisionAction,
    Event,
    EventType,
    RunStatus,
    StepStatus,
)
from deploytui.model.steps import GateStep, InputStep, SignoffStep
from deploytui.model.values import format_duration
from deploytui.ui.bridge import Ask, Question, RunEnded, StepStarted
from deploytui.ui.dialogs.common import ConfirmDialog, ReasonDialog
from deploytui.ui.dialogs.decisions import (
    FailureDialog,
    GateDialog,
    HostKeyDialog,
    InterruptedDialog,
)
from deploytui.ui.dialogs.input_form import BreachDialog, InputForm
from deploytui.ui.dialogs.signoff import SignoffDialog
from deploytui.ui.monitor_view import MonitorView, SignalState, format_number
from deploytui.ui.session import RunSession, exit_code
from deploytui.ui.text import RUN_STYLES, countdown, parse_time, plural, until_text
from deploytui.ui.widgets.monitor_panel import MonitorPanel
from deploytui.ui.widgets.output_pane import OutputPane
from deploytui.ui.widgets.phase_list import PhaseList, PhaseStrip
from deploytui.ui.widgets.status_bar import StatusBar
from deploytui.ui.widgets.step_panel import StepPanel, StepShown

DRAIN_SECONDS = 0.05
EARLIER_LINES = 200
# Questions a Decision (skip, abort, roll back, stop) may answer instead.
DECIDABLE = {
    Ask.acknowledge,
    Ask.inputs,
    Ask.sign,
    Ask.gate,
    Ask.failure,
    Ask.interrupted,
    Ask.hold,
}
MONITOR_EVENTS = {EventType.monitor_sample, EventType.monitor_crossing}


class RunScreen(Screen[int]):
    """Phases on the left, the current step and its live output on the right."""

    HELP_TITLE = "Run"
    # What the screen shows that its keys do not explain, as extra rows of the help table.
    HELP_ROWS: ClassVar[list[tuple[str, str]]] = [
        ("↪", "a long output line wraps on; h history has every line"),
        ("⚠", "note: a problem the run works around, shown once"),
    ]
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (100, "-wide")]
    # Tall terminals give each watched signal a taller sparkline and its range.
    VERTICAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-short"), (36, "-tall")]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "proceed",
            "continue",
            priority=True,
            tooltip="continue, or open the question the run is waiting on",
        ),
        Binding("r", "retry", "retry", tooltip="retry the failed step"),
        Binding("s", "skip", "skip", tooltip="skip this step (asks for a reason)"),
        Binding("a", "abort", "abort", tooltip="abort the run (asks to confirm)"),
        Binding("b", "rollback", "roll back", tooltip="start the rollback (asks to confirm)"),
        Binding(
            "c",
            "cancel_command",
            "cancel command",
            tooltip="stop the running command (the step fails)",
        ),
        Binding("h", "history", "history", tooltip="past runs (this one keeps going)"),
        Binding("escape", "leave", "back", show=False, tooltip="leave a finished run"),
    ]

    def __init__(self, session: RunSession, *, exit_when_done: bool) -> None:
        super().__init__()
        self.session = session
        self.exit_when_done = exit_when_done
        self.state: RunState | None = None
        self.shown = StepShown()
        self.current_step: str | None = None
        self.step_started_at: str | None = None
        self.pending: Question | None = None
        self.dialog_open = False
        self.outcome: RunOutcome | None = None
        self.ended = False
        self.quitting = False
        # The live watch of the current monitor step, and the monitor events seen so far (a
        # watch resumed after a crash or a park continues, and so does its view).
        self.monitor: MonitorView | None = None
        self.monitor_events: dict[str, list[Event]] = {}
        # "Wait here" at a hold: the engine sleeps until this time; c stops waiting.
        self.waiting_until: datetime | None = None
        # "Leave it parked" at a hold: go home (or exit) as soon as the run has stopped.
        self.leave_when_ended = False
        # Which keys were available when the footer was last refreshed (see drain).
        self.binding_state: tuple[bool | None, ...] = ()
        # Notices already shown (each once), and the journal position read at mount: a lock
        # take-over is journaled by the lock itself, after that, and found from there.
        self.notices_shown: set[str] = set()
        self.mounted_seq = 0

    # -- layout --------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        with Horizontal(id="body"):
            yield PhaseList(id="phases")
            with Vertical(id="main"):
                yield PhaseStrip(id="strip")
                yield StepPanel(id="step")
                yield MonitorPanel(id="monitor")
                yield OutputPane(id="output")
        yield Footer()

    def on_mount(self) -> None:
        session = self.session
        events = session.journal.events(session.run_id, include_output=False)
        self.state = RunState.from_events(session.run_id, session.loaded.playbook, events)
        self.state.resolve_interrupted()
        self.current_step = self.state.next_step_id()
        self.mounted_seq = self.state.last_seq
        self.query_one(PhaseList).border_title = "Phases"
        for event in events:
            self.remember_monitor_event(event)
        self.show_earlier_output(events)
        self.refresh_views()
        self.set_interval(DRAIN_SECONDS, self.drain)
        self.set_interval(1.0, self.tick)
        self.drive()
        self.check_keyring()

    def on_resize(self) -> None:
        # At 80 columns every key must still fit on the footer line.
        self.query_one(Footer).compact = self.size.width < 100
        # The breakpoint classes (-tall: a third line per watched signal) change with the size.
        self.call_after_refresh(self.refresh_views)

    def on_unmount(self) -> None:
        # Never leave the engine thread waiting on a question nobody will answer.
        if not self.ended:
            self.session.stop()

    def show_earlier_output(self, events: list[Event]) -> None:
        """On resume, show the tail of the last automated step's output for context."""
        playbook = self.session.loaded.playbook
        for event in reversed(events):
            if event.type == EventType.step_started and event.step_id:
                if not playbook.step(event.step_id).automated:
                    continue
                lines = self.session.journal.output(self.session.run_id, event.step_id)
                title = playbook.step(event.step_id).title
                self.query_one(OutputPane).add([f"── earlier: {title} ──", *lines[-EARLIER_LINES:]])
                return

    @work(thread=True, exit_on_error=False, name="engine")
    def drive(self) -> None:
        """Run the engine on a worker thread; its end arrives through the feed like the rest."""
        try:
            outcome = self.session.run()
        except Exception as error:  # shown on screen; the journal keeps the run resumable
            self.session.feed.put(
                RunEnded(outcome=None, error=f"{error.__class__.__name__}: {error}")
            )
            return
        self.session.feed.put(RunEnded(outcome=outcome))

    @work(thread=True, exit_on_error=False, name="keyring check")
    def check_keyring(self) -> bool:
        """Warn once per app about a keyring that stores secrets in plain text, as ``deploytui
        run`` does on the terminal (where the full-screen UI would hide it). Only when a secret
        came from the keyring, as there; on a thread, because probing the keyring is slow.
        True when it warned."""
        import os

        from deploytui.secretstore import env_name, keyring_backend_warning

        app: Any = self.app
        names = self.session.loaded.playbook.secrets
        if getattr(app, "keyring_warned", False) or all(
            env_name(name) in os.environ for name in names
        ):
            return False
        app.keyring_warned = True
        warning = keyring_backend_warning()
        if not warning:
            return False
        text = warning.removeprefix("warning: ")
        app.call_from_thread(self.show_notice, text[:1].upper() + text[1:])
        return True

    def show_notice(self, text: str) -> None:
        """A notice (a problem the run works around) once: a quiet line in the output pane and
        a warning toast, so it is seen without stopping anything."""
        if not text or text in self.notices_shown:
            return
        self.notices_shown.add(text)
        self.query_one(OutputPane).add([f"⚠ note: {text}"])
        self.app.notify(text, title="⚠ Note", severity="warning", timeout=15)

    def show_lock_take_over(self) -> None:
        """The lock journals a take-over itself (not through the engine): read it back."""
        journal = self.session.journal
        events = journal.events(
            self.session.run_id, after_seq=self.mounted_seq, include_output=False
        )
        for event in events:
            if event.type == EventType.lock_taken_over:
                self.show_notice(take_over_note(event.data))

    # -- the feed ------------------------------------------------------------------------------

    def drain(self) -> None:
        items = self.session.feed.drain()
        if not items:
            return
        output: list[str] = []
        pane = self.query_one(OutputPane)
        for item in items:
            if isinstance(item, OutputLine):
                output.append(("! " if item.stream == "stderr" else "") + item.text)
                continue
            if output:
                pane.add(output)
                output = []
            if isinstance(item, StepStarted):
                self.handle_step_started(item)
            elif isinstance(item, Event):
                self.handle_event(item)
            elif isinstance(item, Question):
                self.handle_question(item)
            elif isinstance(item, RunEnded):
                self.handle_run_ended(item)
        pane.add(output)
        self.refresh_views()
        self.refresh_bindings_if_changed()

    def refresh_bindings_if_changed(self) -> None:
        """Refresh the footer only when a key's availability changed: each refresh rebuilds
        the footer, and the feed is drained 20 times a second while output floods in."""
        actions = [binding.action for binding in Binding.make_bindings(self.BINDINGS)]
        state = tuple(self.check_action(action, ()) for action in actions)
        if state != self.binding_state:
            self.binding_state = state
            self.refresh_bindings()

    def handle_step_started(self, item: StepStarted) -> None:
        assert self.state is not None
        event, view = item.event, item.view
        self.state.apply(event)
        step = self.session.loaded.playbook.step(view.step_id)
        self.current_step = view.step_id
        self.step_started_at = event.at
        self.shown = StepShown(
            view=view,
            step=step,
            status=StepStatus.running,
            attempt=event.attempt or 1,
            rendered=item.rendered,
            channels=self.channels_of(step),
        )
        self.waiting_until = None
        self.monitor = None
        if getattr(step, "kind", None) == "monitor":
            self.monitor = MonitorView.from_step(step, self.monitor_events.get(step.id, []))
            if self.monitor.triggered is not None:
                self.monitor.watch_again()
        if step.automated:
            attempt = f" (attempt {event.attempt})" if (event.attempt or 1) > 1 else ""
            lines = [f"── {view.title}{attempt} ──"]
            if view.action:
                lines.append(view.action)
            self.query_one(OutputPane).add(lines)

    def channels_of(self, step: Any) -> list[str]:
        names = getattr(step, "channel_names", None)
        if not callable(names):
            return []
        notifications = getattr(self.session.loaded.playbook, "notifications", None)
        declared = getattr(notifications, "channels", {}) or {}
        shown = []
        for name in names():
            channel = declared.get(name)
            fmt = getattr(getattr(channel, "format", None), "value", None)
            shown.append(f"{name} ({fmt})" if fmt else str(name))
        return shown

    def remember_monitor_event(self, event: Event) -> None:
        if event.type in MONITOR_EVENTS and event.step_id:
            self.monitor_events.setdefault(event.step_id, []).append(event)

    def handle_event(self, event: Event) -> None:
        assert self.state is not None
        self.state.apply(event)
        self.remember_monitor_event(event)
        if self.monitor is not None:
            self.monitor.apply(event)
        data = event.data
        notes: list[str] = []
        match event.type:
            case EventType.step_finished if event.step_id == self.shown_step_id:
                self.shown.status = StepStatus(data["status"])
                self.shown.result = dict(data)
                self.shown.waiting = None
                self.waiting_until = None
                if data.get("reason") and self.shown.status != StepStatus.succeeded:
                    notes.append(f"{self.shown.status.value}: {data['reason']}")
            case EventType.decision:
                reason = f": {data['reason']}" if data.get("reason") else ""
                by_itself = " (automatic, as the playbook says)" if data.get("automatic") else ""
                hosts = data.get("hosts")  # retry_failed: the hosts the next attempt runs on
                on = f" ({', '.join(map(str, hosts))})" if isinstance(hosts, list) else ""
                notes.append(f"→ {data['action'].replace('_', ' ')}{on}{by_itself}{reason}")
                if data.get("automatic") and data.get("action") == "rollback":
                    # Nobody was asked, so say it where it cannot be missed.
                    self.app.notify(
                        f"Rollback started automatically{reason}",
                        title="✗ ROLLBACK TRIGGER FIRED",
                        severity="error",
                        timeout=30,
                    )
            case EventType.rollback_started:
                notes.append(f"↺ rollback started: {data.get('reason', '')}")
            case EventType.run_paused:
                notes.append(f"⏸ run paused: {data.get('reason', '')}")
            case EventType.run_finished:
                status = RunStatus(data["status"])
                notes.append(f"{RUN_ICONS[status]} run {status.value.replace('_', ' ')}")
            case EventType.host_key_accepted:
                notes.append(f"host key accepted: {data.get('host')} {data.get('fingerprint')}")
            case EventType.monitor_crossing if data.get("from") != "unknown" or (
                data.get("to") not in {"ok", "unknown"}
            ):
                # The first reading settling to ok is not news; every other change is.
                notes.append(self.crossing_note(data))
            case EventType.run_held:
                notes.append(self.held_note(data))
            case EventType.notification:
                notes.append(notification_note(data))
            case EventType.notice:
                self.show_notice(str(data.get("text") or ""))
            case EventType.lock_taken_over:
                self.show_notice(take_over_note(data))
            case EventType.run_resumed:
                self.show_lock_take_over()
            case _:
                pass
        self.query_one(OutputPane).add(notes)

    def crossing_note(self, data: dict[str, Any]) -> str:
        """``⚠ Error rate: ok → warning at 1.4 % (warn > 1 %)`` for the output pane."""
        name = str(data.get("signal", "?"))
        signal = self.monitor.signal(name) if self.monitor is not None else None
        label = signal.label if signal else name
        unit = signal.unit if signal else ""
        try:
            state = SignalState(str(data.get("to")))
        except ValueError:
            state = SignalState.unknown
        icon = {SignalState.ok: "✓", SignalState.warning: "⚠", SignalState.triggered: "✗"}.get(
            state, "?"
        )
        value = data.get("value")
        shown = format_number(float(value), unit) if isinstance(value, int | float) else "–"
        threshold = f" ({data['threshold']})" if data.get("threshold") else ""
        return f"{icon} {label}: {data.get('from', '?')} → {state.value} at {shown}{threshold}"

    def held_note(self, data: dict[str, Any]) -> str:
        from deploytui.ui.text import parse_time

        until = parse_time(str(data.get("until") or ""))
        when = until_text(until, self.now()) if until else "later"
        reason = f": {data['reason']}" if data.get("reason") else ""
        return f"⏳ run held {when}{reason}"

    @property
    def shown_step_id(self) -> str | None:
        return self.shown.view.step_id if self.shown.view else None

    def handle_question(self, question: Question) -> None:
        self.pending = question
        if question.view is not None and question.view.step_id != self.shown_step_id:
            self.shown = StepShown(view=question.view, step=question.step)
        if question.view is not None:
            self.current_step = question.view.step_id
        status = self.state.steps[question.step.id].status if self.state else StepStatus.pending
        self.shown.status = status
        self.shown.waiting = question.ask
        self.waiting_until = None
        if question.ask != Ask.acknowledge and not self.quitting:
            self.open_pending()

    def handle_run_ended(self, item: RunEnded) -> None:
        self.ended = True
        self.outcome = item.outcome
        self.pending = None
        self.waiting_until = None
        if self.quitting or (self.leave_when_ended and not item.error):
            self.finish()
            return
        if item.error:
            self.shown.ended = (
                f"[bold $error]✗ The run stopped on an internal error:[/] {item.error}\n\n"
                f"The journal is intact: resume with [b]deploytui resume "
                f"{self.session.run_id}[/b]."
            )
        else:
            self.shown.ended = self.summary(item.outcome)

    def summary(self, outcome: RunOutcome | None) -> str:
        assert self.state is not None
        status = outcome.status if outcome else RunStatus.waiting
        style = RUN_STYLES.get(status, "bold")
        started = self.state.started_datetime()
        finished = self.state.finished_at or self.now().isoformat()
        took = (
            format_duration((datetime.fromisoformat(finished) - started).total_seconds())
            if started
            else "–"
        )
        steps = self.state.steps.values()
        done = sum(1 for step in steps if step.status == StepStatus.succeeded)
        skipped = sum(1 for step in steps if step.status == StepStatus.skipped)
        breaches = len(self.state.breaches())
        headline = f"{RUN_ICONS[status]} Run {status.value.replace('_', ' ')}"
        if status == RunStatus.waiting and any(
            step.status == StepStatus.held for step in self.state.steps.values()
        ):
            headline = "⏳ Run parked"
        lines = [
            f"[bold {style}]{headline}[/] in {took}",
            f"{plural(done, 'step')} done, {skipped} skipped · "
            f"{plural(len(self.state.signoffs), 'sign-off')}",
            f"{plural(len(self.state.inputs), 'value')} recorded · "
            + (
                f"[$warning]⚠ {breaches} target breach{'es' if breaches != 1 else ''}[/]"
                if breaches
                else "no target breached"
            ),
        ]
        if outcome and outcome.message and status != RunStatus.completed:
            lines.append(outcome.message)
        if status == RunStatus.waiting:
            lines.append(f"Resume it with [b]deploytui resume {self.session.run_id}[/b].")
        after = "exit" if self.exit_when_done else "go back"
        lines.append(f"\n[b]enter[/b] to {after} · [b]h[/b] to review it in history")
        return "\n".join(lines)

    def finish(self) -> None:
        code = exit_code(self.outcome)
        if self.exit_when_done or self.quitting:
            self.app.exit(code, return_code=code)
        else:
            self.dismiss(code)

    # -- drawing -------------------------------------------------------------------------------

    def now(self) -> datetime:
        return self.app.clock()  # type: ignore[attr-defined, no-any-return]

    def tick(self) -> None:
        self.refresh_views()

    def refresh_views(self) -> None:
        if self.state is None:
            return
        now = self.now()
        playbook = self.session.loaded.playbook
        self.query_one(StatusBar).show(
            self.state,
            now,
            journal=self.app.journal_label,  # type: ignore[attr-defined]
            title=f"{playbook.name} v{playbook.version}",
        )
        focus = None if self.ended else self.current_step
        self.query_one(PhaseList).show(self.state, focus)
        self.query_one(PhaseStrip).show(self.state, focus)
        if self.shown.status == StepStatus.running and self.step_started_at:
            began = datetime.fromisoformat(self.step_started_at)
            self.shown.running_for = max(0.0, (now - began).total_seconds())
        self.shown.countdown = (
            f"⏳ waiting {until_text(self.waiting_until, now)} · "
            f"{countdown((self.waiting_until - now).total_seconds())} left"
            if self.waiting_until is not None and not self.ended
            else ""
        )
        self.query_one(StepPanel).show(self.shown)
        watching = (
            self.monitor
            if self.monitor is not None
            and not self.ended
            and self.monitor.step_id == self.shown_step_id
            else None
        )
        self.query_one(MonitorPanel).show(watching, now)

    # -- answering -----------------------------------------------------------------------------

    def answer(self, value: Any) -> None:
        question = self.pending
        if question is None:
            return
        self.pending = None
        self.shown.waiting = None
        question.answer(value)
        self.refresh_views()
        self.refresh_bindings()

    def decide_with_reason(self, dialog: ReasonDialog, action: DecisionAction) -> None:
        """Answer with ``action`` once the operator gave its reason (nothing if they backed out)."""
        self.push_dialog(
            dialog, lambda reason: reason and self.answer(Decision(action=action, reason=reason))
        )

    def push_dialog(self, dialog: Any, callback: Any) -> None:
        def closed(result: Any) -> None:
            self.dialog_open = False
            callback(result)
            self.refresh_views()
            self.refresh_bindings()

        self.dialog_open = True
        self.app.push_screen(dialog, closed)

    def open_pending(self) -> None:
        question = self.pending
        if question is None or question.answered or self.dialog_open:
            return
        step, view = question.step, question.view
        match question.ask:
            case Ask.acknowledge:
                self.answer(None)
            case Ask.inputs:
                assert isinstance(step, InputStep) and view is not None
                form = InputForm(step, view, errors=question.errors, previous=question.previous)
                self.push_dialog(form, lambda values: values is not None and self.answer(values))
            case Ask.breaches:
                self.push_dialog(BreachDialog(question.breaches), lambda ok: self.answer(bool(ok)))
            case Ask.sign:
                assert isinstance(step, SignoffStep) and view is not None
                dialog = SignoffDialog(
                    step, view, name=self.signer_name(step), error=question.error
                )
                self.push_dialog(dialog, lambda name: name and self.answer(name))
            case Ask.gate:
                assert isinstance(step, GateStep) and view is not None
                self.push_dialog(GateDialog(view, question.results), self.gate_chosen)
            case Ask.failure:
                assert view is not None and question.failure is not None
                trigger = getattr(question.failure, "trigger", None)
                if trigger:
                    from deploytui.ui.dialogs.trigger import TriggerDialog  # rare: on first use

                    monitor = (
                        self.monitor if self.monitor and self.monitor.step_id == step.id else None
                    )
                    dialog: Any = TriggerDialog(
                        view,
                        question.failure,
                        dict(trigger),
                        monitor=monitor,
                        rollback_steps=len(self.session.loaded.playbook.rollback.steps),
                    )
                else:
                    dialog = FailureDialog(view, question.failure)
                self.push_dialog(dialog, self.decide)
            case Ask.hold:
                assert view is not None and question.until is not None
                from deploytui.ui.dialogs.hold import HoldDialog  # rare: on first use

                self.push_dialog(
                    HoldDialog(view, question.until, now=self.now, run_id=self.session.run_id),
                    self.decide,
                )
            case Ask.interrupted:
                assert view is not None
                self.push_dialog(InterruptedDialog(view), self.decide)
            case Ask.host_key:
                assert view is not None and question.key is not None
                self.push_dialog(
                    HostKeyDialog(view, question.key), lambda ok: self.answer(bool(ok))
                )

    def signer_name(self, step: SignoffStep) -> str:
        """The configured name, unless it already signed a role this one must differ from."""
        name = self.app.signer_name  # type: ignore[attr-defined]
        signed = self.state.signoffs if self.state else {}
        if any(signed.get(role, "").casefold() == name.casefold() for role in step.distinct_from):
            return ""
        return str(name)

    def gate_chosen(self, choice: str | None) -> None:
        if choice == "go":
            self.answer(None)
        elif choice == "override":
            self.decide("skip")

    def decide(self, choice: str | None) -> None:
        """Turn a choice into a Decision, asking for the reason or confirmation it needs."""
        question = self.pending
        if question is None or choice is None:
            return
        step_title = question.view.title if question.view else question.step.title
        failure = question.failure
        if choice == "retry" and failure is not None and failure.failed_hosts:
            # Some hosts already succeeded: re-running them is the risky choice, so confirm.
            total = failure.host_count or len(failure.failed_hosts)
            done = total - len(failure.failed_hosts)
            dialog = ConfirmDialog(
                "Retry on every host?",
                f"“{step_title}” runs again on all {total} hosts, including the {done} where it "
                "already succeeded. Retry only the failed hosts unless the command is safe to "
                "repeat.",
                f"Retry all {total} hosts",
            )
            self.push_dialog(
                dialog,
                lambda ok: ok and self.answer(Decision(action=DecisionAction.retry)),
            )
        elif choice in {"retry", "rerun", "retry_failed"}:
            self.answer(Decision(action=DecisionAction(choice)))
        elif choice == "wait":
            until = question.until
            self.answer(Decision(action=DecisionAction.wait))
            self.waiting_until = until
        elif choice == "continue":
            when = until_text(question.until, self.now()) if question.until else ""
            dialog = ReasonDialog(
                f"Continue now: {step_title}",
                f"The hold runs {when}. Why go on early? The reason goes into the journal.",
                "Continue now",
                placeholder="e.g. traffic peak already passed, checked with the on-call",
            )
            self.decide_with_reason(dialog, DecisionAction.continue_)
        elif choice == "leave":
            when = until_text(question.until, self.now()) if question.until else "later"
            self.leave_when_ended = True
            self.answer(Decision(action=DecisionAction.stop, reason=f"left parked {when}"))
        elif choice == "skip":
            verb = "Override the gate" if question.ask == Ask.gate else "Skip the step"
            dialog = ReasonDialog(
                f"{verb}: {step_title}",
                "Why? The reason goes into the journal and the report.",
                verb,
                placeholder="e.g. checked by hand, not needed in this window",
            )
            self.decide_with_reason(dialog, DecisionAction.skip)
        elif choice == "mark_done":
            dialog = ReasonDialog(
                f"Mark done: {step_title}",
                "It will not run again. Say what you checked (it goes into the journal).",
                "Mark done",
                placeholder="e.g. verified on the host: the dump exists and is complete",
                danger=True,
            )
            self.decide_with_reason(dialog, DecisionAction.mark_done)
        elif choice == "abort":
            dialog = ConfirmDialog(
                "Abort the run?",
                f"The run ends here as [b]aborted[/b] at “{step_title}”. It cannot be resumed; "
                "nothing is rolled back automatically.",
                "Abort the run",
            )
            self.push_dialog(
                dialog,
                lambda yes: (
                    yes
                    and self.answer(
                        Decision(action=DecisionAction.abort, reason="aborted by the operator")
                    )
                ),
            )
        elif choice == "rollback":
            reason = question.failure.reason if question.failure else f"after {step_title}"
            dialog = ConfirmDialog(
                "Start the rollback?",
                "The remaining steps are abandoned and the rollback steps run next "
                f"({len(self.session.loaded.playbook.rollback.steps)} steps).",
                "Start rollback",
            )
            self.push_dialog(
                dialog,
                lambda yes: (
                    yes and self.answer(Decision(action=DecisionAction.rollback, reason=reason))
                ),
            )

    # -- keys ----------------------------------------------------------------------------------

    def can_rollback(self) -> bool:
        question = self.pending
        if question is None or question.ask not in DECIDABLE:
            return False
        if question.failure is not None:
            return question.failure.can_rollback
        playbook = self.session.loaded.playbook
        return bool(playbook.rollback.steps) and not (self.state and self.state.rolling_back)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        pending = self.pending
        decidable = pending is not None and pending.ask in DECIDABLE and not self.dialog_open
        match action:
            case "proceed":
                return (pending is not None or self.ended) and not self.dialog_open
            case "retry":
                return decidable and pending is not None and pending.ask == Ask.failure
            case "skip" | "abort":
                return decidable
            case "rollback":
                return decidable and self.can_rollback()
            case "cancel_command":
                step = self.shown.step
                if self.waiting_until is not None:
                    return pending is None and not self.ended
                return (
                    pending is None
                    and not self.ended
                    and self.shown.status == StepStatus.running
                    and step is not None
                    and step.automated
                )
            case "leave":
                return self.ended
        return True

    def action_proceed(self) -> None:
        if self.ended:
            self.finish()
            return
        self.open_pending()

    def action_retry(self) -> None:
        self.decide("retry")

    def action_skip(self) -> None:
        self.decide("skip")

    def action_abort(self) -> None:
        self.decide("abort")

    def action_rollback(self) -> None:
        self.decide("rollback")

    def action_cancel_command(self) -> None:
        if self.waiting_until is not None:
            dialog = ConfirmDialog(
                "Stop waiting?",
                "The hold is not over yet; you choose again: wait, continue now (with a reason) "
                "or leave the run parked.",
                "Stop waiting",
                danger=False,
            )
            self.push_dialog(dialog, lambda yes: yes and self.session.engine.cancel_current())
            return
        if getattr(self.shown.step, "kind", None) == "monitor":
            dialog = ConfirmDialog(
                "Stop watching?",
                "The watch stops here and the step fails as cancelled (its samples stay in the "
                "journal); then you choose: watch again, skip, abort or roll back.",
                "Stop watching",
            )
            self.push_dialog(dialog, lambda yes: yes and self.session.engine.cancel_current())
            return
        dialog = ConfirmDialog(
            "Cancel the running command?",
            "The command is stopped and the step fails as cancelled; then you choose: retry, "
            "skip, abort or roll back.",
            "Cancel the command",
        )
        self.push_dialog(dialog, lambda yes: yes and self.session.engine.cancel_current())

    def action_history(self) -> None:
        self.app.action_history()  # type: ignore[attr-defined]

    def action_leave(self) -> None:
        if self.ended:
            self.finish()

    def stop_and_quit(self) -> None:
        """Leave the run resumable: the engine journals the pause, then the app exits."""
        if self.ended:
            self.finish()
            return
        self.quitting = True
        self.pending = None
        self.session.stop()
        self.shown.ended = "[bold $warning]⏸ Stopping… the run stays resumable.[/]"
        self.refresh_views()


def take_over_note(data: dict[str, Any]) -> str:
    """``run lock taken over from a stopped process: was laptop pid 4242, held since 01:02:03``."""
    since = parse_time(str(data.get("previous_since") or ""))
    held = f", held since {since.astimezone().strftime('%H:%M:%S')}" if since else ""
    how = "taken over (confirmed)" if data.get("forced") else "taken over from a stopped process"
    return (
        f"run lock {how}: was {data.get('previous_host', '?')} pid "
        f"{data.get('previous_pid', '?')}{held}"
    )


def notification_note(data: dict[str, Any]) -> str:
    """A quiet line: ``✓ notified ops (run_started)`` or ``✗ notification to ops failed: …``."""
    channel = data.get("channel", "?")
    about = f" ({data['event']})" if data.get("event") else ""
    if data.get("ok"):
        return f"✓ notified {channel}{about}"
    attempts = data.get("attempts")
    tries = f" after {plural(int(attempts), 'attempt')}" if isinstance(attempts, int) else ""
    error = f": {data['error']}" if data.get("error") else ""
    return f"✗ notification to {channel}{about} failed{tries}{error}"
