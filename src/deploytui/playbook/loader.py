"""Read a playbook file into a validated ``Playbook``, or every problem with file:line:column.

The pipeline: safe YAML (with positions) → pydantic (shape and field rules) → cross-reference
checks (``checks``). All problems found are reported together, each as a plain sentence.
"""

from __future__ import annotations

import difflib
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from deploytui.model.playbook import Playbook
from deploytui.model.steps import STEP_KINDS
from deploytui.playbook.safe_yaml import MAX_BYTES, LoadedYaml, YamlProblem, load_yaml


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a playbook, with its position."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class PlaybookError(Exception):
    """A playbook that cannot be used; ``problems`` lists everything found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


@dataclass(frozen=True)
class TargetsFile:
    """An inventory override (``--targets FILE``): YAML whose content replaces ``targets:``.

    The same playbook then runs against staging or test hosts. The run journals the file's path
    and text so ``resume`` and ``show`` use the same targets unless a new file is given.
    """

    path: str
    text: str

    @classmethod
    def read(cls, path: Path | str) -> TargetsFile:
        return cls(path=str(path), text=read_text(Path(path)).replace("\r\n", "\n"))

    def record(self) -> dict[str, str]:
        """What the journal keeps (in ``run_started`` / ``run_resumed`` data)."""
        return {"path": os.path.abspath(self.path), "text": self.text}


@dataclass
class LoadedPlaybook:
    """A validated playbook with the text it came from (stored as the run's snapshot)."""

    playbook: Playbook
    text: str
    path: str
    sha256: str
    locations: LoadedYaml = field(repr=False, default_factory=lambda: LoadedYaml(None))
    targets_file: TargetsFile | None = None


def read_text(path: Path) -> str:
    """Read a text file as UTF-8 (BOM tolerated), naming the file in any error."""
    try:
        # One byte past the limit is enough to refuse it; /dev/zero or a huge log never fills RAM.
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise PlaybookError([Problem(str(path), 1, 1, "the file does not exist")]) from None
    except IsADirectoryError:
        raise PlaybookError([Problem(str(path), 1, 1, "this is a folder, not a file")]) from None
    except OSError as error:
        raise PlaybookError([Problem(str(path), 1, 1, f"cannot read: {error.strerror}")]) from None
    if len(raw) > MAX_BYTES:
        limit = f"the file is larger than {MAX_BYTES // 1_000_000} MB; is it a playbook?"
        raise PlaybookError([Problem(str(path), 1, 1, limit)])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise PlaybookError(
            [Problem(str(path), line, 1, "the file is not UTF-8 text; save it as UTF-8")]
        ) from None


def load_playbook(
    path: Path | str,
    *,
    overrides: dict[str, str] | None = None,
    targets: TargetsFile | None = None,
) -> LoadedPlaybook:
    """Load and validate a playbook file."""
    file = Path(path)
    return parse_playbook(read_text(file), str(file), overrides=overrides, targets=targets)


def _merge_targets(loaded: LoadedYaml, targets: TargetsFile) -> None:
    """Put a targets file's content in place of ``targets:``, positions included."""
    try:
        override = load_yaml(targets.text.replace("\r\n", "\n"))
    except YamlProblem as problem:
        raise PlaybookError(
            [Problem(targets.path, problem.line, problem.column, problem.message)]
        ) from None
    content, prefix = override.data, ()
    if isinstance(content, dict) and list(content) == ["targets"]:
        content, prefix = content["targets"], ("targets",)  # a file with a top-level targets:
    if content is None:
        content = {}
    if not isinstance(content, dict):
        raise PlaybookError(
            [Problem(targets.path, 1, 1, "a targets file is a mapping: ssh, groups, http, mongo")]
        )
    loaded.data["targets"] = content
    loaded.locations = {
        path: where for path, where in loaded.locations.items() if path[:1] != ("targets",)
    }
    for path, where in override.locations.items():
        if path[: len(prefix)] == prefix:
            loaded.locations[("targets", *path[len(prefix) :])] = where


def _file_of(path: tuple[Any, ...], filename: str, targets: TargetsFile | None) -> str:
    return targets.path if targets is not None and path[:1] == ("targets",) else filename


def parse_playbook(
    text: str,
    filename: str = "<playbook>",
    *,
    overrides: dict[str, str] | None = None,
    targets: TargetsFile | None = None,
) -> LoadedPlaybook:
    """Validate playbook text. ``overrides`` replace declared variables (``--var k=v``);
    ``targets`` replaces the ``targets:`` section (``--targets FILE``)."""
    from deploytui.playbook.checks import check_playbook

    text = text.replace("\r\n", "\n")
    try:
        loaded = load_yaml(text)
    except YamlProblem as problem:
        raise PlaybookError(
            [Problem(filename, problem.line, problem.column, problem.message)]
        ) from None
    data = loaded.data
    if not isinstance(data, dict):
        raise PlaybookError(
            [Problem(filename, 1, 1, "a playbook is a mapping with name, phases and more")]
        )
    if targets is not None:
        _merge_targets(loaded, targets)
    problems: list[Problem] = []
    if overrides:
        variables = data.get("variables")
        declared = variables if isinstance(variables, dict) else {}
        for name, value in overrides.items():
            if name not in declared:
                problems.append(
                    Problem(filename, 1, 1, f"--var {name}: the playbook declares no such variable")
                )
            else:
                declared[name] = value
    try:
        playbook = Playbook.model_validate(data)
    except ValidationError as error:
        problems.extend(_explain(error, loaded, filename, targets))
        raise PlaybookError(_sorted(problems)) from None
    problems.extend(
        Problem(_file_of(path, filename, targets), *loaded.locate(path), message)
        for path, message in check_playbook(playbook, data)
    )
    if problems:
        raise PlaybookError(_sorted(problems))
    return LoadedPlaybook(
        playbook=playbook,
        text=text,
        path=filename,
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        locations=loaded,
        targets_file=targets,
    )


def _sorted(problems: list[Problem]) -> list[Problem]:
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda problem: (problem.line, problem.column))


def describe_path(path: tuple[Any, ...], data: Any) -> str:
    """``phases[1].steps[0]`` (step 'backup_db') — a readable place inside the playbook."""
    text = ""
    node = data
    label = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
        if isinstance(node, dict | list):
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                node = None
            if isinstance(node, dict) and isinstance(node.get("id"), str):
                label = f" (id '{node['id']}')"
    return f"{text}{label}" if text else "the playbook"


def _explain(
    error: ValidationError, loaded: LoadedYaml, filename: str, targets: TargetsFile | None = None
) -> list[Problem]:
    problems = []
    for item in error.errors():
        loc = tuple(item["loc"])
        data_path = _data_path(loc, loaded.data)
        line, column = loaded.locate(data_path)
        if item["type"] == "union_tag_invalid":
            # Point at the misspelt ``kind:`` itself rather than the start of the step.
            line, column = loaded.locate((*data_path, "kind"))
        problems.append(
            Problem(
                _file_of(data_path, filename, targets),
                line,
                column,
                sentence_for_error(item, data_path, loaded.data),
            )
        )
    return problems


def _data_path(loc: tuple[Any, ...], data: Any) -> tuple[Any, ...]:
    """Drop the union tags pydantic puts in locations (``..., 'local', 'timeout'``)."""
    path: list[Any] = []
    node = data
    for part in loc:
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and part < len(node)
        ):
            path.append(part)
            node = node[part]
        elif (isinstance(node, dict) and isinstance(part, str) and part == node.get("kind")) or (
            isinstance(part, str) and part.startswith("function-")
        ):
            continue
        else:
            path.append(part)
            node = None
    return tuple(path)


def sentence_for_error(item: Any, path: tuple[Any, ...], data: Any) -> str:
    kind = item["type"]
    where = describe_path(path[:-1], data) if path else "the playbook"
    last = path[-1] if path else ""
    if kind == "missing":
        return f"{where}: '{last}' is required"
    if kind == "extra_forbidden":
        parent = _node_at(path[:-1], data)
        known = _known_keys(path[:-1], parent)
        guess = difflib.get_close_matches(str(last), known, n=1)
        hint = f"; did you mean '{guess[0]}'?" if guess else ""
        return f"{where}: unknown field '{last}'{hint}"
    if kind == "union_tag_invalid":
        found = item.get("ctx", {}).get("tag", "?")
        guess = difflib.get_close_matches(str(found), STEP_KINDS, n=1)
        hint = f" (did you mean '{guess[0]}'?)" if guess else ""
        return (
            f"{describe_path(path, data)}: unknown step kind '{found}'{hint}; "
            f"use one of {', '.join(STEP_KINDS)}"
        )
    if kind == "union_tag_not_found":
        return f"{describe_path(path, data)}: a step needs 'kind:', one of {', '.join(STEP_KINDS)}"
    message = str(item["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    value = item.get("input")
    shown = (
        f" (got {value!r})"
        if isinstance(value, str | int | float) and len(repr(value)) < 60
        else ""
    )
    return f"{describe_path(path, data)}: {message[0].lower()}{message[1:]}{shown}"


def _node_at(path: tuple[Any, ...], data: Any) -> Any:
    node = data
    for part in path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _known_keys(path: tuple[Any, ...], node: Any) -> list[str]:
    """The field names allowed at ``path``, for did-you-mean hints."""
    from deploytui.playbook.fieldnames import allowed_fields

    return allowed_fields(path, node)
