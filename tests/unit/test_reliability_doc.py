"""docs/reliability.md names a command for every guarantee: each must point at a real test.

A renamed or deleted test would otherwise leave the page promising something nothing checks.
"""

from __future__ import annotations

import re

from tests.conftest import REPO

DOC = REPO / "docs" / "reliability.md"
COMMAND = re.compile(r"\.venv/bin/pytest ((?:tests/)[\w/.-]+\.py)(?:::(\w+))?")


def test_every_command_in_the_reliability_page_names_an_existing_test() -> None:
    text = DOC.read_text(encoding="utf-8")
    commands = COMMAND.findall(text)
    assert len(commands) >= 20, "the page lists too few commands to be right"
    for path, name in commands:
        source = REPO / path
        assert source.is_file(), f"docs/reliability.md: {path} does not exist"
        if name:
            code = source.read_text(encoding="utf-8")
            assert re.search(rf"^(async )?def {name}\(", code, re.M), (
                f"docs/reliability.md: {path} has no test {name}"
            )
