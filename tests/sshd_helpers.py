"""A real OpenSSH sshd on loopback for the SSH tests (see ../shared/TESTING.md for the facts).

Each server has its own config, listens on a free 127.0.0.1 port, and is started as
``/usr/sbin/sshd -D -e -f CONFIG``; it is ended by its own process handle (plus the per-connection
children it forked, found through /proc, so "the server died" really closes live sessions).
Keys (host key, client key, authorized_keys) are made once per test session with ssh-keygen.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SSHD = "/usr/sbin/sshd"


def ensure_sshd() -> None:
    """Install openssh-server when it is missing (the CI script does this too)."""
    if os.path.exists(SSHD) and shutil.which("ssh-keygen"):
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, capture_output=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "openssh-server", "openssh-client"],
        check=True,
        env=env,
        capture_output=True,
    )


def keygen(path: Path, comment: str) -> str:
    """An ed25519 key pair at ``path``; returns the public key line ``type base64``."""
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        check=True,
        capture_output=True,
    )
    path.chmod(0o600)
    kind, blob = path.with_suffix(".pub").read_text().split()[:2]
    return f"{kind} {blob}"


@dataclass
class SshKeys:
    """Key material shared by every server of a test session."""

    folder: Path
    host_key: Path
    host_public: str
    client_key: Path
    authorized_keys: Path
    user: str

    @classmethod
    def create(cls, folder: Path) -> SshKeys:
        ensure_sshd()
        folder.mkdir(parents=True, exist_ok=True)
        host_public = keygen(folder / "host_ed25519", "test-host")
        client_public = keygen(folder / "client_ed25519", "test-client")
        authorized = folder / "authorized_keys"
        authorized.write_text(client_public + "\n")
        authorized.chmod(0o600)
        return cls(
            folder=folder,
            host_key=folder / "host_ed25519",
            host_public=host_public,
            client_key=folder / "client_ed25519",
            authorized_keys=authorized,
            user=getpass.getuser(),
        )

    def known_hosts(self, path: Path, ports: list[int], public: str | None = None) -> Path:
        """A known_hosts file listing the servers on ``ports`` (with ``public`` if given)."""
        lines = [f"[127.0.0.1]:{port} {public or self.host_public}" for port in ports]
        path.write_text("\n".join(lines) + "\n")
        return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(parent, []).append(int(entry))
    return tree


def descendants(pid: int) -> list[int]:
    tree = _children()
    found, stack = [], [pid]
    while stack:
        for child in tree.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def _kill(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@dataclass
class Sshd:
    """One sshd process on 127.0.0.1:``port``."""

    keys: SshKeys
    folder: Path
    port: int = 0
    host_key: Path | None = None  # a different host key than the session's, when set
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def log(self) -> Path:
        return self.folder / "sshd.log"

    def _config(self) -> Path:
        config = self.folder / "sshd_config"
        config.write_text(
            "\n".join(
                [
                    f"Port {self.port}",
                    "ListenAddress 127.0.0.1",
                    f"HostKey {self.host_key or self.keys.host_key}",
                    f"AuthorizedKeysFile {self.keys.authorized_keys}",
                    "PidFile none",
                    "StrictModes no",
                    "UsePAM no",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "PubkeyAuthentication yes",
                    "PermitRootLogin yes",
                    "AllowTcpForwarding yes",
                    "LogLevel VERBOSE",
                    "MaxStartups 200:30:300",
                    "MaxSessions 200",
                    # Ansible's default file transfer; present on Debian/Ubuntu openssh-server.
                    "Subsystem sftp /usr/lib/openssh/sftp-server",
                    "",
                ]
            )
        )
        return config

    def start(self) -> Sshd:
        """Start (or restart on the same port); pick a free port first if none yet."""
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        self.folder.mkdir(parents=True, exist_ok=True)
        keep_port = bool(self.port)
        for _ in range(10):
            if not keep_port:
                self.port = free_port()
            offset = self.log.stat().st_size if self.log.exists() else 0
            with self.log.open("ab") as log:
                self.process = subprocess.Popen(
                    [SSHD, "-D", "-e", "-f", str(self._config())],
                    stdout=log,
                    stderr=log,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                )
            if self._wait_listening(offset):
                return self
            self.process.kill()
            self.process.wait()
            if keep_port:
                time.sleep(0.1)
        raise RuntimeError(f"sshd did not start; see {self.log}")

    def _wait_listening(self, offset: int) -> bool:
        """Until this sshd (not another worker's on a raced port) says it is listening."""
        assert self.process is not None
        expected = f"Server listening on 127.0.0.1 port {self.port}.".encode()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            with self.log.open("rb") as log:
                log.seek(offset)
                if expected in log.read():
                    return True
            time.sleep(0.01)
        return False

    def drop_sessions(self) -> None:
        """Kill every connection's sshd (and what runs in it); the listener stays up."""
        if self.process is not None:
            _kill(descendants(self.process.pid))

    def stop(self) -> None:
        """The server dies: the listener, its live sessions and their commands."""
        if self.process is None:
            return
        children = descendants(self.process.pid)
        self.process.kill()
        self.process.wait(timeout=10)
        _kill(children)
        self.process = None

    def target(self, **extra: Any) -> dict[str, Any]:
        """A ``targets.ssh`` entry for this server, logging in with the session's client key."""
        return {
            "host": "127.0.0.1",
            "port": self.port,
            "user": self.keys.user,
            "key_file": str(self.keys.client_key),
            "connect_timeout": 5,
            **extra,
        }


def ssh_playbook(
    targets: dict[str, Any],
    steps: list[dict[str, Any]],
    *,
    secrets: list[str] | None = None,
    name: str = "ssh test",
) -> str:
    """A playbook's YAML text with ``targets`` and one phase of ``steps``."""
    import yaml

    data: dict[str, Any] = {"name": name}
    if secrets:
        data["secrets"] = secrets
    data["targets"] = targets
    data["phases"] = [{"id": "main", "title": "Main", "steps": steps}]
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
