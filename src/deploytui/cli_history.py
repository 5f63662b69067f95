"""``deploytui runs``, ``show`` and ``verify``: read past runs back from the journal."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from deploytui.cli_common import EXIT_FAILED, EXIT_OK, UsageError, open_journal

if TYPE_CHECKING:
    from deploytui.journal import Journal


def _live_runs(journal: Journal, run_ids: list[str]) -> dict[str, bool]:
    """Whether each run's lock is held by a live process (else a 'running' run is interrupted)."""
    from deploytui.journal.locks import RunLock

    live = {}
    for run_id in run_ids:
        holder = RunLock(journal, run_id).holder()
        # Another host's holder cannot be checked from here: taken as alive.
        live[run_id] = holder is not None and holder.alive is not False
    return live


def cmd_runs(args: argparse.Namespace) -> int:
    from deploytui.console import runs_table
    from deploytui.model.events import RunStatus

    statuses = None
    if args.status:
        try:
            statuses = [RunStatus(args.status)]
        except ValueError:
            names = ", ".join(status.value for status in RunStatus)
            raise UsageError(f"--status {args.status}: use one of {names}") from None
        if statuses == [RunStatus.interrupted]:
            statuses = [RunStatus.running]
    with open_journal(args) as journal:
        records = journal.runs(limit=args.limit, playbook=args.playbook, statuses=statuses)
        live = _live_runs(journal, [r.id for r in records if r.status == RunStatus.running])
        if args.status == "interrupted":
            records = [record for record in records if not live.get(record.id)]
        print(runs_table(records, live))
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    from deploytui.console import show_text
    from deploytui.journal.report import build_report

    with open_journal(args) as journal:
        run_id = journal.find_run(args.run_id).id
        report = build_report(journal, run_id)
        live = _live_runs(journal, [run_id]).get(run_id)
        if args.output:
            for line in journal.output(run_id, args.output):
                print(line)
            return EXIT_OK
        print(show_text(report, live))
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    with open_journal(args) as journal:
        run_ids = (
            [journal.find_run(args.run_id).id]
            if args.run_id
            else journal.run_ids()  # raw ids: a damaged run record must not hide its run
        )
        worst = EXIT_OK
        for run_id in run_ids:
            ok, message = journal.verify(run_id)
            print(f"{'✓' if ok else '✗'} run {run_id}: {message}")
            if not ok:
                worst = EXIT_FAILED
        if not run_ids:
            print("no runs in the journal")
    return worst
