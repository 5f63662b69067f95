"""Where secret values come from: ``DEPLOYTUI_SECRET_<NAME>`` first, then the OS keyring.

Values are only ever held in memory for the run; the engine masks them everywhere. When no
keyring is usable (the headless default on servers) the error says exactly what to do instead.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

SERVICE = "deploytui"
ENV_PREFIX = "DEPLOYTUI_SECRET_"


class SecretError(Exception):
    """A secret cannot be read or written; the message says what to do."""


# Every value this process has read, so last-resort paths (the internal-error log and message)
# can mask them too: an unexpected exception may carry a URI or command with a secret in it.
_resolved: set[str] = set()


def mask_resolved(text: str) -> str:
    """``text`` with every secret this process has read masked (all its encodings)."""
    if not _resolved:
        return text
    from deploytui.engine.masking import Masker

    return Masker(_resolved)(text)


def env_name(name: str) -> str:
    return ENV_PREFIX + name.upper()


def _backend() -> tuple[object | None, str]:
    """The active keyring backend and its name, or ``None`` and why it cannot be loaded."""
    import keyring

    try:
        backend = keyring.get_keyring()
    except Exception as error:  # keyring imports whatever PYTHON_KEYRING_BACKEND names
        wanted = os.environ.get("PYTHON_KEYRING_BACKEND", "the configured keyring backend")
        return None, f"{wanted}, which cannot be loaded ({error.__class__.__name__}: {error})"
    return backend, f"{type(backend).__module__}.{type(backend).__name__}"


def _require_backend(name: str) -> None:
    if _backend()[0] is None:
        raise _no_keyring(name)


def keyring_backend_warning() -> str | None:
    """A warning when the active keyring stores secrets in a plain file or cannot be loaded."""
    try:
        import keyring  # noqa: F401
    except ImportError:
        return None
    backend, qualified = _backend()
    if backend is None:
        return (
            f"warning: the keyring backend is {qualified}; only DEPLOYTUI_SECRET_<NAME> "
            "variables can provide secrets (fix or unset PYTHON_KEYRING_BACKEND)"
        )
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
    if _backend()[0] is None:
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
            _resolved.add(value)
    if missing:
        hints = ", ".join(f"deploytui secrets set {name}" for name in missing)
        envs = ", ".join(env_name(name) for name in missing)
        if not keyring_usable():
            raise SecretError(
                f"missing secret{'s' if len(missing) > 1 else ''} {', '.join(missing)}: there is "
                f"no usable keyring here ({backend_name()}), so set {envs} in the environment, "
                "or install and unlock a system keyring and use `deploytui secrets set`"
            )
        raise SecretError(
            f"missing secret{'s' if len(missing) > 1 else ''} {', '.join(missing)}: "
            f"store {'them' if len(missing) > 1 else 'it'} with `{hints}` "
            f"or set {envs} in the environment"
        )
    return found


# -- managing secrets (``deploytui secrets``) ---------------------------------------------------
#
# A keyring cannot list what it holds, so the *names* (never values) of secrets stored through
# deploytui are kept one per line in ``$XDG_CONFIG_HOME/deploytui/secret-names``.

NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
NO_KEYRING_HELP = (
    "no usable keyring on this machine (backend {backend}); install and unlock a system keyring "
    "(GNOME Keyring / KWallet over D-Bus, macOS Keychain, Windows Credential Locker), or, for "
    "CI and headless hosts, set {env} in the environment of the run instead"
)


def names_file() -> Path:
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "deploytui" / "secret-names"


def check_name(name: str) -> str:
    if not re.match(NAME_PATTERN, name):
        raise SecretError(
            f"'{name}' is not a secret name; use letters, digits and _ (e.g. api_token)"
        )
    return name


def backend_name() -> str:
    return _backend()[1]


def keyring_usable() -> bool:
    """Whether a real keyring backend is active (not the ``fail`` placeholder)."""
    try:
        from keyring.backends import fail
    except ImportError:
        return False
    backend = _backend()[0]
    return backend is not None and not isinstance(backend, fail.Keyring)


def _no_keyring(name: str) -> SecretError:
    return SecretError(NO_KEYRING_HELP.format(backend=backend_name(), env=env_name(name)))


def stored_names() -> list[str]:
    try:
        lines = names_file().read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    return sorted({line.strip() for line in lines if re.match(NAME_PATTERN, line.strip())})


def _write_names(names: Iterable[str]) -> None:
    path = names_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text("".join(f"{name}\n" for name in sorted(set(names))), encoding="utf-8")
    temporary.replace(path)


def set_secret(name: str, value: str) -> None:
    """Store ``value`` in the keyring under service ``deploytui``; remember the name."""
    import keyring
    from keyring.errors import KeyringError, NoKeyringError

    check_name(name)
    if not value:
        raise SecretError("an empty value cannot be stored")
    _require_backend(name)
    try:
        keyring.set_password(SERVICE, name, value)
    except NoKeyringError:
        raise _no_keyring(name) from None
    except KeyringError as error:
        raise SecretError(f"the keyring refused to store '{name}': {error}") from None
    _write_names([*stored_names(), name])


def get_secret(name: str) -> tuple[str | None, str]:
    """The value and where it came from (``environment`` or ``keyring``); ``None`` if unset."""
    from keyring.errors import NoKeyringError

    check_name(name)
    value = os.environ.get(env_name(name))
    if value is not None:
        return value, "environment"
    import keyring

    _require_backend(name)
    try:
        return keyring.get_password(SERVICE, name), "keyring"
    except NoKeyringError:
        raise _no_keyring(name) from None


def delete_secret(name: str) -> bool:
    """Remove the secret from the keyring; ``False`` when it was not there."""
    import keyring
    from keyring.errors import KeyringError, NoKeyringError, PasswordDeleteError

    check_name(name)
    _require_backend(name)
    try:
        keyring.delete_password(SERVICE, name)
        deleted = True
    except PasswordDeleteError:
        deleted = False
    except NoKeyringError:
        raise _no_keyring(name) from None
    except KeyringError as error:
        raise SecretError(f"the keyring refused to delete '{name}': {error}") from None
    _write_names(item for item in stored_names() if item != name)
    return deleted


def environment_names() -> list[str]:
    """Secret names provided by ``DEPLOYTUI_SECRET_<NAME>`` variables (upper-cased)."""
    return sorted(key[len(ENV_PREFIX) :] for key in os.environ if key.startswith(ENV_PREFIX))
