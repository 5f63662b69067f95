"""Parsing and formatting of what operators type: sizes, durations, numbers, dates, choices."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from deploytui.model import values as v


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4.2 GB", 4_200_000_000),
        ("4.2gb", 4_200_000_000),
        ("512 MB", 512_000_000),
        ("512mb", 512_000_000),
        ("1 TB", 10**12),
        ("10 KB", 10_000),
        ("1.5 GiB", round(1.5 * 1024**3)),
        ("3 G", 3 * 10**9),
        ("100 bytes", 100),
        ("1,5 GB", 1_500_000_000),
    ],
)
def test_sizes_normalise_to_bytes(text: str, expected: int) -> None:
    assert v.parse_size(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("4.2", "has no unit"),
        ("4.2 parsecs", "is not a size unit"),
        ("big", "is not a size"),
        ("-1 GB", "cannot be negative"),
    ],
)
def test_bad_sizes_say_what_is_expected(text: str, message: str) -> None:
    with pytest.raises(v.InvalidValue, match=message):
        v.parse_size(text)


@pytest.mark.parametrize(
    ("size", "shown"),
    [(4_200_000_000, "4.2 GB"), (512, "512 B"), (1_500_000, "1.5 MB"), (123_456_789_000, "123 GB")],
)
def test_sizes_display_with_units(size: int, shown: str) -> None:
    assert v.format_size(size) == shown


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("15m", 900),
        ("1h30m", 5400),
        ("1h 05m", 3900),
        ("90s", 90),
        ("00:25", 1500),
        ("01:02:03", 3723),
        ("25", 1500),  # bare number = minutes, as checklists say "____ minutes"
        ("2 hours", 7200),
        ("1.5h", 5400),
    ],
)
def test_durations_parse(text: str, seconds: int) -> None:
    assert v.parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "10 parsecs", "00:75", "-5", "1h x"])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(v.InvalidValue):
        v.parse_duration(text)


def test_bare_duration_unit_can_be_seconds() -> None:
    assert v.parse_duration("30", bare_unit="s") == 30


@pytest.mark.parametrize(
    ("seconds", "shown"), [(45, "45s"), (1500, "25m"), (3900, "1h 05m"), (150, "2m 30s")]
)
def test_durations_display(seconds: int, shown: str) -> None:
    assert v.format_duration(seconds) == shown


@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [
        ("312", "ms", 312),
        ("312 ms", "ms", 312),
        ("312ms", "ms", 312),
        ("0.3 s", "ms", 300),
        ("2 min", "s", 120),
        ("0.4", "%", 0.4),
        ("0.4 %", "%", 0.4),
        ("1200 req/s", "req/s", 1200),
        ("1,200", None, 1200),
    ],
)
def test_numbers_with_units(text: str, unit: str | None, expected: float) -> None:
    assert v.parse_number_with_unit(text, unit) == pytest.approx(expected)


def test_a_number_in_the_wrong_unit_is_refused() -> None:
    with pytest.raises(v.InvalidValue, match="expected a value in ms, got 'GB'"):
        v.parse_number_with_unit("3 GB", "ms")
    with pytest.raises(v.InvalidValue, match="plain number"):
        v.parse_number_with_unit("3 ms", None)
    with pytest.raises(v.InvalidValue, match="not a number"):
        v.parse_number_with_unit("inf", "ms")
    with pytest.raises(v.InvalidValue, match="not a finite number"):
        v.parse_number_text("nan")


def test_integers() -> None:
    assert v.parse_integer("1,200") == 1200
    with pytest.raises(v.InvalidValue, match="not a whole number"):
        v.parse_integer("1.5")


def test_datetimes() -> None:
    now = datetime(2026, 11, 22, 1, 0, tzinfo=timezone(timedelta(hours=1)))
    assert v.parse_datetime("02:15", now) == now.replace(hour=2, minute=15)
    assert v.parse_datetime("now", now) == now
    parsed = v.parse_datetime("2026-11-22 02:15", now)
    assert (parsed.hour, parsed.minute, parsed.tzinfo) == (2, 15, now.tzinfo)
    assert v.parse_datetime("2026-11-22T02:15:00+00:00").tzinfo is not None
    with pytest.raises(v.InvalidValue, match="not a time of day"):
        v.parse_datetime("25:00", now)
    with pytest.raises(v.InvalidValue, match="not a date and time"):
        v.parse_datetime("tomorrow-ish", now)


def test_urls() -> None:
    assert v.parse_url(" https://a.example/x ") == "https://a.example/x"
    with pytest.raises(v.InvalidValue, match="not a URL"):
        v.parse_url("ftp://a.example")
    with pytest.raises(v.InvalidValue):
        v.parse_url("example.com")


@pytest.mark.parametrize(
    ("typed", "chosen"),
    [("yes", "YES"), ("Y", "YES"), ("no", "NO"), ("n/a", "N/A"), ("na", "N/A"), ("N", "NO")],
)
def test_choices_match_case_insensitively(typed: str, chosen: str) -> None:
    assert v.match_choice(typed, ["YES", "NO", "N/A"]) == chosen


def test_unknown_choice_lists_the_options() -> None:
    with pytest.raises(v.InvalidValue, match="not one of: YES / NO / N/A"):
        v.match_choice("maybe", ["YES", "NO", "N/A"])


def test_sub_second_durations_keep_their_fraction_for_timeouts() -> None:
    from deploytui.model.step_base import duration_seconds_bare

    assert v.parse_duration_exact("0.5s") == 0.5
    assert duration_seconds_bare("0.5s") == 0.5
    assert duration_seconds_bare("1.5m") == 90.0
    assert duration_seconds_bare(30) == 30.0  # a bare number of seconds
    assert v.parse_duration("0.4s") == 0  # answers are whole seconds
