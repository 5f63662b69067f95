"""Executors run automated steps; the engine picks one by step kind.

Imports are lazy so that ``deploytui validate`` never loads httpx, paramiko or pymongo.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: `show` imports executors.monitor_report, a pure module
    from deploytui.executors.base import Executor
    from deploytui.model.playbook import Playbook, Targets

# A factory gets the playbook and its targets with variables and secrets substituted.
ExecutorFactory = Callable[["Playbook", "Targets"], "Executor"]


def _local(playbook: Playbook, targets: Targets) -> Executor:
    from deploytui.executors.local import LocalExecutor

    return LocalExecutor()


def _http(playbook: Playbook, targets: Targets) -> Executor:
    from deploytui.executors.http import HttpExecutor

    return HttpExecutor(targets.http)


def _ssh(playbook: Playbook, targets: Targets) -> Executor:
    from deploytui.executors.ssh import SshExecutor

    return SshExecutor(targets)


def _tls_cert(playbook: Playbook, targets: Targets) -> Executor:
    from deploytui.executors.tls_expiry import TlsCertExecutor

    return TlsCertExecutor(targets)


def _mongo(playbook: Playbook, targets: Targets) -> Executor:
    from deploytui.executors.mongo import MongoExecutor

    return MongoExecutor(targets.mongo)


def _ansible(playbook: Playbook, targets: Targets) -> Executor:
    from deploytui.executors.ansible import AnsibleExecutor

    return AnsibleExecutor(targets)


def _notify(playbook: Playbook, targets: Targets) -> Executor:
    from deploytui.executors.notify import NotifyExecutor

    return NotifyExecutor()


def _monitor(playbook: Playbook, targets: Targets) -> Executor:
    from deploytui.executors.monitor import MonitorExecutor

    return MonitorExecutor(targets)


# Step kind → factory. Remote kinds (ssh, mongo) register here beside these.
FACTORIES: dict[str, ExecutorFactory] = {
    "local": _local,
    "http": _http,
    "ssh": _ssh,
    "tls_cert": _tls_cert,
    "mongo": _mongo,
    "ansible": _ansible,
    "notify": _notify,
    "monitor": _monitor,
}


class ExecutorSet:
    """Executors for one run, created on first use and closed at the end of the run."""

    def __init__(
        self,
        playbook: Playbook,
        *,
        targets: Targets | None = None,
        overrides: dict[str, Executor] | None = None,
    ) -> None:
        self.playbook = playbook
        self.targets = targets or playbook.targets
        self._executors: dict[str, Executor] = dict(overrides or {})

    def for_kind(self, kind: str) -> Executor:
        if kind not in self._executors:
            if kind not in FACTORIES:
                raise KeyError(f"no executor for step kind '{kind}'")
            self._executors[kind] = FACTORIES[kind](self.playbook, self.targets)
        return self._executors[kind]

    def close(self) -> None:
        for executor in self._executors.values():
            close = getattr(executor, "close", None)
            if callable(close):
                close()
