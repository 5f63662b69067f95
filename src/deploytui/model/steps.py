"""The step kinds a playbook is made of, as one pydantic discriminated union on ``kind``.

Manual kinds (note, confirm, input, signoff, gate) are handled by the engine with the operator;
automated kinds (local, http, and the remote kinds added beside them) are handed to an executor.
Adding a kind means a model here, a line in ``Step``, an executor or engine handler, and a section
in docs/playbook-format.md (a test checks the last one).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from deploytui.model.ansible_step import AnsibleStep
from deploytui.model.fields import InputField, Strict
from deploytui.model.hold_step import HoldStep
from deploytui.model.http_step import HttpAuth, HttpPoll, HttpSample, HttpStep, JsonCheck
from deploytui.model.mongo_step import MongoStep
from deploytui.model.monitor_step import MonitorStep
from deploytui.model.notify_step import NotifyStep
from deploytui.model.ssh_step import SshStep
from deploytui.model.step_base import (
    STEP_ID_PATTERN,
    AutomatedStep,
    Capture,
    OnFailure,
    ShellCommandStep,
    StepBase,
    duration_seconds,
    duration_seconds_bare,
)
from deploytui.model.tls_step import TlsCertStep

__all__ = [
    "STEP_ID_PATTERN",
    "AnsibleStep",
    "AutomatedStep",
    "Capture",
    "HoldStep",
    "HttpAuth",
    "HttpPoll",
    "HttpSample",
    "HttpStep",
    "JsonCheck",
    "MongoStep",
    "MonitorStep",
    "NotifyStep",
    "OnFailure",
    "SshStep",
    "StepBase",
    "TlsCertStep",
    "duration_seconds",
    "duration_seconds_bare",
]


class NoteStep(StepBase):
    """Information the operator reads and acknowledges."""

    kind: Literal["note"]
    text: str = Field(default="", description="The note's text (Markdown allowed).")


class ConfirmStep(StepBase):
    """A box to tick: the operator confirms they did something by hand."""

    kind: Literal["confirm"]
    prompt: str = Field(default="", description="The question; defaults to the title.")


class InputStep(StepBase):
    """One or more typed blanks to fill."""

    kind: Literal["input"]
    fields: list[InputField] = Field(min_length=1, description="The blanks, in order.")


class SignoffStep(StepBase):
    """A role signs: the person's name and the time are journaled."""

    kind: Literal["signoff"]
    role: str = Field(min_length=1, description="The signing role, e.g. DBA, QA Lead.")
    distinct_from: list[str] = Field(
        default_factory=list,
        description="Roles whose signer must be a different person (four-eyes rule).",
    )
    statement: str = Field(default="", description="What the signer attests.")


class GateCondition(Strict):
    """One go/no-go condition. Exactly one of signoff, value, step, all_targets_met."""

    signoff: str | None = Field(default=None, description="This role has signed.")
    value: str | None = Field(default=None, description="This input field has an answer.")
    equals: str | None = Field(default=None, description="...and the answer equals this.")
    within_target: bool = Field(default=False, description="...and it meets its target.")
    step: str | None = Field(default=None, description="This step succeeded.")
    all_targets_met: bool = Field(default=False, description="No answer so far breaches.")
    label: str = Field(default="", description="How the condition reads on screen.")

    @field_validator("equals", mode="before")
    @classmethod
    def _equals_as_text(cls, value: Any) -> Any:
        return None if value is None else str(value)

    @model_validator(mode="after")
    def _exactly_one(self) -> GateCondition:
        chosen = [
            name for name in ("signoff", "value", "step") if getattr(self, name) is not None
        ] + (["all_targets_met"] if self.all_targets_met else [])
        if len(chosen) != 1:
            raise ValueError(
                "a gate condition needs exactly one of: signoff, value, step, all_targets_met"
            )
        if (self.equals is not None or self.within_target) and self.value is None:
            raise ValueError("equals and within_target only apply to a value condition")
        return self


class GateStep(StepBase):
    """Go/no-go over earlier answers, targets and sign-offs; lists what blocks it."""

    kind: Literal["gate"]
    require: list[GateCondition] = Field(min_length=1, description="All must hold to pass.")


class LocalStep(ShellCommandStep):
    """A shell command on the operator's machine."""

    kind: Literal["local"]


Step = Annotated[
    NoteStep
    | ConfirmStep
    | InputStep
    | SignoffStep
    | GateStep
    | LocalStep
    | HttpStep
    | TlsCertStep
    | MongoStep
    | SshStep
    | AnsibleStep
    | NotifyStep
    | MonitorStep
    | HoldStep,
    Field(discriminator="kind"),
]

STEP_KINDS: tuple[str, ...] = (
    "note",
    "confirm",
    "input",
    "signoff",
    "gate",
    "local",
    "http",
    "tls_cert",
    "mongo",
    "ssh",
    "ansible",
    "notify",
    "monitor",
    "hold",
)
