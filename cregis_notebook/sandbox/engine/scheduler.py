"""The engine's time: actions due at given times, applied as the clock passes them.

With a :class:`~cregis_notebook.sandbox.engine.clock.FakeClock` nothing happens by itself: the
engine applies what is due whenever it is asked something. With the real clock a daemon thread
(started when first needed) wakes up when the next action or callback is due.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
from collections.abc import Callable

from .clock import Clock, FakeClock

__all__ = ["Action", "Scheduler"]

log = logging.getLogger("cregis_notebook.sandbox")

Action = Callable[[float], None]
"""Something that happens at a time; it is called with that time."""

_MAX_WAIT = 0.5
_MIN_WAIT = 0.01


class Scheduler:
    """A heap of timed actions, guarded by the engine's lock.

    ``catch_up(until)`` (optional) runs before each due action and once at the end of
    :meth:`advance`, so that a steady stream (live transactions) keeps pace with the actions.
    ``work()`` is what the background thread does each time it wakes (deliver callbacks), and
    ``next_due()`` says when it next has work besides the actions.
    """

    def __init__(
        self,
        clock: Clock,
        lock: threading.RLock,
        *,
        work: Callable[[], object],
        next_due: Callable[[], float | None],
        catch_up: Callable[[float], None] | None = None,
    ) -> None:
        self.clock = clock
        self.lock = lock
        self._work = work
        self._next_due = next_due
        self._catch_up = catch_up
        self._events: list[tuple[float, int, Action]] = []
        self._seq = itertools.count()
        self._closed = False
        self._held = True  # no background thread until release(): the state is being built
        self._pump: threading.Thread | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()

    def schedule(self, when: float, action: Action) -> None:
        """Do ``action`` at ``when`` (epoch seconds)."""
        heapq.heappush(self._events, (when, next(self._seq), action))
        self.kick()

    def advance(self, now: float) -> None:
        """Apply everything that has happened up to ``now`` (the caller holds the lock)."""
        while True:
            due = self._events[0][0] if self._events and self._events[0][0] <= now else None
            if self._catch_up is not None:
                self._catch_up(now if due is None else due)
            if due is None:
                return
            when, _, action = heapq.heappop(self._events)
            action(when)

    def next_time(self) -> float | None:
        """When the earliest pending action is due, if any (the caller holds the lock)."""
        return self._events[0][0] if self._events else None

    def release(self) -> None:
        """Let the background thread start (real clock only): the owner calls this once the
        state its actions and ``work`` touch is built."""
        self._held = False
        if self._events or self._next_due() is not None:
            self.kick()

    def kick(self) -> None:
        """Make sure the background thread runs and looks again (real clock only; not before
        :meth:`release`)."""
        if self._closed or self._held or isinstance(self.clock, FakeClock):
            return
        if self._pump is None:
            self._pump = threading.Thread(
                target=self._run, name="cregis-sandbox-callbacks", daemon=True
            )
            self._pump.start()
        self._wake.set()

    def close(self) -> None:
        """Stop the background thread (waits for it, unless called from it)."""
        self._closed = True
        self._stop.set()
        self._wake.set()
        pump = self._pump
        if pump is not None and pump is not threading.current_thread():
            pump.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._work()
            except Exception:  # keep the thread alive; the log says what happened
                log.exception("sandbox callback thread")
            with self.lock:
                times = [t for t in (self._next_due(), self.next_time()) if t is not None]
            wait = (
                _MAX_WAIT
                if not times
                else min(_MAX_WAIT, max(_MIN_WAIT, min(times) - self.clock()))
            )
            self._wake.wait(wait)
            self._wake.clear()
