"""The bundled demo: a small but complete maintenance window and the service it checks."""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).parent


def bundled_playbook() -> Path:
    return _HERE / "demo.yaml"


def bundled_answers() -> Path:
    return _HERE / "demo-answers.yaml"


def is_bundled_demo(path: str | Path) -> bool:
    """Whether a run's playbook path is the bundled demo (which needs the demo service)."""
    try:
        return Path(path).resolve() == bundled_playbook().resolve()
    except OSError:
        return False
