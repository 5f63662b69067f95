"""The ``notify`` step kind and the playbook-level ``notifications`` block.

Checklists say "announce the deployment to stakeholders" and "notify stakeholders of rollback":
one webhook message each, sent in the background so a slow or dead webhook never holds up the
window. Channels (a URL, usually a secret, and a payload format) are declared once under
``notifications.channels``; hooks under ``notifications.on`` send a message on run events. Names
are checked at load time (``reference_problems`` here, hooks in ``playbook.checks``).
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator, model_validator

from deploytui.model.fields import NAME_PATTERN, Strict
from deploytui.model.step_base import AutomatedStep, duration_seconds_bare

if TYPE_CHECKING:
    from deploytui.model.playbook import Playbook, Targets


class NotifyFormat(StrEnum):
    """The JSON body a channel expects."""

    generic = "generic"  # our own flat JSON document
    slack = "slack"  # Slack incoming webhook: {"text", "blocks"}
    teams = "teams"  # Teams Workflows webhook: a message with an Adaptive Card attachment


class HookEvent(StrEnum):
    """Run events a hook can fire on."""

    run_started = "run_started"
    phase_finished = "phase_finished"
    step_failed = "step_failed"
    trigger_fired = "trigger_fired"
    run_finished = "run_finished"


class NotifyChannel(Strict):
    """Where messages go: a webhook URL (usually ``{{ secrets.NAME }}``) and its format."""

    url: str = Field(
        description="Webhook URL; templates with vars and secrets. Empty = not configured."
    )
    format: NotifyFormat = Field(default=NotifyFormat.generic, description="generic|slack|teams.")
    headers: dict[str, str] = Field(
        default_factory=dict, description="Extra request headers (templates allowed)."
    )

    @field_validator("headers", mode="before")
    @classmethod
    def _headers_as_text(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {str(key): str(item) for key, item in value.items()}
        return value


class Notifications(Strict):
    """Channels, hooks on run events, and the bounds that keep sending from holding up a run."""

    channels: dict[str, NotifyChannel] = Field(default_factory=dict)
    on: dict[HookEvent, list[str]] = Field(
        default_factory=dict, description="Run event → channel names to notify."
    )
    timeout: float = Field(default=10.0, description="Per-request timeout (10s).")
    give_up_after: float = Field(
        default=120.0, description="Stop retrying a message after this long in total (2m)."
    )
    wait_at_end: float = Field(
        default=15.0, description="At the end of a run, wait at most this long for deliveries."
    )

    @field_validator("timeout", "give_up_after", "wait_at_end", mode="before")
    @classmethod
    def _seconds(cls, value: Any) -> float | None:
        return duration_seconds_bare(value)

    @field_validator("channels")
    @classmethod
    def _channel_names(cls, value: dict[str, NotifyChannel]) -> dict[str, NotifyChannel]:
        import re

        for name in value:
            if not re.match(NAME_PATTERN, name):
                raise ValueError(f"channel name '{name}' must be letters, digits and _")
        return value

    @field_validator("on", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {key: [item] if isinstance(item, str) else item for key, item in value.items()}
        return value


class NotifyStep(AutomatedStep):
    """Send one message to one or more channels; the step journals that it was queued."""

    kind: Literal["notify"]
    channel: str | None = Field(default=None, description="The channel to send to.")
    channels: list[str] = Field(default_factory=list, description="Several channels.")
    message: str = Field(min_length=1, description="The text; templates allowed.")
    wait: bool = Field(
        default=False,
        description="Wait for delivery (bounded by timeout or give_up_after); fail if it fails.",
    )

    @model_validator(mode="after")
    def _some_channel(self) -> NotifyStep:
        if (self.channel is None) == (not self.channels):
            raise ValueError("a notify step needs exactly one of channel or channels")
        return self

    def channel_names(self) -> list[str]:
        return [self.channel] if self.channel is not None else list(self.channels)

    def describe_action(self, targets: Targets) -> tuple[str | None, str | None]:
        first = self.message.strip().splitlines()[0] if self.message.strip() else ""
        if len(first) > 80:
            first = first[:79] + "…"
        return f"notify {', '.join(self.channel_names())}: {first}", "webhook"

    def reference_problems(self, playbook: Playbook) -> Iterator[tuple[tuple[Any, ...], str]]:
        notifications: Notifications | None = getattr(playbook, "notifications", None)
        known = set(notifications.channels) if notifications else set()
        where: tuple[Any, ...]
        for index, name in enumerate(self.channel_names()):
            where = ("channel",) if self.channel is not None else ("channels", index)
            if name not in known:
                listed = ", ".join(sorted(known)) or "none declared"
                yield (
                    where,
                    f"notification channel '{name}' is not declared under "
                    f"notifications.channels (known: {listed})",
                )
