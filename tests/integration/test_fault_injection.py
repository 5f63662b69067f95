"""Crash anywhere, resume exactly: SIGKILL a real headless run right after its K-th journal event,
resume it to completion, and check nothing was lost, repeated or changed (tests/fault_harness.py
says exactly what is compared and what is set aside).

Scenarios: the bundled demo (``deploytui demo --headless``, its embedded HTTP service restarted
and replayed on resume) and every shipped playbook in playbooks/ with its answers file — ssh
steps on a real sshd on loopback (``--targets FILE`` points every host at it), http steps on a
real loopback HTTP server (``--var``), mongo steps on mongomock-ng (the only stand-in; no MongoDB
server can run here), through ``python -m tests.fault_cli`` which is the real CLI plus that
client.

By default a handful of kill points per scenario (first event, last event and a few between);
``--exhaustive`` kills after EVERY event of every scenario. Each scenario's points are split over
shards so ``-n 2`` spreads the sweep. Set DEPLOYTUI_FAULT_REPORT=FILE to collect every case as a
JSON line (the figures in docs/reliability.md come from there).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from deploytui.demo import bundled_playbook
from tests.conftest import HttpServer, _handler_for
from tests.fault_harness import (
    Baseline,
    Scenario,
    crash_case,
    non_idempotent_automated,
    record,
    run_baseline,
    sample_points,
)
from tests.integration.test_shipped_playbooks import PLAYBOOKS, SECRETS, SHIPPED, _overrides

SCENARIOS = ["demo", *SHIPPED]
SHARDS = 12  # per scenario with --exhaustive (short shards balance the workers)
SAMPLE = {"demo": 1, "superapp-phase7": 2, "grover-launch": 3, "creator-platform-readiness": 3}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "shard" in metafunc.fixturenames:
        exhaustive = metafunc.config.getoption("--exhaustive")
        cases = [
            (name, shard) for name in SCENARIOS for shard in (range(SHARDS) if exhaustive else [-1])
        ]
        metafunc.parametrize(
            ("scenario_name", "shard"),
            cases,
            ids=[f"{name}-{'sample' if shard < 0 else f'shard{shard}'}" for name, shard in cases],
        )


@pytest.fixture(scope="session")
def fault_http() -> Iterator[HttpServer]:
    """One real loopback HTTP server for the sweep (the shipped playbooks' health checks)."""
    state = HttpServer(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(state))
    server.daemon_threads = True
    host, port = server.server_address[:2]
    state.url = f"http://{host}:{port}"
    for path in ("/api/health", "/api/ready", "/health", "/api/version"):
        state.reply("GET", path, 200, {"status": "ok"})
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def scenarios(
    tmp_path_factory: pytest.TempPathFactory, sshd: Any, ssh_keys: Any, fault_http: HttpServer
) -> dict[str, Scenario]:
    from deploytui.playbook.loader import load_playbook

    folder = tmp_path_factory.mktemp("fault-scenarios")
    made = {
        "demo": Scenario(
            name="demo",
            playbook=bundled_playbook(),
            start=["demo", "--headless"],
            # A crash leaves the dead process's lock: --take-over is the headless confirmation.
            resume=lambda run_id: ["demo", "--resume", run_id, "--headless", "--take-over"],
        )
    }
    known_hosts = ssh_keys.known_hosts(folder / "known_hosts", [sshd.port])
    env = {f"DEPLOYTUI_SECRET_{name.upper()}": value for name, value in SECRETS.items()}
    for name in SHIPPED:
        playbook = PLAYBOOKS / f"{name}.yaml"
        answers = PLAYBOOKS / "answers" / f"{name}.yaml"
        declared = load_playbook(playbook).playbook
        overrides = _overrides(declared.variables, folder / name, fault_http.url)
        inventory = declared.targets.model_dump(mode="json", exclude_defaults=True)
        inventory["ssh"] = {
            host: sshd.target(known_hosts=str(known_hosts)) for host in declared.targets.ssh
        }
        targets = folder / f"{name}-targets.yaml"
        targets.write_text(json.dumps(inventory, indent=1))
        variables = [
            item for key, value in overrides.items() for item in ("--var", f"{key}={value}")
        ]
        made[name] = Scenario(
            name=name,
            playbook=playbook,
            start=[
                "run",
                str(playbook),
                "--headless",
                "--answers",
                str(answers),
                "--targets",
                str(targets),
                *variables,
            ],
            resume=lambda run_id, answers=answers: [
                "resume",
                run_id,
                "--headless",
                "--answers",
                str(answers),
                "--take-over",
            ],
            module="tests.fault_cli",
            env=env,
        )
    return made


@pytest.fixture(scope="session")
def baselines(
    scenarios: dict[str, Scenario], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Baseline]:
    """Each scenario's uninterrupted run, made once per worker when first needed."""

    class Lazy(dict[str, Baseline]):
        def __missing__(self, name: str) -> Baseline:
            made = run_baseline(scenarios[name], tmp_path_factory.mktemp(f"baseline-{name}"))
            self[name] = made
            return made

    return Lazy()


def test_a_baseline_run_is_repeatable(
    scenarios: dict[str, Scenario], baselines: dict[str, Baseline], tmp_path: Path
) -> None:
    """The comparison is meaningful: two uninterrupted runs normalise to the same report, and
    the normalisation keeps what matters (statuses, values, sign-offs)."""
    again = run_baseline(scenarios["demo"], tmp_path)
    first = baselines["demo"]
    assert again.report == first.report
    assert again.values == first.values and again.finals == first.finals
    steps = [step for phase in first.report["phases"] for step in phase["steps"]]
    assert {step["status"] for step in steps} == {"succeeded"}
    assert first.signoffs == {"Deployment Lead": "Ana Silva", "QA": "Joe Park"}
    assert {"backup_file", "p95_ms"} <= set(first.values)


@pytest.fixture
def case_dir(tmp_path: Path) -> Iterator[Path]:
    """Where the cases' journals live: tmpfs (/dev/shm) when there is one. The fault here is
    the death of the process, not of the machine: the kernel keeps every committed page, so
    fsync (synchronous=FULL, for power loss) only costs time — most of a case's time on a busy
    disk. Elsewhere, tmp_path."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield tmp_path
        return
    folder = Path(tempfile.mkdtemp(prefix="deploytui-fault-", dir=shm))
    try:
        yield folder
    finally:
        # Keep a failing case's files for inspection next to the test's tmp_path.
        for failed in folder.iterdir():
            if any(failed.glob("journal.db")):
                shutil.copytree(failed, tmp_path / failed.name, dirs_exist_ok=True)
        shutil.rmtree(folder, ignore_errors=True)


def _passed_before() -> set[tuple[str, int]]:
    """Cases a previous sweep recorded as passed (DEPLOYTUI_FAULT_SKIP_PASSED=FILE, the JSON
    lines of DEPLOYTUI_FAULT_REPORT): a long sweep that was cut short continues, not restarts."""
    source = os.environ.get("DEPLOYTUI_FAULT_SKIP_PASSED")
    if not source:
        return set()
    passed = set()
    for line in Path(source).read_text().splitlines():
        case = json.loads(line)
        if not case["problems"]:
            passed.add((case["scenario"], case["kill_after"]))
    return passed


# The sweep's shards run for many minutes each: past the suite's default per-test timeout. Each
# subprocess has its own timeout (Scenario.timeout), so a hang is still caught and reported.
@pytest.mark.timeout(0)
def test_sigkill_after_event_k_then_resume_is_exact(
    scenario_name: str,
    shard: int,
    scenarios: dict[str, Scenario],
    baselines: dict[str, Baseline],
    case_dir: Path,
) -> None:
    scenario = scenarios[scenario_name]
    baseline = baselines[scenario_name]
    if shard < 0:
        # The demo also at its very first and last event (killed before and after all).
        points = sample_points(baseline.events, SAMPLE[scenario_name], ends=scenario_name == "demo")
    else:
        points = list(range(1 + shard, baseline.events + 1, SHARDS))
    done = _passed_before()
    points = [point for point in points if (scenario_name, point) not in done]
    guarded = non_idempotent_automated(scenario.playbook)
    failures = []
    for kill_after in points:
        result = crash_case(scenario, kill_after, case_dir, baseline, guarded)
        record(result)
        if result.problems:
            failures.append(f"K={kill_after}: " + "; ".join(result.problems))
    assert not failures, f"{len(failures)} of {len(points)} kill points failed:\n" + "\n".join(
        failures[:20]
    )


# -- Ctrl+C and a closing terminal in the middle of a remote command ----------------------------
# (tests/integration/test_crash_resume.py covers the same for a local command.)

SSH_PLAYBOOK = """
name: remote stop
targets:
  ssh:
    box: {host: box.example.com}
phases:
  - id: p
    title: P
    steps:
      - {id: ask, kind: input, title: Ticket, fields: [{id: ticket, type: text}]}
      - id: long
        kind: ssh
        title: A long remote command (not idempotent)
        hosts: [box]
        command: "echo started; sleep 45 && echo @TOKEN@; touch @DIR@/LATE"
      - {id: after, kind: local, title: After, command: "echo after {{ inputs.ticket }}"}
"""


@pytest.mark.parametrize("signum", ["SIGINT", "SIGHUP"])
def test_ctrl_c_or_hangup_during_an_ssh_command_stops_it_remotely_and_resumes(
    signum: str, sshd: Any, ssh_keys: Any, tmp_path: Path
) -> None:
    import signal
    import subprocess
    import uuid

    from tests.core_helpers import PYTHON, cli, query, wait_for

    token = f"deploytui-stop-{uuid.uuid4().hex}"
    playbook = tmp_path / "remote.yaml"
    playbook.write_text(SSH_PLAYBOOK.replace("@TOKEN@", token).replace("@DIR@", str(tmp_path)))
    known_hosts = ssh_keys.known_hosts(tmp_path / "known_hosts", [sshd.port])
    targets = tmp_path / "targets.yaml"
    targets.write_text(json.dumps({"ssh": {"box": sshd.target(known_hosts=str(known_hosts))}}))
    answers = tmp_path / "answers.yaml"
    answers.write_text(
        json.dumps(
            {
                "operator": "t",
                "inputs": {"ticket": "CHG-9"},
                "decisions": {"long": [{"mark_done": "finished by hand on the box"}]},
            }
        )
    )
    journal = tmp_path / "journal.db"

    def restore_default_sigint() -> None:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # as in a terminal, not a pytest worker

    process = subprocess.Popen(
        [PYTHON, "-m", "deploytui.cli", "--journal", str(journal), "run", str(playbook),
         "--headless", "--answers", str(answers), "--targets", str(targets)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
        preexec_fn=restore_default_sigint,
    )  # fmt: skip

    def remote_running() -> bool:
        found = subprocess.run(["pgrep", "-f", token], capture_output=True, text=True)
        return bool(found.stdout.strip())

    def printed() -> Any:
        if process.poll() is not None:  # it ended early: show why
            pytest.fail(f"the run ended with {process.returncode}: {process.communicate()}")
        return query(
            journal, "SELECT 1 FROM events WHERE type = 'step_output' AND step_id = 'long'"
        )

    try:
        wait_for(printed, what="the remote command to print", timeout=150)
        assert remote_running()
        process.send_signal(getattr(signal, signum))
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 3, err
    assert "the run stays resumable" in err and "Traceback" not in err
    wait_for(lambda: not remote_running(), what="the remote command to be stopped", timeout=30)
    kinds = [row[0] for row in query(journal, "SELECT type FROM events ORDER BY seq")]
    assert kinds[-2:] == ["step_interrupted", "run_paused"]

    resumed = cli(
        "--journal", str(journal), "resume", "--headless", "--answers", str(answers),
        "--targets", str(targets),
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.stdout[-2000:] + resumed.stderr
    rows = query(
        journal,
        "SELECT step_id, type, data FROM events WHERE type IN ('step_started', 'decision', "
        "'step_finished') ORDER BY seq",
    )
    long_events = [(kind, json.loads(data)) for step, kind, data in rows if step == "long"]
    # Started once; not re-run: the answers file marked it done (the operator's choice).
    assert [kind for kind, _ in long_events] == ["step_started", "decision", "step_finished"]
    assert long_events[1][1]["action"] == "mark_done"
    assert long_events[2][1]["marked_done"] is True
    assert "after CHG-9" in resumed.stdout
    assert not (tmp_path / "LATE").exists()
    assert cli("--journal", str(journal), "verify").returncode == 0
