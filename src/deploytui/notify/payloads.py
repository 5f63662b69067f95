"""The JSON body of one notification, shaped for a generic receiver, Slack or Microsoft Teams.

Every message says the playbook, run id, operator, what happened and when (UTC), whatever the
format. Teams: the shape accepted today is the Workflows (Power Automate) "when a Teams webhook
request is received" trigger, which takes a ``message`` with an Adaptive Card attachment; the
older Office 365 connector MessageCard is retired (connectors stopped in 2026).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, Field

from deploytui.model.notify_step import NotifyFormat
from deploytui.playbook.templating import MASK

ADAPTIVE_CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
ADAPTIVE_CARD_VERSION = "1.4"
# Slack truncates long section texts (3000 characters); stay well inside.
SLACK_TEXT_LIMIT = 2900


def shown_url(url: str) -> str:
    """A URL safe to journal and show: scheme and host only (webhook paths are credentials)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    if not parts.scheme or not parts.hostname:
        return MASK if url else ""
    host = parts.hostname if MASK not in (parts.hostname or "") else MASK
    port = f":{parts.port}" if _port(parts) else ""
    tail = f"/{MASK}" if (parts.path not in {"", "/"} or parts.query) else ""
    return f"{parts.scheme}://{host}{port}{tail}"


def _port(parts: Any) -> int | None:
    try:
        return parts.port  # type: ignore[no-any-return]
    except ValueError:
        return None


class Message(BaseModel):
    """What to say, independent of the format (already masked: it may be shown anywhere)."""

    event: str = Field(description="notify (a step) or a hook: run_started, step_failed...")
    headline: str = Field(description="One line: what happened.")
    text: str = Field(default="", description="The message body (a notify step's message).")
    playbook: str
    run_id: str
    operator: str = ""
    at: str = Field(description="ISO time in UTC.")
    step_id: str | None = None
    phase: str | None = None
    status: str | None = None
    facts: dict[str, str] = Field(default_factory=dict, description="Extra labelled details.")

    def fact_pairs(self) -> list[tuple[str, str]]:
        pairs = [("Playbook", self.playbook), ("Run", self.run_id)]
        if self.operator:
            pairs.append(("Operator", self.operator))
        if self.phase:
            pairs.append(("Phase", self.phase))
        if self.step_id:
            pairs.append(("Step", self.step_id))
        if self.status:
            pairs.append(("Status", self.status))
        pairs.extend(self.facts.items())
        pairs.append(("Time", self.at))
        return pairs


def payload(message: Message, format_: NotifyFormat) -> dict[str, Any]:
    if format_ == NotifyFormat.slack:
        return slack_payload(message)
    if format_ == NotifyFormat.teams:
        return teams_payload(message)
    return generic_payload(message)


def generic_payload(message: Message) -> dict[str, Any]:
    """A flat document a script or an alerting system can read without guessing."""
    return {
        "source": "deploytui",
        **message.model_dump(mode="json", exclude_none=True),
    }


def _clip(text: str, limit: int = SLACK_TEXT_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _slack_escape(text: str) -> str:
    # Slack's mrkdwn treats these three as control characters.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(message: Message) -> dict[str, Any]:
    """Slack incoming webhook: ``text`` (the notification and fallback) plus readable blocks."""
    body = f"*{_slack_escape(message.headline)}*"
    if message.text:
        body += f"\n{_slack_escape(message.text)}"
    context = " · ".join(
        f"{label}: {_slack_escape(value)}" for label, value in message.fact_pairs()
    )
    fallback = message.headline + (f" — {message.text}" if message.text else "")
    return {
        "text": _clip(f"[{message.playbook}] {fallback}"),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": _clip(body)}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": _clip(context)}]},
        ],
    }


def teams_payload(message: Message) -> dict[str, Any]:
    """Teams Workflows webhook: a message carrying one Adaptive Card."""
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": message.headline,
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
        }
    ]
    if message.text:
        body.append({"type": "TextBlock", "text": message.text, "wrap": True})
    body.append(
        {
            "type": "FactSet",
            "facts": [{"title": label, "value": value} for label, value in message.fact_pairs()],
        }
    )
    card = {
        "$schema": ADAPTIVE_CARD_SCHEMA,
        "type": "AdaptiveCard",
        "version": ADAPTIVE_CARD_VERSION,
        "body": body,
    }
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }
