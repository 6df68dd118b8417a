"""Deposits: money arriving at project addresses, and the legacy deposit orders (2023).

A deposit is a new trade row; a successful one credits the address's balance; a final one
(success or failure) sends the address-deposit callback to the address's ``callback_url`` and
settles a legacy deposit order waiting on that address.
"""

from __future__ import annotations

import math
import random
import string
from decimal import Decimal
from typing import Any

import numpy as np

from ...errors import SandboxError
from .amounts import decimal_places, format_units, parse_amount, to_units
from .catalog import Catalog
from .ledger import Ledger
from .outbox import Outbox
from .project import DepositOrder, Project
from .scheduler import Scheduler
from .trades import DEPOSIT

__all__ = ["Deposits", "deposit_callback_record", "deposit_callback_records"]

_TXID = frozenset(string.ascii_letters + string.digits + "_-")


def deposit_callback_record(p: Project, row: int) -> dict[str, Any]:
    """The fields of the address-deposit callback of the deposit in trade row ``row``."""
    return deposit_callback_records(p, np.array([row], dtype=np.int64))[0]


def deposit_callback_records(p: Project, rows: np.ndarray) -> list[dict[str, Any]]:
    """:func:`deposit_callback_record` of each of ``rows`` (read column by column)."""
    tr, cat = p.trades, p.cat
    col = {k: tr.cols[k][rows].tolist() for k in ("cid", "cur", "status", "height", "bt", "ms")}
    amounts, memos = tr.cols["amount"][rows].tolist(), tr.cols["memo"][rows].tolist()
    txids, addresses = tr.txids(rows), p.book.texts(tr.cols["to"][rows].tolist())
    out = []
    for i, cur in enumerate(col["cur"]):
        c = cat.currencies[cur]
        out.append(
            {
                "cid": col["cid"][i],
                "chain_id": c.chain_id,
                "token_id": c.token_id,
                "currency": c.symbol,
                "address": addresses[i],
                "amount": format_units(amounts[i], cat.scale[cur]),
                "status": col["status"][i],
                "txid": txids[i],
                "block_height": col["height"][i],
                "block_time": col["bt"][i] * 1000 + col["ms"][i],
                "memo": tr.text(memos[i]),
            }
        )
    return out


class Deposits:
    """Makes deposits arrive (on demand, or at a steady rate) and runs legacy deposit orders."""

    def __init__(
        self,
        cat: Catalog,
        rng: random.Random,
        scheduler: Scheduler,
        ledger: Ledger,
        outbox: Outbox,
    ) -> None:
        self.cat = cat
        self._rng = rng
        self.scheduler = scheduler
        self.ledger = ledger
        self.outbox = outbox

    def simulate(
        self,
        p: Project,
        address: str,
        currency: str,
        amount: str | Decimal | int,
        *,
        status: int,
        txid: str | None,
        at: float,
    ) -> int:
        """Check a ``simulate_deposit`` call and make the deposit arrive; returns its row."""
        if status not in (0, 1, 2):
            raise SandboxError(
                f"status must be 0 (pending), 1 (success) or 2 (failed), got {status!r}"
            )
        gid = p.sub_address(address)
        if gid is None:
            raise SandboxError(f"{address!r} is not an address of project {p.pid}")
        cur = self.cat.currency_index(currency)
        if cur is None:
            raise SandboxError(f"unknown currency {currency!r} (use chain_id@token_id or a name)")
        if int(self.cat.cur_chain[cur]) != p.book.chain_of(gid):
            raise SandboxError(f"{currency} is not on the chain of {address}")
        units = self._units(cur, amount)
        if txid is not None and (not txid or not set(txid) <= _TXID):
            raise SandboxError("txid must be letters, digits, '_' or '-'")
        return self.arrive(p, gid, cur, units, status, at, txid)

    def _units(self, cur: int, amount: str | Decimal | int) -> int:
        number = parse_amount(amount)
        if number <= 0:
            raise SandboxError(f"amount must be positive, got {amount!r}")
        if decimal_places(number) > self.cat.scale[cur]:
            raise SandboxError(f"amount {amount} has more than {self.cat.scale[cur]} decimals")
        return to_units(number, self.cat.scale[cur])

    def arrive(
        self,
        p: Project,
        gid: int,
        cur: int,
        units: int,
        status: int,
        at: float,
        txid: str | None = None,
    ) -> int:
        """A deposit of ``units`` of ``cur`` into address ``gid`` at ``at``; returns its row."""
        externals = p.seeded.externals[int(self.cat.cur_chain[cur])]
        cid = p.next_cid()
        frm = externals[self._rng.randrange(len(externals))]
        row = self.ledger.write(
            p,
            at=at,
            txid=txid,
            cid=cid,
            cur=cur,
            status=status,
            ttype=1,
            btype=3,
            kind=DEPOSIT,
            frm=frm,
            to=gid,
            amount=units,
            fee=self.ledger.fee_for(p, cur),
            memo=0,
            remark=0,
        )
        self.credit(p, row, at)
        return row

    def credit(self, p: Project, row: int, at: float) -> None:
        """Credit the balance and send the callbacks a new deposit row causes."""
        tr = p.trades
        gid, cur, status = tr.value("to", row), tr.value("cur", row), tr.value("status", row)
        if status == 1:
            p.balance(gid, cur)[0] += tr.value("amount", row)
        info = p.book.info.get(gid)
        if status in (1, 2) and info is not None and info.callback_url:
            record = deposit_callback_record(p, row)
            self.outbox.send(p, "callback_address_deposit", info.callback_url, record, at)
        cid = p.deposit_by_gid.get(gid)
        if cid is not None and status in (1, 2):
            d = p.deposits[cid]
            if d.status == 0 and d.cur == cur:
                d.status = 1 if status == 1 else 2
                d.row = row
                d.closed_at = at
                if status == 1:
                    d.real_amount = Decimal(tr.amount_text(row))
                record = self.record(p, d)
                record["cid"] = d.cid
                record["status"] = 2 if status == 1 else 3  # the callback's own numbering
                self.outbox.send(p, "callback_order_deposit", d.callback_url, record, at)

    def stream(self, p: Project, rate: float, at: float) -> None:
        """One deposit of a steady stream into an address created through the API; the next
        one is scheduled ``1 / rate`` seconds later."""
        if p.created_subs:
            gid = p.created_subs[self._rng.randrange(len(p.created_subs))]
            if p.book.info[gid].status == "0":
                coins = self.cat.of_chain(p.book.chain_of(gid))
                cur = coins[self._rng.randrange(len(coins))]
                usd = min(50_000.0, math.exp(self._rng.gauss(math.log(80), 1.2)))
                price = float(self.cat.price[cur])
                scale = self.cat.scale[cur]
                units = max(1, round(usd / price * 10 ** min(scale, 6))) * 10 ** (
                    scale - min(scale, 6)
                )
                self.arrive(p, gid, cur, units, 1, at)
        self.scheduler.schedule(at + 1 / rate, lambda when: self.stream(p, rate, when))

    # -- legacy deposit orders ----------------------------------------------------------------

    def start_order(self, p: Project, d: DepositOrder) -> None:
        """Schedule the timeout of a legacy deposit order."""

        def expire(at: float) -> None:
            if d.status == 0:
                d.status = 3
                d.closed_at = at
                record = self.record(p, d)
                record["cid"] = d.cid
                record["status"] = 4
                self.outbox.send(p, "callback_order_deposit", d.callback_url, record, at)

        self.scheduler.schedule(d.created + d.timeout_min * 60, expire)

    def record(self, p: Project, d: DepositOrder) -> dict[str, Any]:
        """The ``deposit_query`` record of a legacy deposit order."""
        c = self.cat.currencies[d.cur]
        record: dict[str, Any] = {
            "pid": p.pid,
            "address": p.book.text(d.gid),
            "chain_id": c.chain_id,
            "token_id": c.token_id,
            "currency": c.symbol,
            "amount": d.amount,
            "real_amount": d.real_amount,
            "status": d.status,
            "third_party_id": d.third_party_id,
            "txid": "",
            "block_height": "",
            "block_time": None,
        }
        if d.row is not None:
            tr = p.trades
            record.update(
                txid=tr.txid(d.row),
                block_height=tr.value("height", d.row),
                block_time=tr.time_ms(d.row),
            )
        return record
