"""Playbook files: safe YAML loading with positions, validation, cross-checks and templating.

The loader's names are resolved on first use (PEP 562): importing ``deploytui.playbook.templating``
(as ``show`` does for templated titles) must not import the loader and every step model with it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from deploytui.playbook.loader import LoadedPlaybook, PlaybookError, Problem, load_playbook

__all__ = ["LoadedPlaybook", "PlaybookError", "Problem", "load_playbook"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from deploytui.playbook import loader

        return getattr(loader, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
