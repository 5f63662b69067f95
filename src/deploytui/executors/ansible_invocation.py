"""Build one ansible-runner invocation for an ``ansible`` step: inventory, options, extra vars.

Why a module of its own: this is where the step's fields become Ansible's, and where two safety
rules live. Host keys are checked strictly (``StrictHostKeyChecking=yes`` against the same
known_hosts file the ssh step uses), and extra vars, which may hold secrets, never touch a disk:
ansible-runner would write them to ``env/extravars`` and its ``artifacts/*/command`` file records
the whole environment, so instead the extra vars are handed to ansible-playbook through a named
pipe (``-e @FIFO``): a writer thread pushes the bytes through the kernel each time Ansible opens
it, and nothing is ever stored. Every string value is tagged ``!unsafe`` so Ansible treats it as
data, never as a template (a password may contain ``{{``).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import stat
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from deploytui.model.ansible_step import AnsibleStep
from deploytui.model.playbook import Targets
from deploytui.model.ssh_step import expand_hosts

DEFAULT_KNOWN_HOSTS = "~/.ssh/known_hosts"  # the ssh step's default too
SECRET_ENV_PREFIX = "DEPLOYTUI_SECRET_"  # the operator's secrets; never passed on to Ansible


class InvocationError(Exception):
    """A step that cannot be turned into an Ansible run (message names the host or path)."""


def private_dir() -> Path:
    """A fresh private data dir, in RAM (/dev/shm) when the machine has it; 0700."""
    base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    return Path(tempfile.mkdtemp(prefix="deploytui-ansible-", dir=base))


def remove_private_dir(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


# -- inventory --------------------------------------------------------------------------------


def ephemeral_inventory(step: AnsibleStep, targets: Targets) -> dict[str, Any]:
    """deploytui's ssh targets (and the groups that contain them) as an Ansible inventory."""
    names = expand_hosts(step.hosts, targets)
    hosts: dict[str, dict[str, Any]] = {}
    for name in names:
        target = targets.ssh.get(name)
        if target is None:
            raise InvocationError(f"ssh host '{name}' is not defined under targets.ssh")
        if target.jump:
            raise InvocationError(
                f"{name}: jump hosts are not supported in the ansible step's ephemeral "
                "inventory; give an Ansible inventory (inventory:) with your ProxyJump settings"
            )
        known_hosts = os.path.expanduser(target.known_hosts or DEFAULT_KNOWN_HOSTS)
        variables: dict[str, Any] = {
            "ansible_host": target.host,
            "ansible_port": target.port,
            "ansible_ssh_common_args": (
                f"-o StrictHostKeyChecking=yes -o UserKnownHostsFile={known_hosts} "
                f"-o ConnectTimeout={max(1, round(target.connect_timeout))}"
            ),
        }
        if target.user:
            variables["ansible_user"] = target.user
        if target.key_file:
            variables["ansible_ssh_private_key_file"] = os.path.expanduser(target.key_file)
        if step.python_interpreter:
            variables["ansible_python_interpreter"] = step.python_interpreter
        hosts[name] = variables
    children = {
        group: {"hosts": {member: {} for member in members if member in hosts}}
        for group, members in targets.groups.items()
        if any(member in hosts for member in members)
    }
    return {"all": {"hosts": hosts, "children": children}}


def inventory_hosts(inventory: str, limit: str | None) -> list[str]:
    """The hosts an inventory path yields under ``limit``, in Ansible's order (for batches)."""
    from ansible.inventory.manager import InventoryManager
    from ansible.parsing.dataloader import DataLoader

    manager = InventoryManager(loader=DataLoader(), sources=[inventory])
    if limit:
        manager.subset(limit)
    return [host.name for host in manager.get_hosts("all")]


# -- extra vars through a named pipe -------------------------------------------------------------


def _unsafe_yaml(value: Any) -> str:
    """YAML (flow style) where every string is ``!unsafe``: data for Ansible, never a template."""
    if isinstance(value, dict):
        items = ", ".join(f"{json.dumps(str(k))}: {_unsafe_yaml(v)}" for k, v in value.items())
        return "{" + items + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_unsafe_yaml(item) for item in value) + "]"
    if isinstance(value, str):
        return "!unsafe " + json.dumps(value)
    return json.dumps(value)


class ExtraVarsPipe:
    """A FIFO that hands the extra vars to the one ansible process that opens it. No disk.

    Served exactly once: ansible-playbook reads its ``-e @file`` once at start (then forks), and
    a second writer opened while the reader is still draining would send the data twice. Each
    Ansible run (one per batch) gets its own pipe.
    """

    def __init__(self, folder: Path, extra_vars: dict[str, Any], name: str = "extravars") -> None:
        self.path = folder / f"{name}.fifo"
        self._data = _unsafe_yaml(extra_vars).encode()
        self._stop = threading.Event()
        os.mkfifo(self.path, 0o600)
        self._thread = threading.Thread(
            target=self._serve, name="deploytui-ansible-extravars", daemon=True
        )
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                # Non-blocking open fails with ENXIO until a reader has the pipe open, so the
                # thread can notice ``close()``; the write itself then blocks until read.
                fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as error:
                if error.errno not in (errno.ENXIO, errno.EINTR):
                    return
                self._stop.wait(0.02)
                continue
            try:
                os.set_blocking(fd, True)
                with contextlib.suppress(BrokenPipeError):
                    os.write(fd, self._data)
            finally:
                os.close(fd)
            return

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        with contextlib.suppress(FileNotFoundError):
            if stat.S_ISFIFO(os.lstat(self.path).st_mode):
                os.unlink(self.path)


# -- the ansible-runner keyword arguments ----------------------------------------------------------


def runner_environment(folder: Path) -> dict[str, str]:
    """Environment overrides: this venv's ansible on PATH, strict host keys, temp files inside."""
    bin_dir = os.path.dirname(sys.executable)
    return {
        "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin"),
        "ANSIBLE_HOST_KEY_CHECKING": "True",
        "ANSIBLE_LOCAL_TEMP": str(folder / "tmp"),
        "ANSIBLE_SSH_CONTROL_PATH_DIR": str(folder / "cp"),
        "ANSIBLE_PIPELINING": "True",  # fewer round trips; no sftp needed for module transfer
        "ANSIBLE_RETRY_FILES_ENABLED": "False",
        "ANSIBLE_NOCOLOR": "True",
    }


def runner_kwargs(
    step: AnsibleStep,
    *,
    folder: Path,
    inventory: str,
    limit: str | None,
    extra_vars_file: Path | None,
) -> dict[str, Any]:
    """Keyword arguments for ``ansible_runner.init_runner`` (event and cancel handlers aside)."""
    cmdline: list[str] = []
    if step.tags:
        cmdline += ["--tags", ",".join(step.tags)]
    if step.skip_tags:
        cmdline += ["--skip-tags", ",".join(step.skip_tags)]
    if step.check:
        cmdline += ["--check", "--diff"]
    elif step.diff:
        cmdline.append("--diff")
    if step.become:
        cmdline.append("--become")
    if extra_vars_file is not None:
        cmdline += ["-e", f"@{extra_vars_file}"]
    kwargs: dict[str, Any] = {
        "private_data_dir": str(folder),
        "inventory": inventory,
        "forks": step.forks,
        "quiet": True,
        "envvars": runner_environment(folder),
        "cmdline": " ".join(_quote(word) for word in cmdline),
        "suppress_output_file": True,
        "rotate_artifacts": 1,
    }
    if limit:
        kwargs["limit"] = limit
    if step.timeout is not None:
        kwargs["timeout"] = max(1, round(step.timeout))
    if step.playbook is not None:
        playbook = os.path.abspath(os.path.expanduser(step.playbook))
        if not os.path.isfile(playbook):
            raise InvocationError(f"Ansible playbook not found: {step.playbook} ({playbook})")
        kwargs["playbook"] = playbook
        kwargs["project_dir"] = os.path.dirname(playbook)
    else:
        kwargs["module"] = step.module
        kwargs["module_args"] = step.args
        kwargs["host_pattern"] = "all"
    return kwargs


def _quote(word: str) -> str:
    import shlex

    return shlex.quote(word)


def scrub_environment(env: dict[str, str]) -> dict[str, str]:
    """The runner's environment minus deploytui's secrets (ansible-runner writes it to disk)."""
    return {key: value for key, value in env.items() if not key.startswith(SECRET_ENV_PREFIX)}
