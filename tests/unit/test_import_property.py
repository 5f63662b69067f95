"""Property: any Markdown-ish text imports to a playbook that loads, or to a clear error.

Generated documents mix the constructs real checklists use (headings, nested and numbered items,
boxes in every state, blanks with units and targets, choices, sign-offs, tables, fences with
braces, HTML, emoji, CRLF, mojibake) with arbitrary text. Never a traceback. The example count
is small by default and raised with ``--exhaustive``.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deploytui.importer import ChecklistError, import_bytes
from deploytui.playbook.loader import parse_playbook

FRAGMENTS = [
    "# Title", "## Section {n}", "### 1.{n} Sub section ✅", "Heading\n=====", "---", "***",
    "- [ ] Do thing {n}", "- [x] Done thing", "* [X] upper", "- [ ] [ ] doubled",
    "1. [ ] numbered", "2) plain numbered", "  - nested {n}", "    - [ ] deeper",
    "\t- [ ] tabbed", "- [-] odd box", "- [?]", "[ ] bare box",
    "- [ ] **Size:** ____ MB/GB", "- [ ] Duration: ____ minutes",
    "- [ ] p95: ____ ms (target < 500 ms)", "- Error rate: ____ % (target: ≤ 1%)",
    "- Start: ____ End: ____", "- pool: ____ / ____ (used/total)",
    "- [ ] Tested: YES / NO / N/A", "Status: ☐ GO ☐ NO-GO (reason: ____)",
    "- [ ] **Sign-off:** ______ (DBA Lead)", "Signature: ____",
    "Approved by: ____ (CAB, Phone: ____)",
    "| Role | Name | Date |", "|---|---|---|", "| **QA** | ____ | ____ |", "| a | b |",
    "```bash", "```", "~~~", "echo {{ x }} && echo '{{' \"}}\" $HOME # : - [ ]",
    "{{ inputs.missing }}", "{{ run.id }}", "<!-- comment -->", "<div>", "> quoted ____ text",
    "## Go/No-Go", "## Rollback plan", "## Performance targets", "- **API:** < 200ms",
    "- **Users:** 10,000+", "**Bold label:** value", "Plain prose with a: colon",
    "🚀 emoji ✅ line", "‚úÖ mojibake", "âœ… more mojibake", "", "", "",
]  # fmt: skip

_line = st.one_of(
    st.sampled_from(FRAGMENTS).flatmap(
        lambda fragment: st.integers(1, 3).map(lambda n: fragment.replace("{n}", str(n)))
    ),
    st.text(max_size=40),
    st.text(alphabet="-*_#|[]()`:/ x_.\t>☐✅", max_size=20),
)
_documents = st.tuples(
    st.lists(_line, min_size=0, max_size=40), st.sampled_from(["\n", "\r\n", "\r"])
).map(lambda parts: parts[1].join(parts[0]))


def _check(data: bytes) -> None:
    try:
        result = import_bytes(data, "generated.md")
    except ChecklistError as error:
        assert str(error)
        assert "\n" not in str(error)
        assert "internal error" not in str(error)
        return
    loaded = parse_playbook(result.yaml, "generated.yaml")
    assert loaded.playbook == result.playbook
    steps = [step for _, step in result.playbook.ordered_steps()]
    assert len({step.id for step in steps}) == len(steps)
    lines = result.playbook.source_document.text.split("\n")
    for step in steps:
        assert step.source is not None and 1 <= step.source.line <= len(lines)
    for field in result.playbook.input_fields().values():
        assert field.source is not None and 1 <= field.source.line <= len(lines)
    for item in result.uninterpreted:
        assert f"line {item.line}:" in result.yaml


def _settings(exhaustive: bool) -> settings:
    return settings(
        max_examples=600 if exhaustive else 60,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        derandomize=not exhaustive,
    )


def test_markdownish_text_imports_or_fails_clearly(exhaustive: bool) -> None:
    @_settings(exhaustive)
    @given(_documents)
    def run(document: str) -> None:
        _check(document.encode("utf-8", errors="surrogatepass"))

    run()


def test_arbitrary_bytes_import_or_fail_clearly(exhaustive: bool) -> None:
    @_settings(exhaustive)
    @given(st.binary(max_size=400))
    def run(data: bytes) -> None:
        _check(data)

    run()


@pytest.mark.parametrize(
    "document",
    [
        "\u2028line separator\u2029 and NEL \x85 inside - [ ] item",
        "- [ ] tab\there and ____\tblank",
        "# \ufeff BOM in the middle ____",
        "- [ ] trailing spaces   \n  with continuation   \n",
        "```\n{{{{ nested }}}}\n```",
        "- [ ] control \x07 bell ____ MB",
        "|---|---|---|\n|---|---|---|",
    ],
)
def test_awkward_characters(document: str) -> None:
    _check(document.encode())
