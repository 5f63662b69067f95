"""``export --format html``: one self-contained, escaped, printable file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from deploytui.export import build_document, render
from deploytui.journal import Journal
from tests.export_helpers import SECRET, run_checklist


@pytest.fixture
def page(journal: Journal, tmp_path: Path) -> tuple[str, str]:
    run_id, _ = run_checklist(journal, tmp_path)
    return run_id, render(build_document(journal, run_id, secrets={"api_token": SECRET}), "html")


def test_self_contained(page: tuple[str, str]) -> None:
    _, html = page
    assert html.startswith("<!DOCTYPE html>")
    assert "<style>" in html
    assert not re.search(r"<(script|link|img|iframe)\b", html, re.IGNORECASE)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html, re.IGNORECASE)
    assert "@import" not in html and "url(" not in html


def test_prints_well(page: tuple[str, str]) -> None:
    _, html = page
    print_css = html.split("@media print", 1)[1]
    assert "break-before: page" in print_css
    assert "color: #000" in print_css
    assert html.count('<section class="phase') >= 3


def test_content_with_icons_and_words(page: tuple[str, str], journal: Journal) -> None:
    run_id, html = page
    assert "⊘ skipped: cache is cold anyway" in html
    assert '<span class="breach">p95 response time: ⚠ 612 ms misses the target &lt; 500 ms' in html
    assert "<td>DBA</td><td>Maria Lopez</td>" in html
    assert journal.head_hash(run_id) in html
    assert f"deploytui verify {run_id}" in html
    assert "night-window.md, filled in" in html  # the imported checklist, completed


def test_escapes_run_data_and_hides_secrets(page: tuple[str, str]) -> None:
    _, html = page
    assert "<b>with</b>" not in html
    assert "&lt;b&gt;with&lt;/b&gt;" in html
    assert SECRET not in html
