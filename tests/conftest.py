"""Shared fixtures. Fixtures that start real servers (HTTP, sshd...) live here.

Every test gets its own XDG folders and journal so nothing touches the developer's real data.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from deploytui.journal import Journal

REPO = Path(__file__).resolve().parents[1]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--exhaustive",
        action="store_true",
        default=False,
        help="run exhaustive sweeps in full (every crash point, every fuzz case)",
    )


@pytest.fixture
def exhaustive(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--exhaustive"))


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point XDG folders at a temp dir; no test reads or writes the real user's data."""
    home = tmp_path / "home"
    for name in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        folder = home / name.lower()
        folder.mkdir(parents=True)
        monkeypatch.setenv(name, str(folder))
    monkeypatch.delenv("DEPLOYTUI_JOURNAL", raising=False)
    monkeypatch.delenv("DEPLOYTUI_OPERATOR", raising=False)
    for key in [key for key in __import__("os").environ if key.startswith("DEPLOYTUI_SECRET_")]:
        monkeypatch.delenv(key)
    return home


@pytest.fixture
def journal_path(tmp_path: Path) -> Path:
    return tmp_path / "journal.db"


@pytest.fixture
def journal(journal_path: Path) -> Iterator[Journal]:
    with Journal(journal_path) as opened:
        yield opened


# -- a real HTTP server on loopback ------------------------------------------------------------

Route = Callable[["Request"], tuple[int, Any]]


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class HttpServer:
    """A real ``http.server`` on 127.0.0.1; tests register routes and read what it received."""

    url: str
    routes: dict[tuple[str, str], Route] = field(default_factory=dict)
    received: list[Request] = field(default_factory=list)

    def route(self, method: str, path: str, handler: Route) -> None:
        self.routes[(method.upper(), path)] = handler

    def reply(self, method: str, path: str, status: int, payload: Any = None) -> None:
        self.route(method, path, lambda request: (status, payload))


def _handler_for(server_state: HttpServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = Request(
                method=self.command,
                path=self.path,
                headers=dict(self.headers.items()),
                body=self.rfile.read(length) if length else b"",
            )
            server_state.received.append(request)
            handler = server_state.routes.get((self.command, self.path.split("?")[0]))
            status, payload = handler(request) if handler else (404, {"error": "no route"})
            if isinstance(payload, bytes | str):
                body = payload.encode() if isinstance(payload, str) else payload
                content_type = "text/plain"
            else:
                body = json.dumps(payload).encode()
                content_type = "application/json"
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

    return Handler


@pytest.fixture
def http_server() -> Iterator[HttpServer]:
    state = HttpServer(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(state))
    server.daemon_threads = True
    host, port = server.server_address[:2]
    state.url = f"http://{host}:{port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def webhook_receiver() -> Iterator[Any]:
    """A real webhook receiver on loopback (tests/webhook_receiver.py): records requests, can
    answer errors or hold requests open on demand."""
    from tests.webhook_receiver import WebhookReceiver

    with WebhookReceiver() as receiver:
        yield receiver


@pytest.fixture
def demo_service() -> Iterator[str]:
    """The demo's embedded service, as ``deploytui demo`` starts it."""
    from deploytui.demo.service import DemoService

    with DemoService() as service:
        yield service.url


# -- a real OpenSSH sshd on loopback (tests/sshd_helpers.py) -----------------------------------


@pytest.fixture(scope="session")
def ssh_keys(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Host key, client key and authorized_keys for this test session (per xdist worker)."""
    from tests.sshd_helpers import SshKeys

    return SshKeys.create(tmp_path_factory.mktemp("ssh-keys"))


@pytest.fixture(scope="session")
def sshd(ssh_keys: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One sshd shared by the session's tests that do not stop it (stopping tests use
    ``sshd_factory``)."""
    from tests.sshd_helpers import Sshd

    server = Sshd(ssh_keys, tmp_path_factory.mktemp("sshd")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sshd_factory(ssh_keys: Any, tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """Start extra sshd processes for one test: ``sshd_factory(3)`` → three servers; each can be
    stopped (``stop()``), have its sessions dropped (``drop_sessions()``) or be restarted."""
    from tests.sshd_helpers import Sshd

    started: list[Any] = []

    def make(count: int = 1, **options: Any) -> list[Any]:
        servers = []
        for _ in range(count):
            server = Sshd(ssh_keys, tmp_path / f"sshd-{len(started)}", **options).start()
            started.append(server)
            servers.append(server)
        return servers

    try:
        yield make
    finally:
        for server in started:
            server.stop()


# -- a real Prometheus on loopback (tests/prometheus_helpers.py) -------------------------------


@pytest.fixture(scope="session")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One Prometheus per session (per xdist worker), scraping a metrics endpoint every second
    whose values tests set with ``prometheus.metrics.set(name, value)``."""
    from tests.prometheus_helpers import Prometheus, prometheus_available

    if not prometheus_available():
        pytest.skip("prometheus is not installed (scripts/install-test-deps.sh installs it)")
    server = Prometheus(tmp_path_factory.mktemp("prometheus")).start()
    try:
        yield server
    finally:
        server.stop()
