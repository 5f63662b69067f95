"""Strict host-key checking for SSH steps: known_hosts files plus keys accepted during the run.

Host keys are never trusted on first use. A host whose key is not in the known_hosts file in use
(the user's ``~/.ssh/known_hosts``, or ``known_hosts:`` of the target) fails with its fingerprint
so the operator can compare it and accept it explicitly; the engine journals that acceptance and
``accept`` then trusts the key for the rest of the run and appends it to that file. A key that
differs from the recorded one is refused outright: it is never offered for acceptance.
"""

from __future__ import annotations

import base64
import hashlib
import os
import threading
from pathlib import Path

import paramiko

from deploytui.executors.base import HostKey

DEFAULT_KNOWN_HOSTS = "~/.ssh/known_hosts"


class UnknownHostKeyError(paramiko.SSHException):
    """Raised during the handshake for a host known_hosts does not list (carries the key)."""

    def __init__(self, name: str, key: paramiko.PKey) -> None:
        super().__init__(f"{name} not found in known_hosts")
        self.key = key


class _RefuseUnknown(paramiko.MissingHostKeyPolicy):
    """paramiko's RejectPolicy, keeping the offered key so it can be shown to the operator."""

    def missing_host_key(
        self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey
    ) -> None:
        raise UnknownHostKeyError(hostname, key)


def fingerprint(key: paramiko.PKey) -> str:
    """OpenSSH's ``SHA256:...`` fingerprint (what ``ssh-keygen -lf`` prints)."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def entry_name(host: str, port: int) -> str:
    """How known_hosts names a host: ``host`` on port 22, ``[host]:port`` otherwise."""
    return host if port == 22 else f"[{host}]:{port}"


def host_key(host: str, port: int, key: paramiko.PKey, *, changed: bool = False) -> HostKey:
    return HostKey(
        host=host,
        port=port,
        key_type=key.get_name(),
        fingerprint=fingerprint(key),
        key_base64=key.get_base64(),
        changed=changed,
    )


class KnownHostsError(Exception):
    """A known_hosts file that cannot be read."""


class KnownHosts:
    """The known_hosts files a run verifies against, read once, plus keys accepted in the run."""

    def __init__(self, default_path: str = DEFAULT_KNOWN_HOSTS) -> None:
        self.default_path = default_path
        self._files: dict[str, paramiko.HostKeys] = {}
        self._lock = threading.Lock()

    def path_for(self, configured: str | None) -> str:
        return os.path.expanduser(configured or self.default_path)

    def _keys(self, path: str) -> paramiko.HostKeys:
        with self._lock:
            if path not in self._files:
                self._files[path] = _load(path)
            return self._files[path]

    def install(self, client: paramiko.SSHClient, path: str, host: str, port: int) -> None:
        """Give ``client`` exactly the recorded keys for this host; refuse any other."""
        name = entry_name(host, port)
        known = self._keys(path).lookup(name)
        if known is not None:
            for key_type in known:
                client.get_host_keys().add(name, key_type, known[key_type])
        client.set_missing_host_key_policy(_RefuseUnknown())

    def accept(self, path: str, key: HostKey) -> str | None:
        """Trust ``key`` for the rest of the run and append it to ``path``.

        Returns a warning when the file cannot be written (the key is still trusted in this run).
        """
        name = entry_name(key.host, key.port)
        pkey = paramiko.PKey.from_type_string(key.key_type, base64.b64decode(key.key_base64))
        self._keys(path).add(name, key.key_type, pkey)
        try:
            file = Path(path)
            file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            new = not file.exists()
            with file.open("a", encoding="utf-8") as handle:
                if not new and file.stat().st_size and not _ends_with_newline(file):
                    handle.write("\n")
                handle.write(f"{name} {key.key_type} {key.key_base64}\n")
            if new:
                file.chmod(0o600)
        except OSError as error:
            return f"could not add the key to {path}: {error.strerror}; it is trusted for this run"
        return None


def _load(path: str) -> paramiko.HostKeys:
    """Read a known_hosts file as OpenSSH does: lines it cannot parse are skipped, not fatal.

    Marker lines (``@cert-authority``, ``@revoked``) are skipped too: a host is trusted only by a
    plain entry with its exact key.
    """
    keys = paramiko.HostKeys()
    if not os.path.exists(path):
        return keys
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        raise KnownHostsError(f"cannot read known_hosts {path}: {error.strerror}") from None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(("#", "@")):
            continue
        try:
            entry = paramiko.hostkeys.HostKeyEntry.from_line(line, number)
        except Exception:  # InvalidHostKey, unknown key types, bad base64: skip like OpenSSH
            continue
        if entry is not None and entry.key is not None:
            for name in entry.hostnames:
                keys.add(name, entry.key.get_name(), entry.key)
    return keys


def _ends_with_newline(file: Path) -> bool:
    with file.open("rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"
