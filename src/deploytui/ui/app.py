"""The Textual application: screens, app-wide keys, the command palette, and the clock.

One ``DeployApp`` serves both entry points: given a ``RunSession`` it opens straight on the run
screen and exits with the run's exit code; without one it opens the home screen. The clock is
injected so snapshots and screenshots can freeze it.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from deploytui.journal.store import Journal
from deploytui.ui.config import UiConfig, load_config
from deploytui.ui.dialogs.common import ConfirmDialog
from deploytui.ui.session import RunSession

# Container allocations between two collections of the youngest objects (Python's default: 700).
GC_YOUNG_THRESHOLD = 10_000


def local_now() -> datetime:
    return datetime.now().astimezone()


class DeployApp(App[int]):
    """deploytui's terminal UI."""

    CSS_PATH = Path(__file__).parent / "app.tcss"  # absolute, so subclasses elsewhere find it
    TITLE = "deploytui"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+q",
            "request_quit",
            "quit",
            priority=True,
            tooltip="quit (asks first during a run; the run stays resumable)",
        ),
        Binding("question_mark", "help", "help", tooltip="this list of keys"),
    ]

    def __init__(
        self,
        *,
        journal: Journal,
        operator_name: str,
        session: RunSession | None = None,
        clock: Callable[[], datetime] = local_now,
        config: UiConfig | None = None,
        cwd: Path | None = None,
        journal_label: str | None = None,
    ) -> None:
        super().__init__()
        self.journal = journal
        self.operator_name = operator_name
        self.session = session
        self.clock = clock
        self.config = config if config is not None else load_config()
        self.cwd = cwd
        self.signer_name = self.config.name or operator_name
        # How the journal's path is shown (tests and screenshots pass a stable one).
        self.journal_label = journal_label or str(journal.path)

    def on_mount(self) -> None:
        # A flood of output makes and drops objects by the hundred thousand a second. With
        # Python's default threshold (700) the collector then ran hundreds of times a second
        # and walked the whole app every few seconds, pausing the screen for up to half a
        # second; collecting the youngest objects every 10,000 instead cut its time 4-5x.
        gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
        if self.config.problem:
            self.notify(self.config.problem, severity="warning")
        if self.session is not None:
            from deploytui.ui.screens.run import RunScreen

            self.push_screen(RunScreen(self.session, exit_when_done=True))
        else:
            from deploytui.ui.screens.home import HomeScreen

            self.push_screen(HomeScreen())

    _crash_message: str | None = None

    def _fatal_error(self) -> None:
        """An unexpected error in the UI: one sentence on the terminal, the traceback in the log.

        Textual's default prints a traceback with every frame's locals (a rendered command, a
        secret...) onto the operator's terminal. Here the traceback goes to the log file with
        secrets masked and no locals; the run stays resumable (``launch.run_tui`` stops it).
        """
        import sys

        from deploytui.errorlog import internal_error_sentence, log_exception

        error = sys.exc_info()[1] or self._exception
        if error is None:  # nothing to report: fall back to Textual's handling
            super()._fatal_error()
            return
        path = log_exception(error)
        self._crash_message = (
            f"{internal_error_sentence(error, ' in the terminal UI')}\n"
            f"the details are in {path}; the journal is intact and the run can be resumed"
        )
        self.bell()
        self._close_messages_no_wait()

    def _print_error_renderables(self) -> None:
        """Print the crash sentence once the terminal is restored: plain, so the path is never
        wrapped or cropped."""
        import sys

        super()._print_error_renderables()
        message, self._crash_message = self._crash_message, None
        if message:
            print(message, file=sys.stderr, flush=True)

    # -- app-wide actions ----------------------------------------------------------------------

    def active_run(self) -> Screen[int] | None:
        from deploytui.ui.screens.run import RunScreen

        for screen in reversed(self.screen_stack):
            if isinstance(screen, RunScreen) and not screen.ended:
                return screen
        return None

    def action_request_quit(self) -> None:
        run = self.active_run()
        if run is None:
            # A finished run still decides the exit code (0 completed, 1 failed or aborted).
            from deploytui.ui.screens.run import RunScreen
            from deploytui.ui.session import exit_code

            ended = [screen for screen in self.screen_stack if isinstance(screen, RunScreen)]
            code = exit_code(ended[-1].outcome) if ended and self.session is not None else 0
            self.exit(code, return_code=code)
            return
        if any(isinstance(screen, ConfirmDialog) for screen in self.screen_stack):
            return

        def chosen(yes: bool | None) -> None:
            if yes:
                run.stop_and_quit()  # type: ignore[attr-defined]

        self.push_screen(
            ConfirmDialog(
                "Stop the run and quit?",
                "The run pauses where it is and stays resumable: a running command is stopped "
                "and its step marked interrupted. Continue later with "
                f"[b]deploytui resume {run.session.run_id}[/b].",  # type: ignore[attr-defined]
                "Stop and quit",
            ),
            chosen,
        )

    def action_help(self) -> None:
        from deploytui.ui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_history(self) -> None:
        from deploytui.ui.screens.history import HistoryScreen

        if not isinstance(self.screen, HistoryScreen):
            self.push_screen(HistoryScreen())

    def action_resume_picker(self) -> None:
        from deploytui.ui.screens.resume import ResumePicker

        self.push_screen(ResumePicker())

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("History", "Review past runs and their output", self.action_history)
        yield SystemCommand("Help", "Keys of the screen in view", self.action_help)
        commands = getattr(screen, "palette_commands", None)
        if callable(commands):
            yield from commands()
        if self.active_run() is not None:
            yield SystemCommand(
                "Stop the run and quit", "Pause the run, resumable", self.action_request_quit
            )
