"""Where secret values come from: ``DEPLOYTUI_SECRET_<NAME>`` first, then the OS keyring.

Values are only ever held in memory for the run; the engine masks them everywhere. When no
keyring is usable (the headless default on servers) the error says exactly what to do instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

SERVICE = "deploytui"
ENV_PREFIX = "DEPLOYTUI_SECRET_"


class SecretError(Exception):
    """A secret cannot be read or written; the message says what to do."""


def env_name(name: str) -> str:
    return ENV_PREFIX + name.upper()


def keyring_backend_warning() -> str | None:
    """A warning when the active keyring stores secrets in a plain file."""
    try:
        import keyring
    except ImportError:
        return None
    backend = keyring.get_keyring()
    qualified = f"{type(backend).__module__}.{type(backend).__name__}"
    if "Plaintext" in qualified or "keyrings.alt.file" in qualified:
        return (
            f"warning: the active keyring ({qualified}) stores secrets unencrypted in a file; "
            "prefer the system keyring or DEPLOYTUI_SECRET_<NAME> variables"
        )
    return None


def _keyring_get(name: str) -> str | None:
    try:
        import keyring
        from keyring.errors import KeyringError, NoKeyringError
    except ImportError:
        return None
    try:
        return keyring.get_password(SERVICE, name)
    except NoKeyringError:
        return None
    except KeyringError as error:
        raise SecretError(f"the keyring could not be read for '{name}': {error}") from None


def resolve_secrets(names: Iterable[str]) -> dict[str, str]:
    """Every named secret's value, or ``SecretError`` listing the missing ones and the fix."""
    found: dict[str, str] = {}
    missing: list[str] = []
    for name in names:
        value = os.environ.get(env_name(name))
        if value is None:
            value = _keyring_get(name)
        if value is None:
            missing.append(name)
        else:
            found[name] = value
    if missing:
        hints = ", ".join(f"deploytui secrets set {name}" for name in missing)
        envs = ", ".join(env_name(name) for name in missing)
        raise SecretError(
            f"missing secret{'s' if len(missing) > 1 else ''} {', '.join(missing)}: "
            f"store {'them' if len(missing) > 1 else 'it'} with `{hints}` "
            f"or set {envs} in the environment"
        )
    return found
