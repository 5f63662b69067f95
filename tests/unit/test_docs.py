"""The reference docs stay true: every step kind and every CLI command is documented."""

from __future__ import annotations

import re

from deploytui.cli import COMMANDS, build_parser
from deploytui.model.steps import STEP_KINDS
from deploytui.playbook.fieldnames import step_models
from deploytui.playbook.loader import parse_playbook
from tests.conftest import REPO

PLAYBOOK_DOC = (REPO / "docs" / "playbook-format.md").read_text()
CLI_DOC = (REPO / "docs" / "cli.md").read_text()


def test_every_step_kind_has_a_section() -> None:
    documented = set(re.findall(r"^### `([a-z_]+)`", PLAYBOOK_DOC, flags=re.MULTILINE))
    missing = set(STEP_KINDS) - documented
    assert not missing, f"step kinds without a section in docs/playbook-format.md: {missing}"


def test_step_kinds_list_matches_the_union() -> None:
    assert set(STEP_KINDS) == set(step_models())


def test_every_field_of_every_step_kind_is_mentioned() -> None:
    missing = []
    for kind, model in step_models().items():
        section = PLAYBOOK_DOC.split(f"### `{kind}`", 1)[1].split("\n### ", 1)[0]
        for name, info in model.model_fields.items():
            field = info.alias or name
            if field == "kind":
                continue
            if (
                f"`{field}`" not in section
                and f"`{field}`" not in PLAYBOOK_DOC.split("## Step kinds")[0]
            ):
                missing.append(f"{kind}.{field}")
    assert not missing, f"fields not documented: {missing}"


def test_every_cli_command_has_a_section() -> None:
    parser = build_parser()
    subparsers = next(
        action for action in parser._actions if action.__class__.__name__ == "_SubParsersAction"
    )
    commands = set(subparsers.choices)  # type: ignore[attr-defined]
    assert commands == set(COMMANDS)
    documented = set(re.findall(r"^### deploytui ([a-z-]+)", CLI_DOC, flags=re.MULTILINE))
    missing = commands - documented
    assert not missing, f"commands without a section in docs/cli.md: {missing}"


def test_the_worked_stabilization_example_is_a_valid_playbook() -> None:
    # Users copy it: it must load as written (monitor + checkpoints + hold + notify + rollback).
    section = PLAYBOOK_DOC.split("## A stabilization phase, worked example", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    loaded = parse_playbook(example, "stabilization.yaml")
    kinds = {step.kind for phase in loaded.playbook.phases for step in phase.steps}
    assert {"monitor", "hold", "notify"} <= kinds
    assert loaded.playbook.notifications is not None
