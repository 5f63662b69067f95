"""SSH connections for one run: opened on first use, reused by later steps, reopened if dropped.

A maintenance window runs many steps against the same hosts; one connection per host for the
whole run saves a handshake per step and keeps the host-key check in one place. A connection that
died between steps (server restart, network blip, idle timeout) is replaced transparently the next
time it is needed. Every failure becomes an ``SshFailure`` whose reason names the host and says
what to do (unreachable, refused, timed out, authentication as which user with which key, host
key unknown or changed).
"""

from __future__ import annotations

import getpass
import logging
import os
import socket
import threading
from dataclasses import dataclass

import paramiko

from deploytui.executors.base import HostKey
from deploytui.executors.ssh_hostkeys import (
    KnownHosts,
    KnownHostsError,
    UnknownHostKeyError,
    entry_name,
    host_key,
)
from deploytui.model.playbook import SshHost, Targets
from deploytui.model.values import format_duration

KEEPALIVE_SECONDS = 30

# paramiko logs transport errors ("Exception (client): Error reading SSH protocol banner") through
# logging's last-resort handler, i.e. onto the operator's terminal and over the TUI. Every failure
# already becomes a sentence in the step's reason, so its log records are not shown.
logging.getLogger("paramiko").addHandler(logging.NullHandler())


class SshFailure(Exception):
    """A host could not be used. ``short`` is the few words shown in a per-host summary."""

    def __init__(
        self,
        reason: str,
        short: str,
        *,
        unknown_key: HostKey | None = None,
        changed_key: HostKey | None = None,
        known_hosts: str | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.short = short
        self.unknown_key = unknown_key
        self.changed_key = changed_key
        self.known_hosts = known_hosts


@dataclass
class Connection:
    client: paramiko.SSHClient
    reconnected: bool  # an earlier connection of this run to the host had died


def _user(target: SshHost) -> str:
    if target.user:
        return target.user
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "root"


class ConnectionPool:
    """One paramiko client per ssh target name, shared by the steps of a run (thread-safe)."""

    def __init__(self, targets: Targets, known_hosts: KnownHosts) -> None:
        self.targets = targets
        self.known_hosts = known_hosts
        self._clients: dict[str, paramiko.SSHClient] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._connected_before: set[str] = set()
        self._private_keys: dict[str, paramiko.PKey | None] = {}

    def _lock_for(self, name: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(name, threading.Lock())

    def _private_key(self, key_file: str) -> paramiko.PKey | None:
        """The key in ``key_file``, read once per run: a fan-out over 50 hosts sharing one key
        would otherwise read and parse it 50 times (paramiko tries each key type in turn).
        None when it cannot be loaded here (e.g. a passphrase): then paramiko reads the file
        itself and its error is explained as before."""
        with self._guard:
            if key_file not in self._private_keys:
                try:
                    self._private_keys[key_file] = paramiko.PKey.from_path(key_file)
                except Exception:  # the connect attempt reports the problem in its own words
                    self._private_keys[key_file] = None
            return self._private_keys[key_file]

    def get(self, name: str, *, _via: tuple[str, ...] = ()) -> Connection:
        """A live connection to target ``name``: the pooled one, or a new one."""
        with self._lock_for(name):
            client = self._clients.get(name)
            transport = client.get_transport() if client else None
            if client is not None and transport is not None and transport.is_active():
                return Connection(client, reconnected=False)
            if client is not None:
                client.close()
                self._clients.pop(name, None)
            client = self._connect(name, _via)
            self._clients[name] = client
            reconnected = name in self._connected_before
            self._connected_before.add(name)
            return Connection(client, reconnected=reconnected)

    def drop(self, name: str) -> None:
        """Forget a connection that turned out to be dead (the next ``get`` reconnects)."""
        with self._lock_for(name):
            client = self._clients.pop(name, None)
        if client is not None:
            client.close()

    def close(self) -> None:
        with self._guard:
            clients = list(self._clients.values())
            self._clients.clear()
        for client in clients:
            client.close()

    # -- connecting ------------------------------------------------------------------------------

    def _connect(self, name: str, via: tuple[str, ...]) -> paramiko.SSHClient:
        target = self.targets.ssh.get(name)
        if target is None:
            raise SshFailure(f"{name}: not an ssh target (define it under targets.ssh)", "unknown")
        where = f"{name} ({target.host}:{target.port})"
        sock = self._tunnel(name, target, via) if target.jump else None
        known_hosts = self.known_hosts.path_for(target.known_hosts)
        key_file = os.path.expanduser(target.key_file) if target.key_file else None
        if key_file and not os.path.isfile(key_file):
            problem = "is not a file" if os.path.exists(key_file) else "does not exist"
            raise SshFailure(f"{where}: key file {key_file} {problem}", "no key file")
        client = paramiko.SSHClient()
        try:
            self.known_hosts.install(client, known_hosts, target.host, target.port)
        except KnownHostsError as error:
            raise SshFailure(f"{where}: {error}", "bad known_hosts") from None
        user = _user(target)
        timeout = target.connect_timeout
        pkey = self._private_key(key_file) if key_file else None
        try:
            client.connect(
                hostname=target.host,
                port=target.port,
                username=user,
                pkey=pkey,
                key_filename=None if pkey is not None else key_file,
                allow_agent=key_file is None,
                look_for_keys=key_file is None,
                timeout=timeout,
                banner_timeout=timeout,
                auth_timeout=timeout,
                sock=sock,
            )
        except Exception as error:
            transport = client.get_transport()
            # TCP connected but no SSH banner came back: a hung host (or not an SSH port).
            silent = transport is not None and not transport.remote_version
            client.close()
            if silent and not isinstance(error, paramiko.BadHostKeyException):
                raise SshFailure(
                    f"{where}: no SSH answer within {format_duration(timeout)} (the port accepts "
                    "connections but no SSH server answers: the host may be hung or overloaded)",
                    "no answer",
                ) from None
            raise self._explain(error, name, where, target, user, key_file, known_hosts) from None
        transport = client.get_transport()
        if transport is not None:
            transport.set_keepalive(KEEPALIVE_SECONDS)
        return client

    def _tunnel(self, name: str, target: SshHost, via: tuple[str, ...]) -> paramiko.Channel:
        jump = target.jump or ""
        if jump in via or jump == name:
            chain = " → ".join((*via, name, jump))
            raise SshFailure(f"{name}: jump hosts loop ({chain})", "jump loop")
        try:
            connection = self.get(jump, _via=(*via, name))
        except SshFailure as failure:
            raise SshFailure(
                f"{name}: cannot reach jump host {failure.reason}",
                f"jump host: {failure.short}",
                unknown_key=failure.unknown_key,
                changed_key=failure.changed_key,
                known_hosts=failure.known_hosts,
            ) from None
        transport = connection.client.get_transport()
        try:
            assert transport is not None
            return transport.open_channel(
                "direct-tcpip",
                (target.host, target.port),
                ("127.0.0.1", 0),
                timeout=target.connect_timeout,
            )
        except (paramiko.SSHException, OSError, EOFError, AssertionError) as error:
            raise SshFailure(
                f"{name}: jump host {jump} could not open a tunnel to "
                f"{target.host}:{target.port} ({error or 'refused'})",
                "jump tunnel failed",
            ) from None

    def _explain(
        self,
        error: Exception,
        name: str,
        where: str,
        target: SshHost,
        user: str,
        key_file: str | None,
        known_hosts: str,
    ) -> SshFailure:
        """Turn a paramiko/socket error into a sentence the operator can act on."""
        entry = entry_name(target.host, target.port)
        if isinstance(error, UnknownHostKeyError):
            key = host_key(target.host, target.port, error.key)
            return SshFailure(
                f"{where}: host key unknown — {entry} is not in {known_hosts}; the server offers "
                f"{key.key_type} {key.fingerprint}. Compare it with the fingerprint from the "
                "host's owner before accepting it",
                "host key unknown",
                unknown_key=key,
                known_hosts=known_hosts,
            )
        if isinstance(error, paramiko.BadHostKeyException):
            offered = host_key(target.host, target.port, error.key, changed=True)
            expected = host_key(target.host, target.port, error.expected_key)
            return SshFailure(
                f"{where}: HOST KEY CHANGED — REFUSED. {known_hosts} records {entry} as "
                f"{expected.key_type} {expected.fingerprint} but the server offers "
                f"{offered.key_type} {offered.fingerprint}. Someone may be intercepting the "
                "connection. If the host was really reinstalled, verify the new key with its "
                f"owner, remove the old entry (ssh-keygen -R '{entry}' -f {known_hosts}) and retry",
                "HOST KEY CHANGED",
                changed_key=offered,
                known_hosts=known_hosts,
            )
        if isinstance(error, paramiko.PasswordRequiredException):
            return SshFailure(
                f"{where}: key file {key_file} is protected by a passphrase; load it into "
                "ssh-agent and leave key_file out",
                "key needs passphrase",
            )
        if isinstance(error, paramiko.AuthenticationException):
            method = f"key {key_file}" if key_file else "the ssh-agent and the default keys"
            return SshFailure(
                f"{where}: authentication failed for user {user} with {method} "
                f"(the server refused it: {error})",
                "authentication failed",
            )
        if isinstance(
            error, (paramiko.ssh_exception.NoValidConnectionsError, ConnectionRefusedError)
        ):
            return SshFailure(f"{where}: connection refused (is sshd running?)", "refused")
        if isinstance(error, socket.gaierror):
            return SshFailure(f"{where}: cannot resolve host name {target.host}", "unknown host")
        if isinstance(error, TimeoutError | socket.timeout):
            return SshFailure(
                f"{where}: no answer within {format_duration(target.connect_timeout)} "
                "(host down or a firewall dropping the connection)",
                "connect timeout",
            )
        if isinstance(error, OSError):
            return SshFailure(f"{where}: cannot connect: {error.strerror or error}", "unreachable")
        if isinstance(error, EOFError):
            return SshFailure(f"{where}: the server closed the connection during login", "closed")
        return SshFailure(f"{where}: SSH failed: {error}", "ssh error")
