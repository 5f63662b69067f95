"""``deploytui export`` as a command: stdout, -o FILE (atomic), errors, layering."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from deploytui.journal import Journal
from tests.core_helpers import cli
from tests.export_helpers import SECRET, run_checklist


def _env(secret: bool) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("DEPLOYTUI_")}
    if secret:
        env["DEPLOYTUI_SECRET_API_TOKEN"] = SECRET
    return env


def test_prints_markdown_to_stdout(journal: Journal, journal_path: Path, tmp_path: Path) -> None:
    run_id, _ = run_checklist(journal, tmp_path)
    result = cli("--journal", str(journal_path), "export", run_id[:5], env=_env(True))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# Night window checklist")
    assert SECRET not in result.stdout


def test_writes_each_format_to_a_file(journal: Journal, journal_path: Path, tmp_path: Path) -> None:
    run_id, _ = run_checklist(journal, tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    for fmt in ("md", "html", "json"):
        target = out / f"report.{fmt}"
        target.write_text("an older report")
        result = cli(
            "export",
            run_id,
            "--journal",
            str(journal_path),
            "--format",
            fmt,
            "-o",
            str(target),
            env=_env(False),
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout == ""
        assert f"to {target}" in result.stderr
        data = target.read_bytes()
        assert SECRET.encode() not in data
        assert run_id.encode() in data
    assert json.loads((out / "report.json").read_text())["run_id"] == run_id
    assert sorted(path.name for path in out.iterdir()) == [
        "report.html",
        "report.json",
        "report.md",
    ]


def test_unknown_run_exits_2_with_a_sentence(journal_path: Path) -> None:
    Journal(journal_path).close()
    result = cli("export", "deadbeef", "--journal", str(journal_path), env=_env(False))
    assert result.returncode == 2
    assert "no run 'deadbeef'" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_bad_output_folder_exits_2(journal: Journal, journal_path: Path, tmp_path: Path) -> None:
    run_id, _ = run_checklist(journal, tmp_path)
    target = tmp_path / "missing" / "r.md"
    result = cli("export", run_id, "--journal", str(journal_path), "-o", str(target))
    assert result.returncode == 2
    assert "does not exist" in result.stderr


def test_export_modules_do_not_import_textual() -> None:
    code = (
        "import sys, deploytui.export, deploytui.export.html, deploytui.export.fillin, "
        "deploytui.cli_export; sys.exit('textual' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
