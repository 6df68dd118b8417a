"""Reading a store: a table as the typed frame the fetch gives, and SQL through DuckDB over
every table (each registered as its Delta table's Arrow dataset, so nothing is copied first)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..errors import CregisStoreError
from . import delta, orders
from .layout import Layout
from .schema import TABLES, TEAM, fit_slots, from_delta, read_kinds

__all__ = ["frame", "sql", "tables"]


def tables(layout: Layout) -> list[str]:
    """The names of the tables the store holds (those with at least one commit)."""
    return [name for name in TABLES if delta.exists(layout.table(name))]


def frame(layout: Layout, table: str, filters: dict[str, Any]) -> pd.DataFrame:
    """``table``'s rows matching ``filters`` (column equal to a value, or in a list)."""
    spec = TABLES.get(table)
    if spec is None:
        raise CregisStoreError(f"no table {table!r}; a store has {', '.join(TABLES)}")
    path = layout.table(table)
    kinds = read_kinds(layout.schema(table))
    if not delta.exists(path):
        return pd.DataFrame({name: pd.Series(dtype=object) for name in kinds})
    unknown = sorted(set(filters) - set(kinds))
    if unknown:
        raise CregisStoreError(f"{table} has no column {unknown[0]!r}; it has {', '.join(kinds)}")
    if table == "orders":  # flattened again from the stored answers, in the table's order
        found = delta.read(path, filters, columns=["pid", "cregis_id", orders.ANSWER])
        df = orders.frame(found.sort_by([(c, "ascending" if a else "descending")
                                         for c, a in spec.order]))  # fmt: skip
    else:
        df = from_delta(delta.read(path, filters), kinds)
        df = df[[c for c in kinds if c in df.columns]]
        if spec.owner == TEAM:  # teams whose wallets list more coins widen team_wallets
            df = fit_slots(df)
        by = [c for c, _ in spec.order if c in df.columns]
        ascending = [a for c, a in spec.order if c in df.columns]
        if by and len(df):
            df = df.sort_values(by, ascending=ascending, kind="stable", ignore_index=True)
    df.attrs.update({"store": str(layout.root), "table": table, "filters": dict(filters)})
    return df


def sql(layout: Layout, query: str) -> pd.DataFrame:
    """The result of ``query`` over every table, typed: exact decimals, Int64, UTC times."""
    import duckdb  # only for SQL: a sync does not need it

    con = duckdb.connect()
    try:
        for name in tables(layout):
            con.register(name, delta.dataset(layout.table(name)))
        result = con.sql(query).to_arrow_table()
    finally:
        con.close()
    return from_delta(result, {}, keep_month=True)
