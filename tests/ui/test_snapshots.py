"""Snapshots of every screen and dialog (pytest-textual-snapshot), on frozen scenes of the demo.

Each shot (see shots.py) opens the app on a scene (real demo events, frozen clock, fixed ids),
lets the real engine reach its question, and presses the keys a person would. Baselines live in
``__snapshots__``; after an intended change run ``pytest tests/ui --snapshot-update`` and review
``snapshot_report.html`` before accepting.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ui.scenes import RawRun
from tests.ui.shots import SHOTS, build


@pytest.mark.parametrize("shot", SHOTS, ids=[shot.name for shot in SHOTS])
def test_snapshot(snap_compare, raw_demo: RawRun, tmp_path: Path, shot) -> None:  # type: ignore[no-untyped-def]
    """One screen or dialog at its size, after the keys a person would press."""
    app = build(shot, raw_demo, tmp_path)
    assert snap_compare(app, terminal_size=shot.size, run_before=shot.before)
