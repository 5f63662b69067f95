"""``export --format json``: the run as data, with a schema version, agreeing with ``show``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deploytui.export import SCHEMA_VERSION, build_document, render
from deploytui.journal import Journal
from deploytui.journal.report import build_report
from deploytui.model.events import RunStatus
from tests.export_helpers import SECRET, run_checklist


@pytest.fixture
def exported(journal: Journal, tmp_path: Path) -> tuple[str, dict]:
    run_id, outcome = run_checklist(journal, tmp_path)
    assert outcome.status == RunStatus.completed
    document = build_document(journal, run_id, secrets={"api_token": SECRET})
    return run_id, json.loads(render(document, "json"))


def test_json_has_a_schema_version_and_the_run(exported: tuple[str, dict]) -> None:
    run_id, data = exported
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["run_id"] == run_id
    assert data["operator"] == "ana"
    assert data["status"] == "completed"
    assert data["window_start"] and data["window_end"]


def test_json_agrees_with_the_run_report(journal: Journal, exported: tuple[str, dict]) -> None:
    run_id, data = exported
    report = build_report(journal, run_id)
    expected = {step.step_id: step.status.value for phase in report.phases for step in phase.steps}
    got = {step["id"]: step["status"] for phase in data["phases"] for step in phase["steps"]}
    assert got == expected
    assert data["journal"]["head_hash"] == journal.head_hash(run_id)
    assert data["journal"]["verified"] is True
    assert data["journal"]["verify_command"] == f"deploytui verify {run_id}"


def test_json_values_units_breaches_signoffs(exported: tuple[str, dict]) -> None:
    _, data = exported
    steps = {step["id"]: step for phase in data["phases"] for step in phase["steps"]}
    values = {value["field"]: value for step in steps.values() for value in step["values"]}
    assert values["p95_ms"]["unit"] == "ms"
    assert values["p95_ms"]["display"] == "612 ms"
    assert values["p95_ms"]["target"] == "< 500 ms"
    assert "misses the target" in values["p95_ms"]["breach"]
    assert values["backup_size"]["display"] == "4.2 GB"
    assert [item["field"] for item in data["breaches"]] == ["p95_ms"]
    assert [(s["role"], s["name"]) for s in data["signoffs"]] == [
        ("DBA", "Maria Lopez"),
        ("QA Lead", "Joe Park"),
    ]
    skipped = steps["cache_warmup"]
    assert (skipped["outcome"], skipped["reason"]) == ("skipped", "cache is cold anyway")
    flaky = steps["flaky_check"]
    assert flaky["attempts"] == 2 and flaky["retries"] == ["retry: by operator"]
    assert "exited with 1" in flaky["failed_attempts"][0]


def test_json_never_contains_a_secret(journal: Journal, tmp_path: Path) -> None:
    run_id, _ = run_checklist(journal, tmp_path)
    for secrets in ({"api_token": SECRET}, None):
        text = render(build_document(journal, run_id, secrets=secrets), "json")
        assert SECRET not in text
        assert "••••" in text
