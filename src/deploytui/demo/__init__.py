"""The bundled demo: a small but complete maintenance window and the service it checks."""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).parent


def bundled_playbook() -> Path:
    return _HERE / "demo.yaml"


def bundled_answers() -> Path:
    return _HERE / "demo-answers.yaml"
