"""``deploytui watch RUN_ID`` follows a real run driven by another process, read-only.

The driver is a headless ``deploytui run`` whose ``slow`` step waits for a file the test creates,
so "printed while it happens" is checked by order (the watcher shows the step's first line while
the journal does not yet hold the step's result), never by timing.
"""

from __future__ import annotations

import hashlib
import queue
import signal
import subprocess
import threading
from pathlib import Path

from tests.core_helpers import query, wait_for
from tests.live_run import SECRET, LiveRun


class Reader:
    """Collects a process's stdout lines in a thread, so the test can wait for one."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        assert process.stdout is not None
        self._thread = threading.Thread(target=self._pump, args=(process.stdout,), daemon=True)
        self._thread.start()

    def _pump(self, stream) -> None:
        for line in stream:
            self._queue.put(line.rstrip("\n"))

    def _drain(self) -> None:
        while True:
            try:
                self.lines.append(self._queue.get_nowait())
            except queue.Empty:
                return

    def wait_for_line(self, text: str, timeout: float = 60) -> None:
        def seen() -> bool:
            self._drain()
            return any(text in line for line in self.lines)

        wait_for(seen, timeout=timeout, what=f"the watcher to print {text!r}")

    def text(self) -> str:
        self._thread.join(timeout=10)
        self._drain()
        return "\n".join(self.lines)


def watch(live: LiveRun, run_id: str, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        live.command("watch", run_id, "--interval", "0.05", *extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env={k: v for k, v in live.env().items() if k != "DEPLOYTUI_SECRET_API_TOKEN"},
    )


def finished_run(tmp_path: Path) -> tuple[LiveRun, str]:
    live = LiveRun.prepare(tmp_path / "live")
    live.release.touch()
    driver = live.start()
    _, err = driver.communicate(timeout=120)
    assert driver.returncode == 0, err
    return live, live.run_id()


def test_watch_follows_a_live_run_as_it_happens_and_exits_when_it_finishes(
    tmp_path: Path,
) -> None:
    live = LiveRun.prepare(tmp_path / "live")
    driver = live.start()
    watcher = None
    try:
        run_id = live.run_id()
        live.wait_started("first")
        watcher = watch(live, run_id)
        reader = Reader(watcher)
        reader.wait_for_line(f"watching run {run_id} · live window v2 · ▶ running")
        # The slow step's first line reaches the watcher while the step is still running.
        reader.wait_for_line("│ waiting for the release file")
        assert not live.finished(run_id, "slow")
        assert watcher.poll() is None  # still following
        # The watcher holds no lock: the driver is the only holder.
        assert query(live.journal, "SELECT pid FROM locks") == [(driver.pid,)]
        live.release.touch()
        code = watcher.wait(timeout=120)
        err = watcher.stderr.read() if watcher.stderr else ""
        text = reader.text()
        driver.communicate(timeout=120)
    finally:
        for process in (driver, watcher):
            if process is not None and process.poll() is None:
                process.kill()
                process.communicate()
    assert code == 0, err
    assert "Traceback" not in err
    expected_in_order = [
        f"watching run {run_id} · live window v2",
        "operator ana on ",
        "run started by ana",
        "▶ first: First step",
        "✓ first succeeded",
        "  echoed: ••••",  # the captured secret, masked
        "▶ flaky: Flaky once",
        "│ not yet",
        "✗ flaky failed",
        "  → retry: automatic retry 1 of 1",
        "▶ flaky: Flaky once (attempt 2)",
        "✓ flaky succeeded",
        "▶ qa: QA signs",
        "  signed as QA by Joe Park",
        "▶ slow: Slow step",
        "│ waiting for the release file",
        "│ released",
        "✓ slow succeeded",
        "▶ last: Last step",
        "│ done",
        "✓ run completed",
    ]
    position = 0
    for expected in expected_in_order:
        found = text.find(expected, position)
        assert found >= 0, f"{expected!r} missing (or out of order) in:\n{text}"
        position = found + len(expected)
    assert "│ token=••••" in text
    assert SECRET not in text + err
    # Nothing the watcher did shows in the run: no resume, no take-over.
    assert not live.events(run_id, "lock_taken_over") and not live.events(run_id, "run_resumed")


def test_watching_a_finished_run_prints_it_and_exits_without_writing(tmp_path: Path) -> None:
    live, run_id = finished_run(tmp_path)
    before = hashlib.sha256(live.journal.read_bytes()).hexdigest()
    full = subprocess.run(
        live.command("watch", run_id[:5]), capture_output=True, text=True, env=live.env()
    )
    quiet = subprocess.run(
        live.command("watch", run_id, "--no-output"), capture_output=True, text=True, env=live.env()
    )
    assert full.returncode == 0 and quiet.returncode == 0, full.stderr + quiet.stderr
    assert full.stdout.rstrip().endswith("✓ run completed")
    assert "│ released" in full.stdout and "│ " not in quiet.stdout
    # --no-output leaves out exactly the output lines.
    assert [line for line in full.stdout.splitlines() if "│ " not in line] == (
        quiet.stdout.splitlines()
    )
    # Read-only: the journal file is byte for byte what the driver left.
    assert hashlib.sha256(live.journal.read_bytes()).hexdigest() == before


def test_unknown_run_or_journal_is_a_clear_error(tmp_path: Path) -> None:
    live, _ = finished_run(tmp_path)
    unknown = subprocess.run(
        live.command("watch", "zzzz"), capture_output=True, text=True, env=live.env()
    )
    assert unknown.returncode == 1
    assert unknown.stderr.strip() == f"deploytui: no run 'zzzz' in the journal {live.journal}"
    missing = tmp_path / "nowhere.db"
    absent = subprocess.run(
        [*live.command("watch", "abc")[:3], "--journal", str(missing), "watch", "abc"],
        capture_output=True,
        text=True,
        env=live.env(),
    )
    assert absent.returncode == 1
    assert absent.stderr.strip() == f"deploytui: there is no journal at {missing}"
    assert not missing.exists()  # watching never creates a journal


def test_ctrl_c_stops_watching_quietly_and_leaves_the_run_alone(tmp_path: Path) -> None:
    live = LiveRun.prepare(tmp_path / "live")
    # No signer in the answers: the run stops at the sign-off, waiting (nobody drives it).
    live.answers.write_text("operator: ana\non_failure: abort\n")
    driver = live.start()
    _, err = driver.communicate(timeout=120)
    assert driver.returncode == 3, err
    run_id = live.run_id()
    watcher = watch(live, run_id)
    reader = Reader(watcher)
    try:
        reader.wait_for_line("run paused")
        reader.wait_for_line("nobody is driving the run now")
        watcher.send_signal(signal.SIGINT)
        code = watcher.wait(timeout=30)
        err = watcher.stderr.read() if watcher.stderr else ""
    finally:
        if watcher.poll() is None:
            watcher.kill()
            watcher.communicate()
    assert code == 0
    assert err.strip() == ""  # no traceback, no "interrupted" noise
    (status,) = query(live.journal, "SELECT status FROM runs WHERE id = ?", (run_id,))[0]
    assert status == "waiting"
