"""Secrets are masked in any text, including their URL-encoded and base64 forms."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

from deploytui.engine.masking import MASK, Masker
from deploytui.journal import Journal
from deploytui.model.events import RunStatus
from tests.core_helpers import ScriptedOperator, drive, load


def test_every_form_of_a_secret_is_masked() -> None:
    secret = "p@ss w/rd+1"
    mask = Masker([secret])
    encoded = base64.b64encode(secret.encode()).decode()
    text = f"raw={secret} url={quote(secret, safe='')} b64={encoded} basic {encoded.rstrip('=')}"
    masked = mask(text)
    assert secret not in masked and quote(secret, safe="") not in masked
    assert encoded.rstrip("=") not in masked
    assert masked.count(MASK) == 4


def test_nested_data_is_masked_and_other_values_kept() -> None:
    mask = Masker(["tok3n"])
    data = {"a": ["x tok3n y", 3], "b": {"c": "tok3n"}, "d": None}
    assert mask.data(data) == {"a": [f"x {MASK} y", 3], "b": {"c": MASK}, "d": None}


def test_very_short_secrets_are_not_used_as_patterns() -> None:
    assert Masker(["ab"])("abc") == "abc"
    assert Masker([])("anything") == "anything"


def test_longest_form_wins() -> None:
    assert Masker(["abc", "abcdef"])("abcdef") == MASK


def test_a_secret_echoed_by_a_command_never_reaches_the_journal_file(tmp_path) -> None:
    secret = "s3cr3t-xyz-123"
    loaded = load(
        """
        name: secret
        secrets: [token]
        phases:
          - id: p
            title: P
            steps:
              - id: echo
                kind: local
                title: Echo {{ secrets.token }}
                command: >-
                  echo "token is {{ secrets.token }}";
                  printf %s "{{ secrets.token | raw }}" | base64
                capture: [{name: seen, pattern: "token is (.*)"}]
              - id: fail
                kind: local
                title: Fail
                on_failure: skip
                command: echo {{ secrets.token }} >&2; exit 1
        """
    )
    path = tmp_path / "j.db"
    with Journal(path) as journal:
        run_id, outcome = drive(journal, loaded, ScriptedOperator(), secrets={"token": secret})
        assert outcome.status == RunStatus.completed
        assert journal.output(run_id, "echo")[0] == f"token is {MASK}"
        assert json.loads(journal.captured_values(run_id)[0]["value"]) == MASK
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("j.db*"))
    assert secret.encode() not in raw
    assert base64.b64encode(secret.encode()) not in raw


def test_a_basic_auth_header_holding_a_secret_is_masked() -> None:
    secret = "s3cr3t-token"
    header = "Authorization: Basic " + base64.b64encode(f"deploy:{secret}".encode()).decode()
    masked = Masker([secret])(header)
    assert masked == "Authorization: Basic ••••"


def test_base64_tokens_without_a_secret_are_left_alone() -> None:
    text = "sha256 dGhpcyBpcyBub3QgYSBzZWNyZXQ= and abcdefghijklmnop"
    assert Masker(["s3cr3t-token"])(text) == text


def test_a_url_path_encoding_that_keeps_slashes_is_masked() -> None:
    secret = "a/b c&d"
    assert "a/b%20c%26d" not in Masker([secret])("GET /x/a/b%20c%26d HTTP/1.1")
