"""The playbook: a maintenance window as data (metadata, budget, targets, phases, rollback).

These models only describe shape and per-field rules. Cross-references (unique ids, template
references, gate conditions pointing at real steps) are checked by ``deploytui.playbook.checks``
where the YAML line numbers are at hand.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import Field, field_validator

from deploytui.model.fields import NAME_PATTERN, InputField, Strict
from deploytui.model.notify_step import Notifications
from deploytui.model.steps import (
    STEP_ID_PATTERN,
    AutomatedStep,
    InputStep,
    Step,
    StepBase,
    duration_seconds,
    duration_seconds_bare,
)

ROLLBACK_PHASE_ID = "rollback"


class Window(Strict):
    """The maintenance window's time budget."""

    budget: int = Field(description="Total time allowed (e.g. 4h, 2h30m).")
    starts_at: str | None = Field(default=None, description="Planned start, informational.")

    @field_validator("budget", mode="before")
    @classmethod
    def _seconds(cls, value: Any) -> int | None:
        return duration_seconds(value)


class SshHost(Strict):
    """An SSH host that ``ssh`` steps can target."""

    host: str = Field(min_length=1, description="Hostname or address.")
    port: int = Field(default=22, ge=1, le=65535)
    user: str | None = Field(default=None, description="Login user; defaults to yours.")
    key_file: str | None = Field(default=None, description="Private key; else agent/defaults.")
    jump: str | None = Field(default=None, description="Name of another ssh target to jump via.")
    known_hosts: str | None = Field(default=None, description="known_hosts file to verify with.")
    connect_timeout: float = Field(default=10.0, description="Seconds to wait for a connection.")

    @field_validator("connect_timeout", mode="before")
    @classmethod
    def _seconds(cls, value: Any) -> float | None:
        return duration_seconds_bare(value)


class HttpTarget(Strict):
    """A base URL that ``http`` steps can target by name."""

    base_url: str = Field(description="e.g. https://api.example.com")
    headers: dict[str, str] = Field(default_factory=dict, description="Sent with every request.")
    verify_tls: bool = Field(default=True, description="Verify certificates (default true).")
    ca_file: str | None = Field(default=None, description="CA bundle (PEM) to trust instead.")
    timeout: float = Field(default=10.0, description="Per-request timeout.")

    @field_validator("timeout", mode="before")
    @classmethod
    def _seconds(cls, value: Any) -> float | None:
        return duration_seconds_bare(value)


class MongoTarget(Strict):
    """A MongoDB deployment; the URI usually comes from a secret."""

    uri: str = Field(description="mongodb:// URI, e.g. '{{ secrets.mongo_uri }}'.")
    database: str | None = Field(default=None, description="Default database.")


class Targets(Strict):
    """Everything automated steps can reach, defined once at the top."""

    ssh: dict[str, SshHost] = Field(default_factory=dict)
    groups: dict[str, list[str]] = Field(default_factory=dict, description="Named host lists.")
    http: dict[str, HttpTarget] = Field(default_factory=dict)
    mongo: dict[str, MongoTarget] = Field(default_factory=dict)


class SecretSpec(Strict):
    """A secret the playbook needs; its value comes from the keyring or the environment."""

    description: str = ""


class Phase(Strict):
    """A section of the window (Backup, Migration...) with its own time estimate."""

    id: str = Field(pattern=STEP_ID_PATTERN)
    title: str
    description: str = ""
    estimate: int | None = Field(default=None, description="Planned duration of the phase.")
    steps: list[Step] = Field(min_length=1)

    @field_validator("estimate", mode="before")
    @classmethod
    def _seconds(cls, value: Any) -> int | None:
        return duration_seconds(value)

    @property
    def planned_seconds(self) -> int:
        """The phase estimate, or the sum of its steps' estimates."""
        if self.estimate is not None:
            return self.estimate
        return sum(step.estimate or 0 for step in self.steps)


class Rollback(Strict):
    """Steps that undo the change; offered whenever something fails."""

    title: str = "Rollback"
    description: str = ""
    estimate: int | None = None
    steps: list[Step] = Field(default_factory=list)

    @field_validator("estimate", mode="before")
    @classmethod
    def _seconds(cls, value: Any) -> int | None:
        return duration_seconds(value)


class SourceDocument(Strict):
    """The Markdown checklist a playbook was imported from, kept for the filled-in export."""

    name: str = Field(description="File name of the original checklist.")
    text: str = Field(description="The checklist's text, line endings normalised.")


class Playbook(Strict):
    """A whole maintenance window."""

    name: str = Field(min_length=1, description="Short name, shown everywhere.")
    version: str = Field(default="1", description="Version of this playbook.")
    description: str = ""
    owner: str = Field(default="", description="Team or person who owns it.")
    window: Window | None = None
    variables: dict[str, str | int | float | bool] = Field(default_factory=dict)
    secrets: dict[str, SecretSpec] = Field(default_factory=dict)
    targets: Targets = Field(default_factory=Targets)
    phases: list[Phase] = Field(min_length=1)
    rollback: Rollback = Field(default_factory=Rollback)
    notifications: Notifications = Field(
        default_factory=Notifications, description="Webhook channels and hooks on run events."
    )
    source_document: SourceDocument | None = Field(
        default=None, description="Set by `deploytui import`: the original checklist."
    )

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int | float) else value

    @field_validator("variables")
    @classmethod
    def _variable_names(cls, value: dict[str, Any]) -> dict[str, Any]:
        import re

        for name in value:
            if not re.match(NAME_PATTERN, name):
                raise ValueError(f"variable name '{name}' must be letters, digits and _")
        return value

    @field_validator("secrets", mode="before")
    @classmethod
    def _secret_shorthand(cls, value: Any) -> Any:
        """Allow ``secrets: [a, b]`` and ``secrets: {a: "what it is"}`` as shorthands."""
        if isinstance(value, list):
            for name in value:
                if not isinstance(name, str):  # `- name: x` would become a secret named "{...}"
                    raise ValueError(
                        f"list secret names, e.g. secrets: [api_token], or map a name to what it "
                        f"is, e.g. secrets: {{api_token: Deploy API token}} (got {name!r})"
                    )
            return {name: {} for name in value}
        if isinstance(value, dict):
            return {
                name: {"description": spec} if isinstance(spec, str) or spec is None else spec
                for name, spec in value.items()
            }
        return value

    def ordered_steps(self) -> Iterator[tuple[str, StepBase]]:
        """Every step with its phase id, in execution order, rollback last."""
        for phase in self.phases:
            for step in phase.steps:
                yield phase.id, step
        for step in self.rollback.steps:
            yield ROLLBACK_PHASE_ID, step

    def step(self, step_id: str) -> StepBase:
        for _, step in self.ordered_steps():
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def phase_of(self, step_id: str) -> str:
        for phase_id, step in self.ordered_steps():
            if step.id == step_id:
                return phase_id
        raise KeyError(step_id)

    def input_fields(self) -> dict[str, InputField]:
        """Every input field by id."""
        return {
            field.id: field
            for _, step in self.ordered_steps()
            if isinstance(step, InputStep)
            for field in step.fields
        }

    def capture_names(self) -> set[str]:
        """Every value name automated steps provide (captures, sampled figures...)."""
        return {
            name
            for _, step in self.ordered_steps()
            if isinstance(step, AutomatedStep)
            for name in step.value_names()
        }

    @property
    def budget_seconds(self) -> int | None:
        return self.window.budget if self.window else None
