"""One source of "now" for everything that waits: monitor intervals, holds, window timers.

Holds park a run until a wall-clock time hours away and monitors sample on an interval; tests
must be able to advance time instead of sleeping, so code that waits asks a ``Clock`` rather
than calling ``time`` or ``datetime`` directly. ``SystemClock`` is the real one; ``ManualClock``
only moves when told to (in-process tests). ``DEPLOYTUI_CLOCK_OFFSET`` (seconds) shifts the
system clock for subprocess tests of holds, as if the laptop had slept that long.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Aware UTC wall-clock time."""
        ...

    def monotonic(self) -> float:
        """Seconds, for measuring intervals (never goes back)."""
        ...

    def sleep(self, seconds: float, cancelled: threading.Event | None = None) -> bool:
        """Wait; return False early if ``cancelled`` is set."""
        ...


class SystemClock:
    """The real clock, optionally shifted by ``DEPLOYTUI_CLOCK_OFFSET`` seconds."""

    def __init__(self, offset: float | None = None) -> None:
        if offset is None:
            try:
                offset = float(os.environ.get("DEPLOYTUI_CLOCK_OFFSET", "0") or 0)
            except ValueError:
                offset = 0.0
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.offset)

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    def sleep(self, seconds: float, cancelled: threading.Event | None = None) -> bool:
        if cancelled is None:
            time.sleep(max(0.0, seconds))
            return True
        return not cancelled.wait(max(0.0, seconds))


class ManualClock:
    """A clock for tests: ``sleep`` advances it at once; ``advance`` moves it by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 11, 22, 1, 0, tzinfo=UTC)
        self._mono = 1000.0
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return self._mono

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += timedelta(seconds=seconds)
            self._mono += seconds

    def sleep(self, seconds: float, cancelled: threading.Event | None = None) -> bool:
        if cancelled is not None and cancelled.is_set():
            return False
        self.advance(max(0.0, seconds))
        return True


SYSTEM_CLOCK = SystemClock()
