"""``export --format md`` of an imported checklist: the team's document, completed in place."""

from __future__ import annotations

from pathlib import Path

from deploytui.export import build_document, render
from deploytui.journal import Journal
from deploytui.model.events import RunStatus
from tests.export_helpers import ANSWERS, CHECKLIST, SECRET, run_checklist


def _filled(journal: Journal, run_id: str) -> str:
    return render(build_document(journal, run_id, secrets={"api_token": SECRET}), "md")


def _body(text: str) -> list[str]:
    return text.split("\n## Run record")[0].rstrip("\n").split("\n")


def test_keeps_the_structure_and_order(journal: Journal, tmp_path: Path) -> None:
    run_id, _ = run_checklist(journal, tmp_path)
    body = _body(_filled(journal, run_id))
    original = CHECKLIST.rstrip("\n").split("\n")
    # Every heading and every untouched line is there, in the original order.
    position = 0
    for line in original:
        if line.startswith("#") or "```" in line or "echo" in line or line == "":
            position = body.index(line, position) + 1
    assert body[0] == "# Night window checklist"
    assert body.index("## 1. Backup") < body.index("## 2. Checks") < body.index("## 3. Final")


def test_ticks_fills_and_marks(journal: Journal, tmp_path: Path) -> None:
    run_id, outcome = run_checklist(journal, tmp_path)
    assert outcome.status == RunStatus.completed
    body = _body(_filled(journal, run_id))
    assert "**Date:** **2026-11-22**" in body
    assert "- [x] **Create backup** of the orders database" in body
    assert "- [x] **Backup size:** **4.2 GB**" in body  # "MB/GB" after the blank absorbed
    assert "- [x] **Backup duration:** **12m**" in body  # "minutes" absorbed
    assert "- [x] **Rollback tested on staging:** **YES**" in body
    assert "- [x] **p95 response time:** **612 ms** ⚠ misses < 500 ms (target: < 500ms)" in body
    assert "- [ ] **Optional cache warmup** — ⊘ skipped: cache is cold anyway" in body
    assert "- [x] **Flaky check** passes" in body
    signed = next(line for line in body if line.startswith("- [x] **Sign-off:** **Maria Lopez**, "))
    assert signed.endswith(" UTC (DBA)")
    row = next(line for line in body if line.startswith("| **QA Lead** |"))
    assert row.startswith("| **QA Lead** | **Joe Park** | ✍ signed in deploytui | ")
    assert "____" not in row
    status = next(line for line in body if line.startswith("**Deployment Status:**"))
    assert status.startswith("**Deployment Status:** ☒ **APPROVED FOR PRODUCTION**  ☐ BLOCKED")


def test_code_blocks_stay_intact_with_the_outcome_after(journal: Journal, tmp_path: Path) -> None:
    run_id, _ = run_checklist(journal, tmp_path)
    body = _body(_filled(journal, run_id))
    start = body.index("  ```bash")
    assert body[start + 1] == '  echo "backup done size=42"'
    assert body[start + 2] == "  ```"
    assert body[start + 4].startswith("> ✓ done — Run the backup command (`backup_command`)")


def test_appendix_has_the_audit_trail(journal: Journal, tmp_path: Path) -> None:
    run_id, _ = run_checklist(journal, tmp_path)
    text = _filled(journal, run_id)
    appendix = text.split("\n## Run record")[1]
    assert f"| Run | `{run_id}` (night-window v1.2) |" in appendix
    assert "| Operator | ana on " in appendix
    assert "| DBA | Maria Lopez |" in appendix and "| QA Lead | Joe Park |" in appendix
    assert f"Head hash: `{journal.head_hash(run_id)}`" in appendix
    assert f"`deploytui verify {run_id}`" in appendix
    # Steps and answers the checklist has no line or blank for are still reported.
    assert "**The API token works** (`token_check`, local)" in appendix
    assert "Operator note: token was ••••" in appendix
    assert SECRET not in text


def test_unfinished_run_leaves_later_boxes_open(journal: Journal, tmp_path: Path) -> None:
    answers = {**ANSWERS, "signoffs": {"DBA": "Maria Lopez"}}  # no QA Lead: the run waits
    run_id, outcome = run_checklist(journal, tmp_path, answers)
    assert outcome.status == RunStatus.waiting
    body = _body(_filled(journal, run_id))
    row = next(line for line in body if line.startswith("| **QA Lead** |"))
    assert row == "| **QA Lead** | _______________ | _______________ | ___________ |"
    status = next(line for line in body if line.startswith("**Deployment Status:**"))
    assert status.startswith("**Deployment Status:** ☐ APPROVED FOR PRODUCTION")
    assert "- [x] **Flaky check** passes" in body


def test_report_layout_is_still_available(journal: Journal, tmp_path: Path) -> None:
    run_id, _ = run_checklist(journal, tmp_path)
    text = render(build_document(journal, run_id), "md", layout="report")
    assert text.startswith("# Run report: night-window v1.2")
