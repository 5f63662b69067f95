"""An embedded HTTP service for the demo's http steps, on a free loopback port.

It plays a small shop API: a health check, a version endpoint that flips after "deploy", a
latency-reporting endpoint, and a checkout endpoint that fails the first time it is called so the
operator meets a failing step that a retry fixes. It is started and stopped by ``deploytui demo``.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from deploytui.journal import Journal


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.checkout_calls = 0
        self.version = "6.4.2"


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # keep the operator's screen clean
        pass

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        body = json.dumps(payload, indent=2).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        state = self.server.state
        path = self.path.split("?")[0]
        if path == "/api/health":
            self._send(200, {"status": "ok", "db": "ok", "cache": "ok"})
        elif path == "/api/version":
            self._send(200, {"version": state.version})
        elif path == "/api/checkout/selftest":
            with state.lock:
                state.checkout_calls += 1
                first = state.checkout_calls == 1
            if first:
                self._send(503, {"status": "warming up", "retry_after_s": 1})
            else:
                self._send(200, {"status": "ok", "orders_ok": 25})
        else:
            self._send(404, {"error": "not found", "path": path})

    def do_POST(self) -> None:
        state = self.server.state
        if self.path == "/api/deploy":
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            with state.lock:
                state.version = str(body.get("version", "7.0.0"))
            self._send(200, {"deployed": state.version})
        else:
            self._send(404, {"error": "not found"})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: _State


class DemoService:
    """Context manager: ``with DemoService() as service: service.url``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = _Server((host, port), _Handler)
        self._server.state = _State()
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def replay(self, journal: Journal, run_id: str) -> None:
        """Put the service back where the run left it, as a real shop would still be after a crash:
        deployed at the version the last successful deploy step sent, checkout warmed up."""
        from deploytui.journal.report import load_run_playbook

        playbook = load_run_playbook(journal, run_id)[0].playbook
        state = self._server.state
        for event in journal.events(run_id, include_output=False):
            if event.type == "step_started" and event.step_id == "checkout_selftest":
                state.checkout_calls += 1
            if event.type != "step_finished" or event.data.get("status") != "succeeded":
                continue
            step = playbook.step(event.step_id or "")
            body = getattr(step, "json_body", None)
            if getattr(step, "url", None) == "/api/deploy" and isinstance(body, dict):
                state.version = str(body.get("version", state.version))

    def __enter__(self) -> DemoService:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
