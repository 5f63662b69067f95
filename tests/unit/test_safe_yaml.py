"""Safe YAML loading: hostile or broken input ends in one clear, positioned problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploytui.playbook.loader import PlaybookError, load_playbook, parse_playbook
from deploytui.playbook.safe_yaml import YamlProblem, load_yaml

# Nine levels of nine aliases: about 387 million "lol"s if expanded.
BILLION_LAUGHS = (
    'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    + "".join(
        f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]\n"
        for prev, name in zip("abcdefgh", "bcdefghi", strict=True)
    )
)


def problem_of(text: str, name: str = "p.yaml") -> str:
    with pytest.raises(PlaybookError) as caught:
        parse_playbook(text, name)
    assert len(caught.value.problems) == 1
    return str(caught.value.problems[0])


def test_python_tags_are_refused_and_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"
    text = f"name: x\nphases: !!python/object/apply:os.system ['touch {marker}']\n"
    message = problem_of(text)
    assert message.startswith("p.yaml:2:9: the tag tag:yaml.org,2002:python/object/apply")
    assert "is not allowed" in message
    assert not marker.exists()


def test_a_billion_laughs_alias_bomb_is_stopped() -> None:
    assert "an alias bomb?" in problem_of(BILLION_LAUGHS)


@pytest.mark.parametrize(
    "text",
    [
        "[" * 10_000,
        "{a: " * 10_000,
        "- " * 10_000 + "x\n",
        "".join("  " * depth + f"k{depth}:\n" for depth in range(200)),
    ],
    ids=["brackets", "braces", "dashes", "indented"],
)
def test_deep_nesting_is_a_clear_error_not_a_recursion_crash(text: str) -> None:
    assert "nested more than 64 levels deep" in problem_of(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a\x00b", "p.yaml:1:1: the file contains NUL bytes; it looks binary, not YAML"),
        ("name: x\nphases:\n  - a\x07b\n", "p.yaml:3:6: the file contains a control character"),
        ("", "p.yaml:1:1: the file is empty"),
        ("# only a comment\n", "p.yaml:1:1: the file is empty"),
        ("- a\n- b\n", "p.yaml:1:1: a playbook is a mapping"),
        ("name: 'open\n", "p.yaml:2:1: invalid YAML: found unexpected end of stream"),
        ("name: x\n\tphases: 1\n", "p.yaml:2:1: invalid YAML: found character '\\t'"),
    ],
    ids=["nul", "control", "empty", "comment", "list", "unclosed", "tab"],
)
def test_broken_files_give_one_positioned_sentence(text: str, expected: str) -> None:
    assert problem_of(text).startswith(expected)


def test_random_binary_junk_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.yaml"
    junk.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(PlaybookError) as caught:
        load_playbook(junk)
    assert caught.value.problems[0].file == str(junk)


def test_non_utf8_names_the_line(tmp_path: Path) -> None:
    latin = tmp_path / "latin1.yaml"
    latin.write_bytes("name: x\nowner: José\n".encode("latin-1"))
    with pytest.raises(PlaybookError) as caught:
        load_playbook(latin)
    assert str(caught.value) == f"{latin}:2:1: the file is not UTF-8 text; save it as UTF-8"


def test_a_utf8_bom_and_crlf_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    text = "name: x\nphases:\n  - id: p\n    title: P\n    steps:\n"
    text += "      - {id: a, kind: note, title: A}\n"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    assert load_playbook(path).playbook.name == "x"


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(PlaybookError, match="the file does not exist"):
        load_playbook(tmp_path / "nope.yaml")
    with pytest.raises(PlaybookError, match="this is a folder, not a file"):
        load_playbook(tmp_path)


def test_an_endless_file_is_refused_without_reading_it_all() -> None:
    """`validate /dev/zero` (or --answers, --targets) used to read forever and fill memory."""
    with pytest.raises(PlaybookError) as caught:
        load_playbook("/dev/zero")
    assert str(caught.value) == "/dev/zero:1:1: the file is larger than 5 MB; is it a playbook?"


def test_duplicate_keys_point_at_the_second_one() -> None:
    assert problem_of("name: x\nphases: []\nname: y\n") == (
        "p.yaml:3:1: the key 'name' appears twice here"
    )


def test_yes_no_on_off_stay_strings_and_true_false_are_booleans() -> None:
    data = load_yaml("a: YES\nb: NO\nc: on\nd: off\ne: y\nf: true\ng: False\nh: N/A\n").data
    assert data == {
        "a": "YES",
        "b": "NO",
        "c": "on",
        "d": "off",
        "e": "y",
        "f": True,
        "g": False,
        "h": "N/A",
    }


def test_dates_stay_as_written() -> None:
    assert load_yaml("when: 2026-11-22\n").data == {"when": "2026-11-22"}


def test_locations_are_recorded_for_keys_and_values() -> None:
    loaded = load_yaml("name: x\nphases:\n  - id: p\n    title: P\n")
    assert loaded.locate(("phases", 0, "title")) == (4, 5)
    assert loaded.locate(("phases", 0, "nope", "deeper")) == (3, 5)


def test_yaml_problem_carries_position() -> None:
    with pytest.raises(YamlProblem) as caught:
        load_yaml("a: [1, 2\n")
    assert caught.value.line >= 1 and "invalid YAML" in caught.value.message


def test_mutated_playbooks_give_problems_never_exceptions(exhaustive: bool) -> None:
    """Random edits of the demo playbook: each either loads or yields positioned problems."""
    import random

    from deploytui.demo import bundled_playbook

    source = bundled_playbook().read_text()
    rnd = random.Random(20261122)
    alphabet = [*":-[]{}&*!|>'\"#%@`\n\t ,?", "a", "Z", "0", "\x07", "\u2028", "{{", "}}"]
    problems_seen = 0
    for _ in range(3000 if exhaustive else 150):
        text = source
        for _ in range(rnd.randint(1, 4)):
            at = rnd.randrange(len(text))
            roll = rnd.random()
            if roll < 0.4:
                text = text[:at] + text[at + rnd.randint(1, 20) :]
            elif roll < 0.8:
                text = text[:at] + rnd.choice(alphabet) + text[at:]
            else:
                start = rnd.randrange(len(text))
                text = text[:at] + text[start : start + rnd.randint(1, 40)] + text[at:]
        try:
            parse_playbook(text, "f.yaml")
        except PlaybookError as error:
            problems_seen += 1
            for problem in error.problems:
                assert problem.line >= 1 and problem.column >= 1 and problem.message
    assert problems_seen > 0  # the mutations really broke things
