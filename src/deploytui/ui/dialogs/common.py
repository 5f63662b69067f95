"""The two dialogs every destructive choice goes through: confirm, and give a reason.

Abort, roll back and mark done never happen on one key: the first key opens one of these, and
only its explicit button (or enter on it) makes the choice. Escape always backs out.
"""

from __future__ import annotations

from typing import Any, ClassVar, Generic, TypeVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, Static

T = TypeVar("T")


class Dialog(ModalScreen[T], Generic[T]):
    """A centred, bordered dialog; escape dismisses it with ``None``."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "back")]
    DIALOG_TITLE = ""

    def __init__(self, *, title: str | None = None, classes: str = "") -> None:
        super().__init__(classes=f"dialog {classes}".strip())
        self.dialog_title = title if title is not None else self.DIALOG_TITLE

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as box:
            box.border_title = self.dialog_title
            yield from self.body()
        yield Footer()

    def body(self) -> ComposeResult:
        yield from ()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.pressed(event.button.id or "")

    def pressed(self, button_id: str) -> None:
        if button_id == "back":
            self.dismiss(None)


def buttons(*items: tuple[str, str, str]) -> Horizontal:
    """A row of buttons from (id, label, variant)."""
    return Horizontal(
        *[Button(label, id=button_id, variant=variant) for button_id, label, variant in items],  # type: ignore[arg-type]
        classes="buttons",
    )


class ConfirmDialog(Dialog[bool]):
    """Are you sure? ``True`` only from the confirm button."""

    def __init__(self, title: str, message: str, confirm: str, *, danger: bool = True) -> None:
        super().__init__(title=title, classes="danger" if danger else "")
        self.message = message
        self.confirm = confirm
        self.danger = danger

    def body(self) -> ComposeResult:
        yield Static(self.message, classes="message")
        yield buttons(
            ("confirm", self.confirm, "error" if self.danger else "primary"),
            ("back", "Back (esc)", "default"),
        )

    def on_mount(self) -> None:
        # A stray enter must not confirm something destructive: focus "Back" for those.
        self.query_one("#back" if self.danger else "#confirm", Button).focus()

    def pressed(self, button_id: str) -> None:
        self.dismiss(button_id == "confirm")


class ReasonDialog(Dialog[str]):
    """Ask for a required reason or note; the button names what will happen."""

    def __init__(
        self,
        title: str,
        prompt: str,
        confirm: str,
        *,
        placeholder: str = "",
        danger: bool = False,
    ) -> None:
        super().__init__(title=title, classes="danger" if danger else "")
        self.prompt = prompt
        self.confirm = confirm
        self.placeholder = placeholder
        self.danger = danger

    def body(self) -> ComposeResult:
        yield Static(self.prompt, classes="message")
        yield Input(placeholder=self.placeholder, id="reason")
        yield Label("", id="reason-error", classes="error")
        yield buttons(
            ("confirm", self.confirm, "error" if self.danger else "primary"),
            ("back", "Back (esc)", "default"),
        )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.pressed("confirm")

    def pressed(self, button_id: str) -> None:
        if button_id != "confirm":
            self.dismiss(None)
            return
        text = self.query_one("#reason", Input).value.strip()
        if not text:
            self.query_one("#reason-error", Label).update("✗ a reason is required")
            self.query_one("#reason", Input).focus()
            return
        self.dismiss(text)


def esc(text: Any) -> str:
    return escape(str(text))
