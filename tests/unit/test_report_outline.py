"""The cached playbook outline behind ``show`` (journal/outline.py): the report it gives equals the
one from a full parse of the snapshot, it is used when valid, and any cache problem (stale code,
other overrides, a corrupted or malformed entry, an unwritable folder) falls back silently."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deploytui.console import show_text
from deploytui.journal import Journal
from deploytui.journal import outline as outlines
from deploytui.journal.report import build_report
from deploytui.model.playbook import ROLLBACK_PHASE_ID
from deploytui.playbook import loader
from tests.export_helpers import run_checklist


@pytest.fixture
def run_id(journal: Journal, tmp_path: Path) -> str:
    return run_checklist(journal, tmp_path)[0]


def entries() -> list[Path]:
    folder = outlines.cache_dir()
    return sorted(folder.glob("*.json")) if folder.exists() else []


def count_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = loader.parse_playbook

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(str(args[1]))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(loader, "parse_playbook", counting)
    return calls


def test_the_cached_report_equals_the_full_parse(
    journal: Journal, run_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert entries() == []
    cold = build_report(journal, run_id)
    assert len(entries()) == 1  # written on the first report
    calls = count_parses(monkeypatch)
    warm = build_report(journal, run_id)
    assert calls == []  # the snapshot was not parsed again
    assert warm == cold
    assert show_text(warm) == show_text(cold)


def test_the_outline_keeps_titles_kinds_and_estimates(journal: Journal, run_id: str) -> None:
    report = build_report(journal, run_id)
    data = json.loads(entries()[0].read_text(encoding="utf-8"))
    cached = outlines.PlaybookOutline.from_json(data)
    steps = [step for phase in report.phases for step in phase.steps]
    assert [(s.id, s.kind, s.estimate) for _, s in cached.ordered_steps()][: len(steps)] == [
        (s.step_id, s.kind, s.estimate) for s in steps
    ]
    assert [p.estimate for p in cached.phases] == [p.estimate for p in report.phases]
    assert cached.budget_seconds == report.budget


@pytest.mark.parametrize(
    "damage",
    [
        b"\x00\xff not json at all",
        b"",
        b'{"format": 1}',
        b'{"format": 999, "phases": []}',
        b"[1, 2, 3]",
    ],
)
def test_a_damaged_entry_falls_back_silently_and_is_rewritten(
    journal: Journal, run_id: str, damage: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = build_report(journal, run_id)
    (entry,) = entries()
    entry.write_bytes(damage)
    calls = count_parses(monkeypatch)
    assert build_report(journal, run_id) == expected
    assert len(calls) == 1  # parsed the full way
    outlines.PlaybookOutline.from_json(json.loads(entry.read_text(encoding="utf-8")))


def test_wrong_types_in_an_entry_fall_back(
    journal: Journal, run_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = build_report(journal, run_id)
    (entry,) = entries()
    data = json.loads(entry.read_text(encoding="utf-8"))
    data["phases"][0]["steps"][0][3] = "ten minutes"  # an estimate that is not a number
    entry.write_text(json.dumps(data), encoding="utf-8")
    calls = count_parses(monkeypatch)
    assert build_report(journal, run_id) == expected
    assert len(calls) == 1


def test_changed_code_is_a_cache_miss(
    journal: Journal, run_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_report(journal, run_id)
    monkeypatch.setattr(outlines, "_code_fingerprint", lambda: "another deploytui")
    calls = count_parses(monkeypatch)
    build_report(journal, run_id)
    assert len(calls) == 1
    assert len(entries()) == 2


def test_the_key_covers_snapshot_path_overrides_and_targets() -> None:
    base = outlines.cache_key("text", "a.yaml", {}, None)
    assert base == outlines.cache_key("text", "a.yaml", {}, None)
    others = {
        outlines.cache_key("text!", "a.yaml", {}, None),
        outlines.cache_key("text", "b.yaml", {}, None),
        outlines.cache_key("text", "a.yaml", {"release": "2"}, None),
        outlines.cache_key("text", "a.yaml", {}, ("t.yaml", "targets: {}")),
    }
    assert base not in others and len(others) == 4


def test_editing_a_model_source_changes_the_fingerprint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "deploytui"
    (package / "journal").mkdir(parents=True)
    (package / "model").mkdir()
    (package / "playbook").mkdir()
    source = package / "model" / "steps.py"
    source.write_text("x = 1\n")
    monkeypatch.setattr(outlines, "__file__", str(package / "journal" / "outline.py"))
    before = outlines._code_fingerprint()
    source.write_text("x = 22\n")
    assert outlines._code_fingerprint() != before


def test_an_unwritable_cache_is_ignored(
    journal: Journal, run_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    first = build_report(journal, run_id)
    assert build_report(journal, run_id) == first
    assert blocker.read_text() == "a file where the cache folder would be"


def test_rollback_phase_id_matches_the_model() -> None:
    assert outlines.ROLLBACK_PHASE_ID == ROLLBACK_PHASE_ID
