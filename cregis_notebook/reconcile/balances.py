"""Balances against a ledger built from the transactions, per address and currency.

The ledger rule (the sandbox keeps the same one, see docs/sandbox.md, "Ledger"), from the
trade rows alone: a successful row adds its ``amount`` to ``to_address`` and takes it from
``from_address``; a pending row's amount stays in ``from_address``, held as ``processing``. The
row's network ``fee`` is in the chain's native coin (``chain_id@chain_id``) and charged to
``from_address``: taken away once the row succeeded or failed, held as ``processing`` while it
is pending. ``available = total - processing``.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd

from .._values import exact_sums
from .deposits import TRADE_COLUMNS
from .inputs import coin_keys, decimals, exact_column, require
from .results import finish

__all__ = ["balances", "ledger"]

_SUCCESS = 1
_PENDING = 0
_CHARGED = (1, 2)  # a row that succeeded or failed has paid its fee
_PARTS = ("total", "available", "processing")


def _sum(frame: pd.DataFrame, keys: list[str], value: str) -> pd.Series:
    if frame.empty:
        return pd.Series(dtype=object)
    return frame.groupby(keys, sort=False)[value].agg(lambda v: sum(v, Decimal(0)))


@exact_sums
def ledger(trades: pd.DataFrame) -> pd.DataFrame:
    """Per ``address`` and ``currency`` (``chain_id@token_id``): the exact ``total``,
    ``available`` and ``processing`` the transactions give (the rule in the module's doc)."""
    status = trades["status"].astype("Int64")
    coin = coin_keys(trades).to_numpy()
    native = (
        trades["chain_id"].astype("string") + "@" + trades["chain_id"].astype("string")
    ).to_numpy()
    amount = np.array(decimals(trades["amount"]), dtype=object)
    fee = np.array(
        decimals(trades["fee"]) if "fee" in trades.columns else [None] * len(trades), dtype=object
    )
    done = (status == _SUCCESS).fillna(False).to_numpy(bool)
    pending = (status == _PENDING).fillna(False).to_numpy(bool)
    charged = (status.isin(_CHARGED)).fillna(False).to_numpy(bool)
    to_addr = trades["to_address"].astype("string").to_numpy()
    from_addr = trades["from_address"].astype("string").to_numpy()
    has_fee = np.array([f is not None and f != 0 for f in fee], dtype=bool)
    paid, held_fee = charged & has_fee, pending & has_fee
    moves = pd.DataFrame(
        {
            "address": np.concatenate([to_addr[done], from_addr[done], from_addr[paid]]),
            "currency": np.concatenate([coin[done], coin[done], native[paid]]),
            "change": np.concatenate(
                [amount[done], [-a for a in amount[done]], [-f for f in fee[paid]]]
            ),
        }
    )
    moves = moves[moves["address"].notna() & (moves["address"] != "")]
    total = _sum(moves, ["address", "currency"], "change").rename("total")
    held = pd.DataFrame(
        {
            "address": np.concatenate([from_addr[pending], from_addr[held_fee]]),
            "currency": np.concatenate([coin[pending], native[held_fee]]),
            "change": np.concatenate([amount[pending], fee[held_fee]]),
        }
    )
    processing = _sum(held, ["address", "currency"], "change").rename("processing")
    out = pd.concat([total, processing], axis=1)
    out.index.names = ["address", "currency"]
    out = out.reset_index()
    for part in ("total", "processing"):
        out[part] = exact_column(
            (v if isinstance(v, Decimal) else Decimal(0) for v in out[part]), out.index
        )
    out["available"] = exact_column(
        (t - p for t, p in zip(out["total"], out["processing"], strict=True)), out.index
    )
    out["address"] = out["address"].astype("string")
    out["currency"] = out["currency"].astype("string")
    return out[["address", "currency", *_PARTS]]


def _snapshot(balances: pd.DataFrame) -> pd.DataFrame:
    if "code" in balances.columns:
        balances = balances[balances["code"].astype("string").fillna("00000") == "00000"]
    out = pd.DataFrame(
        {
            "address": balances["address"].astype("string").to_numpy(),
            "currency": coin_keys(balances).to_numpy(),
            **{part: decimals(balances[part]) for part in _PARTS},
        }
    )
    if "as_of" in balances.columns:
        out["as_of"] = pd.to_datetime(balances["as_of"], utc=True).to_numpy()
    out["currency"] = out["currency"].astype("string")
    return out


@exact_sums
def balances(trades: pd.DataFrame, balances: pd.DataFrame) -> pd.DataFrame:
    """One row per balance snapshot row (``address@currency``), snapshot and ledger side by side.

    ``ledger_drift``: any of ``total``, ``available`` or ``processing`` differs from the
    ledger; ``drift_*`` columns hold the exact differences (snapshot minus ledger). With an
    ``as_of`` column (snapshots from the store) each row is compared with the ledger of the
    trades up to that time. At stake: the largest absolute difference.
    """
    trades = require(trades, TRADE_COLUMNS, "trades")
    balances = require(balances, ("address", "currency", *_PARTS), "balances")
    snap = _snapshot(balances)
    parts: list[pd.DataFrame] = []
    groups = snap.groupby("as_of", sort=True) if "as_of" in snap.columns else [(None, snap)]
    for as_of, rows in groups:
        upto = trades if as_of is None else trades[trades["block_time"] <= as_of]
        book = ledger(upto).rename(columns={p: f"ledger_{p}" for p in _PARTS})
        parts.append(rows.merge(book, on=["address", "currency"], how="left"))
    joined = pd.concat(parts, ignore_index=True) if parts else snap
    gaps: dict[str, list[Decimal]] = {}
    for part in _PARTS:
        mine = joined[part].tolist()
        book_values = [
            v if isinstance(v, Decimal) else Decimal(0) for v in joined[f"ledger_{part}"]
        ]
        joined[f"ledger_{part}"] = exact_column(book_values, joined.index)
        gaps[part] = [
            (m if m is not None else Decimal(0)) - b for m, b in zip(mine, book_values, strict=True)
        ]
        joined[f"drift_{part}"] = exact_column(gaps[part], joined.index)
    drift = np.array(
        [any(g != 0 for g in row) for row in zip(*gaps.values(), strict=True)], dtype=bool
    )
    stake = [max(abs(g) for g in row) for row in zip(*gaps.values(), strict=True)]
    joined["key"] = (joined["address"] + "@" + joined["currency"]).astype("string")
    result = finish(joined, "balances", {"ledger_drift": drift}, {"default": stake})
    front = ["key", "ok", "findings", "currency", "amount_at_stake"]
    return result[front + [c for c in result.columns if c not in front]]
