"""Fields and rules every step shares, apart from the kinds so each kind can live in its own
module (``steps`` for the core kinds, one module per remote kind) without import cycles."""

from __future__ import annotations

import math
import re
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field, field_validator

from deploytui.model.fields import NAME_PATTERN, SourceRef, Strict
from deploytui.model.values import InvalidValue, parse_duration, parse_duration_exact

STEP_ID_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$"


class OnFailure(StrEnum):
    """What happens when a step fails (after its automatic retries)."""

    ask = "ask"
    abort = "abort"
    skip = "skip"
    rollback = "rollback"


# Longer is surely a typo, and `.inf` or 10**20 hours would overflow the window clock's
# arithmetic (datetime + timedelta) far from the line that caused it.
MAX_DURATION_SECONDS = 366 * 86400


def _bounded(seconds: float) -> float:
    if math.isnan(seconds) or seconds < 0:
        raise ValueError("a duration must be zero or more, like 15m or 1h30m")
    if seconds > MAX_DURATION_SECONDS:
        raise ValueError("a duration of more than a year (366d) is surely a typo")
    return seconds


def duration_seconds(value: Any) -> int | None:
    """Accept ``15m``, ``1h30m``, ``00:25`` or a number of minutes; store seconds."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("expected a duration like 15m or 1h30m")
    if isinstance(value, int | float):
        return round(_bounded(value * 60))
    try:
        return round(_bounded(parse_duration(str(value))))
    except InvalidValue as error:
        raise ValueError(str(error)) from None


def duration_seconds_bare(value: Any) -> float | None:
    """Like ``duration_seconds`` but a bare number means seconds (timeouts, intervals)."""
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _bounded(float(value))
    try:
        return _bounded(parse_duration_exact(str(value), bare_unit="s"))
    except InvalidValue as error:
        raise ValueError(str(error)) from None


class StepBase(Strict):
    """Fields every step has."""

    id: str = Field(pattern=STEP_ID_PATTERN, description="Unique id, used in the journal.")
    title: str = Field(description="One line saying what the step does.")
    description: str = Field(default="", description="Longer guidance shown with the step.")
    estimate: int | None = Field(default=None, description="Planned duration (15m, 1h30m).")
    idempotent: bool = Field(
        default=False, description="Safe to re-run by itself after a crash (automated steps)."
    )
    on_failure: OnFailure = Field(default=OnFailure.ask, description="ask|abort|skip|rollback.")
    retries: int = Field(default=0, ge=0, le=20, description="Automatic retries before on_failure.")
    retry_delay: float = Field(default=2.0, description="Wait between automatic retries.")
    source: SourceRef | None = Field(default=None, description="Line of an imported checklist.")
    review: bool = Field(
        default=False, description="Imported and not yet reviewed by a person (shown as such)."
    )

    @field_validator("estimate", mode="before")
    @classmethod
    def _estimate_seconds(cls, value: Any) -> int | None:
        return duration_seconds(value)

    @field_validator("retry_delay", mode="before")
    @classmethod
    def _retry_delay_seconds(cls, value: Any) -> float | None:
        return duration_seconds_bare(value)

    @property
    def automated(self) -> bool:
        return False


class Capture(Strict):
    """Take a value from a command's output into ``{{ inputs.NAME }}``."""

    name: str = Field(pattern=NAME_PATTERN, description="Name of the captured value.")
    pattern: str = Field(description="Regex; group 1 (or the whole match) is the value.")
    stream: Literal["stdout", "stderr", "any"] = Field(default="any")
    required: bool = Field(default=True, description="Fail the step if nothing matches.")

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as error:
            raise ValueError(f"pattern is not a valid regular expression: {error}") from None
        return value


class AutomatedStep(StepBase):
    """Fields shared by steps that execute something."""

    timeout: float | None = Field(default=None, description="Give up after this long (5m, 30s).")
    capture: list[Capture] = Field(default_factory=list, description="Values to take from output.")

    @field_validator("timeout", mode="before")
    @classmethod
    def _timeout_seconds(cls, value: Any) -> float | None:
        return duration_seconds_bare(value)

    @property
    def automated(self) -> bool:
        return True

    def value_names(self) -> list[str]:
        """Names this step provides as ``{{ inputs.NAME }}`` (captures, sampled figures...)."""
        return [capture.name for capture in self.capture]


ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ShellCommandStep(AutomatedStep):
    """Fields of the steps that run a shell command (``local`` here, ``ssh`` on hosts)."""

    command: str = Field(min_length=1, description="Run by /bin/sh -c; output streamed.")
    cwd: str | None = Field(default=None, description="Working directory.")
    env: dict[str, str] = Field(default_factory=dict, description="Extra environment variables.")
    expect_exit: list[int] = Field(default_factory=lambda: [0], description="Accepted exit codes.")

    @field_validator("expect_exit", mode="before")
    @classmethod
    def _one_or_many_codes(cls, value: Any) -> Any:
        return [value] if isinstance(value, int) else value

    @field_validator("env", mode="before")
    @classmethod
    def _env_as_text(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {str(key): str(item) for key, item in value.items()}
        return value

    @field_validator("env")
    @classmethod
    def _env_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if not ENV_NAME.match(name):
                raise ValueError(f"environment variable name '{name}' must be letters, digits, _")
        return value
