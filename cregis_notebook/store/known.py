"""What the store holds of a project's trades, asked as an incremental sync needs it.

A sync asks four things of the rows it holds: which are stored as pending, how many fall in the
lookback, the block times around the rows that settled, and where the stored copies of the
fetched rows are. Each is one filtered read of the table at one version. The filters fall on
``status``, ``block_time`` and ``cid``, whose least and greatest values every file of the table
records (Delta statistics, and those of each Parquet row group), so a read opens only the
files that may hold an answer. A later sync therefore reads about as much as it fetches, not
the whole history: on 1,000,000 stored rows, reading the three columns whole took 0.1 s of
CPU; opening the table takes about 20 ms, and each filtered read 4-11 ms.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
from deltalake import DeltaTable

from . import delta
from .schema import MONTH, TIME, month_of

__all__ = ["PENDING", "Known"]

PENDING = 0
"""``trade_page``'s ``status`` of a transaction waiting for confirmation."""


class Known:
    """A project's stored trades at one version of the table, read by filters (see the module
    docstring); the reads may run on several threads at once."""

    def __init__(self, path: Any, pid: int) -> None:
        """Project ``pid``'s rows of the trades table at ``path``, at its last commit."""
        self.table = DeltaTable(str(path))  # its version: that of every read below
        self.source = delta.dataset(path, {"pid": pid}, table=self.table)
        self.pid = pid
        self.mine = pc.field("pid") == pid

    def scan(self, columns: list[str], expr: ds.Expression) -> pa.Table:
        """``columns`` of this project's rows that ``expr`` keeps, read on the calling thread
        (leaving the other cores to the work going on meanwhile)."""
        return self.source.to_table(columns=columns, filter=self.mine & expr, use_threads=False)

    def inside(self, start: int, end: int) -> ds.Expression:
        """Rows whose block time's second is from ``start`` to ``end`` (inclusive, epoch
        seconds)."""
        low = pa.scalar(start * 1_000_000, TIME)
        high = pa.scalar((end + 1) * 1_000_000, TIME)
        return (pc.field("block_time") >= low) & (pc.field("block_time") < high)

    def between(self, start: int, end: int) -> int:
        """The rows from ``start`` to ``end`` (inclusive, epoch seconds)."""
        return int(self.source.count_rows(filter=self.mine & self.inside(start, end)))

    def seconds(self, start: int, end: int) -> np.ndarray:
        """The rows' seconds from ``start`` to ``end`` (inclusive), sorted."""
        times = self.scan(["block_time"], self.inside(start, end)).column(0)
        return np.sort(_seconds(times).to_numpy())

    def pending(self, before: int) -> pd.DataFrame:
        """The rows stored as pending before ``before`` (epoch seconds): ``cid``, ``second``."""
        early = pc.field("block_time") < pa.scalar(before * 1_000_000, TIME)
        rows = self.scan(["cid", "block_time"], (pc.field("status") == PENDING) & early)
        return pa.table(
            {"cid": rows.column("cid"), "second": _seconds(rows["block_time"])}
        ).to_pandas()

    def holding(self, keys: pd.Series) -> ds.Dataset:
        """The files of this project that may hold a row of ``keys`` (cids), by the least and
        greatest ``cid`` of each (:func:`.delta.holding`)."""
        return delta.holding(self.source, self.table, "cid", _sorted(keys))

    def where(self, keys: pd.Series) -> pa.Table:
        """The stored rows of ``keys`` (cids): ``pid``, ``month`` and ``block_time``, where a
        merge of rows with those keys finds its matches (see :func:`.delta.upsert`). The month
        is that of the stored time, as :func:`.schema.to_delta` wrote it."""
        wanted = _sorted(keys)
        rows = delta.holding(self.source, self.table, "cid", wanted).to_table(
            columns=["block_time"], filter=self.mine & pc.field("cid").isin(pa.array(wanted)),
            use_threads=False,
        )  # fmt: skip
        times = rows.column(0)
        return pa.table({
            "pid": pa.array(np.full(len(times), self.pid, np.int64)),
            MONTH: month_of(times),
            "block_time": times,
        })  # fmt: skip


def _sorted(keys: pd.Series) -> np.ndarray:
    """The keys given, without the missing ones, sorted and each once."""
    return np.unique(keys.dropna().to_numpy(np.int64))


def _seconds(times: pa.ChunkedArray) -> pa.ChunkedArray:
    """Each time in whole seconds (epoch)."""
    return pc.cast(times, pa.timestamp("s", "UTC"), safe=False).cast(pa.int64())
