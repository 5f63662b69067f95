"""Typed input forms for ``input`` steps, and the warning a target breach must get.

Each field shows its label and unit, a hint (help text, choices, limits, target), and live
feedback as the operator types: the value as it will be recorded, or what is wrong with it. The
form refuses to submit while any answer is invalid; the engine validates again and its messages
come back into the same places.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Input, Label, Static

from deploytui.engine.operator import StepView
from deploytui.model.fields import CapturedValue, InputField
from deploytui.model.steps import InputStep
from deploytui.model.values import InvalidValue
from deploytui.ui.dialogs.common import Dialog, buttons, esc
from deploytui.ui.text import breach


def field_hint(field: InputField) -> str:
    parts = []
    if field.help:
        parts.append(field.help)
    if field.options:
        parts.append(" / ".join(field.options))
    if field.min is not None:
        parts.append(f"at least {field.min}")
    if field.max is not None:
        parts.append(f"at most {field.max}")
    if field.target:
        parts.append(f"target {field.target}")
    if not field.required:
        parts.append("optional")
    return " · ".join(parts)


def feedback(field: InputField, raw: str, *, strict: bool) -> tuple[str, bool]:
    """Markup for the line under a field, and whether the answer is acceptable."""
    if not raw.strip() and not strict:
        return "", True
    try:
        value = field.capture(raw)
    except InvalidValue as error:
        return f"[bold $error]✗ {esc(error)}[/]", False
    if value.breach:
        return breach(value.breach), True
    return f"[$success]✓ {esc(value.display)}[/]", True


class InputForm(Dialog[dict[str, str]]):
    """One input per field; ``enter`` moves on, and records the values on the last field."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *Dialog.BINDINGS,
        Binding("ctrl+s", "record", "record"),
        Binding("tab", "app.focus_next", "next field"),
    ]

    def __init__(
        self,
        step: InputStep,
        view: StepView,
        *,
        errors: dict[str, str] | None = None,
        previous: dict[str, str] | None = None,
    ) -> None:
        super().__init__(title=view.title, classes="form")
        self.step = step
        self.view = view
        self.errors = dict(errors or {})
        self.previous = dict(previous or {})

    def body(self) -> ComposeResult:
        if self.view.description:
            yield Static(esc(self.view.description.strip()), classes="message")
        with VerticalScroll(id="fields"):
            for field in self.step.fields:
                with Vertical(classes="field"):
                    yield Label(self._label(field, focused=False), id=f"lb-{field.id}")
                    value = self.previous.get(field.id, field.default or "")
                    yield Input(value=value, id=f"in-{field.id}")
                    # One line under the input: the hint, replaced by feedback once typed.
                    yield Static("", id=f"fb-{field.id}", classes="feedback")
        yield buttons(("record", "Record (ctrl+s)", "primary"), ("back", "Back (esc)", "default"))

    def on_mount(self) -> None:
        for field in self.step.fields:
            if field.id in self.errors:
                self._show(field, f"[bold $error]✗ {esc(self.errors[field.id])}[/]")
            else:
                self._show(field, feedback(field, self._raw(field), strict=False)[0])
        first_bad = next((f for f in self.step.fields if f.id in self.errors), None)
        self.query_one(f"#in-{(first_bad or self.step.fields[0]).id}", Input).focus()

    @staticmethod
    def _label(field: InputField, *, focused: bool) -> str:
        # The field being typed into is marked in text too, not only by the border colour.
        unit = f" [dim]({esc(field.unit)})[/]" if field.unit else ""
        marker = "[$accent]▸[/] " if focused else "  "
        return f"{marker}[b]{esc(field.display_label)}[/b]{unit}"

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        focused = self.focused
        for field in self.step.fields:
            is_focused = focused is not None and focused.id == f"in-{field.id}"
            self.query_one(f"#lb-{field.id}", Label).update(self._label(field, focused=is_focused))

    def _show(self, field: InputField, markup: str) -> None:
        hint = field_hint(field)
        line = markup or (f"[dim]{esc(hint)}[/]" if hint else "")
        self.query_one(f"#fb-{field.id}", Static).update(line)

    def _raw(self, field: InputField) -> str:
        return self.query_one(f"#in-{field.id}", Input).value

    def _field(self, input_id: str | None) -> InputField | None:
        return next((f for f in self.step.fields if f"in-{f.id}" == input_id), None)

    def on_input_changed(self, event: Input.Changed) -> None:
        field = self._field(event.input.id)
        if field is None:
            return
        if field.id in self.errors and event.value == self.previous.get(field.id, ""):
            return  # keep the engine's message until the answer is edited
        self.errors.pop(field.id, None)
        self._show(field, feedback(field, event.value, strict=False)[0])

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        fields = self.step.fields
        field = self._field(event.input.id)
        index = fields.index(field) if field in fields else len(fields) - 1
        if index < len(fields) - 1:
            self.query_one(f"#in-{fields[index + 1].id}", Input).focus()
        else:
            self.action_record()

    def action_record(self) -> None:
        first_bad: InputField | None = None
        for field in self.step.fields:
            markup, ok = feedback(field, self._raw(field), strict=True)
            self._show(field, markup)
            if not ok and first_bad is None:
                first_bad = field
        if first_bad is not None:
            self.query_one(f"#in-{first_bad.id}", Input).focus()
            self.notify("Fix the answers marked ✗ first.", severity="warning", timeout=3)
            return
        self.dismiss({field.id: self._raw(field) for field in self.step.fields})

    def pressed(self, button_id: str) -> None:
        if button_id == "record":
            self.action_record()
        else:
            self.dismiss(None)


class BreachDialog(Dialog[bool]):
    """A value misses its target: correct it, or record the breach knowingly."""

    def __init__(self, breaches: list[CapturedValue]) -> None:
        super().__init__(title="⚠ Target breached", classes="warning")
        self.breaches = breaches

    def body(self) -> ComposeResult:
        lines = [f"{esc(value.label)}: {breach(value.breach or '')}" for value in self.breaches]
        yield Static("\n".join(lines), id="breaches", classes="message")
        yield Static(
            "Recording it keeps the breach in the journal and the report, and a go / no-go "
            "gate that requires this target will block. Correct the value if it was a typo.",
            classes="message",
        )
        yield buttons(
            ("correct", "Correct the value (esc)", "primary"),
            ("acknowledge", "Record the breach", "warning"),
        )

    def on_mount(self) -> None:
        self.query_one("#correct").focus()

    def action_cancel(self) -> None:
        self.dismiss(False)

    def pressed(self, button_id: str) -> None:
        self.dismiss(button_id == "acknowledge")
