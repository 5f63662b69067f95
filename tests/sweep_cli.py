"""``python -m tests.sweep_cli ARGS``: the real ``deploytui`` command line, with one stand-in.

The secrets sweep runs playbooks with ``mongo`` steps whose URI is a secret. No MongoDB server can
run on this machine (../shared/TESTING.md), so this registers the mongomock-ng client the shipped
playbook tests use — and writes each URI the executor was handed to the file named by
``SWEEP_MONGO_URI_LOG`` (in the test's private folder, which the sweep does not search), so the
test can prove the secret really reached the executor. Everything else is ``deploytui.cli.main``.
"""

from __future__ import annotations

import os
import sys
from typing import Any


def _mongo_factory(playbook: Any, targets: Any) -> Any:
    from deploytui.executors.mongo import MongoExecutor
    from tests.integration.test_shipped_playbooks import _Client, _superapp_database

    client = _Client(_superapp_database())

    def connect(uri: str, timeout: float) -> Any:
        log = os.environ.get("SWEEP_MONGO_URI_LOG")
        if log:
            with open(log, "a", encoding="utf-8") as handle:
                handle.write(uri + "\n")
        return client

    return MongoExecutor(targets.mongo, client_factory=connect)


def main(argv: list[str] | None = None) -> int:
    from deploytui import cli
    from deploytui.executors import FACTORIES

    FACTORIES["mongo"] = _mongo_factory
    return cli.main(argv)


if __name__ == "__main__":
    sys.exit(main())
