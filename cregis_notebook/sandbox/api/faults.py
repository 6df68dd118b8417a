"""Misbehaviour on demand: latency, a rate limit (HTTP 429) and injected failures.

Decided per request before the endpoint runs; the transports and the ASGI app carry it out.
A request refused by the rate limit or failed with an HTTP 5xx or a dropped connection is not
processed; a "malformed" failure is processed and its body is cut short.
"""

from __future__ import annotations

import math
import random
import threading
from dataclasses import dataclass

from ..engine.knobs import Knobs

__all__ = ["HTML_5XX", "Decision", "Faults"]

HTML_5XX = {
    500: b"<html><head><title>500 Internal Server Error</title></head><body><center>"
    b"<h1>500 Internal Server Error</h1></center><hr><center>nginx</center></body></html>\n",
    503: b"<html><head><title>503 Service Temporarily Unavailable</title></head><body>"
    b"<center><h1>503 Service Temporarily Unavailable</h1></center><hr><center>nginx</center>"
    b"</body></html>\n",
}


@dataclass(frozen=True)
class Decision:
    """What to do with one request: wait ``delay`` seconds, then ``action``.

    ``action`` is ``"serve"``, ``"limit"`` (HTTP 429, ``retry_after`` seconds), ``"http_5xx"``
    (``status`` 500 or 503), ``"drop"`` or ``"malformed"``.
    """

    delay: float
    action: str = "serve"
    retry_after: int = 0
    status: int = 200


class Faults:
    """Latency, token-bucket rate limit and failure injection, from the knobs."""

    def __init__(self, knobs: Knobs, seed: int) -> None:
        self.knobs = knobs
        self._rng = random.Random(f"{seed}:faults")
        self._lock = threading.Lock()
        rate = knobs.rate_limit
        self._burst = float(knobs.rate_burst or (max(1, math.ceil(rate)) if rate else 1))
        self._tokens = self._burst
        self._last: float | None = None
        self.served = 0
        self.limited = 0
        self.failed = 0

    def decide(self, now: float) -> Decision:
        """The fate of a request arriving at ``now``."""
        k = self.knobs
        with self._lock:
            delay = k.latency_ms / 1000
            if k.jitter_ms:
                delay += self._rng.uniform(-k.jitter_ms, k.jitter_ms) / 1000
            delay = max(0.0, delay)
            if k.rate_limit is not None:
                if self._last is not None:
                    self._tokens = min(
                        self._burst, self._tokens + (now - self._last) * k.rate_limit
                    )
                self._last = now
                if self._tokens < 1:
                    self.limited += 1
                    wait = max(1, math.ceil((1 - self._tokens) / k.rate_limit))
                    return Decision(delay, "limit", retry_after=wait, status=429)
                self._tokens -= 1
            if k.failure_rate and self._rng.random() < k.failure_rate:
                self.failed += 1
                kind = self._rng.choice(k.failures)
                status = self._rng.choice((500, 503)) if kind == "http_5xx" else 200
                return Decision(delay, kind, status=status)
            self.served += 1
            return Decision(delay)
