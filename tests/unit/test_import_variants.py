"""One checklist written many ways must import to the same structure.

Authors differ in bullets (``-``, ``*``, ``+``, ``1.``, ``1)``), indentation (2, 4 spaces or a
tab), boxes (``[ ]``, ``[]``, doubled ``[ ] [ ]``), bold labels or plain ones, heading styles
(ATX, setext, emoji decorations), line endings (LF, CRLF) and encodings (clean UTF-8, BOM, or
mojibake from a cp1252 round trip). Every combination here must give the same steps and fields,
with the same source lines.
"""

from __future__ import annotations

import itertools
from collections import Counter

import pytest

from deploytui.importer import import_bytes

# (indent level, kind, text); kinds: box (a box item), plain (no box), heading
SPEC = [
    (0, "heading1", "Release 7"),
    (0, "heading", "Backup ✅"),
    (0, "box", "{b}Take a snapshot{b}"),
    (0, "box", "{b}Backup size:{b} ______ GB"),
    (0, "box", "{b}Restore tested:{b} YES / NO / N/A"),
    (0, "box", "{b}Load results:{b}"),
    (1, "plain", "p95 latency: ______ ms (target: < 500 ms)"),
    (1, "plain", "Error rate: ______ % (target < 1%)"),
    (0, "box", "{b}Sign-off:{b} ________ (DBA)"),
    (0, "heading", "Deploy 🚀"),
    (0, "box", "{b}Window:{b} Start: ______ End: ______"),
    (0, "box", "Notify support"),
    (1, "box", "Post in #support"),
    (1, "box", "Email the on-call"),
    (0, "box", "{b}Sign-off:{b} ________ (Release Manager, after the smoke tests)"),
]
EXPECTED_KINDS = {"confirm": 3, "input": 4, "signoff": 2, "note": 1}  # note: the group
EXPECTED_FIELDS = {  # field: (type, index in SPEC of its line)
    "backup_size": ("size", 3),
    "restore_tested": ("choice", 4),
    "p95_latency": ("number", 6),
    "error_rate": ("number", 7),
    "window_start": ("datetime", 10),
    "window_end": ("datetime", 10),
}

BULLETS = ["-", "*", "+", "1.", "1)"]
INDENTS = ["  ", "    ", "\t"]
BOXES = ["[ ] ", "[] ", "[ ] [ ] "]
BOLD = ["**", ""]
HEADINGS = ["atx", "setext"]
ENCODINGS = ["utf8", "bom-crlf", "mojibake"]


def render(bullet: str, indent: str, box: str, bold: str, headings: str) -> tuple[str, list[int]]:
    """The checklist text and, for each SPEC entry, its 1-based line."""
    out: list[str] = []
    lines: list[int] = []
    for level, kind, text in SPEC:
        text = text.format(b=bold)
        if kind.startswith("heading"):
            if out:
                out.append("")
            lines.append(len(out) + 1)
            if headings == "setext":
                out += [text, "=" * len(text) if kind == "heading1" else "-" * len(text)]
            else:
                out.append(("# " if kind == "heading1" else "## ") + text)
            continue
        marker = bullet if level == 0 else "-"
        prefix = indent * level + marker + " " + (box if kind == "box" else "")
        lines.append(len(out) + 1)
        out.append(prefix + text)
    return "\n".join(out) + "\n", lines


def encode(text: str, encoding: str) -> bytes:
    if encoding == "bom-crlf":
        return b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode()
    if encoding == "mojibake":
        return text.encode("utf-8").decode("cp1252", errors="replace").encode("utf-8")
    return text.encode()


COMBINATIONS = list(itertools.product(BULLETS, INDENTS, BOXES, BOLD, HEADINGS, ENCODINGS))
DEFAULT = COMBINATIONS[:: len(COMBINATIONS) // 40]  # a spread of 40 by default; all 540 with
# --exhaustive


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "combination" in metafunc.fixturenames:
        everything = metafunc.config.getoption("--exhaustive")
        metafunc.parametrize(
            "combination",
            COMBINATIONS if everything else DEFAULT,
            ids=lambda combination: "|".join(map(repr, combination)),
        )


def test_same_structure_whatever_the_style(combination: tuple[str, ...]) -> None:
    bullet, indent, box, bold, headings, encoding = combination
    text, lines = render(bullet, indent, box, bold, headings)
    result = import_bytes(encode(text, encoding), "variant.md")
    playbook = result.playbook
    assert result.uninterpreted == []
    assert [phase.title for phase in playbook.phases] == ["Backup", "Deploy"]
    kinds = Counter(step.kind for _, step in playbook.ordered_steps())
    assert dict(kinds) == EXPECTED_KINDS
    fields = {
        name: (field.type.value, field.source.line)
        for name, field in playbook.input_fields().items()
    }
    expected = {name: (type_, lines[index]) for name, (type_, index) in EXPECTED_FIELDS.items()}
    assert fields == expected
    roles = [(s.role, s.source.line) for _, s in playbook.ordered_steps() if s.kind == "signoff"]
    assert roles == [("DBA", lines[8]), ("Release Manager", lines[14])]
    assert "✅" in playbook.source_document.text
