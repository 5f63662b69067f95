"""The ``hold`` step kind and the wall-clock arithmetic of holds.

"Monitor for 24 hours" must not mean a terminal open for a day: a hold parks the run until a
time (``until: "04:00"``, the next occurrence of that local time, or an ISO datetime) or for a
while (``for: 2h``). The moment is computed once, when the hold is reached, and journaled in UTC,
so a daylight-saving change or a laptop that slept in between cannot move it. The same helpers
word a parked run ("waiting until 04:00", with the date when it is not today) everywhere:
the engine's outcome, ``runs``, ``show`` and the TUI.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from deploytui.model.step_base import StepBase, duration_seconds_bare
from deploytui.model.values import format_duration

_CLOCK_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class HoldError(ValueError):
    """An ``until`` that is neither a time of day nor a date and time."""


def parse_until(text: str) -> time | datetime:
    """``"04:00"`` → a time of day; ``"2026-11-23T04:00"`` (offset optional) → a datetime."""
    text = str(text).strip()
    match = _CLOCK_TIME.match(text)
    if match:
        return time(int(match.group(1)), int(match.group(2)))
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise HoldError(
            f"until '{text}' is not a time: write a time of day like \"04:00\" (24-hour, "
            'the next time it comes) or a date and time like "2026-11-23T04:00" '
            "(local time unless it ends with Z or +01:00)"
        ) from None


def _localize(moment: datetime, tz: tzinfo | None) -> datetime:
    """A naive local date-time made aware in ``tz`` (the machine's zone when None), DST-aware."""
    if tz is None:
        # astimezone() on a naive datetime asks the C library (mktime), which knows the zone's
        # rules for *that* date, unlike the fixed offset of datetime.now().astimezone().
        aware = moment.astimezone()
        if aware.replace(tzinfo=None) != moment:
            # A time the clocks skip (02:30 when they jump from 02:00 to 03:00): mktime reads it
            # with the offset after the change, an hour *early* (01:30). fold=1 gives the one
            # before it, as ZoneInfo does: an hour late (03:30), never before the time asked.
            aware = moment.replace(fold=1).astimezone()
        return aware
    return moment.replace(tzinfo=tz)


def _local_date(moment: datetime, tz: tzinfo | None) -> date:
    return (moment.astimezone(tz) if tz is not None else moment.astimezone()).date()


def next_occurrence(at: time, now: datetime, tz: tzinfo | None = None) -> datetime:
    """The first moment at or after ``now`` whose local time of day is ``at``, in UTC.

    Computed on the local calendar (so "04:00" stays 04:00 across a DST change) and returned
    in UTC, which is what the journal stores.
    """
    day = _local_date(now, tz)
    for offset in range(3):  # today, tomorrow; a third day only if a DST gap ate the time
        candidate = _localize(datetime.combine(day + timedelta(days=offset), at), tz)
        if candidate.astimezone(UTC) >= now:
            return candidate.astimezone(UTC)
    raise HoldError(f"no next occurrence of {at:%H:%M}")  # pragma: no cover - unreachable


def hold_until(
    *, until: str | None, seconds: float | None, now: datetime, tz: tzinfo | None = None
) -> datetime:
    """When a hold reached at ``now`` (aware, UTC) ends, as an aware UTC datetime."""
    if seconds is not None:
        return now + timedelta(seconds=seconds)
    parsed = parse_until(until or "")
    if isinstance(parsed, time):
        return next_occurrence(parsed, now, tz)
    if parsed.tzinfo is None:
        parsed = _localize(parsed, tz)
    return parsed.astimezone(UTC)


def as_utc(iso: str) -> datetime:
    """A journaled ISO time as an aware UTC datetime (naive text is taken as UTC)."""
    moment = datetime.fromisoformat(iso)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def until_text(until: datetime | str, now: datetime, tz: tzinfo | None = None) -> str:
    """``04:00`` in local time, with the date when it is not today: ``2026-11-23 04:00``."""
    moment = as_utc(until) if isinstance(until, str) else until
    local = moment.astimezone(tz) if tz is not None else moment.astimezone()
    if local.date() == _local_date(now, tz):
        return local.strftime("%H:%M")
    return local.strftime("%Y-%m-%d %H:%M")


def waiting_text(until: datetime | str, now: datetime, tz: tzinfo | None = None) -> str:
    """How a parked run reads everywhere: ``waiting until 04:00``."""
    return f"waiting until {until_text(until, now, tz)}"


class HoldStep(StepBase):
    """Park the run until a time of day, a date and time, or for a while; then go on."""

    kind: Literal["hold"]
    until: str | None = Field(
        default=None,
        description='A time of day "HH:MM" (its next occurrence, local time) or an ISO date '
        'and time ("2026-11-23T04:00", local unless it has Z or an offset).',
    )
    for_: float | None = Field(
        default=None,
        alias="for",
        description="How long to hold from when the step is reached (30m, 2h, 1h30m; a bare "
        "number is seconds, as for a monitor's duration).",
    )

    @model_validator(mode="before")
    @classmethod
    def _estimate_from_for(cls, data: Any) -> Any:
        # The window clock plans with estimates: a `for` hold takes its length unless told
        # otherwise (an `until` hold's length is only known when it is reached).
        if isinstance(data, dict) and data.get("estimate") is None and data.get("for") is not None:
            try:
                seconds = duration_seconds_bare(data["for"])
            except ValueError:
                return data  # the `for` validator reports it, at its line
            if seconds:
                # Written with its unit: a bare number would be minutes for `estimate`.
                return {**data, "estimate": f"{round(seconds)}s"}
        return data

    @field_validator("until", mode="before")
    @classmethod
    def _until_text(cls, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            raise ValueError('until must be quoted text like "04:00" or "2026-11-23T04:00"')
        parse_until(str(value))  # raises with a sentence the loader shows at file:line
        return str(value).strip()

    @field_validator("for_", mode="before")
    @classmethod
    def _for_seconds(cls, value: Any) -> float | None:
        # Bare numbers are seconds so the value survives the engine's render round trip.
        seconds = duration_seconds_bare(value)
        if seconds is not None and seconds <= 0:
            raise ValueError("for must be longer than zero, like 30m or 2h")
        return seconds

    @model_validator(mode="after")
    def _exactly_one(self) -> HoldStep:
        if (self.until is None) == (self.for_ is None):
            raise ValueError(
                'a hold needs exactly one of until ("04:00" or a date and time) or for (2h)'
            )
        return self

    def ends_at(self, now: datetime, tz: tzinfo | None = None) -> datetime:
        """When this hold, reached at ``now``, ends (aware UTC)."""
        return hold_until(until=self.until, seconds=self.for_, now=now, tz=tz)

    def wording(self) -> str:
        """What the hold waits for, as written: "until 04:00" or "for 2h"."""
        if self.for_ is not None:
            return f"for {format_duration(self.for_)}"
        return f"until {self.until}"

    def describe_action(self, targets: object) -> tuple[str | None, str | None]:
        """The step header's action line: what the hold waits for."""
        return f"hold {self.wording()}", None
