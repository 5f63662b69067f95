"""``python -m tests.fault_cli ARGS``: the real ``deploytui`` command line, with one stand-in.

The crash-anywhere harness runs the shipped playbooks in subprocesses it kills, and two of them
have ``mongo`` steps. No MongoDB server can run on this machine (see ../shared/TESTING.md), so
this entry point registers the same mongomock-ng client (with hand-written IXSCAN explain replies)
that tests/integration/test_shipped_playbooks.py uses, then hands over to ``deploytui.cli.main``
unchanged: parsing, journal, engine, answers, locks and exit codes are the product's own.
"""

from __future__ import annotations

import sys
from typing import Any


def _mongo_factory(playbook: Any, targets: Any) -> Any:
    from deploytui.executors.mongo import MongoExecutor
    from tests.integration.test_shipped_playbooks import _Client, _superapp_database

    client = _Client(_superapp_database())
    return MongoExecutor(targets.mongo, client_factory=lambda uri, timeout: client)


def main(argv: list[str] | None = None) -> int:
    from deploytui import cli
    from deploytui.executors import FACTORIES

    FACTORIES["mongo"] = _mongo_factory
    return cli.main(argv)


if __name__ == "__main__":
    sys.exit(main())
