"""Retry a fan-out step on the hosts that failed only, and merge the per-host results.

A non-idempotent command that succeeded on 19 of 20 hosts must not run again on those 19. The
operator's ``retry_failed`` decision journals the hosts that did not succeed (``{"hosts":
[...]}``); the next attempt runs only those (``ExecContext.hosts``), and the step's result carries
every host once: the earlier successes plus the retried hosts' latest results. Everything is
derived from journaled events (``StepState.details`` and ``StepState.retry_hosts``), so a resume
after a crash during the partial retry runs exactly the same hosts again.
"""

from __future__ import annotations

from typing import Any


def host_results(details: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The per-host results of a fan-out step's last attempt (``details["hosts"]``)."""
    hosts = details.get("hosts") if isinstance(details, dict) else None
    if not isinstance(hosts, list):
        return []
    return [item for item in hosts if isinstance(item, dict) and isinstance(item.get("host"), str)]


def retryable_hosts(details: dict[str, Any] | None) -> list[str]:
    """Hosts that did not succeed, when some others did (else [] — retrying all is the same)."""
    hosts = host_results(details)
    failed = [str(item["host"]) for item in hosts if not item.get("ok")]
    if not failed or len(failed) == len(hosts):
        return []
    return failed


def merge_details(
    earlier: list[dict[str, Any]], latest: dict[str, Any], retried: list[str]
) -> dict[str, Any]:
    """The latest attempt's details with ``hosts`` covering every host once, in step order.

    Hosts outside ``retried`` keep their earlier result; retried hosts take the latest one.
    The counters are recomputed over all hosts so ``show`` and exports agree with the list.
    """
    latest_hosts = {item["host"]: item for item in host_results(latest)}
    merged: list[dict[str, Any]] = []
    for item in earlier:
        host = item.get("host")
        if host in retried:
            if host in latest_hosts:
                merged.append({**latest_hosts.pop(host), "retried": True})
            else:
                merged.append(item)  # not run this time (should not happen): keep what we knew
        else:
            merged.append(item)
    merged.extend({**item, "retried": True} for item in latest_hosts.values())
    details = dict(latest)
    details["hosts"] = merged
    details["failed"] = sum(
        1 for item in merged if not item.get("ok") and item.get("status") != "not_started"
    )
    details["not_started"] = sum(1 for item in merged if item.get("status") == "not_started")
    details["retried_hosts"] = list(retried)
    return details
