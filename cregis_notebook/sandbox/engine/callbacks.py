"""Deliver signed callbacks to merchant URLs, retrying with backoff until the reply is ``success``.

A delivery is due when the thing it reports reaches its final state. Each attempt POSTs the
JSON body (``Content-Type: application/json``) and counts as delivered only when the reply is
HTTP 2xx with the body ``success`` (surrounding whitespace ignored); otherwise it is tried again
after ``callback_backoff`` seconds, doubling each time up to a minute, for at most
``callback_attempts`` attempts. Every attempt is recorded in :attr:`Dispatcher.log`.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
from dataclasses import dataclass, field
from typing import Any

import httpx

__all__ = ["CallbackAttempt", "Delivery", "Dispatcher"]

log = logging.getLogger("cregis_notebook.sandbox")

_MAX_BACKOFF = 60.0
_REPLY_EXCERPT = 200


@dataclass(frozen=True)
class CallbackAttempt:
    """One POST of a callback: what was sent where, and what came back."""

    kind: str
    url: str
    body: dict[str, Any] = field(repr=False)
    attempt: int
    at: float
    status: int | None
    reply: str
    ok: bool
    error: str = ""


@dataclass
class Delivery:
    """A callback waiting to be (re)sent."""

    kind: str
    url: str
    body: dict[str, Any]
    due: float
    ack: str = "success"
    attempts: int = 0

    @property
    def payload(self) -> bytes:
        """The exact bytes that are posted."""
        return json.dumps(self.body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class Dispatcher:
    """The queue of callbacks to send, the HTTP client that sends them and the attempt log."""

    def __init__(
        self,
        *,
        transport: httpx.BaseTransport | None,
        timeout: float,
        attempts: int,
        backoff: float,
    ) -> None:
        self._heap: list[tuple[float, int, Delivery]] = []
        self._seq = itertools.count()
        self._transport = transport
        self._timeout = timeout
        self.max_attempts = attempts
        self.backoff = backoff
        self.log: list[CallbackAttempt] = []
        self._http: httpx.Client | None = None

    def __len__(self) -> int:
        return len(self._heap)

    def queue(self, delivery: Delivery) -> None:
        """Add ``delivery`` (sent when its ``due`` time comes)."""
        heapq.heappush(self._heap, (delivery.due, next(self._seq), delivery))

    def next_due(self) -> float | None:
        """When the next delivery is due, or ``None`` when nothing waits."""
        return self._heap[0][0] if self._heap else None

    def pop_due(self, now: float) -> list[Delivery]:
        """Remove and return every delivery due at ``now``."""
        out = []
        while self._heap and self._heap[0][0] <= now:
            out.append(heapq.heappop(self._heap)[2])
        return out

    def post(self, delivery: Delivery, now: float) -> CallbackAttempt:
        """Send ``delivery`` once (no lock held) and describe the outcome."""
        delivery.attempts += 1
        status: int | None = None
        reply, error = "", ""
        try:
            client = self._client()
            response = client.post(
                delivery.url,
                content=delivery.payload,
                headers={"Content-Type": "application/json"},
            )
            status = response.status_code
            reply = response.text[:_REPLY_EXCERPT]
        except (httpx.HTTPError, ValueError) as exc:  # bad URL, refused, timed out...
            error = f"{type(exc).__name__}: {exc}"
        ok = status is not None and 200 <= status < 300 and reply.strip() == delivery.ack
        if not ok:
            log.info(
                "callback %s to %s not acknowledged (%s)",
                delivery.kind,
                delivery.url,
                error or f"HTTP {status} {reply.strip()[:40]!r}",
            )
        return CallbackAttempt(
            kind=delivery.kind,
            url=delivery.url,
            body=delivery.body,
            attempt=delivery.attempts,
            at=now,
            status=status,
            reply=reply,
            ok=ok,
            error=error,
        )

    def retry_later(self, delivery: Delivery, now: float) -> bool:
        """Queue ``delivery`` again after its backoff; False when it has no attempts left."""
        if delivery.attempts >= self.max_attempts:
            return False
        delay = min(_MAX_BACKOFF, self.backoff * 2 ** (delivery.attempts - 1))
        delivery.due = now + delay
        self.queue(delivery)
        return True

    def _client(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client(
                transport=self._transport,
                timeout=self._timeout,
                follow_redirects=False,
                trust_env=False,
            )
        return self._http

    def close(self) -> None:
        """Close the HTTP client."""
        if self._http is not None:
            self._http.close()
            self._http = None
