"""Input fields: typed answers, required/min/max/pattern, targets and their breaches."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from deploytui.model.fields import FieldType, InputField
from deploytui.model.values import InvalidValue


def field(**kwargs) -> InputField:
    return InputField.model_validate({"id": "f", **kwargs})


def test_text_and_path_keep_what_was_typed() -> None:
    assert field().capture("  hello ").value == "hello"
    assert field(type="path").capture("/backups/x.dump").display == "/backups/x.dump"


def test_integer_with_bounds() -> None:
    f = field(type="integer", min=0, max=10)
    assert f.capture("7").value == 7
    with pytest.raises(InvalidValue, match="at least 0"):
        f.capture("-1")
    with pytest.raises(InvalidValue, match="at most 10"):
        f.capture("11")
    with pytest.raises(InvalidValue, match="whole number"):
        f.capture("2.5")


def test_number_with_unit_converts_and_displays() -> None:
    f = field(type="number", unit="ms", target="< 500 ms")
    captured = f.capture("0.3 s")
    assert captured.value == pytest.approx(300)
    assert captured.display == "300 ms"
    assert captured.breach is None
    assert field(type="number", unit="%").capture("0.4").display == "0.4 %"
    assert field(type="number", unit="req/s").capture("1200 req/s").display == "1200 req/s"


def test_a_breach_is_recorded_not_refused() -> None:
    f = field(type="number", unit="ms", target="< 500 ms", label="p95 latency")
    captured = f.capture("612")
    assert captured.value == 612
    assert captured.breach == "612 ms misses the target < 500 ms"
    assert field(type="integer", target=">= 4").capture("3").breach == "3 misses the target >= 4"
    assert field(type="duration", target="< 15m").capture("20m").breach is not None
    assert field(type="duration", target="< 15m").capture("00:12").breach is None


def test_size_normalises_and_displays() -> None:
    captured = field(type="size", min="1 MB").capture("4.2gb")
    assert (captured.value, captured.display) == (4_200_000_000, "4.2 GB")
    with pytest.raises(InvalidValue, match="at least 1 MB"):
        field(type="size", min="1 MB").capture("10 KB")


@pytest.mark.parametrize(
    ("typed", "seconds", "shown"),
    [
        ("15m", 900, "15m"),
        ("1h30m", 5400, "1h 30m"),
        ("00:25", 1500, "25m"),
        ("12", 720, "12m"),
    ],
)
def test_duration_forms(typed: str, seconds: int, shown: str) -> None:
    captured = field(type="duration").capture(typed)
    assert (captured.value, captured.display) == (seconds, shown)


def test_datetime_is_stored_as_iso() -> None:
    captured = field(type="datetime").capture("2026-11-22 02:15")
    assert captured.value.startswith("2026-11-22T02:15")
    assert captured.display == "2026-11-22 02:15"


def test_choice_yes_no_na() -> None:
    f = field(type="choice", options=["YES", "NO", "N/A"])
    assert f.capture("yes").value == "YES"
    assert f.capture("n/a").value == "N/A"
    with pytest.raises(InvalidValue, match="not one of"):
        f.capture("perhaps")


def test_url_field() -> None:
    assert field(type="url").capture("https://x.example").value == "https://x.example"
    with pytest.raises(InvalidValue):
        field(type="url").capture("not a url")


def test_required_and_optional() -> None:
    with pytest.raises(InvalidValue, match="an answer is required"):
        field().capture("   ")
    optional = field(required=False).capture("")
    assert (optional.value, optional.display) == (None, "—")


def test_pattern() -> None:
    f = field(pattern=r"CHG\d+")
    assert f.capture("CHG123").value == "CHG123"
    with pytest.raises(InvalidValue, match="does not match"):
        f.capture("chg-x")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"type": "choice"}, "needs options"),
        ({"options": ["a"]}, "only apply to type: choice"),
        ({"type": "size", "unit": "ms"}, "unit only applies"),
        ({"type": "number", "target": "about 5"}, "must start with"),
        ({"type": "integer", "min": "lots"}, "min:"),
        ({"pattern": "("}, "not a valid regular expression"),
        ({"id": "bad id"}, "should match pattern"),
    ],
)
def test_incoherent_fields_are_refused_with_a_reason(spec: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        field(**spec)


def test_yes_no_options_stay_text() -> None:
    assert field(type="choice", options=["YES", "NO"]).options == ["YES", "NO"]
    assert FieldType("choice") is FieldType.choice
