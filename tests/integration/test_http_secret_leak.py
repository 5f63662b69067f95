"""A secret sent over HTTP and echoed by commands never reaches the journal file or any output.

The run goes through the real Engine and the real SQLite journal: a local command prints the
secret raw, in base64 and URL-encoded; HTTP steps send it in a header, in the URL and as a
bearer token to a real server that echoes all of it back, and one of them fails so its URL
lands in a failure reason. Then the journal file's bytes (and its -wal/-shm) are searched for
the secret and its encodings, and ``show``, ``show --output`` and the exports are checked too.
"""

from __future__ import annotations

import base64
from pathlib import Path
from urllib.parse import quote, quote_plus

from deploytui.cli import main
from deploytui.engine.runner import Engine
from deploytui.journal import Journal
from deploytui.model.events import RunStatus
from tests.conftest import HttpServer
from tests.core_helpers import ScriptedOperator, load, new_run

SECRET = "hunter2-Tr0ub4dor&3=x"

PLAYBOOK = """
name: leak check
secrets: [api_token]
targets:
  http:
    api:
      base_url: "{url}"
      headers: {{X-Api-Key: "{{{{ secrets.api_token }}}}"}}
phases:
  - id: main
    title: Main
    steps:
      - id: echo
        kind: local
        title: A command that echoes the secret
        env: {{TOKEN: "{{{{ secrets.api_token }}}}"}}
        command: >-
          echo "raw $TOKEN" && printf %s "$TOKEN" | base64 && echo "token=$TOKEN" >&2 &&
          python3 -c "import sys, urllib.parse as u; print('url', u.quote(sys.argv[1], safe=''))"
          "$TOKEN"
        capture:
          - {{name: echoed, pattern: "raw (\\\\S+)"}}
      - id: call
        kind: http
        title: Call with the token everywhere
        target: api
        url: "/echo?token={{{{ secrets.api_token }}}}"
        headers: {{X-Token: "{{{{ secrets.api_token }}}}"}}
        auth: {{type: bearer, token: "{{{{ secrets.api_token }}}}"}}
      - id: call_basic
        kind: http
        title: Basic auth, sampled
        target: api
        url: /echo
        auth: {{type: basic, username: deployer, password: "{{{{ secrets.api_token }}}}"}}
        sample: {{requests: 4, concurrency: 2, name: echo}}
      - id: failing
        kind: http
        title: Fails with the secret in its URL
        target: api
        url: "/missing/{{{{ secrets.api_token }}}}"
        on_failure: skip
"""


def forms(secret: str) -> list[bytes]:
    encoded = secret.encode()
    texts = {
        secret,
        quote(secret, safe=""),
        quote_plus(secret),
        base64.b64encode(encoded).decode(),
        base64.b64encode(encoded).decode().rstrip("="),
        base64.b64encode(f"deployer:{secret}".encode()).decode(),
    }
    return [text.encode() for text in texts] + [secret.encode("utf-16-le")]


def test_the_secret_never_reaches_the_journal_file_or_any_output(
    journal_path: Path, http_server: HttpServer, capsys
):
    def echo(request):
        lines = [f"path {request.path}"] + [f"{k}: {v}" for k, v in request.headers.items()]
        return 200, "\n".join(lines)

    http_server.route("GET", "/echo", echo)
    loaded = load(PLAYBOOK.format(url=http_server.url))
    with Journal(journal_path) as journal:
        run_id = new_run(journal, loaded)
        engine = Engine(
            journal=journal,
            run_id=run_id,
            loaded=loaded,
            operator=ScriptedOperator(),
            secrets={"api_token": SECRET},
        )
        assert engine.run().status == RunStatus.completed
        output = journal.output(run_id, "call")
        # The server really received the secret in every place, and echoed it back.
        received = http_server.received[0]
        assert received.headers["X-Token"] == SECRET
        assert received.headers["X-Api-Key"] == SECRET
        assert received.headers["Authorization"] == f"Bearer {SECRET}"
        assert SECRET in received.path
        assert "X-Token: ••••" in output and "Authorization: ••••" in output
        assert journal.output(run_id, "echo")[0] == "raw ••••"

    files = sorted(journal_path.parent.glob(journal_path.name + "*"))
    assert journal_path in files
    data = b"".join(path.read_bytes() for path in files)
    assert (
        b"raw \xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2" in data
    )  # the masked line is there
    for form in forms(SECRET):
        assert form not in data, f"{form!r} found in the journal files"

    shown = []
    for argv in (
        ["show", run_id],
        ["show", run_id, "--output", "call"],
        ["show", run_id, "--output", "echo"],
        ["show", run_id, "--output", "failing"],
        ["export", run_id, "--format", "json"],
        ["export", run_id, "--format", "md"],
    ):
        assert main(["--journal", str(journal_path), *argv]) == 0, argv
        captured = capsys.readouterr()
        shown.append(captured.out + captured.err)
    everything = "\n".join(shown).encode()
    assert b"skipped" in everything  # the failing step's reason is in the report
    for form in forms(SECRET):
        assert form not in everything, f"{form!r} found in show/export output"
