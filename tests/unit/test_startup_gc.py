"""Start-up runs the garbage collector rarely, and ``started()`` goes back to the normal pace
with start-up's long-lived objects frozen (``deploytui.startup``)."""

from __future__ import annotations

import gc
import subprocess
import sys

from deploytui import startup


def test_starting_then_started_restores_the_default_pace() -> None:
    before = gc.get_threshold()
    try:
        startup.starting()
        assert gc.get_threshold() == startup._STARTUP
        frozen = gc.get_freeze_count()
        startup.started()
        assert gc.get_threshold() == startup._DEFAULT
        assert gc.get_freeze_count() > frozen
        startup.started()  # a second call changes nothing
        assert gc.get_threshold() == startup._DEFAULT
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_a_headless_run_goes_back_to_the_default_pace(tmp_path) -> None:
    playbook = tmp_path / "p.yaml"
    playbook.write_text(
        "name: gc\nphases:\n  - id: main\n    title: Main\n    steps:\n"
        "      - {id: hello, kind: local, title: Hello, command: 'echo hi'}\n"
    )
    probe = (
        "import gc, sys\n"
        "from deploytui.cli import main\n"
        f"sys.argv = ['deploytui', 'run', {str(playbook)!r}, '--headless', '--journal', "
        f"{str(tmp_path / 'j.db')!r}]\n"
        "code = main()\n"
        "print('RESULT', code, gc.get_threshold() == (700, 10, 10), gc.get_freeze_count() > 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert "RESULT 0 True True" in result.stdout, result.stdout + result.stderr
