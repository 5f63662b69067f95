"""The Markdown export of a run of a checklist imported by ``deploytui import``: the importer's
source refs and the filled-in export agree, end to end, through the real CLI, engine and journal.

Answers are generated from the imported playbook's fields (each within its target); automated
steps are skipped with a reason, as a rehearsal without the real hosts would do.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from deploytui.engine.headless import Answers, HeadlessOperator
from deploytui.engine.runner import Engine, start_run
from deploytui.export import build_document, render
from deploytui.journal import Journal
from deploytui.model.fields import FieldType, InputField
from deploytui.playbook.loader import load_playbook
from tests.conftest import REPO
from tests.core_helpers import cli

CHECKLIST = REPO / "playbooks" / "superapp-phase7.yaml"


def _answer(field: InputField) -> str:
    match field.type:
        case FieldType.choice:
            return "YES" if "YES" in field.options else field.options[0]
        case FieldType.size:
            return "4.2 GB"
        case FieldType.duration:
            return "20m"
        case FieldType.datetime:
            return "2026-11-22 02:00"
        case FieldType.url:
            return "https://dashboards.example.com/d/1"
        case FieldType.number | FieldType.integer:
            if field.target:
                op, value = field.parse_target()
                number = float(value)
                number = number * 0.5 if op.startswith("<") else number * 2 + 1
                return str(int(number)) if field.type == FieldType.integer else f"{number:g}"
            return "12"
    return "noted"


def test_filled_in_export_of_an_imported_checklist(tmp_path: Path, journal: Journal) -> None:
    checklist = tmp_path / "superapp-phase7.md"
    source = load_playbook(CHECKLIST).playbook.source_document
    assert source is not None
    checklist.write_text(source.text)
    imported = tmp_path / "imported.yaml"
    result = cli("import", str(checklist), "-o", str(imported), "-q")
    assert result.returncode == 0, result.stderr
    loaded = load_playbook(imported)
    playbook = loaded.playbook
    assert playbook.source_document is not None
    steps = [step for _, step in playbook.ordered_steps()]
    answers = Answers(
        operator="ana",
        inputs={key: _answer(field) for key, field in playbook.input_fields().items()},
        signoffs={
            step.role: "Pat Lee"  # type: ignore[attr-defined]
            for step in steps
            if getattr(step, "kind", "") == "signoff"
        },
        decisions={
            step.id: [{"skip": "not in this rehearsal"}]  # type: ignore[list-item]
            for step in steps
            if step.automated or getattr(step, "kind", "") == "gate"
        },
    )
    secrets = {name: f"secret-value-{name}" for name in playbook.secrets}
    run_id = start_run(journal, loaded, operator_name="ana", mode="headless")
    outcome = Engine(
        journal=journal,
        run_id=run_id,
        loaded=loaded,
        operator=HeadlessOperator(answers),
        secrets=secrets,
    ).run()
    assert outcome.status.value == "completed", outcome.message
    document = build_document(journal, run_id, secrets=secrets)
    text = render(document, "md", secrets=secrets)
    original = source.text.rstrip("\n").split("\n")
    body = text.split("\n\n---\n\n## Run record")[0].split("\n")
    assert body[0] == original[0]
    _check_lines(document, original, body)
    assert journal.head_hash(run_id) in text
    assert f"deploytui verify {run_id}" in text


def _check_lines(document: Any, original: list[str], body: list[str]) -> None:
    """Each done step's box is ticked, each skipped one says why, each answered blank is filled."""
    kept = _without_outcome_notes(body)
    assert len(kept) == len(original)  # line for line, in the original order
    position = dict(enumerate(kept, start=1))
    filled = 0
    for step in document.all_steps():
        if step.source_line is None:
            continue
        shown = position[step.source_line]
        was_box = re.match(r"^\s*[-*]\s+\[[ xX]\]", original[step.source_line - 1])
        if step.status.value == "succeeded" and was_box:
            assert re.match(r"^\s*[-*]\s+\[x\]", shown), shown
        if step.status.value == "skipped":
            assert "⊘ skipped: not in this rehearsal" in shown or "```" in shown, shown
        for value in step.values:
            if value.source_line and value.source_blank is not None:
                assert f"**{value.display}**" in position[value.source_line]
                filled += 1
    assert filled > 50


def _without_outcome_notes(body: list[str]) -> list[str]:
    """The export's only added lines are outcome notes after code blocks: "", "> ...", ""."""
    kept: list[str] = []
    index = 0
    while index < len(body):
        if body[index] == "" and index + 1 < len(body) and body[index + 1].startswith("> "):
            index += 1
            while index < len(body) and body[index].startswith("> "):
                index += 1
            index += 1
            continue
        kept.append(body[index])
        index += 1
    return kept
