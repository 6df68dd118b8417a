"""New rows of a project's trade table: their fee, block height and the row itself."""

from __future__ import annotations

import math
import random

import numpy as np

from .book import SUB
from .catalog import Catalog
from .market import block_height, chain_params
from .project import Project
from .trades import block_moment

__all__ = ["Ledger"]


class Ledger:
    """Writes the rows that transfers and deposits put on chain, with plausible fees."""

    def __init__(self, cat: Catalog, rng: random.Random) -> None:
        self.cat = cat
        self._rng = rng

    def fee_for(self, project: Project, cur: int) -> int:
        """A plausible network fee for a transfer of currency ``cur`` (native units)."""
        chain = int(self.cat.cur_chain[cur])
        params = chain_params(self.cat.chains[chain].chain_id)
        native = self.cat.native[chain]
        dec = self.cat.currencies[native].decimals
        typical = (
            params.native_fee
            if self.cat.currencies[cur].native
            else (params.token_fee or params.native_fee)
        )
        raw = typical * math.exp(self._rng.gauss(0, 0.3)) * 10**dec
        quantum = 10 ** (dec - self.cat.scale[native])
        return max(1, round(raw / quantum)) * quantum

    def fee_in_amount_units(self, cur: int, fee: int) -> int:
        """A native fee expressed in the stored units of native currency ``cur``."""
        dec = self.cat.currencies[cur].decimals
        return fee // 10 ** (dec - self.cat.scale[cur])

    def settle_balances(self, p: Project, row: int, status: int) -> None:
        """What pending row ``row`` reaching final ``status`` (1 or 2) does to the balance of the
        sub-address it leaves, by the ledger rule (docs/sandbox.md, "Ledger").

        The amount and the native fee it held as ``processing`` are released: on success both are
        spent; on failure the amount comes back to ``available`` and the fee is spent (a failed
        transaction still pays for its gas). A row that leaves no sub-address changes nothing
        here (a deposit is credited by ``Deposits.credit``).
        """
        tr = p.trades
        frm, cur = tr.value("frm", row), tr.value("cur", row)
        if p.book.role_of(frm) != SUB:
            return
        amount = tr.value("amount", row)
        native = self.cat.native[int(self.cat.cur_chain[cur])]
        balance = p.balance(frm, cur)
        balance[1] -= amount
        if status != 1:
            balance[0] += amount
        p.balance(frm, native)[1] -= self.fee_in_amount_units(native, tr.value("fee", row))

    def write(self, p: Project, *, at: float, txid: str | None, **columns: int) -> int:
        """Append one row that happens at ``at`` and return its index.

        Its block time is ``at`` to the millisecond below (:func:`~.trades.block_moment`).
        ``columns`` are the trade table's stored columns other than the time and the height.
        """
        bt, ms = (int(v) for v in block_moment(at))
        cur = columns["cur"]
        batch = {
            **columns,
            "bt": bt,
            "ms": ms,
            "height": block_height(self.cat.currencies[cur].chain_id, bt),
        }
        row = p.trades.append({k: np.asarray([v]) for k, v in batch.items()}).start
        if txid:
            p.trades.set_txid(row, txid)
        return row
