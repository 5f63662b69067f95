"""Pure helpers of the ``mongo`` executor: read an explain plan, hide a URI's password.

Kept free of pymongo so they can be tested with explain documents written by hand in the shapes
MongoDB produces (the in-process stand-in always reports COLLSCAN): classic plans nest stages
under ``inputStage``/``inputStages``; 7.0+ slot-based plans put the tree under
``winningPlan.queryPlan``; sharded plans list ``shards[].winningPlan``.
"""

from __future__ import annotations

import re
from typing import Any

MASK = "••••"
# Stages that read an index rather than the whole collection.
INDEX_STAGES = frozenset(
    {"IXSCAN", "EXPRESS_IXSCAN", "IDHACK", "EXPRESS_IDHACK", "COUNT_SCAN", "DISTINCT_SCAN"}
)
_CHILD_KEYS = ("inputStage", "innerStage", "outerStage", "thenStage", "elseStage")
_URI = re.compile(
    r"^(?P<scheme>mongodb(?:\+srv)?://)(?:(?P<user>[^:@/]*)(?::[^@/]*)?@)?(?P<hosts>[^/?]*)"
)


def redact_uri(uri: str) -> str:
    """``mongodb://user:••••@host:27017`` from a URI (the password and options dropped)."""
    match = _URI.match(uri.strip())
    if not match:
        return "(not a mongodb:// URI)"
    user = f"{match.group('user')}:{MASK}@" if match.group("user") else ""
    return f"{match.group('scheme')}{user}{match.group('hosts')}"


def winning_plans(explain: dict[str, Any]) -> list[dict[str, Any]]:
    """The winning plan trees of an explain reply (one per shard when sharded)."""
    planner = explain.get("queryPlanner", explain)
    winning = planner.get("winningPlan") or {}
    if "shards" in winning:
        return [_unwrap(shard.get("winningPlan") or {}) for shard in winning["shards"] if shard]
    return [_unwrap(winning)]


def _unwrap(plan: dict[str, Any]) -> dict[str, Any]:
    return plan.get("queryPlan", plan) if isinstance(plan, dict) else {}


def stages(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Every stage of a plan tree, parents first."""
    found: list[dict[str, Any]] = []
    pending: list[Any] = [plan]
    while pending:
        node = pending.pop(0)
        if not isinstance(node, dict):
            continue
        if "stage" in node:
            found.append(node)
        pending.extend(node[key] for key in _CHILD_KEYS if key in node)
        pending.extend(node.get("inputStages") or [])
    return found


def plan_text(plan: dict[str, Any]) -> str:
    """``FETCH ← IXSCAN (email_1)`` for the output."""
    parts = []
    for stage in stages(plan):
        name = stage["stage"]
        index = stage.get("indexName")
        parts.append(f"{name} ({index})" if index else name)
    return " ← ".join(parts) or "(empty plan)"


def index_problem(explain: dict[str, Any], require: bool | str) -> str | None:
    """Why the query does not use the required index scan, or ``None`` when it does."""
    if require is False:
        return None
    plans = winning_plans(explain)
    all_stages = [stage for plan in plans for stage in stages(plan)]
    if not all_stages:
        return "the explain reply has no winning plan to inspect"
    if any(stage["stage"] == "COLLSCAN" for stage in all_stages):
        return "the winning plan scans the whole collection (COLLSCAN), not an index"
    used = [stage for stage in all_stages if stage["stage"] in INDEX_STAGES]
    if not used:
        names = ", ".join(sorted({stage["stage"] for stage in all_stages}))
        return f"the winning plan uses no index scan ({names})"
    if isinstance(require, str):
        names = {
            stage.get("indexName") or ("_id_" if "IDHACK" in stage["stage"] else "")
            for stage in used
        }
        if require not in names:
            shown = ", ".join(sorted(name for name in names if name)) or "an unnamed index"
            return f"the winning plan uses {shown}, not {require}"
    return None


def version_tuple(version: str) -> tuple[int, ...]:
    """``"7.0.14-ent"`` → ``(7, 0, 14)`` for comparisons."""
    return tuple(int(part) for part in re.findall(r"\d+", version.split("-")[0])[:3])
