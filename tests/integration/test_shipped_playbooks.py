"""The playbooks shipped in playbooks/: each validates, is faithful to its checklist, and runs
headless end to end with its answers file; then each finished run is exported in every format.

Real parts: the real Engine, HeadlessOperator, answers files and journal file; ssh steps run on a
real sshd on loopback (every ssh target is pointed at it by an inventory override, the file
``--targets`` reads); http steps hit the real ``http_server`` fixture. Stand-ins, said plainly: the
tools the checklists' commands call (npm, node, mongodump, git, docker...) are tiny scripts on the
remote PATH that print what they were asked and succeed, because this machine has none of those
projects; MongoDB is mongomock-ng in-process behind the mongo executor's client seam, with
hand-written IXSCAN explain documents (mongomock-ng's own explain always says COLLSCAN).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import mongomock_ng as mongomock
import pytest

from deploytui.engine.headless import HeadlessOperator, load_answers
from deploytui.engine.runner import Engine, RunOutcome, start_run
from deploytui.executors import ExecutorSet
from deploytui.executors.mongo import MongoExecutor
from deploytui.export import build_document, render
from deploytui.journal import Journal
from deploytui.model.events import RunStatus, StepStatus
from deploytui.model.steps import InputStep
from deploytui.playbook.loader import LoadedPlaybook, TargetsFile, load_playbook
from deploytui.playbook.templating import render_targets
from tests.conftest import REPO

PLAYBOOKS = REPO / "playbooks"
CHECKLISTS = REPO.parent / "shared" / "checklists"
SHIPPED = ["superapp-phase7", "grover-launch", "creator-platform-readiness"]
MONGO_PASSWORD = "Sup3r-S3cret-pw"
SECRETS = {
    "mongo_uri": f"mongodb://deploy:{MONGO_PASSWORD}@db-1.internal:27017/superapp",
    "mongo_url": f"mongodb://grover:{MONGO_PASSWORD}@mongo.grover.internal:27017/grover",
}
FAKE_TOOLS = ["npm", "node", "mongodump", "mongorestore", "git", "docker", "docker-compose"]


def test_every_checklist_has_a_playbook_and_answers() -> None:
    # CI checks out only this repository, without ../shared: each playbook carries its
    # checklist as source_document, so the pairing is checked from that everywhere, and against
    # the checklists folder as well where it exists (it used to skip the whole test there).
    for name in SHIPPED:
        assert (PLAYBOOKS / "answers" / f"{name}.yaml").is_file()
        source = load_playbook(PLAYBOOKS / f"{name}.yaml").playbook.source_document
        assert source is not None and source.name == f"{name}.md"
    if CHECKLISTS.is_dir():
        assert sorted(path.stem for path in CHECKLISTS.glob("*.md")) == sorted(SHIPPED)


@pytest.mark.parametrize("path", sorted(PLAYBOOKS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_playbook_validates(path: Path) -> None:
    loaded = load_playbook(path)
    assert loaded.playbook.phases


@pytest.mark.parametrize("name", SHIPPED)
def test_playbook_is_faithful_to_its_checklist(name: str) -> None:
    """Every checkbox item and every blank of the checklist is a step or a field of one."""
    playbook = load_playbook(PLAYBOOKS / f"{name}.yaml").playbook
    assert playbook.source_document is not None
    checklist = playbook.source_document.text
    if CHECKLISTS.is_dir():
        checklist = (CHECKLISTS / f"{name}.md").read_text()
    assert playbook.source_document.text == checklist
    lines = checklist.split("\n")
    step_lines = {step.source.line for _, step in playbook.ordered_steps() if step.source}
    blanks = {
        (field.source.line, field.source.blank)
        for field in playbook.input_fields().values()
        if field.source and field.source.blank is not None
    }
    for number, text in enumerate(lines, start=1):
        if re.match(r"^\s*[-*]\s+\[[ xX]\]", text):
            assert number in step_lines, f"checklist line {number} is not a step: {text}"
        for index, _ in enumerate(re.finditer(r"_{3,}", text)):
            owned = (number, index) in blanks or (
                number in step_lines and _signoff_line(playbook, number)
            )
            assert owned, f"blank {index} of line {number} has no field: {text}"


def _signoff_line(playbook: Any, line: int) -> bool:
    return any(
        getattr(step, "kind", "") == "signoff" and step.source and step.source.line == line
        for _, step in playbook.ordered_steps()
    )


# -- running them -------------------------------------------------------------------------------


def _fake_tools(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for tool in FAKE_TOOLS:
        script = folder / tool
        script.write_text(f'#!/bin/sh\necho "[{tool} stand-in] $*"\necho "done in $(pwd)"\n')
        script.chmod(0o755)
    return folder


class _Cursor:
    """An explain (cursor or command) that reports the index scan a real server would choose."""

    def __init__(self, collection: Any, query: dict[str, Any]) -> None:
        self.collection, self.query = collection, query

    def sort(self, *args: Any) -> _Cursor:
        return self

    def explain(self) -> dict[str, Any]:
        for name, info in self.collection.index_information().items():
            keys = [key for key, _ in info["key"]]
            if keys and keys[0] in self.query:
                scan = {"stage": "IXSCAN", "indexName": name, "keyPattern": dict(info["key"])}
                return {"queryPlanner": {"winningPlan": {"stage": "FETCH", "inputStage": scan}}}
        return {"queryPlanner": {"winningPlan": {"stage": "COLLSCAN"}}}


class _Collection:
    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def find(self, query: dict[str, Any] | None = None, *args: Any, **kwargs: Any) -> _Cursor:
        return _Cursor(self._inner, query or {})

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _Database:
    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getitem__(self, name: str) -> _Collection:
        return _Collection(self._inner[name])

    def command(self, name: Any, value: Any = None, **kwargs: Any) -> Any:
        if name == "explain" and isinstance(value, dict) and "find" in value:
            return _Cursor(self._inner[value["find"]], value.get("filter") or {}).explain()
        return (
            self._inner.command(name, value, **kwargs)
            if value is not None
            else (self._inner.command(name, **kwargs))
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _Client:
    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getitem__(self, name: str) -> _Database:
        return _Database(self._inner[name])

    def get_default_database(self, *args: Any, **kwargs: Any) -> _Database:
        return _Database(self._inner.get_default_database(*args, **kwargs))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _superapp_database() -> Any:
    """The super-app's collections with the indexes the Phase 7 migration creates."""
    client = mongomock.MongoClient(SECRETS["mongo_uri"])
    db = client.superapp
    new_indexes = {
        "users": [["email", "accountStatus"], ["createdAt"], ["referralCode"]],
        "wallets": [["userId"], ["updatedAt"]],
        "transactions": [["walletId"], ["userId", "createdAt"], ["status"], ["idempotencyKey"]],
        "contents": [["creatorId"], ["publishedAt"], ["tags"]],
        "subscriptions": [["userId"], ["creatorId", "status"]],
        "auditlogs": [["requestId"], ["actorId"], ["createdAt"]],
    }
    for collection, indexes in new_indexes.items():
        db[collection].insert_one({"seed": True})
        for keys in indexes:
            db[collection].create_index([(key, 1) for key in keys])
    return client


def _overrides(loaded_vars: dict[str, Any], tmp_path: Path, http_url: str) -> dict[str, str]:
    app = tmp_path / "app"
    (app / "backend" / "migrations").mkdir(parents=True, exist_ok=True)
    env_file = tmp_path / "grover.env"
    env_file.write_text(
        "\n".join(
            f"{name}=value-of-{name.lower()}"
            for name in [
                "MONGO_URL",
                "DB_NAME",
                "CLOUDINARY_CLOUD_NAME",
                "CLOUDINARY_API_KEY",
                "CLOUDINARY_API_SECRET",
                "SENTRY_DSN",
                "REDIS_URL",
                "ENVIRONMENT",
                "ALLOWED_ORIGINS",
                "APP_VERSION",
                "PAYPAL_CLIENT_ID",
                "PAYPAL_CLIENT_SECRET",
                "AGORA_APP_ID",
                "AGORA_APP_CERTIFICATE",
            ]
        )
        + "\n"
    )
    tools = _fake_tools(tmp_path / "bin")
    wanted = {
        "app_dir": str(app),
        "backup_root": str(tmp_path / "backup"),
        "remote_path": f"{tools}:/usr/bin:/bin",
        "api_url": http_url,
        "staging_url": http_url,
        "app_url": http_url,
        "env_file": str(env_file),
        # A rehearsal watches for seconds: the monitor step reads the loopback server.
        "watch_duration": "4s",
        "watch_interval": "1s",
    }
    return {key: value for key, value in wanted.items() if key in loaded_vars}


def run_shipped(
    name: str, journal: Journal, tmp_path: Path, sshd: Any, ssh_keys: Any, http_server: Any
) -> tuple[str, RunOutcome, LoadedPlaybook]:
    for path in ("/api/health", "/api/ready", "/health", "/api/version"):
        http_server.reply("GET", path, 200, {"status": "ok"})
    declared = load_playbook(PLAYBOOKS / f"{name}.yaml")
    overrides = _overrides(declared.playbook.variables, tmp_path, http_server.url)
    # An inventory override (what `--targets FILE` reads): every ssh host is the test sshd.
    known_hosts = ssh_keys.known_hosts(tmp_path / "known_hosts", [sshd.port])
    inventory = declared.playbook.targets.model_dump(mode="json", exclude_defaults=True)
    inventory["ssh"] = {
        host: sshd.target(known_hosts=str(known_hosts)) for host in declared.playbook.targets.ssh
    }
    inventory_file = tmp_path / "targets.yaml"
    inventory_file.write_text(json.dumps(inventory, indent=1))
    loaded = load_playbook(
        PLAYBOOKS / f"{name}.yaml",
        overrides=overrides,
        targets=TargetsFile.read(inventory_file),
    )
    playbook = loaded.playbook
    secrets = {key: SECRETS[key] for key in playbook.secrets}
    targets = render_targets(playbook.targets, playbook.variables, secrets, mask=False)
    assert {host.port for host in targets.ssh.values()} <= {sshd.port}
    client = _Client(_superapp_database())
    executors = ExecutorSet(
        playbook,
        targets=targets,
        overrides={
            "mongo": MongoExecutor(targets.mongo, client_factory=lambda uri, timeout: client)
        },
    )
    answers = load_answers(PLAYBOOKS / "answers" / f"{name}.yaml")
    run_id = start_run(journal, loaded, operator_name=answers.operator or "ana", mode="headless")
    engine = Engine(
        journal=journal,
        run_id=run_id,
        loaded=loaded,
        operator=HeadlessOperator(answers, operator_name=answers.operator or ""),
        secrets=secrets,
        executors=executors,
    )
    return run_id, engine.run(), loaded


@pytest.mark.parametrize("name", SHIPPED)
def test_runs_headless_end_to_end_and_exports(
    name: str,
    journal: Journal,
    tmp_path: Path,
    sshd: Any,
    ssh_keys: Any,
    http_server: Any,
) -> None:
    run_id, outcome, loaded = run_shipped(name, journal, tmp_path, sshd, ssh_keys, http_server)
    document = build_document(journal, run_id, secrets=SECRETS)
    failed = [
        f"{step.id}: {step.outcome} {step.reason}"
        for step in document.all_steps()
        if step.phase_id != "rollback" and step.status != StepStatus.succeeded
    ]
    assert outcome.status == RunStatus.completed, (outcome.message, failed)
    assert not failed
    playbook = loaded.playbook
    automated = [step for _, step in playbook.ordered_steps() if step.automated]
    ran = {step.id for step in document.all_steps() if step.attempts}
    assert {step.id for step in automated if step.id in ran}, "no automated step ran"

    exports = {fmt: render(document, fmt, secrets=SECRETS) for fmt in ("md", "html", "json")}
    report_md = render(document, "md", layout="report")
    for text in [*exports.values(), report_md]:
        assert MONGO_PASSWORD not in text
        assert not any(secret in text for secret in SECRETS.values())
        assert journal.head_hash(run_id) in text
    data = json.loads(exports["json"])
    json_steps = {step["id"]: step for step in _json_steps(data)}
    main_steps = [step for phase_id, step in playbook.ordered_steps() if phase_id != "rollback"]
    for step in main_steps:
        assert json_steps[step.id]["outcome"] == "done"
        assert f"(`{step.id}`, " in report_md
        assert f'id="step-{step.id}"' in exports["html"]
    # Values with their units, and every sign-off with its role and name.
    answers = load_answers(PLAYBOOKS / "answers" / f"{name}.yaml")
    captured = {value["field"]: value for step in json_steps.values() for value in step["values"]}
    for _, step in playbook.ordered_steps():
        if not isinstance(step, InputStep) or step.id not in ran:
            continue
        for field in step.fields:
            if field.id not in answers.inputs or not answers.inputs[field.id]:
                continue
            value = captured[field.id]
            if field.unit:
                assert value["display"].endswith(field.unit) and value["unit"] == field.unit
                assert f"{field.display_label}: {value['display']}" in report_md
    signers = {(item["role"], item["name"]) for item in data["signoffs"]}
    for _, step in playbook.ordered_steps():
        if getattr(step, "kind", "") == "signoff" and step.id in ran:
            role = step.role  # type: ignore[attr-defined]
            assert (role, answers.signoffs[role]) in signers
            assert f"<td>{role}</td><td>{answers.signoffs[role]}</td>" in exports["html"]
    _check_filled_in_checklist(exports["md"], loaded)


def _json_steps(data: dict[str, Any]) -> list[dict[str, Any]]:
    steps = [step for phase in data["phases"] for step in phase["steps"]]
    return steps + (data["rollback"]["phase"]["steps"] if data.get("rollback") else [])


def _check_filled_in_checklist(text: str, loaded: LoadedPlaybook) -> None:
    """The Markdown export is the checklist itself, completed: every box of a step that ran is
    ticked, every blank of an answered field filled; only rollback lines stay open."""
    playbook = loaded.playbook
    assert playbook.source_document is not None
    original = playbook.source_document.text.rstrip("\n").split("\n")
    body = text.split("\n\n---\n\n## Run record")[0].split("\n")
    assert body[0] == original[0]
    rollback_lines = {
        step.source.line for step in playbook.rollback.steps if step.source is not None
    } | {
        field.source.line
        for step in playbook.rollback.steps
        if isinstance(step, InputStep)
        for field in step.fields
        if field.source is not None
    }
    headings = [line for line in original if line.startswith("#")]
    # Structure and order kept: the same headings in the same order (a heading holding a
    # YES / NO shows the answer, the rest of it unchanged).
    shown = [line for line in body if line.startswith("#")]
    assert len(shown) == len(headings)
    for got, heading in zip(shown, headings, strict=True):
        assert got == heading or got.startswith(heading.split(":")[0] + ":"), (got, heading)
    # Line for line with the original once the outcome notes after code blocks are set aside.
    kept = _without_outcome_notes(body)
    assert len(kept) == len(original)
    for number, (got, line) in enumerate(zip(kept, original, strict=True), start=1):
        if number in rollback_lines:
            assert got == line  # the rollback did not run: its lines are as written
            continue
        assert not re.match(r"^\s*[-*]\s+\[ \]", got), f"line {number} not ticked: {got}"
        assert "___" not in got, f"line {number} has an unfilled blank: {got}"


def _without_outcome_notes(body: list[str]) -> list[str]:
    """The export's only added lines are outcome notes after code blocks: "", "> ...", ""."""
    kept: list[str] = []
    index = 0
    while index < len(body):
        if body[index] == "" and index + 1 < len(body) and body[index + 1].startswith("> "):
            index += 1
            while index < len(body) and body[index].startswith("> "):
                index += 1
            index += 1  # the blank line after the notes
            continue
        kept.append(body[index])
        index += 1
    return kept


def test_cli_rehearsal_and_export_of_a_shipped_playbook(tmp_path: Path, http_server: Any) -> None:
    """The commands a team runs: a headless rehearsal with the shipped answers, then export."""
    from tests.core_helpers import cli

    http_server.reply("GET", "/health", 200, {"status": "ok"})
    journal_file = tmp_path / "journal.db"
    name = "creator-platform-readiness"
    result = cli(
        "--journal",
        str(journal_file),
        "run",
        str(PLAYBOOKS / f"{name}.yaml"),
        "--headless",
        "--answers",
        str(PLAYBOOKS / "answers" / f"{name}.yaml"),
        "--var",
        f"app_url={http_server.url}",
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    run_id = re.search(r"run (\w+) · journal", result.stderr).group(1)  # type: ignore[union-attr]
    target = tmp_path / "report.md"
    exported = cli("--journal", str(journal_file), "export", run_id, "-o", str(target))
    assert exported.returncode == 0, exported.stderr
    text = target.read_text()
    assert text.startswith("# Production Readiness Checklist")
    assert "- [x] **Database** — ✓ GO: every condition met" in text
    assert "  - [x] Health checks are implemented for all services" in text
    assert "| Engineering Lead | Kim Novak |" in text
    verified = cli("--journal", str(journal_file), "verify", run_id)
    assert verified.returncode == 0 and journal_file.exists()
    assert journal_head(journal_file, run_id) in text


def journal_head(path: Path, run_id: str) -> str:
    with Journal(path) as journal:
        return journal.head_hash(run_id)
