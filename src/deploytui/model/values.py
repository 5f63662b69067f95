"""Parse and format the typed values an operator types in or a command prints.

Checklists are full of blanks like "Backup size: ____ MB" or "Actual duration: ____ minutes".
This module turns what a tired human types ("4.2gb", "1h30m", "00:25", "312 ms", "yes") into a
normalised value plus a display string with units, or a plain-sentence error saying what is
expected. It is pure (no I/O) so the engine, the importer and the UI all agree on one parser.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from urllib.parse import urlparse

SIZE_UNITS: dict[str, int] = {
    "b": 1,
    "byte": 1,
    "bytes": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "tb": 1000**4,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
}
SIZE_DISPLAY = ["B", "KB", "MB", "GB", "TB"]

DURATION_UNITS: dict[str, int] = {
    "s": 1,
    "sec": 1,
    "secs": 1,
    "second": 1,
    "seconds": 1,
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
}

# Units that are the same quantity at a different scale, so "0.3 s" answers a field in ms.
CONVERTIBLE_UNITS: dict[str, tuple[str, float]] = {
    "ms": ("time", 0.001),
    "s": ("time", 1.0),
    "sec": ("time", 1.0),
    "min": ("time", 60.0),
    "us": ("time", 0.000001),
}

_NUMBER = r"[-+]?(?:\d+(?:[.,]\d+)?|\.\d+)"
_DURATION_PART = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*", re.IGNORECASE)
_CLOCK = re.compile(r"^(\d{1,3}):(\d{2})(?::(\d{2}))?$")
_NUMBER_WITH_UNIT = re.compile(rf"^\s*({_NUMBER})\s*([^\d\s].*)?\s*$")


class InvalidValue(ValueError):
    """A value the operator typed that does not fit its field; the message is for them."""


def parse_number_text(text: str) -> float:
    """Parse "1,234.5", "1234,5" or "12" into a float; raise with a plain message."""
    cleaned = text.strip().replace("_", "")
    if cleaned.count(",") and cleaned.count("."):
        cleaned = cleaned.replace(",", "")
    elif cleaned.count(",") == 1 and len(cleaned.split(",")[1]) != 3:
        cleaned = cleaned.replace(",", ".")
    else:
        cleaned = cleaned.replace(",", "")
    try:
        value = float(cleaned)
    except ValueError:
        raise InvalidValue(f"'{text}' is not a number") from None
    if not math.isfinite(value):
        raise InvalidValue(f"'{text}' is not a finite number")
    return value


def parse_size(text: str) -> int:
    """Parse "4.2 GB", "512mb", "1.5 GiB" into bytes (decimal KB/MB/GB, binary KiB/MiB/GiB)."""
    match = _NUMBER_WITH_UNIT.match(text)
    if not match:
        raise InvalidValue(f"'{text}' is not a size; type a number and a unit, e.g. 4.2 GB")
    number = parse_number_text(match.group(1))
    unit = (match.group(2) or "").strip().lower()
    if not unit:
        raise InvalidValue(f"'{text}' has no unit; add KB, MB, GB or TB (e.g. {text.strip()} MB)")
    if unit not in SIZE_UNITS:
        unit = unit.rstrip("s") if unit.rstrip("s") in SIZE_UNITS else unit
    if unit not in SIZE_UNITS and unit + "b" in SIZE_UNITS:
        unit = unit + "b"
    if unit not in SIZE_UNITS:
        raise InvalidValue(f"'{unit}' is not a size unit; use B, KB, MB, GB or TB")
    if number < 0:
        raise InvalidValue("a size cannot be negative")
    return round(number * SIZE_UNITS[unit])


def format_size(size_bytes: float) -> str:
    """Format bytes as "4.2 GB" (decimal units, at most three significant figures)."""
    value = float(size_bytes)
    for unit in SIZE_DISPLAY:
        if abs(value) < 1000 or unit == SIZE_DISPLAY[-1]:
            if unit == "B":
                return f"{int(value)} B"
            return f"{_trim(value)} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def _trim(value: float) -> str:
    if abs(value) >= 100:
        return f"{value:.0f}"
    text = f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def parse_duration(text: str, bare_unit: str = "m") -> int:
    """Parse "15m", "1h30m", "1h 05m", "90s", "00:25" (hh:mm) or a bare number into seconds.

    A bare number is read in ``bare_unit`` (minutes by default, as checklists say
    "____ minutes").
    """
    return round(parse_duration_exact(text, bare_unit))


def parse_duration_exact(text: str, bare_unit: str = "m") -> float:
    """Like ``parse_duration`` but keeps fractions of a second ("0.5s" for timeouts)."""
    raw = text.strip().lower()
    if not raw:
        raise InvalidValue("a duration is required, e.g. 15m or 1h30m")
    clock = _CLOCK.match(raw)
    if clock:
        hours, minutes, seconds = clock.group(1), clock.group(2), clock.group(3)
        if int(minutes) >= 60 or (seconds and int(seconds) >= 60):
            raise InvalidValue(f"'{text}' is not a valid hh:mm duration")
        return int(hours) * 3600 + int(minutes) * 60 + int(seconds or 0)
    try:
        number = float(raw)
    except ValueError:
        pass
    else:
        if number < 0 or not math.isfinite(number):
            raise InvalidValue("a duration cannot be negative")
        return number * DURATION_UNITS[bare_unit]
    total = 0.0
    position = 0
    for match in _DURATION_PART.finditer(raw):
        if match.start() != position:
            break
        unit = match.group(2)
        if unit not in DURATION_UNITS:
            raise InvalidValue(f"'{unit}' is not a duration unit; use s, m, h or d (e.g. 1h30m)")
        total += float(match.group(1)) * DURATION_UNITS[unit]
        position = match.end()
    if position != len(raw) or position == 0:
        raise InvalidValue(f"'{text}' is not a duration; write it like 15m, 1h30m, 90s or 00:25")
    return total


def format_duration(seconds: float) -> str:
    """Format seconds as "45s", "25m", "1h 05m" (operators read these at a glance)."""
    total = round(seconds)
    sign = "-" if total < 0 else ""
    total = abs(total)
    if total < 60:
        return f"{sign}{total}s"
    hours, remainder = divmod(total, 3600)
    minutes, secs = divmod(remainder, 60)
    if hours == 0:
        return (
            f"{sign}{minutes}m" if secs == 0 or minutes >= 10 else f"{sign}{minutes}m {secs:02d}s"
        )
    return f"{sign}{hours}h {minutes:02d}m"


def format_clock(seconds: float) -> str:
    """Format seconds as "01:12" (hh:mm) for the window clock."""
    total = max(0, round(seconds))
    hours, remainder = divmod(total, 3600)
    return f"{hours:02d}:{remainder // 60:02d}"


def parse_number_with_unit(text: str, unit: str | None) -> float:
    """Parse "312", "312 ms", "312ms" or "0.3 s" for a field whose unit is ``unit``."""
    match = _NUMBER_WITH_UNIT.match(text)
    if not match:
        hint = f", e.g. 312 {unit}" if unit else ""
        raise InvalidValue(f"'{text}' is not a number{hint}")
    number = parse_number_text(match.group(1))
    given = (match.group(2) or "").strip()
    if not given or unit is None or given.lower() == unit.lower():
        if given and unit is None:
            raise InvalidValue(f"this field takes a plain number, without '{given}'")
        return number
    source, target = CONVERTIBLE_UNITS.get(given.lower()), CONVERTIBLE_UNITS.get(unit.lower())
    if source and target and source[0] == target[0]:
        return number * source[1] / target[1]
    raise InvalidValue(f"expected a value in {unit}, got '{given}'")


def percentile(ordered: list[float], pct: float) -> float | None:
    """Nearest-rank percentile of sorted values: the smallest with ``pct`` % at or below it."""
    if not ordered:
        return None
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def format_number(value: float, unit: str | None = None) -> str:
    """Format 312.0 as "312", 99.95 as "99.95", with the unit after a space ("312 ms", "5 %")."""
    text = f"{int(value)}" if float(value).is_integer() else f"{value:.6g}"
    if not unit:
        return text
    return f"{text} {unit}"


def parse_integer(text: str) -> int:
    """Parse a whole number, allowing thousands separators ("18", "1,200")."""
    value = parse_number_text(text)
    if not float(value).is_integer():
        raise InvalidValue(f"'{text}' is not a whole number")
    return int(value)


_DATETIME_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d",
]


def parse_datetime(text: str, now: datetime | None = None) -> datetime:
    """Parse "2026-11-22 02:15", an ISO timestamp, "02:15" (today) or "now"."""
    raw = text.strip()
    current = now or datetime.now().astimezone()
    if raw.lower() == "now":
        return current.replace(microsecond=0)
    clock = re.fullmatch(r"(\d{1,2}):(\d{2})(?::(\d{2}))?", raw)
    if clock:
        hour, minute, second = int(clock.group(1)), int(clock.group(2)), int(clock.group(3) or 0)
        if hour > 23 or minute > 59 or second > 59:
            raise InvalidValue(f"'{text}' is not a time of day")
        return current.replace(hour=hour, minute=minute, second=second, microsecond=0)
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        parsed = None
        for fmt in _DATETIME_FORMATS:
            try:
                parsed = datetime.strptime(raw, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        raise InvalidValue(f"'{text}' is not a date and time; write 2026-11-22 02:15, 02:15 or now")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=current.tzinfo or UTC)
    return parsed


def format_datetime(value: datetime) -> str:
    """Format a timestamp the way the report and the screen show it."""
    return value.strftime("%Y-%m-%d %H:%M")


def parse_url(text: str) -> str:
    """Accept an http(s) URL with a host."""
    raw = text.strip()
    parts = urlparse(raw)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise InvalidValue(f"'{text}' is not a URL; write it like https://host/path")
    return raw


def match_choice(text: str, options: list[str]) -> str:
    """Match a typed answer against the options, case-insensitively ("yes" → "YES", "n/a")."""
    raw = text.strip()
    lowered = raw.lower()
    for option in options:
        if option.lower() == lowered:
            return option
    aliases = {"y": "yes", "n": "no", "na": "n/a", "none": "n/a"}
    if lowered in aliases:
        return match_choice(aliases[lowered], options)
    matches = [option for option in options if option.lower().startswith(lowered)] if raw else []
    if len(matches) == 1:
        return matches[0]
    raise InvalidValue(f"'{text}' is not one of: {' / '.join(options)}")
