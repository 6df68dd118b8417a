"""New rows of a project's trade table: their fee, block height and the row itself."""

from __future__ import annotations

import math
import random

import numpy as np

from .catalog import Catalog
from .market import block_height, chain_params
from .project import Project, ceil_second

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

    def millis(self) -> int:
        """The milliseconds part of a new row's time."""
        return self._rng.randrange(1000)

    def write(
        self,
        p: Project,
        *,
        at: float,
        ms: int,
        txid: str | None,
        **columns: int,
    ) -> int:
        """Append one row at ``at`` (block time: the next whole second) and return its index.

        ``columns`` are the trade table's stored columns other than the time and the height.
        """
        bt = ceil_second(at)
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
