"""``cregis-notebook demo``: the main job, end to end, in one command.

It fetches transactions, balances, payouts, withdrawals and payment orders into typed frames,
reconciles them (on a sandbox, against its merchant's callbacks and requests), writes each as
CSV, draws the report charts as PNG and prints a short summary (rows per table, exact totals per
currency, the reconciliation's counts, where the files are).

* With no configuration it runs on the in-process sandbox. The read-only API has no list
  endpoint for payouts, withdrawals or orders, so on a sandbox the demo takes the ids the
  sandbox offers (a payout and a withdrawal in every status, its seeded orders), makes a few
  more payouts, withdrawals and checkout orders there (it is local: nothing real moves) and
  queries them all like any project would.
* With ``CREGIS_BASE_URL``, ``CREGIS_PID`` and ``CREGIS_API_KEY`` set it runs against the live
  project and only reads: transactions (``trade_page``), coins and the balance of every address
  coin. Payouts, withdrawals and orders are queried only for the ids you give
  (``--payout-cid``, ``--withdrawal-cid``, ``--order-id``, each repeatable); nothing is created.
* Given a :class:`~cregis_notebook.TeamClient` (``team=``) it also reads the team's wallets
  through the Team API, which only reads: the wallets, each wallet's balances, completed and
  in-flight transactions, written as ``team_*.csv`` and drawn as ``team.png``
  (:func:`cregis_notebook.reports.team_chart`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from ._values import exact_decimal, exact_int
from .errors import CregisError
from .spec import registry

__all__ = ["CHARTS", "DEFAULT_OUT", "TABLES", "TEAM_TABLES", "DemoResult", "run_demo"]

DEFAULT_OUT = "demo-output"
SUMMARY_CURRENCIES = 10
TABLES = ("transactions", "balances", "payouts", "withdrawals", "orders")
CHARTS = (
    "flows",
    "volume",
    "status",
    "fees",
    "top_addresses",
    "order_funnel",
    "order_value",
    "reconciliation",
    "report",
)
TEAM_TABLES = ("team_wallets", "team_balances", "team_history", "team_processing")
"""The Team API's tables, written when the demo is given a team."""


@dataclass
class DemoResult:
    """What a demo run produced: frames, files, charts and notes, plus the summary text."""

    out_dir: Path
    source: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    charts: dict[str, Path] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    team_source: str = ""
    reconciliation: Any = None  # a cregis_notebook.reconcile.Reconciliation, when one ran

    def summary(self) -> str:
        """The text the command prints."""
        from .reports import exact_text, totals_by_currency

        lines = [f"cregis-notebook demo on {self.source} ({self.seconds:.1f} s)", ""]
        lines.append("tables (rows -> file):")
        for name in TABLES:
            frame = self.tables.get(name)
            rows = "skipped" if frame is None else f"{len(frame):>7}"
            where = self.files.get(name)
            lines.append(f"  {name:<13}{rows:>8}  {where if where else ''}".rstrip())
        totals = totals_by_currency(self.tables.get("transactions", pd.DataFrame()))
        if not totals.empty:
            shown = totals.sort_values(["count", "currency"], ascending=[False, True]).head(
                SUMMARY_CURRENCIES
            )
            lines += ["", "totals per currency (successful transactions, exact):"]
            width = max(len(str(c)) for c in shown["currency"])
            lines.append(
                f"  {'currency':<{width}} {'txs':>5}  {'in':>20}  {'out':>20}  {'net':>20}"
            )
            for row in shown.to_dict("records"):
                inflow, outflow, net = (exact_text(row[k]) for k in ("inflow", "outflow", "net"))
                lines.append(
                    f"  {row['currency']:<{width}} {row['count']:>5}  {inflow:>20}  "
                    f"{outflow:>20}  {net:>20}"
                )
            if len(totals) > len(shown):
                lines.append(
                    f"  ... and {len(totals) - len(shown)} more currencies "
                    "(reports.totals_by_currency on transactions.csv)"
                )
        lines += self._team_lines()
        orders = self.tables.get("orders")
        if orders is not None and not orders.empty and "order_amount" in orders.columns:
            from .reports import order_value_table

            lines += ["", "payment orders per order currency (exact):"]
            for row in order_value_table(orders).to_dict("records"):
                lines.append(
                    f"  {row['order_currency']:<5} {row['orders']:>3} orders, ordered "
                    f"{exact_text(row['ordered'])}, paid in full {exact_text(row['paid'])}"
                )
        lines += self._reconciliation_lines()
        if self.charts:
            lines += ["", f"charts ({len(self.charts)} PNG files) in {self.out_dir}:"]
            lines.append("  " + ", ".join(p.name for p in self.charts.values()))
        if self.notes:
            lines += ["", "notes:"] + [f"  - {note}" for note in self.notes]
        return "\n".join(lines)

    def _team_lines(self) -> list[str]:
        """The team's part of the summary: rows per table and the balances per wallet."""
        if "team_wallets" not in self.tables:
            return []
        from .reports import exact_text, team_balances_table

        lines = ["", f"team ({self.team_source}): rows -> file"]
        for name in TEAM_TABLES:
            frame = self.tables.get(name)
            rows = "skipped" if frame is None else f"{len(frame):>7}"
            where = self.files.get(name)
            lines.append(f"  {name:<16}{rows:>8}  {where if where else ''}".rstrip())
        table = team_balances_table(
            self.tables.get("team_balances", pd.DataFrame()), self.tables["team_wallets"]
        )
        if not table.empty:
            lines.append("team balances per wallet and coin (exact total, of it in flight):")
            for row in table.head(SUMMARY_CURRENCIES).to_dict("records"):
                lines.append(
                    f"  {row['wallet']:<18} {row['currency']:<14} {exact_text(row['total']):>24}"
                    f"  {exact_text(row['processing'])}"
                )
            if len(table) > SUMMARY_CURRENCIES:
                lines.append(f"  ... and {len(table) - SUMMARY_CURRENCIES} more")
        return lines

    def _reconciliation_lines(self) -> list[str]:
        rec = self.reconciliation
        if rec is None:
            return []
        lines = ["", "reconciliation (objects checked, with findings):"]
        for kind, (checked, bad) in rec.counts().items():
            lines.append(f"  {kind:<13}{checked:>7}{bad:>7}")
        lines.append(f"  findings: {len(rec.findings)}")
        for row in rec.summary.to_dict("records"):
            lines.append(
                f"    {row['kind']}: {row['check']} {row['count']} "
                f"({row['amount_at_stake']} {row['currency']} at stake)"
            )
        return lines


# -- fetching ----------------------------------------------------------------------------------


def _fetch(client: Any, endpoint: str, progress: bool, **filters: Any) -> pd.DataFrame:
    from .fetch import fetch_frame

    return fetch_frame(client, endpoint, progress=progress, **filters)


def _query_frame(client: Any, endpoint: str, key: str, ids: Iterable[Any]) -> pd.DataFrame:
    """One row per id: the query's answer, error answers kept with their ``code``/``msg``."""
    from .frames import to_frame

    envelopes = [client.request(endpoint, **{key: value}) for value in ids]
    frame = to_frame(envelopes, endpoint)
    if envelopes and key not in frame.columns:
        frame.insert(0, key, list(ids))
    return frame


def _coins(client: Any) -> tuple[list[str], list[str]]:
    """``chain_id@token_id`` of the project's address coins and payout coins."""
    data = client.coins()

    def ids(name: str) -> list[str]:
        return [f"{c['chain_id']}@{c['token_id']}" for c in data.get(name) or []]

    return ids("address_coins"), ids("payout_coins")


def _balances(client: Any, currencies: Sequence[str], progress: bool, notes: list[str]) -> Any:
    frames = []
    for currency in currencies:
        try:
            frames.append(_fetch(client, "sub_address_balance", progress, currency=currency))
        except CregisError as exc:
            notes.append(f"balances of {currency} skipped: {exc}")
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True)


# -- a team's wallets (the Team API, read-only) ----------------------------------------------------


def _per_wallet(
    team: Any, endpoint: str, wallet_ids: Sequence[int], progress: bool, notes: list[str]
) -> pd.DataFrame:
    """``endpoint`` fetched for every wallet, joined; balances gain their ``wallet_id``."""
    frames = []
    for wallet_id in wallet_ids:
        try:
            frame = _fetch(team, endpoint, progress, wallet_id=wallet_id)
        except CregisError as exc:
            notes.append(f"team {endpoint} of wallet {wallet_id} skipped: {exc}")
            continue
        if "wallet_id" not in frame.columns:
            frame.insert(0, "wallet_id", pd.Series(wallet_id, index=frame.index, dtype="Int64"))
        frames.append(frame)
    full = [f for f in frames if not f.empty]
    if full:
        return pd.concat(full, ignore_index=True)
    return frames[0] if frames else pd.DataFrame()  # typed and empty, when there is one


def _team_tables(team: Any, progress: bool, notes: list[str]) -> dict[str, pd.DataFrame]:
    """The team's wallets, and each wallet's balances, history and in-flight transactions."""
    wallets = _fetch(team, "list_wallets", progress)
    ids = [int(v) for v in wallets["wallet_id"].dropna()] if "wallet_id" in wallets else []
    return {
        "team_wallets": wallets,
        "team_balances": _per_wallet(team, "query_wallet_balance", ids, progress, notes),
        "team_history": _per_wallet(team, "query_history_transactions", ids, progress, notes),
        "team_processing": _per_wallet(team, "query_processing_transactions", ids, progress, notes),
    }


def _team_source(team: Any) -> str:
    if team.sandbox_app is not None:
        return "the built-in sandbox's team"
    if team.probe_sandbox():
        return f"a local sandbox's team at {team.base_url}"
    return f"the live team {team.access_key}"


# -- sandbox activity (never against a live project) ---------------------------------------------


@dataclass
class _Made:
    payouts: list[int] = field(default_factory=list)
    withdrawals: list[int] = field(default_factory=list)
    orders: list[str] = field(default_factory=list)


def _outside_address(transactions: pd.DataFrame, chain_id: str) -> str | None:
    """An address on ``chain_id`` that sent money in (a counterparty), from the trade rows."""
    if transactions.empty or "from_address" not in transactions.columns:
        return None
    rows = transactions[(transactions["chain_id"] == chain_id) & (transactions["trade_type"] == 1)]
    values = rows["from_address"].dropna()
    return str(values.iloc[0]) if len(values) else None


def _tenth(available: Decimal, currency: str) -> Decimal:
    """A tenth of a balance, cut to the coin's precision (at most 6 places)."""
    known = registry().currency(currency)
    places = min(known.decimals if known else 6, 6)
    return (available / 10).quantize(Decimal(1).scaleb(-places), rounding=ROUND_DOWN)


def _sandbox_ids(client: Any) -> tuple[list[int], list[int], list[str]]:
    """Seeded ids the sandbox offers: a payout and a withdrawal per status, and its orders."""
    box = client.sandbox_app
    if box is None or not hasattr(box, "examples"):
        return [], [], []
    examples = box.examples()
    payouts = [int(v) for v in examples.get("payout_cid_by_status", {}).values()]
    withdrawals = [int(v) for v in examples.get("withdrawal_cid_by_status", {}).values()]
    orders = [str(v) for v in examples.get("order_by_status", {}).values()]
    orders += [cregis_id for cregis_id in box.order_ids() if cregis_id not in orders]
    return payouts, withdrawals, orders


def _sandbox_activity(
    client: Any,
    transactions: pd.DataFrame,
    balances: pd.DataFrame,
    payout_coins: Sequence[str],
    notes: list[str],
    *,
    count: int = 3,
) -> _Made:
    """Make a few payouts, withdrawals and checkout orders on the sandbox to query afterwards."""
    made = _Made()
    stamp = f"{int(time.time() * 1000):x}"

    def attempt(what: str, call: Callable[..., Any], **params: Any) -> Any:
        try:
            return call(**params)
        except CregisError as exc:
            notes.append(f"sandbox {what} not made: {exc}")
            return None

    for i, currency in enumerate(payout_coins[:count]):
        to = _outside_address(transactions, currency.split("@", 1)[0])
        if to is None:
            continue
        data = attempt(
            "payout",
            client.payout,
            currency=currency,
            to_address=to,
            amount=Decimal("0.01"),
            third_party_id=f"demo-payout-{stamp}-{i}",
            remark="demo",
        )
        if data:
            made.payouts.append(exact_int(data["cid"]))

    if not balances.empty and {"address", "currency", "available"} <= set(balances.columns):
        rows: list[dict[Any, Any]] = balances.to_dict("records")
        rich = [r for r in rows if r["available"] is not None and r["available"] > 0]
        rich.sort(key=lambda r: -r["available"])
        for i, row in enumerate(rich[:count]):
            currency = str(row["currency"])
            to = _outside_address(transactions, currency.split("@", 1)[0])
            if to is None:
                continue
            data = attempt(
                "withdrawal",
                client.withdrawal,
                currency=currency,
                from_address=str(row["address"]),
                to_address=to,
                amount=_tenth(exact_decimal(row["available"]), currency),
                third_party_id=f"demo-withdrawal-{stamp}-{i}",
                remark="demo",
            )
            if data:
                made.withdrawals.append(exact_int(data["cid"]))

    plans = [("USD", "25.00"), ("HKD", "199.90")]
    for i, (order_currency, amount) in enumerate(plans):
        data = attempt(
            "checkout order",
            client.checkout,
            order_id=f"demo-order-{stamp}-{i}",
            order_amount=Decimal(amount),
            order_currency=order_currency,
            payer_id=f"payer-{i}",
            payer_email=f"payer{i}@example.com",
            valid_time=30,
            success_url="https://example.com/success",
            cancel_url="https://example.com/cancel",
            remark="demo",
        )
        if data:
            made.orders.append(str(data["cregis_id"]))
    return made


# -- reconciliation ----------------------------------------------------------------------------


def _reconcile(client: Any, result: DemoResult, sandbox: bool) -> None:
    """Reconcile everything against the sandbox merchant's side (the callbacks it received, the
    payouts and withdrawals it asked for); a live project's side is yours, so it is skipped."""
    from .reconcile import run

    box = client.sandbox_app
    if box is not None and hasattr(box, "delivered_callbacks"):
        callbacks, requests, key = box.delivered_callbacks(), box.payout_requests(), box.api_key
    elif sandbox and box is None:
        import httpx

        def side(name: str) -> Any:
            return httpx.get(f"{client.base_url}/_sandbox/{name}", timeout=30).json()["data"]

        try:
            callbacks, requests, key = (
                side("delivered_callbacks"),
                side("payout_requests"),
                side("info")["api_key"],
            )
        except (httpx.HTTPError, ValueError, KeyError, TypeError):
            result.notes.append(
                f"the sandbox at {client.base_url} did not hand out its merchant's side "
                "(/_sandbox/delivered_callbacks, /_sandbox/payout_requests): no reconciliation"
            )
            return
    elif box is not None:
        result.notes.append("this sandbox does not hand out its merchant's side: no reconciliation")
        return
    else:
        result.notes.append(
            "live: reconciliation needs your own records: "
            "cregis_notebook.reconcile.run(client, callbacks=..., requests=...)"
        )
        return
    rec = run(client, callbacks=callbacks, requests=pd.DataFrame(requests), api_key=key)
    result.reconciliation = rec
    from .export import to_csv

    result.files["findings"] = to_csv(rec.findings, result.out_dir / "findings.csv")
    result.files["reconciliation"] = to_csv(rec.summary, result.out_dir / "reconciliation.csv")


# -- charts ------------------------------------------------------------------------------------


def _charts(result: DemoResult, freq: str) -> None:
    import matplotlib.pyplot as plt

    from . import reports

    tx = result.tables.get("transactions", pd.DataFrame())
    orders = result.tables.get("orders")
    orders = orders if orders is not None else pd.DataFrame()
    balances = result.tables.get("balances", pd.DataFrame())
    drawings: dict[str, Callable[[], Any]] = {
        "flows": lambda: reports.flows(tx, freq=freq, currency=reports.top_currency(tx)),
        "volume": lambda: reports.volume_by_token(tx),
        "status": lambda: reports.status_breakdown(tx),
        "fees": lambda: reports.fees_by_chain(tx),
        "top_addresses": lambda: reports.top_addresses(tx),
        "order_funnel": lambda: reports.order_funnel(orders),
        "order_value": lambda: reports.order_value(orders),
        "reconciliation": lambda: reports.reconciliation(
            result.reconciliation.summary if result.reconciliation is not None else pd.DataFrame()
        ),
    }
    for name, draw in drawings.items():
        ax = draw()
        path = result.out_dir / f"{name}.png"
        ax.figure.savefig(path, dpi=100)
        plt.close(ax.figure)
        result.charts[name] = path
    fig = reports.report(
        tx, orders, balances, freq=freq, title=f"Cregis project report ({result.source})"
    )
    path = result.out_dir / "report.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    result.charts["report"] = path
    if "team_wallets" in result.tables:
        fig = reports.team_chart(
            result.tables["team_balances"],
            result.tables["team_history"],
            wallets=result.tables["team_wallets"],
            freq=freq,
        )
        fig.suptitle(f"Team wallets ({result.team_source})")
        path = result.out_dir / "team.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        result.charts["team"] = path


# -- the job -----------------------------------------------------------------------------------


def run_demo(
    client: Any,
    out_dir: str | Path = DEFAULT_OUT,
    *,
    payout_cids: Sequence[int] = (),
    withdrawal_cids: Sequence[int] = (),
    order_ids: Sequence[str] = (),
    create: bool | None = None,
    freq: str = "auto",
    progress: bool = False,
    team: Any = None,
) -> DemoResult:
    """Fetch, write CSVs, draw charts; returns a :class:`DemoResult` (``.summary()`` to print).

    ``create`` makes a few payouts, withdrawals and orders first; it defaults to ``True`` on a
    sandbox and is refused against a live project, so a live run only reads. ``team`` (a
    :class:`~cregis_notebook.TeamClient`) adds the team's wallets (:data:`TEAM_TABLES`, the
    ``team`` chart); the Team API only reads.
    """
    from .export import to_csv

    started = time.perf_counter()
    # the in-process sandbox, or a server that proves it is one: never an address alone
    sandbox = bool(client.probe_sandbox())
    if create is None:
        create = sandbox
    if create and not sandbox:
        raise CregisError("the demo creates payouts and orders only on a sandbox, never live")
    source = (
        "the built-in sandbox"
        if client.sandbox_app is not None
        else (
            f"a local sandbox at {client.base_url}" if sandbox else f"the live project {client.pid}"
        )
    )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    result = DemoResult(out_dir=out, source=source)
    notes = result.notes

    address_coins, payout_coins = _coins(client)
    result.tables["transactions"] = _fetch(client, "trade_page", progress)
    result.tables["balances"] = _balances(client, address_coins, progress, notes)

    _reconcile(client, result, sandbox)  # before anything new is under way

    payouts, withdrawals, orders = list(payout_cids), list(withdrawal_cids), list(order_ids)
    if create:
        seeded = _sandbox_ids(client)
        payouts += seeded[0]
        withdrawals += seeded[1]
        orders += seeded[2]
        made = _sandbox_activity(
            client, result.tables["transactions"], result.tables["balances"], payout_coins, notes
        )
        payouts += made.payouts
        withdrawals += made.withdrawals
        orders += made.orders
    elif not (payouts or withdrawals or orders):
        notes.append(
            "live and read-only: payouts, withdrawals and orders have no list endpoint; "
            "give --payout-cid, --withdrawal-cid or --order-id to include them"
        )
    for name, endpoint, key, ids in (
        ("payouts", "payout_query", "cid", payouts),
        ("withdrawals", "sub_address_withdrawal_query", "cid", withdrawals),
        ("orders", "order_info_v2", "cregis_id", orders),
    ):
        if ids:
            result.tables[name] = _query_frame(client, endpoint, key, ids)

    if team is not None:
        result.team_source = _team_source(team)
        result.tables.update(_team_tables(team, progress, notes))
    for name in (*TABLES, *TEAM_TABLES):
        frame = result.tables.get(name)
        if frame is not None:
            result.files[name] = to_csv(frame, out / f"{name}.csv")
    _charts(result, freq)
    result.seconds = time.perf_counter() - started
    return result
