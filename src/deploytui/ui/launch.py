"""Entry points the CLI calls: ``run_tui`` for a prepared run, ``run_home`` for the home screen.

Both return the CLI's exit code (0 completed, 1 failed/aborted, 3 left waiting).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from deploytui.journal.store import Journal, default_journal_path
from deploytui.playbook.loader import LoadedPlaybook
from deploytui.startup import started
from deploytui.ui.session import EXIT_WAITING, RunSession


def run_tui(
    *,
    journal: Journal,
    loaded: LoadedPlaybook,
    run_id: str,
    secrets: dict[str, str],
    operator_name: str,
    resume_data: dict[str, Any] | None,
    take_over: bool,
) -> int:
    from deploytui.ui.app import DeployApp

    session = RunSession(
        journal=journal,
        loaded=loaded,
        run_id=run_id,
        operator_name=operator_name,
        secrets=secrets,
        resume_data=resume_data,
        take_over=take_over,
    )
    app = DeployApp(journal=journal, operator_name=operator_name, session=session)
    started()  # start-up's objects set aside; normal GC pace from here (deploytui.startup)
    result = app.run()
    if result is None:
        # The app ended without the run screen choosing a code (e.g. a crash in the UI):
        # make sure the engine stops and the run stays resumable.
        session.stop()
        return app.return_code or EXIT_WAITING
    return int(result)


def run_home(*, journal_path: str | None, operator_name: str) -> int:
    from deploytui.ui.app import DeployApp

    path = Path(journal_path) if journal_path else default_journal_path()
    with Journal(path) as journal:
        app = DeployApp(journal=journal, operator_name=operator_name)
        started()
        result = app.run()
    return int(result or 0)
