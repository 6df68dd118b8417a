"""Payouts, withdrawals and collections: funds locked at the start, the final state on time."""

from __future__ import annotations

from .catalog import Catalog
from .ledger import Ledger
from .outbox import Outbox
from .project import FAILED, SUCCESS, Project, Transfer
from .scheduler import Scheduler
from .trades import PAYOUT, SWEEP, WITHDRAWAL

__all__ = ["Transfers"]

_CALLBACK_STATUSES = (2, 4, 6, 7)
"""The final statuses a payout or withdrawal is called back at."""


class Transfers:
    """Starts transfers and finishes them when the scheduler reaches their final time."""

    def __init__(self, cat: Catalog, scheduler: Scheduler, ledger: Ledger, outbox: Outbox):
        self.cat = cat
        self.scheduler = scheduler
        self.ledger = ledger
        self.outbox = outbox

    def start(self, p: Project, t: Transfer, *, lock: int) -> None:
        """Record a new transfer, lock ``lock`` units of its funds, schedule its final state."""
        p.transfers[t.cid] = t
        if lock:
            balance = p.balance(t.frm, t.cur)
            balance[0] -= lock
            balance[1] += lock
            t.locked = lock
        self.scheduler.schedule(t.final_time, lambda at: self._finish(p, t, at))

    def _finish(self, p: Project, t: Transfer, at: float) -> None:
        if t.locked:
            balance = p.balance(t.frm, t.cur)
            balance[1] -= t.locked
            if t.outcome == FAILED and self.cat.currencies[t.cur].native:
                balance[0] += t.locked - self.ledger.fee_in_amount_units(t.cur, t.fee)
            elif t.outcome != SUCCESS:
                balance[0] += t.locked
        if t.goes_on_chain:
            t.row = self.ledger.write(
                p,
                at=at,
                ms=self.ledger.millis(),
                txid=t.txid,
                cid=t.cid,
                cur=t.cur,
                status=1 if t.outcome == SUCCESS else 2,
                ttype=2,
                btype=5 if t.kind == SWEEP else 0,
                kind=t.kind,
                frm=t.frm,
                to=t.to,
                amount=t.amount,
                fee=t.fee,
                memo=p.trades.text_id(t.memo),
                remark=p.trades.text_id(t.remark),
            )
        called = t.kind in (PAYOUT, WITHDRAWAL) and t.callback_url and not t.callback_sent
        if called and t.status_at(at) in _CALLBACK_STATUSES:
            t.callback_sent = True
            record = p.transfer_record(t.cid, t.kind, at) or {}
            record["cid"] = t.cid
            name = "callback_payout" if t.kind == PAYOUT else "callback_sub_address_withdrawal"
            self.outbox.send(p, name, t.callback_url, record, at)
