"""`deploytui import` on the command line: output, report on stderr, exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploytui.cli import COMMANDS, main
from deploytui.playbook import load_playbook

DATA = Path(__file__).resolve().parents[1] / "data" / "checklists"


def test_import_is_a_listed_command() -> None:
    assert "import" in COMMANDS


def test_writes_a_playbook_that_validates(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    target = tmp_path / "runbook.yaml"
    code = main(["import", str(DATA / "db-failover-runbook.md"), "-o", str(target)])
    assert code == 0
    err = capsys.readouterr().err
    assert f"→ {target}" in err and "4 phases" in err and "2 sign-offs" in err
    loaded = load_playbook(target)
    assert loaded.playbook.name == "db-failover-runbook"
    assert main(["validate", str(target)]) == 0


def test_prints_yaml_to_stdout_without_output(capsys: pytest.CaptureFixture) -> None:
    assert main(["import", str(DATA / "tables.md"), "-q"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("# Imported from tables.md by `deploytui import`")
    assert "kind: signoff" in out
    assert err == ""


def test_uninterpreted_lines_are_reported_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    source = DATA / "odd-lines.md"
    code = main(["import", str(source), "-o", str(tmp_path / "odd.yaml")])
    assert code == 0  # reported, not fatal
    err = capsys.readouterr().err.splitlines()
    assert (
        f"{source}:9: could not interpret: - [-] cancelled item (unknown check box state '[-]')"
        in err
    )
    assert sum(": could not interpret: " in line for line in err) == 8
    assert err[-1].endswith("8 lines not interpreted")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "the file does not exist"),
        (b"", "the file is empty"),
        (b"\x00\xff\x00binary", "looks binary"),
    ],
)
def test_unreadable_input_exits_2_with_a_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture, content: bytes | None, message: str
) -> None:
    source = tmp_path / "input.md"
    if content is not None:
        source.write_bytes(content)
    assert main(["import", str(source)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.strip() == f"{source}: cannot import: {message}" or message in err
    assert "Traceback" not in err


def test_a_folder_is_unreadable_input(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["import", str(tmp_path)]) == 2
    assert "folder" in capsys.readouterr().err


def test_refuses_to_overwrite_unless_forced(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    target = tmp_path / "keep.yaml"
    target.write_text("hand edited\n")
    source = str(DATA / "no-headings.md")
    assert main(["import", source, "-o", str(target)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert target.read_text() == "hand edited\n"
    assert main(["import", source, "-o", str(target), "--force"]) == 0
    assert load_playbook(target).playbook.name == "no-headings"


def test_unwritable_output_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    target = tmp_path / "missing-folder" / "out.yaml"
    assert main(["import", str(DATA / "tables.md"), "-o", str(target)]) == 2
    assert "cannot write" in capsys.readouterr().err
