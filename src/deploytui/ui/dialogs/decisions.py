"""Dialogs for a step that cannot simply continue: failed, interrupted, a gate, a host key.

Each returns the operator's choice as a word (``retry``, ``skip``, ``abort``, ``rollback``...);
the run screen turns it into a ``Decision``, asking for a reason or a second confirmation where
UX.md requires one.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from deploytui.engine.operator import Failure, GateResult, StepView
from deploytui.executors.base import HostKey
from deploytui.model.events import StepStatus
from deploytui.ui.dialogs.common import Dialog, buttons, esc
from deploytui.ui.text import step_icon


class FailureDialog(Dialog[str]):
    """Retry, skip (reason), abort (confirm) or start rollback (confirm).

    A fan-out step that succeeded on some hosts also offers "Retry failed hosts (N)", first and
    focused; "Retry all" then re-runs hosts that already succeeded, so the run screen confirms it.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        *Dialog.BINDINGS,
        Binding("r", "choose('retry')", "retry"),
        Binding("f", "choose('retry_failed')", "retry failed hosts"),
        Binding("s", "choose('skip')", "skip…"),
        Binding("a", "choose('abort')", "abort…"),
        Binding("b", "choose('rollback')", "roll back…"),
    ]

    def __init__(self, view: StepView, failure: Failure) -> None:
        super().__init__(title="✗ Step failed", classes="failure")
        self.view = view
        self.failure = failure

    def body(self) -> ComposeResult:
        attempt = f" · attempt {self.failure.attempt}" if self.failure.attempt else ""
        failed = self.failure.failed_hosts
        total = self.failure.host_count or len(failed)
        hosts = (
            f"Did not succeed on {len(failed)} of {total} hosts: {esc(_host_list(failed))}\n\n"
            if failed
            else ""
        )
        yield Static(
            f"{step_icon(StepStatus.failed)} [b]{esc(self.view.title)}[/b]"
            f"[dim] ({esc(self.view.step_id)}{attempt})[/]\n\n"
            f"{esc(self.failure.reason)}\n\n{hosts}"
            "What now? The output stays in the journal whatever you choose.",
            classes="message",
        )
        if failed:
            # A row of its own: the two retries side by side, the safe one first and focused.
            yield buttons(
                ("retry_failed", f"Retry failed hosts ({len(failed)}) (f)", "primary"),
                ("retry", f"Retry all ({total})… (r)", "warning"),
            )
            retry_items = []
        else:
            retry_items = [("retry", "Retry (r)", "primary")]
        items = [
            *retry_items,
            ("skip", "Skip… (s)", "default"),
            ("abort", "Abort… (a)", "error"),
        ]
        if self.failure.can_rollback:
            items.append(("rollback", "Roll back… (b)", "warning"))
        yield buttons(*items)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "choose" and parameters == ("rollback",):
            return self.failure.can_rollback
        if action == "choose" and parameters == ("retry_failed",):
            return bool(self.failure.failed_hosts)
        return True

    def on_mount(self) -> None:
        self.query_one("#retry_failed" if self.failure.failed_hosts else "#retry").focus()

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)

    def pressed(self, button_id: str) -> None:
        self.dismiss(button_id)


SHOWN_HOSTS = 8  # failed hosts named in the dialog; the step panel lists them all


def _host_list(hosts: list[str]) -> str:
    more = f", …and {len(hosts) - SHOWN_HOSTS} more" if len(hosts) > SHOWN_HOSTS else ""
    return ", ".join(hosts[:SHOWN_HOSTS]) + more


class InterruptedDialog(Dialog[str]):
    """A step was running when the run stopped: re-run it, or mark it done with a note."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *Dialog.BINDINGS,
        Binding("r", "choose('rerun')", "re-run"),
        Binding("d", "choose('mark_done')", "mark done…"),
        Binding("s", "choose('skip')", "skip…"),
        Binding("a", "choose('abort')", "abort…"),
    ]

    def __init__(self, view: StepView) -> None:
        super().__init__(title="⏸ Interrupted step", classes="warning")
        self.view = view

    def body(self) -> ComposeResult:
        action = f"\n[$accent]{esc(self.view.action)}[/]" if self.view.action else ""
        yield Static(
            f"[b]{esc(self.view.title)}[/b] [dim]({esc(self.view.step_id)})[/]{action}\n\n"
            "It was running when the run stopped, so it may or may not have finished. "
            "Check the target, then re-run it, or mark it done with a note saying what you saw.",
            classes="message",
        )
        yield buttons(
            ("rerun", "Re-run it (r)", "primary"),
            ("mark_done", "Mark done… (d)", "warning"),
            ("skip", "Skip… (s)", "default"),
            ("abort", "Abort… (a)", "error"),
        )

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)

    def pressed(self, button_id: str) -> None:
        self.dismiss(button_id)


class GateDialog(Dialog[str]):
    """Every go/no-go condition with its state; go, record a no-go, or override with a reason."""

    def __init__(self, view: StepView, results: list[GateResult]) -> None:
        super().__init__(title=f"Gate · {view.title}", classes="gate")
        self.view = view
        self.results = results

    @property
    def go(self) -> bool:
        return all(result.passed for result in self.results)

    def body(self) -> ComposeResult:
        lines = []
        for result in self.results:
            icon = step_icon(StepStatus.succeeded if result.passed else StepStatus.failed)
            detail = f" [dim]— {esc(result.detail)}[/]" if result.detail else ""
            lines.append(f"{icon} {esc(result.label)}{detail}")
        failing = sum(1 for result in self.results if not result.passed)
        if self.go:
            verdict = f"[bold $success]GO[/] — all {len(self.results)} conditions hold."
        else:
            verdict = (
                f"[bold $error]NO-GO[/] — {failing} of {len(self.results)} conditions do not "
                "hold. Recording the no-go fails this step (then retry, skip, abort or roll "
                "back); overriding needs a reason."
            )
        yield Static("\n".join(lines), id="conditions", classes="message")
        yield Static(verdict, classes="message")
        if self.go:
            yield buttons(("go", "Go (enter)", "success"), ("back", "Back (esc)", "default"))
        else:
            yield buttons(
                ("go", "Record no-go", "error"),
                ("override", "Override…", "warning"),
                ("back", "Back (esc)", "default"),
            )

    def on_mount(self) -> None:
        # Enter says go when everything holds; otherwise nothing happens on a stray enter.
        self.query_one("#go" if self.go else "#back").focus()

    def pressed(self, button_id: str) -> None:
        self.dismiss(None if button_id == "back" else button_id)


class HostKeyDialog(Dialog[bool]):
    """An SSH host key known_hosts does not have; refusing is the default."""

    def __init__(self, view: StepView, key: HostKey) -> None:
        title = "⚠ HOST KEY CHANGED" if key.changed else "Unknown host key"
        super().__init__(title=title, classes="danger" if key.changed else "warning")
        self.view = view
        self.key = key

    def body(self) -> ComposeResult:
        key = self.key
        warning = (
            "[bold $error]The key differs from the one in known_hosts. Someone may be "
            "intercepting the connection. Accept only if you know the host was rebuilt.[/]\n\n"
            if key.changed
            else "known_hosts has no key for this host. Compare the fingerprint with one you "
            "trust before accepting.\n\n"
        )
        yield Static(
            f"{warning}host        [b]{esc(key.host)}:{key.port}[/b]\n"
            f"key type    {esc(key.key_type)}\n"
            f"fingerprint [b]{esc(key.fingerprint)}[/b]\n"
            f"step        {esc(self.view.title)}\n\n"
            "Accepting records the key and who accepted it in the journal.",
            classes="message",
        )
        yield buttons(("refuse", "Refuse (esc)", "primary"), ("accept", "Accept key", "error"))

    def on_mount(self) -> None:
        self.query_one("#refuse").focus()

    def action_cancel(self) -> None:
        self.dismiss(False)

    def pressed(self, button_id: str) -> None:
        self.dismiss(button_id == "accept")
