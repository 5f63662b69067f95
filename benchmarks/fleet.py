"""N real OpenSSH servers on loopback, one port each, for the fan-out benchmark.

Reuses the test suite's sshd helpers (config with ``MaxStartups 200:30:300`` and
``MaxSessions 200``, session keys, known_hosts), and writes the three inventories the tools
compare on: a deploytui playbook with a one-step ``ssh`` fan-out, an Ansible INI inventory and
a host list for the raw paramiko baseline.

The servers share the 2 cores with the client being measured, so whatever a session costs on the
server side is paid inside every tool's wall time. The one server-side cost that is not ssh itself
is the remote shell's start-up files: sshd runs the command with the login user's shell, and bash
sources ``~/.bashrc`` when it sees it was started by sshd (``SSH_CLIENT`` set, ``SHLVL`` < 2). On
this machine root's ``~/.bashrc`` runs ``pyenv init`` (about 0.1 s of CPU per command), which made
every connection cost about 0.13 s of server CPU: at N=50 roughly 5 s of wall time common to all
tools, which hid the differences between them (raw paramiko measured 5.3 s at N=50 here, against
0.95 s on a clean machine). The fleet's sshd sets ``SHLVL=1`` for its sessions, so bash counts
itself as nested and skips ``~/.bashrc``, as a target host without a heavy rc file would. Every
tool talks to the same servers, so the comparison stays even.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from tests.sshd_helpers import Sshd, SshKeys

COMMAND = "uname -n && sleep 0.2"


class FleetSshd(Sshd):
    """The test suite's sshd with one line more: sessions skip the user's ``~/.bashrc``."""

    def _config(self) -> Path:
        config = super()._config()
        # bash sources ~/.bashrc for commands run by sshd only at shell level 1 (it increments
        # SHLVL on start), so an inherited SHLVL=1 keeps a heavy rc file out of every session.
        config.write_text(config.read_text() + "SetEnv SHLVL=1\n")
        return config


@dataclass
class Fleet:
    folder: Path
    keys: SshKeys
    servers: list[Sshd] = field(default_factory=list)

    @classmethod
    def start(cls, folder: Path, count: int) -> Fleet:
        keys = SshKeys.create(folder / "keys")
        fleet = cls(folder=folder, keys=keys)
        try:
            for number in range(count):
                fleet.servers.append(FleetSshd(keys, folder / f"sshd-{number:02d}").start())
        except BaseException:
            fleet.stop()
            raise
        fleet.keys.known_hosts(fleet.known_hosts, [server.port for server in fleet.servers])
        return fleet

    @property
    def known_hosts(self) -> Path:
        return self.folder / "known_hosts"

    def stop(self) -> None:
        for server in self.servers:
            server.stop()

    @staticmethod
    def name(number: int) -> str:
        return f"host-{number:02d}"

    def deploytui_playbook(self, count: int) -> Path:
        """A one-step playbook: ``COMMAND`` over a group of the first ``count`` hosts at once."""
        names = [self.name(number) for number in range(count)]
        data: dict[str, Any] = {
            "name": f"fan-out benchmark, {count} hosts",
            "targets": {
                "ssh": {
                    self.name(number): server.target(known_hosts=str(self.known_hosts))
                    for number, server in enumerate(self.servers[:count])
                },
                "groups": {"fleet": names},
            },
            "phases": [
                {
                    "id": "main",
                    "title": "Main",
                    "steps": [
                        {
                            "id": "fanout",
                            "kind": "ssh",
                            "title": "uname on the fleet",
                            "hosts": "fleet",
                            "command": COMMAND,
                            # The same parallelism as `ansible -f N` and N paramiko threads.
                            "concurrency": max(count, 1),
                        }
                    ],
                }
            ],
        }
        path = self.folder / f"fanout-{count}.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        return path

    def ansible_inventory(self, count: int, python: str) -> Path:
        lines = ["[fleet]"]
        for number, server in enumerate(self.servers[:count]):
            lines.append(
                f"{self.name(number)} ansible_host=127.0.0.1 ansible_port={server.port} "
                f"ansible_user={self.keys.user} "
                f"ansible_ssh_private_key_file={self.keys.client_key} "
                f"ansible_python_interpreter={python}"
            )
        path = self.folder / f"inventory-{count}.ini"
        path.write_text("\n".join(lines) + "\n")
        return path

    def paramiko_hosts(self, count: int) -> Path:
        hosts = [
            {"host": "127.0.0.1", "port": server.port, "user": self.keys.user}
            for server in self.servers[:count]
        ]
        path = self.folder / f"hosts-{count}.json"
        path.write_text(
            json.dumps(
                {
                    "hosts": hosts,
                    "key_file": str(self.keys.client_key),
                    "known_hosts": str(self.known_hosts),
                    "command": COMMAND,
                }
            )
        )
        return path
