"""Counts and amounts at stake per kind, check and currency."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pandas as pd

from .._values import exact_sums
from .checks import CHECKS, KINDS
from .results import FINDINGS_COLUMNS, empty_findings, findings_of

__all__ = ["as_findings", "summary"]


def as_findings(*frames: pd.DataFrame) -> pd.DataFrame:
    """One long findings frame from long findings frames or the row frames of the checks."""
    parts = [
        frame if set(FINDINGS_COLUMNS) <= set(frame.columns) else findings_of(frame)
        for frame in frames
    ]
    parts = [p for p in parts if not p.empty]
    if not parts:
        return empty_findings()
    out = pd.concat(parts, ignore_index=True)
    order = {k: i for i, k in enumerate(KINDS)}
    rank = {c.name: i for i, c in enumerate(CHECKS)}
    out = out.assign(_k=out["kind"].map(order), _c=out["check"].map(rank))
    return (
        out.sort_values(["_k", "_c", "key"], kind="stable")
        .drop(columns=["_k", "_c"])
        .reset_index(drop=True)
    )


@exact_sums
def summary(*findings: pd.DataFrame) -> pd.DataFrame:
    """Per ``kind``, ``check`` and ``currency``: ``count`` of objects and the exact
    ``amount_at_stake`` (a ``Decimal`` sum). Takes the frames the checks return or findings."""
    long = as_findings(*findings)
    columns = ["kind", "check", "currency", "count", "amount_at_stake"]
    if long.empty:
        types: dict[str, Any] = {"count": "Int64", "amount_at_stake": object}
        return pd.DataFrame({c: pd.Series(dtype=types.get(c, "string")) for c in columns})
    keys = (
        long[["kind", "check", "currency"]]
        .astype(object)
        .where(long[["kind", "check", "currency"]].notna(), "")
    )
    grouped = long.assign(
        kind=keys["kind"], check=keys["check"], currency=keys["currency"]
    ).groupby(["kind", "check", "currency"], sort=False)
    out = grouped.agg(
        count=("key", "nunique"),
        amount_at_stake=("amount_at_stake", lambda v: sum(v, Decimal(0))),
    ).reset_index()
    for column in ("kind", "check", "currency"):
        out[column] = out[column].astype("string")
    out["count"] = out["count"].astype("Int64")
    return out[columns]
