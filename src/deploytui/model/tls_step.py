"""The ``tls_cert`` step kind: a server's certificate is trusted and valid for N more days.

A checklist line such as "certificate for api.example.com valid ≥ 30 days" is its own item, so
it is its own kind rather than an option of ``http``. The host comes from an ``http`` target's
base URL or from ``host``/``port``; the days left can be recorded as a typed value.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, model_validator

from deploytui.model.fields import NAME_PATTERN, FieldType, InputField
from deploytui.model.step_base import AutomatedStep

if TYPE_CHECKING:
    from deploytui.model.playbook import Playbook, Targets


class TlsCertStep(AutomatedStep):
    """Connect with TLS, verify the chain and host name, and require ``min_days`` of validity."""

    kind: Literal["tls_cert"]
    target: str | None = Field(default=None, description="An http target; host from base_url.")
    host: str | None = Field(
        default=None, min_length=1, description="Host to connect to (without a target)."
    )
    port: int | None = Field(default=None, ge=1, le=65535, description="Port (443).")
    server_name: str | None = Field(default=None, description="Name to verify (SNI); the host.")
    min_days: int = Field(default=30, ge=0, description="Fail when fewer days remain.")
    verify: bool = Field(default=True, description="Verify chain and host name (default true).")
    ca_file: str | None = Field(default=None, description="CA bundle (PEM) to trust instead.")
    value: str | None = Field(
        default=None, pattern=NAME_PATTERN, description="Record the days left under this name."
    )

    @model_validator(mode="after")
    def _where(self) -> TlsCertStep:
        if (self.target is None) == (self.host is None):
            raise ValueError("a tls_cert step needs exactly one of target or host")
        return self

    def endpoint(self, targets: Targets) -> tuple[str, int]:
        """Host and port to connect to (from the http target's base URL or host/port)."""
        if self.host is not None:
            return self.host, self.port or 443
        target = targets.http.get(self.target or "")
        try:
            parts = urlsplit(target.base_url if target else "")
            default = 80 if parts.scheme == "http" else 443
            return parts.hostname or "", self.port or parts.port or default
        except ValueError:  # a rendered base_url such as "http://[::1" or a port of 99999
            return "", self.port or 443

    def days_field(self) -> InputField | None:
        if self.value is None:
            return None
        return InputField(
            id=self.value,
            label="certificate days left",
            type=FieldType.integer,
            unit="days",
            target=f">= {self.min_days}",
        )

    def value_names(self) -> list[str]:
        return [*super().value_names(), *([self.value] if self.value else [])]

    def describe_action(self, targets: Targets) -> tuple[str | None, str | None]:
        host, port = self.endpoint(targets)
        where = f"{host}:{port}" if host else f"http target '{self.target}'"
        return f"TLS certificate of {where} (≥ {self.min_days} days)", self.target or host

    def reference_problems(self, playbook: Playbook) -> Iterator[tuple[tuple[Any, ...], str]]:
        if self.target is not None and self.target not in playbook.targets.http:
            known = ", ".join(sorted(playbook.targets.http)) or "none defined"
            yield ("target",), f"http target '{self.target}' is not defined (known: {known})"
