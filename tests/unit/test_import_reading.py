"""Reading checklist bytes: BOM, line endings, mojibake repair, binary junk refused clearly."""

from __future__ import annotations

import pytest

from deploytui.importer import ChecklistError, import_bytes, import_file
from deploytui.importer.reading import decode_checklist, repair_mojibake


def test_bom_and_windows_line_endings_are_normalised() -> None:
    data = "\ufeff# Title\r\n- [ ] one\r\n- [ ] two: ____ MB\r\n".encode()
    text = decode_checklist(data)
    assert text == "# Title\n- [ ] one\n- [ ] two: ____ MB\n"
    result = import_bytes(data, "crlf.md")
    field = result.playbook.input_fields()["two"]
    assert (field.source.line, field.source.blank) == (3, 0)


def test_old_mac_line_endings_keep_line_numbers() -> None:
    result = import_bytes(b"# T\r- [ ] a\r- [ ] b\r", "cr.md")
    lines = [step.source.line for _, step in result.playbook.ordered_steps()]
    assert lines == [2, 3]


@pytest.mark.parametrize("codec", ["cp1252", "mac_roman", "latin-1"])
def test_mojibake_from_common_code_pages_is_repaired(codec: str) -> None:
    original = "Status: ✅ ready — déjà vu “quoted” 🎯\n"
    garbled = original.encode("utf-8").decode(codec, errors="ignore")
    if codec == "cp1252":
        # cp1252 has holes (0x81, 0x8d, 0x8f, 0x90, 0x9d); use text that avoids them.
        original = "Status: ✅ ready — déjà vu\n"
        garbled = original.encode("utf-8").decode(codec)
    assert garbled != original
    assert repair_mojibake(garbled) == original


def test_real_accented_text_is_left_alone() -> None:
    for text in ["Café naïve façade", "Größe: ____ MB", "Ünïcödé ✓ — ok", "½ ¼ § ° ±"]:
        assert repair_mojibake(text) == text


def test_a_file_saved_as_cp1252_is_read() -> None:
    data = "# Café\n- [ ] Vérifier la sauvegarde\n".encode("cp1252")
    result = import_bytes(data, "latin.md")
    assert result.playbook.phases[0].steps[0].title == "Vérifier la sauvegarde"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"   \n\n\t\n", "empty"),
        (b"\x00\x01\x02binary", "NUL"),
        (bytes(range(1, 32)) * 20, "control characters"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "NUL"),
    ],
)
def test_unreadable_input_is_a_clear_error(data: bytes, reason: str) -> None:
    with pytest.raises(ChecklistError, match=reason):
        import_bytes(data, "junk.md")


def test_a_huge_file_is_refused() -> None:
    with pytest.raises(ChecklistError, match="larger than"):
        import_bytes(b"- [ ] x\n" * 400_000, "huge.md")


def test_an_endless_file_is_refused_without_reading_it_all() -> None:
    """`deploytui import /dev/zero` used to read forever and fill memory."""
    with pytest.raises(ChecklistError, match="larger than 2 MB; is it really a checklist"):
        import_file("/dev/zero")
