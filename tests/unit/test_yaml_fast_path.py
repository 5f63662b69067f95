"""The libyaml fast path of ``load_yaml`` gives exactly what the pure-Python parser gives.

``safe_yaml`` composes with libyaml's C parser when it can (about 10x faster on a large
playbook) and falls back to the pure-Python parser for anything unusual, which also words every
error. These tests hold the two paths to the same data, the same positions and the same errors.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from deploytui.playbook import safe_yaml
from deploytui.playbook.safe_yaml import YamlProblem, load_yaml

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOKS = sorted((ROOT / "playbooks").glob("*.yaml"))

pytestmark = pytest.mark.skipif(safe_yaml._CParser is None, reason="PyYAML built without libyaml")


def _both(text: str) -> tuple[safe_yaml.LoadedYaml, safe_yaml.LoadedYaml]:
    fast = safe_yaml._compose_fast(text)
    assert fast is not None, "the fast path should have been taken"
    loader, node = fast
    fast_result = safe_yaml.LoadedYaml(data=None)
    fast_result.data = safe_yaml._Builder(loader, fast_result.locations).build(node, (), 0)
    loader, node = safe_yaml._compose(text)
    slow_result = safe_yaml.LoadedYaml(data=None)
    slow_result.data = safe_yaml._Builder(loader, slow_result.locations).build(node, (), 0)
    return fast_result, slow_result


@pytest.mark.parametrize("path", PLAYBOOKS, ids=lambda path: path.name)
def test_shipped_playbooks_load_the_same_on_both_paths(path: Path) -> None:
    fast, slow = _both(path.read_text(encoding="utf-8"))
    assert fast.data == slow.data
    assert fast.locations == slow.locations


def test_yaml_1_2_booleans_and_dates_survive_the_fast_path() -> None:
    text = "answer: YES\nother: no\nflag: true\nwhen: 2026-11-22\nempty:\nnum: 1.5\nemoji: ✅\n"
    fast, slow = _both(text)
    assert (
        fast.data
        == slow.data
        == {
            "answer": "YES",
            "other": "no",
            "flag": True,
            "when": "2026-11-22",
            "empty": None,
            "num": 1.5,
            "emoji": "✅",
        }
    )
    assert fast.locations[("num",)] == slow.locations[("num",)] == (6, 1)


@pytest.mark.parametrize(
    "text",
    [
        "name: [1, 2\n",  # unclosed flow sequence
        "a: 1\na: 2\n",  # duplicate key (found by the builder)
        "a: !!python/object:os.system x\n",  # a tag that is not allowed
        "- a\nb: c\n",  # block sequence then mapping
        "a: 1\n---\nb: 2\n",  # two documents
        "a: *nowhere\n",  # undefined alias
    ],
)
def test_errors_are_worded_as_the_pure_python_parser_words_them(text: str, monkeypatch) -> None:
    with pytest.raises(YamlProblem) as fast:
        load_yaml(text)
    monkeypatch.setattr(safe_yaml, "_CParser", None)
    with pytest.raises(YamlProblem) as slow:
        load_yaml(text)
    assert (fast.value.message, fast.value.line, fast.value.column) == (
        slow.value.message,
        slow.value.line,
        slow.value.column,
    )


def test_deep_block_nesting_and_control_characters_take_the_python_path() -> None:
    assert safe_yaml._compose_fast("- " * 200 + "x\n") is None
    assert safe_yaml._compose_fast("a: b\x07c\n") is None
    with pytest.raises(YamlProblem, match="control character"):
        load_yaml("a: b\x07c\n")
