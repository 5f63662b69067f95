"""The ``ssh`` step kind: one command on one host or fanned out over a group of hosts.

Kept in its own module (like the other remote kinds) so the model stays importable without
paramiko; the executor lives in ``deploytui.executors.ssh``. Host and group names are resolved
against ``targets.ssh`` / ``targets.groups`` here so the checks, the dry run, the engine's
"where" line and the executor all expand a step's hosts the same way.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator, model_validator

from deploytui.model.fields import Strict
from deploytui.model.step_base import ShellCommandStep

if TYPE_CHECKING:
    from deploytui.model.playbook import Playbook, Targets

SECRET_REFERENCE = re.compile(r"^\s*\{\{\s*secrets\.[A-Za-z_]\w*\s*\}\}\s*$")
PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")
SHOWN_HOSTS = 3  # how many host names the one-line summary lists before "… N hosts"


def count_or_percent(value: Any, *, minimum: int, what: str) -> int | str:
    """``5`` or ``"25%"``, validated; percentages are kept as text like ``"25%"``."""
    if isinstance(value, bool):
        raise ValueError(f"{what} is a number of hosts or a percentage like 25%")
    if isinstance(value, int):
        if value < minimum:
            raise ValueError(f"{what} must be at least {minimum}")
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return count_or_percent(int(text), minimum=minimum, what=what)
        match = PERCENT.match(text)
        if match:
            percent = float(match.group(1))
            if not (minimum <= percent <= 100) or (minimum == 1 and percent == 0):
                raise ValueError(f"{what} percentage must be between {minimum}% and 100%")
            return f"{match.group(1)}%"
    raise ValueError(f"{what} is a number of hosts or a percentage like 25%")


def batch_size(serial: int | str | None, total: int) -> int:
    """Hosts per batch: all at once without ``serial``; ``25%`` rounds up, at least one."""
    if serial is None or total == 0:
        return max(total, 1)
    if isinstance(serial, int):
        return max(1, min(serial, total))
    return max(1, min(total, math.ceil(total * float(serial.rstrip("%")) / 100)))


def too_many_failures(max_failures: int | str, failed: int, total: int) -> bool:
    """True when more than ``max_failures`` hosts (or percent of ``total``) have failed."""
    if isinstance(max_failures, int):
        return failed > max_failures
    return failed * 100 > float(max_failures.rstrip("%")) * total


def expand_hosts(names: list[str], targets: Targets) -> list[str]:
    """Host and group names → host names, in order, each once. Unknown names are kept."""
    hosts: list[str] = []
    for name in names:
        members = targets.groups.get(name) if name not in targets.ssh else None
        for host in members if members is not None else [name]:
            if host not in hosts:
                hosts.append(host)
    return hosts


def summarize_hosts(hosts: list[str], label: str | None = None) -> str:
    """``web-1, web-2, web-3 … web-12 (12 hosts)``: whole names only, first and last shown."""
    if not hosts:
        return "no hosts"
    prefix = f"{label}: " if label else ""
    if len(hosts) <= SHOWN_HOSTS + 1:
        listed = ", ".join(hosts)
    else:
        listed = ", ".join(hosts[:SHOWN_HOSTS]) + f" … {hosts[-1]}"
    count = f" ({len(hosts)} hosts)" if len(hosts) > 1 else ""
    return f"{prefix}{listed}{count}"


def unknown_host_problems(
    names: list[str], targets: Targets
) -> Iterator[tuple[tuple[Any, ...], str]]:
    """A problem (at ``hosts[i]``) for each name that is neither an ssh host nor a group."""
    import difflib

    known = sorted({*targets.ssh, *targets.groups})
    for index, name in enumerate(names):
        if "{{" in name or name in targets.ssh or name in targets.groups:
            continue
        guess = difflib.get_close_matches(name, known, n=1)
        hint = f"; did you mean '{guess[0]}'?" if guess else ""
        defined = ", ".join(known[:8]) + (" …" if len(known) > 8 else "") or "none defined"
        yield (
            ("hosts", index),
            f"ssh host or group '{name}' is not defined under targets.ssh or targets.groups "
            f"(known: {defined}){hint}",
        )


class RolloutFields(Strict):
    """Rolling-deploy controls shared by the fan-out kinds (``ssh``, ``ansible``)."""

    serial: int | str | None = Field(
        default=None, description="Batch size for rolling deploys: a number or '25%'."
    )
    max_failures: int | str = Field(
        default=0,
        description="Failed or unreachable hosts tolerated (number or '10%'); more stops it.",
    )

    @field_validator("serial", mode="before")
    @classmethod
    def _serial(cls, value: Any) -> Any:
        return None if value is None else count_or_percent(value, minimum=1, what="serial")

    @field_validator("max_failures", mode="before")
    @classmethod
    def _max_failures(cls, value: Any) -> Any:
        return count_or_percent(value, minimum=0, what="max_failures")


class SshStep(ShellCommandStep, RolloutFields):
    """A shell command over SSH on one host or a group, with rolling-deploy controls."""

    kind: Literal["ssh"]
    hosts: list[str] = Field(
        min_length=1, description="A host or group name from targets, or a list of them."
    )
    sudo: bool = Field(default=False, description="Run the command through sudo.")
    sudo_user: str | None = Field(default=None, description="sudo -u USER (default root).")
    sudo_password: str | None = Field(
        default=None, description="'{{ secrets.NAME }}' holding the sudo password."
    )
    concurrency: int = Field(default=10, ge=1, le=200, description="Hosts at a time.")

    @field_validator("hosts", mode="before")
    @classmethod
    def _one_or_many_hosts(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _sudo_fields(self) -> SshStep:
        if (self.sudo_password is not None or self.sudo_user is not None) and not self.sudo:
            raise ValueError("sudo_password and sudo_user only apply with sudo: true")
        return self

    def describe_action(self, targets: Targets) -> tuple[str | None, str | None]:
        """``("$ command", "web: web-1, web-2 … web-9 (9 hosts)")`` for the step header."""
        sudo = f" (sudo -u {self.sudo_user})" if self.sudo_user else " (sudo)" if self.sudo else ""
        label = self.hosts[0] if len(self.hosts) == 1 and self.hosts[0] in targets.groups else None
        return f"$ {self.command}{sudo}", summarize_hosts(expand_hosts(self.hosts, targets), label)

    def reference_problems(self, playbook: Playbook) -> Iterator[tuple[tuple[Any, ...], str]]:
        """Host names that are neither hosts nor groups; a sudo password that is not a secret."""
        yield from unknown_host_problems(self.hosts, playbook.targets)
        if self.sudo_password is not None and not SECRET_REFERENCE.match(self.sudo_password):
            yield (
                ("sudo_password",),
                "sudo_password must name a secret, like '{{ secrets.sudo_password }}'; "
                "a password never goes in a playbook",
            )
