"""Cross-reference checks: ids, gates, sign-off roles, targets, hosts, rollback references."""

from __future__ import annotations

import pytest

from deploytui.playbook.loader import PlaybookError, parse_playbook
from tests.core_helpers import playbook_text


def problems(text: str) -> list[str]:
    with pytest.raises(PlaybookError) as caught:
        parse_playbook(playbook_text(text), "pb.yaml")
    return [problem.message for problem in caught.value.problems]


def test_duplicate_step_and_phase_ids() -> None:
    found = problems(
        """
        name: x
        phases:
          - id: p
            title: P
            steps:
              - {id: a, kind: note, title: A}
              - {id: a, kind: note, title: A again}
          - id: p
            title: P again
            steps:
              - {id: b, kind: note, title: B}
          - id: rollback
            title: Reserved
            steps:
              - {id: c, kind: note, title: C}
        """
    )
    assert "step id 'a' is used twice" in found
    assert found.count("phase id 'p' is used twice or reserved") == 1
    assert "phase id 'rollback' is used twice or reserved" in found


def test_gate_conditions_must_name_earlier_roles_values_and_steps() -> None:
    found = problems(
        """
        name: x
        phases:
          - id: p
            title: P
            steps:
              - {id: a, kind: input, title: A, fields: [{id: size, type: size}]}
              - {id: s, kind: signoff, title: S, role: DBA}
              - id: g
                kind: gate
                title: G
                require: [{signoff: DBAA}, {value: sise}, {step: later}, {step: a}]
              - {id: later, kind: note, title: L}
        """
    )
    assert found == [
        "no sign-off for role 'DBAA' comes before this gate; did you mean 'DBA'?",
        "no value 'sise' is answered before this gate; did you mean 'size'?",
        "no step 'later' comes before this gate",
    ]


def test_a_gate_condition_needs_exactly_one_subject() -> None:
    found = problems(
        """
        name: x
        phases:
          - id: p
            title: P
            steps:
              - {id: g, kind: gate, title: G, require: [{signoff: A, step: b}]}
        """
    )
    assert any("exactly one of: signoff, value, step, all_targets_met" in item for item in found)


def test_distinct_from_names_an_earlier_role() -> None:
    found = problems(
        """
        name: x
        phases:
          - id: p
            title: P
            steps:
              - {id: q, kind: signoff, title: Q, role: QA, distinct_from: [Lead]}
              - {id: l, kind: signoff, title: L, role: Lead}
        """
    )
    assert found == ["no sign-off for role 'Lead' comes before this step"]


def test_value_names_are_unique_across_steps() -> None:
    found = problems(
        """
        name: x
        phases:
          - id: p
            title: P
            steps:
              - {id: a, kind: input, title: A, fields: [{id: size, type: size}]}
              - id: b
                kind: local
                title: B
                command: "true"
                capture: [{name: size, pattern: x}]
        """
    )
    assert found == ["the value name 'size' is used by two steps"]


def test_http_targets_and_urls() -> None:
    found = problems(
        """
        name: x
        targets:
          http:
            shop: {base_url: "http://127.0.0.1:1"}
        phases:
          - id: p
            title: P
            steps:
              - {id: a, kind: http, title: A, target: shpo, url: /health}
              - {id: b, kind: http, title: B, url: /health}
        """
    )
    assert found == [
        "http target 'shpo' is not defined under targets.http; did you mean 'shop'?",
        "a url without a target must start with http:// or https://",
    ]


def test_ssh_groups_and_jump_hosts_must_exist() -> None:
    found = problems(
        """
        name: x
        targets:
          ssh:
            web1: {host: 10.0.0.1}
            bastion: {host: 10.0.0.9, jump: bastoin}
          groups:
            web: [web1, web2]
            web1: [web1]
        phases:
          - id: p
            title: P
            steps:
              - {id: a, kind: note, title: A}
        """
    )
    assert "group 'web' names unknown ssh host 'web2'; did you mean 'web1'?" in found
    assert "'web1' is both a host and a group name" in found
    assert "jump host 'bastoin' is not an ssh target; did you mean 'bastion'?" in found


def test_targets_may_only_use_vars_and_secrets() -> None:
    found = problems(
        """
        name: x
        targets:
          http:
            shop: {base_url: "{{ inputs.url }}"}
        phases:
          - id: p
            title: P
            steps:
              - {id: a, kind: input, title: A, fields: [{id: url, type: url}]}
        """
    )
    assert found == [
        "{{ inputs.url }} is not answered or captured by any step "
        "(targets use only vars and secrets)"
    ]


def test_rollback_may_refer_to_any_value() -> None:
    loaded = parse_playbook(
        playbook_text(
            """
            name: x
            phases:
              - id: p
                title: P
                steps:
                  - {id: a, kind: input, title: A, fields: [{id: size, type: size}]}
            rollback:
              steps:
                - {id: r, kind: local, title: R, command: "echo {{ inputs.size }}"}
            """
        )
    )
    assert loaded.playbook.rollback.steps[0].id == "r"


def test_a_promised_rollback_needs_rollback_steps() -> None:
    with pytest.raises(PlaybookError) as caught:
        parse_playbook(
            playbook_text(
                """
                name: x
                phases:
                  - id: p
                    title: P
                    steps:
                      - {id: a, kind: local, title: A, command: "true", on_failure: rollback}
                """
            ),
            "pb.yaml",
        )
    problem = caught.value.problems[0]
    assert problem.message.startswith("on_failure: rollback needs a 'rollback:' section")
    assert (problem.line, problem.column) == (6, 57)  # the on_failure value
