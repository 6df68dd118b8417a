"""When a pending transaction settles: the seeded delay, the outcome, and the plan of a batch.

A pending row (status 0) reaches its final status at a seeded time after its block time:

* the delay is lognormal with a median of :data:`SETTLE_MEDIAN` (10 minutes) and a log-scale
  spread of :data:`SETTLE_SIGMA` (so about 1 in 10 takes longer than 36 minutes and 1 in 100
  longer than 1 h 42 min), never less than :data:`SETTLE_MIN` (1 minute) and never more than
  :data:`SETTLE_MAX` (6 hours) after the block time;
* the outcome is success, or failed for :data:`FAILED_SHARE` of them (1 in 10).

In live mode :data:`LIVE_PENDING_SHARE` of the new rows (1 in 20) arrive pending.

Every draw comes from a generator of its own (seeded from the sandbox's seed), so the rest of
the seeded history is the same with or without these draws.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "FAILED_SHARE",
    "LIVE_PENDING_SHARE",
    "SETTLE_MAX",
    "SETTLE_MEDIAN",
    "SETTLE_MIN",
    "SETTLE_SIGMA",
    "SettlePlan",
    "settle_delays",
    "settle_outcomes",
]

SETTLE_MEDIAN = 600.0
"""The median delay from a pending row's block time to its final status (seconds)."""

SETTLE_SIGMA = 1.0
"""The spread of the delay's logarithm."""

SETTLE_MIN = 60
"""The shortest delay (seconds)."""

SETTLE_MAX = 6 * 3600
"""The longest delay (seconds): no row older than this is pending (unless ``stuck_pending``)."""

FAILED_SHARE = 0.1
"""The share of pending rows that end failed rather than successful."""

LIVE_PENDING_SHARE = 0.05
"""The share of live-mode rows that arrive pending."""


def settle_delays(rng: np.random.Generator, count: int, longest: np.ndarray | int) -> np.ndarray:
    """``count`` whole-second delays from the distribution, each at most ``longest``."""
    delay = np.exp(rng.normal(np.log(SETTLE_MEDIAN), SETTLE_SIGMA, count))
    return np.clip(np.round(delay), SETTLE_MIN, longest).astype(np.int64)


def settle_outcomes(rng: np.random.Generator, count: int) -> np.ndarray:
    """``count`` final statuses: 1 (success), or 2 (failed) for :data:`FAILED_SHARE` of them."""
    return np.where(rng.random(count) < FAILED_SHARE, 2, 1).astype(np.int64)


@dataclass
class SettlePlan:
    """Pending rows of one project and when and how each settles (equal-length arrays).

    What a row holds on its sending sub-address until then, as the seeded balances were built:
    ``lock`` units of its own coin as ``processing`` (a sweep or withdrawal in progress holds
    the deposit it spends), of which ``refund`` go back to ``available`` if it fails, and
    ``gas`` units of its chain's native coin as ``processing`` (released either way). All 0
    for rows that hold nothing.
    """

    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    at: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    status: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    lock: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    refund: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    gas: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @classmethod
    def for_seeded(
        cls,
        rng: np.random.Generator,
        bt: np.ndarray,
        status: np.ndarray,
        t_end: int,
        *,
        lock: np.ndarray,
        refund: np.ndarray,
        gas: np.ndarray,
    ) -> SettlePlan:
        """The plan of a seeded history ending at ``t_end`` (columns in row order).

        A row still pending at the end settles a delay drawn as above after the end (so its
        whole delay is its age at the end plus that), and at most :data:`SETTLE_MAX` after its
        block time.
        """
        rows = np.flatnonzero(status == 0).astype(np.int64)
        age = t_end - bt[rows]
        wait = settle_delays(rng, len(rows), np.maximum(SETTLE_MAX - age, SETTLE_MIN))
        return cls(
            rows=rows,
            at=t_end + wait,
            status=settle_outcomes(rng, len(rows)),
            lock=lock[rows].astype(np.int64),
            refund=refund[rows].astype(np.int64),
            gas=gas[rows].astype(np.int64),
        )
