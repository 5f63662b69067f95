"""A real Prometheus server on loopback scraping a metrics endpoint the test controls.

Debian's ``prometheus`` binary is started with its own config (scrape_interval 1s), a temporary
``--storage.tsdb.path`` and a free 127.0.0.1 port; it scrapes a plain ``http.server`` that serves
whatever the test put in ``Metrics.values`` (text exposition format). The server is stopped by
its own process handle. Startup takes a few seconds, so one server is shared per test session
(per xdist worker); tests use their own metric names so they do not see each other's values.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

PROMETHEUS = "/usr/bin/prometheus"


def prometheus_available() -> bool:
    return shutil.which(PROMETHEUS) is not None or Path(PROMETHEUS).exists()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Metrics:
    """What the metrics endpoint serves: ``{'name{label="x"}': value}``; change it any time."""

    values: dict[str, float | str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def set(self, name: str, value: float | str) -> None:
        with self.lock:
            self.values[name] = value

    def text(self) -> str:
        with self.lock:
            return "".join(f"{name} {value}\n" for name, value in self.values.items())


def _metrics_server(metrics: Metrics) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            body = metrics.text().encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    return server


class Prometheus:
    """``Prometheus(folder).start()``; ``url``, ``metrics``, ``query()``, ``wait_for_value()``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.metrics = Metrics()
        self.metrics.set("deploytui_test_up", 1)
        self._server = _metrics_server(self.metrics)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> Prometheus:
        self._thread.start()
        scrape = f"127.0.0.1:{self._server.server_address[1]}"
        config = self.folder / "prometheus.yml"
        config.write_text(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
            "scrape_configs:\n  - job_name: deploytui_test\n"
            f"    static_configs:\n      - targets: ['{scrape}']\n"
        )
        self.log = self.folder / "prometheus.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    PROMETHEUS,
                    f"--config.file={config}",
                    f"--storage.tsdb.path={self.folder / 'data'}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                    "--log.level=warn",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        try:
            self.wait_for_value("deploytui_test_up", 1, timeout=timeout)
        except Exception:
            self.stop()
            raise
        return self

    def query(self, promql: str) -> dict[str, Any]:
        url = f"{self.url}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return json.loads(response.read())
        except OSError:
            return {}

    def wait_for_value(self, promql: str, value: float, *, timeout: float = 60) -> None:
        """Poll until ``promql`` gives ``value`` (the scrape has happened)."""
        deadline = time.monotonic() + timeout
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"prometheus exited: {self.log.read_text()[-2000:]}")
            result = (self.query(promql).get("data") or {}).get("result") or []
            if result and float(result[0]["value"][1]) == value:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"prometheus never returned {promql} == {value}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._server.shutdown()
        self._server.server_close()
