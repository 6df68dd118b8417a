"""``run``: everything reconciled from a client or a local store, as one ``Reconciliation``."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .._signing import Secret
from ..client import Client
from ..fetch import fetch_frame
from ..store import Store
from .balances import balances as reconcile_balances
from .checks import KINDS
from .deposits import deposits as reconcile_deposits
from .inputs import CallbackSource, read_callbacks, read_requests
from .orders import orders as reconcile_orders
from .summary import as_findings, summary
from .transfers import Requests
from .transfers import payouts as reconcile_payouts
from .transfers import withdrawals as reconcile_withdrawals

__all__ = ["Reconciliation", "run"]

_QUERIES = {"payouts": "payout_query", "withdrawals": "sub_address_withdrawal_query"}
_CALLBACK_KINDS = {"payouts": "payout", "withdrawals": "sub_address_withdrawal"}


@dataclass(frozen=True)
class Reconciliation:
    """The result of :func:`run`: one frame per kind (a row per object checked), ``findings``
    (long: ``kind``, ``key``, ``check``, ``currency``, ``amount_at_stake``) and ``summary``."""

    payouts: pd.DataFrame = field(repr=False)
    withdrawals: pd.DataFrame = field(repr=False)
    deposits: pd.DataFrame = field(repr=False)
    balances: pd.DataFrame = field(repr=False)
    orders: pd.DataFrame = field(repr=False)
    findings: pd.DataFrame = field(repr=False)
    summary: pd.DataFrame = field(repr=False)

    def frames(self) -> dict[str, pd.DataFrame]:
        """Every frame by name (``summary``, ``findings``, then each kind), e.g. for
        ``cn.to_excel(rec.frames(), path)``."""
        return {"summary": self.summary, "findings": self.findings} | {
            kind: getattr(self, kind) for kind in KINDS
        }

    def counts(self) -> dict[str, tuple[int, int]]:
        """Per kind: (objects checked, objects with a finding)."""
        out = {}
        for kind in KINDS:
            frame = getattr(self, kind)
            out[kind] = (len(frame), int((~frame["ok"].astype(bool)).sum()) if len(frame) else 0)
        return out

    def __repr__(self) -> str:
        parts = ", ".join(f"{kind}={bad}/{n}" for kind, (n, bad) in self.counts().items())
        return f"Reconciliation({len(self.findings)} findings; with findings/checked: {parts})"

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(kind)}</td><td>{n}</td><td>{bad}</td></tr>"
            for kind, (n, bad) in self.counts().items()
        )
        table = "" if self.summary.empty else self.summary.to_html(index=False)
        return (
            f"<b>Reconciliation</b>: {len(self.findings)} findings"
            "<table><tr><th>kind</th><th>checked</th><th>with findings</th></tr>"
            f"{rows}</table>{table}"
        )


def _ints(values: Any) -> list[int]:
    return sorted({int(v) for v in pd.Series(values).dropna()})


def _answered(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of a fanned-out query that Cregis answered (an unknown cid answers an error)."""
    if "cid" not in frame.columns:
        frame = frame.assign(cid=pd.Series(frame.attrs["filters"]["cid"], dtype="Int64").to_numpy())
    return frame[frame["code"].astype("string") == "00000"].reset_index(drop=True)


def _query(client: Client, endpoint: str, filter_name: str, values: list[Any]) -> pd.DataFrame:
    if not values:
        return pd.DataFrame()
    filters: dict[str, Any] = {filter_name: values}
    frame = fetch_frame(client, endpoint, progress=False, errors="row", **filters)
    return _answered(frame) if filter_name == "cid" else frame[frame["code"] == "00000"]


_SNAPSHOT_ATTEMPTS = 3
"""How often the trades are read again when a balance moved while they were being read."""


def _balances(client: Client, coins: list[str]) -> pd.DataFrame:
    """The balances of every coin (``sub_address_balance`` is paged: one fetch per coin)."""
    snapshots = [
        fetch_frame(client, "sub_address_balance", currency=k, progress=False) for k in coins
    ]
    snapshots = [s for s in snapshots if len(s)]
    return pd.concat(snapshots, ignore_index=True) if snapshots else pd.DataFrame()


def _same(one: pd.DataFrame, other: pd.DataFrame) -> bool:
    """Whether two balance snapshots hold the same amounts for the same addresses and coins."""
    columns = ["address", "currency", "total", "available", "processing"]
    if one.empty or other.empty:
        return one.empty and other.empty

    def rows(frame: pd.DataFrame) -> set[tuple[str, ...]]:
        return set(map(tuple, frame[columns].astype(str).itertuples(index=False)))

    return rows(one) == rows(other)


def _fetch(
    client: Client, callbacks: pd.DataFrame, asked: pd.DataFrame, order_ids: Iterable[str]
) -> dict[str, pd.DataFrame]:
    """What the checks need, fetched: the transfers and orders the callbacks or the requests
    name, then the trades (so that a transfer that ends meanwhile has its row), and the balances
    of every project coin, read before and after the trades until none moved in between."""
    out: dict[str, pd.DataFrame] = {}
    for kind, endpoint in _QUERIES.items():
        named = callbacks.loc[callbacks["kind"].astype("string") == _CALLBACK_KINDS[kind]]
        cids = _ints(named["cid"]) if "cid" in named.columns else []
        mine = asked[asked["kind"].isna() | (asked["kind"] == _CALLBACK_KINDS[kind].split("_")[-1])]
        cids = sorted(set(cids) | set(_ints(mine["cid"])))
        out[kind] = _query(client, endpoint, "cid", cids)
    orders = callbacks.loc[callbacks["kind"].astype("string").isin(["payment_order", "payment_v1"])]
    said = orders["cregis_id"].dropna().tolist() if "cregis_id" in orders.columns else []
    ids = sorted({str(i) for i in said} | {str(i) for i in order_ids})
    out["orders"] = _query(client, "order_info_v2", "cregis_id", ids)
    coins = fetch_frame(client, "project_coins", progress=False)
    keys = sorted(set(coins["chain_id"].astype(str) + "@" + coins["token_id"].astype(str)))
    before = _balances(client, keys)
    for _ in range(_SNAPSHOT_ATTEMPTS):
        # unpinned: the balances include the rows of the last second, which a pinned window
        # leaves out; a row arriving meanwhile moves a balance, and the trades are read again
        trades = fetch_frame(client, "trade_page", progress=False, pin=False)
        after = _balances(client, keys)
        if _same(before, after):
            break
        before = after  # something moved while the trades were read: read them again
    out["trades"], out["balances"] = trades, after
    return out


def _stored(store: Store) -> dict[str, pd.DataFrame]:
    """The tables of a local store (``store.frame(table)``); a missing one is empty.

    Of the balance snapshots, the latest of each address and coin: an older one was taken while
    rows were pending that the trades table now holds in their final state, so the ledger of
    its time cannot be rebuilt from them (``balances()`` compares older snapshots when asked).
    """
    tables = set(store.tables)
    names = ("trades", "balances", "payouts", "withdrawals", "orders", "callbacks")
    out = {name: store.frame(name) if name in tables else pd.DataFrame() for name in names}
    snapshots = out["balances"]
    if "as_of" in snapshots.columns and len(snapshots):
        ordered = snapshots.sort_values("as_of", kind="stable")
        out["balances"] = ordered.drop_duplicates(["address", "currency"], keep="last")
    return out


def _split_requests(
    asked: pd.DataFrame, withdrawals: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Requests without a ``kind``: a withdrawal's third_party_id goes to withdrawals."""
    if asked["kind"].notna().all():
        return asked, asked
    theirs = (
        set(withdrawals["third_party_id"].dropna().astype(str))
        if "third_party_id" in withdrawals.columns
        else set()
    )
    is_w = asked["kind"].fillna(
        asked["third_party_id"].astype(str).isin(theirs).map({True: "withdrawal", False: "payout"})
    )
    asked = asked.assign(kind=is_w.astype("string"))
    return asked, asked


def run(
    source: Client | Store,
    *,
    callbacks: CallbackSource | None = None,
    requests: Requests = None,
    stale_after: str | dt.timedelta = "24h",
    now: Any = None,
    api_key: str | Secret | None = None,
    order_ids: Iterable[str] = (),
) -> Reconciliation:
    """Reconcile payouts, withdrawals, deposits, balances and orders.

    Args:
        source: a :class:`~cregis_notebook.Client` (what is needed is fetched) or a local
            :class:`~cregis_notebook.Store` (its tables are read).
        callbacks: the callbacks received (raw bodies, or a frame with ``verified``); from a
            store, its ``callbacks`` table is used when this is left out.
        requests: your own record of the payouts and withdrawals you asked for (a frame, a
            CSV path, or a list of records such as ``box.payout_requests()``:
            ``third_party_id``, ``amount``, ``address``, optionally ``kind``, ``cid``,
            ``requested_at``).
        stale_after: how long a transfer may await approval or a deposit stay pending.
        now: the time "stuck" and "stale" are measured at (default: now; an in-process
            sandbox's own clock).
        api_key: the key raw callbacks are verified with (an in-process sandbox's is used when
            left out); never shown.
        order_ids: more orders (``cregis_id``) to check than the callbacks name, so that an
            order whose callback never came is found (``missing_callback``).
    """
    box = source.sandbox_app if isinstance(source, Client) else None
    if api_key is None and box is not None:
        api_key = box.api_key
    if now is None and box is not None:
        now = pd.Timestamp(box.clock(), unit="s", tz="UTC")
    if isinstance(source, Store):
        data = _stored(source)
        received = read_callbacks(
            data["callbacks"] if callbacks is None and not data["callbacks"].empty else callbacks,
            api_key,
        )
    elif isinstance(source, Client):
        received = read_callbacks(callbacks, api_key)
        data = _fetch(source, received, read_requests(requests), order_ids)
    else:
        raise TypeError(f"source must be a Client or a Store; got {type(source).__name__}")
    asked, _ = _split_requests(read_requests(requests), data["withdrawals"])
    options = {"stale_after": stale_after, "now": now}
    trades = data["trades"]
    result = {
        "payouts": reconcile_payouts(
            _or_empty(data["payouts"]), trades, received, asked, **options
        ),
        "withdrawals": reconcile_withdrawals(
            _or_empty(data["withdrawals"]), trades, received, asked, **options
        ),
        "deposits": reconcile_deposits(trades, received, **options),
        "balances": reconcile_balances(trades, data["balances"]),
        "orders": reconcile_orders(data["orders"], received),
    }
    findings = as_findings(*result.values())
    return Reconciliation(**result, findings=findings, summary=summary(findings))


def _or_empty(frame: pd.DataFrame) -> pd.DataFrame:
    if len(frame.columns):
        return frame
    return pd.DataFrame({"cid": pd.Series(dtype="Int64"), "amount": pd.Series(dtype=object)})
