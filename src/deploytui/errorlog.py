"""The internal-error log: where an unexpected exception goes instead of the operator's screen.

Both the CLI (``cli.dispatch``) and the TUI (``DeployApp._fatal_error``) write here, so "never a
traceback in front of the operator" holds for either, and the file is where the sentence they
print points to. Every secret the process has read is masked in it: an exception's message (or a
frame) may carry a URI or a rendered command.
"""

from __future__ import annotations

import os
import traceback
from datetime import UTC, datetime
from pathlib import Path


def log_path() -> Path:
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "deploytui" / "deploytui.log"


def log_exception(error: BaseException) -> Path:
    """Append ``error``'s traceback (no locals; secrets masked) to the log; return its path."""
    from deploytui import __version__
    from deploytui.secretstore import mask_resolved

    path = log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as log:
            log.write(f"--- {datetime.now(UTC).isoformat()} deploytui {__version__}\n")
            log.write(mask_resolved("".join(traceback.format_exception(error))))
    except OSError:
        pass
    return path


def internal_error_sentence(error: BaseException, where: str = "") -> str:
    """What the operator reads instead of a traceback (masked)."""
    from deploytui.secretstore import mask_resolved

    return mask_resolved(f"deploytui: internal error{where}: {error.__class__.__name__}: {error}")
