"""Fan-out: one ``ssh`` step over N hosts, headless and journaled, against what a user would
otherwise run on the same sshd processes: raw paramiko threads, ``ansible -m raw`` and
``ansible -m command``.

Every tool is a fresh process (whole-process wall time, peak RSS via ``wait4``); the tools take
turns within each repeat so a burst of load from elsewhere on the machine hits all of them.
All tools verify host keys against the same known_hosts file; HOME is a temporary folder so
nothing is written to the user's ~/.ssh or ~/.ansible.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
from pathlib import Path

from benchmarks.common import Figure, compared
from benchmarks.fleet import COMMAND, Fleet
from benchmarks.procs import PYTHON, ROOT, ProcessRun, bench_env, run_process, tool

AREA = "fan-out"
SIZES = (1, 10, 50)
TARGET_N = 50
BASELINE = ROOT / "benchmarks" / "baselines" / "paramiko_fanout.py"


def _commands(fleet: Fleet, count: int, scratch: Path) -> dict[str, tuple[list[str], dict]]:
    home = scratch / "home"
    home.mkdir(exist_ok=True)
    journal = scratch / f"journal-{count}.db"
    env = bench_env(HOME=str(home), XDG_DATA_HOME=str(home / "data"))
    inventory = fleet.ansible_inventory(count, PYTHON)

    def ansible(module: str) -> tuple[list[str], dict]:
        control = Path(tempfile.mkdtemp(prefix="cp-", dir=scratch))
        ansible_env = {
            **env,
            "ANSIBLE_HOME": str(home / ".ansible"),
            "ANSIBLE_LOCAL_TEMP": str(home / ".ansible" / "tmp"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_HOST_KEY_CHECKING": "True",
            # Ansible's default ssh arguments, with our known_hosts, and masters that go away
            # shortly after the run instead of lingering 60 s into the next measurement. A fresh
            # control folder per run: no run reuses a connection an earlier run opened.
            "ANSIBLE_SSH_ARGS": (
                "-C -o ControlMaster=auto -o ControlPersist=2s "
                f"-o UserKnownHostsFile={fleet.known_hosts} -o StrictHostKeyChecking=yes"
            ),
            "ANSIBLE_SSH_CONTROL_PATH_DIR": str(control),
        }
        argument = COMMAND if module == "raw" else "uname -n"
        # `-m command` runs no shell, so no `&& sleep`: it gets the lighter command.
        return (
            [
                tool("ansible"),
                "all",
                "-i",
                str(inventory),
                "-m",
                module,
                "-a",
                argument,
                "-f",
                str(count),
            ],
            ansible_env,
        )

    return {
        "deploytui": (
            [
                tool("deploytui"),
                "run",
                str(fleet.deploytui_playbook(count)),
                "--headless",
                "--journal",
                str(journal),
            ],
            env,
        ),
        "paramiko": ([PYTHON, str(BASELINE), str(fleet.paramiko_hosts(count))], env),
        "ansible_raw": ansible("raw"),
        "ansible_command": ansible("command"),
    }


def _measure(
    fleet: Fleet, count: int, repeats: int, scratch: Path, *, slow_repeats: int
) -> dict[str, list[ProcessRun]]:
    runs: dict[str, list[ProcessRun]] = {}
    for repeat in range(repeats):
        # Rebuilt each repeat: every ansible run gets a fresh control folder.
        for name, (command, env) in _commands(fleet, count, scratch).items():
            if name == "ansible_command" and repeat >= slow_repeats:
                continue  # about 10 s a run at N=50, and no target rides on it
            runs.setdefault(name, []).append(run_process(command, env=env, timeout=600))
    return runs


def run(quick: bool) -> list[Figure]:
    repeats = 3 if quick else 5
    scratch = Path(tempfile.mkdtemp(prefix="bench-fanout-"))
    fleet = Fleet.start(scratch, max(SIZES))
    figures: list[Figure] = []
    try:
        # Warm the page cache and the journal file's folder; not measured.
        for command, env in _commands(fleet, 1, scratch).values():
            run_process(command, env=env, timeout=600)
        for count in SIZES:
            # `ansible -m command` at N=50 takes 10 s or more a run and carries no target: once.
            slow_repeats = 1 if count >= TARGET_N else repeats
            runs = _measure(fleet, count, repeats, scratch, slow_repeats=slow_repeats)
            wall = {
                name: statistics.median(r.seconds for r in items) for name, items in runs.items()
            }
            rss = {
                name: statistics.median(r.max_rss_mb for r in items) for name, items in runs.items()
            }
            cpu = {
                name: statistics.median(r.cpu_seconds for r in items)
                for name, items in runs.items()
            }
            at_target = count == TARGET_N
            spread = ", ".join(f"{r.seconds:.2f}" for r in runs["deploytui"])
            figures.append(
                compared(
                    Figure(
                        area=AREA,
                        name=f"ssh step, N={count} — vs raw paramiko threads",
                        value=wall["deploytui"],
                        unit="s",
                        baseline_name="raw paramiko, N threads",
                        baseline_value=wall["paramiko"],
                        target="≤ 1.2× raw paramiko" if at_target else "",
                        target_kind="ratio_max" if at_target else "none",
                        target_value=1.2 if at_target else None,
                        notes=f"deploytui runs: {spread} s; CPU time (user+system, client "
                        f"process only) deploytui {cpu['deploytui']:.2f} s, raw paramiko "
                        f"{cpu['paramiko']:.2f} s, ansible -m raw {cpu['ansible_raw']:.2f} s",
                    )
                )
            )
            figures.append(
                compared(
                    Figure(
                        area=AREA,
                        name=f"ssh step, N={count} — vs ansible -m raw -f {count}",
                        value=wall["deploytui"],
                        unit="s",
                        baseline_name=f"ansible -m raw -f {count}",
                        baseline_value=wall["ansible_raw"],
                        target="≤ 0.3× ansible -m raw" if at_target else "",
                        target_kind="ratio_max" if at_target else "none",
                        target_value=0.3 if at_target else None,
                    )
                )
            )
            figures.append(
                compared(
                    Figure(
                        area=AREA,
                        name=f"ssh step, N={count} — vs ansible -m command -f {count}",
                        value=wall["deploytui"],
                        unit="s",
                        baseline_name=f"ansible -m command -f {count}",
                        baseline_value=wall["ansible_command"],
                        notes=f"median of {len(runs['ansible_command'])} runs (the others: "
                        f"{len(runs['deploytui'])}); `-m command` runs `uname -n` (no shell)",
                    )
                )
            )
            figures.append(
                compared(
                    Figure(
                        area=AREA,
                        name=f"peak memory, N={count} — vs raw paramiko threads",
                        value=rss["deploytui"],
                        unit="MB",
                        baseline_name="raw paramiko, N threads",
                        baseline_value=rss["paramiko"],
                        target="≤ 1.5× raw paramiko" if at_target else "",
                        target_kind="ratio_max" if at_target else "none",
                        target_value=1.5 if at_target else None,
                        notes=(
                            f"max RSS of one process; ansible -m raw {rss['ansible_raw']:.0f} MB "
                            f"per process (it forks {count} workers)"
                        ),
                    )
                )
            )
            # CPU time is what a busy machine cannot stretch: the same work, whatever the load.
            figures.append(
                compared(
                    Figure(
                        area=AREA,
                        name=f"client CPU time, N={count} — vs raw paramiko threads",
                        value=cpu["deploytui"],
                        unit="s",
                        baseline_name="raw paramiko, N threads",
                        baseline_value=cpu["paramiko"],
                        notes=f"user+system of the client process and its children; ansible -m "
                        f"raw {cpu['ansible_raw']:.2f} s, ansible -m command "
                        f"{cpu['ansible_command']:.2f} s",
                    )
                )
            )
    finally:
        fleet.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    return figures
