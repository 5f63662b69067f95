"""Playbook validation: every problem with file:line:column and a plain sentence."""

from __future__ import annotations

import pytest

from deploytui.playbook.loader import PlaybookError, parse_playbook
from tests.core_helpers import playbook_text

HEAD = """
name: x
phases:
  - id: p
    title: P
    steps:
"""


def document(steps: str) -> str:
    """HEAD plus ``steps`` indented under ``steps:``."""
    body = playbook_text(steps)
    return playbook_text(HEAD) + "".join(f"      {line}\n" for line in body.splitlines())


def problems(steps: str) -> tuple[list[str], str]:
    text = document(steps)
    with pytest.raises(PlaybookError) as caught:
        parse_playbook(text, "pb.yaml")
    return [str(problem) for problem in caught.value.problems], text


def at(text: str, needle: str) -> str:
    """``pb.yaml:LINE:COL`` of the first occurrence of ``needle`` (1-based)."""
    offset = text.index(needle)
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"pb.yaml:{line}:{column}"


def test_a_valid_playbook_loads_with_its_hash_and_text() -> None:
    text = playbook_text(HEAD) + "      - {id: a, kind: note, title: A}\n"
    loaded = parse_playbook(text, "pb.yaml")
    assert [step.id for _, step in loaded.playbook.ordered_steps()] == ["a"]
    assert loaded.text == text and len(loaded.sha256) == 64


def test_unknown_fields_get_did_you_mean() -> None:
    found, text = problems(
        """
        - id: a
          kind: local
          title: A
          command: "true"
          timout: 5s
        """
    )
    assert found == [
        f"{at(text, 'timout')}: phases[0].steps[0] (id 'a'): unknown field 'timout'; "
        "did you mean 'timeout'?"
    ]


def test_unknown_step_kind_points_at_kind_and_suggests() -> None:
    found, text = problems(
        """
        - id: a
          kind: lcoal
          title: A
        """
    )
    assert len(found) == 1
    assert found[0].startswith(
        f"{at(text, 'kind: lcoal')}: phases[0].steps[0] (id 'a'): unknown step kind 'lcoal'"
    )
    assert "did you mean 'local'?" in found[0]


def test_a_step_without_kind_is_explained() -> None:
    found, _ = problems("- {id: a, title: A}\n")
    assert "a step needs 'kind:'" in found[0]


def test_every_shape_problem_is_reported_together_in_line_order() -> None:
    found, text = problems(
        """
        - id: a
          kind: confirm
          title: A
          on_failure: explode
          retries: -1
        - id: b
          kind: input
          title: B
          fields:
            - {id: later, type: text, requird: true}
        """
    )
    assert [item.split(": ", 1)[0] for item in found] == [
        at(text, "on_failure"),
        at(text, "retries"),
        at(text, "requird"),
    ]
    assert "input should be 'ask', 'abort', 'skip' or 'rollback' (got 'explode')" in found[0]
    assert "greater than or equal to 0 (got -1)" in found[1]
    assert "unknown field 'requird'; did you mean 'required'?" in found[2]


def test_missing_required_fields_name_the_field() -> None:
    with pytest.raises(PlaybookError) as caught:
        parse_playbook("name: x\n", "pb.yaml")
    assert [str(p) for p in caught.value.problems] == [
        "pb.yaml:1:1: the playbook: 'phases' is required"
    ]


def test_unknown_template_reference_is_a_load_time_error_at_its_line() -> None:
    found, text = problems(
        """
        - id: a
          kind: local
          title: A
          command: echo {{ inputs.nope }}
        """
    )
    assert found == [
        f"{at(text, 'command')}: {{{{ inputs.nope }}}} is not answered or captured by any step "
        "before this step"
    ]


def test_a_reference_to_an_input_answered_later_is_an_error() -> None:
    found, text = problems(
        """
        - id: a
          kind: local
          title: A
          command: echo {{ inputs.size }}
        - id: b
          kind: input
          title: B
          fields: [{id: size, type: size}]
        """
    )
    assert found == [
        f"{at(text, 'command')}: {{{{ inputs.size }}}} is only answered later in the playbook, "
        "not before this "
        "step"
    ]


def test_a_reference_to_an_earlier_answer_or_capture_is_fine() -> None:
    text = playbook_text(HEAD) + "".join(
        "      " + line + "\n"
        for line in [
            "- {id: a, kind: input, title: A, fields: [{id: size, type: size}]}",
            "- id: b",
            "  kind: local",
            "  title: B",
            "  command: echo {{ inputs.size }}",
            "  capture: [{name: out, pattern: '(.*)'}]",
            "- {id: c, kind: local, title: C, command: 'echo {{ inputs.out }}'}",
        ]
    )
    assert parse_playbook(text, "pb.yaml").playbook.capture_names() == {"out"}


def test_durations_in_the_playbook_accept_every_form() -> None:
    text = playbook_text(HEAD) + "".join(
        "      " + line + "\n"
        for line in [
            "- {id: a, kind: local, title: A, command: 'true', timeout: 90, estimate: 15m}",
            "- {id: b, kind: local, title: B, command: 'true', timeout: 5m, estimate: '1h30m'}",
            "- {id: c, kind: local, title: C, command: 'true', estimate: '00:25'}",
            "- {id: d, kind: local, title: D, command: 'true', estimate: 10}",
        ]
    )
    steps = [step for _, step in parse_playbook(text).playbook.ordered_steps()]
    assert [step.estimate for step in steps] == [900, 5400, 1500, 600]
    assert [step.timeout for step in steps[:2]] == [90.0, 300.0]


def test_a_bad_duration_says_how_to_write_one() -> None:
    found, _ = problems("- {id: a, kind: confirm, title: A, estimate: soon}\n")
    assert "write it like 15m, 1h30m, 90s or 00:25" in found[0]


def test_infinite_negative_and_absurd_durations_are_positioned_problems() -> None:
    """`.inf` used to raise OverflowError (an internal error); 10**20 hours loaded fine and
    would overflow the window clock later."""
    found, text = problems(
        "- {id: a, kind: local, title: A, command: 'true', timeout: .inf, retry_delay: -5,"
        " estimate: 99999999999999999999h}\n"
    )
    assert found == [
        f"{at(text, 'timeout')}: phases[0].steps[0].timeout (id 'a'): a duration of more than a "
        "year (366d) is surely a typo (got inf)",
        f"{at(text, 'retry_delay')}: phases[0].steps[0].retry_delay (id 'a'): a duration must "
        "be zero or more, like 15m or 1h30m (got -5)",
        f"{at(text, 'estimate')}: phases[0].steps[0].estimate (id 'a'): a duration of more than a "
        "year (366d) is surely a typo (got '99999999999999999999h')",
    ]


def test_var_overrides_must_be_declared() -> None:
    text = playbook_text(HEAD) + "      - {id: a, kind: note, title: A}\n"
    with pytest.raises(PlaybookError, match="--var nope: the playbook declares no such variable"):
        parse_playbook(text, overrides={"nope": "1"})


def test_secrets_listed_as_mappings_are_refused_not_renamed() -> None:
    """`- name: x` under secrets used to declare a secret literally named "{'name': 'x'}"."""
    text = (
        "name: x\nsecrets:\n  - name: mongo_uri\n"
        "phases: [{id: p, title: P, steps: [{id: a, kind: note, title: A}]}]\n"
    )
    with pytest.raises(PlaybookError) as caught:
        parse_playbook(text, "pb.yaml")
    (problem,) = [str(problem) for problem in caught.value.problems]
    assert problem.startswith("pb.yaml:2:1: secrets: list secret names, e.g. secrets: [api_token]")
    assert problem.endswith("(got {'name': 'mongo_uri'})")
    listed = parse_playbook(text.replace("  - name: mongo_uri", "  - mongo_uri"), "pb.yaml")
    assert list(listed.playbook.secrets) == ["mongo_uri"]


def test_an_empty_ssh_host_is_a_load_error() -> None:
    text = (
        'name: x\ntargets:\n  ssh:\n    web: {host: ""}\n'
        "phases: [{id: p, title: P, steps: [{id: a, kind: ssh, title: A, hosts: web,"
        " command: 'true'}]}]\n"
    )
    with pytest.raises(PlaybookError) as caught:
        parse_playbook(text, "pb.yaml")
    assert [str(problem) for problem in caught.value.problems] == [
        "pb.yaml:4:11: targets.ssh.web.host: string should have at least 1 character (got '')"
    ]
