"""Notifications against a real webhook receiver on loopback (tests/webhook_receiver.py).

Real parts: the Engine, the journal file, httpx, and an ``http.server`` that records every
request and, on demand, answers 500 or holds a request open. Nothing is timed: a hanging webhook
is shown not to delay the run by asserting the receiver still holds the request when ``run()``
has returned; retries and give-ups are asserted from the journal and the requests received.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from deploytui.journal import Journal
from deploytui.model.events import EventType, RunStatus
from tests.core_helpers import ScriptedOperator, cli, decision, drive, load, of_type

SECRET_PATH = "services/T0SECRET/B0SECRET/xoxSECRETtoken42"


def _playbook(receiver: Any, body: str, settings: str = "") -> Any:
    return load(
        f"""
        name: webhooks
        variables:
          version: "7.0.1"
        secrets: [hook]
        notifications:
          channels:
            plain: {{url: "{receiver.url}/generic", format: generic}}
            slack: {{url: "{{{{ secrets.hook }}}}", format: slack}}
            teams: {{url: "{receiver.url}/teams", format: teams, headers: {{X-Team: ops}}}}
{textwrap.indent(settings, " " * 8)}
        phases:
{body}
        """
    )


def _secrets(receiver: Any) -> dict[str, str]:
    return {"hook": f"{receiver.url}/{SECRET_PATH}"}


ANNOUNCE = """
          - id: deploy
            title: Deploy
            steps:
              - id: announce
                kind: notify
                title: Announce the deployment to stakeholders
                channels: [plain, slack, teams]
                message: "Deploying {{ vars.version }} now"
"""


def _notifications(journal: Journal, run_id: str) -> list[dict[str, Any]]:
    return [event.data for event in of_type(journal.events(run_id), EventType.notification)]


def test_each_format_has_its_shape_and_says_who_what_when(
    journal: Journal, webhook_receiver: Any
) -> None:
    loaded = _playbook(webhook_receiver, ANNOUNCE)
    run_id, outcome = drive(journal, loaded, ScriptedOperator(), secrets=_secrets(webhook_receiver))
    assert outcome.status == RunStatus.completed
    hooks = {hook.path: hook for hook in webhook_receiver.wait_for(3)}
    assert set(hooks) == {"/generic", f"/{SECRET_PATH}", "/teams"}
    assert all(hook.method == "POST" for hook in hooks.values())
    assert hooks["/teams"].headers["X-Team"] == "ops"
    assert hooks["/generic"].headers["Content-Type"] == "application/json"

    generic = hooks["/generic"].body
    assert generic["source"] == "deploytui" and generic["event"] == "notify"
    assert generic["playbook"] == "webhooks" and generic["run_id"] == run_id
    assert generic["operator"] == "tester" and generic["step_id"] == "announce"
    assert generic["headline"] == "Announce the deployment to stakeholders"
    assert generic["text"] == "Deploying 7.0.1 now"
    assert generic["at"].endswith("Z") and generic["phase"] == "Deploy"

    slack = hooks[f"/{SECRET_PATH}"].body
    assert (
        slack["text"] == "[webhooks] Announce the deployment to stakeholders — Deploying 7.0.1 now"
    )
    section, context = slack["blocks"]
    assert section == {
        "type": "section",
        "text": {
            "type": "mrkdwn",
            "text": "*Announce the deployment to stakeholders*\nDeploying 7.0.1 now",
        },
    }
    facts = context["elements"][0]["text"]
    assert context["type"] == "context"
    for part in ("Playbook: webhooks", f"Run: {run_id}", "Operator: tester", "Time: "):
        assert part in facts

    teams = hooks["/teams"].body
    assert teams["type"] == "message"
    (attachment,) = teams["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    headline, text, factset = card["body"]
    assert headline["text"] == "Announce the deployment to stakeholders"
    assert headline["weight"] == "Bolder" and text["text"] == "Deploying 7.0.1 now"
    titles = {fact["title"]: fact["value"] for fact in factset["facts"]}
    assert titles["Run"] == run_id and titles["Operator"] == "tester"
    assert titles["Playbook"] == "webhooks" and titles["Time"].endswith("Z")

    # The step journaled that it queued the message; the outcomes came later, one per channel.
    (finished,) = of_type(journal.events(run_id), EventType.step_finished, "announce")
    channels = finished.data["details"]["notify"]["channels"]
    assert [entry["name"] for entry in channels] == ["plain", "slack", "teams"]
    assert all(entry["queued"] for entry in channels)
    outcomes = {item["channel"]: item for item in _notifications(journal, run_id)}
    assert set(outcomes) == {"plain", "slack", "teams"}
    assert all(item["ok"] and item["status"] == 200 for item in outcomes.values())
    assert all(item["attempts"] == 1 and item["event"] == "notify" for item in outcomes.values())


def test_retries_after_500s_then_delivers(journal: Journal, webhook_receiver: Any) -> None:
    webhook_receiver.fail_next(2, status=500)
    body = ANNOUNCE.replace("channels: [plain, slack, teams]", "channel: plain")
    run_id, outcome = drive(
        journal,
        _playbook(webhook_receiver, body),
        ScriptedOperator(),
        secrets=_secrets(webhook_receiver),
    )
    assert outcome.status == RunStatus.completed
    assert [hook.path for hook in webhook_receiver.received] == ["/generic"] * 3
    (delivered,) = _notifications(journal, run_id)
    assert delivered["ok"] is True and delivered["attempts"] == 3 and delivered["status"] == 200
    assert not of_type(journal.events(run_id), EventType.notice)


def test_a_channel_that_keeps_failing_gives_up_with_a_notice_and_the_run_goes_on(
    journal: Journal, webhook_receiver: Any
) -> None:
    webhook_receiver.fail_next(1000, status=503)
    body = ANNOUNCE.replace("channels: [plain, slack, teams]", "channel: plain")
    loaded = _playbook(webhook_receiver, body, "  give_up_after: 1.5\n")
    run_id, outcome = drive(journal, loaded, ScriptedOperator(), secrets=_secrets(webhook_receiver))
    assert outcome.status == RunStatus.completed
    (failed,) = _notifications(journal, run_id)
    assert failed["ok"] is False and failed["status"] == 503
    assert failed["attempts"] == len(webhook_receiver.received) >= 2
    assert "HTTP 503" in failed["error"] and "gave up after 1.5s" in failed["error"]
    notices = [event.data["text"] for event in of_type(journal.events(run_id), EventType.notice)]
    assert any("'plain'" in text and "not delivered" in text for text in notices)
    assert (
        of_type(journal.events(run_id), EventType.step_finished, "announce")[0].data["status"]
        == "succeeded"
    )


def test_a_refusing_receiver_is_not_retried(journal: Journal, webhook_receiver: Any) -> None:
    webhook_receiver.fail_next(5, status=404)
    body = ANNOUNCE.replace("channels: [plain, slack, teams]", "channel: plain")
    run_id, outcome = drive(
        journal,
        _playbook(webhook_receiver, body),
        ScriptedOperator(),
        secrets=_secrets(webhook_receiver),
    )
    assert outcome.status == RunStatus.completed
    (refused,) = _notifications(journal, run_id)
    assert refused["ok"] is False and refused["attempts"] == 1 and "not retried" in refused["error"]
    assert len(webhook_receiver.received) == 1


def test_a_hanging_webhook_does_not_hold_up_the_run(
    journal: Journal, webhook_receiver: Any
) -> None:
    webhook_receiver.hang_next(1)
    body = (
        ANNOUNCE.replace("channels: [plain, slack, teams]", "channel: plain")
        + """
              - id: after
                kind: local
                title: The next step runs
                command: echo next
"""
    )
    loaded = _playbook(webhook_receiver, body, "  timeout: 2m\n  wait_at_end: 0s\n")
    try:
        run_id, outcome = drive(
            journal,
            loaded,
            ScriptedOperator(),
            secrets=_secrets(webhook_receiver),
            listener=lambda item: _hold_check(item, webhook_receiver),
        )
        # The run is over and the receiver has not answered yet: nothing waited on it.
        assert webhook_receiver.holding == 1
        assert outcome.status == RunStatus.completed
    finally:
        webhook_receiver.release()
    events = journal.events(run_id)
    assert of_type(events, EventType.step_finished, "after")[0].data["status"] == "succeeded"
    (unconfirmed,) = _notifications(journal, run_id)
    assert unconfirmed["ok"] is False and "still being sent" in unconfirmed["error"]
    notices = [event.data["text"] for event in of_type(events, EventType.notice)]
    assert any("still being sent when the run stopped" in text for text in notices)


def _hold_check(item: Any, receiver: Any) -> None:
    """When the next step starts, make sure the webhook request is being held (not yet sent
    would prove nothing)."""
    if getattr(item, "type", None) == EventType.step_started and item.step_id == "after":
        receiver.wait_holding(1)


HOOKED = """
          - id: prepare
            title: Prepare
            steps:
              - id: read
                kind: note
                title: Read this
          - id: deploy
            title: Deploy
            steps:
              - id: release
                kind: local
                title: Release build {{ vars.version }}
                command: echo failing; exit 3
                on_failure: rollback
        rollback:
          title: Roll back
          steps:
            - id: tell_rollback
              kind: notify
              title: Notify stakeholders of rollback
              channel: plain
              message: "Rolled back {{ vars.version }}: {{ run.operator }} is on it"
"""

HOOKS = """  on:
    run_started: [plain]
    phase_finished: [plain]
    step_failed: [plain]
    trigger_fired: [plain]
    run_finished: [plain, teams]
"""


def test_hooks_fire_on_each_run_event_in_order(journal: Journal, webhook_receiver: Any) -> None:
    loaded = _playbook(webhook_receiver, HOOKED, HOOKS)
    run_id, outcome = drive(journal, loaded, ScriptedOperator(), secrets=_secrets(webhook_receiver))
    assert outcome.status == RunStatus.rolled_back
    generic = webhook_receiver.bodies("/generic")
    # One channel's messages go in order (one worker per channel).
    assert [(body["event"], body["headline"]) for body in generic] == [
        ("run_started", "Run started: webhooks"),
        ("phase_finished", "Phase finished: Prepare"),
        ("step_failed", "Step failed: Release build 7.0.1"),
        ("notify", "Notify stakeholders of rollback"),
        ("phase_finished", "Rollback finished: Roll back"),
        ("run_finished", "Run rolled back: webhooks"),
    ]
    failed = generic[2]
    assert failed["step_id"] == "release" and "exit" in failed["text"]
    assert failed["status"] == "failed (attempt 1)"
    assert generic[3]["text"] == "Rolled back 7.0.1: tester is on it"
    assert generic[5]["status"] == "rolled back"
    assert all(body["run_id"] == run_id and body["operator"] == "tester" for body in generic)
    (teams,) = webhook_receiver.bodies("/teams")
    assert teams["attachments"][0]["content"]["body"][0]["text"] == "Run rolled back: webhooks"
    journaled = [(item["channel"], item["event"]) for item in _notifications(journal, run_id)]
    assert sorted(journaled) == sorted(
        [("plain", body["event"]) for body in generic] + [("teams", "run_finished")]
    )


def test_a_resumed_run_does_not_announce_its_start_again(
    journal: Journal, webhook_receiver: Any
) -> None:
    body = HOOKED.replace("on_failure: rollback", "on_failure: ask")
    loaded = _playbook(webhook_receiver, body, HOOKS)
    run_id, first = drive(journal, loaded, ScriptedOperator(), secrets=_secrets(webhook_receiver))
    assert first.status == RunStatus.waiting  # the failure was not answered: the run paused
    operator = ScriptedOperator(failures={"release": [decision("skip", "done by hand")]})
    _, second = drive(journal, loaded, operator, run_id=run_id, secrets=_secrets(webhook_receiver))
    assert second.status == RunStatus.completed
    events = [body["event"] for body in webhook_receiver.bodies("/generic")]
    assert events.count("run_started") == 1
    assert events[-2:] == ["phase_finished", "run_finished"]


def test_wait_true_fails_the_step_when_delivery_fails(
    journal: Journal, webhook_receiver: Any
) -> None:
    webhook_receiver.fail_next(1000, status=500)
    body = (
        ANNOUNCE.replace("channels: [plain, slack, teams]", "channel: plain")
        + "                wait: true\n                on_failure: skip\n"
    )
    loaded = _playbook(webhook_receiver, body, "  give_up_after: 1s\n")
    run_id, outcome = drive(journal, loaded, ScriptedOperator(), secrets=_secrets(webhook_receiver))
    assert outcome.status == RunStatus.completed
    statuses = [
        event.data for event in of_type(journal.events(run_id), EventType.step_finished, "announce")
    ]
    assert statuses[0]["status"] == "failed"
    assert statuses[0]["reason"].startswith("notification not delivered: plain: HTTP 500")
    assert statuses[1]["status"] == "skipped"


def test_wait_true_succeeds_once_delivered(journal: Journal, webhook_receiver: Any) -> None:
    webhook_receiver.fail_next(1, status=500)
    body = ANNOUNCE.replace("channels: [plain, slack, teams]", "channel: teams") + (
        "                wait: true\n"
    )
    run_id, outcome = drive(
        journal,
        _playbook(webhook_receiver, body),
        ScriptedOperator(),
        secrets=_secrets(webhook_receiver),
    )
    assert outcome.status == RunStatus.completed
    output = [
        line
        for event in of_type(journal.events(run_id), EventType.step_output, "announce")
        for line in event.data["lines"]
    ]
    assert "delivered to teams (HTTP 200)" in output


def test_an_unconfigured_channel_is_skipped_with_one_notice(
    journal: Journal, webhook_receiver: Any
) -> None:
    loaded = load(
        """
        name: rehearsal
        variables:
          stakeholder_webhook: ""
        notifications:
          channels:
            stakeholders: {url: "{{ vars.stakeholder_webhook }}", format: slack}
          on:
            run_started: [stakeholders]
            run_finished: [stakeholders]
        phases:
          - id: p
            title: P
            steps:
              - id: announce
                kind: notify
                title: Announce the deployment to stakeholders
                channel: stakeholders
                message: Deploying
        """
    )
    run_id, outcome = drive(journal, loaded, ScriptedOperator())
    assert outcome.status == RunStatus.completed
    events = journal.events(run_id)
    (finished,) = of_type(events, EventType.step_finished, "announce")
    assert finished.data["status"] == "succeeded"
    (entry,) = finished.data["details"]["notify"]["channels"]
    assert entry["queued"] is False and entry["skipped"] == "its url is empty"
    notices = [event.data["text"] for event in of_type(events, EventType.notice)]
    assert notices == [
        "notification channel 'stakeholders' is not configured (its url is empty): "
        "its messages are skipped"
    ]
    assert not of_type(events, EventType.notification)
    assert webhook_receiver.received == []


def test_the_secret_url_never_reaches_the_journal_files_or_show(
    journal: Journal, journal_path: Path, webhook_receiver: Any, tmp_path: Path
) -> None:
    webhook_receiver.fail_next(1, status=500)  # an error text on the way, too
    loaded = _playbook(webhook_receiver, HOOKED, HOOKS)
    secrets = _secrets(webhook_receiver)
    run_id, outcome = drive(journal, loaded, ScriptedOperator(), secrets=secrets)
    assert outcome.status == RunStatus.rolled_back
    assert any(hook.path == f"/{SECRET_PATH}" for hook in webhook_receiver.received) is False
    # The slack channel (the secret URL) had no hook; send to it from a step as well.
    step_body = ANNOUNCE.replace("channels: [plain, slack, teams]", "channel: slack")
    webhook_receiver.fail_next(1, status=500)  # the secret channel retries once
    run_two, _ = drive(
        journal, _playbook(webhook_receiver, step_body), ScriptedOperator(), secrets=secrets
    )
    assert any(hook.path == f"/{SECRET_PATH}" for hook in webhook_receiver.received)
    secret_bits = [secrets["hook"], SECRET_PATH, "xoxSECRETtoken42"]
    files = [
        path for path in journal_path.parent.iterdir() if path.name.startswith(journal_path.name)
    ]
    assert journal_path in files and journal_path.with_name(journal_path.name + "-wal") in files
    for path in files:
        data = path.read_bytes()
        for bit in secret_bits:
            assert bit.encode() not in data, f"{bit} found in {path.name}"
    notifications = _notifications(journal, run_two)
    assert [(item["url"], item["attempts"], item["ok"]) for item in notifications] == [
        ("••••", 2, True)
    ]
    for shown_run in (run_id, run_two):
        result = cli("--journal", str(journal_path), "show", shown_run)
        assert result.returncode == 0, result.stderr
        for bit in secret_bits:
            assert bit not in result.stdout + result.stderr
    shown = cli("--journal", str(journal_path), "show", run_two).stdout
    assert "notifications:" in shown and "✓ slack · " in shown and "(2 attempts)" in shown
    exported = tmp_path / "run.json"
    result = cli("--journal", str(journal_path), "export", run_two, "-o", str(exported))
    assert result.returncode == 0, result.stderr
    assert not any(bit in exported.read_text() for bit in secret_bits)
    for suffix, heading in (("md", "## Notifications"), ("html", "<h2>Notifications</h2>")):
        report = tmp_path / f"run.{suffix}"
        result = cli(
            "--journal", str(journal_path), "export", run_two, "--format", suffix, "-o", str(report)
        )
        assert result.returncode == 0, result.stderr
        text = report.read_text()
        assert heading in text and "✓ slack · " in text  # the audit trail lists deliveries
        assert not any(bit in text for bit in secret_bits)


@pytest.mark.parametrize("status", [429, 502])
def test_retryable_statuses_are_retried(
    journal: Journal, webhook_receiver: Any, status: int
) -> None:
    webhook_receiver.fail_next(1, status=status)
    body = ANNOUNCE.replace("channels: [plain, slack, teams]", "channel: plain")
    run_id, _ = drive(
        journal,
        _playbook(webhook_receiver, body),
        ScriptedOperator(),
        secrets=_secrets(webhook_receiver),
    )
    (delivered,) = _notifications(journal, run_id)
    assert delivered["ok"] is True and delivered["attempts"] == 2


def test_a_monitor_trigger_fires_trigger_fired_not_also_step_failed(
    webhook_receiver: Any,
) -> None:
    """The hook reads the journaled shape the monitor step reports (the contract:
    ``details["monitor"]["triggered"]`` on a failed step_finished); the event is built here so
    the test does not depend on the monitor executor."""
    from deploytui.engine.masking import Masker
    from deploytui.engine.notifications import NotificationHub
    from deploytui.model.events import Event

    loaded = _playbook(webhook_receiver, HOOKED, HOOKS)
    hub = NotificationHub(
        playbook=loaded.playbook,
        secrets=_secrets(webhook_receiver),
        mask=Masker(_secrets(webhook_receiver).values()),
        run_fields=lambda: {"id": "r1", "operator": "ana"},
        title_of={"release": "Release build 7.0.1"}.__getitem__,  # as engine.view shows it
    )
    triggered = {"signal": "error_rate", "value": 12.4, "threshold": "> 10 % for 5m", "t": 310.0}
    hub.observe(
        Event(
            run_id="r1",
            seq=9,
            at="2026-11-22T03:10:00.000+00:00",
            type=EventType.step_finished,
            step_id="release",
            attempt=1,
            data={
                "status": "failed",
                "reason": "rollback trigger: error_rate 12.4 % > 10 % for 5m",
                "details": {"monitor": {"triggered": triggered}},
            },
        )
    )
    (hook,) = webhook_receiver.wait_for(1)
    assert hook.body["event"] == "trigger_fired"
    assert hook.body["headline"] == "Rollback trigger fired: Release build 7.0.1"
    assert hook.body["facts"] == {
        "Signal": "error_rate",
        "Value": "12.4",
        "Threshold": "> 10 % for 5m",
    }
    assert hook.body["at"] == "2026-11-22T03:10:00Z" and hook.body["operator"] == "ana"
    pending = hub.finish()
    assert [(event.type, event.data["event"], event.data["ok"]) for event in pending] == [
        (EventType.notification, "trigger_fired", True)
    ]
    assert len(webhook_receiver.received) == 1  # plain is on both hooks: one message


def test_an_operator_who_stops_waits_briefly_not_wait_at_end(
    journal: Journal, webhook_receiver: Any
) -> None:
    from deploytui.engine.runner import Engine, start_run

    webhook_receiver.hang_next(1)
    body = (
        ANNOUNCE.replace("channels: [plain, slack, teams]", "channel: plain")
        + """
              - id: after
                kind: local
                title: The next step runs
                command: sleep 30
"""
    )
    loaded = _playbook(webhook_receiver, body, "  timeout: 5m\n  wait_at_end: 5m\n")
    run_id = start_run(journal, loaded, operator_name="tester", mode="headless")
    engines: list[Engine] = []

    def listener(item: Any) -> None:
        if getattr(item, "type", None) == EventType.step_started and item.step_id == "after":
            webhook_receiver.wait_holding(1)
            engines[0].request_stop()  # the operator quits while the webhook hangs

    engine = Engine(
        journal=journal,
        run_id=run_id,
        loaded=loaded,
        operator=ScriptedOperator(),
        listener=listener,
        secrets=_secrets(webhook_receiver),
    )
    engines.append(engine)
    try:
        outcome = engine.run()
        assert webhook_receiver.holding == 1
    finally:
        webhook_receiver.release()
    assert outcome.status == RunStatus.waiting
    (unconfirmed,) = _notifications(journal, run_id)
    assert unconfirmed["ok"] is False and "(waited 2s)" in unconfirmed["error"]


def test_a_delivery_cut_off_at_the_end_is_reported_once(webhook_receiver: Any) -> None:
    # close() lists the delivery as unfinished; the worker, woken from its backoff by the close,
    # then ends it too ("stopped retrying"). Only one of them may reach the journal.
    from deploytui.notify.sender import Sender

    webhook_receiver.fail_next(1000, status=500)
    sender = Sender(give_up_after=120, backoff=30)
    sender.submit(
        channel="plain",
        event="notify",
        url=f"{webhook_receiver.url}/generic",
        shown="http://127.0.0.1/••••",
        headers={},
        body={"text": "hi"},
    )
    webhook_receiver.wait_for(1)
    left = sender.close(0)
    assert [delivery.channel for delivery in left] == ["plain"]
    for worker in sender._workers:
        worker.join(timeout=30)
        assert not worker.is_alive()
    assert sender.take_outcomes() == []  # reported once, as unfinished
