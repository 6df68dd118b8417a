"""Pending trade rows reaching their final status as the clock passes their settle times.

What settling a row does, at its time (see :mod:`.pending` for when and how): the row's status
becomes success or failed (every endpoint that shows the row shows the new status from then
on); a sweep or withdrawal in progress releases what it held as ``processing`` by the ledger
rule (:meth:`.ledger.Ledger.settle_balances`: amount and native fee spent on success, the amount
back to ``available`` on failure; the :class:`~.pending.SettlePlan` records the same ``lock``,
``refund`` and ``gas``); a deposit is credited on success and sends its
address-deposit callback (and settles a legacy deposit order waiting on its address), exactly
as a deposit that arrives final does.
"""

from __future__ import annotations

import heapq
import itertools

import numpy as np

from .deposits import Deposits
from .pending import SETTLE_MAX, SettlePlan, settle_delays, settle_outcomes
from .project import Project
from .scheduler import Scheduler
from .trades import DEPOSIT

__all__ = ["Settlements"]


class Settlements:
    """The settle times of every project's pending rows, applied through the scheduler.

    Only the earliest one is scheduled at a time; when it fires, every row due by then settles
    (in time order) and the next one is scheduled.
    """

    def __init__(self, scheduler: Scheduler, deposits: Deposits, seed: int) -> None:
        self.scheduler = scheduler
        self.deposits = deposits
        self._rng = np.random.default_rng([seed, 0x5E77, 0xD0])  # rows pending on demand
        self._queue: list[tuple[float, int, int, int, tuple[int, int, int], Project]] = []
        self._seq = itertools.count()
        self._armed: float | None = None

    def add(self, p: Project, plan: SettlePlan) -> None:
        """Settle the rows of ``plan`` (rows of project ``p``) at their times."""
        held = zip(plan.lock.tolist(), plan.refund.tolist(), plan.gas.tolist(), strict=True)
        columns = (plan.at.tolist(), plan.rows.tolist(), plan.status.tolist(), held)
        for at, row, status, holds in zip(*columns, strict=True):
            self._queue.append((float(at), next(self._seq), row, status, holds, p))
        heapq.heapify(self._queue)
        self._arm()

    def add_row(self, p: Project, row: int, at: float, status: int) -> None:
        """Settle one pending row of ``p`` (which holds nothing) to ``status`` at ``at``."""
        heapq.heappush(self._queue, (float(at), next(self._seq), row, status, (0, 0, 0), p))
        self._arm()

    def add_drawn(self, p: Project, row: int) -> None:
        """Settle a pending row made on demand after a delay and to an outcome drawn for it."""
        at = p.trades.value("bt", row) + int(settle_delays(self._rng, 1, SETTLE_MAX)[0])
        self.add_row(p, row, at, int(settle_outcomes(self._rng, 1)[0]))

    def upcoming(self, p: Project) -> list[tuple[float, int, int]]:
        """``(time, row, final status)`` of each row of ``p`` still to settle, earliest first."""
        return sorted((at, row, status) for at, _, row, status, _, q in self._queue if q is p)

    def _arm(self) -> None:
        if self._queue and (self._armed is None or self._queue[0][0] < self._armed):
            self._armed = self._queue[0][0]
            self.scheduler.schedule(self._armed, self._fire)

    def _fire(self, when: float) -> None:
        if self._armed is not None and self._armed <= when:
            self._armed = None
        while self._queue and self._queue[0][0] <= when:
            at, _, row, status, holds, p = heapq.heappop(self._queue)
            self._settle(p, row, status, holds, at)
        self._arm()

    def _settle(
        self, p: Project, row: int, status: int, holds: tuple[int, int, int], at: float
    ) -> None:
        tr = p.trades
        tr.settle(row, status)
        if any(holds):  # what the spend held is released by the one ledger rule
            self.deposits.ledger.settle_balances(p, row, status)
        if tr.value("kind", row) == DEPOSIT:
            self.deposits.credit(p, row, at)
