"""The ``mongo`` step kind: read-only checks against a MongoDB deployment.

One step runs one ``check``: ``ping`` (reachable, server version), ``indexes`` (expected indexes
per collection), ``explain`` (a query uses an index scan), ``count`` (documents matching a filter
within bounds) or ``command`` (a read-only database command, output shown). Nothing here writes:
``command`` refuses known write commands at load time, and the executor checks again.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator, model_validator

from deploytui.model.fields import NAME_PATTERN, FieldType, InputField, Strict
from deploytui.model.step_base import AutomatedStep

if TYPE_CHECKING:
    from deploytui.model.playbook import Playbook, Targets

# Commands that change data, users, configuration or the server: refused by ``check: command``.
_WRITE_COMMAND_NAMES = """
insert update delete findAndModify drop dropDatabase create createIndexes dropIndexes
renameCollection collMod convertToCapped cloneCollectionAsCapped compact
compactStructuredEncryptionData reIndex shutdown fsync fsyncUnlock replSetReconfig
replSetStepDown replSetFreeze replSetInitiate replSetResizeOplog createUser updateUser dropUser
dropAllUsersFromDatabase createRole updateRole dropRole dropAllRolesFromDatabase grantRolesToUser
revokeRolesFromUser grantRolesToRole revokeRolesFromRole grantPrivilegesToRole
revokePrivilegesFromRole setParameter setFeatureCompatibilityVersion killOp killCursors
killSessions killAllSessions killAllSessionsByPattern endSessions abortTransaction
commitTransaction applyOps eval copydb clone cloneCollection shardCollection reshardCollection
enableSharding addShard removeShard movePrimary moveChunk split mergeChunks balancerStart
balancerStop logRotate setDefaultRWConcern mapReduce bulkWrite cleanupOrphaned dropSearchIndex
createSearchIndexes updateSearchIndex refineCollectionShardKey clearLog
"""
WRITE_COMMANDS = frozenset(name.lower() for name in _WRITE_COMMAND_NAMES.split())
# Aggregation stages that write their results somewhere.
WRITE_STAGES = frozenset({"$out", "$merge"})


def write_command_problem(command: dict[str, Any]) -> str | None:
    """Why ``command`` is not read-only, or ``None``."""
    if not command:
        return "the command is empty"
    name = next(iter(command))
    if name.lower() in WRITE_COMMANDS:
        return f"'{name}' changes data or the server; only read-only commands are allowed"
    if name.lower() == "aggregate":
        for stage in command.get("pipeline") or []:
            if isinstance(stage, dict) and WRITE_STAGES & set(stage):
                return (
                    "an aggregate with $out or $merge writes; only read-only commands are allowed"
                )
    return None


class IndexExpectation(Strict):
    """What a collection's indexes must look like: a count, names that must exist, or both."""

    count: int | None = Field(default=None, ge=1, description="Exact number of indexes.")
    names: list[str] = Field(default_factory=list, description="Index names that must exist.")

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        # ``users: 3`` (a count) and ``users: [_id_, email_1]`` (names) are shorthands.
        if isinstance(value, int) and not isinstance(value, bool):
            return {"count": value}
        if isinstance(value, list):
            return {"names": value}
        return value

    @model_validator(mode="after")
    def _something(self) -> IndexExpectation:
        if self.count is None and not self.names:
            raise ValueError("give a count of indexes, their names, or both")
        return self


class MongoStep(AutomatedStep):
    """A read-only check against a MongoDB target."""

    kind: Literal["mongo"]
    target: str = Field(description="Name of a mongo target (its uri, usually a secret).")
    database: str | None = Field(
        default=None, description="Database; else the target's, else the URI's."
    )
    check: Literal["ping", "indexes", "explain", "count", "command"] = Field(
        description="ping | indexes | explain | count | command."
    )
    min_version: str | None = Field(default=None, description="ping: lowest server version.")
    indexes: dict[str, IndexExpectation] = Field(
        default_factory=dict, description="indexes: collection → count and/or names."
    )
    collection: str | None = Field(default=None, description="explain/count: the collection.")
    filter: dict[str, Any] = Field(default_factory=dict, description="explain/count: the query.")
    sort: dict[str, int] | None = Field(default=None, description="explain: sort of the query.")
    require_index: bool | str = Field(
        default=True, description="explain: require an index scan (true) or this index (name)."
    )
    min: int | None = Field(default=None, ge=0, description="count: at least this many.")
    max: int | None = Field(default=None, ge=0, description="count: at most this many.")
    equals: int | None = Field(default=None, ge=0, description="count: exactly this many.")
    command: dict[str, Any] | None = Field(default=None, description="command: read-only only.")
    value: str | None = Field(
        default=None,
        pattern=NAME_PATTERN,
        description="Record the figure (count, server version) under this name.",
    )

    @field_validator("min_version", mode="before")
    @classmethod
    def _version_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int | float) else value

    @model_validator(mode="after")
    def _fields_fit_check(self) -> MongoStep:
        needs: dict[str, list[str]] = {
            "indexes": ["indexes"],
            "explain": ["collection"],
            "count": ["collection"],
            "command": ["command"],
        }
        for name in needs.get(self.check, []):
            if not getattr(self, name):
                raise ValueError(f"check: {self.check} needs '{name}'")
        if self.check == "command":
            problem = write_command_problem(self.command or {})
            if problem:
                raise ValueError(problem)
        if self.value is not None and self.check not in {"count", "ping"}:
            raise ValueError("value records the figure of a count or ping check only")
        return self

    def value_field(self) -> InputField | None:
        if self.value is None:
            return None
        if self.check == "count":
            return InputField(
                id=self.value, label=f"{self.collection} count", type=FieldType.integer
            )
        return InputField(id=self.value, label="server version", type=FieldType.text)

    def value_names(self) -> list[str]:
        return [*super().value_names(), *([self.value] if self.value else [])]

    def describe_action(self, targets: Targets) -> tuple[str | None, str | None]:
        what = {
            "ping": "ping",
            "indexes": f"indexes of {', '.join(self.indexes)}",
            "explain": f"explain {self.collection} {self.filter}",
            "count": f"count {self.collection} {self.filter}",
            "command": f"command {self.command}",
        }[self.check]
        target = targets.mongo.get(self.target)
        database = self.database or (target.database if target else None)
        return f"mongo {what}" + (f" in {database}" if database else ""), self.target

    def reference_problems(self, playbook: Playbook) -> Iterator[tuple[tuple[Any, ...], str]]:
        targets = playbook.targets.mongo
        if self.target not in targets:
            known = ", ".join(sorted(targets)) or "none defined"
            yield ("target",), f"mongo target '{self.target}' is not defined (known: {known})"
