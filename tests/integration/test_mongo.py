"""The ``mongo`` step against an in-process stand-in (mongomock-ng), through the client seam.

FAKE, said plainly: no MongoDB server can run on these machines, so these tests use mongomock-ng
(ping, indexes, counts, commands) and, for explain, hand-written explain documents in the shapes
MongoDB returns (mongomock-ng has no ``explain`` command, and its cursor explain always says
COLLSCAN; ``ExplainingClient`` adapts it at the seam). One test does use the real
pymongo client: against a closed loopback port, to check the "cannot reach" path.
"""

from __future__ import annotations

import socket
from typing import Any

import mongomock_ng as mongomock
import pytest
from pymongo.errors import OperationFailure, ServerSelectionTimeoutError

from deploytui.engine.runner import Engine
from deploytui.executors import ExecutorSet
from deploytui.executors.mongo import MongoExecutor
from deploytui.journal import Journal
from deploytui.model.events import EventType, RunStatus
from deploytui.model.playbook import MongoTarget
from deploytui.model.steps import MongoStep
from deploytui.playbook.loader import PlaybookError
from tests.core_helpers import ScriptedOperator, load, new_run, of_type
from tests.integration.http_support import Captured

URI = "mongodb://admin:Sup3r-Secret@db1.internal:27017/shop?authSource=admin"


@pytest.fixture
def client() -> Any:
    client = mongomock.MongoClient(URI)  # in-process; its default database (shop) is the URI's
    db = client.shop
    db.users.insert_many(
        [{"email": f"u{n}@x", "plan": "pro" if n % 2 else "free"} for n in range(10)]
    )
    db.users.create_index("email", unique=True)
    db.users.create_index("plan")
    db.wallets.insert_one({"owner": 1})
    db.wallets.create_index("owner")
    return client


def mongo_step(**fields: Any) -> MongoStep:
    return MongoStep.model_validate(
        {"id": "m", "kind": "mongo", "title": "t", "target": "main", **fields}
    )


def run(step: MongoStep, factory, target: MongoTarget | None = None):
    captured = Captured()
    executor = MongoExecutor({"main": target or MongoTarget(uri=URI)}, client_factory=factory)
    return executor.execute(step, captured.ctx), captured


def given(client: Any):
    return lambda uri, timeout: client


def test_ping_reports_the_server_version(client):
    result, out = run(mongo_step(check="ping", value="mongo_version"), given(client))
    assert result.ok, result.reason
    assert out.text == ["ping ok · server version 7.0.34"]
    assert result.values[0].value == "7.0.34"
    assert result.details["database"] == "shop"  # from the URI


def test_ping_below_min_version_fails(client):
    result, _ = run(mongo_step(check="ping", min_version="8.0"), given(client))
    assert not result.ok
    assert result.reason == (
        "mongo target 'main' (mongodb://admin:••••@db1.internal:27017): "
        "server version 7.0.34 is older than 8.0"
    )


def test_expected_indexes_by_count_and_name(client):
    step = mongo_step(
        check="indexes", indexes={"users": 3, "wallets": {"count": 2, "names": ["owner_1"]}}
    )
    result, out = run(step, given(client))
    assert result.ok, result.reason
    assert "users: 3 indexes: _id_, email_1, plan_1" in out.text
    assert result.details["indexes"]["wallets"] == ["_id_", "owner_1"]


def test_index_differences_are_each_named(client):
    step = mongo_step(
        check="indexes",
        indexes={"users": 4, "wallets": ["owner_1", "created_1"], "ledger": 2},
    )
    result, _ = run(step, given(client))
    assert not result.ok
    assert "users has 3 indexes, expected 4" in result.reason
    assert "wallets lacks index created_1" in result.reason
    assert "collection ledger does not exist" in result.reason


def test_count_with_bounds_and_a_recorded_value(client):
    ok, out = run(
        mongo_step(
            check="count", collection="users", filter={"plan": "pro"}, equals=5, value="pros"
        ),
        given(client),
    )
    assert ok.ok, ok.reason
    assert out.text == ["users: 5 matching documents"]
    assert ok.values[0].field == "pros" and ok.values[0].value == 5
    low, _ = run(mongo_step(check="count", collection="users", min=11), given(client))
    assert "users has 10 matching documents, fewer than 11" in low.reason
    high, _ = run(mongo_step(check="count", collection="users", max=9), given(client))
    assert "users has 10 matching documents, more than 9" in high.reason


def test_read_only_command_output_is_shown(client):
    result, out = run(mongo_step(check="command", command={"isMaster": 1}), given(client))
    assert result.ok, result.reason
    assert '  "ismaster": true,' in out.text


@pytest.mark.parametrize(
    "command",
    [
        {"drop": "users"},
        {"dropDatabase": 1},
        {"createIndexes": "users"},
        {"shutdown": 1},
        {"aggregate": "users", "pipeline": [{"$match": {}}, {"$out": "copy"}]},
    ],
)
def test_write_commands_are_refused(command):
    with pytest.raises(ValueError, match="only read-only commands are allowed"):
        mongo_step(check="command", command=command)


def test_stand_in_explain_is_a_collection_scan_and_fails(client):
    step = mongo_step(check="explain", collection="users", filter={"email": "u1@x"})
    result, out = run(step, given(ExplainingClient(client, None)))
    assert not result.ok
    assert result.reason.endswith(
        'users {"email": "u1@x"}: the winning plan scans the whole collection (COLLSCAN), '
        "not an index"
    )
    assert out.text == ["winning plan: COLLSCAN"]


# -- explain at the seam: hand-written replies in MongoDB's shapes ------------------------------

CLASSIC = {
    "queryPlanner": {
        "winningPlan": {
            "stage": "FETCH",
            "inputStage": {"stage": "IXSCAN", "indexName": "email_1", "keyPattern": {"email": 1}},
        }
    }
}
SBE = {
    "queryPlanner": {
        "winningPlan": {
            "queryPlan": {
                "stage": "FETCH",
                "inputStage": {"stage": "IXSCAN", "indexName": "customer_status_1"},
            },
            "slotBasedPlan": {"stages": "..."},
        }
    }
}
OR_PLAN = {
    "queryPlanner": {
        "winningPlan": {
            "stage": "SUBPLAN",
            "inputStage": {
                "stage": "FETCH",
                "inputStage": {
                    "stage": "OR",
                    "inputStages": [
                        {"stage": "IXSCAN", "indexName": "email_1"},
                        {"stage": "COLLSCAN"},
                    ],
                },
            },
        }
    }
}
SHARDED = {
    "queryPlanner": {
        "winningPlan": {
            "stage": "SHARD_MERGE",
            "shards": [
                {
                    "shardName": "a",
                    "winningPlan": {
                        "stage": "FETCH",
                        "inputStage": {"stage": "IXSCAN", "indexName": "plan_1"},
                    },
                },
                {
                    "shardName": "b",
                    "winningPlan": {
                        "stage": "FETCH",
                        "inputStage": {"stage": "IXSCAN", "indexName": "plan_1"},
                    },
                },
            ],
        }
    }
}
IDHACK = {"queryPlanner": {"winningPlan": {"stage": "IDHACK"}}}


class ExplainingClient:
    """Wraps the stand-in so the ``explain`` command returns a given reply (the seam)."""

    def __init__(self, inner: Any, reply: dict[str, Any] | None) -> None:
        self.inner, self.reply, self.commands = inner, reply, []

    def __getitem__(self, name: str) -> Any:
        outer, inner = self, self.inner[name]

        class Db:
            def __init__(self) -> None:
                self.name = name

            def __getitem__(self, collection: str) -> Any:
                return inner[collection]

            def command(self, command: str, spec: dict[str, Any], **kwargs: Any) -> Any:
                outer.commands.append((command, spec, kwargs))
                if outer.reply is not None:
                    return outer.reply
                # No reply given: ask the stand-in, whose cursor explain always says COLLSCAN.
                return inner[spec["find"]].find(spec["filter"]).explain()

        return Db()

    def get_default_database(self) -> Any:
        return self["shop"]

    def close(self) -> None:
        pass


@pytest.mark.parametrize(
    ("reply", "require", "ok", "plan"),
    [
        (CLASSIC, True, True, "FETCH ← IXSCAN (email_1)"),
        (CLASSIC, "email_1", True, "FETCH ← IXSCAN (email_1)"),
        (CLASSIC, "plan_1", False, "FETCH ← IXSCAN (email_1)"),
        (SBE, "customer_status_1", True, "FETCH ← IXSCAN (customer_status_1)"),
        (OR_PLAN, True, False, "SUBPLAN ← FETCH ← OR ← IXSCAN (email_1) ← COLLSCAN"),
        (SHARDED, "plan_1", True, "FETCH ← IXSCAN (plan_1)"),
        (IDHACK, "_id_", True, "IDHACK"),
        (CLASSIC, False, True, "FETCH ← IXSCAN (email_1)"),
    ],
)
def test_explain_walks_the_winning_plan(client, reply, require, ok, plan):
    fake = ExplainingClient(client, reply)
    step = mongo_step(
        check="explain",
        collection="users",
        filter={"email": "u1@x"},
        sort={"created": -1},
        require_index=require,
    )
    result, out = run(step, lambda uri, timeout: fake)
    assert result.ok is ok, result.reason
    assert f"winning plan: {plan}" in out.text
    assert fake.commands == [
        (
            "explain",
            {"find": "users", "filter": {"email": "u1@x"}, "sort": {"created": -1}},
            {"verbosity": "queryPlanner"},  # plan only: never run a collection scan to explain it
        )
    ]
    if reply is CLASSIC and require == "plan_1":
        assert "the winning plan uses email_1, not plan_1" in result.reason


# -- connection and server errors ---------------------------------------------------------------


def test_unreachable_server_with_the_real_pymongo_client_names_the_host():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    uri = f"mongodb://ops:Hunter2-secret@127.0.0.1:{port}/shop"
    step = mongo_step(check="ping", timeout=0.3)
    captured = Captured()
    result = MongoExecutor({"main": MongoTarget(uri=uri)}).execute(step, captured.ctx)
    assert not result.ok
    assert result.reason.startswith(
        f"mongo target 'main' (mongodb://ops:••••@127.0.0.1:{port}): "
        "cannot reach the server within 0.3s"
    )
    assert "Hunter2-secret" not in result.reason


@pytest.mark.parametrize(
    ("uri", "why"),
    [
        ("mongodb://ops:Hunter2-secret@[::1/shop", "an IPv6 address literal must be enclosed"),
        ("mongodb://ops:Hunter2-secret@db1:99999/shop", "Port must be an integer between 0"),
    ],
)
def test_a_uri_pymongo_cannot_parse_is_a_bad_uri_not_an_internal_error(uri: str, why: str):
    """pymongo raises a plain ValueError for these; it used to escape the executor."""
    captured = Captured()
    executor = MongoExecutor({"main": MongoTarget(uri=uri)})
    result = executor.execute(mongo_step(check="ping", timeout=0.3), captured.ctx)
    assert not result.ok
    assert result.reason.startswith("mongo target 'main' (") and ": bad URI (" in result.reason
    assert why in result.reason
    assert "Hunter2-secret" not in result.reason


def test_authentication_failure_is_named():
    class Refusing:
        def __getitem__(self, name: str) -> Any:
            class Db:
                name = "shop"

                def command(self, *args: Any, **kwargs: Any) -> Any:
                    raise OperationFailure("Authentication failed.", code=18)

            return Db()

    result, _ = run(mongo_step(check="ping", database="shop"), lambda uri, timeout: Refusing())
    assert result.reason.endswith("authentication failed (Authentication failed.)")


def test_no_database_anywhere_says_where_to_put_it(client):
    target = MongoTarget(uri="mongodb://db1.internal:27017")
    result, _ = run(mongo_step(check="ping"), given(mongomock.MongoClient()), target)
    assert result.reason.endswith(
        "no database: set database on the step or the target, or put it in the URI"
    )


def test_factory_timeout_error_is_a_reason_not_a_crash():
    def factory(uri: str, timeout: float) -> Any:
        raise ServerSelectionTimeoutError("db1.internal:27017: timed out, Timeout: 10s")

    result, _ = run(mongo_step(check="ping"), factory)
    assert result.reason == (
        "mongo target 'main' (mongodb://admin:••••@db1.internal:27017): "
        "cannot reach the server within 10s (db1.internal:27017: timed out)"
    )


# -- in a playbook ------------------------------------------------------------------------------

PLAYBOOK = """
name: mongo checks
secrets: [mongo_uri]
targets:
  mongo:
    main: {uri: "{{ secrets.mongo_uri }}", database: shop}
phases:
  - id: verify
    title: Verify
    steps:
      - {id: users_count, kind: mongo, title: Count users, target: main, check: count,
         collection: users, min: 1, value: users_after}
      - id: show
        kind: local
        title: Use it
        command: echo "users={{ inputs.users_after }}"
"""


def test_a_mongo_step_in_a_run_records_its_value(journal: Journal, client):
    loaded = load(PLAYBOOK)
    executors = ExecutorSet(
        loaded.playbook,
        overrides={
            "mongo": MongoExecutor({"main": MongoTarget(uri=URI, database="shop")}, given(client))
        },
    )
    run_id = new_run(journal, loaded)
    engine = Engine(
        journal=journal,
        run_id=run_id,
        loaded=loaded,
        operator=ScriptedOperator(),
        secrets={"mongo_uri": URI},
        executors=executors,
    )
    assert engine.run().status == RunStatus.completed
    assert journal.output(run_id, "show") == ["users=10"]
    started = of_type(journal.events(run_id), EventType.step_started, "users_count")[0]
    assert started.data["action"] == "mongo count users {} in shop"
    assert started.data["where"] == "main"


def test_unknown_mongo_target_is_a_load_error_with_a_line():
    with pytest.raises(PlaybookError) as raised:
        load(PLAYBOOK.replace("target: main", "target: mian"))
    assert "test.yaml:" in str(raised.value)
    assert "mongo target 'mian' is not defined (known: main)" in str(raised.value)


def test_write_command_in_a_playbook_is_a_load_error():
    text = PLAYBOOK.replace(
        "check: count,\n         collection: users, min: 1, value: users_after}",
        "check: command, command: {dropDatabase: 1}}",
    ).replace('echo "users={{ inputs.users_after }}"', "true")
    with pytest.raises(PlaybookError) as raised:
        load(text)
    assert "'dropDatabase' changes data or the server" in str(raised.value)


def test_validate_imports_no_driver(tmp_path):
    """``deploytui validate`` stays fast: loading these kinds imports neither pymongo nor httpx."""
    import subprocess
    import sys

    path = tmp_path / "pb.yaml"
    path.write_text(
        PLAYBOOK
        + """
      - {id: cert, kind: tls_cert, title: Cert, host: example.com, min_days: 10}
      - {id: up, kind: http, title: Up, url: "https://example.com/", poll: {deadline: 1m}}
"""
    )
    code = (
        "import sys; from deploytui.cli import main; rc = main(['validate', sys.argv[1]]); "
        "loaded = [m for m in ('pymongo', 'bson', 'httpx', 'cryptography') if m in sys.modules]; "
        "print('loaded', loaded); sys.exit(rc)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok — mongo checks" in done.stdout
    assert "loaded []" in done.stdout


@pytest.mark.parametrize(
    ("uri", "shown"),
    [
        (URI, "mongodb://admin:••••@db1.internal:27017"),
        (
            "mongodb+srv://app:p%40ss@cluster0.ab1cd.mongodb.net/shop",
            "mongodb+srv://app:••••@cluster0.ab1cd.mongodb.net",
        ),
        ("mongodb://db1:27017,db2:27017/?replicaSet=rs0", "mongodb://db1:27017,db2:27017"),
        ("mongodb://reader@db1", "mongodb://reader:••••@db1"),
        ("postgres://u:p@h/db", "(not a mongodb:// URI)"),
    ],
)
def test_uris_are_shown_without_passwords(uri, shown):
    from deploytui.executors.mongo_plans import redact_uri

    assert redact_uri(uri) == shown
