"""Hostile and broken input, as properties (hypothesis): every playbook, answers file and answer
yields a valid result or a clear error with a location — never another exception.

What the older tests already cover is not repeated here: tests/unit/test_safe_yaml.py (python
tags, alias bombs, deep nesting, binary junk, invalid UTF-8, endless files, 3,000 random text
mutations of the demo) and tests/unit/test_import_property.py (Markdown checklists and raw bytes
into the importer). This file adds:

- playbooks generated as *structures* (a valid skeleton whose steps get random kinds, keys and
  values, hostile strings included) and valid playbooks with hostile snippets spliced in;
- answers files, as structures and as raw bytes;
- typed answers (any text for any field type) driven through the real engine headless;
- templates that try to run code or reach Python objects, and values that look like templates.

Sample sizes are small by default and large with ``--exhaustive``; the examples are derived from
a fixed seed by default so a failure reproduces.
"""

from __future__ import annotations

import contextlib
import string
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from deploytui.engine.headless import Answers, HeadlessOperator, load_answers
from deploytui.journal import Journal
from deploytui.model.events import RunStatus
from deploytui.model.steps import STEP_KINDS
from deploytui.playbook.loader import LoadedPlaybook, PlaybookError, parse_playbook
from deploytui.playbook.templating import Context, TemplateError, render
from tests.core_helpers import drive

HOSTILE_STRINGS = [
    "{{ __class__ }}",
    "{{ inputs.x.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{% for x in range(10**9) %}{% endfor %}",
    "{{ vars.x | attr('__globals__') }}",
    "{0.__class__.__init__.__globals__}",
    "%(x)s%s%n",
    "${HOME}$(touch /tmp/deploytui-pwned)`id`",
    "\x00nul\x00",
    "\ud7ff\ufffe\uffff",
    "'; DROP TABLE events; --",
    "a" * 5000,
    "\u202egnp.exe",
    "line1\nline2\r\nline3",
    "!!python/object/apply:os.system ['touch /tmp/deploytui-pwned']",
]
SNIPPETS = [
    "!!python/object/apply:os.system ['touch /tmp/deploytui-pwned']",
    "&a [*a]",
    "*undefined_alias",
    "[" * 200,
    "{" * 200,
    "? [a, b]\n: c",
    "!!binary AAAA",
    "!custom tag",
    "%YAML 1.1",
    "---\n---",
    "\x00",
    "\t- tab indented",
    "key: {{ __class__ }}",
    "- &x {a: *x}",
]


def _settings(exhaustive: bool, default: int = 60, full: int = 600) -> settings:
    return settings(
        max_examples=full if exhaustive else default,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        derandomize=not exhaustive,
    )


def assert_positioned(error: PlaybookError, lines: int) -> None:
    """A clear error: at least one problem, each with a real position and a sentence."""
    assert error.problems
    for problem in error.problems:
        assert 1 <= problem.line <= lines + 1, problem
        assert problem.column >= 1, problem
        assert problem.message and "Traceback" not in problem.message
        assert f":{problem.line}:{problem.column}: " in str(problem)


# -- playbooks ----------------------------------------------------------------------------------

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(HOSTILE_STRINGS),
    st.sampled_from(["YES", "NO", "5m", "1h30m", "-1s", "4.2 GB", "< 200 ms", "2026-13-45"]),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(string.ascii_lowercase + "_", max_size=10), inner, max_size=4),
    ),
    max_leaves=12,
)
_step_keys = st.sampled_from(
    [
        "title", "description", "command", "fields", "role", "url", "hosts", "capture",
        "estimate", "timeout", "idempotent", "retries", "on_failure", "expect_status",
        "conditions", "options", "distinct_from", "env", "cwd", "json", "signals", "bogus",
    ]
)  # fmt: skip


@st.composite
def _steps(draw: st.DrawFn) -> dict[str, Any]:
    step: dict[str, Any] = {
        "id": draw(st.one_of(st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True), _scalars)),
        "kind": draw(st.one_of(st.sampled_from(sorted(STEP_KINDS)), _scalars)),
        "title": draw(st.one_of(st.text(max_size=20), _scalars)),
    }
    step.update(draw(st.dictionaries(_step_keys, _values, max_size=4)))
    return step


@st.composite
def _playbooks(draw: st.DrawFn) -> dict[str, Any]:
    phases = [
        {
            "id": draw(st.from_regex(r"[a-z]{1,6}", fullmatch=True)),
            "title": draw(st.text(max_size=20)),
            "steps": draw(st.lists(_steps(), min_size=1, max_size=4)),
        }
        for _ in range(draw(st.integers(1, 3)))
    ]
    playbook: dict[str, Any] = {"name": draw(st.one_of(st.text(max_size=20), _scalars))}
    playbook.update(
        draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "variables": st.dictionaries(st.text(max_size=8), _values, max_size=3),
                    "secrets": _values,
                    "targets": _values,
                    "budget": _scalars,
                    "rollback": _values,
                },
            )
        )
    )
    playbook["phases"] = phases
    return playbook


def _outcome(text: str) -> LoadedPlaybook | PlaybookError:
    try:
        return parse_playbook(text, "hostile.yaml")
    except PlaybookError as error:
        assert_positioned(error, text.count("\n") + 1)
        return error


def test_generated_playbook_structures_load_or_fail_with_positions(exhaustive: bool) -> None:
    seen: dict[str, int] = {"ok": 0, "error": 0}

    @_settings(exhaustive, default=80, full=1000)
    @given(_playbooks())
    def check(playbook: dict[str, Any]) -> None:
        text = yaml.safe_dump(playbook, allow_unicode=True, sort_keys=False)
        outcome = _outcome(text)
        seen["ok" if isinstance(outcome, LoadedPlaybook) else "error"] += 1

    check()
    assert seen["error"] > 0


def test_hostile_snippets_spliced_into_a_valid_playbook_fail_with_positions(
    exhaustive: bool,
) -> None:
    from deploytui.demo import bundled_playbook

    lines = bundled_playbook().read_text().split("\n")

    @_settings(exhaustive, default=60, full=800)
    @given(
        st.integers(0, len(lines)),
        st.sampled_from(SNIPPETS),
        st.integers(0, 8),
        st.booleans(),
    )
    def check(at: int, snippet: str, indent: int, replace: bool) -> None:
        spliced = " " * indent + snippet
        edited = [*lines[:at], spliced, *lines[at + (1 if replace else 0) :]]
        _outcome("\n".join(edited))

    check()


def test_no_playbook_can_run_code_while_loading(tmp_path: Path) -> None:
    marker = Path("/tmp/deploytui-pwned")
    marker.unlink(missing_ok=True)
    for snippet in SNIPPETS:
        text = f"name: x\nvalue: {snippet}\nphases: []\n"
        with contextlib.suppress(PlaybookError):
            parse_playbook(text, "x.yaml")
    assert not marker.exists()


# -- answers files ------------------------------------------------------------------------------

_answer_values = st.one_of(_scalars, st.lists(_scalars, max_size=3), _values)


@st.composite
def _answers(draw: st.DrawFn) -> dict[str, Any]:
    keys = {
        "operator": _answer_values,
        "inputs": st.one_of(st.dictionaries(st.text(max_size=8), _answer_values, max_size=4),
                            _values),
        "signoffs": st.one_of(st.dictionaries(st.text(max_size=8), _answer_values, max_size=3),
                              _values),
        "decisions": st.one_of(
            st.dictionaries(
                st.text(max_size=8),
                st.one_of(
                    st.sampled_from(["retry", "abort", "rollback", "stop", "rerun", "explode"]),
                    st.dictionaries(
                        st.sampled_from(["skip", "mark_done", "retry", "bogus"]),
                        _answer_values,
                        max_size=2,
                    ),
                    st.lists(_answer_values, max_size=3),
                ),
                max_size=3,
            ),
            _values,
        ),
        "on_interrupted": _answer_values,
        "on_failure": _answer_values,
        "acknowledge_breaches": _answer_values,
        "bogus": _answer_values,
    }  # fmt: skip
    return draw(st.fixed_dictionaries({}, optional=keys))


def _load_answers_text(folder: Path, data: bytes) -> Answers | PlaybookError:
    path = folder / "answers.yaml"
    path.write_bytes(data)
    try:
        return load_answers(path)
    except PlaybookError as error:
        assert_positioned(error, data.count(b"\n") + 1)
        assert all(problem.file == str(path) for problem in error.problems)
        return error


def test_generated_answers_files_load_or_fail_with_positions(exhaustive: bool) -> None:
    folder = Path(tempfile.mkdtemp(prefix="answers-"))
    seen = {"ok": 0, "error": 0}

    @_settings(exhaustive, default=80, full=1000)
    @given(_answers())
    def check(answers: dict[str, Any]) -> None:
        text = yaml.safe_dump(answers, allow_unicode=True).encode()
        outcome = _load_answers_text(folder, text)
        seen["ok" if isinstance(outcome, Answers) else "error"] += 1

    check()
    assert seen["ok"] > 0 and seen["error"] > 0


def test_answers_files_of_raw_bytes_load_or_fail_with_positions(exhaustive: bool) -> None:
    folder = Path(tempfile.mkdtemp(prefix="answers-"))

    @_settings(exhaustive, default=60, full=600)
    @given(
        st.one_of(
            st.binary(max_size=300),
            st.sampled_from([snippet.encode() for snippet in SNIPPETS]),
            st.builds(
                lambda head, junk: head + junk,
                st.sampled_from([b"operator: ana\n", b"inputs:\n  a: ", b"\xef\xbb\xbf"]),
                st.binary(max_size=60),
            ),
        )
    )
    def check(data: bytes) -> None:
        _load_answers_text(folder, data)

    check()


# -- any answer for any field, through the engine ----------------------------------------------

FIELD_TYPES = ["text", "integer", "number", "size", "duration", "datetime", "choice", "url", "path"]


def test_any_answer_for_any_field_is_recorded_or_stops_the_run_naming_the_field(
    exhaustive: bool,
) -> None:
    folder = Path(tempfile.mkdtemp(prefix="hostile-answers-"))
    counter = {"n": 0}

    @_settings(exhaustive, default=60, full=600)
    @given(
        st.sampled_from(FIELD_TYPES),
        st.one_of(st.text(max_size=40), st.sampled_from(HOSTILE_STRINGS)),
        st.sampled_from([{}, {"unit": "ms"}, {"min": 0, "max": 10}, {"target": "< 5"}]),
    )
    def check(field_type: str, answer: str, extra: dict[str, Any]) -> None:
        field = {"id": "v", "type": field_type, **extra}
        if field_type == "choice":
            field = {"id": "v", "type": "choice", "options": ["YES", "NO"]}
        step = {"id": "ask", "kind": "input", "title": "Ask", "fields": [field]}
        playbook = {"name": "answers", "phases": [{"id": "p", "title": "P", "steps": [step]}]}
        try:
            loaded = parse_playbook(yaml.safe_dump(playbook), "answers.yaml")
        except PlaybookError:
            assume(False)  # that extra does not apply to that type (a load error, tested above)
            return
        counter["n"] += 1
        with Journal(folder / f"j{counter['n']}.db") as journal:
            operator = HeadlessOperator(
                Answers.model_validate({"inputs": {"v": answer}}), operator_name="t"
            )
            run_id, outcome = drive(journal, loaded, operator)
            if outcome.status == RunStatus.completed:
                (value,) = journal.captured_values(run_id)
                assert value["field"] == "v" and value["raw"] == answer
            else:
                assert outcome.status == RunStatus.waiting
                assert "v" in outcome.message, outcome.message
            assert journal.verify(run_id)[0]

    check()


# -- templates cannot run code -------------------------------------------------------------------


@pytest.mark.parametrize("payload", [s for s in HOSTILE_STRINGS if "{{" in s])
def test_templates_that_reach_for_python_are_load_errors_with_a_position(payload: str) -> None:
    text = (
        "name: t\nphases:\n  - id: p\n    title: P\n    steps:\n"
        f"      - id: s\n        kind: local\n        title: T\n        command: echo {payload!r}\n"
    )
    with pytest.raises(PlaybookError) as caught:
        parse_playbook(text, "t.yaml")
    assert_positioned(caught.value, text.count("\n") + 1)
    assert any(problem.line == 9 for problem in caught.value.problems)


@given(st.sampled_from(HOSTILE_STRINGS) | st.text(max_size=40))
@settings(max_examples=100, deadline=None, derandomize=True)
def test_a_value_that_looks_like_a_template_is_substituted_once_as_text(value: str) -> None:
    """Values are never rendered again: ``{{ secrets.x }}`` typed as an answer stays that text
    and the secret is not read; in a command it is one quoted word."""
    context = Context(
        variables={},
        inputs={"v": value},
        secrets={"x": "the-real-secret"},
        run={"id": "r", "operator": "o", "started_at": "", "playbook": "p"},
    )
    shown = render("got {{ inputs.v }}", context)
    assert shown == f"got {value}"
    assert "the-real-secret" not in render("{{ inputs.v }}", context, shell=True) or (
        "the-real-secret" in value
    )


def test_format_string_and_attribute_tricks_are_refused() -> None:
    context = Context(
        variables={"x": "1"},
        inputs={},
        secrets={},
        run={"id": "r", "operator": "o", "started_at": "", "playbook": "p"},
    )
    for template in (
        "{{ vars.x.__class__ }}",
        "{{ vars['x'] }}",
        "{{ vars.x() }}",
        "{{ vars.x | attr('__class__') }}",
        "{{ vars.x | default(__import__('os').system('id')) }}",
        "{{ run.__dict__ }}",
    ):
        with pytest.raises(TemplateError):
            render(template, context)
    # Python format syntax and Jinja statements are plain text to the renderer.
    for text in ("{0.__class__} %(x)s {vars.x}", "{% for x in range(10**9) %}{% endfor %}"):
        assert render(text, context) == text


def test_brackets_that_are_text_do_not_count_as_nesting() -> None:
    """The nesting guard (which keeps the C parser from crashing on ``[[[[...``) counts only
    brackets that open flow collections: a playbook that merely mentions many brackets — in a
    quoted command, a comment, a block of text, plain text — loads; real nesting is refused
    with its position. (Found by the hostile-input tests: an imported checklist line full of
    ``[`` made a playbook that would not load.)"""
    many = "[" * 200
    text = (
        f"# {many}\nname: brackets\ndescription: |\n  {many}\n  {many}\nphases:\n"
        "  - id: p\n    title: P\n    steps:\n"
        f"      - {{id: a, kind: local, title: 'x {many}', command: \"echo '{many}'\"}}\n"
        f"      - id: b\n        kind: note\n        title: plain {many}\n"
    )
    loaded = parse_playbook(text, "brackets.yaml")
    assert loaded.playbook.step("b").title == f"plain {many}"
    with pytest.raises(PlaybookError) as caught:
        parse_playbook(f"name: x\nphases: {many}\n", "deep.yaml")
    (problem,) = caught.value.problems
    assert (problem.line, problem.column) == (2, 8 + 65)
    assert "nested more than 64 levels deep" in problem.message


def test_deep_flow_nesting_after_any_prefix_is_refused_not_a_crash() -> None:
    """PyYAML's C parser crashes the process (SIGSEGV) on a few thousand nested ``[``: the guard
    must see every way a flow collection can start — after an anchor or a tag too. Checked in
    a subprocess, since a crash would take the test run down with it."""
    import json
    import subprocess

    from tests.core_helpers import PYTHON

    prefixes = [
        "", "a: ", "- ", "? ", "a: &x ", "a: !!seq ", "a: !t&x", "a: &x !!seq ", "- - ",
        "a:\n  ", "a: [1, ", "a: {b: ", "--- ", "a: 'q' ", "- &a\n  ", "a: !!map\n  ",
    ]  # fmt: skip
    texts = [prefix + opener * 5000 for prefix in prefixes for opener in "[{"]
    script = (
        "import json, sys\n"
        "from deploytui.playbook.safe_yaml import YamlProblem, load_yaml\n"
        "out = []\n"
        "for text in json.load(sys.stdin):\n"
        "    try:\n"
        "        load_yaml(text)\n"
        "        out.append('loaded')\n"
        "    except YamlProblem as problem:\n"
        "        out.append(problem.message)\n"
        "print(json.dumps(out))\n"
    )
    result = subprocess.run(
        [PYTHON, "-c", script], input=json.dumps(texts), capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, (result.returncode, result.stderr[-2000:])
    outcomes = json.loads(result.stdout)
    assert len(outcomes) == len(texts)
    assert all(outcome != "loaded" for outcome in outcomes)
    nested = sum("nested more than 64 levels deep" in outcome for outcome in outcomes)
    assert nested == len(texts) - 2  # "a: 'q' [" is invalid YAML before any nesting
