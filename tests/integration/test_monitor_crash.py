"""A watch survives its process being killed: SIGKILL `deploytui run --headless` mid-watch, then
`deploytui resume` continues the same watch from the journal (the step is read-only, so it is
re-run by itself) — one start, time still counted from the first sample, every sample in the
figures. Real processes, real journal file, real loopback HTTP service, the real system clock.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import HttpServer
from tests.core_helpers import cli, playbook_text, query, wait_for
from tests.integration.test_crash_resume import spawn

PLAYBOOK = """
name: crash watch
variables:
  app_url: http://127.0.0.1:1
targets:
  http:
    app: {base_url: "{{ vars.app_url }}"}
phases:
  - id: stabilize
    title: Stabilization
    steps:
      - id: watch
        kind: monitor
        title: Watch the service
        duration: 15s
        interval: 0.5s
        signals:
          - name: error_rate
            http: {target: app, path: /health}
            measure: error_rate
            window: 4s
            warn: "> 1 %"
            fail: "> 50 % for 2s"
      - {id: done, kind: confirm, title: Done}
"""
ANSWERS = "operator: crash-tester\n"


def _samples(journal: Path) -> list[tuple[int, dict[str, object]]]:
    rows = query(
        journal,
        "SELECT attempt, data FROM events WHERE type = 'monitor_sample' ORDER BY seq",
    )
    return [(attempt, json.loads(data)) for attempt, data in rows]


def test_a_watch_killed_mid_way_continues_after_resume(
    tmp_path: Path, http_server: HttpServer
) -> None:
    http_server.reply("GET", "/health", 200, {"status": "ok"})
    playbook, answers, journal = tmp_path / "w.yaml", tmp_path / "a.yaml", tmp_path / "j.db"
    playbook.write_text(playbook_text(PLAYBOOK))
    answers.write_text(ANSWERS)
    start = [
        "--journal",
        str(journal),
        "run",
        str(playbook),
        "--headless",
        "--answers",
        str(answers),
        "--var",
        f"app_url={http_server.url}",
    ]
    process = spawn(start)
    try:
        wait_for(lambda: len(_samples(journal)) >= 4, what="four samples", timeout=60)
        process.kill()
    finally:
        process.communicate(timeout=30)
    before = _samples(journal)
    run_id = query(journal, "SELECT id FROM runs")[0][0]

    resumed = cli(
        "--journal",
        str(journal),
        "resume",
        run_id,
        "--take-over",
        "--headless",
        "--answers",
        str(answers),
    )
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    after = _samples(journal)
    assert after[: len(before)] == before
    assert {attempt for attempt, _ in after[len(before) :]} == {2}
    assert sum("start" in data for _, data in after) == 1  # one watch, not two
    times = [float(data["t"]) for _, data in after]  # type: ignore[arg-type]
    assert times == sorted(times) and times[-1] <= 15.0 + 1.0
    # The resumed attempt started where the clock says, not at zero.
    assert times[len(before)] > times[len(before) - 1]
    finished = query(
        journal,
        "SELECT data FROM events WHERE type = 'step_finished' AND step_id = 'watch' "
        "ORDER BY seq DESC LIMIT 1",
    )
    details = json.loads(finished[0][0])
    assert details["status"] == "succeeded"
    assert details["details"]["monitor"]["samples"] == len(after)
    shown = cli("--journal", str(journal), "show", run_id)
    assert f"min 0 % · p50 0 % · p95 0 % · max 0 % · last 0 % · {len(after)} readings" in (
        shown.stdout
    )
