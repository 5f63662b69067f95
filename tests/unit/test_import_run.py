"""An imported checklist runs end to end headless, and its source references fill the export.

Real parts: the CLI, the engine, a real shell for the imported command, a SQLite journal file.
The command carries a Go template (``{{.State}}``) and YAML-special characters, which must reach
the shell verbatim.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from deploytui.cli import main
from deploytui.journal import Journal

CHECKLIST = """\
# Tiny window

## Backup
- [ ] Take a snapshot
  ```bash
  printf '%s\\n' '{{.State}}' "a: b # c"
  ```
- [ ] **Backup size:** ______ GB
- [ ] Restore tested: YES / NO
- [ ] **Sign-off:** ________ (DBA)

## Go/No-Go
- [ ] Everyone ready

## Rollback
- [ ] Restore the snapshot
"""

ANSWERS = """\
operator: ana
inputs: {backup_size: 4 GB, restore_tested: "YES"}
signoffs: {DBA: Maria Lopez}
"""


def test_imported_checklist_runs_and_fills_its_own_blanks(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    (tmp_path / "tiny.md").write_text(CHECKLIST)
    (tmp_path / "answers.yaml").write_text(ANSWERS)
    playbook, journal = tmp_path / "tiny.yaml", tmp_path / "journal.db"
    assert main(["import", str(tmp_path / "tiny.md"), "-o", str(playbook)]) == 0
    code = main(
        ["--journal", str(journal), "run", str(playbook), "--headless", "--answers",
         str(tmp_path / "answers.yaml")]
    )  # fmt: skip
    assert code == 0
    with Journal(journal) as opened:
        (run,) = opened.runs(limit=5)
        output = list(opened.output(run.id, "run_take_a_snapshot"))
    assert any(line.endswith("{{.State}}") for line in output)
    assert any(line.endswith("a: b # c") for line in output)
    capsys.readouterr()
    assert main(["--journal", str(journal), "export", run.id]) == 0
    filled = capsys.readouterr().out.split("\n")
    size_line = next(line for line in filled if "Backup size" in line)
    assert size_line.startswith("- [x]") and "4 GB" in size_line and "____" not in size_line
    signoff_line = next(line for line in filled if "Sign-off" in line)
    assert "Maria Lopez" in signoff_line and "(DBA)" in signoff_line
