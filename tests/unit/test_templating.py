"""Templates: substitution, shell quoting, defaults, masking, and syntax errors."""

from __future__ import annotations

import shlex
import subprocess

import pytest

from deploytui.playbook.templating import (
    MASK,
    Context,
    TemplateError,
    references,
    render,
    render_data,
)


def context(**inputs: object) -> Context:
    return Context(
        variables={"release": "7.0.0", "flag": True, "ratio": 2.0},
        inputs=inputs,
        secrets={"token": "s3cr3t-value"},
        run={"id": "abcd1234", "operator": "ana"},
    )


def test_references_are_parsed() -> None:
    found = list(references("a {{ inputs.x }} b {{vars.y|raw}} c {{ inputs.z | default('n/a') }}"))
    assert [(r.namespace, r.name, r.raw, r.default) for r in found] == [
        ("inputs", "x", False, None),
        ("vars", "y", True, None),
        ("inputs", "z", False, "n/a"),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{{ inputs }}", "is not a reference"),
        ("{{ inputs.x | upper }}", "is not a reference"),
        ("{{ env.HOME }}", "unknown namespace 'env'"),
        ("{{ inputs.x", "never closed"),
        ("{{ __import__('os').system('x') }}", "is not a reference"),
    ],
)
def test_bad_templates_are_errors(text: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        list(references(text))


def test_render_values_as_text() -> None:
    assert render("v{{ vars.release }} {{ vars.flag }} {{ vars.ratio }}", context()) == (
        "v7.0.0 true 2"
    )
    assert render("{{ run.id }} by {{ run.operator }}", context()) == "abcd1234 by ana"


def test_shell_quoting_makes_values_one_harmless_word(tmp_path) -> None:
    tmp_path = tmp_path / "cwd"
    tmp_path.mkdir()
    hostile = "x; touch PWNED $(touch PWNED2) `touch PWNED3` 'q'"
    command = render("printf %s {{ inputs.v }}", context(v=hostile), shell=True)
    assert command == f"printf %s {shlex.quote(hostile)}"
    out = subprocess.run(
        ["/bin/sh", "-c", command], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert out.stdout == hostile
    assert list(tmp_path.iterdir()) == []


def test_raw_filter_skips_quoting() -> None:
    assert render("ls {{ inputs.v | raw }}", context(v="a b"), shell=True) == "ls a b"


def test_default_applies_only_when_missing() -> None:
    text = "{{ inputs.v | default('none given') }}"
    assert render(text, context()) == "none given"
    assert render(text, context(v="given")) == "given"
    assert render(text, context(v=None)) == "none given"


def test_missing_value_is_an_error_at_render_time() -> None:
    with pytest.raises(TemplateError, match=r"\{\{ inputs.v \}\} has no value yet"):
        render("{{ inputs.v }}", context())


def test_secrets_are_masked_for_display_and_real_for_execution() -> None:
    assert render("Bearer {{ secrets.token }}", context(), mask=True) == f"Bearer {MASK}"
    assert render("Bearer {{ secrets.token }}", context()) == "Bearer s3cr3t-value"


def test_render_data_quotes_only_shell_keys() -> None:
    data = {"command": "echo {{ inputs.v }}", "title": "About {{ inputs.v }}", "n": 3}
    rendered = render_data(data, context(v="a b"), shell_keys={"command"}, mask=False)
    assert rendered == {"command": "echo 'a b'", "title": "About a b", "n": 3}


def test_text_without_templates_is_returned_as_is() -> None:
    assert render("plain {braces}", context()) == "plain {braces}"
