"""Crash-anywhere harness: kill a real headless run right after its K-th journal event, resume it
to the end, and check that nothing was lost, repeated or changed.

A case is one subprocess running the real command line with ``DEPLOYTUI_FAULT_KILL_AFTER_EVENT=K``
(the journal's append path SIGKILLs the process once its K-th event is committed, see
``deploytui.journal.store``), then ``resume`` subprocesses until the run has finished. The result
is compared with a *baseline*: the same scenario run once without a fault. The checks:

- every step finished exactly as in the baseline, and each one that succeeded did so exactly
  once (no step_finished after its success);
- every captured value and sign-off of the baseline is in the journal's tables, unchanged;
- a step not marked ``idempotent`` started again only after a recorded decision (the answers
  file's ``on_interrupted``/``decisions``, or a retry) — never silently;
- ``deploytui verify`` passes;
- the report (``journal.report.build_report``, what ``show`` and the exports use) equals the
  baseline's once the fields listed in ``VOLATILE_KEYS`` are removed and, for the steps the
  kill cut off only, the attempt history (``without_history``, ``cut_off_steps``).
"""

from __future__ import annotations

import functools
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conftest import REPO

PYTHON = sys.executable
KILL_ENV = "DEPLOYTUI_FAULT_KILL_AFTER_EVENT"
FINAL = {"completed", "aborted", "rolled_back", "failed"}

# Fields that differ between two uninterrupted runs of the same scenario, or that a crash and
# resume change by design. They are removed before comparing reports:
# - clock readings: started_at/finished_at/updated_at/at/since (when), duration/elapsed (how long);
# - the run's identity and size: id, event_count, head_hash, chain_message (a resumed run has
#   more events: run_resumed, lock_taken_over, a decision per interrupted step);
# - measured latencies (latency_ms) of HTTP checks;
# - what a monitor step measured (details.monitor, and its figures NAME_min/_p50/_p95/_max/_last,
#   see ``measured_fields``): live readings differ between any two runs, like latencies.
VOLATILE_KEYS = {
    "started_at",
    "finished_at",
    "updated_at",
    "at",
    "since",
    "duration",
    "elapsed",
    "id",
    "event_count",
    "head_hash",
    "chain_message",
    "latency_ms",
    "monitor",
}
# Loopback ports (the demo starts its service on a new port each time) and run ids in text.
_PORT = re.compile(r"(127\.0\.0\.1|localhost):\d+")


@dataclass
class Scenario:
    """How to start and resume one playbook headless from the command line."""

    name: str
    playbook: Path
    start: list[str]  # arguments after ``--journal FILE``
    resume: Callable[[str], list[str]]  # arguments after ``--journal FILE`` for a run id
    module: str = "deploytui.cli"
    env: dict[str, str] = field(default_factory=dict)
    timeout: float = 180


@dataclass
class Baseline:
    run_id: str
    events: int
    report: dict[str, Any]
    values: dict[str, str]
    signoffs: dict[str, str]
    finals: dict[str, list[str]]  # step id -> statuses of its step_finished events


@dataclass
class CaseResult:
    scenario: str
    kill_after: int
    killed: bool
    resumes: int
    problems: list[str]
    seconds: float


def process_env(scenario: Scenario, home: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("DEPLOYTUI_")}
    for name in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        folder = home / name.lower()
        folder.mkdir(parents=True, exist_ok=True)
        env[name] = str(folder)
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.update(scenario.env)
    return env


def run_cli(
    scenario: Scenario,
    journal: Path,
    args: list[str],
    *,
    kill_after: int | None = None,
    home: Path,
) -> subprocess.CompletedProcess[str]:
    env = process_env(scenario, home)
    if kill_after is not None:
        env[KILL_ENV] = str(kill_after)
    command = [PYTHON, "-m", scenario.module, "--journal", str(journal), *args]
    try:
        return subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=scenario.timeout,
            env=env,
            cwd=REPO,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as expired:  # a hang is a finding, reported like the rest
        out = expired.stdout.decode() if isinstance(expired.stdout, bytes) else expired.stdout
        return subprocess.CompletedProcess(
            command, 124, out or "", f"hung: no exit after {scenario.timeout:.0f} s"
        )


def query(db: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


def events_of(db: Path, run_id: str) -> list[dict[str, Any]]:
    rows = query(
        db,
        "SELECT seq, type, step_id, attempt, data FROM events WHERE run_id = ? "
        "AND type != 'step_output' ORDER BY seq",
        (run_id,),
    )
    return [
        {"seq": seq, "type": kind, "step": step, "attempt": attempt, "data": json.loads(data)}
        for seq, kind, step, attempt, data in rows
    ]


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _scrub(item) for key, item in value.items() if key not in VOLATILE_KEYS}
    if isinstance(value, list):
        return [_scrub(item) for item in value]
    if isinstance(value, str):
        return _PORT.sub(r"\1:PORT", value)
    return value


def normalise_report(db: Path, run_id: str) -> dict[str, Any]:
    """The run's report with VOLATILE_KEYS removed everywhere and the run id replaced by RUN.
    Statuses, reasons, values, sign-offs, details, breaches, titles, actions, attempts and
    decisions stay; ``without_history`` sets aside the attempt history of re-run steps."""
    from deploytui.journal import Journal
    from deploytui.journal.report import build_report

    with Journal(db) as journal:
        report = build_report(journal, run_id).model_dump(mode="json")
    report = _without_fields(report, measured_fields(db, run_id))
    # A notice about the playbook (an unconfigured notification channel...) is journaled by each
    # process that drives the run, so a resumed run repeats it: compare the distinct notices.
    report["notices"] = sorted(set(report.get("notices") or []))
    text = json.dumps(_scrub(report), sort_keys=True).replace(run_id, "RUN")
    return json.loads(text)


def without_history(report: dict[str, Any], step_ids: set[str]) -> dict[str, Any]:
    """The report with the attempt history (attempts, failures, decisions) of ``step_ids``
    removed: the steps a crash cut off (see ``cut_off_steps``). How many attempts happened
    before the kill is the crash's doing; the step's final status, reason, values and details
    are still compared. Every other step's history must be equal."""
    copy = json.loads(json.dumps(report))
    phases = copy["phases"] + ([copy["rollback"]] if copy.get("rollback") else [])
    for phase in phases:
        for step in phase["steps"]:
            if step["step_id"] in step_ids:
                for key in ("attempts", "failures", "decisions"):
                    step.pop(key, None)
    return copy


def cut_off_steps(found: list[dict[str, Any]]) -> set[str]:
    """Steps a kill cut off: started, with no result, when the next process took the run over.

    An automated one is re-run only after a decision (checked separately); a manual one (an
    input, a confirmation, a sign-off) is simply asked again, since nothing was recorded."""
    open_steps: set[str] = set()
    cut: set[str] = set()
    for event in found:
        if event["type"] == "step_started":
            open_steps.add(event["step"])
        elif event["type"] in {"step_finished", "step_interrupted"}:
            open_steps.discard(event["step"])
            if event["type"] == "step_interrupted":
                cut.add(event["step"])
        elif event["type"] in {"lock_taken_over", "run_resumed"}:
            cut |= open_steps
            open_steps.clear()
        elif event["type"] == "decision" and event["data"].get("action") == "rerun":
            cut.add(event["step"])
    return cut


def read_run(db: Path) -> tuple[str, str]:
    rows = query(db, "SELECT id, status FROM runs")
    assert len(rows) == 1, rows
    return rows[0][0], rows[0][1]


def values_of(db: Path, run_id: str) -> dict[str, str]:
    """Captured values as displayed (a value naming the run, like a backup path, says RUN)."""
    rows = query(db, "SELECT field, display FROM captured_values WHERE run_id = ?", (run_id,))
    measured = measured_fields(db, run_id)
    # A measured figure must still be there after a crash; only its reading may differ.
    return {
        field: "MEASURED" if field in measured else display.replace(run_id, "RUN")
        for field, display in rows
    }


def measured_fields(db: Path, run_id: str) -> set[str]:
    """Value names of figures measured live by monitor steps (they differ from run to run)."""
    snapshot, path = query(db, "SELECT snapshot, playbook_path FROM runs WHERE id = ?", (run_id,))[
        0
    ]
    return set(_measured_in(snapshot, path))


@functools.lru_cache(maxsize=16)
def _measured_in(snapshot: str, path: str) -> frozenset[str]:
    # Parsing a 200-step playbook costs a good part of a second; the sweep asks per case.
    from deploytui.playbook.loader import parse_playbook

    playbook = parse_playbook(snapshot, path).playbook
    return frozenset(
        name
        for _, step in playbook.ordered_steps()
        if getattr(step, "kind", "") == "monitor"
        for name in step.value_names()  # type: ignore[attr-defined]
    )


def _without_fields(value: Any, fields: set[str]) -> Any:
    """``value`` with every ``{"field": NAME, ...}`` item of a list dropped for NAME in fields."""
    if not fields:
        return value
    if isinstance(value, dict):
        return {key: _without_fields(item, fields) for key, item in value.items()}
    if isinstance(value, list):
        return [
            _without_fields(item, fields)
            for item in value
            if not (isinstance(item, dict) and item.get("field") in fields)
        ]
    return value


def step_finals(found: list[dict[str, Any]]) -> dict[str, list[str]]:
    finals: dict[str, list[str]] = {}
    for event in found:
        if event["type"] == "step_finished":
            finals.setdefault(event["step"], []).append(event["data"]["status"])
    return finals


def run_baseline(scenario: Scenario, workdir: Path) -> Baseline:
    """The scenario once, uninterrupted: what every crashed-and-resumed run must end up as."""
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / "baseline.db"
    result = run_cli(scenario, db, scenario.start, home=workdir / "home")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    run_id, status = read_run(db)
    assert status == "completed", status
    count = query(db, "SELECT COUNT(*) FROM events WHERE run_id = ?", (run_id,))[0][0]
    found = events_of(db, run_id)
    return Baseline(
        run_id=run_id,
        events=count,
        report=normalise_report(db, run_id),
        values=values_of(db, run_id),
        signoffs=dict(query(db, "SELECT role, name FROM signoffs")),
        finals={step: statuses[-1:] for step, statuses in step_finals(found).items()},
    )


def non_idempotent_automated(playbook: Path) -> set[str]:
    from deploytui.playbook.loader import load_playbook

    loaded = load_playbook(playbook)
    return {
        step.id
        for _, step in loaded.playbook.ordered_steps()
        if step.automated and not step.idempotent
    }


def check_run(
    scenario: Scenario, db: Path, baseline: Baseline, guarded: set[str], home: Path
) -> list[str]:
    """Everything a crashed-and-resumed run must satisfy; an empty list when it does."""
    problems: list[str] = []
    run_id, status = read_run(db)
    if status != "completed":
        return [f"the run ended {status}, not completed"]
    found = events_of(db, run_id)
    # Exactly once: a step's results end as the baseline's, with nothing after a success.
    finals = step_finals(found)
    for step_id, statuses in finals.items():
        if statuses.count("succeeded") > 1:
            problems.append(f"{step_id}: succeeded {statuses.count('succeeded')} times")
        if "succeeded" in statuses and statuses[-1] != "succeeded":
            problems.append(f"{step_id}: results after its success: {statuses}")
    ended = {step: statuses[-1:] for step, statuses in finals.items()}
    if ended != baseline.finals:
        missing = sorted(set(baseline.finals) ^ set(ended))
        changed = sorted(s for s in baseline.finals if ended.get(s, []) != baseline.finals[s])
        problems.append(f"step results differ from the baseline: {missing or changed}")
    # Nothing lost.
    values = values_of(db, run_id)
    if values != baseline.values:
        diff = {
            k for k in set(values) | set(baseline.values) if values.get(k) != baseline.values.get(k)
        }
        problems.append(f"captured values differ: {sorted(diff)}")
    signoffs = dict(query(db, "SELECT role, name FROM signoffs"))
    if signoffs != baseline.signoffs:
        problems.append(f"sign-offs differ: {signoffs} != {baseline.signoffs}")
    # Never re-run silently: a second start of a non-idempotent step needs a decision before it.
    since_start: dict[str, list[dict[str, Any]]] = {}
    for event in found:
        step = event["step"]
        if step not in guarded:
            continue
        if event["type"] == "step_started":
            if step in since_start and not any(
                item["type"] == "decision" and item["data"].get("action") in {"rerun", "retry"}
                for item in since_start[step]
            ):
                problems.append(f"{step}: started again (seq {event['seq']}) without a decision")
            since_start[step] = []
        elif step in since_start:
            since_start[step].append(event)
            if (
                event["type"] == "decision"
                and event["data"].get("reason") == "idempotent step re-run after interruption"
            ):
                problems.append(f"{step}: not idempotent but re-run as if it were")
    # Resumed by the answers file's operator, as it was started (not the login name).
    started_by = found[0]["data"].get("operator") if found else None
    for event in found:
        if event["type"] == "run_resumed" and event["data"].get("operator") != started_by:
            problems.append(f"resumed by {event['data'].get('operator')!r}, not {started_by!r}")
    code, said = verify(db, run_id)
    if code != 0:
        problems.append(f"verify failed: {said}")
    cut = cut_off_steps(found)
    report = without_history(normalise_report(db, run_id), cut)
    expected = without_history(baseline.report, cut)
    if report != expected:
        problems.append("report differs from the baseline: " + first_difference(expected, report))
    return problems


def verify(db: Path, run_id: str) -> tuple[int, str]:
    """``deploytui verify RUN_ID``, the command's own code, in this process (one process per
    case fewer in the sweep)."""
    import contextlib
    import io

    from deploytui.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = main(["--journal", str(db), "verify", run_id])
    return code, out.getvalue().strip()


def first_difference(expected: Any, got: Any, path: str = "") -> str:
    """Where two JSON structures first differ, for a readable failure."""
    if isinstance(expected, dict) and isinstance(got, dict):
        for key in sorted(set(expected) | set(got)):
            if expected.get(key) != got.get(key):
                return first_difference(expected.get(key), got.get(key), f"{path}.{key}")
    if isinstance(expected, list) and isinstance(got, list) and len(expected) == len(got):
        for index, (left, right) in enumerate(zip(expected, got, strict=True)):
            if left != right:
                return first_difference(left, right, f"{path}[{index}]")
    return f"{path or '.'}: expected {json.dumps(expected)[:300]}, got {json.dumps(got)[:300]}"


def crash_case(
    scenario: Scenario, kill_after: int, workdir: Path, baseline: Baseline, guarded: set[str]
) -> CaseResult:
    """Kill a fresh run after its ``kill_after``-th event, resume to the end, check it."""
    began = time.monotonic()
    folder = workdir / f"{scenario.name}-k{kill_after}"
    folder.mkdir(parents=True, exist_ok=True)
    home = folder / "home"
    db = folder / "journal.db"
    problems: list[str] = []
    first = run_cli(scenario, db, scenario.start, kill_after=kill_after, home=home)
    killed = first.returncode == -signal.SIGKILL
    if not killed and first.returncode != 0:
        problems.append(f"first run exited {first.returncode}: {first.stderr[-1500:]}")
    if "Traceback" in first.stderr:
        problems.append("a traceback was printed")
    resumes = 0
    if not problems:
        run_id, status = read_run(db)
        while status not in FINAL and resumes < 3 and not problems:
            resumes += 1
            again = run_cli(scenario, db, scenario.resume(run_id), home=home)
            if again.returncode != 0 or "Traceback" in again.stderr:
                problems.append(
                    f"resume {resumes} exited {again.returncode}: "
                    f"{again.stdout[-1500:]}{again.stderr[-1500:]}"
                )
            run_id, status = read_run(db)
    if not problems:
        problems = check_run(scenario, db, baseline, guarded, home)
    if not problems:
        # Keep the sweep's disk use flat: a passing case's files are not needed.
        for path in folder.glob("journal.db*"):
            path.unlink()
    return CaseResult(
        scenario=scenario.name,
        kill_after=kill_after,
        killed=killed,
        resumes=resumes,
        problems=problems,
        seconds=round(time.monotonic() - began, 2),
    )


def sample_points(total: int, count: int, *, ends: bool = False) -> list[int]:
    """``count`` kill points spread evenly inside 1..total (plus the first and last with
    ``ends``)."""
    inner = {max(1, min(total, round(total * (index + 1) / (count + 1)))) for index in range(count)}
    return sorted(inner | ({1, total} if ends else set()))


def record(result: CaseResult) -> None:
    """Append a case to $DEPLOYTUI_FAULT_REPORT (JSON lines) when set, for the sweep's figures."""
    target = os.environ.get("DEPLOYTUI_FAULT_REPORT")
    if target:
        with open(target, "a", encoding="utf-8") as out:
            out.write(json.dumps(result.__dict__) + "\n")
