"""Charts of transactions, balances and payment orders (matplotlib).

Every chart function takes a frame and ``ax=None`` and returns the :class:`~matplotlib.axes.Axes`
it drew on; when ``ax`` is ``None`` a new figure is made. Amounts are added up exactly (as
:class:`~decimal.Decimal`) and turned into floats only at the moment they are drawn, so the
numbers printed on a chart and the ``*_table`` functions behind it are the exact totals.

An empty frame (or one without the needed columns) gives an Axes that says "no data" rather than
an exception. Different currencies are never added together: amounts are grouped per currency,
and the axis label says which unit it shows.

The frames are the ones :func:`cregis_notebook.frames.to_frame` and
:func:`cregis_notebook.fetch.fetch_frame` build (``trade_page`` transactions,
``sub_address_balance`` balances, ``order_info_v2`` orders), but plain frames with the same
column names work too: amounts may be ``Decimal``, decimal text or integers; times may be
tz-aware datetimes or epoch numbers.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import pandas as pd

from .spec import registry

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "chain_label",
    "currency_label",
    "fees_by_chain",
    "fees_table",
    "flows",
    "flows_table",
    "funnel_table",
    "order_funnel",
    "order_value",
    "order_value_table",
    "report",
    "status_breakdown",
    "status_table",
    "top_addresses",
    "top_addresses_table",
    "totals_by_currency",
    "volume_by_token",
    "volume_table",
]

NO_DATA = "no data"
PAID_STATUSES = ("paid", "paid_over")
"""Order statuses counted as converted: paid within tolerance, or overpaid."""
FUNNEL_OUTCOMES = ("new", "paid", "paid_partial", "paid_over", "expired", "canceled")
_ZERO = Decimal(0)


# -- exact values ------------------------------------------------------------------------------


def _decimal(value: Any) -> Decimal | None:
    """One exact amount, or ``None`` for a missing or unreadable value."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value:  # NaN
            return None
        return Decimal(repr(value))
    text = str(value).strip()
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _decimals(frame: pd.DataFrame, column: str) -> list[Decimal | None]:
    if column not in frame.columns:
        return [None] * len(frame)
    return [_decimal(v) for v in frame[column].tolist()]


def _texts(frame: pd.DataFrame, column: str) -> list[str | None]:
    """The column as stripped text, ``None`` for missing or blank values."""
    if column not in frame.columns:
        return [None] * len(frame)
    text = frame[column].astype("string").str.strip()
    text = text.mask(text == "")
    return [None if v is pd.NA else v for v in text.tolist()]


def _ints(frame: pd.DataFrame, column: str) -> list[int | None]:
    """The column as integers (codes), ``None`` for missing or non-numeric values."""
    if column not in frame.columns:
        return [None] * len(frame)
    series = frame[column]
    if not pd.api.types.is_integer_dtype(series.dtype):
        series = pd.to_numeric(series.astype("string").str.strip(), errors="coerce")
        series = series.where(series == series.round())  # 1.5 is not a code
    return [None if v is pd.NA else v for v in series.astype("Int64").tolist()]


def _time_series(frame: pd.DataFrame, column: str) -> pd.Series:
    """Tz-aware UTC times from datetimes or epoch numbers (13 digits = ms, 10 digits = s)."""
    if column not in frame.columns:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ms, UTC]")
    series = frame[column]
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return pd.to_datetime(series, utc=True)
    numbers = pd.to_numeric(series.astype("string").str.strip(), errors="coerce")
    if numbers.isna().all() and series.notna().any():  # datetime objects or ISO text
        return pd.to_datetime(series, utc=True, errors="coerce", format="mixed")
    # 13 digits are milliseconds, 10 digits seconds, whatever the documented unit says
    millis = numbers.where(numbers.abs() >= 10**11, numbers * 1000)
    return pd.to_datetime(millis.round(), unit="ms", utc=True)


def _periods(frame: pd.DataFrame, column: str, freq: str) -> list[pd.Timestamp | None]:
    """The UTC start of each row's day, or of its week (weeks start on Monday)."""
    days = _time_series(frame, column).dt.floor("D")
    if freq == "W":
        days = days - pd.to_timedelta(days.dt.day_of_week, unit="D")
    present = days.notna().tolist()
    return [v if ok else None for v, ok in zip(days.tolist(), present, strict=True)]


def _span(frame: pd.DataFrame, column: str) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    times = _time_series(frame, column).dropna()
    if times.empty:
        return None
    return times.min(), times.max()


AUTO_WEEKLY_DAYS = 62
"""With ``freq="auto"``, data spanning more days than this is drawn per week."""


def _check_freq(freq: str, frame: pd.DataFrame | None = None) -> str:
    value = freq.upper()
    if value == "AUTO":
        span = None if frame is None else _span(frame, "block_time")
        long = span is not None and (span[1] - span[0]).days > AUTO_WEEKLY_DAYS
        return "W" if long else "D"
    if value not in ("D", "W"):
        raise ValueError(
            f"freq must be 'D' (per day), 'W' (per week, from Monday) or 'auto', got {freq!r}"
        )
    return value


# -- labels ------------------------------------------------------------------------------------


def _short(text: str, keep: int = 6) -> str:
    return text if len(text) <= 2 * keep + 1 else f"{text[:keep]}…{text[-4:]}"


def currency_label(chain_id: str | None, token_id: str | None, currency: str | None) -> str:
    """A readable name for a coin: the registry name (``USDT-TRC20``) when known."""
    reg = registry()
    if chain_id and token_id:
        known = reg.currency(f"{chain_id}@{token_id}")
        if known is not None:
            return known.name
    if currency:
        known = reg.currency(currency)
        if known is not None:
            return known.name
        if "@" in currency:
            chain, _, token = currency.partition("@")
            return f"{chain}@{_short(token)}"
        return currency
    if chain_id and token_id:
        return f"{chain_id}@{_short(token_id)}"
    return "unknown"


def _currency_labels(frame: pd.DataFrame) -> list[str]:
    cache: dict[tuple[str | None, str | None, str | None], str] = {}
    labels: list[str] = []
    for key in zip(
        _texts(frame, "chain_id"), _texts(frame, "token_id"), _texts(frame, "currency"), strict=True
    ):
        if key not in cache:
            cache[key] = currency_label(*key)
        labels.append(cache[key])
    return labels


def chain_label(chain_id: str) -> str:
    """``TRON (TRX)`` for ``"195"``; the bare id for a chain the registry does not list."""
    chain = registry().chain(chain_id)
    if chain is None:
        for net in registry().testnets:
            if str(net.get("chain_id")) == str(chain_id):
                return f"{net.get('name', chain_id)}"
        return f"chain {chain_id}"
    return f"{chain.name} ({chain.native_symbol})"


def _enum_labels(frame: pd.DataFrame, column: str, endpoint: str) -> list[str | None]:
    """Labels of an enum column: its ``<column>_label`` twin if present, else the registry's."""
    twin = f"{column}_label"
    if twin in frame.columns:
        labels = _texts(frame, twin)
        raw = _texts(frame, column)
        return [lab if lab is not None else r for lab, r in zip(labels, raw, strict=True)]
    field = registry().endpoint(endpoint).field(column)
    out: list[str | None] = []
    for value in _texts(frame, column):
        if value is None:
            out.append(None)
            continue
        label = field.label_for(value) if field is not None else None
        out.append(label if label is not None else value)
    return out


# -- drawing helpers ---------------------------------------------------------------------------


def _axes(ax: Axes | None, size: tuple[float, float] = (7.0, 4.0)) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=size, layout="constrained")
    return new


def _no_data(ax: Axes, title: str, xlabel: str, ylabel: str, why: str = NO_DATA) -> Axes:
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.text(
        0.5,
        0.5,
        why,
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize=12,
        color="0.45",
    )
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def _fmt(value: Decimal) -> str:
    """Exact decimal text without exponent or trailing zeros (``1.50`` -> ``1.5``)."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def _fmt_short(value: Decimal) -> str:
    """A compact label for a bar: exact when short, grouped thousands otherwise."""
    text = _fmt(value)
    if len(text) <= 14:
        return text
    return f"{float(value):,.6g}"


def _hbars(
    ax: Axes,
    names: Sequence[str],
    values: Sequence[Decimal],
    *,
    color: str | None = None,
    label: str | None = None,
) -> bool:
    """Horizontal bars, first name at the top, each bar labelled with its exact value.

    When the values span more than three orders of magnitude (coins of very different worth)
    the value axis is logarithmic, so that every bar stays visible; returns True then.
    """
    positions = list(range(len(names)))[::-1]
    bars = ax.barh(positions, [float(v) for v in values], color=color, label=label)
    ax.set_yticks(positions, labels=list(names))
    ax.bar_label(bars, labels=[_fmt_short(v) for v in values], padding=3, fontsize=8)
    positive = [v for v in values if v > 0]
    if len(positive) == len(values) and positive and max(positive) > 1000 * min(positive):
        ax.set_xscale("log")
        ax.margins(x=0.3)
        return True
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
    ax.margins(x=0.18)
    return False


def _succeeded(frame: pd.DataFrame) -> list[bool]:
    """True for rows with status 1 (success), or every row when there is no ``status``."""
    if "status" not in frame.columns:
        return [True] * len(frame)
    return [s in (1, None) for s in _ints(frame, "status")]


# -- transactions: flows -----------------------------------------------------------------------


def flows_table(transactions: pd.DataFrame, *, freq: str = "D") -> pd.DataFrame:
    """Exact inflow and outflow per period and currency.

    Columns: ``period`` (UTC start of the day or Monday-started week), ``currency``, ``inflow``,
    ``outflow`` and ``net`` (``Decimal``), ``count``. Inflow is ``trade_type`` 1 (in), outflow
    ``trade_type`` 2 (out); only successful transactions count when a ``status`` column exists.
    ``freq="auto"`` is per day up to two months of data, per week beyond.
    """
    freq = _check_freq(freq, transactions)
    columns = ["period", "currency", "inflow", "outflow", "net", "count"]
    if transactions.empty or "amount" not in transactions.columns:
        return pd.DataFrame(columns=columns)
    sums: dict[tuple[pd.Timestamp, str], list[Any]] = {}
    for when, cur, kind, amount, good in zip(
        _periods(transactions, "block_time", freq),
        _currency_labels(transactions),
        _ints(transactions, "trade_type"),
        _decimals(transactions, "amount"),
        _succeeded(transactions),
        strict=True,
    ):
        if when is None or amount is None or kind not in (1, 2) or not good:
            continue
        key = (when, cur)
        entry = sums.setdefault(key, [_ZERO, _ZERO, 0])
        entry[0 if kind == 1 else 1] += amount
        entry[2] += 1
    rows = [
        {
            "period": period,
            "currency": cur,
            "inflow": inflow,
            "outflow": outflow,
            "net": inflow - outflow,
            "count": count,
        }
        for (period, cur), (inflow, outflow, count) in sorted(sums.items())
    ]
    return pd.DataFrame(rows, columns=columns)


def _top_currency(transactions: pd.DataFrame) -> str | None:
    labels = [lab for lab in _currency_labels(transactions) if lab != "unknown"]
    if not labels:
        return None
    return Counter(labels).most_common(1)[0][0]


def flows(
    transactions: pd.DataFrame,
    *,
    freq: str = "D",
    currency: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Inflow (up) and outflow (down) per day or week, per currency.

    With one currency (or ``currency=`` naming one, e.g. ``"USDT-TRC20"``) it draws bars: inflow
    above zero, outflow below, with a net line. With several currencies it draws one line pair per
    currency (solid in, dashed out), since their units differ. ``freq`` is ``"D"``, ``"W"`` or
    ``"auto"`` (per week when the data spans more than two months).
    """
    freq = _check_freq(freq, transactions)
    ax = _axes(ax, (8.0, 4.0))
    per = "day" if freq == "D" else "week"
    table = flows_table(transactions, freq=freq)
    if currency is not None:
        currency = currency_label(None, None, currency)
        table = table[table["currency"] == currency]
    title = f"Inflow and outflow per {per}" + (f": {currency}" if currency else "")
    currencies = list(dict.fromkeys(table["currency"].tolist()))
    if table.empty:
        return _no_data(ax, title, f"{per} (UTC)", "amount")
    if len(currencies) == 1:
        cur = currencies[0]
        x = [p.to_pydatetime() for p in table["period"]]
        width = 0.8 if freq == "D" else 5.6
        inflow = [float(v) for v in table["inflow"]]
        outflow = [-float(v) for v in table["outflow"]]
        ax.bar(x, inflow, width=width, color="#2e7d32", label="inflow")
        ax.bar(x, outflow, width=width, color="#c62828", label="outflow")
        ax.plot(x, [float(v) for v in table["net"]], color="0.2", marker="o", label="net")
        ax.set_ylabel(f"amount ({cur})")
        title = f"Inflow and outflow per {per}: {cur}"
    else:
        import matplotlib.pyplot as plt

        colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        for i, cur in enumerate(currencies):
            part = table[table["currency"] == cur]
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


def _date_axis(ax: Axes, periods: int) -> None:
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=1, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    if periods == 1:
        lo, hi = ax.get_xlim()
        ax.set_xlim(lo - 1, hi + 1)


# -- transactions: volume, status, fees --------------------------------------------------------


def volume_table(transactions: pd.DataFrame) -> pd.DataFrame:
    """Exact volume (sum of ``amount``) and count per chain and token, largest count first.

    Columns: ``chain_id``, ``chain``, ``token_id``, ``currency``, ``volume`` (``Decimal``),
    ``count``. Successful transactions count in both directions (pending and failed ones
    moved nothing); every row counts when there is no ``status`` column.
    """
    columns = ["chain_id", "chain", "token_id", "currency", "volume", "count"]
    if transactions.empty or "amount" not in transactions.columns:
        return pd.DataFrame(columns=columns)
    sums: dict[tuple[str, str, str], list[Any]] = {}
    ok = _succeeded(transactions)
    for chain, token, label, amount, good in zip(
        _texts(transactions, "chain_id"),
        _texts(transactions, "token_id"),
        _currency_labels(transactions),
        _decimals(transactions, "amount"),
        ok,
        strict=True,
    ):
        if amount is None or not good:
            continue
        entry = sums.setdefault((chain or "", token or "", label), [_ZERO, 0])
        entry[0] += amount
        entry[1] += 1
    rows = [
        {
            "chain_id": chain,
            "chain": chain_label(chain) if chain else "unknown",
            "token_id": token,
            "currency": label,
            "volume": volume,
            "count": count,
        }
        for (chain, token, label), (volume, count) in sums.items()
    ]
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values(["count", "currency"], ascending=[False, True], ignore_index=True)


def _token_name(chain: str, currency: str) -> str:
    name, _, unit = chain.partition(" (")
    if currency == name:  # the chain's native coin
        return f"{name} · {unit.rstrip(')') or currency}"
    return f"{name} · {currency}"


def volume_by_token(transactions: pd.DataFrame, *, n: int = 12, ax: Axes | None = None) -> Axes:
    """Horizontal bars of the volume of the ``n`` busiest chain/token pairs, exact totals shown.

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
    names = [_token_name(c, cur) for c, cur in zip(table["chain"], table["currency"], strict=True)]
    if _hbars(ax, names, list(table["volume"]), color="#1565c0"):
        xlabel += ", log scale"
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("chain · token")
    return ax


def status_table(transactions: pd.DataFrame) -> pd.DataFrame:
    """Transaction counts by ``business_type`` (rows) and ``status`` (columns), labelled."""
    if transactions.empty or "status" not in transactions.columns:
        return pd.DataFrame(dtype="int64")
    statuses = _enum_labels(transactions, "status", "trade_page")
    if "business_type" in transactions.columns:
        kinds = _enum_labels(transactions, "business_type", "trade_page")
    else:
        kinds = [None] * len(transactions)
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for kind, status in zip(kinds, statuses, strict=True):
        counts[kind or "unspecified"][status or "unknown"] += 1
    order = ["pending", "success", "failed"]
    seen = {s for c in counts.values() for s in c}
    cols = [s for s in order if s in seen] + sorted(seen - set(order))
    table = pd.DataFrame(
        [[counts[k][s] for s in cols] for k in sorted(counts)],
        index=pd.Index(sorted(counts), name="business_type"),
        columns=pd.Index(cols, name="status"),
        dtype="int64",
    )
    return table


_STATUS_COLOURS = {"success": "#2e7d32", "pending": "#f9a825", "failed": "#c62828"}


def status_breakdown(transactions: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Stacked horizontal bars: transactions per business type, split by status."""
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


def fees_table(transactions: pd.DataFrame) -> pd.DataFrame:
    """Exact sum of ``fee`` per chain (fees are paid in the chain's native coin).

    Columns: ``chain_id``, ``chain``, ``unit`` (native symbol), ``fees`` (``Decimal``), ``count``.
    """
    columns = ["chain_id", "chain", "unit", "fees", "count"]
    if transactions.empty or "fee" not in transactions.columns:
        return pd.DataFrame(columns=columns)
    sums: dict[str, list[Any]] = {}
    for chain, fee in zip(
        _texts(transactions, "chain_id"), _decimals(transactions, "fee"), strict=True
    ):
        if fee is None:
            continue
        entry = sums.setdefault(chain or "", [_ZERO, 0])
        entry[0] += fee
        entry[1] += 1
    rows = []
    for chain, (fees, count) in sums.items():
        known = registry().chain(chain) if chain else None
        rows.append(
            {
                "chain_id": chain,
                "chain": known.name if known else chain_label(chain) if chain else "unknown",
                "unit": known.native_symbol if known else "native coin",
                "fees": fees,
                "count": count,
            }
        )
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values("chain", ignore_index=True)


def fees_by_chain(transactions: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Bars of the total network fee per chain, in that chain's native coin."""
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


def _is_balances(frame: pd.DataFrame) -> bool:
    return "total" in frame.columns and "address" in frame.columns and "amount" not in frame.columns


def top_addresses_table(
    frame: pd.DataFrame, *, n: int = 10, currency: str | None = None
) -> pd.DataFrame:
    """The ``n`` addresses with the largest exact volume in one currency.

    For transactions an address's volume is what it received (``to_address`` of ``trade_type``
    1, or of every row when there is no ``trade_type``) plus what it sent (``from_address`` of
    ``trade_type`` 2), successful transactions only; for a balances frame it is the ``total``
    balance. ``currency`` defaults to the currency with the most rows. Columns: ``address``,
    ``currency``, ``volume``, ``count``.
    """
    columns = ["address", "currency", "volume", "count"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    labels = _currency_labels(frame)
    if currency is None:
        known = [lab for lab in labels if lab != "unknown"]
        if not known:
            return pd.DataFrame(columns=columns)
        currency = Counter(known).most_common(1)[0][0]
    else:
        currency = currency_label(None, None, currency)  # "195@195" and "TRON" alike
    sums: dict[str, list[Any]] = {}

    def add(address: str | None, amount: Decimal | None) -> None:
        if address is None or amount is None:
            return
        entry = sums.setdefault(address, [_ZERO, 0])
        entry[0] += amount
        entry[1] += 1

    if _is_balances(frame):
        for label, address, total in zip(
            labels, _texts(frame, "address"), _decimals(frame, "total"), strict=True
        ):
            if label == currency:
                add(address, total)
    else:
        kinds = _ints(frame, "trade_type")
        for label, kind, to_addr, from_addr, amount, good in zip(
            labels,
            kinds,
            _texts(frame, "to_address"),
            _texts(frame, "from_address"),
            _decimals(frame, "amount"),
            _succeeded(frame),
            strict=True,
        ):
            if label != currency or not good:
                continue
            if kind == 2:
                add(from_addr, amount)
            else:
                add(to_addr, amount)
    rows = [
        {"address": a, "currency": currency, "volume": v, "count": c} for a, (v, c) in sums.items()
    ]
    rows.sort(key=lambda r: (-r["volume"], r["address"]))
    return pd.DataFrame(rows[: max(n, 0)], columns=columns)


def top_addresses(
    frame: pd.DataFrame,
    *,
    n: int = 10,
    currency: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Horizontal bars of the top ``n`` addresses by volume (or balance) in one currency."""
    ax = _axes(ax)
    table = top_addresses_table(frame, n=n, currency=currency)
    what = "balance" if _is_balances(frame) else "volume"
    cur = currency_label(None, None, currency) if currency else None
    if cur is None and not table.empty:
        cur = table["currency"].iloc[0]
    title = f"Top {n} addresses by {what}" + (f": {cur}" if cur else "")
    xlabel = f"{what} ({cur})" if cur else what
    if table.empty:
        return _no_data(ax, title, xlabel, "address")
    _hbars(ax, [_short(a, 8) for a in table["address"]], list(table["volume"]), color="#00838f")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("address")
    return ax


# -- payment orders ----------------------------------------------------------------------------


def _refunded(frame: pd.DataFrame) -> list[bool]:
    flags = [False] * len(frame)
    for column in ("refund_requested",):
        for i, value in enumerate(_texts(frame, column)):
            flags[i] = flags[i] or value == "yes"
    for i, value in enumerate(_texts(frame, "status")):
        flags[i] = flags[i] or value == "refunded"
    for column in ("refund_data.refund_id", "refund_id"):
        for i, value in enumerate(_texts(frame, column)):
            flags[i] = flags[i] or value is not None
    if "refund_data" in frame.columns:
        for i, value in enumerate(frame["refund_data"].tolist()):
            flags[i] = flags[i] or (isinstance(value, dict) and bool(value))
    return flags


def funnel_table(orders: pd.DataFrame) -> pd.DataFrame:
    """Order counts from creation to outcome, with their share of all orders.

    Rows: ``created`` (every order), then each status (``new``, ``paid``, ``paid_partial``,
    ``paid_over``, ``expired``, ``canceled`` and any other seen) and ``refunded`` (orders with a
    refund, a subset of the paid ones). Columns: ``stage``, ``orders``, ``share`` (of created,
    exact ``Decimal`` fraction rounded to 4 places). ``attrs["conversion"]`` is the share that
    was paid in full (``paid`` or ``paid_over``).
    """
    statuses = [s or "unknown" for s in _texts(orders, "status")]
    total = len(statuses)
    counts = Counter(statuses)
    stages = ["created", *FUNNEL_OUTCOMES]
    stages += sorted(s for s in counts if s not in stages and s != "refunded")
    values = [total] + [counts.get(s, 0) for s in stages[1:]]
    refunded = sum(_refunded(orders)) if total else 0
    stages.append("refunded")
    values.append(refunded)

    def share(count: int) -> Decimal:
        return (Decimal(count) / Decimal(total)).quantize(Decimal("0.0001")) if total else _ZERO

    table = pd.DataFrame(
        {"stage": stages, "orders": values, "share": [share(v) for v in values]},
    )
    table["orders"] = table["orders"].astype("int64")
    converted = sum(counts.get(s, 0) for s in PAID_STATUSES)
    table.attrs["conversion"] = share(converted)
    table.attrs["converted"] = converted
    return table


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


def order_funnel(orders: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Bars from ``created`` to each outcome, the conversion (paid in full) in the title."""
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
        labels=[f"{c} ({_fmt(s * 100)}%)" for c, s in zip(counts, table["share"], strict=True)],
        padding=3,
        fontsize=8,
    )
    ax.set_yticks(positions, labels=names)
    ax.margins(x=0.25)
    ax.set_title(f"Payment-order funnel: {_fmt(conversion.quantize(Decimal('0.1')))}% paid in full")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("stage")
    return ax


def order_value_table(orders: pd.DataFrame) -> pd.DataFrame:
    """Exact order value per order currency: everything ordered and what was paid in full.

    Columns: ``order_currency``, ``kind`` (fiat or crypto), ``ordered``, ``paid`` (``Decimal``,
    orders with status ``paid`` or ``paid_over``), ``orders``.
    """
    columns = ["order_currency", "kind", "ordered", "paid", "orders"]
    if orders.empty or "order_amount" not in orders.columns:
        return pd.DataFrame(columns=columns)
    sums: dict[str, list[Any]] = {}
    for cur, status, amount in zip(
        _texts(orders, "order_currency"),
        _texts(orders, "status"),
        _decimals(orders, "order_amount"),
        strict=True,
    ):
        if amount is None:
            continue
        entry = sums.setdefault(cur or "unknown", [_ZERO, _ZERO, 0])
        entry[0] += amount
        if status in PAID_STATUSES:
            entry[1] += amount
        entry[2] += 1
    fiat = set(registry().fiat_currencies)
    rows = [
        {
            "order_currency": cur,
            "kind": "fiat" if cur.upper() in fiat else "crypto",
            "ordered": ordered,
            "paid": paid,
            "orders": count,
        }
        for cur, (ordered, paid, count) in sorted(sums.items())
    ]
    return pd.DataFrame(rows, columns=columns)


def order_value(orders: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Grouped bars per order currency: total ordered and total paid in full."""
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
    ax.bar_label(ordered, labels=[_fmt_short(v) for v in table["ordered"]], fontsize=7, padding=2)
    ax.bar_label(paid, labels=[_fmt_short(v) for v in table["paid"]], fontsize=7, padding=2)
    ax.set_xticks(x, labels=list(table["order_currency"]))
    ax.margins(y=0.15)
    ax.set_title(title)
    ax.set_xlabel("order currency")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    return ax


# -- totals and the one-page summary -----------------------------------------------------------


def totals_by_currency(transactions: pd.DataFrame) -> pd.DataFrame:
    """Exact inflow, outflow, net and fees per currency over the whole frame (success only)."""
    flows_all = flows_table(transactions, freq="D")
    columns = ["currency", "inflow", "outflow", "net", "count"]
    if flows_all.empty:
        return pd.DataFrame(columns=columns)
    sums: dict[str, list[Any]] = {}
    for cur, inflow, outflow, count in zip(
        flows_all["currency"],
        flows_all["inflow"],
        flows_all["outflow"],
        flows_all["count"],
        strict=True,
    ):
        entry = sums.setdefault(cur, [_ZERO, _ZERO, 0])
        entry[0] += inflow
        entry[1] += outflow
        entry[2] += int(count)
    rows = [
        {"currency": c, "inflow": i, "outflow": o, "net": i - o, "count": n}
        for c, (i, o, n) in sorted(sums.items())
    ]
    return pd.DataFrame(rows, columns=columns)


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
            lines.append(f"  {cur}: {_fmt(net)}")
        if len(totals) > len(busiest):
            lines.append(f"  ... {len(totals) - len(busiest)} more")
    if not orders.empty and "status" in orders.columns:
        table = funnel_table(orders)
        lines.append("")
        lines.append(f"orders paid in full: {table.attrs['converted']} of {len(orders)}")
    ax.text(0.0, 1.0, "\n".join(lines), va="top", ha="left", family="monospace", fontsize=9)
    return ax


def _period_span(transactions: pd.DataFrame) -> str:
    span = _span(transactions, "block_time")
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
    top = _top_currency(tx)
    flows(tx, freq=freq, currency=top, ax=fig.add_subplot(grid[0, :2]))
    status_breakdown(tx, ax=fig.add_subplot(grid[0, 2]))
    volume_by_token(tx, n=10, ax=fig.add_subplot(grid[1, 0]))
    fees_by_chain(tx, ax=fig.add_subplot(grid[1, 1]))
    if not bal.empty and top is not None and top in set(_currency_labels(bal)):
        top_addresses(bal, n=8, currency=top, ax=fig.add_subplot(grid[1, 2]))
    else:
        top_addresses(tx, n=8, currency=top, ax=fig.add_subplot(grid[1, 2]))
    order_funnel(od, ax=fig.add_subplot(grid[2, 0]))
    order_value(od, ax=fig.add_subplot(grid[2, 1]))
    _summary_text(fig.add_subplot(grid[2, 2]), tx, od, bal)
    fig.suptitle(title + _period_span(tx), fontsize=15)
    return fig
