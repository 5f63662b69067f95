"""Two operators, one run: a live driver is never displaced; a dead one's lock needs a yes.

Everything is real: the driver is a headless ``deploytui run`` in its own process, the second
operator is another ``deploytui resume`` process (on a pseudo-terminal when the question is asked
interactively), and the kill is SIGKILL. Following the run read-only is in test_watch.py.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
from pathlib import Path

import pytest

from tests.core_helpers import query
from tests.live_run import LiveRun


def resume(live: LiveRun, run_id: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        live.command("resume", run_id, "--headless", "--answers", str(live.answers), *extra),
        capture_output=True,
        text=True,
        timeout=120,
        env=live.env(),
        stdin=subprocess.DEVNULL,
    )


def killed_mid_step(tmp_path: Path) -> tuple[LiveRun, str, int]:
    """A run whose driver was SIGKILLed while ``slow`` ran: its lock is left behind."""
    live = LiveRun.prepare(tmp_path / "live")
    driver = live.start()
    try:
        run_id = live.run_id()
        live.wait_started("slow")
        driver.kill()
    finally:
        driver.communicate(timeout=30)
    assert driver.returncode == -signal.SIGKILL
    (pid,) = query(live.journal, "SELECT pid FROM locks WHERE run_id = ?", (run_id,))[0]
    assert pid == driver.pid  # the dead driver's lock is still there
    live.release.touch()  # the re-run of `slow` may finish at once
    return live, run_id, driver.pid


def test_a_second_resume_of_a_live_run_is_refused_naming_who_holds_it(tmp_path: Path) -> None:
    live = LiveRun.prepare(tmp_path / "live")
    driver = live.start()
    try:
        run_id = live.run_id()
        live.wait_started("slow")
        host = socket.gethostname()
        holder = re.compile(
            rf"run {run_id} is being driven by ana \(pid {driver.pid} on {re.escape(host)} "
            r"since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)"
        )
        second = resume(live, run_id)
        assert second.returncode == 1, second.stderr
        assert holder.search(second.stderr), second.stderr
        assert f"deploytui watch {run_id}" in second.stderr
        # --take-over cannot displace a live driver either.
        forced = resume(live, run_id, "--take-over")
        assert forced.returncode == 1 and holder.search(forced.stderr), forced.stderr
        assert "Traceback" not in second.stderr + forced.stderr
        # The refused attempts left no trace in the run, and the driver still holds it.
        assert not live.events(run_id, "run_resumed")
        assert not live.events(run_id, "lock_taken_over")
        assert query(live.journal, "SELECT pid FROM locks")[0][0] == driver.pid
        live.release.touch()
        out, err = driver.communicate(timeout=120)
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.communicate()
    assert driver.returncode == 0, err
    assert f"run {run_id}: completed" in out
    assert query(live.journal, "SELECT COUNT(*) FROM locks")[0][0] == 0


def test_a_dead_drivers_lock_is_taken_over_only_with_take_over_off_a_terminal(
    tmp_path: Path,
) -> None:
    live, run_id, dead_pid = killed_mid_step(tmp_path)
    refused = resume(live, run_id)
    assert refused.returncode == 1
    assert re.search(
        rf"run {run_id} was being driven by ana \(pid {dead_pid} on .+ since .+ UTC\); "
        r"that process is gone\. Resume with --take-over to take the run over",
        refused.stderr,
    ), refused.stderr
    assert not live.events(run_id, "lock_taken_over")
    assert not live.events(run_id, "run_resumed")

    taken = resume(live, run_id, "--take-over")
    assert taken.returncode == 0, taken.stderr
    ((_, data),) = live.events(run_id, "lock_taken_over")
    record = json.loads(data)
    assert record["previous_pid"] == dead_pid and record["forced"] is True
    assert record["previous_host"] == socket.gethostname()
    (status,) = query(live.journal, "SELECT status FROM runs WHERE id = ?", (run_id,))[0]
    assert status == "completed"
    verified = subprocess.run(
        live.command("verify", run_id), capture_output=True, text=True, env=live.env()
    )
    assert verified.returncode == 0, verified.stdout


@pytest.mark.parametrize("answer", ["n", "y"])
def test_on_a_terminal_the_take_over_is_asked(tmp_path: Path, answer: str) -> None:
    pexpect = pytest.importorskip("pexpect")
    live, run_id, dead_pid = killed_mid_step(tmp_path)
    args = live.command("resume", run_id, "--headless", "--answers", str(live.answers))
    child = pexpect.spawn(args[0], args[1:], env=live.env(), encoding="utf-8", timeout=60)
    try:
        child.expect(re.escape(f"run {run_id} was being driven by ana (pid {dead_pid} on "))
        child.expect("that process is gone")
        child.expect(re.escape("take the run over and continue it? [y/N] "))
        assert not live.events(run_id, "lock_taken_over")  # nothing happens before the answer
        child.sendline(answer)
        child.expect(pexpect.EOF, timeout=120)
    finally:
        child.close(force=True)
    taken_over = live.events(run_id, "lock_taken_over")
    (status,) = query(live.journal, "SELECT status FROM runs WHERE id = ?", (run_id,))[0]
    if answer == "n":
        assert child.exitstatus == 1
        assert "left as it is (not taken over)" in child.before
        assert not taken_over and status == "running"
    else:
        assert child.exitstatus == 0, child.before
        assert f"run {run_id}: completed" in child.before
        assert json.loads(taken_over[0][1])["previous_pid"] == dead_pid
        assert status == "completed"


async def test_the_tui_asks_before_taking_over_a_run_whose_driver_is_gone(
    journal, tmp_path: Path
) -> None:
    """Home → resume of a crashed run: a take-over dialog (Back is the default); Back leaves the
    run untouched, Take over journals it and drives the run on."""
    import os
    import threading

    from deploytui.engine.runner import start_run
    from deploytui.journal.store import utc_now
    from deploytui.playbook.loader import load_playbook
    from deploytui.ui.app import DeployApp
    from deploytui.ui.bridge import Ask
    from deploytui.ui.config import UiConfig
    from deploytui.ui.dialogs.common import ConfirmDialog
    from deploytui.ui.screens.home import HomeScreen, open_run
    from deploytui.ui.screens.run import RunScreen
    from tests.ui.helpers import wait_for, wait_question, wait_screen, write_playbook

    path = write_playbook(
        tmp_path,
        """
        name: crashed window
        phases:
          - id: main
            title: Main
            steps:
              - {id: check, kind: confirm, title: Check the dashboards}
        """,
    )
    run_id = start_run(journal, load_playbook(path), operator_name="ana")
    dead = subprocess.Popen(["true"])
    dead.wait()
    with journal.db.atomic():
        journal.db.execute(
            "INSERT INTO locks (run_id, host, pid, since, token) VALUES (?, ?, ?, ?, ?)",
            (run_id, socket.gethostname(), dead.pid, utc_now(), "crashed"),
        )

    def resume_in_a_worker() -> threading.Thread:
        worker = threading.Thread(
            target=open_run, kwargs={"app": app, "playbook_path": None, "run_id": run_id}
        )
        worker.start()
        return worker

    app = DeployApp(journal=journal, operator_name="joe", config=UiConfig(), cwd=tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_screen(pilot, HomeScreen)
        worker = resume_in_a_worker()
        dialog = await wait_screen(pilot, ConfirmDialog)
        assert f"was being driven by pid {dead.pid} on {socket.gethostname()} since" in (
            dialog.message
        )
        assert "that process is gone" in dialog.message
        await pilot.press("enter")  # focus starts on Back: a stray enter changes nothing
        await wait_for(pilot, lambda: not worker.is_alive(), "the resume to give up")
        assert not any(isinstance(screen, RunScreen) for screen in app.screen_stack)
        assert not [e for e in journal.events(run_id) if e.type == "lock_taken_over"]

        worker = resume_in_a_worker()
        await wait_screen(pilot, ConfirmDialog)
        await pilot.click("#confirm")
        await wait_question(pilot, Ask.acknowledge, "check")
        (taken,) = [e for e in journal.events(run_id) if e.type == "lock_taken_over"]
        assert taken.data["previous_pid"] == dead.pid and taken.data["forced"] is True
        (pid,) = journal._read("SELECT pid FROM locks WHERE run_id = ?", (run_id,))[0]
        assert pid == os.getpid()
        await pilot.press("enter")  # acknowledge: the run goes on to its end
        await wait_for(
            pilot, lambda: journal.run(run_id).status.value == "completed", "the run to finish"
        )
