"""Typed input fields, their targets, and the captured values they produce.

An ``input`` step asks for one or more fields ("Backup size", "p95 latency"). Each field knows
how to parse what the operator typed (via ``values``), whether the answer is allowed (required,
min, max, pattern, options) and whether it breaches the field's ``target`` (e.g. ``< 500 ms``),
which is recorded and shown rather than silently accepted.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from deploytui.model import values as v

NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"


class FieldType(StrEnum):
    """The kinds of value a blank in a checklist can hold."""

    text = "text"
    integer = "integer"
    number = "number"
    size = "size"
    duration = "duration"
    datetime = "datetime"
    choice = "choice"
    url = "url"
    path = "path"


YES_NO = ["YES", "NO"]
YES_NO_NA = ["YES", "NO", "N/A"]

_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
    "=": operator.eq,
}
_TARGET = re.compile(r"^\s*(<=|>=|==|!=|<|>|=)\s*(.+?)\s*$")


class Strict(BaseModel):
    """Base for playbook structures: unknown keys are errors, so typos never pass silently."""

    # defer_build: a class's validator is built when it is first used, not at import: most of
    # the ~60 playbook classes are only ever validated inside a Playbook, so every command
    # starts about 25 ms sooner (docs/performance.md, start-up).
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class SourceRef(Strict):
    """Where an imported item came from in its Markdown checklist (for the filled-in export).

    ``line`` is 1-based; ``blank`` is the index of the ``____`` blank on that line this field
    fills (0 for the first), when the item is a blank.
    """

    line: int = Field(ge=1)
    blank: int | None = Field(default=None, ge=0)


class CapturedValue(BaseModel):
    """One answer, normalised: what was typed, what it means, how to show it, any breach."""

    model_config = ConfigDict(frozen=True)

    field: str
    label: str
    type: FieldType
    raw: str
    value: float | int | str | None
    unit: str | None = None
    display: str
    breach: str | None = None
    secret: bool = False


class InputField(Strict):
    """One blank to fill, e.g. ``{id: backup_size, type: size, label: "Backup size"}``."""

    id: str = Field(pattern=NAME_PATTERN, description="Name used as {{ inputs.ID }} later.")
    label: str = Field(default="", description="What the operator sees; defaults to the id.")
    type: FieldType = Field(default=FieldType.text, description="How the answer is parsed.")
    unit: str | None = Field(default=None, description="Unit of a number field: ms, %, req/s.")
    required: bool = Field(default=True, description="An empty answer is refused when true.")
    min: float | str | None = Field(default=None, description="Smallest allowed value.")
    max: float | str | None = Field(default=None, description="Largest allowed value.")
    pattern: str | None = Field(default=None, description="Regex a text answer must match.")
    options: list[str] = Field(default_factory=list, description="Choices of a choice field.")
    target: str | None = Field(default=None, description="Expected range, e.g. '< 500 ms'.")
    help: str = Field(default="", description="A hint shown under the field.")
    default: str | None = Field(default=None, description="Pre-filled answer.")
    source: SourceRef | None = Field(default=None, description="Line of an imported checklist.")

    @field_validator("options", mode="before")
    @classmethod
    def _options_as_text(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [str(item) for item in value]
        return value

    @field_validator("pattern")
    @classmethod
    def _pattern_compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as error:
                raise ValueError(f"pattern is not a valid regular expression: {error}") from None
        return value

    @model_validator(mode="after")
    def _coherent(self) -> InputField:
        if self.type == FieldType.choice and not self.options:
            raise ValueError("a choice field needs options, e.g. options: [YES, NO, N/A]")
        if self.type != FieldType.choice and self.options:
            raise ValueError("options only apply to type: choice")
        if self.unit and self.type not in {FieldType.number, FieldType.integer}:
            raise ValueError("unit only applies to number and integer fields")
        for bound in ("min", "max"):
            limit = getattr(self, bound)
            if limit is not None:
                try:
                    self.normalise(str(limit))
                except v.InvalidValue as error:
                    raise ValueError(f"{bound}: {error}") from None
        if self.target is not None:
            self.parse_target()
        return self

    @property
    def display_label(self) -> str:
        return self.label or self.id.replace("_", " ")

    def normalise(self, raw: str) -> float | int | str:
        """Parse ``raw`` into the field's normalised value, or raise ``InvalidValue``."""
        text = raw.strip()
        match self.type:
            case FieldType.integer:
                return v.parse_integer(_strip_unit(text, self.unit))
            case FieldType.number:
                return v.parse_number_with_unit(text, self.unit)
            case FieldType.size:
                return v.parse_size(text)
            case FieldType.duration:
                return v.parse_duration(text)
            case FieldType.datetime:
                return v.parse_datetime(text).isoformat()
            case FieldType.choice:
                return v.match_choice(text, self.options)
            case FieldType.url:
                return v.parse_url(text)
            case FieldType.path | FieldType.text:
                return text
        raise AssertionError(self.type)

    def format(self, value: float | int | str) -> str:
        """Show a normalised value with its unit, as the screen and the report do."""
        match self.type:
            case FieldType.size:
                return v.format_size(float(value))
            case FieldType.duration:
                return v.format_duration(float(value))
            case FieldType.number | FieldType.integer:
                return v.format_number(float(value), self.unit)
            case FieldType.datetime:
                return v.format_datetime(datetime.fromisoformat(str(value)))
        return str(value)

    def parse_target(self) -> tuple[str, float | int | str]:
        """Split ``target`` into an operator and a normalised value."""
        assert self.target is not None
        match = _TARGET.match(self.target)
        if not match:
            raise ValueError(
                f"target '{self.target}' must start with <, <=, >, >=, == or !=, e.g. '< 500 ms'"
            )
        op, operand = match.group(1), match.group(2)
        try:
            return op, self.normalise(operand)
        except v.InvalidValue as error:
            raise ValueError(f"target '{self.target}': {error}") from None

    def empty_value(self, breach: str | None = None) -> CapturedValue:
        """No answer, or nothing measured (``breach`` says why, when a target was missed)."""
        return CapturedValue(
            field=self.id,
            label=self.display_label,
            type=self.type,
            raw="",
            value=None,
            unit=self.unit,
            display="—",
            breach=breach,
        )

    def capture(self, raw: str) -> CapturedValue:
        """Validate an answer completely; raise ``InvalidValue`` with a message for the operator."""
        text = raw.strip()
        if not text:
            if self.required:
                raise v.InvalidValue("an answer is required")
            return self.empty_value()
        value = self.normalise(text)
        self._check_bounds(value)
        if self.pattern and not re.fullmatch(self.pattern, str(value)):
            raise v.InvalidValue(f"'{text}' does not match the expected form {self.pattern}")
        return CapturedValue(
            field=self.id,
            label=self.display_label,
            type=self.type,
            raw=text,
            value=value,
            unit=self.unit,
            display=self.format(value),
            breach=self.breach_of(value),
        )

    def _check_bounds(self, value: float | int | str) -> None:
        if self.min is not None:
            low = self.normalise(str(self.min))
            if _comparable(value, low) and value < low:  # type: ignore[operator]
                raise v.InvalidValue(f"must be at least {self.format(low)}")
        if self.max is not None:
            high = self.normalise(str(self.max))
            if _comparable(value, high) and value > high:  # type: ignore[operator]
                raise v.InvalidValue(f"must be at most {self.format(high)}")

    def breach_of(self, value: float | int | str) -> str | None:
        """A sentence naming the breach when ``value`` misses the target, else ``None``."""
        if self.target is None:
            return None
        op, expected = self.parse_target()
        if not _comparable(value, expected):
            return None
        if _OPERATORS[op](value, expected):
            return None
        return f"{self.format(value)} misses the target {self.target}"


def _strip_unit(text: str, unit: str | None) -> str:
    if unit and text.lower().endswith(unit.lower()):
        return text[: -len(unit)].strip()
    return text


def _comparable(left: object, right: object) -> bool:
    numeric = (int, float)
    return (isinstance(left, numeric) and isinstance(right, numeric)) or (
        isinstance(left, str) and isinstance(right, str)
    )
