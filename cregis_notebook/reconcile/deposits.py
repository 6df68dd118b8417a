"""Deposits: the incoming on-chain rows against the deposit callbacks, matched by ``txid``."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from .._signing import Secret
from .._values import exact_sums
from .inputs import (
    CallbackSource,
    coin_keys,
    decimals,
    latest_by,
    read_callbacks,
    require,
    stale_delta,
    utc_now,
)
from .results import disagree, finish, known, spread

__all__ = ["DEPOSIT", "TRADE_COLUMNS", "deposits", "is_deposit"]

TRADE_COLUMNS = (
    "txid",
    "status",
    "trade_type",
    "business_type",
    "chain_id",
    "token_id",
    "amount",
    "fee",
    "from_address",
    "to_address",
    "block_time",
)
"""The trade columns the checks read."""

DEPOSIT = 3
"""``business_type`` of an address deposit (SPEC 8.2): the rows a deposit callback announces."""
_IN = 1
_PENDING = 0


def is_deposit(trades: pd.DataFrame) -> pd.Series:
    """Which trade rows are address deposits (incoming, ``business_type`` 3)."""
    incoming = trades["trade_type"].astype("Int64") == _IN
    return (incoming & (trades["business_type"].astype("Int64") == DEPOSIT)).fillna(False)


def _callbacks(callbacks: pd.DataFrame) -> pd.DataFrame:
    empty = pd.DataFrame(
        {
            "txid": pd.Series(dtype="string"),
            "callbacks": pd.Series(dtype="Int64"),
            "unverified_callbacks": pd.Series(dtype="Int64"),
            "callback_status": pd.Series(dtype="Int64"),
            "callback_amount": pd.Series(dtype=object),
            "callback_address": pd.Series(dtype="string"),
            "callback_currency": pd.Series(dtype="string"),
        }
    )
    if callbacks.empty or "txid" not in callbacks.columns:
        return empty
    mine = callbacks[callbacks["kind"].astype("string") == "address_deposit"].copy()
    if mine.empty:
        return empty
    mine["txid"] = mine["txid"].astype("string")
    counts = mine.groupby("txid").agg(callbacks=("verified", "size"), verified=("verified", "sum"))
    counts["unverified_callbacks"] = counts["callbacks"] - counts["verified"]
    good = latest_by(mine[mine["verified"]], "txid")
    facts = pd.DataFrame(
        {
            "txid": good["txid"].to_numpy(),
            "callback_status": good["status"].astype("Int64").to_numpy(),
            "callback_amount": decimals(good["amount"]),
            "callback_address": good["address"].astype("string").to_numpy(),
            "callback_currency": coin_keys(good).to_numpy(),
        }
    ).astype({"txid": "string", "callback_status": "Int64"})
    out = counts[["callbacks", "unverified_callbacks"]].reset_index()
    return out.merge(facts, on="txid", how="left")


def _orphans(txids: pd.Series, candidates: np.ndarray, every: pd.Series) -> np.ndarray:
    """Which ``candidates`` (callbacks of no deposit row) have no trade row at all."""
    out = np.zeros(len(txids), dtype=bool)
    picked = np.flatnonzero(candidates)
    if len(picked):
        known = set(every.dropna().astype(str).unique().tolist())
        out[picked] = [str(t) not in known for t in txids.iloc[picked]]
    return out


@exact_sums
def deposits(
    trades: pd.DataFrame,
    callbacks: CallbackSource | None = None,
    *,
    stale_after: str | dt.timedelta = "24h",
    now: Any = None,
    api_key: str | Secret | None = None,
) -> pd.DataFrame:
    """One row per deposit ``txid`` (on chain, in a callback, or both), facts side by side.

    Checks: ``missing_callback`` (a final deposit without a callback), ``orphan_callback`` (a
    callback whose ``txid`` is on no trade row), ``amount_mismatch``, ``address_mismatch``,
    ``status_mismatch`` (callback against the chain), ``callback_unverified`` and
    ``stale_pending`` (still pending ``stale_after`` after its block time).
    """
    delta = stale_delta(stale_after)
    when = utc_now(now)
    trades = require(trades, TRADE_COLUMNS, "trades")
    rows = trades[is_deposit(trades)]
    chain = pd.DataFrame(
        {
            "txid": rows["txid"].astype("string").to_numpy(),
            "status": rows["status"].astype("Int64").to_numpy(),
            "address": rows["to_address"].astype("string").to_numpy(),
            "amount": decimals(rows["amount"]),
            "currency": coin_keys(rows).to_numpy(),
            "block_time": rows["block_time"].reset_index(drop=True),
        }
    ).drop_duplicates("txid")
    joined = chain.merge(_callbacks(read_callbacks(callbacks, api_key)), on="txid", how="outer")
    joined["key"] = joined["txid"].astype("string")
    joined["currency"] = joined["currency"].astype("string").fillna(joined["callback_currency"])
    on_chain = joined["status"].notna().to_numpy()
    status = joined["status"].astype("Int64")
    heard = (joined["callbacks"].fillna(0) > 0).to_numpy()
    amount, said = known(joined["amount"]), known(joined["callback_amount"])
    gap = spread(amount, said)
    block_time = pd.to_datetime(joined["block_time"], utc=True)
    flags = {
        "missing_callback": on_chain & (status != _PENDING).fillna(False).to_numpy(bool) & ~heard,
        "orphan_callback": _orphans(joined["txid"], heard & ~on_chain, trades["txid"]),
        "amount_mismatch": on_chain & np.array([g != 0 for g in gap], dtype=bool),
        "address_mismatch": on_chain
        & disagree(joined[["address", "callback_address"]].astype("string")),
        "status_mismatch": on_chain
        & (joined["callback_status"].astype("Int64") != status).fillna(False).to_numpy(bool),
        "callback_unverified": (joined["unverified_callbacks"].fillna(0) > 0).to_numpy(),
        "stale_pending": (status == _PENDING).fillna(False).to_numpy(bool)
        & ((when - block_time) > delta).fillna(False).to_numpy(bool),
    }
    base = [a if a is not None else s for a, s in zip(amount, said, strict=True)]
    result = finish(joined, "deposits", flags, {"default": base, "amount_mismatch": gap})
    front = ["key", "ok", "findings", "currency", "amount_at_stake"]
    return result[front + [c for c in result.columns if c not in front]]
