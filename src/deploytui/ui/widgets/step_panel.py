"""The current step: what it is, exactly what it runs and where, and what it waits for now.

It answers "what happens next" at a glance: the rendered command or request (secrets already
masked by the engine), the target, the step's state, and the keys that act on it. Per-host results
of fan-out steps (``details["hosts"]``) are listed when the step finishes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from textual.containers import VerticalScroll
from textual.markup import escape
from textual.widgets import Static

from deploytui.engine.operator import StepView
from deploytui.model.events import StepStatus
from deploytui.model.steps import ConfirmStep, NoteStep, StepBase
from deploytui.model.values import format_duration
from deploytui.ui.bridge import Ask
from deploytui.ui.text import breach, step_icon

WAITING_HINTS: dict[Ask, str] = {
    Ask.acknowledge: "[b]enter[/b] to continue",
    Ask.inputs: "[b]enter[/b] to fill in the values",
    Ask.breaches: "[b]enter[/b] to review the target breach",
    Ask.sign: "[b]enter[/b] to sign off",
    Ask.gate: "[b]enter[/b] to review the go / no-go conditions",
    Ask.failure: "[b]enter[/b] to choose: retry, skip, abort or roll back",
    Ask.interrupted: "[b]enter[/b] to choose: re-run it or mark it done",
    Ask.host_key: "[b]enter[/b] to review an unknown host key",
    Ask.hold: "[b]enter[/b] to choose: wait here, continue now or leave it parked",
}


@dataclass
class StepShown:
    """What the panel shows; the run screen fills it in from events and questions."""

    view: StepView | None = None
    step: StepBase | None = None
    status: StepStatus = StepStatus.pending
    attempt: int = 1
    running_for: float | None = None
    waiting: Ask | None = None
    result: dict[str, Any] = field(default_factory=dict)
    ended: str = ""
    # The step with templates rendered and secrets masked (the notify message), if rendered.
    rendered: StepBase | None = None
    # For a notify step: its channels as "name (format)".
    channels: list[str] = field(default_factory=list)
    # "Wait here" at a hold: the live countdown line.
    countdown: str = ""


def reflow(text: str) -> str:
    """Join a YAML block's hard-wrapped lines into paragraphs, so the panel can wrap them."""
    paragraphs = [" ".join(part.split()) for part in text.strip().split("\n\n")]
    return "\n".join(paragraph for paragraph in paragraphs if paragraph)


def _hosts(details: dict[str, Any]) -> list[str]:
    lines = []
    for host in details.get("hosts", []) or []:
        ok = bool(host.get("ok"))
        icon = step_icon(StepStatus.succeeded if ok else StepStatus.failed)
        extra = []
        if host.get("exit_code") is not None:
            extra.append(f"exit {host['exit_code']}")
        if host.get("duration") is not None:
            extra.append(format_duration(float(host["duration"])))
        if host.get("reason"):
            extra.append(escape(str(host["reason"])))
        lines.append(f"  {icon} [b]{escape(str(host.get('host', '?')))}[/b]  " + " · ".join(extra))
    return lines


def step_markup(shown: StepShown) -> str:
    """The panel's body as markup."""
    if shown.ended:
        return shown.ended
    view, step = shown.view, shown.step
    if view is None:
        return "[dim]Starting…[/]"
    lines = []
    title = f"[b]{escape(view.title)}[/b]"
    if shown.attempt > 1:
        title += f"  [dim](attempt {shown.attempt})[/]"
    lines.append(f"{step_icon(shown.status)} {title}")
    if view.description:
        lines.append(f"[dim]{escape(reflow(view.description))}[/]")
    if isinstance(step, NoteStep) and step.text:
        lines.append(escape(reflow(step.text)))
    if isinstance(step, ConfirmStep) and step.prompt:
        lines.append(escape(reflow(step.prompt)))
    if getattr(step, "kind", None) == "notify":
        lines.extend(notify_lines(shown))
    elif view.action:
        lines.append(f"[$accent]{escape(view.action)}[/]")
    if view.where and getattr(step, "kind", None) != "notify":  # "to CHANNELS" says where
        lines.append(f"[dim]on[/] {escape(view.where)}")
    status = shown.status
    if shown.countdown:
        lines.append(f"[bold $warning]{escape(shown.countdown)}[/] — [b]c[/b] stops waiting")
    elif shown.waiting is not None:
        lines.append(f"[bold $warning]● waiting for you[/] — {WAITING_HINTS[shown.waiting]}")
    elif status == StepStatus.running:
        since = format_duration(shown.running_for or 0)
        doing = "running" if step is not None and step.automated else "in progress"
        lines.append(f"[bold $accent]▶ {doing} · {since}[/]")
    elif status == StepStatus.held:
        lines.append(f"{step_icon(status)} [bold $warning]held[/]")
    elif status in {StepStatus.succeeded, StepStatus.skipped, StepStatus.failed}:
        word = status.value
        if shown.result.get("duration"):
            word += f" in {format_duration(float(shown.result['duration']))}"
        if shown.result.get("reason"):
            word += f": {escape(str(shown.result['reason']))}"
        lines.append(f"{step_icon(status)} {word}")
    for value in shown.result.get("values", []) or []:
        line = f"  {escape(value['label'])}: [b]{escape(str(value['display']))}[/b]"
        if value.get("breach"):
            line += "  " + breach(value["breach"])
        lines.append(line)
    lines.extend(_hosts(shown.result.get("details", {}) or {}))
    return "\n".join(lines)


def notify_lines(shown: StepShown) -> list[str]:
    """A notify step: where it goes and the message exactly as it will be sent (masked)."""
    step = shown.rendered or shown.step
    channels = ", ".join(shown.channels) or ", ".join(getattr(step, "channel_names", list)())
    message = str(getattr(step, "message", "") or "")
    lines = [f"[dim]to[/] [b]{escape(channels)}[/b]"]
    if message:
        lines.extend(f"[$accent]│ {escape(line)}[/]" for line in message.strip().splitlines())
    return lines


class StepPanel(VerticalScroll, can_focus=False):
    """A bordered, scrollable panel titled with the phase and the step's position in it."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._body = Static("", id="step-body", markup=True)
        self._markup: str | None = None
        self._titles: tuple[str, str] | None = None

    def compose(self):  # type: ignore[no-untyped-def]
        yield self._body

    def show(self, shown: StepShown) -> None:
        view = shown.view
        if view is not None and not shown.ended:
            where = "rollback" if view.rollback else view.phase_title
            titles = (f"{where} · step {view.index} of {view.total}", view.kind)
        else:
            titles = ("Run", "")
        # Called on every drain of the run's feed (20 times a second during a flood of output):
        # setting a title or the body repaints even when nothing changed, so compare first.
        if titles != self._titles:
            self._titles = titles
            self.border_title, self.border_subtitle = titles
        markup = step_markup(shown)
        if markup != self._markup:
            self._markup = markup
            self._body.update(markup)
