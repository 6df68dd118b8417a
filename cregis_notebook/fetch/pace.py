"""How many requests a fetch keeps in flight: additive increase, multiplicative decrease (AIMD).

A fetch starts with ``concurrency`` requests in flight. Each request runs in a :meth:`Pace.slot`,
which listens for the HTTP 429s the client meets (through
:func:`cregis_notebook._retry.rate_limit_listener`, as each one happens, before the client's
retry policy waits it out). On a 429 the window is multiplied by ``decrease`` (0.7), once per
round: 429s of requests sent before that cut do not cut it again. Then it holds for ``hold``
seconds (1), or the server's ``Retry-After`` when that is longer, and grows again by
``increase`` requests per second (2) while answers come back without a 429, never above
``concurrency``. With those defaults a fetch sustained 93-95% of a sandbox's rate limit with a
third to a fifth of the 429s of a fixed ``concurrency`` (``benchmarks/bench_ratelimit.py``;
docs/frames.md has the figures). The window is
a real number; :attr:`Pace.allowed` (its whole part, at least 1) is how many requests may be in
flight. Requests waiting for room wait in the slot, before anything is sent; a request that
met a 429 gives its slot back while the client waits out the ``Retry-After`` (its retry is
sent without waiting for room again).
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass

from .._retry import rate_limit_listener
from ..errors import CregisRateLimitError

__all__ = ["Pace", "PaceStep"]


@dataclass(frozen=True)
class PaceStep:
    """One change of :attr:`Pace.allowed`: when (the pace's clock), the window, and why."""

    at: float
    window: float
    reason: str  # "decrease" or "increase"


class Pace:
    """The AIMD window of one fetch, and the gate its workers pass for each request.

    Args:
        limit: the most requests in flight (the fetch's ``concurrency``); also the start.
        decrease: the factor applied to the window on a 429 (more than 0, at most 1; 1 keeps
            ``limit`` requests in flight whatever happens: no rate control).
        increase: requests added to the window per second of answers without a 429.
        hold: seconds after a decrease before the window grows (at least ``Retry-After``).
        clock: seconds (``time.monotonic``; a fake clock in tests).

    ``allowed``, ``in_flight``, ``waiting``, ``lowest``, ``limited`` and ``steps`` show what
    happened, and :meth:`summary` sums it up (a fetch that met 429s puts it in
    ``df.attrs["pace"]``).
    """

    def __init__(
        self,
        limit: int,
        *,
        decrease: float = 0.7,
        increase: float = 2.0,
        hold: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        if not 0 < decrease <= 1:
            raise ValueError(f"decrease must be more than 0 and at most 1, got {decrease}")
        if increase <= 0 or hold < 0:
            raise ValueError("increase must be positive and hold not negative")
        self.limit = limit
        self.decrease = decrease
        self.increase = increase
        self.hold = hold
        self.clock = clock
        self.window = float(limit)
        self.in_flight = 0
        self.lowest = limit
        """The fewest requests allowed in flight so far."""
        self.limited = 0
        """HTTP 429s heard."""
        self.steps: list[PaceStep] = []
        """Every change of :attr:`allowed`, in order."""
        self._round = 0  # one more after each cut; a request remembers the round it was sent in
        self._quiet_until = -math.inf
        self._grown_at = clock()
        self._lock = threading.Condition()
        self._waiters: list[asyncio.Future[None]] = []
        self._ahead = 0  # threads waiting with ahead=True
        self.waiting = 0
        """Threads waiting for room in :meth:`slot` now."""

    @property
    def allowed(self) -> int:
        """Requests that may be in flight now: the window's whole part, at least 1."""
        return max(1, int(self.window))

    # -- the arithmetic ------------------------------------------------------------------------

    def rate_limited(self, ticket: int, retry_after: float | None = None) -> None:
        """A request sent in round ``ticket`` met a 429 (``Retry-After``: ``retry_after`` s)."""
        with self._lock:
            self.limited += 1
            if ticket != self._round or self.decrease == 1:
                return  # sent before the last cut, which already answered this congestion
            now = self.clock()
            self._round += 1
            self.window = max(1.0, self.window * self.decrease)
            self._quiet_until = self._grown_at = now + max(self.hold, retry_after or 0.0)
            self.lowest = min(self.lowest, self.allowed)
            self.steps.append(PaceStep(now, self.window, "decrease"))

    def answered(self) -> None:
        """An answer without a 429 came back: the window grows with the time since the last."""
        with self._lock:
            now = self.clock()
            if now <= self._grown_at:
                return
            before = self.allowed
            grown = self.window + self.increase * (now - self._grown_at)
            self.window, self._grown_at = min(float(self.limit), grown), now
            if self.allowed > before:
                self.steps.append(PaceStep(now, self.window, "increase"))

    # -- the gate ------------------------------------------------------------------------------

    @contextmanager
    def slot(self, stop: threading.Event | None = None, *, ahead: bool = False) -> Iterator[bool]:
        """Wait for room, then run one request (``with pace.slot(stop) as admitted``).

        Yields False, without waiting further, once ``stop`` is set. The request's 429s are
        heard as they happen; an answer that comes back (no exception) counts as one.
        ``ahead``: the next room goes to this request before any other thread waiting without
        it (for a request others wait on).
        """
        with self._lock:
            self._ahead += ahead
            self.waiting += 1
            try:
                while not _stopped(stop) and (
                    self.in_flight >= self.allowed or (self._ahead and not ahead)
                ):
                    self._lock.wait(0.25)
            finally:
                self.waiting -= 1
                self._ahead -= ahead
                if ahead and not self._ahead:
                    self._lock.notify_all()  # the others' turn
            if _stopped(stop):
                ticket = None
            else:
                self.in_flight += 1
                ticket = self._round
        if ticket is None:
            yield False
            return
        parked: list[bool] = []
        try:
            with rate_limit_listener(lambda exc: self._heard(ticket, exc, parked)):
                yield True
            self.answered()
        finally:
            self._leave(parked)

    @asynccontextmanager
    async def aslot(self) -> AsyncIterator[None]:
        """:meth:`slot` for tasks on one event loop (``async with pace.aslot():``)."""
        while True:
            with self._lock:
                if self.in_flight < self.allowed:
                    self.in_flight += 1
                    ticket = self._round
                    break
                waiter = asyncio.get_running_loop().create_future()
                self._waiters.append(waiter)
            await waiter
        parked: list[bool] = []
        try:
            with rate_limit_listener(lambda exc: self._heard(ticket, exc, parked)):
                yield
            self.answered()
        finally:
            self._leave(parked)

    def _heard(self, ticket: int, exc: CregisRateLimitError, parked: list[bool]) -> None:
        """A 429 in a slot: cut, and give the slot back while the client waits to retry."""
        self.rate_limited(ticket, exc.retry_after)
        if not parked:
            parked.append(True)
            self._leave([])

    def _leave(self, parked: list[bool]) -> None:
        with self._lock:
            if not parked:
                self.in_flight -= 1
            self._lock.notify_all()
            waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.get_loop().call_soon_threadsafe(_wake, waiter)

    def summary(self) -> dict[str, int]:
        """What the rate control did: the concurrency asked for, the fewest and the final
        requests allowed in flight, the 429s heard, the decreases and the increases."""
        with self._lock:
            return {
                "concurrency": self.limit,
                "lowest": self.lowest,
                "final": self.allowed,
                "rate_limited": self.limited,
                "decreases": sum(s.reason == "decrease" for s in self.steps),
                "increases": sum(s.reason == "increase" for s in self.steps),
            }


def _stopped(stop: threading.Event | None) -> bool:
    return stop is not None and stop.is_set()


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
