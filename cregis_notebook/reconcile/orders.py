"""Payment orders: each order's status against what its payments add up to, its refund and
its callbacks. Payments are a long companion frame: one row per ``payment_detail`` element."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Context, Decimal, localcontext
from typing import Any

import numpy as np
import pandas as pd

from .._signing import Secret
from .._values import exact_sums
from .inputs import CallbackSource, decimals, exact_column, latest_by, read_callbacks, require
from .results import finish, known

__all__ = ["FINAL_STATUSES", "PAID_STATUSES", "expected_status", "orders", "payment_details"]

PAID_STATUSES = ("paid", "paid_partial", "paid_over")
"""The statuses the tolerance rule decides between (SPEC 10.1)."""
FINAL_STATUSES = (*PAID_STATUSES, "expired")
"""Statuses Cregis announces with a callback."""
_WIDE = re.compile(r"^payment_detail\.(\d+)\.(.+)$")
_DETAIL_AMOUNTS = ("receive_amount", "pay_amount", "exchange_rate")
_CONVERT = Context(prec=60)
"""Where a payment is converted into the order currency (a division, to 60 significant digits:
an amount of the API has far fewer, so the comparison with ``order_amount`` is decided)."""


def payment_details(orders: pd.DataFrame) -> pd.DataFrame:
    """The payments of each order, one row each: ``cregis_id``, ``n`` (position in the order's
    ``payment_detail``) and the payment's fields (amounts exact).

    Reads the wide ``payment_detail.<n>.<field>`` columns of ``fetch_frame`` or a
    ``payment_detail`` column of lists of dicts.
    """
    records: list[dict[str, Any]] = []
    if "payment_detail" in orders.columns:
        for cregis_id, items in zip(orders["cregis_id"], orders["payment_detail"], strict=True):
            for n, item in enumerate(items if isinstance(items, list) else []):
                if isinstance(item, Mapping):
                    records.append({"cregis_id": cregis_id, "n": n, **item})
    else:
        wide: dict[int, dict[str, str]] = {}
        for column in orders.columns:
            match = _WIDE.match(str(column))
            if match:
                wide.setdefault(int(match.group(1)), {})[match.group(2)] = column
        for n, fields in sorted(wide.items()):
            part = orders[["cregis_id", *fields.values()]].rename(
                columns={c: f for f, c in fields.items()}
            )
            part = part[part[list(fields)].notna().any(axis=1)]
            part.insert(1, "n", n)
            records.extend({str(k): v for k, v in r.items()} for r in part.to_dict("records"))
    columns = [
        "cregis_id",
        "n",
        "payment_address",
        "from_address",
        "receive_amount",
        "receive_currency",
        "pay_amount",
        "pay_currency",
        "exchange_rate",
        "tx_id",
        "blockchain",
        "token_name",
    ]
    out = pd.DataFrame.from_records(records, columns=None if records else columns)
    for name in columns:
        if name not in out.columns:
            out[name] = pd.Series([None] * len(out), dtype=object)
    for name in _DETAIL_AMOUNTS:
        out[name] = exact_column(decimals(out[name]), out.index)
    for name in set(columns) - {"n", *_DETAIL_AMOUNTS}:
        out[name] = out[name].astype("string")
    out["n"] = out["n"].astype("int64")
    extra = [c for c in out.columns if c not in columns]
    return (
        out[columns + extra].sort_values(["cregis_id", "n"], kind="stable").reset_index(drop=True)
    )


def _paid(details: pd.DataFrame) -> pd.DataFrame:
    """Per order: the value paid in the order currency (``pay_amount / exchange_rate``)."""
    value: dict[str, Decimal] = {}
    by_token: dict[tuple[str, str], Decimal] = {}
    rows = zip(
        details["cregis_id"],
        details["pay_amount"],
        details["exchange_rate"],
        details["token_name"],
        details["pay_currency"],
        strict=True,
    )
    with localcontext(_CONVERT):
        _add_payments(rows, value, by_token)
    out = pd.DataFrame({"paid_value": pd.Series(value, dtype=object)})
    out.attrs["by_token"] = by_token
    return out


def _add_payments(
    rows: Iterable[tuple[Any, ...]],
    value: dict[str, Decimal],
    by_token: dict[tuple[str, str], Decimal],
) -> None:
    for cregis_id, pay, rate, token, symbol in rows:
        if pay is None or not rate:
            continue
        value[cregis_id] = value.get(cregis_id, Decimal(0)) + pay / rate
        for name in {token, symbol} - {None, pd.NA}:
            key = (cregis_id, str(name))
            by_token[key] = by_token.get(key, Decimal(0)) + pay


def expected_status(
    order_amount: Decimal, paid: Decimal, underpaid: Decimal, overpaid: Decimal
) -> str:
    """``paid``, ``paid_partial`` or ``paid_over`` by the documented rule (SPEC 10.1): paid when
    ``order_amount - underpaid <= paid <= order_amount + overpaid``."""
    if paid < order_amount - underpaid:
        return "paid_partial"
    if paid > order_amount + overpaid:
        return "paid_over"
    return "paid"


def _tolerance(orders: pd.DataFrame, name: str, default: Decimal) -> list[Decimal]:
    if name in orders.columns:
        return [v if v is not None else default for v in decimals(orders[name])]
    return [default] * len(orders)


def _callbacks(callbacks: pd.DataFrame) -> pd.DataFrame:
    empty = pd.DataFrame(
        {
            "cregis_id": pd.Series(dtype="string"),
            "callbacks": pd.Series(dtype="Int64"),
            "callback_event": pd.Series(dtype="string"),
            "callback_amount": pd.Series(dtype=object),
        }
    )
    if callbacks.empty or "cregis_id" not in callbacks.columns:
        return empty
    kinds = callbacks["kind"].astype("string")
    mine = callbacks[kinds.isin(["payment_order", "payment_v1"])].copy()
    if mine.empty:
        return empty
    mine["cregis_id"] = mine["cregis_id"].astype("string")
    counts = mine.groupby("cregis_id").size().rename("callbacks").reset_index()
    states = mine[mine["verified"] & mine["event_type"].astype("string").isin(FINAL_STATUSES)]
    good = latest_by(states, "cregis_id")
    facts = pd.DataFrame(
        {
            "cregis_id": good["cregis_id"].to_numpy(),
            "callback_event": good["event_type"].astype("string").to_numpy(),
            "callback_amount": decimals(good["order_amount"])
            if "order_amount" in good.columns
            else [None] * len(good),
        }
    ).astype({"cregis_id": "string", "callback_event": "string"})
    return counts.merge(facts, on="cregis_id", how="left")


@exact_sums
def orders(
    orders: pd.DataFrame,
    callbacks: CallbackSource | None = None,
    *,
    details: pd.DataFrame | None = None,
    underpaid_tolerance: Decimal | str | int = 0,
    overpaid_tolerance: Decimal | str | int = 0,
    api_key: str | Secret | None = None,
) -> pd.DataFrame:
    """One row per order (``cregis_id``): its status beside what its payments are worth.

    ``details`` is :func:`payment_details` of ``orders`` when not given. The tolerances are the
    checkout's (SPEC 10.1, default 0; the order query does not return them): columns
    ``underpaid_tolerance``/``overpaid_tolerance`` of ``orders`` win over the arguments.
    Checks: ``status_vs_paid`` (a paid status the tolerance rule contradicts, or an expired
    order with payments), ``refund_exceeds_paid``, ``missing_callback`` (a final state and no
    callback) and ``callback_mismatch`` (the latest final-state callback's event or amount
    differs from the order).
    """
    if "code" in orders.columns:
        orders = orders[orders["code"].astype("string").fillna("00000") == "00000"]
    orders = require(orders, ("cregis_id", "status", "order_amount", "order_currency"), "orders")
    orders = orders.reset_index(drop=True)
    details = payment_details(orders) if details is None else details
    paid = _paid(details)
    by_token: dict[tuple[str, str], Decimal] = paid.attrs["by_token"]
    rows = pd.DataFrame(
        {
            "key": orders["cregis_id"].astype("string"),
            "cregis_id": orders["cregis_id"].astype("string"),
            "order_id": orders["order_id"].astype("string")
            if "order_id" in orders.columns
            else pd.NA,
            "status": orders["status"].astype("string"),
            "currency": orders["order_currency"].astype("string"),
            "order_amount": decimals(orders["order_amount"]),
        }
    )
    value = paid["paid_value"].to_dict()
    rows["payments"] = (
        rows["cregis_id"].map(details.groupby("cregis_id").size()).fillna(0).astype(int)
    )
    rows["paid_value"] = [value.get(c, Decimal(0)) for c in rows["cregis_id"]]
    under = _tolerance(orders, "underpaid_tolerance", Decimal(underpaid_tolerance))
    over = _tolerance(orders, "overpaid_tolerance", Decimal(overpaid_tolerance))
    rows["expected_status"] = [
        expected_status(a, p, u, o) if a is not None and n else None
        for a, p, u, o, n in zip(
            rows["order_amount"],
            rows["paid_value"],
            under,
            over,
            rows["payments"],
            strict=True,
        )
    ]
    status = rows["status"]
    paid_state = status.isin(PAID_STATUSES).fillna(False).to_numpy(bool)
    wrong_paid = paid_state & (rows["expected_status"].astype("string") != status).fillna(
        True
    ).to_numpy(bool)
    expired_paid = (status == "expired").fillna(False).to_numpy(bool) & (
        rows["payments"] > 0
    ).to_numpy()

    refund = (
        decimals(orders["refund_data.refund_amount"])
        if "refund_data.refund_amount" in orders.columns
        else [None] * len(orders)
    )
    token = (
        orders["refund_data.token"].astype("string")
        if "refund_data.token" in orders.columns
        else pd.Series(pd.NA, index=orders.index, dtype="string")
    )
    rows["refund_amount"] = exact_column(refund, rows.index)
    rows["paid_in_refund_token"] = exact_column(
        [
            by_token.get((c, str(t)), Decimal(0)) if t is not pd.NA else None
            for c, t in zip(rows["cregis_id"], token, strict=True)
        ],
        rows.index,
    )
    too_much = np.array(
        [
            r is not None and r > 0 and (p is None or r > p)
            for r, p in zip(refund, rows["paid_in_refund_token"], strict=True)
        ],
        dtype=bool,
    )
    joined = rows.merge(_callbacks(read_callbacks(callbacks, api_key)), on="cregis_id", how="left")
    final = joined["status"].isin(FINAL_STATUSES).fillna(False).to_numpy(bool)
    heard = (joined["callbacks"].fillna(0) > 0).to_numpy()
    event = joined["callback_event"].astype("string")
    said = known(joined["callback_amount"])
    amount_differs = np.array(
        [
            s is not None and a is not None and s != a
            for s, a in zip(said, joined["order_amount"], strict=True)
        ],
        dtype=bool,
    )
    flags = {
        "status_vs_paid": wrong_paid | expired_paid,
        "refund_exceeds_paid": too_much,
        "missing_callback": final & ~heard,
        "callback_mismatch": (event.notna() & (event != joined["status"]))
        .fillna(False)
        .to_numpy(bool)
        | amount_differs,
    }
    stakes = {
        "default": list(joined["order_amount"]),
        "status_vs_paid": [
            abs(a - p) if a is not None else None
            for a, p in zip(joined["order_amount"], joined["paid_value"], strict=True)
        ],
    }
    result = finish(joined, "orders", flags, stakes)
    front = ["key", "ok", "findings", "currency", "amount_at_stake"]
    return result[front + [c for c in result.columns if c not in front]]
