"""What resuming a run needs before its engine starts: the run's playbook and the resume record.

Shared by the CLI's ``resume`` and the TUI's home screen so both resume a run the same way: with
the playbook snapshot the run started with (plus its variable overrides) and a ``run_resumed``
payload naming who resumed it, from where, and whether the playbook file changed since.
"""

from __future__ import annotations

import hashlib
import os
import socket
from pathlib import Path
from typing import Any

from deploytui.journal.report import load_run_playbook
from deploytui.journal.store import Journal, JournalError
from deploytui.playbook.loader import LoadedPlaybook, TargetsFile, parse_playbook


def snapshot_changed(path: str, sha256: str) -> bool:
    """Whether the playbook file at ``path`` differs from the snapshot the run started with."""
    try:
        text = Path(path).read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
    except (OSError, UnicodeDecodeError):
        return True
    return hashlib.sha256(text.encode()).hexdigest() != sha256


def prepare_resume(
    journal: Journal,
    run_id: str,
    *,
    operator_name: str,
    extra_overrides: dict[str, str] | None = None,
    targets: TargetsFile | None = None,
) -> tuple[LoadedPlaybook, dict[str, Any]]:
    """The run's playbook (snapshot + overrides) and the data of its ``run_resumed`` event.

    ``targets`` replaces the run's inventory (``--targets``); otherwise the run keeps the
    targets file it was started with, as journaled.
    """
    record = journal.run(run_id)
    # A journal edited or damaged outside deploytui cannot be trusted to say what already ran
    # (a deleted result would re-run its step): refuse before executing anything.
    ok, problem = journal.verify(run_id)
    if not ok:
        raise JournalError(
            f"run {run_id} cannot be resumed: its journal {journal.path} does not verify "
            f"({problem}); keep a copy of the file and see 'deploytui verify {run_id}'"
        )
    loaded, overrides = load_run_playbook(journal, run_id)
    if extra_overrides or targets:
        text, path = journal.snapshot(run_id)
        loaded = parse_playbook(
            text,
            path,
            overrides={**overrides, **(extra_overrides or {})} or None,
            targets=targets or loaded.targets_file,
        )
    resume_data: dict[str, Any] = {
        "operator": operator_name,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "overrides": dict(extra_overrides or {}),
        "playbook_changed": snapshot_changed(record.playbook_path, record.playbook_sha256),
        **({"targets": targets.record()} if targets else {}),
    }
    return loaded, resume_data
