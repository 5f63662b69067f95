"""End to end: the installed ``deploytui demo`` driven in tmux like a person, reading the screen.

A real terminal (tmux on its own socket, 100×30), the real binary from the venv, the real demo
service, a journal in a temp dir. Every step waits for text on the screen (``capture-pane``) and
then types, as someone at the keyboard would; nothing sleeps for a fixed time.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploytui.journal import Journal
from deploytui.model.events import RunStatus

pytestmark = pytest.mark.e2e

BINARY = Path(sys.executable).parent / "deploytui"
WAIT_SECONDS = 60.0


class Terminal:
    """One tmux session on a private socket."""

    def __init__(self, socket: str, env: dict[str, str]) -> None:
        self.socket = socket
        self.env = env

    def tmux(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "demo")

    def wait_for(self, *texts: str) -> str:
        """Poll the screen until every text is on it; fail with the screen if it never is."""
        deadline = time.monotonic() + WAIT_SECONDS
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if all(text in screen for text in texts):
                return screen
            time.sleep(0.1)  # a polling interval, not a wait for something to happen
        raise AssertionError(f"never saw {texts!r} on the screen:\n{screen}")

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", "demo", "-l", text)

    def press(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "demo", *keys)


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    if shutil.which("tmux") is None:
        pytest.skip(
            "tmux is not installed (apt-get install -y tmux, or scripts/install-test-deps.sh)"
        )
    if not BINARY.exists():
        pytest.skip(f"the deploytui binary is not installed next to {sys.executable}")
    env = {key: value for key, value in os.environ.items() if key != "TMUX"}
    env.update(
        {
            "DEPLOYTUI_JOURNAL": str(tmp_path / "journal.db"),
            "DEPLOYTUI_OPERATOR": "ana",
            "TERM": "xterm-256color",
            "HOME": str(tmp_path),
        }
    )
    socket = f"deploytui-e2e-{os.getpid()}-{tmp_path.name}"
    term = Terminal(socket, env)
    exit_file = tmp_path / "exit-code"
    command = f"{BINARY} demo; echo $? > {exit_file}"
    term.tmux("new-session", "-d", "-s", "demo", "-x", "100", "-y", "30", "sh", "-c", command)
    try:
        yield term
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], env=env, capture_output=True)


def fill(terminal: Terminal, answers: list[tuple[str, str]]) -> None:
    """Type each answer once its field is marked as the one being typed into (▸ label)."""
    for label, answer in answers:
        terminal.wait_for(f"▸ {label}")
        terminal.type(answer)
        terminal.press("Enter")


def test_demo_window_driven_in_tmux(terminal: Terminal, tmp_path: Path) -> None:
    terminal.wait_for("Read before you start", "waiting for you")
    terminal.press("Enter")
    terminal.wait_for("Sign-off · Deployment Lead", "ana")
    terminal.press("Enter")

    terminal.wait_for("Record the backup")
    fill(terminal, [("Backup size", "4.2 GB"), ("Backup duration", "12m")])

    terminal.wait_for("Verify the migration")
    fill(terminal, [("Indexes present after migration", "4"), ("Query plan uses IXSCAN", "yes")])

    screen = terminal.wait_for("Step failed", "status 503")
    assert "Retry (r)" in screen
    terminal.press("r")

    terminal.wait_for("Record performance")
    fill(terminal, [("p95 latency", "312"), ("Error rate", "0.4"), ("Smoke tests passed", "YES")])

    terminal.wait_for("Sign-off · QA", "Must be a different person")
    terminal.type("Joe Park")
    terminal.press("Enter")

    terminal.wait_for("Gate · Go / no-go for deploy", "GO — all 5 conditions hold")
    terminal.press("Enter")

    terminal.wait_for("Announce the end of the window to stakeholders", "enter to continue")
    terminal.press("Enter")

    screen = terminal.wait_for("Run completed", "2 sign-offs")
    terminal.press("Enter")
    exit_file = tmp_path / "exit-code"
    deadline = time.monotonic() + WAIT_SECONDS
    while not exit_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert exit_file.read_text().strip() == "0"

    with Journal(tmp_path / "journal.db") as journal:
        (record,) = journal.runs()
        assert record.status == RunStatus.completed
        assert journal.verify(record.id)[0]
        assert [item["name"] for item in journal.signoffs(record.id)] == ["ana", "Joe Park"]
