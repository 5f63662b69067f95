"""A real webhook receiver on loopback for the notification tests (fixture `webhook_receiver`).

It records every request (method, path, headers, JSON body) and can, on demand, answer the next
N requests with an error status, or hold the next N requests open until the test releases them,
which is how a test shows a run finished while a webhook was still hanging — without timing.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Hook:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    raw: bytes


class WebhookReceiver:
    def __init__(self) -> None:
        self.received: list[Hook] = []
        self._changed = threading.Condition()
        self._fail: list[int] = []
        self._hang = 0
        self.holding = 0
        self._release = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # -- what the test asks for ------------------------------------------------------------------

    def fail_next(self, count: int, status: int = 500) -> None:
        with self._changed:
            self._fail.extend([status] * count)

    def hang_next(self, count: int = 1) -> None:
        with self._changed:
            self._hang += count

    def release(self) -> None:
        self._release.set()

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Hook]:
        """Block until at least ``count`` requests arrived (a generous bound, not a timing)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} requests, got {len(self.received)}")
                self._changed.wait(left)
            return list(self.received)

    def wait_holding(self, count: int = 1, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while self.holding < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("the receiver is not holding a request")
                self._changed.wait(left)

    def bodies(self, path: str | None = None) -> list[Any]:
        with self._changed:
            return [hook.body for hook in self.received if path is None or hook.path == path]

    # -- the server ----------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = None
                hook = Hook(self.command, self.path, dict(self.headers.items()), body, raw)
                with receiver._changed:
                    receiver.received.append(hook)
                    status = receiver._fail.pop(0) if receiver._fail else 200
                    hang = status == 200 and receiver._hang > 0
                    if hang:
                        receiver._hang -= 1
                        receiver.holding += 1
                    receiver._changed.notify_all()
                if hang:
                    receiver._release.wait(120)
                    with receiver._changed:
                        receiver.holding -= 1
                        receiver._changed.notify_all()
                payload = b"ok" if status == 200 else b"server error"
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the sender gave up and closed the connection

            do_PUT = do_POST

        return Handler
