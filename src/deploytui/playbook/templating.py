"""``{{ namespace.name }}`` substitution: small on purpose, so templates can never run code.

Namespaces: ``vars`` (playbook variables), ``inputs`` (answers and values captured from output),
``secrets`` (keyring or environment), ``run`` (id, operator, started_at). Filters: ``| raw``
(no shell quoting) and ``| default('text')``.

In shell commands every substituted value is quoted with ``shlex.quote`` unless ``| raw`` is
given, so a captured value like ``x; rm -rf /`` reaches the shell as one harmless word.
For display and the journal, secrets render as ``••••``.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

NAMESPACES = ("vars", "inputs", "secrets", "run")
RUN_FIELDS = ("id", "operator", "started_at", "playbook")
MASK = "••••"

_TEMPLATE = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_REFERENCE = re.compile(
    r"^\s*(?P<ns>[A-Za-z_]\w*)\.(?P<name>[A-Za-z_]\w*)\s*"
    r"(?:\|\s*(?P<filter>raw|default\(\s*(?P<q>['\"])(?P<default>.*?)(?P=q)\s*\))\s*)?$"
)


class TemplateError(ValueError):
    """A template that cannot be parsed, or refers to something unknown."""


@dataclass(frozen=True)
class Reference:
    namespace: str
    name: str
    raw: bool
    default: str | None
    span: tuple[int, int]


def references(text: str) -> Iterator[Reference]:
    """Every ``{{ ... }}`` in ``text``, parsed; raise ``TemplateError`` on bad syntax."""
    for match in _TEMPLATE.finditer(text):
        inner = match.group(1)
        parsed = _REFERENCE.match(inner)
        if not parsed:
            raise TemplateError(
                f"'{{{{{inner}}}}}' is not a reference; write {{{{ inputs.name }}}}, "
                "{{ vars.name }} or {{ secrets.name }}"
            )
        namespace = parsed.group("ns")
        if namespace not in NAMESPACES:
            raise TemplateError(
                f"'{namespace}.{parsed.group('name')}': unknown namespace '{namespace}'; "
                f"use one of {', '.join(NAMESPACES)}"
            )
        filter_ = parsed.group("filter") or ""
        yield Reference(
            namespace=namespace,
            name=parsed.group("name"),
            raw=filter_ == "raw",
            default=parsed.group("default") if filter_.startswith("default") else None,
            span=match.span(),
        )
    if "{{" in _TEMPLATE.sub("", text):
        raise TemplateError("a '{{' is never closed with '}}'")


@dataclass
class Context:
    """The values templates can see at one moment of a run."""

    variables: Mapping[str, Any]
    inputs: Mapping[str, Any]
    secrets: Mapping[str, str]
    run: Mapping[str, Any]

    def lookup(self, reference: Reference) -> tuple[str, bool]:
        """The value as text, and whether it is a secret."""
        space: Mapping[str, Any] = {
            "vars": self.variables,
            "inputs": self.inputs,
            "secrets": self.secrets,
            "run": self.run,
        }[reference.namespace]
        if reference.name in space and space[reference.name] is not None:
            return _as_text(space[reference.name]), reference.namespace == "secrets"
        if reference.default is not None:
            return reference.default, False
        raise TemplateError(f"{{{{ {reference.namespace}.{reference.name} }}}} has no value yet")


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def render(text: str, context: Context, *, shell: bool = False, mask: bool = False) -> str:
    """Substitute every reference. ``shell`` quotes values; ``mask`` hides secrets."""
    if "{{" not in text:
        return text
    pieces: list[str] = []
    position = 0
    for reference in references(text):
        start, end = reference.span
        pieces.append(text[position:start])
        value, secret = context.lookup(reference)
        if mask and secret:
            value = MASK
        elif shell and not reference.raw:
            value = shlex.quote(value)
        pieces.append(value)
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def render_data(data: Any, context: Context, *, shell_keys: set[str], mask: bool) -> Any:
    """Render every string in nested data; keys in ``shell_keys`` are shell-quoted."""
    if isinstance(data, str):
        return render(data, context, mask=mask)
    if isinstance(data, list):
        return [render_data(item, context, shell_keys=shell_keys, mask=mask) for item in data]
    if isinstance(data, dict):
        return {
            key: (
                render(value, context, shell=True, mask=mask)
                if key in shell_keys and isinstance(value, str)
                else render_data(value, context, shell_keys=shell_keys, mask=mask)
            )
            for key, value in data.items()
        }
    return data


def render_targets(
    targets: Any, variables: Mapping[str, Any], secrets: Mapping[str, str], *, mask: bool
) -> Any:
    """The playbook's targets with ``vars`` and ``secrets`` substituted (same model type)."""
    context = Context(variables=variables, inputs={}, secrets=secrets, run={})
    raw = targets.model_dump(mode="json")
    return type(targets).model_validate(render_data(raw, context, shell_keys=set(), mask=mask))
