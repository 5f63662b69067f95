"""Hostile input at the edges that touch the machine: values full of shell metacharacters
reaching a local command and an ssh command (a real sshd on loopback), and the command line
fed the nastiest files under a hard time and memory limit.

A value typed as an answer or captured from a command's output reaches a command only quoted:
the marker file the payload tries to create never exists, and the command sees the exact text.
The CLI, run in a subprocess with ``RLIMIT_AS`` and a timeout, answers every nasty file with a
positioned sentence and exit 2 — no traceback, no hang, no runaway memory.
"""

from __future__ import annotations

import json
import resource
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.core_helpers import PYTHON

MEMORY_LIMIT = 1024 * 1024 * 1024  # 1 GiB of address space for the whole CLI process
TIMEOUT = 60


def payloads(marker: Path) -> list[str]:
    return [
        f"$(touch {marker})",
        f"; touch {marker}",
        f"`touch {marker}`",
        f"' ; touch {marker} ; '",
        f'" ; touch {marker} ; "',
        f"a && touch {marker} || touch {marker} | touch {marker} > {marker}",
        f"${{IFS}}touch${{IFS}}{marker}",
        f"\\'; touch {marker}; echo \\'",
        "{{ secrets.token }} {{ inputs.v }} %s %n {0}",
    ]


def hostile_playbook(folder: Path, count: int) -> dict[str, Any]:
    """One run for every payload: payload N is typed as ``vN`` and captured as ``gotN`` (from a
    file the test writes), then each is written by a local and by an ssh command."""
    fields = [{"id": f"v{n}", "type": "text"} for n in range(count)]
    captures = [{"name": f"got{n}", "pattern": f"^token{n}=(.*)"} for n in range(count)]
    writes = " ".join(
        f"printf '%s' {{{{ inputs.{name}{n} }}}} > {folder}/WHERE-{name}{n}.txt;"
        for n in range(count)
        for name in ("v", "got")
    )
    steps = [
        {"id": "ask", "kind": "input", "title": "Typed answers", "fields": fields},
        {
            "id": "read",
            "kind": "local",
            "title": "Capture values from output",
            "command": f"cat {folder}/captured.txt",
            "capture": captures,
        },
        {"id": "use_local", "kind": "local", "title": "Use locally",
         "command": writes.replace("WHERE", "local")},
        {"id": "use_ssh", "kind": "ssh", "title": "Use over ssh", "hosts": ["box"],
         "command": writes.replace("WHERE", "ssh")},
    ]  # fmt: skip
    return {
        "name": "hostile values",
        "targets": {"ssh": {"box": {"host": "box.example.com"}}},
        "phases": [{"id": "p", "title": "P", "steps": steps}],
    }


def limited() -> None:
    """Run in the child: cap its address space (a runaway parse dies, it cannot eat the box)."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def cli_limited(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "deploytui.cli", *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        preexec_fn=limited,
    )


def test_shell_metacharacters_reach_local_and_ssh_commands_only_quoted(
    sshd: Any, ssh_keys: Any, tmp_path: Path
) -> None:
    marker = tmp_path / "PWNED"
    hostile = payloads(marker)
    playbook = tmp_path / "hostile.yaml"
    playbook.write_text(yaml.safe_dump(hostile_playbook(tmp_path, len(hostile))))
    known_hosts = ssh_keys.known_hosts(tmp_path / "known_hosts", [sshd.port])
    targets = tmp_path / "targets.yaml"
    targets.write_text(yaml.safe_dump({"ssh": {"box": sshd.target(known_hosts=str(known_hosts))}}))
    # An answer may hold newlines too; a captured value is one line of output.
    typed = {f"v{n}": f"{payload} typed\ntouch {marker}\nend" for n, payload in enumerate(hostile)}
    captured = {f"got{n}": f"{payload} captured" for n, payload in enumerate(hostile)}
    (tmp_path / "captured.txt").write_text(
        "".join(f"token{name[3:]}={value}\n" for name, value in captured.items())
    )
    answers = tmp_path / "answers.yaml"
    answers.write_text(json.dumps({"operator": "t", "inputs": typed}))
    result = cli_limited(
        "--journal", str(tmp_path / "journal.db"), "run", str(playbook), "--headless",
        "--answers", str(answers), "--targets", str(targets), cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, (result.stdout[-2000:], result.stderr)
    assert not marker.exists()
    for where in ("local", "ssh"):
        for name, value in {**typed, **captured}.items():
            written = (tmp_path / f"{where}-{name}.txt").read_text()
            assert written == value, (where, name, value, written)
    assert sorted(path.name for path in tmp_path.iterdir() if "PWNED" in path.name) == []


def test_a_multi_line_answer_reaches_the_command_as_one_word(tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"
    playbook = tmp_path / "lines.yaml"
    playbook.write_text(
        "name: lines\nphases:\n  - id: p\n    title: P\n    steps:\n"
        "      - {id: ask, kind: input, title: Ask, fields: [{id: v, type: text}]}\n"
        f"      - {{id: use, kind: local, title: Use, command: \"printf '%s' {{{{ inputs.v }}}} "
        f'> {tmp_path}/out.txt"}}\n'
    )
    value = f"first line\ntouch {marker}\n$(touch {marker})"
    answers = tmp_path / "answers.yaml"
    answers.write_text(json.dumps({"inputs": {"v": value}}))
    result = cli_limited(
        "run", str(playbook), "--headless", "--answers", str(answers), cwd=tmp_path
    )
    if result.returncode == 0:
        assert (tmp_path / "out.txt").read_text() == value
    else:  # refused as an answer: a sentence naming the field, and nothing ran
        assert result.returncode in {1, 3} and "v" in result.stderr + result.stdout
        assert not (tmp_path / "out.txt").exists()
    assert "Traceback" not in result.stderr
    assert not marker.exists()


# -- the nastiest files, through the real command line -------------------------------------------


def nasty_files(folder: Path) -> dict[str, Path]:
    """Hostile playbooks: each must be refused with file:line:col, fast and in bounded memory."""
    files: dict[str, bytes] = {
        "alias-bomb": (
            b"a: &a ['lol','lol','lol','lol','lol','lol','lol','lol','lol']\n"
            + b"".join(
                f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n".encode()
                for i in range(12)
            )
        ),
        "deep-nesting": b"a: " + b"[" * 100_000 + b"]" * 100_000 + b"\n",
        "deep-after-anchor": b"a: &x !!seq " + b"[" * 100_000 + b"\n",
        "deep-mapping": b"".join(b"  " * i + b"k:\n" for i in range(3000)),
        "huge-file": b"name: x\nphases: []\n# " + b"x" * 60_000_000 + b"\n",
        "huge-line": b"name: '" + b"y" * 4_000_000 + b"'\nphases: []\n",
        "binary-junk": bytes(range(256)) * 200,
        "python-tag": b"name: !!python/object/apply:os.system ['touch PWNED']\nphases: []\n",
        "nul-bytes": b"name: x\x00y\nphases: []\n",
        "invalid-utf8": b"name: caf\xe9\nphases: []\n",
        "template-flood": b"name: x\nphases: []\ndescription: '" + b"{{ " * 200_000 + b"'\n",
    }
    paths = {}
    for name, data in files.items():
        path = folder / f"{name}.yaml"
        path.write_bytes(data)
        paths[name] = path
    return paths


@pytest.fixture(scope="module")
def nasty(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return nasty_files(tmp_path_factory.mktemp("nasty"))


def assert_refused(result: subprocess.CompletedProcess[str], path: Path) -> None:
    said = result.stdout + result.stderr
    assert result.returncode == 2, (result.returncode, said[-2000:])
    assert "Traceback" not in said and "internal error" not in said, said[-2000:]
    assert "MemoryError" not in said and "RecursionError" not in said
    assert f"{path}:" in said, said[-2000:]  # file:line:col
    assert len(said) < 20_000  # a sentence, not the file echoed back


@pytest.mark.parametrize(
    "name",
    [
        "alias-bomb", "deep-nesting", "deep-after-anchor", "deep-mapping", "huge-file",
        "huge-line", "binary-junk",
        "python-tag", "nul-bytes", "invalid-utf8", "template-flood",
    ],
)  # fmt: skip
def test_the_cli_refuses_nasty_playbooks_with_a_position(
    nasty: dict[str, Path], name: str, tmp_path: Path
) -> None:
    path = nasty[name]
    assert_refused(cli_limited("validate", str(path), cwd=tmp_path), path)
    journal = tmp_path / "journal.db"
    ran = cli_limited("--journal", str(journal), "run", str(path), "--headless", cwd=tmp_path)
    assert_refused(ran, path)
    assert not journal.exists() or "runs" not in ran.stdout  # no run was started
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.parametrize(
    "name", ["alias-bomb", "deep-nesting", "huge-file", "binary-junk", "python-tag", "nul-bytes",
             "invalid-utf8"],
)  # fmt: skip
def test_the_cli_refuses_nasty_answers_files_with_a_position(
    nasty: dict[str, Path], name: str, tmp_path: Path
) -> None:
    from deploytui.demo import bundled_playbook

    path = nasty[name]
    result = cli_limited(
        "--journal", str(tmp_path / "j.db"), "run", str(bundled_playbook()), "--headless",
        "--answers", str(path), "--var", "demo_url=http://127.0.0.1:9", cwd=tmp_path,
    )  # fmt: skip
    assert_refused(result, path)
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.parametrize(
    "name", ["deep-nesting", "huge-file", "huge-line", "binary-junk", "nul-bytes", "invalid-utf8"]
)
def test_the_cli_imports_nasty_checklists_or_refuses_them_cleanly(
    nasty: dict[str, Path], name: str, tmp_path: Path
) -> None:
    source = tmp_path / f"{name}.md"
    source.write_bytes(nasty[name].read_bytes())
    result = cli_limited("import", str(source), "-o", str(tmp_path / "out.yaml"), cwd=tmp_path)
    said = result.stdout + result.stderr
    assert "Traceback" not in said and "internal error" not in said, said[-2000:]
    if result.returncode == 0:  # whatever it made is a playbook that validates
        checked = cli_limited("validate", str(tmp_path / "out.yaml"), cwd=tmp_path)
        assert checked.returncode == 0, checked.stdout[-2000:]
    else:
        assert result.returncode == 2 and f"{source}" in said, said[-2000:]
