"""Guess what a blank holds (type, unit, target) from the words around it.

The unit written after the blank decides first ("____ MB/GB" → size, "____ minutes" → duration,
"____ ms" → a number in ms, "____ %" → a number in %, "____ users" → a count); then the label
("Backup completion time" → date and time, "Dashboard URL" → URL, "Connection pool" → a count,
"Backup location" → a path); then a stated target's unit ("(target: < 1%)"). Anything else is
text, which accepts whatever the operator types, so a wrong guess never blocks a run.

Targets come from the slot's own clause ("(target: < 500ms)", "target: ≤ 99.9%", "(> 5%)") and
are written in the form ``InputField`` accepts ("< 500 ms"). Every field is validated with
``InputField`` before it is returned; a target the field cannot parse is moved into the help text
rather than dropped.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from deploytui.model.fields import InputField
from deploytui.model.values import DURATION_UNITS, SIZE_UNITS

_SIZE_WORDS = set(SIZE_UNITS) | {"kb", "mb", "gb", "tb", "bytes", "byte"}
_DURATION_WORDS = set(DURATION_UNITS) - {"m", "d"}
_COUNT_UNITS = {
    "users", "connections", "requests", "errors", "records", "documents", "docs", "rows",
    "files", "indexes", "indices", "nodes", "pods", "instances", "hosts", "servers", "tickets",
    "items", "messages", "jobs", "tasks", "replicas", "shards", "events", "sessions", "incidents",
    "alerts", "bugs", "tests", "failures", "retries", "count",
}  # fmt: skip
_OPS = {"≤": "<=", "≥": ">=", "=<": "<=", "=>": ">=", "<": "<", ">": ">", "<=": "<=", ">=": ">="}
_TARGET = re.compile(
    r"(?:(?P<word>target|goal|sla|slo|threshold|expected|limit|max|min)\b\s*:?\s*)?"
    r"(?P<op><=|>=|=<|=>|≤|≥|<|>)\s*(?P<num>\d[\d,]*(?:\.\d+)?)\s*(?P<unit>[A-Za-z%µ/]*)",
    re.IGNORECASE,
)
_NUMBER_PLUS = re.compile(r"^(?P<num>\d[\d,]*(?:\.\d+)?)\s*(?P<unit>[A-Za-z%/]*)\s*\+")


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def unit_kind(unit: str) -> str:
    """ "size", "duration", "count", "percent", "other" or "" for the unit written by a blank."""
    lowered = unit.strip().lower()
    if not lowered:
        return ""
    parts = [part.strip() for part in re.split(r"\s*(?:/|\bor\b)\s*", lowered) if part.strip()]
    if parts and all(part in _SIZE_WORDS for part in parts):
        return "size"
    if lowered in _DURATION_WORDS or lowered in {"minutes", "mins", "hours", "hrs", "seconds"}:
        return "duration"
    if lowered == "%":
        return "percent"
    if lowered in _COUNT_UNITS:
        return "count"
    return "other"


def target_in(text: str) -> tuple[str, str, str] | None:
    """(operator, number, unit) of a target stated in ``text``, e.g. "(target: < 500ms)"."""
    match = _TARGET.search(text)
    if not match:
        return None
    return _OPS[match.group("op")], match.group("num").replace(",", ""), match.group("unit")


def label_kind(label: str) -> str:
    """What the label's words suggest when no unit is written."""
    words = _words(label)
    lowered = label.lower()
    if "url" in words or "link" in words:
        return "url"
    if words & {"by", "name", "who", "lead", "owner", "contact", "phone", "email", "version"}:
        return "text"
    if words & {"duration", "elapsed", "downtime", "took"} or "how long" in lowered:
        return "duration"
    if words & {"date", "time", "when", "start", "started", "end", "ended", "deadline",
                "expiry", "expires", "timestamp", "completed", "finished"}:  # fmt: skip
        return "datetime"
    if words & {"size", "bytes"}:
        return "size"
    if (
        words & ({"count", "pool", "used", "total", "number"} | _COUNT_UNITS)
        or "how many" in lowered
        or "#" in label
    ):
        return "count"
    if words & {"location", "path", "directory", "dir", "folder", "file"}:
        return "path"
    return "text"


def infer_field(
    *, field_id: str, label: str, unit: str, clause: str, required: bool
) -> dict[str, Any]:
    """A validated ``InputField`` as plain data (no ``source``), for one blank."""
    data: dict[str, Any] = {"id": field_id, "label": label}
    target = target_in(clause)
    kind = unit_kind(unit)
    if not kind and target and target[2]:
        kind = unit_kind(target[2])
        if kind == "other" or kind == "percent":
            unit = target[2]
    if kind == "size":
        data["type"] = "size"
    elif kind == "duration":
        data["type"] = "duration"
    elif kind == "count":
        data["type"] = "integer"
        data["unit"] = unit
    elif kind in {"percent", "other"}:
        data["type"] = "number"
        data["unit"] = unit
    else:
        guess = label_kind(label)
        data["type"] = {"count": "integer"}.get(guess, guess)
        if target and data["type"] == "text":
            data["type"] = "number"
    if target:
        op, number, target_unit = target
        shown_unit = target_unit or (unit if kind in {"size", "duration", "percent"} else "")
        if kind == "duration" and not target_unit:
            shown_unit = unit
        data["target"] = f"{op} {number} {shown_unit}".strip()
    help_text = hint(clause)
    if help_text:
        data["help"] = help_text
    if not required:
        data["required"] = False
    return validated(data)


def hint(clause: str) -> str:
    """Help text from a slot's clause: its parenthesis ("(tested: 200 req/s)"), minus the next
    slot's label ("(Database Admin, Phone:" → "Database Admin") and minus a bare target."""
    match = re.search(r"\(([^()]*)\)?", clause)
    if not match:
        return ""
    text = re.sub(r"(?:^|[,;])\s*[^,;:]*:\s*$", "", match.group(1)).strip(" ,;")
    if _TARGET.fullmatch(text.strip()):
        return ""
    return text if re.search(r"[A-Za-z0-9]", text) else ""


def validated(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` if it makes a valid ``InputField``; else the nearest valid simplification."""
    attempts = [data]
    if "target" in data:
        without = {key: value for key, value in data.items() if key != "target"}
        note = f"target {data['target']}"
        without["help"] = f"{data.get('help', '')} ({note})".strip() if data.get("help") else note
        attempts.append(without)
    attempts.append(
        {key: value for key, value in data.items() if key in {"id", "label", "help", "required"}}
    )
    for attempt in attempts:
        try:
            InputField.model_validate(attempt)
        except ValidationError:
            continue
        return attempt
    raise AssertionError(f"a text field always validates: {data!r}")


def stated_target(text: str) -> tuple[str, str, str] | None:
    """A target stated without a blank: "< 200ms (95th percentile)" or "10,000+"."""
    stripped = text.strip()
    match = _TARGET.match(stripped)
    if match:
        return _OPS[match.group("op")], match.group("num").replace(",", ""), match.group("unit")
    plus = _NUMBER_PLUS.match(stripped)
    if plus:
        return ">=", plus.group("num").replace(",", ""), plus.group("unit")
    return None


def target_field(field_id: str, label: str, target: tuple[str, str, str]) -> dict[str, Any]:
    """A field to record a measured value against a target the checklist states."""
    op, number, unit = target
    kind = unit_kind(unit)
    data: dict[str, Any] = {"id": field_id, "label": label}
    if kind == "size":
        data["type"] = "size"
    elif kind == "duration" or unit.lower() == "s":
        data["type"] = "duration"
    elif unit:
        data.update(type="number", unit=unit)
    else:
        data["type"] = "integer" if "." not in number else "number"
    data["target"] = f"{op} {number} {unit}".strip()
    return validated(data)
