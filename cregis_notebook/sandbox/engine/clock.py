"""Clocks for the sandbox: the real one, and :class:`FakeClock` for tests and demos."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable

__all__ = ["DEFAULT_FAKE_START", "AsyncSleep", "Clock", "FakeClock", "async_sleep_for", "sleep_for"]

Clock = Callable[[], float]
"""Anything that returns the current time in epoch seconds (``time.time`` is one)."""

AsyncSleep = Callable[[float], Awaitable[None]]
"""An asynchronous wait of some seconds (``asyncio.sleep`` is one)."""

DEFAULT_FAKE_START = 1_735_689_600.0
"""2025-01-01T00:00:00Z: where a :class:`FakeClock` starts unless told otherwise."""


class FakeClock:
    """A clock that only moves when told to: ``clock()`` returns epoch seconds.

    Give the same instance to a :class:`~cregis_notebook.sandbox.Sandbox` and to a client; then
    ``clock.advance(10)`` makes ten seconds pass for both, instantly. It never goes backwards.
    """

    def __init__(self, start: float = DEFAULT_FAKE_START) -> None:
        self._now = float(start)
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self._now

    def __repr__(self) -> str:
        return f"FakeClock({self._now!r})"

    def advance(self, seconds: float) -> float:
        """Move the clock ``seconds`` forward (not backward); returns the new time."""
        if seconds < 0:
            raise ValueError(f"a FakeClock only moves forward, got advance({seconds!r})")
        with self._lock:
            self._now += float(seconds)
            return self._now

    def set(self, when: float) -> float:
        """Jump to epoch second ``when`` (not earlier than now); returns the new time."""
        with self._lock:
            if when < self._now:
                raise ValueError(f"a FakeClock only moves forward: {when} < {self._now}")
            self._now = float(when)
            return self._now

    def sleep(self, seconds: float) -> None:
        """Advance instead of waiting: what a sleep looks like in fake time."""
        if seconds > 0:
            self.advance(seconds)


def sleep_for(clock: Clock) -> Callable[[float], None]:
    """The blocking sleep that matches ``clock``: a FakeClock advances, anything else waits."""
    if isinstance(clock, FakeClock):
        return clock.sleep
    return time.sleep


def async_sleep_for(clock: Clock) -> AsyncSleep:
    """The asynchronous twin of :func:`sleep_for`: a FakeClock advances, anything else waits."""
    if isinstance(clock, FakeClock):
        fake = clock

        async def advance(seconds: float) -> None:
            fake.sleep(seconds)

        return advance
    return asyncio.sleep
