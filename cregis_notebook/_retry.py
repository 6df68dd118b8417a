"""When and how long to wait before trying a read-only call again, and who hears of a 429."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from .errors import (
    CregisConnectError,
    CregisHTTPError,
    CregisRateLimitError,
    CregisResponseError,
    CregisTimeoutError,
    CregisTransportError,
)

__all__ = ["RetryPolicy", "hear_rate_limit", "rate_limit_listener"]

_LISTENER: ContextVar[Callable[[CregisRateLimitError], None] | None] = ContextVar(
    "cregis_rate_limit_listener", default=None
)


@contextmanager
def rate_limit_listener(listener: Callable[[CregisRateLimitError], None]) -> Iterator[None]:
    """Within this block (this thread or task only), ``listener`` hears of every HTTP 429 the
    client meets, as it happens, before the client waits it out (a fetch's rate control)."""
    token = _LISTENER.set(listener)
    try:
        yield
    finally:
        _LISTENER.reset(token)


def hear_rate_limit(exc: CregisRateLimitError) -> None:
    """Tell the current :func:`rate_limit_listener`, if any, of ``exc`` (the client calls it)."""
    listener = _LISTENER.get()
    if listener is not None:
        listener(exc)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter, bounded in attempts and in total waiting time.

    Only read-only endpoints are retried; calls that move money or create state never are.
    Retried: connection errors, timeouts, HTTP 429 (waiting at least its ``Retry-After``),
    HTTP 5xx, and a 2xx body that is not a readable envelope (a truncated answer from a proxy,
    say: repeating a read is harmless). ``RetryPolicy(attempts=1)`` (or ``retry=False`` on a
    client) turns retrying off.
    """

    attempts: int = 4
    backoff: float = 0.25
    max_backoff: float = 8.0
    max_wait: float = 30.0
    jitter: float = 0.25

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")
        if min(self.backoff, self.max_backoff, self.max_wait, self.jitter) < 0:
            raise ValueError("backoff, max_backoff, max_wait and jitter must not be negative")

    @staticmethod
    def is_transient(exc: BaseException) -> bool:
        """True for failures that another attempt may cure."""
        if isinstance(exc, CregisRateLimitError):
            return True
        if isinstance(exc, CregisHTTPError):
            return exc.status >= 500
        return isinstance(exc, (CregisConnectError, CregisTimeoutError, CregisResponseError))

    def delay(
        self,
        exc: CregisTransportError,
        attempt: int,
        waited: float,
        rng: random.Random | None = None,
    ) -> float | None:
        """Seconds to wait before attempt ``attempt + 1``, or ``None`` to give up.

        ``attempt`` counts from 1; ``waited`` is the time already spent waiting.
        """
        if attempt >= self.attempts or not self.is_transient(exc):
            return None
        base = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
        spread = (rng or random).uniform(-self.jitter, self.jitter) * base
        wait = max(0.0, base + spread)
        if isinstance(exc, CregisRateLimitError) and exc.retry_after is not None:
            wait = max(wait, exc.retry_after)
        if waited + wait > self.max_wait:
            return None
        return wait
