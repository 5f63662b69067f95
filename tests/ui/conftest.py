"""Fixtures for the TUI tests: one real demo run per worker (scenes), a frozen clock, UTC."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.ui.scenes import RawRun, record_demo_run


@pytest.fixture(scope="session")
def raw_demo() -> RawRun:
    """The events of one real run of the demo, recorded once per test process."""
    return record_demo_run()


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Times on screen are local; pin the zone so snapshots do not depend on the machine."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()
