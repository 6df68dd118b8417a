"""Charts of transactions, balances and payment orders, drawn from the exact tables (matplotlib).

Every chart function takes a frame and ``ax=None`` and returns the :class:`~matplotlib.axes.Axes`
it drew on; when ``ax`` is ``None`` a new figure is made. Each chart draws one table of
:mod:`cregis_notebook.reports.tables` (its docstring names it): amounts are added up exactly
there and turned into floats only at the moment they are drawn, so the numbers printed on a chart
are the table's exact totals.

An empty frame (or one without the needed columns) gives an Axes that says "no data" rather than
an exception. Different currencies are never added together, and the axis label says which unit
it shows. matplotlib is imported when a chart is drawn, not when this module is imported.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

import pandas as pd

from .tables import (
    currency_label,
    currency_name,
    currency_names,
    exact_text,
    fees_table,
    flows_table,
    funnel_table,
    is_balances,
    order_value_table,
    reconciliation_table,
    resolve_freq,
    short_id,
    status_table,
    team_balances_table,
    team_flows_table,
    time_span,
    top_addresses_table,
    top_currency,
    totals_by_currency,
    volume_table,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "NO_DATA",
    "fees_by_chain",
    "flows",
    "order_funnel",
    "order_value",
    "reconciliation",
    "report",
    "status_breakdown",
    "team_chart",
    "top_addresses",
    "volume_by_token",
]

NO_DATA = "no data"
"""The text an Axes shows when its frame has nothing to draw."""

_STATUS_COLOURS = {"success": "#2e7d32", "pending": "#f9a825", "failed": "#c62828"}
_FUNNEL_COLOURS = {
    "created": "#455a64",
    "new": "#90a4ae",
    "paid": "#2e7d32",
    "paid_over": "#66bb6a",
    "paid_partial": "#f9a825",
    "expired": "#c62828",
    "canceled": "#8d6e63",
    "refunded": "#6a1b9a",
}


# -- drawing helpers ---------------------------------------------------------------------------


def _axes(ax: Axes | None, size: tuple[float, float] = (7.0, 4.0)) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=size, layout="constrained")
    return new


def _no_data(ax: Axes, title: str, xlabel: str, ylabel: str) -> Axes:
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.text(
        0.5,
        0.5,
        NO_DATA,
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize=12,
        color="0.45",
    )
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def _short_text(value: Decimal) -> str:
    """A compact label for a bar: exact when short, grouped thousands otherwise."""
    text = exact_text(value)
    if len(text) <= 14:
        return text
    return f"{float(value):,.6g}"


def _hbars(
    ax: Axes,
    names: Sequence[str],
    values: Sequence[Decimal],
    *,
    color: str | None = None,
) -> bool:
    """Horizontal bars, first name at the top, each bar labelled with its exact value.

    When the values span more than three orders of magnitude (coins of very different worth)
    the value axis is logarithmic, so that every bar stays visible; returns True then.
    """
    positions = list(range(len(names)))[::-1]
    bars = ax.barh(positions, [float(v) for v in values], color=color)
    ax.set_yticks(positions, labels=list(names))
    ax.bar_label(bars, labels=[_short_text(v) for v in values], padding=3, fontsize=8)
    positive = [v for v in values if v > 0]
    if len(positive) == len(values) and positive and max(positive) > 1000 * min(positive):
        ax.set_xscale("log")
        ax.margins(x=0.3)
        return True
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
    ax.margins(x=0.18)
    return False


def _date_axis(ax: Axes, periods: int) -> None:
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=1, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    if periods == 1:
        lo, hi = ax.get_xlim()
        ax.set_xlim(lo - 1, hi + 1)


# -- transactions ------------------------------------------------------------------------------


def flows(
    transactions: pd.DataFrame,
    *,
    freq: str = "D",
    currency: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Inflow (up) and outflow (down) per day or week, per currency (``flows_table``).

    With one currency (or ``currency=`` naming one, e.g. ``"USDT-TRC20"``) it draws bars: inflow
    above zero, outflow below, with a net line. With several currencies it draws one line pair per
    currency (solid in, dashed out), since their units differ. ``freq`` is ``"D"``, ``"W"`` or
    ``"auto"`` (per week when the data spans more than two months).
    """
    freq = resolve_freq(freq, transactions)
    ax = _axes(ax, (8.0, 4.0))
    return _draw_flows(ax, flows_table(transactions, freq=freq), freq, currency)


def _draw_flows(ax: Axes, table: pd.DataFrame, freq: str, currency: str | None) -> Axes:
    """Draw a ``flows_table`` (or ``team_flows_table``) as :func:`flows` describes."""
    per = "day" if freq == "D" else "week"
    if currency is not None:
        table = table[table["currency"] == currency_name(None, None, currency)]
        currency = currency_label(None, None, currency)
    title = f"Inflow and outflow per {per}" + (f": {currency}" if currency else "")
    currencies = list(dict.fromkeys(table["currency"].tolist()))
    if table.empty:
        return _no_data(ax, title, f"{per} (UTC)", "amount")
    if len(currencies) == 1:
        cur = currency_label(None, None, currencies[0])
        x = [p.to_pydatetime() for p in table["period"]]
        width = 0.8 if freq == "D" else 5.6
        ax.bar(x, [float(v) for v in table["inflow"]], width=width, color="#2e7d32", label="inflow")
        ax.bar(
            x, [-float(v) for v in table["outflow"]], width=width, color="#c62828", label="outflow"
        )
        ax.plot(x, [float(v) for v in table["net"]], color="0.2", marker="o", label="net")
        ax.set_ylabel(f"amount ({cur})")
        title = f"Inflow and outflow per {per}: {cur}"
    else:
        import matplotlib.pyplot as plt

        colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        for i, name in enumerate(currencies):
            part = table[table["currency"] == name]
            cur = currency_label(None, None, name)
            x = [p.to_pydatetime() for p in part["period"]]
            colour = colours[i % len(colours)]
            ax.plot(
                x, [float(v) for v in part["inflow"]], marker="o", color=colour, label=f"{cur} in"
            )
            ax.plot(
                x,
                [-float(v) for v in part["outflow"]],
                marker="v",
                linestyle="--",
                color=colour,
                label=f"{cur} out",
            )
        ax.set_ylabel("amount (each currency in its own unit)")
    ax.axhline(0, color="0.5", linewidth=0.8)
    ax.set_title(title)
    ax.set_xlabel(f"{per} (UTC)")
    _date_axis(ax, len(table["period"].unique()))
    ax.legend(fontsize=8, loc="best")
    return ax


def _token_name(chain: str, currency: str) -> str:
    name, _, unit = chain.partition(" (")
    if currency == name:  # the chain's native coin
        return f"{name} · {unit.rstrip(')') or currency}"
    return f"{name} · {currency}"


def volume_by_token(transactions: pd.DataFrame, *, n: int = 12, ax: Axes | None = None) -> Axes:
    """Horizontal bars of the volume of the ``n`` busiest chain/token pairs (``volume_table``).

    Tokens are ordered by number of transactions; the volume axis turns logarithmic when the
    totals span more than three orders of magnitude (each token is in its own unit).
    """
    ax = _axes(ax)
    title = "Volume by chain and token"
    xlabel = "volume (each token in its own unit)"
    table = volume_table(transactions)
    if table.empty:
        return _no_data(ax, title, xlabel, "chain · token")
    if len(table) > n:
        title += f" (busiest {n} of {len(table)})"
        table = table.head(n)
    names = [
        _token_name(chain, currency_label(None, None, name))
        for chain, name in zip(table["chain"], table["currency"], strict=True)
    ]
    if _hbars(ax, names, list(table["volume"]), color="#1565c0"):
        xlabel += ", log scale"
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("chain · token")
    return ax


def status_breakdown(transactions: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Stacked bars: transactions per business type, split by status (``status_table``)."""
    ax = _axes(ax)
    title = "Transactions by business type and status"
    table = status_table(transactions)
    if table.empty:
        return _no_data(ax, title, "transactions (count)", "business type")
    positions = list(range(len(table)))[::-1]
    left = [0] * len(table)
    widest = int(table.to_numpy().sum(axis=1).max())
    for status in table.columns:
        counts = [int(v) for v in table[status]]
        bars = ax.barh(
            positions, counts, left=left, label=str(status), color=_STATUS_COLOURS.get(str(status))
        )
        shown = [str(c) if c and c >= widest * 0.06 else "" for c in counts]  # room to read
        ax.bar_label(bars, labels=shown, label_type="center", fontsize=8)
        left = [a + b for a, b in zip(left, counts, strict=True)]
    ax.set_yticks(positions, labels=[str(i) for i in table.index])
    ax.set_title(title)
    ax.set_xlabel("transactions (count)")
    ax.set_ylabel("business type")
    ax.legend(title="status", fontsize=8, loc="lower right")
    return ax


def fees_by_chain(transactions: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Bars of the total network fee per chain, in its native coin (``fees_table``)."""
    ax = _axes(ax)
    title = "Network fees by chain"
    xlabel = "fees (native coin of each chain)"
    table = fees_table(transactions)
    if table.empty:
        return _no_data(ax, title, xlabel, "chain")
    names = [f"{c} ({u})" for c, u in zip(table["chain"], table["unit"], strict=True)]
    if _hbars(ax, names, list(table["fees"]), color="#6a1b9a"):
        xlabel += ", log scale"
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("chain (fee unit)")
    return ax


# -- addresses ---------------------------------------------------------------------------------


def top_addresses(
    frame: pd.DataFrame,
    *,
    n: int = 10,
    currency: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Bars of the top ``n`` addresses by volume or balance in one currency.

    Draws ``top_addresses_table``: for transactions what each address received plus what it
    sent, for a balances frame its ``total``.
    """
    ax = _axes(ax)
    table = top_addresses_table(frame, n=n, currency=currency)
    what = "balance" if is_balances(frame) else "volume"
    cur = currency_label(None, None, currency) if currency else None
    if cur is None and not table.empty:
        cur = currency_label(None, None, table["currency"].iloc[0])
    title = f"Top {n} addresses by {what}" + (f": {cur}" if cur else "")
    xlabel = f"{what} ({cur})" if cur else what
    if table.empty:
        return _no_data(ax, title, xlabel, "address")
    _hbars(ax, [short_id(a, 8) for a in table["address"]], list(table["volume"]), color="#00838f")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("address")
    return ax


# -- reconciliation ----------------------------------------------------------------------------

_KIND_COLOURS = {
    "payouts": "#1565c0",
    "withdrawals": "#6a1b9a",
    "deposits": "#2e7d32",
    "balances": "#ef6c00",
    "orders": "#c62828",
}


def reconciliation(summary: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Objects with each finding, one bar per kind and check, coloured by kind, labelled with
    the count (``reconciliation_table``; its ``at_stake`` column holds the exact amounts)."""
    title = "Reconciliation findings"
    xlabel = "objects with the finding (count)"
    table = reconciliation_table(summary)
    ax = _axes(ax, (7.0, max(4.0, 0.45 * len(table) + 1.2)))
    if table.empty:
        ax = _no_data(ax, f"{title}: none", xlabel, "kind: check")
        ax.texts[-1].set_text("nothing found: every object checked agrees")
        return ax
    positions = list(range(len(table)))[::-1]
    counts = [int(v) for v in table["objects"]]
    colours = [_KIND_COLOURS.get(k, "#78909c") for k in table["kind"]]
    bars = ax.barh(positions, counts, color=colours)
    ax.bar_label(bars, labels=[str(c) for c in counts], padding=3, fontsize=8)
    ax.set_yticks(positions, labels=list(table["label"]))
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    ax.margins(x=0.15)
    ax.set_title(f"{title}: {sum(counts)} in {len(table)} checks")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("kind: check")
    return ax


# -- payment orders ----------------------------------------------------------------------------


def order_funnel(orders: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Bars from ``created`` to each outcome, the conversion in the title (``funnel_table``)."""
    ax = _axes(ax)
    xlabel = "payment orders (count)"
    if orders.empty or "status" not in orders.columns:
        return _no_data(ax, "Payment-order funnel", xlabel, "stage")
    table = funnel_table(orders)
    conversion = table.attrs["conversion"] * 100
    names = list(table["stage"])
    positions = list(range(len(names)))[::-1]
    counts = [int(v) for v in table["orders"]]
    bars = ax.barh(positions, counts, color=[_FUNNEL_COLOURS.get(s, "#78909c") for s in names])
    ax.bar_label(
        bars,
        labels=[
            f"{c} ({exact_text(s * 100)}%)" for c, s in zip(counts, table["share"], strict=True)
        ],
        padding=3,
        fontsize=8,
    )
    ax.set_yticks(positions, labels=names)
    ax.margins(x=0.25)
    paid = exact_text(conversion.quantize(Decimal("0.1")))
    ax.set_title(f"Payment-order funnel: {paid}% paid in full")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("stage")
    return ax


def order_value(orders: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Grouped bars per order currency: ordered and paid in full (``order_value_table``)."""
    ax = _axes(ax)
    title = "Order value by order currency"
    ylabel = "order value (in each order currency)"
    table = order_value_table(orders)
    if table.empty:
        return _no_data(ax, title, "order currency", ylabel)
    x = list(range(len(table)))
    width = 0.38
    ordered = ax.bar(
        [i - width / 2 for i in x],
        [float(v) for v in table["ordered"]],
        width,
        label="ordered",
        color="#90a4ae",
    )
    paid = ax.bar(
        [i + width / 2 for i in x],
        [float(v) for v in table["paid"]],
        width,
        label="paid in full",
        color="#2e7d32",
    )
    ax.bar_label(ordered, labels=[_short_text(v) for v in table["ordered"]], fontsize=7, padding=2)
    ax.bar_label(paid, labels=[_short_text(v) for v in table["paid"]], fontsize=7, padding=2)
    ax.set_xticks(x, labels=list(table["order_currency"]))
    ax.margins(y=0.15)
    ax.set_title(title)
    ax.set_xlabel("order currency")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    return ax


# -- a team's wallets ---------------------------------------------------------------------------


def _team_balances(ax: Axes, table: pd.DataFrame, n: int) -> None:
    title = "Team balances by wallet and chain"
    xlabel = "total (each token in its own unit)"
    if table.empty:
        _no_data(ax, title, xlabel, "wallet · chain · token")
        return
    if len(table) > n:
        title += f" (first {n} of {len(table)})"
        table = table.head(n)
    parts = zip(table["wallet"], table["chain"], table["currency"], strict=True)
    names = [
        f"{wallet} · {_token_name(chain, currency_label(None, None, cur))}"
        for wallet, chain, cur in parts
    ]
    if _hbars(ax, names, list(table["total"]), color="#00695c"):
        xlabel += ", log scale"
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("wallet · chain · token")


def team_chart(
    balances: pd.DataFrame,
    history: pd.DataFrame,
    *,
    wallets: pd.DataFrame | None = None,
    freq: str = "auto",
    currency: str | None = None,
    n: int = 12,
    axes: tuple[Axes, Axes] | None = None,
) -> Figure:
    """A team's treasury: balances per wallet and chain, and the flows over time; the figure.

    The left panel draws ``team_balances_table(balances, wallets)``: each wallet's total per
    chain and token (the first ``n`` rows), labelled with the exact figure. The right panel draws
    ``team_flows_table(history)`` as :func:`flows` draws transactions: received above zero, sent
    below, per day or week; ``currency`` keeps one coin (by default the one with the most
    history rows, since coins are never added together). ``axes`` draws onto two given Axes.
    """
    if axes is None:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=(15, 5), layout="constrained")
        left, right = fig.subplots(1, 2, width_ratios=(1, 1.3))
    else:
        left, right = axes
        fig = left.figure  # type: ignore[assignment]
    _team_balances(left, team_balances_table(balances, wallets), n)
    freq = resolve_freq(freq, history)
    table = team_flows_table(history, freq=freq)
    if currency is None:
        currency = top_currency(history)
    _draw_flows(right, table, freq, currency)
    return fig


# -- the one-page summary ----------------------------------------------------------------------


def _summary_text(
    ax: Axes,
    transactions: pd.DataFrame,
    orders: pd.DataFrame,
    balances: pd.DataFrame,
) -> Axes:
    ax.set_axis_off()
    ax.set_title("Summary")
    lines = [
        f"transactions: {len(transactions)}",
        f"payment orders: {len(orders)}",
        f"balance rows: {len(balances)}",
        "",
    ]
    totals = totals_by_currency(transactions)
    if not totals.empty:
        busiest = totals.sort_values(["count", "currency"], ascending=[False, True]).head(8)
        lines.append("net flow, busiest currencies (successful):")
        for cur, net in zip(busiest["currency"], busiest["net"], strict=True):
            lines.append(f"  {cur}: {exact_text(net)}")
        if len(totals) > len(busiest):
            lines.append(f"  ... {len(totals) - len(busiest)} more")
    if not orders.empty and "status" in orders.columns:
        table = funnel_table(orders)
        lines.append("")
        lines.append(f"orders paid in full: {table.attrs['converted']} of {len(orders)}")
    ax.text(0.0, 1.0, "\n".join(lines), va="top", ha="left", family="monospace", fontsize=9)
    return ax


def _period_span(transactions: pd.DataFrame) -> str:
    span = time_span(transactions)
    if span is None:
        return ""
    lo, hi = span
    if lo.normalize() == hi.normalize():
        return f" · {lo:%Y-%m-%d}"
    return f" · {lo:%Y-%m-%d} to {hi:%Y-%m-%d}"


def report(
    transactions: pd.DataFrame | None = None,
    orders: pd.DataFrame | None = None,
    balances: pd.DataFrame | None = None,
    *,
    freq: str = "auto",
    title: str = "Cregis project report",
) -> Figure:
    """One page with every chart and a short text summary; returns the figure.

    Any of the frames may be left out (or empty): its charts then say "no data". The flows and
    the top addresses show the busiest currency; ``freq="auto"`` draws flows per day for up to
    two months of data and per week beyond. Save it with
    ``report(...).savefig("report.png", dpi=120)``.
    """
    import matplotlib.pyplot as plt

    empty = pd.DataFrame()
    tx = transactions if transactions is not None else empty
    od = orders if orders is not None else empty
    bal = balances if balances is not None else empty
    fig = plt.figure(figsize=(16, 13), layout="constrained")
    grid = fig.add_gridspec(3, 3)
    top = top_currency(tx)
    flows(tx, freq=freq, currency=top, ax=fig.add_subplot(grid[0, :2]))
    status_breakdown(tx, ax=fig.add_subplot(grid[0, 2]))
    volume_by_token(tx, n=10, ax=fig.add_subplot(grid[1, 0]))
    fees_by_chain(tx, ax=fig.add_subplot(grid[1, 1]))
    if not bal.empty and top is not None and top in set(currency_names(bal)):
        top_addresses(bal, n=8, currency=top, ax=fig.add_subplot(grid[1, 2]))
    else:
        top_addresses(tx, n=8, currency=top, ax=fig.add_subplot(grid[1, 2]))
    order_funnel(od, ax=fig.add_subplot(grid[2, 0]))
    order_value(od, ax=fig.add_subplot(grid[2, 1]))
    _summary_text(fig.add_subplot(grid[2, 2]), tx, od, bal)
    fig.suptitle(title + _period_span(tx), fontsize=15)
    return fig
