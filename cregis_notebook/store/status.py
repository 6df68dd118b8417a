"""What a store holds: per table and project, its rows, last sync, watermark and size."""

from __future__ import annotations

import pandas as pd
import pyarrow.compute as pc

from . import delta
from .layout import Layout
from .schema import TABLES

__all__ = ["status"]


def status(layout: Layout) -> pd.DataFrame:
    """One row per table and project: ``rows``, ``last_sync``, ``watermark``, ``version``,
    ``bytes`` (the table's files, every project together)."""
    rows = []
    for name, spec in TABLES.items():
        path = layout.table(name)
        if not delta.exists(path):
            continue
        commit = delta.last_commit(path)
        last = pd.Timestamp(commit["timestamp"], unit="ms", tz="UTC")
        columns = ["pid"] + ([spec.time] if spec.time else [])
        table = delta.read(path, columns=columns)
        size = layout.size(name)
        for pid in sorted(set(table.column("pid").to_pylist())):
            mine = table.filter(pc.equal(table.column("pid"), pid))
            newest = pc.max(mine.column(spec.time)).as_py() if spec.time else None
            rows.append(
                {
                    "table": name,
                    "pid": pid,
                    "rows": mine.num_rows,
                    "last_sync": last,
                    "watermark": None if newest is None else pd.Timestamp(newest),
                    "version": commit["version"],
                    "bytes": size,
                }
            )
    return pd.DataFrame(
        rows, columns=["table", "pid", "rows", "last_sync", "watermark", "version", "bytes"]
    )
