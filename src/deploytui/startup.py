"""Start-up pace for Python's cyclic garbage collector.

Starting a command creates a few hundred thousand objects that live as long as the process
(modules, pydantic models, the playbook, the TUI's widgets and styles). At the default pace the
collector scans them again and again while they are being created: measured here, about a fifth
of the CPU time from ``deploytui run`` to an interactive run screen. ``starting()`` (called first
thing by the console script; not when ``main`` is called with arguments, as tests do) makes
collections rare; ``started()`` (called where a run or the TUI begins its long life) sets what
start-up built aside for good with ``gc.freeze()`` and goes back to the default pace. A command
that never calls ``started()`` (``validate``, ``show``...) is short and still collects, only
less often.
"""

from __future__ import annotations

import gc

_DEFAULT = gc.get_threshold()
# Young collections every 50,000 allocations instead of 700: few, and the full ones rarer still.
_STARTUP = (50_000, 50, 50)


def starting() -> None:
    gc.set_threshold(*_STARTUP)


def started() -> None:
    if gc.get_threshold() == _STARTUP:
        gc.freeze()
        gc.set_threshold(*_DEFAULT)
