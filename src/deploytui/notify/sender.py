"""Deliver webhook messages in the background, with retries, within a bounded total time.

One worker thread per channel keeps a channel's messages in order while a dead channel never
delays another; the engine thread only submits and later collects outcomes, so the run never
waits on a webhook. Retried: connection errors, timeouts, HTTP 5xx, 408, 425 and 429 (honouring
``Retry-After`` within the bound); a 4xx otherwise means the URL or payload is wrong and is not
retried. Backoff uses real time on purpose: webhooks live in real time even when a test advances
the engine's clock. Error texts never carry the URL (it is usually a secret).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel

from deploytui.notify.payloads import shown_url
from deploytui.playbook.templating import MASK

__all__ = ["Delivery", "Outcome", "Sender", "shown_url"]

RETRYABLE_STATUS = {408, 425, 429}
MAX_BACKOFF = 30.0


@dataclass
class Delivery:
    """One message for one channel. ``url`` and ``headers`` are real: never journal them."""

    id: int
    channel: str
    event: str
    url: str
    shown_url: str
    headers: dict[str, str]
    body: dict[str, Any]
    step_id: str | None = None
    submitted: float = field(default_factory=time.monotonic)


class Outcome(BaseModel):
    """How a delivery ended (what the engine journals as a ``notification`` event)."""

    delivery_id: int
    channel: str
    event: str
    url: str
    ok: bool
    status: int | None = None
    attempts: int = 0
    error: str | None = None
    seconds: float = 0.0
    step_id: str | None = None


ClientFactory = Callable[[float], httpx.Client]


def _default_client(timeout: float) -> httpx.Client:
    return httpx.Client(timeout=timeout, headers={"User-Agent": "deploytui"})


class Sender:
    """Background delivery for one run; ``close`` stops retrying and reports what is left."""

    def __init__(
        self,
        *,
        timeout: float = 10.0,
        give_up_after: float = 120.0,
        backoff: float = 0.5,
        client_factory: ClientFactory = _default_client,
    ) -> None:
        self.timeout = timeout
        self.give_up_after = give_up_after
        self.backoff = backoff
        self._client_factory = client_factory
        self._queues: dict[str, queue.Queue[Delivery | None]] = {}
        self._workers: list[threading.Thread] = []
        self._closing = threading.Event()
        self._changed = threading.Condition()
        self._submitted: dict[int, Delivery] = {}
        self._outcomes: dict[int, Outcome] = {}
        self._undrained: list[Outcome] = []
        self._abandoned: set[int] = set()  # reported by close() as unfinished
        self._next_id = 0

    # -- the engine thread's side --------------------------------------------------------------

    def submit(
        self,
        *,
        channel: str,
        event: str,
        url: str,
        shown: str,
        headers: dict[str, str],
        body: dict[str, Any],
        step_id: str | None = None,
    ) -> int:
        """Queue a message; returns its delivery id at once."""
        with self._changed:
            self._next_id += 1
            delivery = Delivery(
                id=self._next_id,
                channel=channel,
                event=event,
                url=url,
                shown_url=shown,
                headers=headers,
                body=body,
                step_id=step_id,
            )
            self._submitted[delivery.id] = delivery
        self._queue_for(channel).put(delivery)
        return delivery.id

    def take_outcomes(self) -> list[Outcome]:
        """Outcomes that arrived since the last call, in the order they arrived."""
        with self._changed:
            taken, self._undrained = self._undrained, []
        return taken

    def outcome(self, delivery_id: int) -> Outcome | None:
        with self._changed:
            return self._outcomes.get(delivery_id)

    def wait(
        self, ids: list[int], timeout: float, cancelled: threading.Event | None = None
    ) -> bool:
        """Wait until these deliveries ended (or the timeout, or ``cancelled``)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not all(item in self._outcomes for item in ids):
                left = deadline - time.monotonic()
                if left <= 0 or (cancelled is not None and cancelled.is_set()):
                    return False
                # Short waits so a cancel from another thread is noticed promptly.
                self._changed.wait(min(left, 0.2))
            return True

    def pending(self) -> list[Delivery]:
        with self._changed:
            return [item for key, item in self._submitted.items() if key not in self._outcomes]

    def close(self, wait_seconds: float) -> list[Delivery]:
        """Wait up to ``wait_seconds`` for every delivery, then stop; return those unfinished.

        Each delivery ends up in exactly one place: an outcome from ``take_outcomes`` or this
        list. A worker that finishes one of these later (its backoff woken by the close) keeps
        the outcome to itself, so the run never journals "not confirmed" and a result for it.
        """
        self.wait(list(self._submitted), wait_seconds)
        with self._changed:
            self._closing.set()
            left = [item for key, item in self._submitted.items() if key not in self._outcomes]
            self._abandoned.update(item.id for item in left)
        for channel_queue in self._queues.values():
            channel_queue.put(None)
        return left

    # -- the workers ---------------------------------------------------------------------------

    def _queue_for(self, channel: str) -> queue.Queue[Delivery | None]:
        with self._changed:
            if channel not in self._queues:
                channel_queue: queue.Queue[Delivery | None] = queue.Queue()
                self._queues[channel] = channel_queue
                worker = threading.Thread(
                    target=self._work,
                    args=(channel_queue,),
                    name=f"notify-{channel}",
                    daemon=True,  # a hanging webhook must never keep the process alive
                )
                self._workers.append(worker)
                worker.start()
            return self._queues[channel]

    def _work(self, channel_queue: queue.Queue[Delivery | None]) -> None:
        client = self._client_factory(self.timeout)
        try:
            while True:
                delivery = channel_queue.get()
                if delivery is None or self._closing.is_set():
                    return
                outcome = self._deliver(client, delivery)
                with self._changed:
                    self._outcomes[delivery.id] = outcome
                    if delivery.id not in self._abandoned:
                        self._undrained.append(outcome)
                    self._changed.notify_all()
        finally:
            client.close()

    def _deliver(self, client: httpx.Client, delivery: Delivery) -> Outcome:
        began = time.monotonic()
        deadline = began + self.give_up_after
        attempts = 0
        status: int | None = None
        error = ""
        while True:
            attempts += 1
            retry_after: float | None = None
            try:
                response = client.post(
                    delivery.url,
                    json=delivery.body,
                    headers=delivery.headers,
                    timeout=max(0.1, min(self.timeout, deadline - time.monotonic())),
                )
                status = response.status_code
                if 200 <= status < 300:
                    return self._outcome(delivery, True, status, attempts, None, began)
                error = f"HTTP {status}"
                if status < 500 and status not in RETRYABLE_STATUS:
                    return self._outcome(
                        delivery,
                        False,
                        status,
                        attempts,
                        f"{error}: the receiver refused the message (not retried; check the "
                        "channel's URL and format)",
                        began,
                    )
                retry_after = _retry_after(response.headers.get("Retry-After"))
            except httpx.HTTPError as problem:
                status = None
                error = self._scrub(f"{problem.__class__.__name__}: {problem}", delivery)
            delay = min(self.backoff * 2 ** (attempts - 1), MAX_BACKOFF)
            if retry_after is not None:
                delay = max(delay, retry_after)
            if self._closing.is_set():
                why = f"{error}; stopped retrying after {attempts} attempt(s): the run ended"
                return self._outcome(delivery, False, status, attempts, why, began)
            if time.monotonic() + delay >= deadline:
                why = (
                    f"{error} after {attempts} attempt(s); gave up after "
                    f"{self.give_up_after:g}s of retrying"
                )
                return self._outcome(delivery, False, status, attempts, why, began)
            if self._closing.wait(delay):
                why = f"{error}; stopped retrying after {attempts} attempt(s): the run ended"
                return self._outcome(delivery, False, status, attempts, why, began)

    @staticmethod
    def _scrub(text: str, delivery: Delivery) -> str:
        parts = urlsplit(delivery.url)
        for secret in (delivery.url, parts.path, parts.query):
            if secret and len(secret) > 1:
                text = text.replace(secret, MASK)
        return text

    @staticmethod
    def _outcome(
        delivery: Delivery,
        ok: bool,
        status: int | None,
        attempts: int,
        error: str | None,
        began: float,
    ) -> Outcome:
        return Outcome(
            delivery_id=delivery.id,
            channel=delivery.channel,
            event=delivery.event,
            url=delivery.shown_url,
            ok=ok,
            status=status,
            attempts=attempts,
            error=error,
            seconds=round(time.monotonic() - began, 3),
            step_id=delivery.step_id,
        )


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: rare for webhooks; the backoff applies
