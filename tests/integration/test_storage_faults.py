"""Storage faults: the journal on a full disk, read-only, locked by another process, or edited
or truncated by hand. In each case the run halts BEFORE executing anything it cannot record,
says why in one sentence (no traceback; exit 1, see docs/reliability.md), and loses nothing
already recorded; ``deploytui verify`` names the first bad event.

Real parts only: a real tmpfs mounted for the test (full disk, read-only remount), an immutable
file (``chattr +i``: root ignores permission bits), a second process holding a SQLite write
transaction, byte edits to the database file. Each playbook's step after the fault would
create a marker file: the marker must not exist.
"""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploytui.journal import Journal
from tests.core_helpers import PYTHON, cli, playbook_text, query, wait_for

PLAYBOOK = """
name: storage-faults
phases:
  - id: before
    title: Before
    steps:
      - id: facts
        kind: input
        title: Facts
        fields: [{id: size, type: size}]
      - {id: lead, kind: signoff, title: Lead, role: Lead}
      - id: produce
        kind: local
        title: Produce (not idempotent)
        command: echo produced >> @DIR@/produced.txt; echo token=tk-42
        capture: [{name: token, pattern: "token=(\\\\S+)"}]
  - id: work
    title: Work
    steps:
      - id: middle
        kind: local
        title: The step during which the fault happens
        command: "@MIDDLE@"
      - id: when
        kind: input
        title: A question (the first run stops here when it has no answer)
        fields: [{id: ticket, type: text}]
      - id: marker
        kind: local
        title: Must not run unless it can be recorded
        command: touch @DIR@/MARKER
"""
ANSWERS = """
operator: tester
inputs: {size: 4.2 GB, ticket: CHG-1}
signoffs: {Lead: Ana Silva}
"""


def write(tmp_path: Path, *, middle: str = "echo middle", answers: str = ANSWERS) -> dict:
    files = {"playbook": tmp_path / "storage.yaml", "answers": tmp_path / "answers.yaml"}
    text = playbook_text(PLAYBOOK).replace("@DIR@", str(tmp_path))
    files["playbook"].write_text(text.replace("@MIDDLE@", middle.replace('"', '\\"')))
    files["answers"].write_text(playbook_text(answers))
    files["vars"] = []
    return files


def run(journal: Path, files: dict, *extra: str) -> subprocess.CompletedProcess[str]:
    return cli(
        "--journal", str(journal), "run", str(files["playbook"]), "--headless",
        "--answers", str(files["answers"]), *files["vars"], *extra,
    )  # fmt: skip


def resume(journal: Path, answers: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return cli(
        "--journal", str(journal), "resume", "--headless", "--answers", str(answers),
        "--take-over", *extra,
    )  # fmt: skip


def assert_one_clear_sentence(result: subprocess.CompletedProcess[str], *words: str) -> str:
    """Exit 1, no traceback, and a ``deploytui: ...`` line saying why."""
    assert result.returncode == 1, (result.returncode, result.stdout[-2000:], result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    assert "internal error" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("deploytui: ")]
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def recorded(journal: Path) -> tuple[dict, dict, list[str]]:
    """Values, sign-offs and finished steps, read back by reopening the file."""
    values = dict(query(journal, "SELECT field, display FROM captured_values"))
    signoffs = dict(query(journal, "SELECT role, name FROM signoffs"))
    finished = [
        row[0]
        for row in query(
            journal, "SELECT step_id FROM events WHERE type = 'step_finished' ORDER BY seq"
        )
    ]
    return values, signoffs, finished


def verify(journal: Path) -> subprocess.CompletedProcess[str]:
    return cli("--journal", str(journal), "verify")


# -- a real small disk ------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 512 KiB tmpfs, mounted for this test (root; skipped where mounting is refused)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_halts_the_run_before_the_next_step_and_loses_nothing(
    small_disk: Path, tmp_path: Path
) -> None:
    journal = small_disk / "journal.db"
    filler = small_disk / "filler"
    # The step itself fills the disk (as a runaway log would), so its result cannot be written.
    files = write(
        tmp_path,
        middle=f"dd if=/dev/zero of={filler} bs=4k 2>/dev/null; echo disk filled",
        answers=ANSWERS + "decisions: {middle: [{mark_done: filler written}]}\n",
    )
    first = run(journal, files)
    line = assert_one_clear_sentence(first, "is full", str(journal))
    assert "free space" in line
    assert not (tmp_path / "MARKER").exists()
    values, signoffs, finished = recorded(journal)
    assert values == {"size": "4.2 GB", "token": "tk-42"}
    assert signoffs == {"Lead": "Ana Silva"}
    assert finished == ["facts", "lead", "produce"]
    assert query(journal, "SELECT step_id FROM events ORDER BY seq DESC LIMIT 1") == [("middle",)]
    assert verify(journal).returncode == 0

    # Space freed: resume; the cut-off step is marked done (the answers file's choice), the
    # marker step runs once it can be recorded, nothing before it runs again.
    filler.unlink()
    second = resume(journal, files["answers"])
    assert second.returncode == 0, second.stdout[-2000:] + second.stderr
    assert (tmp_path / "MARKER").exists()
    assert (tmp_path / "produced.txt").read_text() == "produced\n"
    values, signoffs, finished = recorded(journal)
    assert values == {"size": "4.2 GB", "token": "tk-42", "ticket": "CHG-1"}
    assert signoffs == {"Lead": "Ana Silva"}
    assert finished == ["facts", "lead", "produce", "middle", "when", "marker"]
    assert verify(journal).returncode == 0


def test_a_read_only_disk_halts_a_resume_before_anything_runs(
    small_disk: Path, tmp_path: Path
) -> None:
    journal = small_disk / "journal.db"
    files = write(tmp_path, answers="operator: tester\ninputs: {size: 4.2 GB}\n"
                  "signoffs: {Lead: Ana Silva}\n")  # fmt: skip
    first = run(journal, files)
    assert first.returncode == 3, first.stderr  # waiting for the ticket
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    try:
        answers = tmp_path / "full.yaml"
        answers.write_text(playbook_text(ANSWERS))
        second = resume(journal, answers)
        assert_one_clear_sentence(second, "read-only", str(journal))
        assert not (tmp_path / "MARKER").exists()
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    third = resume(journal, answers)
    assert third.returncode == 0, third.stdout[-2000:] + third.stderr
    assert (tmp_path / "MARKER").exists()
    assert (tmp_path / "produced.txt").read_text() == "produced\n"
    assert verify(journal).returncode == 0


def test_a_read_only_journal_file_halts_a_resume_before_anything_runs(tmp_path: Path) -> None:
    journal = tmp_path / "journal.db"
    files = write(tmp_path, answers="operator: tester\ninputs: {size: 4.2 GB}\n"
                  "signoffs: {Lead: Ana Silva}\n")  # fmt: skip
    assert run(journal, files).returncode == 3
    with Journal(journal):
        pass  # closing the last connection checkpoints the WAL into the file
    made = subprocess.run(["chattr", "+i", str(journal)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"chattr +i is not supported here: {made.stderr.strip()}")
    try:
        answers = tmp_path / "full.yaml"
        answers.write_text(playbook_text(ANSWERS))
        second = resume(journal, answers)
        assert_one_clear_sentence(second, str(journal))
        assert "read-only" in second.stderr or "cannot open" in second.stderr
        assert not (tmp_path / "MARKER").exists()
    finally:
        subprocess.run(["chattr", "-i", str(journal)], check=True)
    third = resume(journal, answers)
    assert third.returncode == 0, third.stdout[-2000:] + third.stderr
    assert (tmp_path / "MARKER").exists()


# -- another process holds the write lock -----------------------------------------------------

HOLDER = """
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
connection.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.read()  # hold the write transaction until the test closes our stdin
"""


def test_a_database_locked_by_another_process_halts_the_run_before_the_next_step(
    tmp_path: Path,
) -> None:
    journal = tmp_path / "journal.db"
    go = tmp_path / "GO"
    # The middle step waits until another process holds the journal's write lock.
    files = write(
        tmp_path,
        middle=f"while [ ! -f {go} ]; do sleep 0.05; done; echo went",
        answers=ANSWERS + "decisions: {middle: [{mark_done: it went}]}\n",
    )
    process = subprocess.Popen(
        [PYTHON, "-m", "deploytui.cli", "--journal", str(journal), "run", str(files["playbook"]),
         "--headless", "--answers", str(files["answers"]), *files["vars"]],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    holder = None
    try:
        wait_for(
            lambda: query(journal, "SELECT 1 FROM events WHERE step_id = 'middle'"),
            what="the middle step to start",
        )
        holder = subprocess.Popen(
            [PYTHON, "-c", HOLDER, str(journal)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        go.touch()
        out, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
        if holder is not None:
            holder.communicate(timeout=30)  # closing stdin ends the transaction
    result = subprocess.CompletedProcess(process.args, process.returncode, out, err)
    assert_one_clear_sentence(result, "locked by another process", str(journal))
    assert not (tmp_path / "MARKER").exists()
    values, _, finished = recorded(journal)
    assert values == {"size": "4.2 GB", "token": "tk-42"}
    assert finished == ["facts", "lead", "produce"]

    second = resume(journal, files["answers"])
    assert second.returncode == 0, second.stdout[-2000:] + second.stderr
    assert (tmp_path / "MARKER").exists()
    assert (tmp_path / "produced.txt").read_text() == "produced\n"
    assert verify(journal).returncode == 0


# -- a journal edited or truncated by hand ------------------------------------------------------


def _stopped_run(tmp_path: Path) -> tuple[Path, Path, str]:
    """A run that stopped waiting for the ticket, after produce ran; the WAL checkpointed."""
    journal = tmp_path / "journal.db"
    files = write(tmp_path, answers="operator: tester\ninputs: {size: 4.2 GB}\n"
                  "signoffs: {Lead: Ana Silva}\n")  # fmt: skip
    assert run(journal, files).returncode == 3
    with Journal(journal) as opened:
        (record,) = opened.runs()
    answers = tmp_path / "full.yaml"
    answers.write_text(playbook_text(ANSWERS))
    return journal, answers, record.id


def _seq_of(journal: Path, step_id: str, type_: str = "step_finished") -> int:
    return query(
        journal, "SELECT seq FROM events WHERE step_id = ? AND type = ?", (step_id, type_)
    )[0][0]


def _sql(journal: Path, statement: str) -> None:
    connection = sqlite3.connect(journal)
    with connection:
        connection.execute(statement)
    connection.close()


def _edit_bytes(journal: Path, old: bytes, new: bytes) -> None:
    data = journal.read_bytes()
    assert data.count(old) >= 1, old
    journal.write_bytes(data.replace(old, new))


@pytest.mark.parametrize(
    "edit", ["value-by-sql", "value-bytes", "row-deleted", "projection-edited", "truncated"]
)
def test_a_hand_edited_journal_is_reported_by_verify_and_never_resumed(
    tmp_path: Path, edit: str
) -> None:
    journal, answers, run_id = _stopped_run(tmp_path)
    facts = _seq_of(journal, "facts")
    produce = _seq_of(journal, "produce")
    if edit == "value-by-sql":
        _sql(journal, f"UPDATE events SET data = replace(data, '4.2 GB', '9.9 GB') "
                      f"WHERE seq = {facts}")  # fmt: skip
        expected = [f"event {facts} (step_finished) was changed", "'9.9 GB'", "'4.2 GB'"]
    elif edit == "value-bytes":
        # The same edit made with a hex editor: bytes of the file itself.
        _edit_bytes(journal, b'"raw":"4.2 GB"', b'"raw":"4.3 GB"')
        expected = [f"event {facts} (step_finished) was changed after it was written"]
    elif edit == "row-deleted":
        # Deleting produce's result would make it look interrupted, and re-run it.
        _sql(journal, f"DELETE FROM events WHERE seq = {produce}")
        expected = [f"event {produce} is missing", "deleted"]
    elif edit == "projection-edited":
        _sql(journal, "UPDATE signoffs SET name = 'Mallory'")
        expected = ["the sign-offs table says Lead was signed by 'Mallory'", "'Ana Silva'"]
    else:
        size = journal.stat().st_size
        with journal.open("r+b") as handle:
            handle.truncate(size // 2)
        expected = ["damaged"]
    checked = verify(journal)
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert "Traceback" not in checked.stdout + checked.stderr
    said = checked.stdout + checked.stderr
    for fragment in expected:
        assert fragment in said, said

    again = resume(journal, answers)
    line = assert_one_clear_sentence(again)
    assert "verify" in line
    assert not (tmp_path / "MARKER").exists()
    assert (tmp_path / "produced.txt").read_text() == "produced\n"  # produce did not re-run
    for command in (["runs"], ["show", run_id]):
        shown = cli("--journal", str(journal), *command)
        assert "Traceback" not in shown.stdout + shown.stderr
        assert shown.returncode in {0, 1}


def test_verify_checks_every_run_and_names_the_first_bad_event_of_each(tmp_path: Path) -> None:
    journal, _, run_id = _stopped_run(tmp_path)
    files = write(tmp_path)
    assert run(journal, files).returncode == 0  # a second, completed run
    assert verify(journal).returncode == 0
    facts = _seq_of(journal, "facts")
    lead = query(
        journal,
        "SELECT seq FROM events WHERE run_id = ? AND step_id = 'lead' AND type = 'step_finished'",
        (run_id,),
    )[0][0]
    _sql(journal, f"UPDATE events SET data = replace(data, 'Ana Silva', 'Mallory') "
                  f"WHERE run_id = '{run_id}' AND seq = {lead}")  # fmt: skip
    _sql(journal, f"UPDATE events SET at = '2020-01-01T00:00:00.000+00:00' "
                  f"WHERE run_id = '{run_id}' AND seq > {lead}")  # fmt: skip
    checked = verify(journal)
    assert checked.returncode == 1
    bad = [line for line in checked.stdout.splitlines() if line.startswith("✗")]
    good = [line for line in checked.stdout.splitlines() if line.startswith("✓")]
    assert len(bad) == 1 and len(good) == 1, checked.stdout
    # The first bad event, not a later one: its seq, type and what differs.
    assert f"event {lead} (step_finished) was changed after it was written" in bad[0]
    assert "its sign-off reads 'Mallory', but 'Ana Silva' signed" in bad[0]
    assert facts < lead
    single = cli("--journal", str(journal), "verify", run_id)
    assert single.returncode == 1 and single.stdout.strip() == bad[0]
