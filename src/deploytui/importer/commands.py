"""Fenced code blocks → steps: shell commands to run, other code to show, env settings to note.

A shell block (``bash``, ``sh``, ``console``… or no language) becomes a ``local`` step with the
command verbatim (only a ``$ `` prompt at the start of a line is dropped) and ``review: true``:
the checklist rarely says where a command runs, and we do not invent hosts, so the description
asks the reviewer to point it at the right target. Code in
another language (javascript for mongosh, sql, json…) becomes a ``confirm`` showing the code,
since deploytui cannot run it as a shell command. A block that only sets ``VAR=value`` becomes a
``note``: those are settings for the service, not commands for the window.
"""

from __future__ import annotations

import re
from typing import Any

from deploytui.importer.blocks import Code
from deploytui.importer.ids import slug
from deploytui.importer.titles import title_text

SHELL_LANGUAGES = {
    "", "bash", "sh", "shell", "zsh", "ksh", "dash", "console", "terminal", "shellsession",
    "shell-session", "session", "text", "plain", "none",
}  # fmt: skip
_ENV_LINE = re.compile(
    r"""^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*=(?:"[^"]*"|'[^']*'|[^\s"']*)\s*(?:#.*)?$"""
    r"|^\s*(?:#.*)?$"
)


def code_step(
    code: Code,
    *,
    title: str | None,
    section_title: str,
    source_line: int | None = None,
    extra: str = "",
) -> dict[str, Any] | None:
    """The step for ``code`` (``None`` for an empty block). ``title`` and ``source_line`` come
    from the list item the block belongs to, when it belongs to one."""
    language = (code.info.split() or [""])[0].lower().strip("{}.")
    body = code.text.strip("\n")
    if language in SHELL_LANGUAGES:
        # "$ cmd" lines in console transcripts: the prompt is not part of the command.
        body = re.sub(r"(?m)^(\s*)\$ ", r"\1", body)
    line = source_line or code.line
    lines = [text.strip() for text in body.split("\n") if text.strip()]
    first = next((text for text in lines if not text.startswith(("#", "//"))), "")
    first = first or (lines[0] if lines else "")
    if not body.strip():
        return None
    fenced = f"```{code.info}\n{body}\n```"
    where = f" (line {code.line})" if source_line else ""
    if language in SHELL_LANGUAGES and all(_ENV_LINE.match(text) for text in body.split("\n")):
        return {
            "id": "environment_" + slug(section_title, max_words=4),
            "kind": "note",
            "title": title or "Environment variables to set",
            "text": fenced,
            "source": {"line": line},
            "review": True,
            "description": "Imported from a code block that only sets environment "
            "variables: set them where the service runs.",
        }
    if language in SHELL_LANGUAGES:
        description = (
            f"Imported from a code block{where}. Check the command and where it must run "
            "(this machine, a server, a database?) before running it; edit the playbook to "
            "point it at the right target."
        )
        return {
            "id": "run_" + slug(title or first, max_words=4),
            "kind": "local",
            "title": title or f"Run: {title_text(first, 70)}",
            "description": f"{extra}\n\n{description}".strip(),
            "command": body,
            "source": {"line": line},
            "review": True,
        }
    return {
        "id": slug(title or f"{language} {first}", max_words=4),
        "kind": "confirm",
        "title": title or f"Run this {language} code: {title_text(first, 60)}",
        "description": f"{extra}\n\nA {language} block{where}: deploytui does not run "
        f"it. Run it where it belongs, then confirm.\n\n{fenced}".strip(),
        "source": {"line": line},
        "review": True,
    }
