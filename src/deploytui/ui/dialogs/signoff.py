"""The sign-off dialog: role, what the signer attests, their name (prefilled), confirm.

The name is prefilled from the config or the OS user, except when that person already signed a
role this one must be distinct from (four-eyes): then it starts empty for the second person.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Input, Label, Static

from deploytui.engine.operator import StepView
from deploytui.model.steps import SignoffStep
from deploytui.ui.dialogs.common import Dialog, buttons, esc


class SignoffDialog(Dialog[str]):
    def __init__(
        self, step: SignoffStep, view: StepView, *, name: str, error: str | None = None
    ) -> None:
        super().__init__(title=f"Sign-off · {step.role}", classes="form")
        self.step = step
        self.view = view
        self.signer = name
        self.error = error

    def body(self) -> ComposeResult:
        statement = self.step.statement or self.view.description
        if statement.strip() == self.view.title.strip():
            statement = ""
        four_eyes = ""
        if self.step.distinct_from:
            roles = ", ".join(self.step.distinct_from)
            four_eyes = f"\n[dim]Must be a different person from: {esc(roles)}[/]"
        yield Static(
            f"[b]{esc(self.view.title)}[/b]"
            + (f"\n{esc(statement)}" if statement else "")
            + four_eyes,
            classes="message",
        )
        yield Label(f"Signing as [b]{esc(self.step.role)}[/b] — name")
        yield Input(value=self.signer, id="signer", placeholder="full name")
        yield Label(f"[bold $error]✗ {esc(self.error)}[/]" if self.error else "", id="sign-error")
        yield buttons(
            ("sign", f"Sign as {self.step.role}", "primary"), ("back", "Back (esc)", "default")
        )

    def on_mount(self) -> None:
        self.query_one("#signer", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.pressed("sign")

    def pressed(self, button_id: str) -> None:
        if button_id != "sign":
            self.dismiss(None)
            return
        name = " ".join(self.query_one("#signer", Input).value.split())
        if not name:
            self.query_one("#sign-error", Label).update("[bold $error]✗ type the signer's name[/]")
            return
        self.dismiss(name)
