"""A run's playbook as ``show`` needs it: phase and step titles, kinds and estimates, cached.

``show``, the history screen and the exports describe a run from its journaled playbook
snapshot. Parsing that snapshot through the full loader means importing every step model and
building their pydantic validators, most of ``deploytui show``'s start-up, only to read titles
and estimates. The snapshot was validated when the run started and its integrity is the hash
chain's job, not re-validation's; so the outline the report needs is kept in the user's cache
(``$XDG_CACHE_HOME/deploytui/outlines/``) as plain JSON, keyed by everything it derives from:
the snapshot text and path, the run's variable overrides and ``--targets`` file, and the code
that parses them (deploytui's version and the size and mtime of the model/playbook sources).

A missing, stale, unreadable or malformed cache entry is never an error: the snapshot is parsed
the full way and the entry rewritten. Writes go through a temporary file and ``os.replace``, so a
reader never sees half an entry, and a cache folder that cannot be written is ignored.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from deploytui.model.playbook import Playbook

ROLLBACK_PHASE_ID = "rollback"  # deploytui.model.playbook.ROLLBACK_PHASE_ID (a unit test checks)
FORMAT = 1  # bump when the outline's shape changes
# Kinds whose report needs the real step model (a monitor's figures are rebuilt from its samples).
NEEDS_FULL_MODEL = frozenset({"monitor"})


@dataclass(frozen=True)
class StepOutline:
    id: str
    title: str
    kind: str
    estimate: int | None


@dataclass(frozen=True)
class PhaseOutline:
    id: str
    title: str
    estimate: int | None  # the phase's planned seconds (its own estimate or its steps' sum)
    steps: list[StepOutline]

    @property
    def planned_seconds(self) -> int:
        return self.estimate or 0


@dataclass(frozen=True)
class PlaybookOutline:
    """Quacks like ``Playbook`` for ``RunState`` and the report: ordered_steps(), step(id)."""

    description: str
    budget_seconds: int | None
    variables: dict[str, Any]
    phases: list[PhaseOutline]
    rollback: PhaseOutline
    kinds: frozenset[str] = field(default_factory=frozenset)

    def ordered_steps(self) -> Iterator[tuple[str, StepOutline]]:
        for phase in self.phases:
            for step in phase.steps:
                yield phase.id, step
        for step in self.rollback.steps:
            yield ROLLBACK_PHASE_ID, step

    def step(self, step_id: str) -> StepOutline:
        for _, step in self.ordered_steps():
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def to_json(self) -> dict[str, Any]:
        def phase(item: PhaseOutline) -> dict[str, Any]:
            return {
                "id": item.id,
                "title": item.title,
                "estimate": item.estimate,
                "steps": [[s.id, s.title, s.kind, s.estimate] for s in item.steps],
            }

        return {
            "format": FORMAT,
            "description": self.description,
            "budget_seconds": self.budget_seconds,
            "variables": self.variables,
            "phases": [phase(p) for p in self.phases],
            "rollback": phase(self.rollback),
        }

    @classmethod
    def from_json(cls, data: Any) -> PlaybookOutline:
        """The outline a cache entry holds; ValueError/KeyError/TypeError if it is malformed."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError("not an outline of this format")

        def optional_int(value: Any) -> int | None:
            if value is None or (isinstance(value, int) and not isinstance(value, bool)):
                return value
            raise TypeError("an estimate is not a whole number")

        def text(value: Any) -> str:
            if not isinstance(value, str):
                raise TypeError("a title is not text")
            return value

        def phase(item: dict[str, Any]) -> PhaseOutline:
            steps = [
                StepOutline(text(i), text(t), text(k), optional_int(e))
                for i, t, k, e in item["steps"]
            ]
            return PhaseOutline(
                text(item["id"]), text(item["title"]), optional_int(item["estimate"]), steps
            )

        variables = data["variables"]
        if not isinstance(variables, dict):
            raise TypeError("variables are not a mapping")
        phases = [phase(p) for p in data["phases"]]
        rollback = phase(data["rollback"])
        kinds = frozenset(s.kind for p in [*phases, rollback] for s in p.steps)
        return cls(
            description=text(data["description"]),
            budget_seconds=optional_int(data["budget_seconds"]),
            variables=variables,
            phases=phases,
            rollback=rollback,
            kinds=kinds,
        )


def outline_of(playbook: Playbook) -> PlaybookOutline:
    """The outline of a parsed playbook (the same figures the report reads from it)."""

    def steps(items: Any) -> list[StepOutline]:
        return [
            StepOutline(step.id, step.title, getattr(step, "kind", "?"), step.estimate)
            for step in items
        ]

    phases = [
        PhaseOutline(phase.id, phase.title, phase.planned_seconds or None, steps(phase.steps))
        for phase in playbook.phases
    ]
    rollback = PhaseOutline(
        ROLLBACK_PHASE_ID,
        playbook.rollback.title,
        playbook.rollback.estimate,
        steps(playbook.rollback.steps),
    )
    return PlaybookOutline(
        description=playbook.description,
        budget_seconds=playbook.budget_seconds,
        variables=dict(playbook.variables),
        phases=phases,
        rollback=rollback,
        kinds=frozenset(s.kind for p in [*phases, rollback] for s in p.steps),
    )


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "deploytui" / "outlines"


def _code_fingerprint() -> str:
    """What parsing depends on besides the snapshot: deploytui's version and its model and
    playbook sources (size and mtime: an edited or upgraded install gets new entries)."""
    from deploytui import __version__

    package = Path(__file__).resolve().parents[1]
    parts = [__version__, str(FORMAT)]
    for folder in ("model", "playbook"):
        try:
            with os.scandir(package / folder) as entries:
                for entry in sorted(entries, key=lambda e: e.name):
                    if entry.name.endswith(".py"):
                        stat = entry.stat()
                        parts.append(f"{folder}/{entry.name}:{stat.st_size}:{stat.st_mtime_ns}")
        except OSError:
            parts.append(f"{folder}:?")
    return "\n".join(parts)


def cache_key(
    text: str, path: str, overrides: dict[str, str], targets: tuple[str, str] | None
) -> str:
    digest = hashlib.sha256()
    for part in (
        _code_fingerprint(),
        path,
        json.dumps(overrides, sort_keys=True),
        json.dumps(targets),
        text,
    ):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\x1f")
    return digest.hexdigest()


def read_cached(key: str) -> PlaybookOutline | None:
    """The cached outline, or None when there is none or it cannot be used (silently)."""
    try:
        raw = (cache_dir() / f"{key}.json").read_text(encoding="utf-8")
        return PlaybookOutline.from_json(json.loads(raw))
    except (OSError, ValueError, KeyError, TypeError, UnicodeError):
        return None


def write_cached(key: str, outline: PlaybookOutline) -> None:
    """Store an outline; a cache that cannot be written is ignored (it is only a cache)."""
    folder = cache_dir()
    target = folder / f"{key}.json"
    temporary = folder / f".{key}.{os.getpid()}.{threading.get_ident()}.tmp"  # per writer
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary.write_text(json.dumps(outline.to_json(), ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, target)
    except (OSError, TypeError, ValueError):
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
