"""Run a ``mongo`` step: ping, indexes, explain, count or a read-only command.

The executor never builds a pymongo client itself: it asks a *client factory* (the seam), so
production uses ``pymongo.MongoClient`` and tests use an in-process stand-in (mongomock-ng) or a
wrapper that returns hand-written explain documents. No MongoDB server could be run where this
was built; docs/playbook-format.md says which paths were never checked against one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from deploytui.executors.base import ExecContext, ExecResult
from deploytui.executors.mongo_plans import (
    index_problem,
    plan_text,
    redact_uri,
    version_tuple,
    winning_plans,
)
from deploytui.model.fields import CapturedValue
from deploytui.model.mongo_step import MongoStep, write_command_problem
from deploytui.model.playbook import MongoTarget
from deploytui.model.steps import StepBase

ClientFactory = Callable[[str, float], Any]
OUTPUT_LINES = 200


def pymongo_client(uri: str, timeout: float) -> Any:
    """The production client: fails fast when no server answers within ``timeout``."""
    import pymongo

    millis = max(1, int(timeout * 1000))
    return pymongo.MongoClient(
        uri,
        serverSelectionTimeoutMS=millis,
        connectTimeoutMS=millis,
        socketTimeoutMS=max(millis, 30_000),
        appname="deploytui",
    )


class CheckFailed(Exception):
    """A check ran and the deployment does not meet it; the message says how."""


class MongoExecutor:
    kind = "mongo"

    def __init__(
        self,
        targets: dict[str, MongoTarget] | None = None,
        client_factory: ClientFactory | None = None,
    ) -> None:
        self.targets = targets or {}
        self.client_factory = client_factory or pymongo_client
        self._clients: dict[str, Any] = {}

    def close(self) -> None:
        for client in self._clients.values():
            close = getattr(client, "close", None)
            if callable(close):
                close()
        self._clients.clear()

    def _client(self, name: str, target: MongoTarget, timeout: float) -> Any:
        if name not in self._clients:
            try:
                self._clients[name] = self.client_factory(target.uri, timeout)
            except ValueError as error:  # pymongo's URI parser: a bad host, port or IPv6 literal
                raise CheckFailed(f"bad URI ({error})") from None
        return self._clients[name]

    def execute(self, step: StepBase, ctx: ExecContext) -> ExecResult:
        assert isinstance(step, MongoStep)
        from pymongo.errors import ConfigurationError, OperationFailure, PyMongoError

        target = self.targets.get(step.target)
        if target is None:
            return ExecResult(ok=False, reason=f"mongo target '{step.target}' is not defined")
        where = f"mongo target '{step.target}' ({redact_uri(target.uri)})"
        timeout = step.timeout or 10.0
        details: dict[str, Any] = {"target": step.target, "check": step.check}
        try:
            client = self._client(step.target, target, timeout)
            database = self._database(client, step, target)
            details["database"] = database.name
            values = getattr(self, f"_{step.check}")(client, database, step, ctx, details)
        except CheckFailed as failure:
            return ExecResult(ok=False, reason=f"{where}: {failure}", details=details)
        except OperationFailure as error:
            return ExecResult(
                ok=False, reason=f"{where}: {_operation_failure(error)}", details=details
            )
        except ConfigurationError as error:
            return ExecResult(
                ok=False, reason=f"{where}: bad URI or settings ({error})", details=details
            )
        except PyMongoError as error:
            return ExecResult(
                ok=False, reason=f"{where}: {_transport(error, timeout)}", details=details
            )
        return ExecResult(ok=True, details=details, values=values)

    @staticmethod
    def _database(client: Any, step: MongoStep, target: MongoTarget) -> Any:
        name = step.database or target.database
        if name:
            return client[name]
        from pymongo.errors import ConfigurationError

        try:
            return client.get_default_database()
        except ConfigurationError:
            raise CheckFailed(
                "no database: set database on the step or the target, or put it in the URI"
            ) from None

    # -- the checks: each returns typed values and raises CheckFailed ---------------------------

    def _ping(self, client: Any, db: Any, step: MongoStep, ctx: ExecContext, details: dict) -> list:
        db.command("ping")
        version = str(client.server_info().get("version", "unknown"))
        details["version"] = version
        ctx.emit(f"ping ok · server version {version}")
        if step.min_version and version_tuple(version) < version_tuple(step.min_version):
            raise CheckFailed(f"server version {version} is older than {step.min_version}")
        return _value(step, version)

    def _indexes(
        self, client: Any, db: Any, step: MongoStep, ctx: ExecContext, details: dict
    ) -> list:
        existing = set(db.list_collection_names())
        failures, found = [], {}
        for collection, expected in step.indexes.items():
            if collection not in existing:
                failures.append(f"collection {collection} does not exist")
                continue
            names = sorted(db[collection].index_information())
            found[collection] = names
            ctx.emit(f"{collection}: {len(names)} indexes: {', '.join(names)}")
            if expected.count is not None and len(names) != expected.count:
                failures.append(f"{collection} has {len(names)} indexes, expected {expected.count}")
            missing = [name for name in expected.names if name not in names]
            if missing:
                failures.append(f"{collection} lacks index {', '.join(missing)}")
        details["indexes"] = found
        if failures:
            raise CheckFailed("; ".join(failures))
        return []

    def _explain(
        self, client: Any, db: Any, step: MongoStep, ctx: ExecContext, details: dict
    ) -> list:
        # queryPlanner verbosity plans the query without running it: the default
        # (allPlansExecution) would execute the very collection scan this check guards against.
        spec: dict[str, Any] = {"find": step.collection, "filter": _query(step.filter)}
        if step.sort:
            spec["sort"] = dict(step.sort)
        explain = db.command("explain", spec, verbosity="queryPlanner")
        plans = [plan_text(plan) for plan in winning_plans(explain)]
        for text in plans:
            ctx.emit(f"winning plan: {text}")
        details["winning_plan"] = plans
        problem = index_problem(explain, step.require_index)
        if problem:
            raise CheckFailed(
                f"{step.collection} {json.dumps(step.filter, default=str)}: {problem}"
            )
        return []

    def _count(
        self, client: Any, db: Any, step: MongoStep, ctx: ExecContext, details: dict
    ) -> list:
        count = int(db[step.collection].count_documents(_query(step.filter)))
        details["count"] = count
        ctx.emit(f"{step.collection}: {count} matching documents")
        values = _value(step, str(count))
        if step.equals is not None and count != step.equals:
            raise CheckFailed(
                f"{step.collection} has {count} matching documents, expected {step.equals}"
            )
        if step.min is not None and count < step.min:
            raise CheckFailed(
                f"{step.collection} has {count} matching documents, fewer than {step.min}"
            )
        if step.max is not None and count > step.max:
            raise CheckFailed(
                f"{step.collection} has {count} matching documents, more than {step.max}"
            )
        return values

    def _command(
        self, client: Any, db: Any, step: MongoStep, ctx: ExecContext, details: dict
    ) -> list:
        command = _query(step.command or {})
        problem = write_command_problem(command)  # checked at load; again in case of templating
        if problem:
            raise CheckFailed(problem)
        from bson import json_util

        reply = db.command(dict(command))
        lines = json_util.dumps(reply, indent=2, sort_keys=True).splitlines()
        for line in lines[:OUTPUT_LINES]:
            ctx.emit(line)
        if len(lines) > OUTPUT_LINES:
            ctx.emit(f"… {len(lines) - OUTPUT_LINES} more lines")
        details["ok"] = reply.get("ok") if isinstance(reply, dict) else None
        return []


def _query(data: dict[str, Any]) -> dict[str, Any]:
    """Turn extended JSON in a playbook (``{"$oid": ...}``, ``{"$date": ...}``) into BSON types."""
    from bson import json_util

    return json_util.loads(json.dumps(data))


def _value(step: MongoStep, raw: str) -> list[CapturedValue]:
    field = step.value_field()
    return [field.capture(raw)] if field is not None else []


def _operation_failure(error: Any) -> str:
    code = getattr(error, "code", None)
    details = getattr(error, "details", None) or {}
    message = str(details.get("errmsg") or error)
    if code == 18:
        return f"authentication failed ({message})"
    if code == 13:
        return f"not authorised for this ({message})"
    if code == 26:
        return f"namespace does not exist ({message})"
    return f"the server refused the operation: {message}" + (f" (code {code})" if code else "")


def _transport(error: Exception, timeout: float) -> str:
    from pymongo.errors import ServerSelectionTimeoutError

    first = str(error).split(",")[0].split("\n")[0]
    if isinstance(error, ServerSelectionTimeoutError):
        return f"cannot reach the server within {timeout:g}s ({first})"
    return f"{error.__class__.__name__}: {first}"
