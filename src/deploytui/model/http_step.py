"""The ``http`` step kind: one request, a poll until healthy, or a latency sample.

It lives apart from the core kinds because it has grown sub-structures of its own (auth, poll,
sample) and because sampled figures (p50/p95/p99 latency, error rate) become typed values with
units and targets, exactly like answers to an ``input`` step: ``value_names()`` tells the
playbook checks which ``{{ inputs.NAME }}`` names the step provides, and ``sample_fields()``
gives the ``InputField``s the executor uses to turn measured numbers into ``CapturedValue``s.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from deploytui.model.fields import NAME_PATTERN, FieldType, InputField, Strict
from deploytui.model.step_base import AutomatedStep, duration_seconds_bare


class JsonCheck(Strict):
    """A check on a field of a JSON response, by dotted path (``data.items.0.status``)."""

    path: str = Field(description="Dotted path into the JSON body.")
    equals: Any = Field(default=None, description="Expected value (compared as text).")
    exists: bool = Field(default=True, description="The path must exist.")


class HttpAuth(Strict):
    """Credentials for the request; values normally come from ``{{ secrets.NAME }}``."""

    type: Literal["basic", "bearer"] = Field(description="basic (user + password) or bearer.")
    username: str | None = Field(default=None, description="Basic auth user.")
    password: str | None = Field(default=None, description="Basic auth password.")
    token: str | None = Field(default=None, description="Bearer token.")

    @model_validator(mode="after")
    def _complete(self) -> HttpAuth:
        if self.type == "basic" and (self.username is None or self.password is None):
            raise ValueError("basic auth needs username and password")
        if self.type == "bearer" and not self.token:
            raise ValueError("bearer auth needs a token")
        if self.type == "bearer" and (self.username or self.password):
            raise ValueError("bearer auth takes a token, not username/password")
        if self.type == "basic" and self.token:
            raise ValueError("basic auth takes username and password, not a token")
        return self


class HttpPoll(Strict):
    """Repeat the request until every expectation holds, or give up at the deadline."""

    interval: float = Field(default=2.0, description="Wait between attempts (2s).")
    deadline: float = Field(description="Give up after this long (2m).")

    @field_validator("interval", "deadline", mode="before")
    @classmethod
    def _seconds(cls, value: Any) -> float | None:
        return duration_seconds_bare(value)

    @model_validator(mode="after")
    def _sane(self) -> HttpPoll:
        if self.interval <= 0 or self.deadline <= 0:
            raise ValueError("poll interval and deadline must be more than zero")
        return self


# Sampled figure → (suffix of the value name, label, unit).
SAMPLE_FIGURES: dict[str, tuple[str, str, str]] = {
    "p50_ms": ("p50_ms", "p50 latency", "ms"),
    "p95_ms": ("p95_ms", "p95 latency", "ms"),
    "p99_ms": ("p99_ms", "p99 latency", "ms"),
    "error_rate": ("error_rate", "error rate", "%"),
}


class HttpSample(Strict):
    """Send N requests (at most ``concurrency`` at once); record percentiles and error rate."""

    requests: int = Field(ge=1, le=100_000, description="How many requests to send.")
    concurrency: int = Field(default=1, ge=1, le=256, description="Requests in flight at once.")
    name: str | None = Field(
        default=None,
        pattern=NAME_PATTERN,
        description="Prefix of the recorded values (NAME_p95_ms...); defaults to the step id.",
    )
    p50_ms: str | None = Field(default=None, description="Target for p50, e.g. '< 200 ms'.")
    p95_ms: str | None = Field(default=None, description="Target for p95, e.g. '< 500 ms'.")
    p99_ms: str | None = Field(default=None, description="Target for p99, e.g. '< 1 s'.")
    error_rate: str | None = Field(default=None, description="Target, e.g. '< 1 %'.")
    on_breach: Literal["fail", "record"] = Field(
        default="fail", description="fail the step, or record the breach and go on."
    )

    @field_validator("p50_ms", "p95_ms", "p99_ms", "error_rate", mode="before")
    @classmethod
    def _number_means_at_most(cls, value: Any) -> Any:
        # A bare number reads as an upper bound: ``p95_ms: 500`` means "<= 500 ms".
        if isinstance(value, int | float) and not isinstance(value, bool):
            return f"<= {value}"
        return value


class HttpStep(AutomatedStep):
    """An HTTP request with expectations on status, latency and body."""

    kind: Literal["http"]
    target: str | None = Field(default=None, description="Name of an http target (base URL).")
    url: str = Field(description="Path under the target's base URL, or a full URL.")
    method: str = Field(default="GET", description="HTTP method.")
    headers: dict[str, str] = Field(default_factory=dict, description="Request headers.")
    auth: HttpAuth | None = Field(default=None, description="basic or bearer credentials.")
    body: str | None = Field(default=None, description="Raw request body.")
    json_body: Any = Field(default=None, alias="json", description="JSON request body.")
    expect_status: list[int] = Field(default_factory=lambda: [200], description="OK statuses.")
    max_latency: float | None = Field(default=None, description="Fail above this (ms).")
    json_checks: list[JsonCheck] = Field(default_factory=list, description="JSON field checks.")
    body_pattern: str | None = Field(default=None, description="Regex the body must contain.")
    verify_tls: bool | None = Field(default=None, description="Override the target's setting.")
    ca_file: str | None = Field(default=None, description="CA bundle to trust (PEM).")
    poll: HttpPoll | None = Field(default=None, description="Retry until healthy or deadline.")
    sample: HttpSample | None = Field(default=None, description="Latency/error-rate sample.")

    @field_validator("expect_status", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, int) else value

    @field_validator("method")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

    @field_validator("max_latency", mode="before")
    @classmethod
    def _latency_ms(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip().lower()
            if text.endswith("ms"):
                return float(text[:-2])
            if text.endswith("s"):
                return float(text[:-1]) * 1000
        return value

    @field_validator("body_pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as error:
                raise ValueError(
                    f"body_pattern is not a valid regular expression: {error}"
                ) from None
        return value

    @model_validator(mode="after")
    def _sample_fits(self) -> HttpStep:
        if self.sample is None:
            return self
        if self.max_latency is not None:
            raise ValueError(
                "with sample, set latency targets (p95_ms: '< 500 ms') instead of max_latency"
            )
        for field in self.sample_fields():
            if field.target is not None:
                field.parse_target()  # raises ValueError naming the bad target
        return self

    @property
    def sample_prefix(self) -> str:
        """The prefix of sampled value names: ``sample.name`` or the step id made a name."""
        if self.sample is not None and self.sample.name:
            return self.sample.name
        name = re.sub(r"\W", "_", self.id)
        return name if re.match(NAME_PATTERN, name) else f"s_{name}"

    def sample_fields(self) -> list[InputField]:
        """One typed field per sampled figure (unit and target), empty without ``sample``."""
        if self.sample is None:
            return []
        return [
            InputField(
                id=f"{self.sample_prefix}_{suffix}",
                label=label,
                type=FieldType.number,
                unit=unit,
                target=getattr(self.sample, key),
            )
            for key, (suffix, label, unit) in SAMPLE_FIGURES.items()
        ]

    def value_names(self) -> list[str]:
        return [*super().value_names(), *(field.id for field in self.sample_fields())]

    def mode_text(self) -> str:
        """How the request is repeated, for the action line ("" for a single request)."""
        from deploytui.model.values import format_duration

        parts = []
        if self.poll is not None:
            parts.append(f" until healthy (within {format_duration(self.poll.deadline)})")
        if self.sample is not None:
            parts.append(f" ×{self.sample.requests}, {self.sample.concurrency} at once")
        return ",".join(parts)
