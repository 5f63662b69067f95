"""``deploytui secrets set|get|list|delete`` over the keyring, and what happens without one.

The keyring backend is chosen in-process with ``keyring.set_keyring()``: a small in-memory
backend of this file's own (so nothing reaches the developer's real keyring), the ``fail``
backend (the headless default on these machines), and a plaintext-named one for the warning.
One test runs the real binary in a subprocess with ``PYTHON_KEYRING_BACKEND`` set to ``fail``.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring.errors import PasswordDeleteError

from deploytui import secretstore
from deploytui.cli import main


class MemoryKeyring(KeyringBackend):
    """A keyring held in a dict, for tests."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.store:
            raise PasswordDeleteError("not found")
        del self.store[(service, username)]


class PlaintextKeyring(MemoryKeyring):
    """Named like keyrings.alt's file backend, which stores secrets unencrypted."""


def use(backend: KeyringBackend) -> Iterator[KeyringBackend]:
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def memory() -> Iterator[MemoryKeyring]:
    yield from use(MemoryKeyring())  # type: ignore[misc]


@pytest.fixture
def no_keyring() -> Iterator[KeyringBackend]:
    yield from use(fail.Keyring())


def stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))


def test_set_get_list_delete_round_trip(memory, monkeypatch, capsys, isolated_home):
    stdin(monkeypatch, "s3cr3t-value\n")
    assert main(["secrets", "set", "api_token", "--from-stdin"]) == 0
    assert memory.store[("deploytui", "api_token")] == "s3cr3t-value"  # trailing newline dropped

    assert main(["secrets", "get", "api_token"]) == 0
    out = capsys.readouterr().out
    assert "api_token: •••• (from the keyring)" in out
    assert "s3cr3t-value" not in out

    assert main(["secrets", "get", "api_token", "--reveal"]) == 0
    assert capsys.readouterr().out == "s3cr3t-value\n"

    monkeypatch.setenv("OTHER_VAR", "from-env-var")
    assert main(["secrets", "set", "mongo_uri", "--value-env", "OTHER_VAR"]) == 0
    assert memory.store[("deploytui", "mongo_uri")] == "from-env-var"
    capsys.readouterr()

    assert main(["secrets", "list"]) == 0
    listed = capsys.readouterr().out
    assert listed == "api_token\nmongo_uri\n"
    names = secretstore.names_file()
    assert names.is_relative_to(isolated_home)
    assert "s3cr3t" not in names.read_text() and "from-env" not in names.read_text()

    assert main(["secrets", "delete", "api_token"]) == 0
    assert ("deploytui", "api_token") not in memory.store
    assert main(["secrets", "delete", "api_token"]) == 1
    capsys.readouterr()
    assert main(["secrets", "list"]) == 0
    assert capsys.readouterr().out == "mongo_uri\n"


def test_prompt_asks_twice_hidden_and_refuses_a_mismatch(memory, monkeypatch):
    answers = iter(["one-value", "another"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    assert main(["secrets", "set", "api_token"]) == 2
    assert memory.store == {}
    answers = iter(["same-value", "same-value"])
    assert main(["secrets", "set", "api_token"]) == 0
    assert memory.store[("deploytui", "api_token")] == "same-value"


def test_no_terminal_and_no_source_is_a_clear_error(memory, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(["secrets", "set", "api_token"]) == 2
    assert "use --from-stdin or --value-env VAR" in capsys.readouterr().err


def test_the_environment_overrides_the_keyring(memory, monkeypatch, capsys):
    memory.set_password("deploytui", "api_token", "from-keyring")
    monkeypatch.setenv("DEPLOYTUI_SECRET_API_TOKEN", "from-ci")
    assert secretstore.resolve_secrets(["api_token"]) == {"api_token": "from-ci"}
    assert main(["secrets", "get", "api_token"]) == 0
    assert "(from the environment)" in capsys.readouterr().out
    monkeypatch.setenv("DEPLOYTUI_SECRET_DEPLOY_KEY", "x")
    assert main(["secrets", "list"]) == 0
    assert "deploy_key (environment: DEPLOYTUI_SECRET_DEPLOY_KEY)" in capsys.readouterr().out


def test_without_a_keyring_every_action_says_what_to_do(no_keyring, monkeypatch, capsys):
    stdin(monkeypatch, "value")
    assert main(["secrets", "set", "api_token", "--from-stdin"]) == 2
    err = capsys.readouterr().err
    assert "no usable keyring on this machine (backend keyring.backends.fail.Keyring)" in err
    assert "DEPLOYTUI_SECRET_API_TOKEN" in err
    assert "Traceback" not in err
    assert main(["secrets", "get", "api_token"]) == 2
    assert main(["secrets", "delete", "api_token"]) == 2
    with pytest.raises(secretstore.SecretError) as raised:
        secretstore.resolve_secrets(["mongo_uri"])
    assert "no usable keyring here" in str(raised.value)
    assert "DEPLOYTUI_SECRET_MONGO_URI" in str(raised.value)


def test_plaintext_backend_is_warned_about(monkeypatch, capsys):
    for _ in use(PlaintextKeyring()):
        stdin(monkeypatch, "value")
        assert main(["secrets", "set", "api_token", "--from-stdin"]) == 0
    assert "stores secrets unencrypted in a file" in capsys.readouterr().err


def test_bad_names_and_empty_values_are_refused(memory, monkeypatch, capsys):
    stdin(monkeypatch, "value")
    assert main(["secrets", "set", "api-token", "--from-stdin"]) == 2
    assert "'api-token' is not a secret name" in capsys.readouterr().err
    stdin(monkeypatch, "\n")
    assert main(["secrets", "set", "api_token", "--from-stdin"]) == 2
    assert "an empty value cannot be stored" in capsys.readouterr().err
    assert memory.store == {}


def test_missing_secret_get_says_how_to_set_it(memory, capsys):
    assert main(["secrets", "get", "api_token"]) == 1
    assert "deploytui secrets set api_token" in capsys.readouterr().err


def test_the_binary_without_a_keyring_exits_2_with_the_advice(tmp_path: Path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("DEPLOYTUI_")}
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    done = subprocess.run(
        [sys.executable, "-m", "deploytui.cli", "secrets", "set", "api_token", "--from-stdin"],
        input="value\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 2
    assert "no usable keyring on this machine" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_backend_that_cannot_be_loaded_is_a_sentence_not_an_internal_error(tmp_path: Path):
    """A mistyped PYTHON_KEYRING_BACKEND used to crash every command that touches secrets;
    secrets from DEPLOYTUI_SECRET_<NAME> must still work."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("DEPLOYTUI_")}
    env["PYTHON_KEYRING_BACKEND"] = "no_such_module.Keyring"
    env["XDG_CONFIG_HOME"] = str(tmp_path)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "deploytui.cli", "secrets", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )

    why = "no_such_module.Keyring, which cannot be loaded (ModuleNotFoundError: "
    listed = run("list")
    assert listed.returncode == 0, listed.stderr
    assert f"warning: the keyring backend is {why}" in listed.stderr
    got = run("get", "api_token")
    assert got.returncode == 2
    assert f"deploytui: no usable keyring on this machine (backend {why}" in got.stderr
    env["DEPLOYTUI_SECRET_API_TOKEN"] = "from-env"
    from_env = run("get", "api_token")
    assert from_env.returncode == 0, from_env.stderr
    assert from_env.stdout.strip() == "api_token: •••• (from the environment)"
    for done in (listed, got, from_env):
        assert "Traceback" not in done.stderr and "internal error" not in done.stderr
