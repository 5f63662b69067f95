"""Export a run from history: pick a format, confirm the file, and it is written atomically.

The rendering and writing are ``deploytui.export``'s (the same as ``deploytui export``); this
dialog only asks where, and the history screen runs the export in a thread worker.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, Label, Static

from deploytui.ui.dialogs.common import Dialog, buttons, esc

SUFFIXES = {"md": ".md", "html": ".html", "json": ".json"}


class ExportDialog(Dialog[tuple[str, Path]]):
    """Returns (format, path) or ``None``."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *Dialog.BINDINGS,
        Binding("ctrl+s", "export", "export"),
    ]

    def __init__(self, run_id: str, folder: Path) -> None:
        super().__init__(title=f"Export run {run_id}", classes="form")
        self.run_id = run_id
        self.folder = folder
        self.fmt = "md"

    def body(self) -> ComposeResult:
        yield Static(
            "A filled-in report of the run: Markdown, one self-contained HTML file, or JSON. "
            "Secrets stay masked.",
            classes="message",
        )
        yield buttons(
            ("md", "Markdown", "primary"), ("html", "HTML", "default"), ("json", "JSON", "default")
        )
        yield Label("File")
        yield Input(value=str(self.path_for("md")), id="export-path")
        yield Label("", id="export-error")
        yield buttons(("export", "Export (ctrl+s)", "success"), ("back", "Back (esc)", "default"))

    def path_for(self, fmt: str) -> Path:
        return self.folder / f"deploytui-{self.run_id}{SUFFIXES[fmt]}"

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).focus()

    def pressed(self, button_id: str) -> None:
        if button_id in SUFFIXES:
            self.fmt = button_id
            field = self.query_one("#export-path", Input)
            field.value = str(Path(field.value).with_suffix(SUFFIXES[button_id]))
            for fmt in SUFFIXES:
                self.query_one(f"#{fmt}").variant = "primary" if fmt == button_id else "default"
        elif button_id == "export":
            self.action_export()
        else:
            self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_export()

    def action_export(self) -> None:
        path = Path(self.query_one("#export-path", Input).value.strip()).expanduser()
        error = ""
        if not path.name:
            error = "give a file name"
        elif path.is_dir():
            error = f"{path} is a folder; give a file name"
        elif not path.parent.exists():
            error = f"the folder {path.parent} does not exist"
        if error:
            self.query_one("#export-error", Label).update(f"[bold $error]✗ {esc(error)}[/]")
            return
        self.dismiss((self.fmt, path))
