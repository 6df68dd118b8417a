"""Payouts and withdrawals against the chain, the callbacks and the user's own requests."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._signing import Secret
from .._values import exact_sums
from .inputs import (
    CallbackSource,
    coin_keys,
    decimals,
    exact_column,
    latest_by,
    read_callbacks,
    read_requests,
    require,
    stale_delta,
    utc_now,
)
from .results import disagree, finish, known, spread

__all__ = ["AWAITING", "FAILED", "SUCCEEDED", "payouts", "transfer_cids", "withdrawals"]

SUCCEEDED = 6
"""The payout/withdrawal status "transaction succeeded" (SPEC 8.12)."""
FAILED = 7
"""The status "transaction failed"."""
AWAITING = (0, 5)
"""Awaiting approval, awaiting signature: the statuses a transfer can be stuck in."""
_TRADE_FAILED = 2

_CALLBACK_KIND = {"payouts": "payout", "withdrawals": "sub_address_withdrawal"}
_ADDRESS = {"payouts": "address", "withdrawals": "to_address"}
_REQUEST_KIND = {"payouts": "payout", "withdrawals": "withdrawal"}

Requests = pd.DataFrame | str | os.PathLike[str] | Sequence[Mapping[str, Any]] | None


def transfer_cids(frame: pd.DataFrame) -> pd.Series:
    """The ``cid`` of each row of a payout or withdrawal query: the column, or the ``cid`` list a
    fanned-out ``fetch_frame(client, "payout_query", cid=[...])`` keeps in ``attrs``."""
    if "cid" in frame.columns:
        return frame["cid"].astype("Int64")
    asked = frame.attrs.get("filters", {}).get("cid")
    if isinstance(asked, list) and len(asked) == len(frame):
        return pd.Series(asked, index=frame.index, dtype="Int64")
    raise ValueError(
        "the frame has no 'cid' column: fetch it with fetch_frame(client, endpoint, cid=[...]) "
        "or add the column"
    )


def _column(frame: pd.DataFrame, name: str, dtype: Any = "string") -> pd.Series:
    if name in frame.columns:
        return frame[name].astype(dtype)
    return pd.Series(pd.NA, index=frame.index, dtype=dtype)


def _objects(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Cregis's side: one row per known transfer (answers with an error code left out)."""
    if "code" in frame.columns:
        frame = frame[frame["code"].astype("string").fillna("00000") == "00000"]
    frame = require(frame, ("amount", "status", "txid", _ADDRESS[kind]), kind)
    cids = transfer_cids(frame)
    out = pd.DataFrame(
        {
            "cid": cids.to_numpy(),
            "third_party_id": _column(frame, "third_party_id").to_numpy(),
            "currency": coin_keys(frame).to_numpy(),
            "status": _column(frame, "status", "Int64").to_numpy(),
            "txid": _column(frame, "txid").to_numpy(),
            "address": _column(frame, _ADDRESS[kind]).to_numpy(),
            "amount": decimals(frame["amount"]) if "amount" in frame.columns else None,
        }
    )
    return out.astype({"cid": "Int64", "status": "Int64"})


def _onchain(trades: pd.DataFrame) -> pd.DataFrame:
    trades = require(trades, ("txid", "status", "to_address", "amount"), "trades")
    rows = trades[trades["txid"].notna() & (trades["txid"].astype("string") != "")]
    out = pd.DataFrame(
        {
            "txid": rows["txid"].astype("string"),
            "chain_status": rows["status"].astype("Int64"),
            "chain_address": rows["to_address"].astype("string"),
            "chain_amount": decimals(rows["amount"]),
        }
    )
    return out.drop_duplicates("txid")


def _callbacks(callbacks: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Per cid: whether any callback failed verification; the latest verified one's facts."""
    empty = pd.DataFrame(
        {
            "cid": pd.Series(dtype="Int64"),
            "callback_status": pd.Series(dtype="Int64"),
            "callback_amount": pd.Series(dtype=object),
            "callback_address": pd.Series(dtype="string"),
            "callbacks": pd.Series(dtype="Int64"),
            "unverified_callbacks": pd.Series(dtype="Int64"),
        }
    )
    if callbacks.empty or "cid" not in callbacks.columns:
        return empty
    mine = callbacks[callbacks["kind"].astype("string") == _CALLBACK_KIND[kind]].copy()
    if mine.empty:
        return empty
    mine["cid"] = mine["cid"].astype("Int64")
    counts = mine.groupby("cid").agg(callbacks=("verified", "size"), verified=("verified", "sum"))
    counts["unverified_callbacks"] = counts["callbacks"] - counts["verified"]
    good = latest_by(mine[mine["verified"]], "cid")
    facts = pd.DataFrame(
        {
            "cid": good["cid"].to_numpy(),
            "callback_status": _column(good, "status", "Int64").to_numpy(),
            "callback_amount": decimals(good["amount"]) if "amount" in good.columns else None,
            "callback_address": _column(good, _ADDRESS[kind]).to_numpy(),
        }
    ).astype({"cid": "Int64", "callback_status": "Int64"})
    out = counts[["callbacks", "unverified_callbacks"]].reset_index()
    return out.merge(facts, on="cid", how="left")


def _requests(requests: pd.DataFrame, kind: str) -> pd.DataFrame:
    mine = requests
    if "kind" in requests.columns and requests["kind"].notna().any():
        mine = requests[requests["kind"] == _REQUEST_KIND[kind]]
    counts = mine.groupby("third_party_id", dropna=True).size().rename("requests")
    first = mine.drop_duplicates("third_party_id").set_index("third_party_id")
    out = pd.DataFrame(
        {
            "requests": counts,
            "request_amount": first["amount"],
            "request_address": first["address"],
            "requested_at": first["requested_at"],
            "request_cid": first["cid"],
        }
    )
    out.index.name = "third_party_id"
    return out.reset_index()


@exact_sums
def _reconcile(
    kind: str,
    objects: pd.DataFrame,
    trades: pd.DataFrame,
    callbacks: CallbackSource | None,
    requests: Requests,
    stale_after: Any,
    now: Any,
    api_key: str | Secret | None,
) -> pd.DataFrame:
    delta = stale_delta(stale_after)
    when = utc_now(now)
    cregis = _objects(objects, kind)
    asked = _requests(read_requests(requests), kind)
    joined = cregis.merge(_onchain(trades), on="txid", how="left")
    joined = joined.merge(
        _callbacks(read_callbacks(callbacks, api_key), kind), on="cid", how="left"
    )
    joined = joined.merge(asked, on="third_party_id", how="outer", indicator=True)
    joined["unknown"] = (joined["_merge"] == "right_only").to_numpy()
    joined = joined.drop(columns="_merge").reset_index(drop=True)

    cid = joined["cid"].astype("Int64")
    joined["key"] = cid.astype("string").fillna(joined["third_party_id"].astype("string"))
    joined["currency"] = joined["currency"].astype("string")
    if "currency" in asked.columns:  # pragma: no cover - requests carry no coin by default
        joined["currency"] = joined["currency"].fillna(asked["currency"])
    status = joined["status"].astype("Int64")
    succeeded = (status == SUCCEEDED).fillna(False).to_numpy(bool)
    has_chain = joined["chain_status"].notna().to_numpy()
    amount = known(joined["amount"])
    sources = [
        known(joined["request_amount"]),
        amount,
        known(joined["chain_amount"]),
        known(joined["callback_amount"]),
    ]
    gap = spread(*sources)
    addresses = joined[["request_address", "address", "chain_address", "callback_address"]]
    distinct = disagree(addresses.astype("string"))
    requests_n = joined["requests"].fillna(0).astype(int).to_numpy()
    known_tpid = joined.loc[~joined["unknown"], "third_party_id"].astype("string")
    cregis_dupes = known_tpid[known_tpid.duplicated(keep=False)].dropna()
    since = pd.to_datetime(joined["requested_at"], utc=True)
    stuck = (
        status.isin(AWAITING).fillna(False).to_numpy(bool)
        & since.notna().to_numpy()
        & ((when - since) > delta).fillna(False).to_numpy(bool)
    )
    callback_status = joined["callback_status"].astype("Int64")
    flags = {
        "amount_mismatch": np.array([g != 0 for g in gap]),
        "address_mismatch": distinct,
        "missing_onchain": succeeded & ~has_chain,
        "onchain_failed": succeeded
        & (joined["chain_status"] == _TRADE_FAILED).fillna(False).to_numpy(bool),
        "callback_status_mismatch": (
            callback_status.notna() & status.notna() & (callback_status != status)
        )
        .fillna(False)
        .to_numpy(bool),
        "callback_unverified": (joined["unverified_callbacks"].fillna(0) > 0).to_numpy(),
        "stuck": stuck,
        "duplicate_third_party_id": (requests_n > 1)
        | joined["third_party_id"].isin(cregis_dupes).to_numpy(),
        "unknown_request": joined["unknown"].to_numpy(bool),
    }
    base = [a if a is not None else r for a, r in zip(amount, sources[0], strict=True)]
    joined["amount"] = exact_column(amount, joined.index)
    result = finish(
        joined.drop(columns=["unknown"]), kind, flags, {"default": base, "amount_mismatch": gap}
    )
    front = ["key", "ok", "findings", "currency", "amount_at_stake"]
    return result[front + [c for c in result.columns if c not in front]]


def payouts(
    payouts: pd.DataFrame,
    trades: pd.DataFrame,
    callbacks: CallbackSource | None = None,
    requests: Requests = None,
    *,
    stale_after: str | dt.timedelta = "24h",
    now: Any = None,
    api_key: str | Secret | None = None,
) -> pd.DataFrame:
    """One row per payout (and per request Cregis does not know), facts side by side.

    ``payouts`` is ``fetch_frame(client, "payout_query", cid=[...])``; ``trades`` the trade
    table; ``callbacks`` raw bodies (verified with ``api_key``) or a callbacks frame;
    ``requests`` the user's own record (a frame or a CSV path, see :func:`read_requests`).
    Checks: ``amount_mismatch``, ``address_mismatch``, ``missing_onchain``, ``onchain_failed``,
    ``callback_status_mismatch``, ``callback_unverified``, ``stuck`` (awaiting approval or
    signature for longer than ``stale_after`` since ``requested_at``),
    ``duplicate_third_party_id`` and ``unknown_request``.
    """
    return _reconcile("payouts", payouts, trades, callbacks, requests, stale_after, now, api_key)


def withdrawals(
    withdrawals: pd.DataFrame,
    trades: pd.DataFrame,
    callbacks: CallbackSource | None = None,
    requests: Requests = None,
    *,
    stale_after: str | dt.timedelta = "24h",
    now: Any = None,
    api_key: str | Secret | None = None,
) -> pd.DataFrame:
    """:func:`payouts` for sub-address withdrawals (``sub_address_withdrawal_query``)."""
    return _reconcile(
        "withdrawals", withdrawals, trades, callbacks, requests, stale_after, now, api_key
    )
