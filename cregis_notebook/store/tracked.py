"""Tracked tables: ``payouts``, ``withdrawals`` and ``orders`` hold the latest known state of
every tracked id. No list endpoint returns them, so the store remembers which ids to ask about
(in the Delta tables ``_cregis/tracked``, payout and withdrawal ``cid``s, and
``_cregis/tracked_orders``, payment orders' ``cregis_id``s): those the user lists
(:meth:`Store.track`, ids or a CSV with the id column), those that arrive in a callback
(:meth:`Store.add_callbacks`) and those created through :meth:`Store.recording`. Each sync
asks again about every tracked id of its project not yet in a final state, one call per id
(the query endpoints take one id), and upserts the answers by id.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
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

__all__ = ["FINAL", "ID", "TRACKED", "is_final", "open_ids", "track", "tracked_ids"]

TRACKED = ("payouts", "withdrawals", "orders")
"""The tables whose rows are asked about by id."""

ID = {"payouts": "cid", "withdrawals": "cid", "orders": "cregis_id"}
"""The column naming each tracked table's ids (``cid`` an int64, ``cregis_id`` a text)."""

FINAL = {"payouts": {2, 3, 4, 6, 7}, "withdrawals": {2, 4, 6, 7}}
"""The ``status`` values after which a payout or withdrawal never changes (rejected,
cancelled, success, failed)."""

ORDER_CLOSED = {"expired", "canceled"}
"""Order statuses after which nothing is paid, settled or refunded."""

ORDER_PAID = {"paid", "paid_over", "paid_partial"}
"""Order statuses that are final once the order is settled and no refund is processing (a
partial payment may still be topped up until then)."""

_SPECS = {
    "cid": (TableSpec("tracked", "", ("table", "cid"), None, ()), "tracked"),
    "cregis_id": (TableSpec("tracked", "", ("table", "cregis_id"), None, ()), "tracked_orders"),
}


def is_final(table: str, row: Mapping[str, Any]) -> bool:
    """Whether a stored row of ``table`` (its ``status``, for orders also ``settlement_status``
    and ``refund_status``) can no longer change."""
    status = row.get("status")
    if table != "orders":
        return status in FINAL[table]
    if status in ORDER_CLOSED:
        return True
    refund = row.get("refund_status")
    return (
        status in ORDER_PAID
        and row.get("settlement_status") == "settled"
        and (refund is None or refund in (1, 2))  # no refund, or one that succeeded or failed
    )


def _ids(table: str, ids: Iterable[Any] | str | os.PathLike[str]) -> list[Any]:
    column = ID[table]
    if isinstance(ids, (str, os.PathLike)):
        frame = pd.read_csv(Path(ids), dtype=str)
        if column not in frame.columns:
            raise CregisStoreError(f"{ids}: a CSV of {table} needs a {column!r} column")
        ids = frame[column].dropna().tolist()
    out: list[Any] = []
    for value in ids:
        if column == "cregis_id":
            if not isinstance(value, str) or not value.strip():
                raise CregisStoreError(f"{value!r} is not a cregis_id (a text such as 'po...')")
            out.append(value.strip())
            continue
        cid = exact_int(value)
        if cid is None:
            raise CregisStoreError(f"{value!r} is not a cid (a whole number)")
        out.append(cid)
    return out


def _where(layout: Layout, table: str) -> tuple[Path, TableSpec, str]:
    spec, name = _SPECS[ID[table]]
    return layout.meta / name, spec, ID[table]


def track(layout: Layout, table: str, ids: Iterable[Any] | str | os.PathLike[str]) -> int:
    """Remember ``ids`` of ``table`` (one commit); how many were new."""
    if table not in TRACKED:
        raise CregisStoreError(f"{table!r} is not tracked by id; tracked tables: {TRACKED}")
    wanted = sorted(set(_ids(table, ids)) - set(tracked_ids(layout, table)))
    if not wanted:
        return 0
    path, spec, column = _where(layout, table)
    kind = pa.string() if column == "cregis_id" else pa.int64()
    rows = pa.table({"table": pa.array([table] * len(wanted)), column: pa.array(wanted, kind)})
    return delta.append(path, rows, spec, {"tracked": table}, partitioned=False)


def tracked_ids(layout: Layout, table: str) -> list[Any]:
    path, _, column = _where(layout, table)
    if not delta.exists(path):
        return []
    rows = delta.read(path, pc.field("table") == table, columns=[column])
    return sorted(set(rows.column(column).to_pylist()))


def open_ids(layout: Layout, table: str, pid: int) -> list[Any]:
    """Tracked ids of ``table`` not stored in a final state for project ``pid``."""
    ids = tracked_ids(layout, table)
    path = layout.table(table)
    if not ids or not delta.exists(path):
        return ids
    column = ID[table]
    wanted = ["status", "settlement_status", "refund_status"] if table == "orders" else ["status"]
    stored = delta.read(path, {"pid": pid}, columns=[*TABLES[table].key, *wanted])
    final = {row[column] for row in stored.to_pylist() if is_final(table, row)}
    return [i for i in ids if i not in final]
