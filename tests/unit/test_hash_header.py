"""The hash chain's fast header (journal/hashing.py) gives the canonical encoder's exact text, so
journals written before and after it verify alike."""

from __future__ import annotations

import hashlib

import pytest

from deploytui.journal.hashing import _header, canonical, event_hash

TEXTS = ["run-1", "", 'quote " and \\ backslash', "é ü 😀 \u2028", "tab\tnew\nline\x00\x1f"]


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("step_id", [None, "migrate", 'ünï "x"'])
@pytest.mark.parametrize("attempt", [None, 0, 1, 10**20])
def test_fast_header_equals_canonical(text: str, step_id: str | None, attempt: int | None) -> None:
    fields = [text, 7, text, text, step_id, attempt]
    assert _header(*fields) == canonical(fields)


@pytest.mark.parametrize(
    "fields",
    [
        ["r", True, "at", "t", None, None],  # a bool is not an int here
        ["r", 1, None, "t", None, None],
        ["r", 1, "at", "t", None, 1.5],
        ["r", 1, "at", "t", 3, None],
    ],
)
def test_other_column_types_take_the_encoder(fields: list[object]) -> None:
    assert _header(*fields) == canonical(fields)


def test_event_hash_is_the_documented_digest() -> None:
    header = canonical(["run", 3, "2026-01-01T00:00:00Z", "step_output", "s1", 2])
    expected = hashlib.sha256()
    for part in ("0" * 64, header, '{"lines":["ü"]}'):
        expected.update(part.encode())
        expected.update(b"\x1f")
    got = event_hash(
        "0" * 64, "run", 3, "2026-01-01T00:00:00Z", "step_output", "s1", 2, '{"lines":["ü"]}'
    )
    assert got == expected.hexdigest()
