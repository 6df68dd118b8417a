"""Payouts, withdrawals and collections: funds locked at the start, the final state on time."""

from __future__ import annotations

from typing import Any

from .catalog import Catalog
from .ledger import Ledger
from .outbox import Outbox
from .project import FAILED, SUCCESS, Project, Transfer, wallet_of
from .scheduler import Scheduler
from .trades import FEE, PAYOUT, SWEEP, WITHDRAWAL

__all__ = ["CALLBACK_STATUSES", "Transfers", "transfer_callback"]

CALLBACK_STATUSES = (2, 4, 6, 7)
"""The final statuses a payout or withdrawal is called back at."""


def transfer_callback(
    p: Project, cid: int, kind: int, at: float, txid: str | None = None
) -> tuple[str, dict[str, Any]]:
    """The callback name and fields of payout or withdrawal ``cid`` as of ``at`` (``txid``: its
    row's hash, when known already)."""
    record: dict[str, Any] = dict(p.transfer_record(cid, kind, at, txid) or {})
    record["cid"] = cid
    return ("callback_payout" if kind == PAYOUT else "callback_sub_address_withdrawal"), record


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
            if t.kind in (SWEEP, WITHDRAWAL) and not self.cat.currencies[t.cur].native:
                self._gas(p, t, at)
            t.row = self.ledger.write(
                p,
                at=at,
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
        if called and t.status_at(at) in CALLBACK_STATUSES:
            t.callback_sent = True
            name, record = transfer_callback(p, t.cid, t.kind, at)
            self.outbox.send(p, name, t.callback_url, record, at)

    def _gas(self, p: Project, t: Transfer, at: float) -> None:
        """The wallet's gas top-up of a token spend's fee: the chain charges that fee to the
        sub-address in the native coin, so its native balance ends where it was."""
        native = self.cat.native[int(self.cat.cur_chain[t.cur])]
        self.ledger.write(
            p,
            at=at,
            txid=None,
            cid=p.next_cid(),
            cur=native,
            status=1,
            ttype=2,
            btype=4,
            kind=FEE,
            frm=wallet_of(p, t.cur),
            to=t.frm,
            amount=self.ledger.fee_in_amount_units(native, t.fee),
            fee=self.ledger.fee_for(p, native),
            memo=0,
            remark=0,
        )
