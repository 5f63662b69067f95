"""Start-up: how long until deploytui is useful, against the imports it cannot avoid.

Whole-process wall times (a fresh interpreter each run, the tools taking turns): ``deploytui
--version``, ``deploytui validate`` on the largest shipped playbook, and the TUI's time to an
interactive run screen for that playbook (``baselines/tui_run_screen.py``: the real CLI path,
headless, stopped at the first idle of the run screen), against ``python -c "import paramiko"``
and a bare Textual app started headless to its first paint (``baselines/bare_textual.py``).
Also checked by report: a headless run never imports textual, ``validate`` never imports
paramiko (the module lists are read in a subprocess after the command ran).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import yaml

from benchmarks.common import Figure, compared
from benchmarks.procs import PYTHON, ROOT, bench_env, interleaved, run_process, tool

AREA = "start-up"
BASELINES = ROOT / "benchmarks" / "baselines"
HEAVY = ("textual", "paramiko", "httpx", "pymongo", "ansible_runner", "cryptography")

# Runs a deploytui command in-process, then prints which heavy modules it had imported.
PROBE = f"""
import json, sys
from deploytui.cli import main
code = main(sys.argv[1:])
heavy = sorted(m for m in {HEAVY!r} if m in sys.modules)
print("HEAVY " + json.dumps({{"code": code, "modules": heavy}}))
"""


def largest_playbook() -> Path:
    return max((ROOT / "playbooks").glob("*.yaml"), key=lambda path: path.stat().st_size)


def _secrets_env(playbook: Path) -> dict[str, str]:
    """Placeholder values for the playbook's secrets (the run screen never reaches a step that
    uses them), so the run can start without a keyring."""
    data = yaml.safe_load(playbook.read_text())
    return {f"DEPLOYTUI_SECRET_{name.upper()}": "placeholder" for name in data.get("secrets") or {}}


def _imported(args: list[str], env: dict[str, str]) -> list[str]:
    result = run_process([PYTHON, "-c", PROBE, *args], env=env, check=False)
    for line in result.output.splitlines():
        if line.startswith("HEAVY "):
            return list(json.loads(line[6:])["modules"])
    raise RuntimeError(f"probe of deploytui {' '.join(args)} failed:\n{result.output[-2000:]}")


def run(quick: bool) -> list[Figure]:
    repeats = 3 if quick else 5
    playbook = largest_playbook()
    scratch = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    env = bench_env(
        HOME=str(scratch), XDG_DATA_HOME=str(scratch / "data"), **_secrets_env(playbook)
    )
    journal = scratch / "journal.db"
    deploytui = tool("deploytui")
    try:
        commands = {
            "version": ([deploytui, "--version"], env),
            "validate": ([deploytui, "validate", str(playbook)], env),
            "paramiko": ([PYTHON, "-c", "import paramiko"], env),
            "bare": ([PYTHON, str(BASELINES / "bare_textual.py")], env),
            "tui": (
                [PYTHON, str(BASELINES / "tui_run_screen.py"), str(playbook), str(journal)],
                env,
            ),
        }
        for command, command_env in commands.values():  # warm-up: page cache, .pyc files
            run_process(command, env=command_env)
        results = interleaved(commands, repeats)

        local = scratch / "local.yaml"
        local.write_text(
            yaml.safe_dump(
                {
                    "name": "headless imports",
                    "phases": [
                        {
                            "id": "main",
                            "title": "Main",
                            "steps": [
                                {
                                    "id": "hello",
                                    "kind": "local",
                                    "title": "Hello",
                                    "command": "echo hi",
                                }
                            ],
                        }
                    ],
                }
            )
        )
        headless = _imported(["run", str(local), "--headless", "--journal", str(journal)], env)
        validate = _imported(["validate", str(playbook)], env)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    def cpu(name: str) -> str:
        return f"CPU {results[name].cpu_seconds:.2f} s"

    paramiko_s = results["paramiko"].seconds
    figures = [
        compared(
            Figure(
                area=AREA,
                name="deploytui --version",
                value=results["version"].seconds,
                unit="s",
                baseline_name='python -c "import paramiko"',
                baseline_value=paramiko_s,
                notes=f"{cpu('version')}; baseline {cpu('paramiko')}",
            )
        ),
        compared(
            Figure(
                area=AREA,
                name=f"deploytui validate {playbook.name} ({playbook.stat().st_size // 1024} KB)",
                value=results["validate"].seconds,
                unit="s",
                baseline_name='python -c "import paramiko"',
                baseline_value=paramiko_s,
                notes=f"{cpu('validate')}; baseline {cpu('paramiko')}",
            )
        ),
        compared(
            Figure(
                area=AREA,
                name=f"TUI to an interactive run screen, {playbook.name}",
                value=results["tui"].seconds,
                unit="s",
                baseline_name="bare Textual app, headless, to first paint",
                baseline_value=results["bare"].seconds,
                target="≤ 2× a bare Textual app",
                target_kind="ratio_max",
                target_value=2.0,
                notes=f"runs {results['tui'].spread()} s; {cpu('tui')}; baseline runs "
                f"{results['bare'].spread()} s, {cpu('bare')}",
            )
        ),
        compared(
            Figure(
                area=AREA,
                name="TUI to an interactive run screen, CPU time",
                value=results["tui"].cpu_seconds,
                unit="s",
                baseline_name="bare Textual app, CPU time",
                baseline_value=results["bare"].cpu_seconds,
                notes="user+system time: what a busy machine cannot stretch (wall time above "
                "includes waiting for a core)",
            )
        ),
        Figure(
            area=AREA,
            name="headless run: textual imported",
            value=float("textual" in headless),
            unit="modules",
            target="never",
            target_kind="value_max",
            target_value=0,
            notes="heavy modules a headless run of a local step imported: "
            + (", ".join(headless) or "none"),
        ),
        Figure(
            area=AREA,
            name="validate: paramiko imported",
            value=float("paramiko" in validate),
            unit="modules",
            target="never",
            target_kind="value_max",
            target_value=0,
            notes="heavy modules `validate` imported: " + (", ".join(validate) or "none"),
        ),
    ]
    return figures
