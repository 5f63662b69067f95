"""Build one ansible-runner invocation for an ``ansible`` step: inventory, options, extra vars.

Why a module of its own: this is where the step's fields become Ansible's, and where two safety
rules live. Host keys are checked strictly (``StrictHostKeyChecking=yes`` against the same
known_hosts file the ssh step uses), and extra vars, which may hold secrets, never touch a disk:
ansible-runner would write them to ``env/extravars`` and its ``artifacts/*/command`` file records
the whole environment, so instead the extra vars are handed to ansible-playbook through a named
pipe (``-e @FIFO``, one per Ansible run): a writer thread pushes the bytes through the kernel
once, when ansible-playbook opens it, and nothing is ever stored. Every string value is tagged
``!unsafe`` so Ansible treats it as data, never as a template (a password may contain ``{{``).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from deploytui.model.ansible_step import AnsibleStep
from deploytui.model.playbook import Targets
from deploytui.model.ssh_step import expand_hosts

DEFAULT_KNOWN_HOSTS = "~/.ssh/known_hosts"  # as ssh_hostkeys (not imported: it needs paramiko)
SECRET_ENV_PREFIX = "DEPLOYTUI_SECRET_"  # the operator's secrets; never passed on to Ansible


class InvocationError(Exception):
    """A step that cannot be turned into an Ansible run (message names the host or path)."""


def private_dir(prefix: str = "deploytui-ansible-") -> Path:
    """A fresh private data dir, in RAM (/dev/shm) when the machine has it; 0700."""
    base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    return Path(tempfile.mkdtemp(prefix=prefix, dir=base))


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


def inventory_hosts(
    inventory: str, limit: str | None, folder: Path, control_dir: Path
) -> list[str]:
    """The hosts an inventory yields under ``limit``, in Ansible's order (for batches, retries).

    Asked of ``ansible --list-hosts`` in a child process (it connects to nothing): Ansible's
    pattern rules exactly, and none of Ansible's global state or console output in deploytui's
    process (its warnings would land on the TUI's screen).
    """
    command = ["ansible", "all", "-i", inventory, "--list-hosts"]
    if limit:
        command += ["--limit", limit]
    env = scrub_environment({**os.environ, **runner_environment(folder, control_dir)})
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, env=env, timeout=120, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise InvocationError(f"cannot list the inventory's hosts: {error}") from None
    if done.returncode != 0:
        if "no hosts to target" in done.stderr:
            return []
        errors = [line for line in done.stderr.splitlines() if "ERROR" in line]
        why = (errors or done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[0]
        raise InvocationError(f"cannot read the inventory {inventory}: {why}")
    lines = done.stdout.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip().startswith("hosts (")), None)
    return (
        [line.strip() for line in lines[start + 1 :] if line.strip()] if start is not None else []
    )


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


def stop_control_masters(control_dir: Path) -> None:
    """End the ssh ControlPersist masters Ansible left (they would idle on for 60 s)."""
    for socket_path in control_dir.glob("*"):
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            subprocess.run(
                ["ssh", "-o", f"ControlPath={socket_path}", "-O", "exit", "deploytui"],
                capture_output=True,
                timeout=5,
                check=False,
            )


def runner_environment(folder: Path, control_dir: Path) -> dict[str, str]:
    """Environment overrides: this venv's ansible on PATH, strict host keys, temp files inside.

    ssh control sockets live in ``control_dir``, one per executor (run), so connections are
    reused by the run's ansible steps and their masters ended when the run closes.
    """
    bin_dir = os.path.dirname(sys.executable)
    return {
        "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin"),
        # Never trust a host key on first use, whatever ansible.cfg says.
        "ANSIBLE_HOST_KEY_CHECKING": "True",
        "ANSIBLE_LOCAL_TEMP": str(folder / "tmp"),
        "ANSIBLE_SSH_CONTROL_PATH_DIR": str(control_dir),
        # Fewer round trips per task; the operator's own setting wins (env only: an
        # ansible.cfg setting is overridden by this variable, so say False here to turn it off).
        "ANSIBLE_PIPELINING": os.environ.get("ANSIBLE_PIPELINING", "True"),
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
    control_dir: Path,
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
        "envvars": runner_environment(folder, control_dir),
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
