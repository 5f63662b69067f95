"""The per-run hash chain that makes edits to a journal detectable (``deploytui verify``).

Each event's hash covers its canonical JSON and the previous event's hash, so changing, removing
or reordering any event breaks every hash after it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

GENESIS = "0" * 64
# One encoder for every event: ``json.dumps`` with options builds a new encoder per call, a
# measurable part of each journal append. Same options, so the same bytes as ``json.dumps``.
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical(payload: Any) -> str:
    """JSON with sorted keys and no spaces: the same bytes on every machine."""
    return _ENCODER.encode(payload)


def event_hash(
    prev_hash: str,
    run_id: str,
    seq: int,
    at: str,
    type_: str,
    step_id: str | None,
    attempt: int | None,
    data_json: str,
) -> str:
    header = canonical([run_id, seq, at, type_, step_id, attempt])
    digest = hashlib.sha256()
    for part in (prev_hash, header, data_json):
        digest.update(part.encode())
        digest.update(b"\x1f")
    return digest.hexdigest()
