"""The ``ansible`` step kind: run an existing Ansible playbook (or one ad-hoc module) as a step.

Teams with large fleets already deploy with Ansible; this kind drives their playbooks from the
window instead of re-implementing a fleet engine. The model stays importable without Ansible
(``deploytui validate`` never loads it); the executor lives in ``deploytui.executors.ansible``.
Hosts come either from an Ansible inventory (``inventory:``) or from deploytui's own ssh targets
and groups (``hosts:``), which the executor turns into an ephemeral inventory.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator, model_validator

from deploytui.model.ssh_step import (
    RolloutFields,
    expand_hosts,
    summarize_hosts,
    unknown_host_problems,
)
from deploytui.model.step_base import AutomatedStep

if TYPE_CHECKING:
    from deploytui.model.playbook import Playbook, Targets


class AnsibleStep(AutomatedStep, RolloutFields):
    """An Ansible playbook or ad-hoc module, run through ansible-runner, one result per host."""

    kind: Literal["ansible"]
    playbook: str | None = Field(
        default=None, description="Path of the Ansible playbook to run (relative to the cwd)."
    )
    module: str | None = Field(default=None, description="Ad-hoc module instead of a playbook.")
    args: str = Field(default="", description="Ad-hoc module arguments, e.g. 'name=nginx'.")
    hosts: list[str] = Field(
        default_factory=list,
        description="deploytui ssh hosts/groups made into an ephemeral inventory.",
    )
    inventory: str | None = Field(default=None, description="An Ansible inventory path instead.")
    limit: str | None = Field(default=None, description="Ansible --limit pattern.")
    tags: list[str] = Field(default_factory=list, description="--tags")
    skip_tags: list[str] = Field(default_factory=list, description="--skip-tags")
    extra_vars: dict[str, Any] = Field(
        default_factory=dict,
        description="Extra vars (templates allowed: inputs, vars, secrets); never written to disk.",
    )
    forks: int = Field(default=10, ge=1, le=500, description="Ansible --forks.")
    check: bool = Field(default=False, description="Run in check mode: --check --diff.")
    diff: bool = Field(default=False, description="Show file diffs (--diff) on a real run.")
    become: bool = Field(default=False, description="--become (passwordless sudo on the hosts).")
    python_interpreter: str | None = Field(
        default=None, description="ansible_python_interpreter for the ephemeral inventory."
    )
    retry_hosts: Literal["failed", "all"] = Field(
        default="failed",
        description="On a retry in the same run, run only the hosts that failed (or all).",
    )

    @field_validator("hosts", "tags", "skip_tags", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _what_and_where(self) -> AnsibleStep:
        if (self.playbook is None) == (self.module is None):
            raise ValueError("an ansible step needs exactly one of: playbook, module")
        if self.args and self.module is None:
            raise ValueError("args only apply to an ad-hoc module")
        if bool(self.hosts) == (self.inventory is not None):
            raise ValueError(
                "an ansible step needs exactly one of: hosts (deploytui ssh targets/groups) "
                "or inventory (an Ansible inventory path)"
            )
        return self

    # -- how the step reads on screen and in the dry run ------------------------------------------

    def command_line(self, inventory: str = "INVENTORY", *, check: bool | None = None) -> str:
        """The equivalent ansible command line (extra vars by name only: values may be secret)."""
        check = self.check if check is None else check
        if self.playbook is not None:
            words = ["ansible-playbook", "-i", inventory, self.playbook]
        else:
            words = ["ansible", "all", "-i", inventory, "-m", str(self.module)]
            if self.args:
                words += ["-a", self.args]
        if self.limit:
            words += ["--limit", self.limit]
        if self.tags:
            words += ["--tags", ",".join(self.tags)]
        if self.skip_tags:
            words += ["--skip-tags", ",".join(self.skip_tags)]
        if self.become:
            words.append("--become")
        words += ["--forks", str(self.forks)]
        if check:
            words += ["--check", "--diff"]
        elif self.diff:
            words.append("--diff")
        text = shlex.join(words)
        if self.extra_vars:
            text += " -e {" + ", ".join(self.extra_vars) + "}"
        return text

    def describe_action(self, targets: Targets) -> tuple[str | None, str | None]:
        """``("ansible-playbook -i … site.yml --limit web", "web: web-1 … (9 hosts)")``."""
        if self.inventory is not None:
            return self.command_line(self.inventory), f"inventory {self.inventory}"
        label = self.hosts[0] if len(self.hosts) == 1 and self.hosts[0] in targets.groups else None
        where = summarize_hosts(expand_hosts(self.hosts, targets), label)
        return self.command_line("(deploytui ssh targets)"), where

    def dry_run_notes(self) -> list[str]:
        """What ``--dry-run`` adds under the step: rollout rules, how to preview in check mode."""
        notes = []
        limit = self.max_failures
        hosts = f"{limit} of the hosts" if isinstance(limit, str) else f"{limit} host(s)"
        if self.serial is not None:
            notes.append(
                f"in batches of {self.serial} (one Ansible run each); stops when more than "
                f"{hosts} fail"
            )
        elif self.max_failures:
            notes.append(f"tolerates {self.max_failures} failed or unreachable hosts")
        if self.check:
            notes.append("runs in Ansible check mode (--check --diff): reports changes, makes none")
        else:
            notes.append(
                "preview on the hosts without changing them: set `check: true` on the step "
                "(runs with --check --diff)"
            )
        return notes

    def reference_problems(self, playbook: Playbook) -> Iterator[tuple[tuple[Any, ...], str]]:
        """Host names that are neither deploytui ssh hosts nor groups."""
        yield from unknown_host_problems(self.hosts, playbook.targets)
