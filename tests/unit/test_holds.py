"""Hold times: "HH:MM" is its next occurrence on the local calendar (across midnight and DST
changes), ISO datetimes are local unless they carry an offset, ``for`` is exact seconds; all are
stored in UTC. The ``hold`` kind accepts exactly one of until/for with errors at file:line."""

from __future__ import annotations

import time as time_module
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from deploytui.engine.headless import load_answers
from deploytui.model.events import DecisionAction
from deploytui.model.hold_step import (
    HoldError,
    HoldStep,
    hold_until,
    next_occurrence,
    parse_until,
    until_text,
    waiting_text,
)
from deploytui.playbook.loader import PlaybookError
from tests.core_helpers import load

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("04:00", time(4, 0)), ("4:05", time(4, 5)), ("23:59", time(23, 59)), ("00:00", time(0))],
)
def test_time_of_day_parses(text: str, expected: time) -> None:
    assert parse_until(text) == expected


@pytest.mark.parametrize("text", ["24:00", "04:60", "4", "tomorrow", "04:00pm", "2026-13-01T04:00"])
def test_bad_until_is_refused_with_the_forms_it_accepts(text: str) -> None:
    with pytest.raises(HoldError, match="time of day like"):
        parse_until(text)


def test_next_occurrence_later_today() -> None:
    now = utc(2026, 11, 22, 1, 0)
    assert next_occurrence(time(4, 0), now, UTC) == utc(2026, 11, 22, 4, 0)


def test_next_occurrence_crosses_midnight() -> None:
    now = utc(2026, 11, 22, 23, 30)
    assert next_occurrence(time(4, 0), now, UTC) == utc(2026, 11, 23, 4, 0)


def test_next_occurrence_at_that_very_minute_is_now() -> None:
    now = utc(2026, 11, 22, 4, 0)
    assert next_occurrence(time(4, 0), now, UTC) == now


def test_next_occurrence_a_minute_late_is_tomorrow() -> None:
    now = utc(2026, 11, 22, 4, 1)
    assert next_occurrence(time(4, 0), now, UTC) == utc(2026, 11, 23, 4, 0)


def test_local_time_of_day_in_a_zone() -> None:
    # 01:00 UTC is 02:00 in Berlin (CET, +1): 04:00 Berlin is 03:00 UTC the same day.
    assert next_occurrence(time(4, 0), utc(2026, 11, 22, 1, 0), BERLIN) == utc(2026, 11, 22, 3)


def test_spring_forward_keeps_the_local_time() -> None:
    # Reached at 23:00 CET on 28 March; the clocks go forward that night, so 04:00 is CEST (+2).
    now = utc(2026, 3, 28, 22, 0)
    until = next_occurrence(time(4, 0), now, BERLIN)
    assert until == utc(2026, 3, 29, 2, 0)
    assert until.astimezone(BERLIN).strftime("%H:%M %Z") == "04:00 CEST"


def test_fall_back_keeps_the_local_time() -> None:
    # Reached at 00:30 CEST on 25 October; the clocks go back at 03:00, so 04:00 is CET (+1).
    now = utc(2026, 10, 24, 22, 30)
    until = next_occurrence(time(4, 0), now, BERLIN)
    assert until == utc(2026, 10, 25, 3, 0)
    assert until.astimezone(BERLIN).strftime("%H:%M %Z") == "04:00 CET"


def test_a_time_skipped_by_dst_is_still_in_the_future() -> None:
    # 02:30 does not exist in New York on 8 March 2026: the hold still ends after "now",
    # within the day, never in the past.
    now = utc(2026, 3, 8, 5, 0)  # 00:00 EST
    until = next_occurrence(time(2, 30), now, NEW_YORK)
    assert now < until < now + timedelta(hours=4)


def test_for_is_exact_seconds_across_dst() -> None:
    now = utc(2026, 3, 29, 0, 30)  # 01:30 CET, just before the change
    assert hold_until(until=None, seconds=7200, now=now, tz=BERLIN) == now + timedelta(hours=2)


def test_iso_until_naive_is_local_and_offsets_are_kept() -> None:
    now = utc(2026, 11, 22, 1, 0)
    naive = hold_until(until="2026-11-23T04:00", seconds=None, now=now, tz=BERLIN)
    assert naive == utc(2026, 11, 23, 3, 0)
    zulu = hold_until(until="2026-11-23T04:00Z", seconds=None, now=now, tz=BERLIN)
    assert zulu == utc(2026, 11, 23, 4, 0)
    offset = hold_until(until="2026-11-23T04:00-05:00", seconds=None, now=now, tz=BERLIN)
    assert offset == utc(2026, 11, 23, 9, 0)
    assert naive.tzinfo is UTC or naive.utcoffset() == timedelta(0)


def test_until_text_adds_the_date_only_when_not_today() -> None:
    now = utc(2026, 11, 22, 1, 0)
    assert until_text(utc(2026, 11, 22, 4, 0), now, UTC) == "04:00"
    assert until_text("2026-11-23T04:00:00+00:00", now, UTC) == "2026-11-23 04:00"
    assert waiting_text(utc(2026, 11, 22, 4, 0), now, UTC) == "waiting until 04:00"
    # Local time: 03:00 UTC is 04:00 in Berlin.
    assert until_text(utc(2026, 11, 22, 3, 0), now, BERLIN) == "04:00"


HOLD = """
name: holds
phases:
  - id: p
    title: P
    steps:
      - id: overnight
        kind: hold
        title: Wait for the morning
{fields}
"""


def hold_step(fields: str) -> HoldStep:
    loaded = load(HOLD.format(fields=fields))
    step = loaded.playbook.step("overnight")
    assert isinstance(step, HoldStep)
    return step


def test_hold_step_until_and_for() -> None:
    assert hold_step('        until: "04:00"').until == "04:00"
    assert hold_step("        until: 04:00").until == "04:00"  # YAML keeps it as text
    step = hold_step("        for: 2h")
    assert step.for_ == 7200
    assert step.estimate == 7200  # the window clock plans with the hold's length
    assert hold_step('        until: "04:00"').estimate is None
    assert step.wording() == "for 2h 00m"
    assert step.ends_at(utc(2026, 11, 22, 1, 0)) == utc(2026, 11, 22, 3, 0)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ('        until: "04:00"\n        for: 2h', "exactly one of until"),
        ("", "exactly one of until"),
        ('        until: "25:00"', "is not a time"),
        ("        until: 400", "must be quoted text"),
        ("        for: 0m", "longer than zero"),
        ("        for: soon", ""),
    ],
)
def test_bad_hold_steps_name_the_line_and_reason(fields: str, message: str) -> None:
    with pytest.raises(PlaybookError) as caught:
        load(HOLD.format(fields=fields))
    text = str(caught.value)
    assert "test.yaml:" in text
    assert message in text
    assert "Traceback" not in text


def test_answers_file_holds_section(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text(
        "holds:\n  a: wait\n  b: leave\n  c: continue\n  d: {continue: peak came early}\n"
    )
    holds = load_answers(path).holds
    assert holds["a"].action == DecisionAction.wait
    assert holds["b"].action == DecisionAction.stop
    assert holds["c"].action == DecisionAction.continue_ and holds["c"].reason
    assert (holds["d"].action, holds["d"].reason) == (DecisionAction.continue_, "peak came early")


def test_answers_file_bad_hold_answer_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text("operator: ana\nholds:\n  overnight: sleep\n")
    with pytest.raises(PlaybookError) as caught:
        load_answers(path)
    text = str(caught.value)
    assert f"{path}:3:" in text
    assert "wait, leave, continue" in text


@pytest.fixture
def berlin_local(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Make the process's local zone Europe/Berlin (the CLI's case: no zone passed)."""
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time_module.tzset()
    yield
    monkeypatch.undo()
    time_module.tzset()


@pytest.mark.usefixtures("berlin_local")
def test_the_machines_local_zone_is_dst_aware() -> None:
    # Same instants as the ZoneInfo tests, through the C library's local time rules.
    assert next_occurrence(time(4, 0), utc(2026, 3, 28, 22, 0)) == utc(2026, 3, 29, 2, 0)
    assert next_occurrence(time(4, 0), utc(2026, 10, 24, 22, 30)) == utc(2026, 10, 25, 3, 0)
    naive = hold_until(until="2026-11-23T04:00", seconds=None, now=utc(2026, 11, 22, 1, 0))
    assert naive == utc(2026, 11, 23, 3, 0)
    assert until_text(utc(2026, 11, 22, 3, 0), utc(2026, 11, 22, 1, 0)) == "04:00"
    assert until_text(utc(2026, 11, 22, 23, 30), utc(2026, 11, 22, 1, 0)) == "2026-11-23 00:30"


def test_a_time_skipped_by_dst_ends_late_never_early_in_the_machines_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 02:30 does not exist in New York on 8 March 2026 (02:00 EST → 03:00 EDT). Reached at
    # 01:45 EST, the hold must end at 03:30 EDT (as ZoneInfo does), not 01:30 EST — which is
    # already past and would push the hold to the next night.
    monkeypatch.setenv("TZ", "America/New_York")
    time_module.tzset()
    try:
        now = utc(2026, 3, 8, 6, 45)  # 01:45 EST
        assert next_occurrence(time(2, 30), now) == utc(2026, 3, 8, 7, 30)
        assert next_occurrence(time(2, 30), now) == next_occurrence(time(2, 30), now, NEW_YORK)
        naive = hold_until(until="2026-03-08T02:30", seconds=None, now=now)
        assert naive == utc(2026, 3, 8, 7, 30)
        # An hour that happens twice (1 November, 01:30) is its first occurrence (EDT).
        assert next_occurrence(time(1, 30), utc(2026, 11, 1, 4, 0)) == utc(2026, 11, 1, 5, 30)
    finally:
        monkeypatch.undo()
        time_module.tzset()
