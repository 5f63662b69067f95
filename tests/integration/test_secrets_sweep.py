"""Secrets never persist: run playbooks with every secret set, then search everything left behind.

Each secret has a distinctive value (with spaces, slashes, ``+``, ``&`` and non-ASCII where a
secret can hold them), is set the way CI sets it (``DEPLOYTUI_SECRET_<NAME>``), and is first
proven to have *reached* what uses it — a command wrote it to a proof file outside the swept
places, the HTTP server received it, the MongoDB client was handed it — otherwise the sweep would
prove nothing. Then the raw bytes, URL-encoded and base64 forms (and Basic-auth tokens) of every
secret are searched for in: the journal files (.db, -wal, -shm), every CLI output (run, show,
show --output of every step, runs, verify, watch, export in every format to stdout and to files),
every file under the process's XDG folders (the internal-error log lives there), the TUI
snapshot baselines and screenshots, and a screenshot of the real TUI running a secret-using step.

Playbooks: a sweep playbook that puts secrets everywhere a secret can go (command, env, captured
output echoing it in raw/base64/URL form, a failure reason, URL path, target and step headers,
basic and bearer auth, ssh command/env and sudo password, a MongoDB URI, a step description);
and every shipped playbook that declares secrets (superapp-phase7, grover-launch: their MongoDB
URIs). The demo and creator-platform-readiness declare none (asserted, so adding one makes this
sweep run them). The one stand-in: MongoDB is mongomock-ng (tests/sweep_cli.py).
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest

from deploytui.demo import bundled_playbook
from deploytui.playbook.loader import load_playbook
from tests.conftest import REPO, HttpServer
from tests.core_helpers import PYTHON, query, wait_for
from tests.integration.test_shipped_playbooks import PLAYBOOKS, _overrides

MASKED = "••••"
SWEEP_SECRETS = {
    "db_password": "sw33p-DB pass/wörd+7&x",
    "api_key": "sweepKEY-9f3a2c71e5",
    "http_password": "h77p-sweep:pw=5",
    "hook_key": "hook-sweep-0b5e",
    "sudo_password": "sudo-sweep-pw-64",
    "mongo_uri": "mongodb://sweeper:M0ngo-sweep-pw@db.sweep.internal:27017/app",
}
# Parts of a secret that are secret on their own (the password inside a URI).
EXTRA_NEEDLES = ["M0ngo-sweep-pw"]
SHIPPED_SECRET_VALUES = {
    "mongo_uri": "mongodb://deploy:Sw33p-superapp-Pw@db-1.internal:27017/superapp",
    "mongo_url": "mongodb://grover:Sw33p-grover-Pw@mongo.grover.internal:27017/grover",
}


def forms(secret: str, basic_user: str = "deployer") -> set[bytes]:
    """Every form of a secret that must not be found: raw, URL-encoded, base64, Basic token."""
    raw = secret.encode()
    texts = {
        secret,
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
        base64.b64encode(raw).decode(),
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode(),
        base64.b64encode(f"{basic_user}:{secret}".encode()).decode(),
    }
    return {text.encode() for text in texts if len(text) >= 6}


def needles(values: list[str]) -> dict[bytes, str]:
    found: dict[bytes, str] = {}
    for value in values:
        for form in forms(value):
            found[form] = value
    for extra in EXTRA_NEEDLES:
        found[extra.encode()] = extra
    return found


def assert_clean(label: str, data: bytes, values: list[str]) -> None:
    for form, secret in needles(values).items():
        assert form not in data, f"{label}: holds a form of secret {secret!r}: {form!r}"


def files_under(*folders: Path) -> dict[str, bytes]:
    found = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")) if folder.exists() else []:
            if path.is_file():
                found[str(path)] = path.read_bytes()
    return found


def secret_env(values: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEPLOYTUI_")}
    env["PYTHONUNBUFFERED"] = "1"
    env.update({f"DEPLOYTUI_SECRET_{name.upper()}": value for name, value in values.items()})
    return env


class Cli:
    """``python -m tests.sweep_cli --journal J ...`` with the secrets in its environment; keeps
    every stdout/stderr it printed for the sweep."""

    def __init__(self, journal: Path, env: dict[str, str]) -> None:
        self.journal = journal
        self.env = env
        self.printed: list[tuple[str, bytes]] = []

    def __call__(self, *args: str, expect: int | None = 0) -> subprocess.CompletedProcess[bytes]:
        result = subprocess.run(
            [PYTHON, "-m", "tests.sweep_cli", "--journal", str(self.journal), *args],
            capture_output=True,
            timeout=300,
            env=self.env,
            cwd=REPO,
            stdin=subprocess.DEVNULL,
        )
        self.printed.append((" ".join(args), result.stdout + result.stderr))
        if expect is not None:
            assert result.returncode == expect, (args, result.stdout[-3000:], result.stderr)
        return result

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [PYTHON, "-m", "tests.sweep_cli", "--journal", str(self.journal), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=self.env,
            cwd=REPO,
            stdin=subprocess.DEVNULL,
        )

    def finish(self, process: subprocess.Popen[bytes]) -> subprocess.CompletedProcess[bytes]:
        out, err = process.communicate(timeout=300)
        self.printed.append((" ".join(map(str, process.args)), out + err))
        assert process.returncode == 0, (out[-3000:], err)
        return subprocess.CompletedProcess(process.args, process.returncode, out, err)

    def review(self, run_id: str, out_dir: Path, step_ids: list[str]) -> None:
        """Everything an operator or auditor runs after a window, kept for the sweep."""
        out_dir.mkdir(parents=True, exist_ok=True)
        self("show", run_id)
        for step_id in step_ids:
            self("show", run_id, "--output", step_id)
        self("runs")
        self("verify", run_id)
        self("watch", run_id)
        for fmt in ("md", "html", "json"):
            self("export", run_id, "--format", fmt)
            self("export", run_id, "--format", fmt, "-o", str(out_dir / f"report.{fmt}"))
        self("export", run_id, "--format", "md", "--layout", "report")

    def sweep(self, values: list[str], *folders: Path) -> None:
        for label, data in self.printed:
            assert_clean(f"`deploytui {label}` output", data, values)
        journal_files = sorted(self.journal.parent.glob(self.journal.name + "*"))
        assert self.journal in journal_files
        for path in journal_files:
            assert_clean(str(path), path.read_bytes(), values)
        for path, data in files_under(*folders).items():
            assert_clean(path, data, values)


def run_id_of(result: subprocess.CompletedProcess[bytes]) -> str:
    match = re.search(rb"run (\w+) \xc2\xb7 journal", result.stderr)
    assert match, result.stderr
    return match.group(1).decode()


def xdg_folders() -> list[Path]:
    return [
        Path(os.environ[name]) for name in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME")
    ]


# -- the sweep playbook: secrets everywhere a secret can go --------------------------------------


def sweep_playbook(folder: Path, proof: Path, http_url: str, ssh_target: dict[str, Any]) -> Path:
    sudo = os.path.exists("/usr/bin/sudo")
    sudo_fields = (
        "sudo: true\n                sudo_password: '{{ secrets.sudo_password }}'" if sudo else ""
    )
    quote_py = (
        f"{sys.executable} -c 'import os, urllib.parse; "
        'print(urllib.parse.quote(os.environ["DB_PASSWORD"], safe=""))\''
    )
    text = textwrap.dedent(
        f"""\
        name: secrets sweep
        secrets:
          db_password: {{description: database password}}
          api_key: {{description: API key}}
          http_password: {{description: basic auth password}}
          hook_key: {{description: webhook key in the URL}}
          sudo_password: {{description: sudo password}}
          mongo_uri: {{description: MongoDB URI with its password}}
        targets:
          http:
            api:
              base_url: {http_url}
              headers: {{X-Api-Key: '{{{{ secrets.api_key }}}}'}}
          ssh:
            app-1: {json.dumps(ssh_target)}
          mongo:
            db: {{uri: '{{{{ secrets.mongo_uri }}}}', database: app}}
        phases:
          - id: main
            title: Main
            steps:
              - id: local_echo
                kind: local
                title: Local command echoing the secret
                description: 'connects with {{{{ secrets.db_password }}}}'
                command: >-
                  echo db password is {{{{ secrets.db_password }}}};
                  printf '%s' "$DB_PASSWORD" > {proof}/db_password; env > {proof}/local_env;
                  printf '%s' "$DB_PASSWORD" | base64;
                  {quote_py}
                env: {{DB_PASSWORD: '{{{{ secrets.db_password }}}}'}}
                capture:
                  - {{name: echoed_password, pattern: 'db password is (.+)'}}
              - id: fails
                kind: local
                title: A failure whose message holds the secret
                command: echo login failed for {{{{ secrets.db_password }}}} >&2; exit 7
              - id: http_basic
                kind: http
                title: Basic auth, secret in path and headers, echoed back
                target: api
                url: '/echo/{{{{ secrets.hook_key }}}}'
                headers: {{X-Token: '{{{{ secrets.api_key }}}}'}}
                auth:
                  type: basic
                  username: deployer
                  password: '{{{{ secrets.http_password }}}}'
              - id: http_bearer
                kind: http
                title: Bearer token echoed back
                target: api
                url: /echo/plain
                auth: {{type: bearer, token: '{{{{ secrets.api_key }}}}'}}
              - id: remote
                kind: ssh
                title: Remote command with secrets in command and env
                hosts: app-1
                command: >-
                  echo remote sees {{{{ secrets.db_password }}}};
                  printf '%s' "$REMOTE_TOKEN" > {proof}/remote_token;
                  echo token $REMOTE_TOKEN
                env: {{REMOTE_TOKEN: '{{{{ secrets.api_key }}}}'}}
                {sudo_fields}
              - id: mongo_ping
                kind: mongo
                title: MongoDB reached with the secret URI
                target: db
                check: ping
              - id: hold_open
                kind: local
                title: Keeps the run live while the test copies the journal files
                command: while [ ! -e {proof}/release ]; do sleep 0.05; done
        """
    )
    path = folder / "sweep.yaml"
    path.write_text(text)
    return path


def test_every_secret_in_every_place_never_persists(
    tmp_path: Path, http_server: HttpServer, sshd: Any, ssh_keys: Any
) -> None:
    def echo(request: Any) -> tuple[int, Any]:
        lines = [f"path {request.path}"] + [f"{k}: {v}" for k, v in request.headers.items()]
        return 200, "\n".join(lines)

    s = SWEEP_SECRETS
    http_server.route("GET", f"/echo/{s['hook_key']}", echo)
    http_server.route("GET", "/echo/plain", echo)
    proof = tmp_path / "proof"  # outside every swept place
    proof.mkdir()
    known_hosts = ssh_keys.known_hosts(tmp_path / "known_hosts", [sshd.port])
    playbook = sweep_playbook(
        tmp_path, proof, http_server.url, sshd.target(known_hosts=str(known_hosts))
    )
    answers = tmp_path / "answers.yaml"
    answers.write_text("operator: ana\ndecisions: {fails: [{skip: known failure}]}\n")
    env = secret_env(s)
    env["SWEEP_MONGO_URI_LOG"] = str(proof / "mongo_uris")
    journal = tmp_path / "journal" / "sweep.db"
    cli = Cli(journal, env)
    run = cli.start("run", str(playbook), "--headless", "--answers", str(answers))
    # Mid-run, the -wal and -shm files exist (a finished run checkpoints and removes them):
    # copy all three while the driver still writes, to search them too.
    wait_for(
        lambda: (
            journal.exists() and query(journal, "SELECT 1 FROM events WHERE step_id = 'hold_open'")
        ),
        timeout=120,
        what="the last step to start",
    )
    live_files = {path.name: path.read_bytes() for path in journal.parent.glob("sweep.db*")}
    assert {"sweep.db", "sweep.db-wal", "sweep.db-shm"} <= set(live_files)
    (proof / "release").touch()
    run = cli.finish(run)
    run_id = run_id_of(run)
    for name, data in live_files.items():
        assert_clean(f"{name} copied mid-run", data, list(s.values()))

    # Every secret reached what uses it...
    assert (proof / "db_password").read_text() == s["db_password"]
    assert (proof / "remote_token").read_text() == s["api_key"]
    # A local command gets the secrets its step hands it, not the operator's whole set.
    local_env = (proof / "local_env").read_text()
    assert f"DB_PASSWORD={s['db_password']}" in local_env
    assert "DEPLOYTUI_SECRET_" not in local_env
    assert not [name for name, value in s.items() if name != "db_password" and value in local_env]
    assert (proof / "mongo_uris").read_text().splitlines() == [s["mongo_uri"]]
    basic = http_server.received[0]
    assert basic.path == f"/echo/{s['hook_key']}"
    assert basic.headers["X-Token"] == s["api_key"] and basic.headers["X-Api-Key"] == s["api_key"]
    token = base64.b64encode(f"deployer:{s['http_password']}".encode()).decode()
    assert basic.headers["Authorization"] == f"Basic {token}"
    assert http_server.received[1].headers["Authorization"] == f"Bearer {s['api_key']}"
    # ...and came back masked wherever it was echoed.
    local = cli("show", run_id, "--output", "local_echo").stdout.decode().splitlines()
    assert local == [f"db password is {MASKED}", MASKED, MASKED]
    remote = cli("show", run_id, "--output", "remote").stdout.decode()
    assert f"remote sees {MASKED}" in remote and f"token {MASKED}" in remote
    echoed = cli("show", run_id, "--output", "http_basic").stdout.decode()
    assert f"path /echo/{MASKED}" in echoed and f"X-Token: {MASKED}" in echoed
    assert f"Authorization: Basic {MASKED}" in echoed or f"Authorization: {MASKED}" in echoed
    shown = cli("show", run_id).stdout.decode()
    assert f"echoed_password: {MASKED}" in shown
    assert "skipped: known failure" in shown

    steps = ["local_echo", "fails", "http_basic", "http_bearer", "remote", "mongo_ping"]
    cli.review(run_id, tmp_path / "exports", steps)
    cli.sweep(list(s.values()), tmp_path / "exports", *xdg_folders())


# -- the shipped playbooks, with every secret they reference --------------------------------------


SHIPPED_FILES = sorted(path.name for path in PLAYBOOKS.glob("*.yaml") if path.name != "demo.yaml")


def test_the_demo_and_the_readiness_playbook_reference_no_secrets() -> None:
    """Nothing to sweep in them — asserted, so a secret added later makes the sweep run them."""
    assert not load_playbook(bundled_playbook()).playbook.secrets
    declaring = {name for name in SHIPPED_FILES if load_playbook(PLAYBOOKS / name).playbook.secrets}
    assert declaring == {"superapp-phase7.yaml", "grover-launch.yaml"}


@pytest.mark.parametrize(
    "name",
    [name for name in SHIPPED_FILES if load_playbook(PLAYBOOKS / name).playbook.secrets],
)
def test_shipped_playbook_with_its_secrets_set_never_persists_them(
    name: str, tmp_path: Path, http_server: HttpServer, sshd: Any, ssh_keys: Any
) -> None:
    for path in ("/api/health", "/api/ready", "/health", "/api/version"):
        http_server.reply("GET", path, 200, {"status": "ok"})
    declared = load_playbook(PLAYBOOKS / name).playbook
    values = {secret: SHIPPED_SECRET_VALUES[secret] for secret in declared.secrets}
    proof = tmp_path / "proof"
    proof.mkdir()
    overrides = _overrides(declared.variables, tmp_path / "work", http_server.url)
    # The mongodump stand-in also keeps the arguments it got (outside the swept places).
    tools = Path(overrides["remote_path"].split(":")[0]) if "remote_path" in overrides else None
    if tools is not None:
        (tools / "mongodump").write_text(
            f'#!/bin/sh\nprintf "%s\\n" "$*" >> {proof}/mongodump-args\necho "[mongodump] $*"\n'
        )
    known_hosts = ssh_keys.known_hosts(tmp_path / "known_hosts", [sshd.port])
    inventory = declared.targets.model_dump(mode="json", exclude_defaults=True)
    inventory["ssh"] = {
        host: sshd.target(known_hosts=str(known_hosts)) for host in declared.targets.ssh
    }
    targets = tmp_path / "targets.json"
    targets.write_text(json.dumps(inventory))
    env = secret_env(values)
    env["SWEEP_MONGO_URI_LOG"] = str(proof / "mongo_uris")
    answers = PLAYBOOKS / "answers" / name
    cli = Cli(tmp_path / "journal" / "shipped.db", env)
    variables = [item for key, value in overrides.items() for item in ("--var", f"{key}={value}")]
    run = cli(
        "run", str(PLAYBOOKS / name), "--headless", "--answers", str(answers),
        "--targets", str(targets), *variables,
    )  # fmt: skip
    run_id = run_id_of(run)
    # The secret reached the MongoDB client (and superapp's mongodump command line)...
    uris = set((proof / "mongo_uris").read_text().splitlines())
    assert uris == set(values.values())
    if "superapp" in name:
        dumped = (proof / "mongodump-args").read_text()
        assert f"--uri={values['mongo_uri']}" in dumped
        output = cli("show", run_id, "--output", "mongodump_backup").stdout.decode()
        assert f"--uri={MASKED}" in output
    # `show --output` of the steps that use a secret (all output is in the swept journal too).
    using = [
        step.id
        for _, step in declared.ordered_steps()
        if "secrets." in step.model_dump_json() or getattr(step, "kind", "") == "mongo"
    ]
    assert using
    cli.review(run_id, tmp_path / "exports", using)
    cli.sweep([*values.values(), *SWEEP_SECRETS.values()], tmp_path / "exports", *xdg_folders())


# -- the internal-error log ----------------------------------------------------------------------


def test_the_internal_error_log_and_message_never_hold_a_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unexpected exception whose message carries a secret (a library echoing a URI, say)
    is logged to the file the CLI names, and printed — both masked."""
    import argparse

    from deploytui.cli import dispatch
    from deploytui.cli_common import log_path
    from deploytui.secretstore import resolve_secrets

    secret = SWEEP_SECRETS["mongo_uri"]
    monkeypatch.setenv("DEPLOYTUI_SECRET_MONGO_URI", secret)

    def handler(args: argparse.Namespace) -> int:
        values = resolve_secrets(["mongo_uri"])
        raise RuntimeError(f"driver exploded connecting to {values['mongo_uri']}")

    code = dispatch(argparse.Namespace(handler=handler))
    printed = capsys.readouterr()
    assert code == 1
    log = log_path()
    assert f"the details are in {log}" in printed.err
    text = log.read_text(encoding="utf-8")
    assert "RuntimeError: driver exploded connecting to " + MASKED in text  # it was logged
    assert f"internal error: RuntimeError: driver exploded connecting to {MASKED}" in printed.err
    assert_clean("the internal-error log", text.encode(), [secret])
    assert_clean("the internal-error message", (printed.out + printed.err).encode(), [secret])


# -- snapshots and screenshots ---------------------------------------------------------------------


def test_ui_snapshots_and_screenshots_hold_no_secret() -> None:
    """The committed SVG/PNG baselines: none holds a secret used by the suites that feed them."""
    from tests.integration.test_shipped_playbooks import SECRETS as SHIPPED_TEST_SECRETS

    folders = [REPO / "tests" / "ui" / "__snapshots__", REPO / "screenshots"]
    found = files_under(*folders)
    assert any(path.endswith(".svg") for path in found), "no snapshots or screenshots found"
    values = [
        *SWEEP_SECRETS.values(),
        *SHIPPED_SECRET_VALUES.values(),
        *SHIPPED_TEST_SECRETS.values(),
    ]
    for path, data in found.items():
        assert_clean(path, data, values)


async def test_a_tui_screenshot_of_a_run_using_secrets_shows_them_masked(
    journal: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real app runs a step that uses and echoes a secret, fails with it in its message;
    the screen (step panel, output pane, failure dialog) is exported as SVG and searched."""
    from deploytui.ui.bridge import Ask
    from deploytui.ui.dialogs.common import ConfirmDialog
    from deploytui.ui.dialogs.decisions import FailureDialog
    from deploytui.ui.widgets.output_pane import OutputPane
    from tests.ui.helpers import (
        live_app,
        run_screen,
        wait_exit,
        wait_for,
        wait_question,
        wait_screen,
        write_playbook,
    )

    secret = SWEEP_SECRETS["db_password"]
    monkeypatch.setenv("DEPLOYTUI_SECRET_DB_PASSWORD", secret)
    proof = tmp_path / "proof-db"
    path = write_playbook(
        tmp_path,
        f"""
        name: tui secrets
        secrets:
          db_password: {{description: database password}}
        phases:
          - id: main
            title: Main
            steps:
              - id: connect
                kind: local
                title: Connect
                description: 'uses {{{{ secrets.db_password }}}}'
                command: >-
                  printf '%s' {{{{ secrets.db_password }}}} > {proof};
                  echo connecting with {{{{ secrets.db_password }}}};
                  echo denied for {{{{ secrets.db_password }}}} >&2; exit 3
        """,
    )
    app = live_app(journal, path, cwd=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_question(pilot, Ask.failure, "connect")
        await wait_screen(pilot, FailureDialog)
        pane = run_screen(app).query_one(OutputPane)
        await wait_for(pilot, lambda: len(pane.lines) >= 2, "the output lines")
        svg = app.export_screenshot(title="deploytui")
        shown = "\n".join(pane.lines)
        await pilot.press("a")  # abort the run, confirmed, and leave the app
        await wait_screen(pilot, ConfirmDialog)
        await pilot.click("#confirm")
        await wait_for(pilot, lambda: run_screen(app).ended, "the run to end")
        await pilot.press("enter")
        await wait_exit(pilot)
    assert proof.read_text() == secret  # the command really had it
    assert f"connecting with {MASKED}" in shown and f"denied for {MASKED}" in shown
    plain = svg.replace("&#160;", " ")
    assert "connecting" in plain and MASKED in plain  # the echoed line is on screen, masked
    assert_clean("TUI screenshot", svg.encode(), [secret])
    assert_clean("TUI screenshot (plain spaces)", plain.encode(), [secret])


async def test_a_crash_in_the_tui_is_a_sentence_and_a_masked_log_never_a_traceback(
    journal: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """Textual's default prints a traceback with every frame's locals on the terminal; a secret
    held in a local (here: the one the failing code used) would be shown and scroll-back kept."""
    from deploytui.errorlog import log_path
    from deploytui.secretstore import resolve_secrets
    from deploytui.ui.app import DeployApp
    from deploytui.ui.config import UiConfig

    secret = SWEEP_SECRETS["api_key"]
    monkeypatch.setenv("DEPLOYTUI_SECRET_API_KEY", secret)
    resolve_secrets(["api_key"])  # as the TUI does for a run

    def boom() -> None:
        token = resolve_secrets(["api_key"])["api_key"]
        raise RuntimeError(f"widget exploded rendering {token}")

    app = DeployApp(journal=journal, operator_name="ana", config=UiConfig(), cwd=tmp_path)
    with pytest.raises(RuntimeError):  # run_test re-raises it for the test
        async with app.run_test() as pilot:
            app.call_later(boom)
            await pilot.pause(0.5)
    err = capfd.readouterr().err
    assert "deploytui: internal error in the terminal UI: RuntimeError: widget exploded" in err
    assert f"the details are in {log_path()}" in err
    assert "Traceback" not in err and "locals" not in err
    log = log_path().read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in log and f"rendering {MASKED}" in log
    assert_clean("terminal after a TUI crash", err.encode(), [secret])
    assert_clean("the internal-error log after a TUI crash", log.encode(), [secret])
