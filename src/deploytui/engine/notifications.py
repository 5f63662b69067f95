"""Notification hooks on run events, and the engine's side of the ``notify`` step.

The engine shows every journaled event to ``observe``, which decides which hooks fire
(``notifications.on``) and hands messages to the background ``Sender``; it never waits. The
outcomes come back as ``notification`` events (and a notice when a channel finally failed),
which the engine thread journals when it calls ``drain`` (before each step) and ``finish`` (at
the end of ``run``, after waiting a bounded ``wait_at_end``).

A channel whose URL renders empty, or needs a secret that has no value, is *not configured*: its
messages are skipped with one notice per run, so a rehearsal without the webhook still runs.
URLs are journaled only as ``scheme://host/••••``; message texts are sent masked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from deploytui.engine.masking import Masker
from deploytui.journal.store import PendingEvent
from deploytui.model.events import Event, EventType, StepStatus
from deploytui.model.notify_step import HookEvent, NotifyChannel, NotifyFormat, NotifyStep
from deploytui.model.playbook import ROLLBACK_PHASE_ID, Playbook
from deploytui.notify.payloads import Message, payload, shown_url
from deploytui.playbook.templating import Context, TemplateError, render

if TYPE_CHECKING:
    from collections.abc import Callable

    from deploytui.journal.state import RunState
    from deploytui.notify.sender import Sender


# How long the end of a run waits for deliveries when the operator asked to stop.
STOP_WAIT = 2.0


@dataclass
class Channel:
    """A channel with its templates rendered: the real URL, and what may be shown of it."""

    name: str
    format: NotifyFormat
    url: str = ""
    shown_url: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    problem: str | None = None  # why it is not configured


@dataclass
class StepSend:
    """What a notify step queued: journaled in its details (masked)."""

    message: str
    channels: list[dict[str, Any]]
    delivery_ids: list[int]
    skipped: list[str]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _utc(at: str) -> str:
    """A journal time as ISO UTC with a Z, to the second (what a chat message shows)."""
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        return at
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class NotificationHub:
    """Decides what to send for one engine, sends it in the background, reports outcomes."""

    def __init__(
        self,
        *,
        playbook: Playbook,
        secrets: dict[str, str],
        mask: Masker,
        run_fields: Callable[[], dict[str, Any]],
        title_of: Callable[[str], str] | None = None,
        stopping: Callable[[], bool] | None = None,
        sender: Sender | None = None,
    ) -> None:
        self.playbook = playbook
        self.config = playbook.notifications
        self.mask = mask
        self._run_fields = run_fields
        self._title_of = title_of
        self._stopping = stopping or (lambda: False)
        self._sender = sender
        self._pending: list[PendingEvent] = []
        self._warned: set[str] = set()
        context = Context(variables=playbook.variables, inputs={}, secrets=secrets, run={})
        self.channels = {
            name: _render_channel(name, channel, context)
            for name, channel in self.config.channels.items()
        }
        # The last step of each phase (and of the rollback): its settling finishes the phase.
        self._phase_ends: dict[str, tuple[str, str]] = {
            phase.steps[-1].id: (phase.id, phase.title) for phase in playbook.phases
        }
        if playbook.rollback.steps:
            self._phase_ends[playbook.rollback.steps[-1].id] = (
                ROLLBACK_PHASE_ID,
                playbook.rollback.title,
            )

    @classmethod
    def for_engine(cls, engine: Any) -> NotificationHub:
        return cls(
            playbook=engine.playbook,
            secrets=engine.secrets,
            mask=engine.mask,
            run_fields=lambda: engine.context().run,
            # The step's title as the operator sees it: templates rendered, secrets masked.
            title_of=lambda step_id: engine.view(engine.playbook.step(step_id)).title,
            stopping=engine._stop_requested.is_set,
        )

    @property
    def sender(self) -> Sender:
        if self._sender is None:  # httpx is imported only by runs that notify
            from deploytui.notify.sender import Sender

            self._sender = Sender(
                timeout=self.config.timeout, give_up_after=self.config.give_up_after
            )
        return self._sender

    # -- hooks ---------------------------------------------------------------------------------

    def run_began(self, state: RunState) -> None:
        """``run()`` was called: announce the start once, before any step ran."""
        # A resumed run already told the operator which channels are not configured.
        self._warned.update(
            name
            for name in self.channels
            if any(text.startswith(f"notification channel '{name}' ") for text in state.notices)
        )
        if state.rolling_back or any(step.attempts for step in state.steps.values()):
            return
        self._hook(HookEvent.run_started, headline=f"Run started: {self.playbook.name}")

    def observe(self, event: Event) -> None:
        """Called for every journaled event (engine thread); queues hook messages, never waits."""
        if not self.config.on:
            return
        if event.type == EventType.run_finished:
            status = str(event.data.get("status", "")).replace("_", " ")
            self._hook(
                HookEvent.run_finished,
                headline=f"Run {status}: {self.playbook.name}",
                status=status,
                at=event.at,
            )
        elif event.type == EventType.step_finished and event.step_id:
            self._step_finished(event)

    def _step_finished(self, event: Event) -> None:
        step_id = event.step_id or ""
        status = event.data.get("status")
        title = self._title(step_id)
        if status == StepStatus.failed.value:
            reason = str(event.data.get("reason") or "")
            triggered = (event.data.get("details") or {}).get("monitor", {}).get("triggered")
            trigger_channels: list[str] = []
            if triggered:
                trigger_channels = self._hook(
                    HookEvent.trigger_fired,
                    headline=f"Rollback trigger fired: {title}",
                    text=reason,
                    step_id=step_id,
                    status="triggered",
                    facts=_trigger_facts(triggered),
                    at=event.at,
                )
            # A channel on both hooks gets the one, more specific, trigger message.
            self._hook(
                HookEvent.step_failed,
                headline=f"Step failed: {title}",
                text=reason,
                step_id=step_id,
                status=f"failed (attempt {event.attempt})" if event.attempt else "failed",
                at=event.at,
                exclude=set(trigger_channels),
            )
        elif status in {StepStatus.succeeded.value, StepStatus.skipped.value} and (
            step_id in self._phase_ends
        ):
            phase_id, phase_title = self._phase_ends[step_id]
            what = "Rollback finished" if phase_id == ROLLBACK_PHASE_ID else "Phase finished"
            self._hook(
                HookEvent.phase_finished,
                headline=f"{what}: {phase_title}",
                phase=phase_title,
                at=event.at,
            )

    def _title(self, step_id: str) -> str:
        try:
            if self._title_of is not None:
                return self.mask(self._title_of(step_id))
            return self.mask(self.playbook.step(step_id).title)
        except Exception:  # a title that cannot be shown must not stop a hook
            return step_id

    def _hook(
        self,
        hook: HookEvent,
        *,
        headline: str,
        text: str = "",
        exclude: set[str] | None = None,
        at: str | None = None,
        **extra: Any,
    ) -> list[str]:
        names = [name for name in self.config.on.get(hook, []) if name not in (exclude or set())]
        if not names:
            return []
        message = self._message(hook.value, headline, text, at=at, **extra)
        for name in names:
            self._submit(name, message, step_id=None)
        return names

    # -- notify steps --------------------------------------------------------------------------

    def send_step(self, step: NotifyStep, step_id: str) -> StepSend:
        """Queue a notify step's message (``step`` rendered; its text is masked before sending)."""
        text = self.mask(step.message)
        message = self._message(
            "notify", self.mask(step.title), text, step_id=step_id, phase=self._phase(step_id)
        )
        shown: list[dict[str, Any]] = []
        ids: list[int] = []
        skipped: list[str] = []
        for name in step.channel_names():
            channel = self.channels.get(name)
            entry: dict[str, Any] = {
                "name": name,
                "url": channel.shown_url if channel else "",
                "format": channel.format.value if channel else "",
            }
            delivery = self._submit(name, message, step_id=step_id)
            if delivery is None:
                entry["queued"] = False
                entry["skipped"] = self._problem(name)
                skipped.append(name)
            else:
                entry["queued"] = True
                ids.append(delivery)
            shown.append(entry)
        return StepSend(message=text, channels=shown, delivery_ids=ids, skipped=skipped)

    def _phase(self, step_id: str) -> str | None:
        try:
            phase_id = self.playbook.phase_of(step_id)
        except KeyError:
            return None
        if phase_id == ROLLBACK_PHASE_ID:
            return self.playbook.rollback.title
        return next((phase.title for phase in self.playbook.phases if phase.id == phase_id), None)

    def _problem(self, name: str) -> str:
        channel = self.channels.get(name)
        if channel is None:
            return f"channel '{name}' is not declared"
        return channel.problem or ""

    # -- sending and reporting -----------------------------------------------------------------

    def _message(
        self, event: str, headline: str, text: str, *, at: str | None = None, **extra: Any
    ) -> Message:
        run = self._run_fields()
        when = _utc(at) if at else _now()
        return Message(
            event=event,
            headline=headline,
            text=text,
            playbook=self.playbook.name,
            run_id=str(run.get("id", "")),
            operator=str(run.get("operator", "")),
            at=when,
            **extra,
        )

    def _submit(self, name: str, message: Message, *, step_id: str | None) -> int | None:
        channel = self.channels.get(name)
        if channel is None or channel.problem is not None:
            if name not in self._warned:
                self._warned.add(name)
                self._notice(
                    f"notification channel '{name}' is not configured ({self._problem(name)}): "
                    "its messages are skipped"
                )
            return None
        return self.sender.submit(
            channel=name,
            event=message.event,
            url=channel.url,
            shown=channel.shown_url,
            headers=channel.headers,
            body=payload(message, channel.format),
            step_id=step_id,
        )

    def _notice(self, text: str) -> None:
        self._pending.append(PendingEvent(type=EventType.notice, data={"text": self.mask(text)}))

    def drain(self) -> list[PendingEvent]:
        """Events to journal now: outcomes that arrived, and notices (engine thread)."""
        if self._sender is not None:
            for outcome in self._sender.take_outcomes():
                data = outcome.model_dump(exclude={"delivery_id", "step_id"})
                self._pending.append(
                    PendingEvent(
                        type=EventType.notification,
                        step_id=outcome.step_id,
                        data=self.mask.data(data),
                    )
                )
                if not outcome.ok:
                    self._notice(
                        f"notification to '{outcome.channel}' ({outcome.event}) was not "
                        f"delivered: {outcome.error}"
                    )
        pending, self._pending = self._pending, []
        return pending

    def finish(self) -> list[PendingEvent]:
        """End of ``run``: wait at most ``wait_at_end`` for deliveries, then report the rest."""
        if self._sender is None:
            return self.drain()
        # The operator is leaving (quit, stop): do not keep them waiting on a slow webhook.
        waited = (
            min(self.config.wait_at_end, STOP_WAIT) if self._stopping() else self.config.wait_at_end
        )
        left = self._sender.close(waited)
        pending = self.drain()
        for delivery in left:
            pending.append(
                PendingEvent(
                    type=EventType.notification,
                    step_id=delivery.step_id,
                    data=self.mask.data(
                        {
                            "channel": delivery.channel,
                            "event": delivery.event,
                            "url": delivery.shown_url,
                            "ok": False,
                            "status": None,
                            "attempts": None,
                            "error": "still being sent when the run stopped "
                            f"(waited {waited:g}s); delivery not confirmed",
                        }
                    ),
                )
            )
        if left:
            names = ", ".join(sorted({delivery.channel for delivery in left}))
            pending.append(
                PendingEvent(
                    type=EventType.notice,
                    data={
                        "text": f"{len(left)} notification(s) to {names} were still being sent "
                        "when the run stopped: delivery not confirmed"
                    },
                )
            )
        return pending


def _render_channel(name: str, channel: NotifyChannel, context: Context) -> Channel:
    rendered = Channel(name=name, format=channel.format)
    try:
        url = render(channel.url, context).strip()
        shown = render(channel.url, context, mask=True).strip()
        headers = {key: render(value, context) for key, value in channel.headers.items()}
    except TemplateError as error:
        rendered.problem = f"its url or headers cannot be rendered: {error}"
        return rendered
    rendered.shown_url = shown_url(shown) if shown else ""
    if not url:
        rendered.problem = "its url is empty"
    elif not url.startswith(("http://", "https://")):
        rendered.problem = "its url does not start with http:// or https://"
    else:
        rendered.url, rendered.headers = url, headers
    return rendered


def _trigger_facts(triggered: dict[str, Any]) -> dict[str, str]:
    facts = {}
    for key, label in (("signal", "Signal"), ("value", "Value"), ("threshold", "Threshold")):
        if triggered.get(key) is not None:
            facts[label] = str(triggered[key])
    return facts
