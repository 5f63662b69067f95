"""The ``monitor`` step kind: watch signals on an interval and say when to act.

"Monitor for 1 hour; error rate < 1 %, p95 < 500 ms; roll back if error rate > 10 %" becomes a
step with signals (an HTTP endpoint, a Prometheus query, a number from a command), each with
warn and fail thresholds such as ``> 10 % for 5m``. Thresholds are parsed here, at load time, so
a typo is a ``file:line`` error rather than a surprise an hour into the watch. The step names the
figures it records (``<signal>_min|_p50|_p95|_max|_last``) so ``{{ inputs.error_rate_p95 }}``
validates before the run starts. This module stays free of httpx/paramiko: ``validate`` loads it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from deploytui.model.fields import NAME_PATTERN, FieldType, InputField, SourceRef, Strict
from deploytui.model.http_step import HttpAuth
from deploytui.model.step_base import AutomatedStep, duration_seconds_bare
from deploytui.model.thresholds import Threshold, parse_threshold, target_for
from deploytui.model.values import format_duration

if TYPE_CHECKING:
    from deploytui.model.playbook import Playbook

FIGURES: tuple[str, ...] = ("min", "p50", "p95", "max", "last")
Figure = Literal["min", "p50", "p95", "max", "last"]
MEASURES = ("error_rate", "latency", "status")
DEFAULT_UNITS: dict[str, str | None] = {"error_rate": "%", "latency": "ms", "status": None}
DEFAULT_NUMBER = r"[-+]?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?"


def _seconds(value: Any) -> float | None:
    return duration_seconds_bare(value)


class MonitorHttp(Strict):
    """Read an HTTP endpoint of an http target: its status, latency or error rate."""

    target: str = Field(description="Name of an http target (its base URL, headers, TLS).")
    path: str = Field(default="/", description="Path under the target's base URL.")
    method: str = Field(default="GET", description="HTTP method.")
    headers: dict[str, str] = Field(default_factory=dict, description="Extra request headers.")
    auth: HttpAuth | None = Field(default=None, description="basic or bearer credentials.")
    expect_status: list[int] = Field(
        default_factory=lambda: [200], description="Statuses that count as a success."
    )
    requests: int = Field(default=1, ge=1, le=100, description="Requests per reading.")
    timeout: float | None = Field(default=None, description="Per request (default: target's).")

    @field_validator("expect_status", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, int) else value

    @field_validator("method")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

    @field_validator("timeout", mode="before")
    @classmethod
    def _timeout(cls, value: Any) -> float | None:
        return _seconds(value)


class MonitorPrometheus(Strict):
    """An instant query over Prometheus' HTTP API (``/api/v1/query``); one number."""

    target: str = Field(description="Name of an http target whose base URL is Prometheus.")
    query: str = Field(min_length=1, description="PromQL giving one series or a scalar.")
    scale: float = Field(default=1.0, description="Multiply the result (1000: seconds → ms).")
    timeout: float | None = Field(default=None, description="Per query (default: target's).")

    @field_validator("timeout", mode="before")
    @classmethod
    def _timeout(cls, value: Any) -> float | None:
        return _seconds(value)


class MonitorCommand(Strict):
    """A number parsed from a command's output, run locally or on one ssh host."""

    run: str = Field(min_length=1, description="Shell command (/bin/sh -c).")
    host: str | None = Field(default=None, description="An ssh host name; local without it.")
    pattern: str | None = Field(
        default=None,
        description="Regex over stdout; group 1 (or the match) is the number. "
        "Default: the first number in the output.",
    )
    scale: float = Field(default=1.0, description="Multiply the number by this.")
    timeout: float | None = Field(default=None, description="Per run (default 30s).")

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as error:
                raise ValueError(f"pattern is not a valid regular expression: {error}") from None
        return value

    @field_validator("timeout", mode="before")
    @classmethod
    def _timeout(cls, value: Any) -> float | None:
        return _seconds(value)


class MonitorSignal(Strict):
    """One thing to watch, read from exactly one of http, prometheus or command."""

    name: str = Field(pattern=NAME_PATTERN, description="Names its figures: NAME_p95 ...")
    label: str = Field(default="", description="How it reads on screen; defaults to the name.")
    http: MonitorHttp | None = Field(default=None, description="Read an HTTP endpoint.")
    prometheus: MonitorPrometheus | None = Field(default=None, description="A PromQL query.")
    command: MonitorCommand | None = Field(default=None, description="A command's output.")
    measure: Literal["error_rate", "latency", "status"] | None = Field(
        default=None, description="For http: error_rate | latency | status."
    )
    window: float | None = Field(
        default=None, description="Sliding window of an http error rate (default 5m)."
    )
    unit: str | None = Field(default=None, description="Unit of the number: %, ms, req/s.")
    warn: str | None = Field(default=None, description="Warning threshold, e.g. '> 1 %'.")
    fail: str | None = Field(
        default=None, description="Rollback trigger, e.g. '> 10 % for 5m' (ends the watch)."
    )
    fill: dict[Figure, SourceRef] = Field(
        default_factory=dict,
        description="Checklist blanks a figure fills: {p95: {line: 337, blank: 0}}.",
    )

    @field_validator("window", mode="before")
    @classmethod
    def _window(cls, value: Any) -> float | None:
        return _seconds(value)

    @model_validator(mode="before")
    @classmethod
    def _default_unit(cls, data: Any) -> Any:
        # The unit an http measure is in goes without saying (``%``, ``ms``); say it for them.
        if isinstance(data, dict) and "unit" not in data and data.get("measure") in MEASURES:
            unit = DEFAULT_UNITS[str(data["measure"])]
            if unit is not None:
                data = {**data, "unit": unit}
        return data

    @model_validator(mode="after")
    def _coherent(self) -> MonitorSignal:
        sources = [name for name in ("http", "prometheus", "command") if getattr(self, name)]
        if len(sources) != 1:
            raise ValueError(
                f"signal '{self.name}' needs exactly one of http, prometheus or command"
                + (f" (it has {' and '.join(sources)})" if sources else "")
            )
        if self.http is not None and self.measure is None:
            raise ValueError(
                f"signal '{self.name}' reads http, so it needs measure: "
                "error_rate, latency or status"
            )
        if self.http is None and self.measure is not None:
            raise ValueError("measure only applies to http signals")
        if self.window is not None and self.measure != "error_rate":
            raise ValueError("window only applies to an http signal with measure: error_rate")
        if self.window is not None and self.window <= 0:
            raise ValueError("window must be more than zero, like 5m")
        if self.warn is None and self.fail is None:
            raise ValueError(
                f"signal '{self.name}' needs a warn or fail threshold (or both), "
                "e.g. fail: '> 10 %'"
            )
        self.thresholds()  # raises ValueError naming the bad threshold
        return self

    @property
    def display_label(self) -> str:
        return self.label or self.name.replace("_", " ")

    @property
    def source(self) -> str:
        return "http" if self.http else "prometheus" if self.prometheus else "command"

    def thresholds(self) -> tuple[Threshold | None, Threshold | None]:
        """(warn, fail), parsed in the signal's unit."""
        warn = parse_threshold(self.warn, self.unit) if self.warn is not None else None
        fail = parse_threshold(self.fail, self.unit) if self.fail is not None else None
        return warn, fail

    def window_seconds(self, interval: float) -> float:
        """The error-rate window: as set, or 5m (at least one interval)."""
        return max(self.window or 300.0, interval)

    def figure_fields(self) -> list[InputField]:
        """One typed field per figure; p95 is held to the warn threshold (a breach if beyond)."""
        warn, _ = self.thresholds()
        return [
            InputField(
                id=f"{self.name}_{figure}",
                label=f"{self.display_label} {figure}",
                type=FieldType.number,
                unit=self.unit,
                required=False,
                target=target_for(warn) if figure == "p95" and warn else None,
                source=self.fill.get(figure),  # type: ignore[arg-type]
            )
            for figure in FIGURES
        ]


class MonitorStep(AutomatedStep):
    """Watch signals on an interval for a duration; warn, and stop at a rollback trigger."""

    kind: Literal["monitor"]
    idempotent: bool = Field(
        default=True, description="Read-only: re-run by itself after a crash (continues)."
    )
    # Templates allowed (``{{ vars.watch_time }}``): rehearsals watch for seconds, not hours.
    duration: float | str = Field(description="Total watch time (1h, 24h).")
    interval: float | str = Field(default=30.0, description="Sampling interval (30s).")
    checkpoint_every: float | None = Field(
        default=None, description="Long watches: a checkpoint this often (2h) ..."
    )
    watch_for: float | None = Field(
        default=None, description="... watched for this long (10m); parked in between."
    )
    on_trigger: Literal["ask", "rollback"] = Field(
        default="ask", description="ask (default) | rollback: start rollback without asking."
    )
    signals: list[MonitorSignal] = Field(min_length=1, description="What to watch.")

    @field_validator("duration", "interval", mode="before")
    @classmethod
    def _templated_durations(cls, value: Any) -> float | str | None:
        if isinstance(value, str) and "{{" in value:
            return value  # rendered (and checked again) when the step runs
        return _seconds(value)

    @field_validator("checkpoint_every", "watch_for", mode="before")
    @classmethod
    def _durations(cls, value: Any) -> float | None:
        return _seconds(value)

    @property
    def seconds(self) -> tuple[float, float]:
        """(duration, interval) in seconds, once templates are rendered."""
        if isinstance(self.duration, str) or isinstance(self.interval, str):
            raise ValueError(f"the duration/interval of {self.id} are not rendered yet")
        return float(self.duration), float(self.interval)

    @model_validator(mode="before")
    @classmethod
    def _estimate_from_duration(cls, data: Any) -> Any:
        # The window clock plans with estimates; a watch takes its duration (or, when parked
        # between checkpoints, the first checkpoint's watch) unless the playbook says otherwise,
        # plus one interval of slack (capped at a minute) for its last readings to come in.
        if isinstance(data, dict) and data.get("estimate") is None:
            planned = data.get("watch_for") or data.get("duration")
            if isinstance(planned, str | int | float) and not isinstance(planned, bool):
                try:
                    seconds = duration_seconds_bare(planned)
                except ValueError:
                    return data  # the duration's own validator reports it (or it is a template)
                try:
                    slack = duration_seconds_bare(data.get("interval", 30.0))
                except ValueError:
                    slack = 0.0
                if seconds:
                    extra = min(slack or 0.0, 60.0)
                    data = {**data, "estimate": f"{math.ceil(seconds + extra)}s"}
        return data

    @model_validator(mode="after")
    def _coherent(self, info: ValidationInfo) -> MonitorStep:
        if self.capture:
            raise ValueError(
                "capture does not apply to monitor steps; their figures are recorded as "
                "NAME_min, NAME_p50, NAME_p95, NAME_max and NAME_last"
            )
        if (self.checkpoint_every is None) != (self.watch_for is None):
            raise ValueError("checkpoint_every and watch_for go together (e.g. 2h and 10m)")
        seen: set[str] = set()
        for signal in self.signals:
            if signal.name in seen:
                raise ValueError(f"two signals are named '{signal.name}'")
            seen.add(signal.name)
        if isinstance(self.duration, str) or isinstance(self.interval, str):
            return self  # templated: checked when rendered, at run time
        duration, interval = self.seconds
        if duration <= 0:
            raise ValueError("duration must be more than zero, like 1h")
        if interval <= 0:
            raise ValueError("interval must be more than zero, like 30s")
        if interval > duration:
            raise ValueError(
                f"interval ({format_duration(interval)}) is longer than the duration "
                f"({format_duration(duration)})"
            )
        if self.checkpoint_every is not None and self.watch_for is not None:
            if self.watch_for <= 0 or self.checkpoint_every <= 0:
                raise ValueError("checkpoint_every and watch_for must be more than zero")
            if self.watch_for >= self.checkpoint_every:
                raise ValueError(
                    "watch_for must be shorter than checkpoint_every (or leave both out to "
                    "watch without a break)"
                )
            if self.checkpoint_every >= duration:
                raise ValueError("checkpoint_every must be shorter than the duration")
            if interval > self.watch_for:
                raise ValueError("interval must not be longer than watch_for")
        if (info.context or {}).get("rendered"):
            # A templated duration shortened for a rehearsal (--var watch_duration=2m) must not
            # fail the run over a "for 5m": the watch runs and says which thresholds cannot be
            # reached (unreachable_thresholds). A literal duration was checked at load time.
            return self
        for problem in self.unreachable_thresholds():
            raise ValueError(f"{problem}, so it could never be reached")
        return self

    def unreachable_thresholds(self) -> list[str]:
        """Thresholds whose ``for`` is longer than one watch (or one checkpoint's watch)."""
        duration, _ = self.seconds
        watched = self.watch_for if self.checkpoint_every and self.watch_for else duration
        return [
            f"signal '{signal.name}': the {which} threshold '{threshold.text}' asks for longer "
            f"than one watch lasts ({format_duration(watched)})"
            for signal in self.signals
            for which, threshold in zip(("warn", "fail"), signal.thresholds(), strict=True)
            if threshold is not None and threshold.sustain > watched
        ]

    def figure_fields(self) -> list[InputField]:
        """Every figure the watch records, with unit, target and checklist blank."""
        return [field for signal in self.signals for field in signal.figure_fields()]

    def value_names(self) -> list[str]:
        return [*super().value_names(), *(field.id for field in self.figure_fields())]

    def reference_problems(self, playbook: Playbook) -> Iterator[tuple[tuple[Any, ...], str]]:
        """Signals that name an http target or ssh host the playbook does not define."""
        import difflib

        def hint(name: str, known: list[str]) -> str:
            guess = difflib.get_close_matches(name, known, n=1)
            return f"; did you mean '{guess[0]}'?" if guess else ""

        http_targets = sorted(playbook.targets.http)
        hosts = sorted(playbook.targets.ssh)
        for index, signal in enumerate(self.signals):
            reader = signal.http or signal.prometheus
            if (
                reader is not None
                and "{{" not in reader.target
                and reader.target not in playbook.targets.http
            ):
                defined = ", ".join(http_targets) or "none defined"
                yield (
                    ("signals", index, signal.source, "target"),
                    f"signal '{signal.name}': http target '{reader.target}' is not defined "
                    f"under targets.http (known: {defined}){hint(reader.target, http_targets)}",
                )
            host = signal.command.host if signal.command else None
            if host is not None and "{{" not in host and host not in playbook.targets.ssh:
                if host in playbook.targets.groups:
                    why = f"'{host}' is a group; a command signal reads one ssh host"
                else:
                    defined = ", ".join(hosts) or "none defined"
                    why = (
                        f"ssh host '{host}' is not defined under targets.ssh "
                        f"(known: {defined}){hint(host, hosts)}"
                    )
                yield (("signals", index, "command", "host"), f"signal '{signal.name}': {why}")

    def describe_action(self, targets: Any) -> tuple[str | None, str | None]:
        """``("watch error_rate, p99 every 30s for 1h", "app, prom, web-1")`` for the header."""
        names = ", ".join(signal.name for signal in self.signals)
        where: list[str] = []
        for signal in self.signals:
            reader = signal.http or signal.prometheus
            place = reader.target if reader else (signal.command.host if signal.command else None)
            place = place or "local"
            if place not in where:
                where.append(place)
        return f"watch {names} {self.mode_text()}", ", ".join(where)

    def mode_text(self) -> str:
        """``every 30s for 1h`` (or ``10m every 2h for 24h``) for the action line."""
        if isinstance(self.duration, str) or isinstance(self.interval, str):
            return f"every {self.interval} for {self.duration}"
        duration, interval = self.seconds
        every = format_duration(interval) if interval >= 60 else f"{interval:g}s"
        text = f"every {every} for {format_duration(duration)}"
        if self.checkpoint_every and self.watch_for:
            text += (
                f", {format_duration(self.watch_for)} at checkpoints every "
                f"{format_duration(self.checkpoint_every)}"
            )
        return text
