"""What a store holds: per table and project (or team), its rows, last sync, watermark and
size."""

from __future__ import annotations

import pandas as pd
import pyarrow.compute as pc

from . import delta
from .layout import Layout
from .schema import TABLES, TEAM

__all__ = ["status"]


def status(layout: Layout) -> pd.DataFrame:
    """One row per table and project (``pid``) or team (``team``, a team table's owner):
    ``rows``, ``last_sync``, ``watermark``, ``version``, ``bytes`` (the table's files, every
    project or team together)."""
    rows = []
    for name, spec in TABLES.items():
        path = layout.table(name)
        if not delta.exists(path):
            continue
        commit = delta.last_commit(path)
        last = pd.Timestamp(commit["timestamp"], unit="ms", tz="UTC")
        columns = [spec.owner] + ([spec.time] if spec.time else [])
        table = delta.read(path, columns=columns)
        size = layout.size(name)
        for owner in sorted(set(table.column(spec.owner).to_pylist())):
            mine = table.filter(pc.equal(table.column(spec.owner), owner))
            newest = pc.max(mine.column(spec.time)).as_py() if spec.time else None
            rows.append(
                {
                    "table": name,
                    "pid": None if spec.owner == TEAM else owner,
                    "team": owner if spec.owner == TEAM else None,
                    "rows": mine.num_rows,
                    "last_sync": last,
                    "watermark": None if newest is None else pd.Timestamp(newest),
                    "version": commit["version"],
                    "bytes": size,
                }
            )
    return pd.DataFrame(
        rows, columns=["table", "pid", "team", "rows", "last_sync", "watermark", "version", "bytes"]
    )
