"""Record a step's live output: to the listener at once, to the journal in masked chunks.

Lines are journaled as ``step_output`` events of up to ``CHUNK_LINES`` lines, at least every
``FLUSH_SECONDS`` (a background flusher covers commands that print a line and then go quiet),
so the journal holds the full output without one transaction per line. Journaled output per
attempt is capped; past the cap the number of omitted lines is recorded instead.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

from deploytui.journal.store import Journal
from deploytui.model.events import EventType

CHUNK_LINES = 500
FLUSH_SECONDS = 0.5
MAX_JOURNALED_BYTES = 64 * 1024 * 1024
MAX_KEPT_LINES = 100_000


class OutputRecorder:
    def __init__(
        self,
        *,
        journal: Journal,
        run_id: str,
        step_id: str,
        attempt: int,
        mask: Callable[[str], str],
        on_line: Callable[[str, str], None],
    ) -> None:
        self.journal = journal
        self.run_id = run_id
        self.step_id = step_id
        self.attempt = attempt
        self.mask = mask
        self.on_line = on_line
        self._pending: list[str] = []
        self._pending_streams: list[str] = []
        self._lock = threading.Lock()
        self._journaled_bytes = 0
        self._omitted = 0
        self.line_count = 0
        self._kept: dict[str, deque[str]] = {
            "stdout": deque(maxlen=MAX_KEPT_LINES),
            "stderr": deque(maxlen=MAX_KEPT_LINES),
        }
        self._closed = threading.Event()
        self._flusher = threading.Thread(target=self._flush_periodically, daemon=True)
        self._flusher.start()

    def line(self, stream: str, text: str) -> None:
        masked = self.mask(text)
        with self._lock:
            self.line_count += 1
            self._kept.setdefault(stream, deque(maxlen=MAX_KEPT_LINES)).append(masked)
            if self._journaled_bytes < MAX_JOURNALED_BYTES:
                self._pending.append(masked)
                self._pending_streams.append(stream)
                self._journaled_bytes += len(masked) + 1
            else:
                self._omitted += 1
            full = len(self._pending) >= CHUNK_LINES
        self.on_line(stream, masked)
        if full:
            self.flush()

    def captured_lines(self, stream: str) -> list[str]:
        with self._lock:
            if stream == "any":
                return [*self._kept.get("stdout", ()), *self._kept.get("stderr", ())]
            return list(self._kept.get(stream, ()))

    def flush(self) -> None:
        with self._lock:
            if not self._pending:
                return
            lines, streams = self._pending, self._pending_streams
            self._pending, self._pending_streams = [], []
        data: dict[str, object] = {"lines": lines}
        if any(stream != "stdout" for stream in streams):
            data["streams"] = ["e" if stream == "stderr" else "o" for stream in streams]
        self.journal.append(
            self.run_id,
            EventType.step_output,
            step_id=self.step_id,
            attempt=self.attempt,
            data=data,
        )

    def _flush_periodically(self) -> None:
        while not self._closed.wait(FLUSH_SECONDS):
            try:
                self.flush()
            except Exception:  # the final flush in close() reports journal errors
                return

    def close(self) -> None:
        self._closed.set()
        self._flusher.join(timeout=5)
        if self._omitted:
            with self._lock:
                self._pending.append(
                    f"[deploytui: {self._omitted} more lines not journaled (size cap reached)]"
                )
                self._pending_streams.append("stdout")
        self.flush()
