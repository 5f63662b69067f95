"""The per-run hash chain that makes edits to a journal detectable (``deploytui verify``).

Each event's hash covers its canonical JSON and the previous event's hash, so changing, removing
or reordering any event breaks every hash after it.
"""

from __future__ import annotations

import hashlib
import json
from json.encoder import encode_basestring as _quote  # the encoder's own (ensure_ascii=False)
from typing import Any

GENESIS = "0" * 64
_sha256 = hashlib.sha256
# One encoder for every event: ``json.dumps`` with options builds a new encoder per call, a
# measurable part of each journal append. Same options, so the same bytes as ``json.dumps``.
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical(payload: Any) -> str:
    """JSON with sorted keys and no spaces: the same bytes on every machine."""
    return _ENCODER.encode(payload)


def _header(run_id: Any, seq: Any, at: Any, type_: Any, step_id: Any, attempt: Any) -> str:
    """``canonical([run_id, seq, at, type_, step_id, attempt])``, formatted directly for the
    column types the journal writes (the encoder's per-call set-up is most of a hash's cost when
    ``verify`` walks a long run); anything else (a hand-edited row) takes the encoder itself."""
    if (
        type(run_id) is str
        and type(seq) is int
        and type(at) is str
        and type(type_) is str
        and (step_id is None or type(step_id) is str)
        and (attempt is None or type(attempt) is int)
    ):
        step = "null" if step_id is None else _quote(step_id)
        tried = "null" if attempt is None else attempt
        return f"[{_quote(run_id)},{seq},{_quote(at)},{_quote(type_)},{step},{tried}]"
    return _ENCODER.encode([run_id, seq, at, type_, step_id, attempt])


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
    header = _header(run_id, seq, at, type_, step_id, attempt)
    # SHA-256 of prev_hash, header and data_json, each followed by 0x1F. Encoded and hashed in
    # one piece (UTF-8 of a concatenation is the concatenation of the UTF-8s: the same bytes as
    # hashing the parts one by one), which halves the cost of `verify` over a long run.
    return _sha256(f"{prev_hash}\x1f{header}\x1f{data_json}\x1f".encode()).hexdigest()
