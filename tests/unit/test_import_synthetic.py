"""`deploytui import` on synthetic checklists it was not written against.

Files in tests/data/checklists/ plus inline cases: nested and numbered lists, doubled boxes, bold
labels, emoji, tables with blanks, code with braces, headings without items, items without
headings, odd lines, go/no-go and rollback sections. Every case must validate; each test pins
the structure a reader of the checklist would expect.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from deploytui.importer import import_bytes, import_file
from deploytui.model.fields import NAME_PATTERN, FieldType
from deploytui.model.step_base import STEP_ID_PATTERN
from deploytui.model.steps import (
    ConfirmStep,
    GateStep,
    InputStep,
    LocalStep,
    NoteStep,
    SignoffStep,
)
from deploytui.playbook.loader import parse_playbook
from deploytui.playbook.templating import Context, render

DATA = Path(__file__).resolve().parents[1] / "data" / "checklists"
FILES = sorted(DATA.glob("*.md"))


def _import(markdown: str, name: str = "case.md"):
    return import_bytes(markdown.encode(), name)


def _steps(result):
    return [step for _, step in result.playbook.ordered_steps()]


@pytest.mark.parametrize("path", FILES, ids=[path.name for path in FILES])
def test_every_synthetic_file_imports_and_validates(path: Path) -> None:
    import re

    result = import_file(path)
    assert parse_playbook(result.yaml, path.name).playbook == result.playbook
    step_ids = [step.id for step in _steps(result)]
    assert len(step_ids) == len(set(step_ids))
    assert all(re.match(STEP_ID_PATTERN, step_id) for step_id in step_ids)
    assert all(re.match(NAME_PATTERN, name) for name in result.playbook.input_fields())
    for phase in result.playbook.phases:
        lines = [s.source.line for s in phase.steps if not isinstance(s, GateStep)]
        assert lines == sorted(lines)


def test_runbook_with_numbered_nested_items_setext_and_sections() -> None:
    result = import_file(DATA / "db-failover-runbook.md")
    playbook = result.playbook
    assert [phase.title for phase in playbook.phases] == [
        "Database failover runbook",
        "Preparation",
        "Failover",
        "Go/No-Go",
    ]
    fields = playbook.input_fields()
    lag = fields["replication_lag"]
    assert (lag.type, lag.target, lag.source.line) == (FieldType.duration, "< 5 s", 10)
    assert fields["rows_to_migrate"].type == FieldType.integer
    disk = fields["disk_free_on_replica"]
    assert (disk.type, disk.target) == (FieldType.size, ">= 20 GB")
    start, end = fields["start_time"], fields["end_time"]
    assert (start.type, start.source.blank, end.type, end.source.blank) == (
        FieldType.datetime,
        0,
        FieldType.datetime,
        1,
    )
    assert fields["runbook_link"].type == FieldType.url
    assert fields["error_budget_used"].target == "<= 2 %"
    nested = playbook.step("confirm_the_replica_is_healthy")
    assert isinstance(nested, ConfirmStep) and nested.source.line == 14
    promote = playbook.step("run_promote_the_replica")
    assert isinstance(promote, LocalStep)
    assert promote.command == "pg_ctl promote -D /var/lib/postgresql/data"
    assert promote.source.line == 20 and promote.review
    approved = playbook.step("signoff_change_manager")
    assert isinstance(approved, SignoffStep) and approved.role == "Change Manager"


def test_go_no_go_gate_covers_earlier_signoffs_and_choices() -> None:
    playbook = import_file(DATA / "db-failover-runbook.md").playbook
    gate = playbook.step("go_no_go")
    assert isinstance(gate, GateStep) and gate.review
    conditions = [condition.model_dump(exclude_defaults=True) for condition in gate.require]
    assert {"signoff": "Change Manager"} in conditions
    assert {"signoff": "Incident Commander"} in conditions
    assert {"value": "smoke_tests_pass", "equals": "PASS"} in conditions
    assert {"value": "customer_impact_acceptable", "equals": "YES"} in conditions
    assert playbook.phase_of("go_no_go") == "go_no_go"
    assert playbook.phases[-1].steps[-1].id == "go_no_go"


def test_back_out_section_becomes_the_rollback() -> None:
    playbook = import_file(DATA / "db-failover-runbook.md").playbook
    rollback = playbook.rollback.steps
    assert [step.id for step in rollback] == ["demote_the_new_primary", "restore_the_old_primary"]
    choice = playbook.input_fields()["restore_the_old_primary"]
    assert choice.options == ["Yes", "No"]


def test_doubled_boxes_emoji_bold_labels_and_tabs() -> None:
    playbook = import_file(DATA / "emoji-doubled.md").playbook
    steps = playbook.phases[0].steps
    assert playbook.phases[0].title == "Checks"
    assert [type(step).__name__ for step in steps] == [
        "ConfirmStep",
        "NoteStep",
        "NoteStep",
        "ConfirmStep",
        "NoteStep",
        "ConfirmStep",
        "InputStep",
    ]
    assert steps[0].title == "Doubled box: both boxes, one step"
    assert steps[1].id.startswith("done_") and steps[2].id.startswith("done_")
    assert "🔥" in steps[3].title
    assert steps[5].title == "Tab-indented child"


def test_tables_with_blanks_targets_and_signoff_rows() -> None:
    playbook = import_file(DATA / "tables.md").playbook
    fields = playbook.input_fields()
    latency = fields["p95_latency_measured"]
    assert (latency.type, latency.unit, latency.target) == (FieldType.number, "ms", "< 500 ms")
    assert (latency.source.line, latency.source.blank) == (5, 0)
    assert fields["error_rate_measured"].target == "< 1 %"
    assert fields["throughput_measured"].target is None
    signoffs = [step for _, step in playbook.ordered_steps() if isinstance(step, SignoffStep)]
    assert [(s.role, s.source.line, s.source.blank) for s in signoffs] == [
        ("DBA", 14, 0),
        ("QA Lead", 15, 0),
    ]
    reference = playbook.phases[-1].steps
    assert len(reference) == 1 and isinstance(reference[0], NoteStep)
    assert "| db-1 | 5432 |" in reference[0].text


def test_braces_and_yaml_special_characters_survive_verbatim() -> None:
    result = import_file(DATA / "code-braces.md")
    playbook = result.playbook
    context = Context(variables=playbook.variables, inputs={}, secrets={}, run={"id": "R1"})
    inspect = playbook.step("run_check_the_container_state")
    assert isinstance(inspect, LocalStep)
    rendered = render(inspect.command, context, shell=True)
    assert rendered == (
        "docker inspect --format '{{.State.Status}}' web: \"ok\" "
        "# not: a comment & *alias !tag %pct @at"
    )
    kubectl = next(s for s in _steps(result) if s.id.startswith("run_kubectl"))
    assert render(kubectl.command, context, shell=True) == (
        "kubectl get pods -o jsonpath='{{range .items}}{{.metadata.name}}{{end}}'"
    )
    prose = playbook.step("template_in_prose_not_a")
    assert render(prose.title, context) == ("Template in prose: {{ not.a.reference }} and R1 stays")
    env = next(s for s in _steps(result) if s.id.startswith("environment_"))
    assert isinstance(env, NoteStep) and env.review
    assert any(u.line == 18 and "never closed" in u.reason for u in result.uninterpreted)


def test_odd_lines_are_reported_and_kept_as_review_notes() -> None:
    result = import_file(DATA / "odd-lines.md")
    reported = {item.line for item in result.uninterpreted}
    assert reported == {1, 2, 3, 6, 7, 9, 10, 13}
    kept = [s for s in _steps(result) if s.id.startswith("unparsed_line_")]
    assert [s.source.line for s in kept] == [1, 6, 9, 10, 13]
    assert all(isinstance(s, NoteStep) and s.review for s in kept)
    assert "cancelled item" in result.playbook.step("unparsed_line_9").text
    assert result.playbook.step("normal_item").kind == "confirm"
    assert "line 9: - [-] cancelled item" in result.yaml  # listed in the header comment


def test_items_without_headings_go_to_an_overview_phase() -> None:
    playbook = import_file(DATA / "no-headings.md").playbook
    assert [phase.id for phase in playbook.phases] == ["overview"]
    kinds = [step.kind for step in playbook.phases[0].steps]
    assert kinds == ["note", "confirm", "input", "note"]
    assert playbook.input_fields()["second"].type == FieldType.duration


def test_headings_without_items_still_make_a_valid_playbook() -> None:
    playbook = import_file(DATA / "headings-only.md").playbook
    assert len(playbook.phases) == 1
    only = playbook.phases[0].steps[0]
    assert isinstance(only, NoteStep) and only.review
    assert "Empty section" in only.text


def test_nested_lists_three_levels_deep() -> None:
    result = _import(
        "# Deploy\n"
        "- [ ] Web tier\n"
        "  - [ ] Drain node 1\n"
        "    - [ ] Check connections: ____ / ____ (active/max)\n"
        "  - [ ] Drain node 2\n"
        "- [ ] Done\n"
    )
    steps = result.playbook.phases[0].steps
    # A box with boxed sub-items is a group: a note naming it, then the sub-items as steps.
    assert [step.kind for step in steps] == ["note", "note", "input", "confirm", "confirm"]
    fields = result.playbook.input_fields()
    assert list(fields) == ["check_connections_active", "check_connections_max"]
    assert [f.source.blank for f in fields.values()] == [0, 1]


def test_plain_sub_items_become_the_description() -> None:
    result = _import(
        "## Release\n- [ ] Tag the release\n  - use semver\n  - push the tag\n    1. to origin\n"
    )
    step = result.playbook.phases[0].steps[0]
    assert isinstance(step, ConfirmStep)
    assert step.description == "- use semver\n- push the tag\n  - to origin"


def test_blanks_in_sub_items_gather_under_the_parent_box() -> None:
    result = _import("## Sizes\n- [ ] **Record sizes:**\n  - Users: ____ GB\n  - Orders: ____ GB\n")
    step = result.playbook.phases[0].steps[0]
    assert isinstance(step, InputStep) and step.title == "Record sizes"
    assert [(f.id, f.type, f.source.line) for f in step.fields] == [
        ("record_sizes_users", FieldType.size, 3),  # one-word labels take the parent's words
        ("record_sizes_orders", FieldType.size, 4),
    ]


def test_ids_are_deduplicated_in_document_order() -> None:
    result = _import("# A\n- [ ] Check\n- [ ] Check\n## B\n- [ ] Check\n- [ ] Size: ____ MB\n"
                     "- [ ] Size: ____ MB\n")  # fmt: skip
    assert [s.id for s in _steps(result)] == ["check", "check_2", "check_3", "size", "size_2"]
    assert list(result.playbook.input_fields()) == ["size", "size_2"]
    again = _import("# A\n- [ ] Check\n- [ ] Check\n## B\n- [ ] Check\n- [ ] Size: ____ MB\n"
                    "- [ ] Size: ____ MB\n")  # fmt: skip
    assert [s.id for s in _steps(again)] == [s.id for s in _steps(result)]


def test_a_signoff_line_with_a_statement_and_one_without_a_role() -> None:
    result = _import(
        "## Sign\n- [ ] Sign-off: ______ (SRE Lead, after the smoke tests)\n"
        "Approved by: __________\nQA sign-off: ________\n"
    )
    signoffs = [s for s in _steps(result) if isinstance(s, SignoffStep)]
    assert [(s.role, s.statement) for s in signoffs] == [
        ("SRE Lead", "after the smoke tests"),
        ("Approver", ""),
        ("QA", ""),
    ]


def test_go_no_go_without_anything_before_it_still_validates() -> None:
    result = _import("# Launch\n## Go / No-Go\n- [ ] Everyone ready\n")
    gate = result.playbook.step("go_no_go")
    assert isinstance(gate, GateStep)
    conditions = [c.model_dump(exclude_defaults=True) for c in gate.require]
    assert conditions == [{"step": "everyone_ready"}]


def test_a_document_that_is_only_a_rollback_section() -> None:
    result = _import("# Rollback plan\n1. Stop the app\n2. Restore the backup\n")
    playbook = result.playbook
    assert [s.title for s in playbook.rollback.steps] == ["Stop the app", "Restore the backup"]
    assert len(playbook.phases) == 1 and playbook.phases[0].steps[0].review


def test_checked_items_with_blanks_still_ask_for_the_value() -> None:
    result = _import("# T\n- [x] Backup size: ____ GB\n- [x] Already done\n")
    kinds = [s.kind for s in _steps(result)]
    assert kinds == ["input", "note"]


def test_stated_targets_without_blanks_become_fields_to_record() -> None:
    result = _import(
        "# SLOs\n## Latency targets\n- **API:** < 300ms p95\n- **Uptime:** ≥ 99.95%\n"
        "- **Users:** 5,000+\n- just prose here\n"
    )
    fields = result.playbook.input_fields()
    assert [(f.id, f.target) for f in fields.values()] == [
        ("api", "< 300 ms"),
        ("uptime", ">= 99.95 %"),
        ("users", ">= 5000"),
    ]
    assert all(f.source.blank is None for f in fields.values())
    step = _steps(result)[0]
    assert isinstance(step, InputStep) and step.review


@pytest.mark.parametrize(
    "markdown",
    [
        "plain text only",
        "- [ ]",
        "- [ ] ",
        "# \n",
        "#\n- [ ] x",
        "```\n```",
        "```bash\n\n```\n",
        "| a |\n|---|\n| ___ |",
        "| ___ | ___ |",
        "____",
        "Sign-off: ____",
        "YES / NO",
        "☐ A ☐ B",
        "- [ ] {{ inputs.nothing }} and {{ secrets.x }} and {{",
        "> - [ ] quoted box",
        "1. [ ] numbered box\n2) [x] other",
        "Title\n=====\nSub\n---\ntext",
        "***\n___\n- - -",
        "- a\n\n      indented code?\n",
        "## Go/No-Go\n## Rollback\n1. back\n## Go/No-Go\n",
    ],
)
def test_small_edge_cases_import_and_validate(markdown: str) -> None:
    result = _import(markdown)
    assert parse_playbook(result.yaml, "edge").playbook == result.playbook


def test_blanks_on_continuation_lines_are_not_lost() -> None:
    result = _import(
        "## C\n- [ ] Check the backup\n  Size: ____ GB\n  then tell the team\n"
        "- plain item\n  Owner: ______\n- [ ] Sign-off: ____ (DBA)\n  Date: ____\n"
    )
    fields = result.playbook.input_fields()
    assert [(f.id, f.source.line) for f in fields.values()] == [
        ("check_the_backup_size", 3),
        ("owner", 6),
        ("date", 8),
    ]
    assert result.playbook.step("check_the_backup").description == "then tell the team"


def test_console_prompts_labels_without_colons_and_targets_in_labels() -> None:
    playbook = import_file(DATA / "kafka-upgrade.md").playbook
    command = next(s for _, s in playbook.ordered_steps() if isinstance(s, LocalStep))
    assert command.command.startswith("kafka-topics.sh --describe")  # "$ " prompt dropped
    context = Context(variables=playbook.variables, inputs={}, secrets={}, run={})
    assert render(command.command, context).endswith("--bootstrap-server {{broker}}:9092")
    fields = playbook.input_fields()
    isr = fields["verify_isr_shrink_is_5_seconds"]
    assert (isr.type, isr.target) == (FieldType.duration, "< 5 seconds")
    latency = fields["p99_produce_latency"]
    assert (latency.label, latency.unit, latency.target) == ("p99 produce latency", "ms", "< 50 ms")
    lag = fields["consumer_lag"]
    assert (lag.type, lag.unit, lag.target) == (FieldType.integer, "messages", "<= 1000")
    assert [f.type for f in fields.values() if f.id.startswith("kafka_1")] == [
        FieldType.number,
        FieldType.size,
    ]
    approval = playbook.step("signoff_cab_chair")
    assert isinstance(approval, SignoffStep) and approval.source.line == 31
    assert fields["go_no_go_for_the_next"].options == ["GO", "NO-GO"]


def test_the_rollback_says_which_sections_it_came_from() -> None:
    result = _import(
        "# W\n## Backup\n- [ ] a\n### Rollback if the backup fails\n- [ ] b\n"
        "## Deploy\n- [ ] c\n## Revert procedure\n1. d\n"
    )
    rollback = result.playbook.rollback
    assert rollback.description == (
        "From the checklist's sections: Rollback if the backup fails; Revert procedure"
    )
    assert [step.id for step in rollback.steps] == ["b", "d"]
    assert [phase.id for phase in result.playbook.phases] == ["backup", "deploy"]


def test_boxes_in_table_cells_are_steps() -> None:
    result = _import(
        "# T\n\n| Done | Task | Owner |\n|---|---|---|\n| [ ] | Back up the DB | DBA |\n"
        "| [x] | Freeze deploys | SRE |\n| ☐ | Size: ____ GB | DBA |\n"
    )
    steps = result.playbook.phases[0].steps
    assert [(s.kind, s.title, s.source.line) for s in steps] == [
        ("confirm", "Back up the DB — DBA", 5),
        ("note", "Freeze deploys — SRE", 6),
        ("input", "DBA", 7),
    ]
    (field,) = result.playbook.input_fields().values()
    assert (field.label, field.type, field.source.blank) == ("DBA: Size", FieldType.size, 0)
