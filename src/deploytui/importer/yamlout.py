"""Write the imported playbook as readable YAML that ``load_playbook`` accepts unchanged.

Block style, keys in a sensible order, multi-line text as ``|`` blocks, and a comment header
saying where it came from and which lines were not interpreted.

Templates: deploytui reads ``{{ … }}`` in every step field, so a checklist's own braces (a Go
template, a JSON body, ``docker inspect --format '{{.State}}'``) would break loading. Each ``{{``
that is not a deploytui reference we can keep (``{{ run.id }}`` and friends) is replaced by
``{{ vars.open_braces | raw }}``, with ``open_braces: "{{"`` declared under ``variables``: it
renders back to exactly ``{{`` (unquoted, even in a shell command), so commands run verbatim.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import yaml

from deploytui.importer.report import Uninterpreted
from deploytui.playbook.templating import RUN_FIELDS

BRACE_VARIABLE = "open_braces"
ESCAPED_BRACES = f"{{{{ vars.{BRACE_VARIABLE} | raw }}}}"
_KEEP = re.compile(r"\{\{\s*run\.(?:" + "|".join(RUN_FIELDS) + r")\s*\}\}")
_OPEN = re.compile(r"\{\{")


def escape_braces(text: str) -> str:
    """``{{`` → ``{{ vars.open_braces | raw }}`` except in references that always resolve."""
    if "{{" not in text:
        return text
    pieces: list[str] = []
    position = 0
    for keep in _KEEP.finditer(text):
        pieces.append(_OPEN.sub(ESCAPED_BRACES, text[position : keep.start()]))
        pieces.append(keep.group(0))
        position = keep.end()
    pieces.append(_OPEN.sub(ESCAPED_BRACES, text[position:]))
    return "".join(pieces)


def escape_templates(data: Any) -> tuple[Any, bool]:
    """Escape braces in every string of steps/phases; report whether any were escaped."""
    changed = False

    def walk(node: Any) -> Any:
        nonlocal changed
        if isinstance(node, str):
            escaped = escape_braces(node)
            changed = changed or escaped != node
            return escaped
        if isinstance(node, list):
            return [walk(item) for item in node]
        if isinstance(node, dict):
            return {key: walk(value) for key, value in node.items()}
        return node

    result = {
        key: value if key in {"source_document", "variables", "name"} else walk(value)
        for key, value in data.items()
    }
    return result, changed


# libyaml's emitter is about five times faster than PyYAML's, which keeps an import of a
# 400-line checklist well under 100 ms; the pure-Python one is the fallback.
_Base = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_Base):  # type: ignore[misc,valid-type]
    """Block style; multi-line strings as literal blocks."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value and _literal_safe(value) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _literal_safe(value: str) -> bool:
    """Literal blocks cannot keep trailing spaces on lines, tabs after breaks or odd breaks."""
    return not re.search(
        r"[ \t]\n|\n[ \t]*\n?$|[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]", value
    ) and (not value.startswith((" ", "\t")))


_Dumper.add_representer(str, _represent_str)


def header_comment(name: str, uninterpreted: list[Uninterpreted]) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"# Imported from {_comment_safe(name)} by `deploytui import` on {stamp}.",
        "# Review every step marked `review: true` (commands, generated gates, targets) and",
        "# point command steps at the right hosts before using this playbook in a real window.",
    ]
    if uninterpreted:
        lines.append(f"# {len(uninterpreted)} line(s) could not be interpreted; each is kept as a")
        lines.append("# note marked review: true:")
        lines += [
            f"#   line {item.line}: {item.shown(90)} ({item.reason})" for item in uninterpreted
        ]
    return "\n".join(lines) + "\n"


def _comment_safe(text: str) -> str:
    return re.sub(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff]", "?", text)


def to_yaml(data: dict[str, Any], name: str, uninterpreted: list[Uninterpreted]) -> str:
    """The playbook data as YAML text with the import header."""
    body = yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )
    return header_comment(name, uninterpreted) + "\n" + body
