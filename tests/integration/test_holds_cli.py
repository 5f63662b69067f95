"""Holds through the real CLI, in subprocesses, with a real journal file.

``run`` parks at a hold (exit 3, "waiting until HH:MM — resume with: ..."), ``runs`` and
``show`` say so, an early ``resume`` answers from the answers file's ``holds:`` (leave, continue,
wait), a resume after the time (``DEPLOYTUI_CLOCK_OFFSET``, as if the laptop slept) goes on, and
a run killed with SIGKILL while waiting at a hold resumes from the journal alone.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

from deploytui.model.hold_step import as_utc, until_text
from tests.core_helpers import PYTHON, cli, playbook_text, query, wait_for

PLAYBOOK = """
name: hold-cli
version: "1"
phases:
  - id: deploy
    title: Deploy
    steps:
      - {{id: before, kind: local, title: Before the hold, command: echo before}}
      - {{id: overnight, kind: hold, title: Wait for the morning peak, {hold}}}
      - {{id: after, kind: local, title: After the hold, command: echo after-the-hold}}
"""


def setup(tmp_path: Path, hold: str = "for: 2h", answers: str = "") -> dict[str, Path]:
    files = {
        "playbook": tmp_path / "hold.yaml",
        "answers": tmp_path / "answers.yaml",
        "journal": tmp_path / "journal.db",
    }
    files["playbook"].write_text(playbook_text(PLAYBOOK.format(hold=hold)))
    files["answers"].write_text(playbook_text(answers or "operator: night-shift\n"))
    return files


def env(offset: float = 0) -> dict[str, str]:
    base = {key: value for key, value in os.environ.items() if not key.startswith("DEPLOYTUI_")}
    base["TZ"] = "UTC"  # the expected local "HH:MM" below is computed in UTC too
    if offset:
        base["DEPLOYTUI_CLOCK_OFFSET"] = str(offset)
    return base


def deploytui(
    files: dict[str, Path], *args: str, offset: float = 0
) -> subprocess.CompletedProcess[str]:
    return cli(*args, "--journal", str(files["journal"]), env=env(offset), timeout=120)


def write_answers(files: dict[str, Path], text: str) -> None:
    files["answers"].write_text(playbook_text(text))


def the_run(files: dict[str, Path]) -> str:
    return str(query(files["journal"], "SELECT id FROM runs")[0][0])


def held_until(files: dict[str, Path]) -> str | None:
    return query(files["journal"], "SELECT held_until FROM runs")[0][0]


def events(files: dict[str, Path], run_id: str) -> list[dict]:
    rows = query(
        files["journal"],
        "SELECT type, step_id, data FROM events WHERE run_id = ? ORDER BY seq",
        (run_id,),
    )
    return [{"type": t, "step": s, "data": json.loads(d)} for t, s, d in rows]


def park(files: dict[str, Path]) -> str:
    result = deploytui(
        files, "run", str(files["playbook"]), "--headless", "--answers", str(files["answers"])
    )
    assert result.returncode == 3, result.stderr
    run_id = the_run(files)
    until = held_until(files)
    assert until is not None
    when = until_text(as_utc(until), as_utc(until))  # "HH:MM" in UTC (TZ=UTC above)
    assert f"run {run_id} is waiting until {when} — resume with: deploytui resume {run_id}" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr
    return run_id


def resume(
    files: dict[str, Path], run_id: str, offset: float = 0, *extra: str
) -> subprocess.CompletedProcess[str]:
    return deploytui(
        files,
        "resume",
        run_id,
        "--headless",
        "--answers",
        str(files["answers"]),
        *extra,
        offset=offset,
    )


def succeeded(found: list[dict], step: str) -> int:
    return sum(
        1
        for e in found
        if e["type"] == "step_finished" and e["step"] == step and e["data"]["status"] == "succeeded"
    )


def test_run_parks_and_runs_and_show_say_waiting(tmp_path: Path) -> None:
    files = setup(tmp_path)
    run_id = park(files)
    listing = deploytui(files, "runs")
    assert listing.returncode == 0
    line = next(row for row in listing.stdout.splitlines() if row.startswith(run_id))
    assert "⏳ waiting until " in line
    shown = deploytui(files, "show", run_id)
    assert shown.returncode == 0
    assert "⏳ waiting until" in shown.stdout.splitlines()[0]
    assert "⏳ overnight" in shown.stdout
    assert "held: waiting until" in shown.stdout
    started = [e["step"] for e in events(files, run_id) if e["type"] == "step_started"]
    assert started == ["before", "overnight"]  # the step after the hold has not run
    # Every export says until when the parked step waits (UTC, as exports give every time).
    stamp = f"waiting until {as_utc(str(held_until(files))):%Y-%m-%d %H:%M} UTC"
    for form in ("md", "html", "json"):
        exported = deploytui(files, "export", run_id, "--format", form)
        assert exported.returncode == 0, exported.stderr
        assert stamp in exported.stdout, form


def test_resume_early_leave_then_continue_with_a_reason(tmp_path: Path) -> None:
    files = setup(tmp_path)
    run_id = park(files)
    # Nothing under holds: leave it parked (exit 3 again, still waiting).
    again = resume(files, run_id)
    assert again.returncode == 3, again.stderr
    assert "leaving it parked" in again.stdout
    assert "waiting until" in again.stderr
    assert held_until(files) is not None
    write_answers(files, 'holds: {overnight: {continue: "peak came early"}}\n')
    done = resume(files, run_id)
    assert done.returncode == 0, done.stderr
    assert "after-the-hold" in done.stdout
    found = events(files, run_id)
    decisions = [e["data"] for e in found if e["type"] == "decision" and e["step"] == "overnight"]
    assert [(d["action"], d["reason"]) for d in decisions] == [("continue", "peak came early")]
    assert succeeded(found, "overnight") == 1
    assert held_until(files) is None
    assert query(files["journal"], "SELECT status FROM runs")[0][0] == "completed"
    shown = deploytui(files, "show", run_id).stdout
    assert "continued early: peak came early" in shown
    assert "(continued early)" in shown and "held until " in shown


def test_resume_after_the_time_goes_on(tmp_path: Path) -> None:
    files = setup(tmp_path)
    run_id = park(files)
    done = resume(files, run_id, offset=2 * 3600 + 120)  # as if the laptop slept two hours
    assert done.returncode == 0, done.stderr
    found = events(files, run_id)
    assert not [e for e in found if e["type"] == "decision"]  # nobody was asked
    (finished,) = [e for e in found if e["type"] == "step_finished" and e["step"] == "overnight"]
    assert finished["data"]["details"]["hold"]["released"] == "the time came"
    assert succeeded(found, "after") == 1
    verify = deploytui(files, "verify", run_id)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_headless_wait_sleeps_until_the_hold_ends(tmp_path: Path) -> None:
    files = setup(tmp_path, hold="for: 2s", answers="holds: {overnight: wait}\n")
    result = deploytui(
        files, "run", str(files["playbook"]), "--headless", "--answers", str(files["answers"])
    )
    assert result.returncode == 0, result.stderr
    found = events(files, the_run(files))
    (wait,) = [e["data"] for e in found if e["type"] == "decision"]
    assert wait["action"] == "wait"
    assert succeeded(found, "overnight") == 1 and succeeded(found, "after") == 1


def test_kill_9_while_waiting_at_a_hold_then_resume(tmp_path: Path) -> None:
    files = setup(tmp_path, answers="holds: {overnight: wait}\n")
    process = subprocess.Popen(
        [
            *(PYTHON, "-m", "deploytui.cli", "run", str(files["playbook"]), "--headless"),
            *("--answers", str(files["answers"]), "--journal", str(files["journal"])),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env(),
    )
    try:
        wait_for(
            lambda: query(files["journal"], "SELECT 1 FROM events WHERE type = 'decision'"),
            timeout=60,
            what="the wait decision",
        )
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()
    assert process.returncode == -signal.SIGKILL
    run_id = the_run(files)
    # Everything the hold needs is in the journal: the listing still says until when.
    listing = deploytui(files, "runs")
    assert "⏳ waiting until" in listing.stdout
    write_answers(files, "operator: morning-shift\n")
    # The killed process's lock is stale: --take-over, as after any crash.
    done = resume(files, run_id, 2 * 3600 + 60, "--take-over")
    assert done.returncode == 0, done.stderr
    found = events(files, run_id)
    assert succeeded(found, "before") == 1
    assert succeeded(found, "overnight") == 1
    assert succeeded(found, "after") == 1
    assert [e["type"] for e in found].count("run_held") == 1
    assert deploytui(files, "verify", run_id).returncode == 0
