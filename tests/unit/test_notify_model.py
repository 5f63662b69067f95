"""The notify step and the notifications block: load-time errors with file:line, payload shapes
per format, and URLs reduced to what may be shown."""

from __future__ import annotations

import pytest

from deploytui.model.notify_step import NotifyFormat, NotifyStep
from deploytui.notify.payloads import Message, payload, shown_url
from deploytui.playbook.loader import PlaybookError
from tests.core_helpers import load

BASE = """
name: nb
secrets: [hook]
notifications:
  channels:
    ops: {url: "{{ secrets.hook }}", format: slack}
  on:
HOOKS
phases:
  - id: p
    title: P
    steps:
      - id: n
        kind: notify
        title: Tell
STEP
"""


def _load(hooks: str = "    run_finished: [ops]", step: str = "        channel: ops") -> object:
    text = BASE.replace("HOOKS", hooks).replace("STEP", step + "\n        message: hi")
    return load(text)


def _problems(**parts: str) -> list[str]:
    with pytest.raises(PlaybookError) as caught:
        _load(**parts)
    return str(caught.value).splitlines()


def test_a_valid_block_loads_with_defaults() -> None:
    playbook = _load().playbook  # type: ignore[attr-defined]
    assert playbook.notifications.channels["ops"].format == NotifyFormat.slack
    assert playbook.notifications.give_up_after == 120.0
    assert playbook.notifications.wait_at_end == 15.0
    step = playbook.step("n")
    assert isinstance(step, NotifyStep) and step.channel_names() == ["ops"] and not step.wait


def test_an_unknown_channel_in_a_step_names_the_line() -> None:
    problems = _problems(step="        channel: opz")
    assert problems[0].startswith("test.yaml:15:")
    assert "notification channel 'opz' is not declared" in problems[0]
    assert "(known: ops)" in problems[0]


def test_an_unknown_channel_in_a_hook_names_the_line_and_a_guess() -> None:
    problems = _problems(hooks="    step_failed: [ops, opps]")
    assert problems[0].startswith("test.yaml:7:")
    assert (
        "'opps' is not declared under notifications.channels; did you mean 'ops'?" in (problems[0])
    )


def test_an_unknown_run_event_is_refused() -> None:
    problems = _problems(hooks="    run_exploded: [ops]")
    assert "test.yaml:7:" in problems[0] and "run_exploded" in problems[0]


def test_a_step_needs_exactly_one_of_channel_or_channels() -> None:
    problems = _problems(step="        channel: ops\n        channels: [ops]")
    assert "exactly one of channel or channels" in problems[0]


def test_a_channel_template_may_not_use_inputs() -> None:
    text = BASE.replace("{{ secrets.hook }}", "{{ inputs.hook }}")
    text = text.replace("HOOKS", "    run_finished: [ops]").replace(
        "STEP", "        channel: ops\n        message: hi"
    )
    with pytest.raises(PlaybookError) as caught:
        load(text)
    assert "test.yaml:5:" in str(caught.value) and "channels use only vars and secrets" in str(
        caught.value
    )


MESSAGE = Message(
    event="step_failed",
    headline="Step failed: Release <v2> & co",
    text="exit 3",
    playbook="shop",
    run_id="ab12",
    operator="ana",
    at="2026-11-22T03:10:00Z",
    step_id="release",
)


def test_generic_payload_is_flat_and_complete() -> None:
    body = payload(MESSAGE, NotifyFormat.generic)
    assert body["source"] == "deploytui" and body["event"] == "step_failed"
    assert {body["playbook"], body["run_id"], body["operator"], body["at"]} == {
        "shop",
        "ab12",
        "ana",
        "2026-11-22T03:10:00Z",
    }
    assert "phase" not in body  # unset fields are left out, not null


def test_slack_payload_escapes_control_characters() -> None:
    body = payload(MESSAGE, NotifyFormat.slack)
    assert body["blocks"][0]["text"]["text"] == "*Step failed: Release &lt;v2&gt; &amp; co*\nexit 3"
    assert body["text"].startswith("[shop] Step failed: Release <v2> & co")


def test_teams_payload_is_an_adaptive_card_message() -> None:
    body = payload(MESSAGE, NotifyFormat.teams)
    card = body["attachments"][0]["content"]
    assert body["type"] == "message" and card["type"] == "AdaptiveCard"
    facts = {fact["title"]: fact["value"] for fact in card["body"][-1]["facts"]}
    assert facts == {
        "Playbook": "shop",
        "Run": "ab12",
        "Operator": "ana",
        "Step": "release",
        "Time": "2026-11-22T03:10:00Z",
    }


def test_long_slack_texts_are_clipped() -> None:
    long = MESSAGE.model_copy(update={"text": "x" * 5000})
    section = payload(long, NotifyFormat.slack)["blocks"][0]["text"]["text"]
    assert len(section) <= 2900 and section.endswith("…")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://hooks.slack.com/services/T0/B0/secret", "https://hooks.slack.com/••••"),
        ("http://127.0.0.1:8080/hook?token=abc", "http://127.0.0.1:8080/••••"),
        ("https://example.com", "https://example.com"),
        ("••••", "••••"),
        ("https://••••/x", "https://••••/••••"),
        ("", ""),
        ("not a url", "••••"),
    ],
)
def test_shown_url_keeps_only_scheme_and_host(url: str, shown: str) -> None:
    assert shown_url(url) == shown


def test_the_shipped_superapp_playbook_notifies_stakeholders_with_notify_steps() -> None:
    """The checklist's "Stakeholders notified" and "Notify stakeholders of rollback" lines are
    notify steps; the webhook is left unset, so a rehearsal skips it with a notice."""
    from deploytui.engine.masking import Masker
    from deploytui.engine.notifications import NotificationHub
    from deploytui.playbook.loader import load_playbook
    from tests.conftest import REPO

    playbook = load_playbook(REPO / "playbooks" / "superapp-phase7.yaml").playbook
    announce = playbook.step("stakeholders_notified_engineering")
    rollback = playbook.step("notify_stakeholders_of_rollback")
    assert isinstance(announce, NotifyStep) and isinstance(rollback, NotifyStep)
    assert announce.channel_names() == rollback.channel_names() == ["stakeholders"]
    assert announce.source is not None and announce.source.line == 302
    assert rollback.source is not None and rollback.source.line == 361
    assert playbook.phase_of(rollback.id) == "rollback"
    hub = NotificationHub(
        playbook=playbook, secrets={}, mask=Masker(), run_fields=lambda: {"id": "r"}
    )
    assert hub.channels["stakeholders"].problem == "its url is empty"
