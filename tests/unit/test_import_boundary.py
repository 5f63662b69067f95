"""The layering rule: nothing below the UI imports textual, and validate stays light.

Checked two ways: by importing the core in a fresh interpreter and looking at ``sys.modules``,
and statically by scanning every module outside ``deploytui/ui`` for textual imports.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import deploytui

PACKAGE = Path(deploytui.__file__).resolve().parent
DEMO = PACKAGE / "demo" / "demo.yaml"

CORE_MODULES = [
    "deploytui.engine.runner",
    "deploytui.engine.headless",
    "deploytui.journal",
    "deploytui.playbook",
    "deploytui.executors.local",
    "deploytui.executors.http",
    "deploytui.cli",
]

PROBE = """
import contextlib, io, json, sys
for name in {modules!r}:
    __import__(name)
from deploytui.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    code = main(["validate", {demo!r}])
print(json.dumps({{
    "code": code,
    "out": out.getvalue(),
    "textual": sorted(m for m in sys.modules if m == "textual" or m.startswith("textual.")),
    "paramiko": "paramiko" in sys.modules,
}}))
"""


def _probe(modules: list[str]) -> dict:
    completed = subprocess.run(
        [sys.executable, "-c", PROBE.format(modules=modules, demo=str(DEMO))],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_the_core_and_validate_never_import_textual() -> None:
    found = _probe(CORE_MODULES)
    assert found["code"] == 0 and ": ok — shop-release-demo" in found["out"]
    assert found["textual"] == []


def test_validate_alone_does_not_import_paramiko_or_textual() -> None:
    found = _probe([])
    assert found["code"] == 0
    assert found["paramiko"] is False
    assert found["textual"] == []


def _imports_textual(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        if any(name == "textual" or name.startswith("textual.") for name in names):
            lines.append(node.lineno)
    return lines


def test_no_module_outside_ui_imports_textual_statically() -> None:
    offenders = {}
    checked = 0
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] == "ui":
            continue
        checked += 1
        lines = _imports_textual(path)
        if lines:
            offenders[str(relative)] = lines
    assert checked > 20  # the scan really saw the package
    assert offenders == {}


def test_the_scanner_notices_a_textual_import(tmp_path: Path) -> None:
    sample = tmp_path / "bad.py"
    sample.write_text("import os\nfrom textual.app import App\nimport textual\n")
    assert _imports_textual(sample) == [2, 3]
