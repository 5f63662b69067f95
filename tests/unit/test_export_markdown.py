"""``export --format md --layout report``: the run report as Markdown."""

from __future__ import annotations

import re
from pathlib import Path

from deploytui.export import build_document, render
from deploytui.export.model import HostOut
from deploytui.journal import Journal
from deploytui.model.events import RunStatus
from tests.export_helpers import ANSWERS, SECRET, run_checklist


def _report(journal: Journal, run_id: str) -> str:
    return render(
        build_document(journal, run_id, secrets={"api_token": SECRET}), "md", layout="report"
    )


def test_report_lists_every_step_with_icon_and_words(journal: Journal, tmp_path: Path) -> None:
    run_id, _ = run_checklist(journal, tmp_path)
    text = _report(journal, run_id)
    document = build_document(journal, run_id)
    for phase in document.phases:
        assert f"## {document.phases.index(phase) + 1}. {phase.title}" in text
        for step in phase.steps:
            assert f"(`{step.id}`, {step.kind})" in text
    assert "- ⊘ skipped: cache is cold anyway — **Optional cache warmup**" in text
    assert "- ✓ done — **Flaky check passes**" in text
    assert "✗ failed attempt 1: the command exited with 1" in text
    assert "↻ retry: by operator" in text
    assert "p95 response time: ⚠ 612 ms misses the target < 500 ms" in text
    assert "Backup duration: 12m (target < 15m)" in text
    assert "of 2m estimated" in text


def test_report_has_signoffs_window_and_journal_footer(journal: Journal, tmp_path: Path) -> None:
    run_id, _ = run_checklist(journal, tmp_path)
    text = _report(journal, run_id)
    assert re.search(r"\| DBA \| Maria Lopez \| \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \|", text)
    assert "| QA Lead | Joe Park |" in text
    assert "| Operator | ana on " in text
    assert re.search(r"\| Window \| .+ UTC → .+ UTC \(", text)
    assert f"`{journal.head_hash(run_id)}`" in text
    assert f"`deploytui verify {run_id}`" in text
    assert "✓ verified" in text
    assert "↺ Rollback: not needed" in text
    assert SECRET not in text


def test_report_shows_the_rollback_when_it_ran(journal: Journal, tmp_path: Path) -> None:
    decisions = {**ANSWERS["decisions"], "flaky_check": [{"rollback": "flaky check broke"}]}
    answers = {**ANSWERS, "decisions": decisions}
    run_id, outcome = run_checklist(journal, tmp_path, answers)
    assert outcome.status == RunStatus.rolled_back
    text = _report(journal, run_id)
    assert "## ↺ Rollback" in text
    assert "Started: flaky check broke" in text
    assert "- ✓ done — **Restore the backup** (`restore`, local)" in text
    assert "○ not reached — **QA Lead signs**" in text
    assert "| Status | ↺ rolled back |" in text


def test_report_shows_per_host_results(journal: Journal, tmp_path: Path) -> None:
    run_id, _ = run_checklist(journal, tmp_path)
    document = build_document(journal, run_id)
    step = document.phases[0].steps[2]
    hosts = [
        HostOut(host="db-1", ok=True, exit_code=0, duration=1.2),
        HostOut(host="db-2", ok=False, exit_code=255, reason="connection refused"),
    ]
    document.phases[0].steps[2] = step.model_copy(update={"hosts": hosts})
    text = render(document, "md", layout="report")
    assert "    - ✓ db-1: ok, exit 0, 1s" in text
    assert "    - ✗ db-2: failed, exit 255, connection refused" in text


def test_markup_in_titles_cannot_become_html(journal: Journal, tmp_path: Path) -> None:
    run_id, _ = run_checklist(journal, tmp_path)
    text = _report(journal, run_id)
    assert "<b>" not in text
    assert "&lt;b>with&lt;/b>" in text


def test_a_tampered_journal_shows_in_every_report(
    journal: Journal, journal_path: Path, tmp_path: Path
) -> None:
    import sqlite3

    run_id, _ = run_checklist(journal, tmp_path)
    connection = sqlite3.connect(journal_path)
    with connection:
        connection.execute(
            "UPDATE events SET data = replace(data, 'Maria Lopez', 'Someone Else') "
            "WHERE run_id = ? AND type = 'step_finished' AND step_id = 'dba_signoff'",
            (run_id,),
        )
    connection.close()
    document = build_document(journal, run_id)
    assert not document.journal.verified
    for fmt in ("md", "html"):
        for layout in ("report", "checklist"):
            text = render(document, fmt, layout=layout)  # type: ignore[arg-type]
            assert "✗ NOT VERIFIED" in text
            assert "was changed after it was written" in text
