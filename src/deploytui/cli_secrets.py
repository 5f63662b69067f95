"""``deploytui secrets set|get|list|delete NAME``: playbook secrets in the OS keyring.

Values are typed at a hidden prompt, piped on stdin (``--from-stdin``) or taken from another
variable (``--value-env VAR``), never given as a plain argument that would land in shell history
and ``ps``. ``get`` prints the value masked unless ``--reveal``. ``list`` shows names only (from
the names file the store keeps, plus ``DEPLOYTUI_SECRET_*`` variables). This module only builds
the argument parser at import time; keyring is imported when a command runs.
"""

from __future__ import annotations

import argparse
import os
import sys

MASK = "••••"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``secrets`` sub-commands, added under the ``secrets`` command of ``cli.py``."""
    sub = parser.add_subparsers(dest="secrets_command", metavar="ACTION", required=True)
    set_ = sub.add_parser("set", help="store a secret (prompted, hidden)")
    set_.add_argument("name", metavar="NAME")
    source = set_.add_mutually_exclusive_group()
    source.add_argument(
        "--from-stdin", action="store_true", help="read the value from stdin (for scripts)"
    )
    source.add_argument("--value-env", metavar="VAR", help="take the value from variable VAR")
    get = sub.add_parser("get", help="show whether a secret is set (masked) and where from")
    get.add_argument("name", metavar="NAME")
    get.add_argument("--reveal", action="store_true", help="print the value itself")
    sub.add_parser("list", help="names of stored secrets (never values)")
    delete = sub.add_parser("delete", help="remove a secret from the keyring")
    delete.add_argument("name", metavar="NAME")


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _warn_backend() -> None:
    from deploytui.secretstore import keyring_backend_warning

    warning = keyring_backend_warning()
    if warning:
        _say(warning)


def _read_value(args: argparse.Namespace) -> str:
    from deploytui.secretstore import SecretError

    if args.value_env:
        value = os.environ.get(args.value_env)
        if value is None:
            raise SecretError(f"--value-env {args.value_env}: that variable is not set")
        return value
    if args.from_stdin:
        text = sys.stdin.read()
        return text[:-1] if text.endswith("\n") else text
    if not sys.stdin.isatty():
        raise SecretError("no terminal to prompt on; use --from-stdin or --value-env VAR")
    import getpass

    first = getpass.getpass(f"value of {args.name} (hidden): ")
    second = getpass.getpass("again: ")
    if first != second:
        raise SecretError("the two values differ; nothing was stored")
    return first


def cmd_secrets(args: argparse.Namespace) -> int:
    from deploytui import secretstore as store

    _warn_backend()
    action = args.secrets_command
    if action == "set":
        store.check_name(args.name)
        store.set_secret(args.name, _read_value(args))
        print(f"stored {args.name} in the keyring (service {store.SERVICE})")
        if os.environ.get(store.env_name(args.name)) is not None:
            _say(f"note: {store.env_name(args.name)} is set and overrides the keyring value")
        return 0
    if action == "get":
        value, source = store.get_secret(args.name)
        if value is None:
            _say(
                f"{args.name} is not set: `deploytui secrets set {args.name}` "
                f"or set {store.env_name(args.name)}"
            )
            return 1
        print(value if args.reveal else f"{args.name}: {MASK} (from the {source})")
        return 0
    if action == "list":
        from_env = set(store.environment_names())
        names = store.stored_names()
        for name in names:
            override = " (overridden by the environment)" if name.upper() in from_env else ""
            print(f"{name}{override}")
        shown = {name.upper() for name in names}
        for name in sorted(from_env - shown):
            print(f"{name.lower()} (environment: {store.ENV_PREFIX}{name})")
        if not names and not from_env:
            _say("no secrets stored through deploytui")
        if not store.keyring_usable():
            _say(
                f"note: no usable keyring here ({store.backend_name()}); "
                f"secrets must come from {store.ENV_PREFIX}<NAME> variables"
            )
        return 0
    if action == "delete":
        deleted = store.delete_secret(args.name)
        print(f"deleted {args.name}" if deleted else f"{args.name} was not in the keyring")
        return 0 if deleted else 1
    raise AssertionError(action)
