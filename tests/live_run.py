"""A real headless run in another process that waits mid-step until the test lets it go.

Shared by the two-operators and watch tests: the run's ``slow`` step prints a line, then waits for
a release file the test creates, so a test can act (resume it again, watch it, kill it) while a
live process is driving the run — without depending on how fast anything is.
"""

from __future__ import annotations

import os
import subprocess
import textwrap
from dataclasses import dataclass
from pathlib import Path

from tests.core_helpers import PYTHON, query, wait_for

SECRET = "pa55-w0rd-watch-7731"


@dataclass
class LiveRun:
    folder: Path
    journal: Path
    playbook: Path
    answers: Path
    release: Path

    @classmethod
    def prepare(cls, folder: Path) -> LiveRun:
        folder.mkdir(parents=True, exist_ok=True)
        release = folder / "release"
        marker = folder / "flaky-once"
        playbook = folder / "live.yaml"
        playbook.write_text(
            textwrap.dedent(
                f"""\
                name: live window
                version: "2"
                secrets:
                  api_token: {{description: token the deploy step sends}}
                phases:
                  - id: main
                    title: Main
                    steps:
                      - id: first
                        kind: local
                        title: First step
                        command: echo token={{{{ secrets.api_token }}}}
                        capture:
                          - {{name: echoed, pattern: 'token=(\\S+)'}}
                      - id: flaky
                        kind: local
                        title: Flaky once
                        command: test -e {marker} || (touch {marker}; echo not yet; exit 1)
                        retries: 1
                        retry_delay: 0s
                      - id: qa
                        kind: signoff
                        title: QA signs
                        role: QA
                      - id: slow
                        kind: local
                        title: Slow step
                        command: >-
                          echo waiting for the release file;
                          while [ ! -e {release} ]; do sleep 0.05; done;
                          echo released
                      - id: last
                        kind: local
                        title: Last step
                        command: echo done
                """
            )
        )
        answers = folder / "answers.yaml"
        answers.write_text(
            textwrap.dedent(
                """\
                operator: ana
                signoffs: {QA: Joe Park}
                on_failure: abort
                on_interrupted: rerun
                """
            )
        )
        return cls(folder, folder / "journal.db", playbook, answers, release)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DEPLOYTUI_")}
        env["PYTHONUNBUFFERED"] = "1"
        env["DEPLOYTUI_SECRET_API_TOKEN"] = SECRET
        return env

    def command(self, *args: str) -> list[str]:
        return [PYTHON, "-m", "deploytui.cli", "--journal", str(self.journal), *args]

    def start(self) -> subprocess.Popen[str]:
        """Start the run headless in its own process (the driver); see ``wait_started``."""
        process = subprocess.Popen(
            self.command("run", str(self.playbook), "--headless", "--answers", str(self.answers)),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env=self.env(),
        )
        return process

    def run_id(self) -> str:
        rows = wait_for(
            lambda: self.journal.exists() and query(self.journal, "SELECT id FROM runs"),
            what="the run to be created",
        )
        return str(rows[0][0])

    def wait_started(self, step_id: str, timeout: float = 60) -> None:
        wait_for(
            lambda: (
                self.journal.exists()
                and query(
                    self.journal,
                    "SELECT 1 FROM events WHERE type = 'step_started' AND step_id = ?",
                    (step_id,),
                )
            ),
            timeout=timeout,
            what=f"{step_id} to start",
        )

    def events(self, run_id: str, type_: str) -> list[tuple[str | None, str]]:
        return query(
            self.journal,
            "SELECT step_id, data FROM events WHERE run_id = ? AND type = ? ORDER BY seq",
            (run_id, type_),
        )

    def finished(self, run_id: str, step_id: str) -> bool:
        rows = query(
            self.journal,
            "SELECT 1 FROM events WHERE run_id = ? AND type = 'step_finished' AND step_id = ?",
            (run_id, step_id),
        )
        return bool(rows)
