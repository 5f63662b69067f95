"""How a journaled delivery outcome reads, the same in `show`, exports and anywhere else.

A ``notification`` event's data is ``{channel, event, ok, status, attempts, error}``; readers
of the audit trail want one line: which channel, for what, when, and whether it arrived.
"""

from __future__ import annotations

from typing import Any


def notification_line(item: dict[str, Any], when: str) -> str:
    """``✓ ops · run_started · 01:02 (2 attempts)`` or ``✗ ops · step_failed · 01:02 · why``."""
    icon = "✓" if item.get("ok") else "✗"
    attempts = item.get("attempts")
    tail = f" ({attempts} attempts)" if isinstance(attempts, int) and attempts > 1 else ""
    if not item.get("ok"):
        tail = f" · {item.get('error') or 'not delivered'}"
    return f"{icon} {item.get('channel', '?')} · {item.get('event', '?')} · {when}{tail}"
