"""What the importer infers from one line: field types, units, targets, labels, blank indexes."""

from __future__ import annotations

import pytest

from deploytui.importer import import_bytes
from deploytui.importer.inline import find_slots
from deploytui.model.fields import FieldType


def _fields(line: str) -> list:
    result = import_bytes(f"# T\n{line}\n".encode(), "line.md")
    return list(result.playbook.input_fields().values())


@pytest.mark.parametrize(
    ("line", "type_", "unit", "target"),
    [
        ("- [ ] Backup size: ____ MB/GB", "size", None, None),
        ("- [ ] Backup size: ____ TB", "size", None, None),
        ("- [ ] Backup size: ____", "size", None, None),
        ("- [ ] Actual duration: ____ minutes", "duration", None, None),
        ("- [ ] Outage: ____ hours (target < 2 hours)", "duration", None, "< 2 hours"),
        ("- [ ] Downtime: ____", "duration", None, None),
        ("- [ ] p95: ____ ms (target < 500 ms)", "number", "ms", "< 500 ms"),
        ("- [ ] p99: ____ ms (target: < 1000ms)", "number", "ms", "< 1000 ms"),
        ("- [ ] Error rate: ____ % (target: < 1%)", "number", "%", "< 1 %"),
        ("- [ ] Cache hit rate: ____ % (> 5%)", "number", "%", "> 5 %"),
        ("- [ ] Availability: ____ % (target ≥ 99.9%)", "number", "%", ">= 99.9 %"),
        ("- [ ] Error rate: ____ (target: ≤ 0.5%)", "number", "%", "<= 0.5 %"),
        ("- [ ] Throughput: ____ req/s", "number", "req/s", None),
        ("- [ ] Log volume: ____ MB/hour", "number", "MB/hour", None),
        ("- [ ] Active users: ____ users", "integer", "users", None),
        ("- [ ] Rows migrated: ____", "integer", None, None),
        ("- [ ] Number of pods: ____", "integer", None, None),
        ("- [ ] Start: ____", "datetime", None, None),
        ("- [ ] Completion time: ____", "datetime", None, None),
        ("- [ ] Expiry date: ____", "datetime", None, None),
        ("- [ ] Dashboard URL: ____", "url", None, None),
        ("- [ ] Backup location: ____", "path", None, None),
        ("- [ ] Redis version: ____", "text", None, None),
        ("- [ ] Completed by: ____", "text", None, None),
        ("- [ ] Notes: ____", "text", None, None),
    ],
)
def test_inferred_type_unit_and_target(
    line: str, type_: str, unit: str | None, target: str | None
) -> None:
    (field,) = _fields(line)
    assert (field.type.value, field.unit, field.target) == (type_, unit, target)
    assert (field.source.line, field.source.blank) == (2, 0)


@pytest.mark.parametrize(
    ("line", "options"),
    [
        ("- [ ] Tested: YES / NO", ["YES", "NO"]),
        ("- [ ] Tested: YES/NO/N/A", ["YES", "NO", "N/A"]),
        ("- [ ] Provisioned: YES / NO / SKIPPED", ["YES", "NO", "SKIPPED"]),
        ("- [ ] Result: PASS / FAIL", ["PASS", "FAIL"]),
        ("- [ ] Decision: GO / NO-GO", ["GO", "NO-GO"]),
        ("- [ ] Ready: Yes / No", ["Yes", "No"]),
        ("Status: ☐ APPROVED  ☐ BLOCKED  ☐ DEFERRED", ["APPROVED", "BLOCKED", "DEFERRED"]),
    ],
)
def test_choices_keep_their_options_as_written(line: str, options: list[str]) -> None:
    (field,) = _fields(line)
    assert field.type == FieldType.choice
    assert field.options == options
    assert field.source.blank is None


@pytest.mark.parametrize(
    "line",
    [
        "- [ ] Ask a yes/no question in prose",
        "- [ ] Check /api/yes/no endpoint",
        "- [ ] The answer is YES",
        "- [ ] `YES / NO` inside code",
        "- [ ] Snake case my___var is not a blank",
    ],
)
def test_things_that_only_look_like_blanks_or_choices(line: str) -> None:
    assert _fields(line) == []


def test_several_blanks_on_one_line_each_get_their_index_and_label() -> None:
    fields = _fields("- [ ] **Response time:** p95: ____ ms, p99: ____ ms (target < 900 ms)")
    assert [(f.id, f.label, f.source.blank, f.target) for f in fields] == [
        ("response_time_p95", "Response time: p95", 0, None),
        ("response_time_p99", "Response time: p99", 1, "< 900 ms"),
    ]


def test_used_total_pairs_are_named_from_the_parenthesis() -> None:
    fields = _fields("- Connection pool: ____ / ____ (used/total)")
    assert [(f.id, f.type) for f in fields] == [
        ("connection_pool_used", FieldType.integer),
        ("connection_pool_total", FieldType.integer),
    ]


def test_choice_then_blank_in_a_parenthesis() -> None:
    fields = _fields("- Free tier: 10 req/min (appropriate: YES / NO, adjust to: ______)")
    assert [(f.label, f.type, f.required, f.source.blank) for f in fields] == [
        ("Free tier: appropriate", FieldType.choice, False, None),
        ("Free tier: adjust to", FieldType.text, False, 0),
    ]


def test_help_comes_from_the_parenthesis_without_the_next_label() -> None:
    fields = _fields("- [ ] Emergency contact: ______ (Database Admin, Phone: ______)")
    assert [(f.label, f.help) for f in fields] == [
        ("Emergency contact", "Database Admin"),
        ("Emergency contact: Phone", ""),
    ]


def test_an_unparseable_target_moves_into_the_help_text() -> None:
    (field,) = _fields("- [ ] Latency: ____ ms (target < 5 GB)")
    assert (field.type, field.unit, field.target) == (FieldType.number, "ms", None)
    assert "target < 5 GB" in field.help


def test_blank_indexes_count_every_underscore_run_like_the_export() -> None:
    line = "- [ ] `a___b` then Size: ____ MB and ___Note___ then Owner: ______"
    slots = [slot for slot in find_slots(line) if slot.kind == "blank"]
    # Runs 0 (in code) and 2, 3 (emphasis) are not blanks, but they still count.
    assert [slot.blank_index for slot in slots] == [1, 4]
