"""Load YAML safely and remember where every value came from (line and column).

Why not ``yaml.safe_load``: we need file:line:column for every error, ``YES``/``NO`` must stay
strings (checklists are full of them; YAML 1.1 would turn them into booleans), and hostile input
(alias bombs, deep nesting, Python tags, huge files) must end in a clear error, never a hang,
a crash or a traceback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

MAX_BYTES = 5_000_000
MAX_NODES = 200_000
MAX_DEPTH = 64

Location = tuple[int, int]
Path_ = tuple[str | int, ...]


@dataclass
class YamlProblem(Exception):
    """A problem with a position in the source (1-based line and column)."""

    message: str
    line: int = 1
    column: int = 1


@dataclass
class LoadedYaml:
    """Plain Python data plus a map from each value's path to its position."""

    data: Any
    locations: dict[Path_, Location] = field(default_factory=dict)

    def locate(self, path: Path_) -> Location:
        """The position of the deepest known node on ``path`` (tags in pydantic locs skipped)."""
        best: Location = self.locations.get((), (1, 1))
        current: Path_ = ()
        for part in path:
            candidate = (*current, part)
            if candidate in self.locations:
                current = candidate
                best = self.locations[candidate]
        return best


class _Resolver(yaml.resolver.Resolver):
    """YAML 1.2-style booleans: only true/false, so YES, NO, on, off stay text."""


_Resolver.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for key, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
}
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


class _Loader(
    yaml.reader.Reader,
    yaml.scanner.Scanner,
    yaml.parser.Parser,
    yaml.composer.Composer,
    yaml.constructor.SafeConstructor,
    _Resolver,
):
    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        _Resolver.__init__(self)


_CParser = getattr(getattr(yaml, "cyaml", None), "CParser", None)
# Lines indented (or nested with "- " / "? ") deeper than this go to the pure-Python parser:
# libyaml's composer recurses in C, where a hostile nesting depth must never get.
_DEEP_PREFIX = re.compile(r"^[ \t\-?:]{256}", re.MULTILINE)

if _CParser is not None:

    class _CLoader(_CParser, yaml.constructor.SafeConstructor, _Resolver):  # type: ignore[misc,valid-type]
        """libyaml's parser and composer with our resolver (YAML 1.2 booleans)."""

        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            _Resolver.__init__(self)


def _compose_fast(text: str) -> tuple[Any, yaml.Node | None] | None:
    """``(loader, node)`` composed by libyaml's C parser (about 10x faster than the pure-Python
    one, which was most of ``validate``'s time on a large playbook), or None to use the Python
    path. Same resolver and constructor, same nodes and marks; text the Python reader would
    refuse, and any problem, go to the Python path, so errors keep their exact wording."""
    if (
        _CParser is None
        or _DEEP_PREFIX.search(text)
        or yaml.reader.Reader.NON_PRINTABLE.search(text)
    ):
        return None
    try:
        loader = _CLoader(text)
        return loader, loader.get_single_node()
    except Exception:  # the Python parser reports it, with its own wording
        return None


_SAFE_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
}


_TEXT_TAGS = {"tag:yaml.org,2002:str", "tag:yaml.org,2002:timestamp"}


def _position(node: yaml.Node) -> Location:
    return node.start_mark.line + 1, node.start_mark.column + 1


def load_yaml(text: str) -> LoadedYaml:
    """Parse one YAML document into data and locations, or raise ``YamlProblem``."""
    if len(text.encode("utf-8", errors="replace")) > MAX_BYTES:
        raise YamlProblem(f"the file is larger than {MAX_BYTES // 1_000_000} MB; is it a playbook?")
    if "\x00" in text:
        raise YamlProblem("the file contains NUL bytes; it looks binary, not YAML")
    _check_depth(text)
    fast = _compose_fast(text)
    if fast is not None:
        loader, node = fast
    else:
        loader, node = _compose(text)
    if node is None:
        raise YamlProblem("the file is empty; a playbook needs at least name and phases")
    result = LoadedYaml(data=None)
    builder = _Builder(loader, result.locations)
    result.data = builder.build(node, (), 0)
    return result


def _compose(text: str) -> tuple[_Loader, yaml.Node | None]:
    """The pure-Python parser: the reference, and the one that words every error."""
    try:
        # The reader checks for unprintable characters already in the constructor.
        loader = _Loader(text)
    except yaml.reader.ReaderError as error:
        line = text[: error.position].count("\n") + 1
        column = error.position - (text.rfind("\n", 0, error.position) + 1) + 1
        raise YamlProblem(
            f"the file contains a control character (#x{error.character:04x}); "
            "it looks binary, not YAML",
            line,
            column,
        ) from None
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = error.problem or "invalid YAML"
        context = f" {error.context}" if error.context else ""
        raise YamlProblem(f"invalid YAML: {problem}{context}", line, column) from None
    except yaml.YAMLError as error:
        raise YamlProblem(f"invalid YAML: {error}") from None
    except RecursionError:
        raise YamlProblem(f"the YAML is nested more than {MAX_DEPTH} levels deep") from None
    finally:
        loader.dispose()
    return loader, node


_STARTS_A_VALUE = set(":-[{,?\n")


def _after_block_scalar(text: str, index: int) -> int:
    """The index just past a ``|`` or ``>`` block scalar starting at ``index``: its own line,
    then every following line that is blank or indented deeper than the line it started on."""
    start = text.rfind("\n", 0, index) + 1
    line = text[start:index]
    indent = len(line) - len(line.lstrip(" "))
    end = text.find("\n", index)
    while end >= 0:
        following = text.find("\n", end + 1)
        body = text[end + 1 : following if following >= 0 else len(text)]
        if body.strip() and len(body) - len(body.lstrip(" ")) <= indent:
            return end
        end = following
    return len(text)


def _check_depth(text: str) -> None:
    """Refuse pathologically nested flow collections before a parser recurses into them (the C
    parser would crash on 100,000 ``[``). Only brackets that open or close a flow collection
    count: not those inside quoted strings or comments, nor inside plain text (``a [b``), so a
    playbook that merely *mentions* many brackets (a checklist kept in source_document) loads."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return  # cannot be too deep: skip the scan (most playbooks)
    depth = 0
    quote = ""
    previous = "\n"  # the last character that was not a space or tab
    index, length = 0, len(text)
    while index < length:
        char = text[index]
        if quote:
            if char == "\\" and quote == '"':
                index += 1
            elif char == quote:
                if quote == "'" and text[index + 1 : index + 2] == "'":
                    index += 1  # '' is an escaped quote inside a single-quoted string
                else:
                    quote = ""
                    previous = char
        elif char == "#" and (index == 0 or text[index - 1] in " \t\n"):
            end = text.find("\n", index)
            index = length if end < 0 else end
            continue
        elif char in "'\"" and previous in _STARTS_A_VALUE:
            quote = char
        elif char in "&!" and previous in _STARTS_A_VALUE:
            # An anchor or a tag before a value (``&a [``, ``!!seq [``): the value starts after it.
            while index < length and text[index] not in " \t\n,[]{}":
                index += 1
            continue
        elif char in "|>" and not depth and previous in _STARTS_A_VALUE:
            index = _after_block_scalar(text, index)  # its lines are text, whatever they hold
            previous = "\n"
            continue
        elif char in "[{" and (depth or previous in _STARTS_A_VALUE):
            depth += 1
            if depth > MAX_DEPTH:
                line = text.count("\n", 0, index) + 1
                column = index - (text.rfind("\n", 0, index) + 1) + 1
                raise YamlProblem(
                    f"the YAML is nested more than {MAX_DEPTH} levels deep", line, column
                )
            previous = char
        elif char in "]}" and depth:
            depth -= 1
            previous = char
        elif char == "\n" or (char == "," and depth):
            previous = char
        elif char in ":-?" and text[index + 1 : index + 2] in ("", " ", "\t", "\n"):
            previous = char  # an indicator ("key: ", "- "), not text like "a-b" or "x:y"
        elif char not in " \t":
            previous = "a"  # plain text: a bracket after it is text too
        index += 1


class _Builder:
    def __init__(self, loader: _Loader, locations: dict[Path_, Location]) -> None:
        self.loader = loader
        self.locations = locations
        self.count = 0

    def build(self, node: yaml.Node, path: Path_, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            line, column = _position(node)
            raise YamlProblem(
                f"the YAML expands to more than {MAX_NODES} values (an alias bomb?)", line, column
            )
        if depth > MAX_DEPTH:
            line, column = _position(node)
            raise YamlProblem(f"the YAML is nested more than {MAX_DEPTH} levels deep", line, column)
        self.locations.setdefault(path, _position(node))
        if isinstance(node, yaml.ScalarNode):
            if node.tag not in _SAFE_SCALAR_TAGS:
                line, column = _position(node)
                raise YamlProblem(f"the tag {node.tag} is not allowed in a playbook", line, column)
            if node.tag in _TEXT_TAGS:
                # Text as written: what SafeConstructor returns for str, at a fraction of the cost
                # (most of a playbook's thousands of scalars); dates stay the text the author wrote.
                return node.value
            return self.loader.construct_object(node, deep=False)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != "tag:yaml.org,2002:seq":
                line, column = _position(node)
                raise YamlProblem(f"the tag {node.tag} is not allowed in a playbook", line, column)
            return [
                self.build(child, (*path, index), depth + 1)
                for index, child in enumerate(node.value)
            ]
        if isinstance(node, yaml.MappingNode):
            if node.tag != "tag:yaml.org,2002:map":
                line, column = _position(node)
                raise YamlProblem(f"the tag {node.tag} is not allowed in a playbook", line, column)
            try:
                self.loader.flatten_mapping(node)
            except yaml.MarkedYAMLError as error:
                mark = error.problem_mark
                raise YamlProblem(
                    f"invalid merge key: {error.problem}",
                    mark.line + 1 if mark else 1,
                    mark.column + 1 if mark else 1,
                ) from None
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self.build(key_node, path, depth + 1)
                if isinstance(key, list | dict):
                    line, column = _position(key_node)
                    raise YamlProblem("a mapping key must be a plain value", line, column)
                if key in result:
                    line, column = _position(key_node)
                    raise YamlProblem(f"the key '{key}' appears twice here", line, column)
                self.locations[(*path, key)] = _position(key_node)
                result[key] = self.build(value_node, (*path, key), depth + 1)
            return result
        raise YamlProblem("unsupported YAML node")
