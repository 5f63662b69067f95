"""Help (``?``): the keys of the screen in view, what each does now, and the app-wide ones."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Static

GENERAL = [
    ("tab", "next panel or field (shift+tab: previous)"),
    ("^p", "command palette: the main actions by name"),
]


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "close"),
        Binding("question_mark", "dismiss", "close", show=False),
    ]

    def __init__(self, screen: Screen[object]) -> None:
        super().__init__(classes="dialog help")
        self.target = screen
        self.screen_name = getattr(screen, "HELP_TITLE", type(screen).__name__)

    def key_rows(self) -> list[tuple[str, str, str]]:
        """Every described key of the screen (and the app), and whether it acts right now."""
        screen = self.target
        active_actions = {item.binding.action for item in screen.active_bindings.values()}
        rows: list[tuple[str, str, str]] = []
        seen: set[str] = set()
        declared = [*getattr(screen, "BINDINGS", []), *self.app.BINDINGS]
        for binding in Binding.make_bindings(declared):
            if not binding.description or binding.action in seen:
                continue
            seen.add(binding.action)
            state = "" if binding.action in active_actions else "not now"
            what = binding.tooltip or binding.description
            rows.append((self.app.get_key_display(binding), what, state))
        return rows

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as box:
            box.border_title = f"Keys · {self.screen_name}"
            yield DataTable(id="help-keys", cursor_type="none", zebra_stripes=True)
            yield Static(
                "[dim]Keys marked “not now” work once the run asks for them. "
                "The mouse works too, but is never needed.[/]",
                classes="message",
            )
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("key", "what it does")
        rows = self.key_rows()
        for key, what, state in rows:
            table.add_row(key, Text(f"{what}  ({state})", style="dim") if state else what)
        for key, what in GENERAL:
            if not any(row[0] == key for row in rows):
                table.add_row(key, what)
        # What the screen shows that its keys do not explain (e.g. how output wraps).
        for sign, what in getattr(self.target, "HELP_ROWS", []):
            table.add_row(sign, Text(what, style="italic"))

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
