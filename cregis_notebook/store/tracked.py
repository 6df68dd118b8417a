"""Tracked tables: ``payouts`` and ``withdrawals`` hold the latest known state of every tracked
id. No list endpoint returns them, so the store remembers which ids to ask about (in the Delta
table ``_cregis/tracked``): those the user lists (:meth:`Store.track`, ids or a CSV with a
``cid`` column) and those that arrive in a callback (:meth:`Store.add_callbacks`). Each sync
asks again about every tracked id of its project not yet in a final state, one call per id
(the query endpoints take one ``cid``), and upserts the answers by ``cid``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .._values import exact_int
from ..errors import CregisStoreError
from . import delta
from .layout import Layout
from .schema import TABLES, TableSpec

__all__ = ["FINAL", "TRACKED", "open_ids", "track", "tracked_ids"]

TRACKED = ("payouts", "withdrawals")
"""The tables whose rows are asked about by id."""

FINAL = {"payouts": {2, 3, 4, 6, 7}, "withdrawals": {2, 4, 6, 7}}
"""The ``status`` values after which a payout or withdrawal never changes (rejected,
cancelled, success, failed)."""

_SPEC = TableSpec("tracked", "", ("table", "cid"), None, ())


def _ids(ids: Iterable[Any] | str | os.PathLike[str]) -> list[int]:
    if isinstance(ids, (str, os.PathLike)):
        frame = pd.read_csv(Path(ids), dtype=str)
        if "cid" not in frame.columns:
            raise CregisStoreError(f"{ids}: a CSV of requests needs a 'cid' column")
        ids = frame["cid"].dropna().tolist()
    out = []
    for value in ids:
        cid = exact_int(value)
        if cid is None:
            raise CregisStoreError(f"{value!r} is not a cid (a whole number)")
        out.append(cid)
    return out


def track(layout: Layout, table: str, ids: Iterable[Any] | str | os.PathLike[str]) -> int:
    """Remember ``ids`` of ``table`` (one commit); how many were new."""
    if table not in TRACKED:
        raise CregisStoreError(f"{table!r} is not tracked by id; tracked tables: {TRACKED}")
    wanted = sorted(set(_ids(ids)) - set(tracked_ids(layout, table)))
    if not wanted:
        return 0
    rows = pa.table({"table": pa.array([table] * len(wanted)), "cid": pa.array(wanted, pa.int64())})
    return delta.append(layout.meta / "tracked", rows, _SPEC, {"tracked": table}, partitioned=False)


def tracked_ids(layout: Layout, table: str) -> list[int]:
    path = layout.meta / "tracked"
    if not delta.exists(path):
        return []
    rows = delta.read(path, pc.field("table") == table, columns=["cid"])
    return sorted(set(rows.column("cid").to_pylist()))


def open_ids(layout: Layout, table: str, pid: int) -> list[int]:
    """Tracked ids of ``table`` not stored in a final state for project ``pid``."""
    ids = tracked_ids(layout, table)
    path = layout.table(table)
    if not ids or not delta.exists(path):
        return ids
    spec = TABLES[table]
    stored = delta.read(path, {"pid": pid}, columns=[*spec.key, "status"])
    final = {
        cid
        for cid, status in zip(
            stored.column("cid").to_pylist(), stored.column("status").to_pylist(), strict=True
        )
        if status in FINAL[table]
    }
    return [cid for cid in ids if cid not in final]
