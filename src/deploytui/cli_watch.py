"""``deploytui watch RUN_ID``: follow a run live from another terminal, read-only.

At 2 a.m. a second person (the DBA waiting for their sign-off, the lead's backup) wants to see
what the driver sees without any chance of disturbing it. So the journal is opened read-only
(SQLite refuses every write on that connection), the run's lock is never taken, and new events
are polled by sequence number and printed with the same wording as a headless run
(``console.ProgressPrinter``). Values and output are journaled masked, so nothing secret can
show here. Output lines arrive in small bursts: the engine journals them in chunks (at least
every half second).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from deploytui.cli_common import EXIT_OK

if TYPE_CHECKING:
    from deploytui.console import ProgressPrinter
    from deploytui.journal import Journal
    from deploytui.journal.state import RunState
    from deploytui.model.events import Event, RunRecord

POLL_SECONDS = 0.25
DRIVER_CHECK_SECONDS = 2.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_id", metavar="RUN_ID", help="run id or prefix")
    parser.add_argument(
        "--no-output", action="store_true", help="leave out the commands' output lines"
    )
    parser.add_argument(
        "--interval",
        type=float,
        default=POLL_SECONDS,
        metavar="SECONDS",
        help=f"how often to look for new events (default {POLL_SECONDS})",
    )


class Watcher:
    """Prints one run's events as they are journaled, from a read-only journal."""

    def __init__(
        self, journal: Journal, record: RunRecord, *, output: bool, out: TextIO | None = None
    ) -> None:
        from deploytui.console import ProgressPrinter
        from deploytui.journal.report import load_run_playbook
        from deploytui.journal.state import RunState

        self.journal = journal
        self.record = record
        self.run_id = record.id
        self.output = output
        self.out = out or sys.stdout
        loaded, _ = load_run_playbook(journal, self.run_id)
        self.playbook = loaded.playbook
        self.state: RunState = RunState.from_events(self.run_id, self.playbook, [])
        self.printer: ProgressPrinter = ProgressPrinter(self.out, title_of=self._title)
        self.seq = 0
        self.driven: bool | None = None

    def _title(self, step_id: str) -> str:
        from deploytui.journal.report import _titled

        try:
            step = self.playbook.step(step_id)
        except (KeyError, ValueError):
            return step_id
        return _titled(step.title, self.state, self.record)

    def _say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def header(self) -> None:
        from deploytui.console import display_status, short_time

        record = self.record
        self._say(
            f"watching run {record.id} · {record.playbook_name} v{record.playbook_version} · "
            f"{display_status(record, self._driver_alive())}"
        )
        self._say(
            f"operator {record.operator} on {record.host} · started "
            f"{short_time(record.started_at)} · journal {self.journal.path}"
        )
        self._say("read-only: watching never changes the run; Ctrl+C stops watching")
        self._say("")

    def _driver_alive(self) -> bool:
        from deploytui.journal.locks import RunLock

        holder = RunLock(self.journal, self.run_id).holder()
        return holder is not None and holder.alive is not False

    def _show(self, event: Event) -> None:
        from deploytui.engine.messages import OutputLine
        from deploytui.model.events import EventType

        if event.type == EventType.step_output:
            if not self.output:
                return
            streams = event.data.get("streams") or []
            for index, text in enumerate(event.data.get("lines") or []):
                stream = "stderr" if index < len(streams) and streams[index] == "e" else "stdout"
                self.printer(
                    OutputLine(
                        step_id=event.step_id or "",
                        attempt=event.attempt or 1,
                        stream=stream,
                        text=str(text),
                    )
                )
            return
        self.state.apply(event)
        self.printer(event)

    def poll(self) -> bool:
        """Print what was journaled since the last poll; True once the run has finished."""
        events = self.journal.events(self.run_id, after_seq=self.seq)
        for event in events:
            self.seq = event.seq
            self._show(event)
        return self.state.finished

    def _note_driver(self) -> None:
        """Say when nobody drives the run any more (paused, crashed) and when someone does."""
        driven = self._driver_alive()
        if driven == self.driven:
            return
        if self.driven is not None or not driven:
            if driven:
                self._say("  (the run is being driven again)")
            else:
                self._say(
                    "  (nobody is driving the run now; still watching for a resume — "
                    "Ctrl+C stops watching)"
                )
        self.driven = driven

    def follow(self, interval: float) -> int:
        from deploytui.startup import started

        started()  # a watch may follow a run for hours: back to the normal GC pace
        self.header()
        last_check = 0.0
        while not self.poll():
            now = time.monotonic()
            if now - last_check >= DRIVER_CHECK_SECONDS:
                self._note_driver()
                last_check = now
            time.sleep(max(interval, 0.05))
        return EXIT_OK


def cmd_watch(args: argparse.Namespace) -> int:
    from deploytui.journal import Journal, default_journal_path

    path = Path(args.journal) if args.journal else default_journal_path()
    with Journal(path, read_only=True) as journal:
        record = journal.find_run(args.run_id)
        watcher = Watcher(journal, record, output=not args.no_output)
        try:
            return watcher.follow(args.interval)
        except KeyboardInterrupt:
            # Ctrl+C ends the watch quietly: the run itself is untouched.
            print(file=sys.stderr)
            return EXIT_OK
