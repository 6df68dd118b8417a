"""The exact tables behind the report charts: pure pandas and the registry, nothing drawn.

Every ``*_table`` function takes a frame and returns a new frame of exact totals: amounts are
added up as :class:`~decimal.Decimal`, never as floats, and different currencies are never added
together. The charts in :mod:`cregis_notebook.reports.charts` draw these tables; use them
directly to print, export or check the numbers.

The frames are the ones :func:`cregis_notebook.frames.to_frame` and ``fetch_frame`` build
(``trade_page`` transactions, ``sub_address_balance`` balances, ``order_info_v2`` orders; for a
team, ``query_wallet_balance`` balances and ``query_history_transactions`` history), but plain
frames with the same column names work too. Cells are read by the package's value contract
(:mod:`cregis_notebook._values`): amounts may be ``Decimal``, integers or plain decimal text; codes
integers or integer text; times tz-aware datetimes or epoch numbers (seconds or milliseconds by
the contract's one rule). A cell that is present but does not fit is left out of the totals with a
:class:`~cregis_notebook.errors.CregisDataWarning` that names the column, never summed wrongly.

This module imports no plotting library.
"""

from __future__ import annotations

import warnings
from collections import Counter, defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Literal, TypeVar

import numpy as np
import pandas as pd

from .._values import EPOCH_MS_THRESHOLD, exact_decimal, exact_int, exact_sums
from ..errors import CregisDataWarning, UnfitValue
from ..spec import registry

__all__ = [
    "AUTO_WEEKLY_DAYS",
    "FUNNEL_OUTCOMES",
    "PAID_STATUSES",
    "chain_label",
    "currency_label",
    "currency_name",
    "currency_names",
    "exact_text",
    "fees_table",
    "flows_table",
    "funnel_table",
    "is_balances",
    "order_value_table",
    "reconciliation_table",
    "resolve_freq",
    "short_id",
    "status_table",
    "team_balances_table",
    "team_flows_table",
    "time_span",
    "top_addresses_table",
    "top_currency",
    "totals_by_currency",
    "volume_table",
]

PAID_STATUSES = ("paid", "paid_over")
"""Order statuses counted as converted: paid within tolerance, or overpaid."""
FUNNEL_OUTCOMES = ("new", "paid", "paid_partial", "paid_over", "expired", "canceled")
"""Order statuses the funnel always shows, in this order, even when no order has them."""
AUTO_WEEKLY_DAYS = 62
"""With ``freq="auto"``, data spanning more days than this is counted per week."""

_ZERO = Decimal(0)
_T = TypeVar("_T")


# -- reading cells by the value contract -------------------------------------------------------


def _cells(
    frame: pd.DataFrame, column: str, convert: Callable[[Any], _T], what: str
) -> list[_T | None]:
    """The column read cell by cell with ``convert``; ``None`` for missing or unfit cells.

    Missing cells (``None``, ``NaN``, ``NA``, blank text) are simply ``None``. A present cell
    that ``convert`` refuses is ``None`` too, and one warning per column says how many there were
    and shows the first, so that a total never quietly leaves a row out.
    """
    if column not in frame.columns:
        return [None] * len(frame)
    series = frame[column]
    out: list[_T | None] = []
    unfit: list[Any] = []
    for value, missing in zip(series.tolist(), series.isna().tolist(), strict=True):
        if missing or (isinstance(value, str) and not value.strip()):
            out.append(None)
            continue
        if isinstance(value, np.generic):  # numpy scalars in object columns
            value = value.item()
        try:
            out.append(convert(value))
        except UnfitValue:
            out.append(None)
            unfit.append(value)
    if unfit:
        warnings.warn(
            f"{len(unfit)} value(s) of column {column!r} are not {what} and were left out of "
            f"the report (the first: {unfit[0]!r})",
            CregisDataWarning,
            stacklevel=3,
        )
    return out


def _decimals(frame: pd.DataFrame, column: str) -> list[Decimal | None]:
    """The column as exact amounts (``exact_decimal``), ``None`` where missing or unfit."""
    return _cells(frame, column, exact_decimal, "plain decimal amounts")


def _ints(frame: pd.DataFrame, column: str) -> list[int | None]:
    """The column as integer codes (``exact_int``), ``None`` where missing or unfit."""
    if column in frame.columns and pd.api.types.is_integer_dtype(frame[column].dtype):
        series = frame[column].astype("Int64")
        return [None if v is pd.NA else int(v) for v in series.tolist()]
    return _cells(frame, column, exact_int, "integer codes")


def _texts(frame: pd.DataFrame, column: str) -> list[str | None]:
    """The column as stripped text, ``None`` for missing or blank values."""
    if column not in frame.columns:
        return [None] * len(frame)
    text = frame[column].astype("string").str.strip()
    text = text.mask(text == "")
    return [None if v is pd.NA else v for v in text.tolist()]


def _time_series(frame: pd.DataFrame, column: str) -> pd.Series:
    """Tz-aware UTC times from datetimes, ISO text or epoch numbers (seconds or milliseconds).

    Epoch numbers follow the value contract: a magnitude of ``EPOCH_MS_THRESHOLD`` or more is in
    milliseconds, below it in seconds, whatever the documented unit says. Times that cannot be
    read (or lie beyond what pandas can hold) are ``NaT``, with a warning.
    """
    if column not in frame.columns:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ms, UTC]")
    series = frame[column]
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return pd.to_datetime(series, utc=True)
    numbers = pd.to_numeric(series.astype("string").str.strip(), errors="coerce")
    if numbers.isna().all() and series.notna().any():  # datetime objects or ISO text
        times = pd.to_datetime(series, utc=True, errors="coerce", format="mixed")
    else:
        in_ms = numbers.abs() >= EPOCH_MS_THRESHOLD  # the value contract's threshold
        millis = numbers.where(in_ms, numbers * 1000)
        times = pd.to_datetime(millis.round(), unit="ms", utc=True, errors="coerce")
    lost = int((series.notna() & times.isna()).sum())
    if lost:
        warnings.warn(
            f"{lost} value(s) of column {column!r} are not times and were left out of the report",
            CregisDataWarning,
            stacklevel=3,
        )
    return times


def _periods(frame: pd.DataFrame, column: str, freq: str) -> list[pd.Timestamp | None]:
    """The UTC start of each row's day, or of its week (weeks start on Monday)."""
    days = _time_series(frame, column).dt.floor("D")
    if freq == "W":
        days = days - pd.to_timedelta(days.dt.day_of_week, unit="D")
    present = days.notna().tolist()
    return [v if ok else None for v, ok in zip(days.tolist(), present, strict=True)]


def time_span(
    frame: pd.DataFrame, column: str = "block_time"
) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The first and last time of ``column`` (UTC), or ``None`` when it holds no time."""
    times = _time_series(frame, column).dropna()
    if times.empty:
        return None
    return times.min(), times.max()


def resolve_freq(freq: str, frame: pd.DataFrame | None = None) -> Literal["D", "W"]:
    """``"D"`` or ``"W"`` for ``freq`` (any case); ``"auto"`` picks by the frame's time span."""
    value = freq.upper()
    if value == "AUTO":
        span = None if frame is None else time_span(frame)
        long = span is not None and (span[1] - span[0]).days > AUTO_WEEKLY_DAYS
        return "W" if long else "D"
    if value == "D":
        return "D"
    if value == "W":
        return "W"
    raise ValueError(
        f"freq must be 'D' (per day), 'W' (per week, from Monday) or 'auto', got {freq!r}"
    )


def exact_text(value: Decimal) -> str:
    """Exact decimal text without exponent or trailing zeros (``1.50`` -> ``1.5``)."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


# -- labels ------------------------------------------------------------------------------------


def short_id(text: str, keep: int = 6) -> str:
    """A long id or address shortened to its first ``keep`` and last 4 characters."""
    return text if len(text) <= 2 * keep + 1 else f"{text[:keep]}…{text[-4:]}"


def _coin(chain_id: str | None, token_id: str | None, currency: str | None) -> tuple[str, str]:
    """``(name, label)`` of one coin: see :func:`currency_name` and :func:`currency_label`."""
    reg = registry()
    keys = [f"{chain_id}@{token_id}"] if chain_id and token_id else []
    for key in [*keys, *([currency] if currency else [])]:
        known = reg.currency(key)
        if known is not None:
            return known.name, known.name
    if chain_id and token_id:
        return f"{chain_id}@{token_id}", f"{chain_id}@{short_id(token_id)}"
    if currency:
        if "@" in currency:
            chain, _, token = currency.partition("@")
            return currency, f"{chain}@{short_id(token)}"
        return currency, currency
    return "unknown", "unknown"


def currency_name(chain_id: str | None, token_id: str | None, currency: str | None) -> str:
    """The exact name of a coin in the tables' ``currency`` column.

    The registry name (``USDT-TRC20``) for a coin it knows, else the full ``chain_id@token_id``
    (or the ``currency`` text as given): two different coins never share a name, so no table
    adds them together. ``currency`` may be a name or a ``chain_id@token_id``.
    """
    return _coin(chain_id, token_id, currency)[0]


def currency_label(chain_id: str | None, token_id: str | None, currency: str | None) -> str:
    """A readable name for a coin, for a chart: the registry name, or a shortened id.

    Unlike :func:`currency_name`, two unknown coins may get the same label here.
    """
    return _coin(chain_id, token_id, currency)[1]


def currency_names(frame: pd.DataFrame) -> list[str]:
    """The :func:`currency_name` of every row, from ``chain_id``/``token_id`` or ``currency``."""
    cache: dict[tuple[str | None, str | None, str | None], str] = {}
    names: list[str] = []
    for key in zip(
        _texts(frame, "chain_id"), _texts(frame, "token_id"), _texts(frame, "currency"), strict=True
    ):
        if key not in cache:
            cache[key] = currency_name(*key)
        names.append(cache[key])
    return names


def top_currency(frame: pd.DataFrame) -> str | None:
    """The name of the currency with the most rows, ``None`` when no row names a coin."""
    names = [name for name in currency_names(frame) if name != "unknown"]
    if not names:
        return None
    return Counter(names).most_common(1)[0][0]


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


def _succeeded(frame: pd.DataFrame) -> list[bool]:
    """True for rows with status 1 (success), or every row when there is no ``status`` column.

    A row whose status is missing or unreadable is not known to have moved anything: False.
    """
    if "status" not in frame.columns:
        return [True] * len(frame)
    return [s == 1 for s in _ints(frame, "status")]


# -- transactions ------------------------------------------------------------------------------


_FLOW_COLUMNS = ["period", "currency", "inflow", "outflow", "net", "count"]


def _flows(
    transactions: pd.DataFrame, freq: str, kinds: list[int | None], good: list[bool]
) -> pd.DataFrame:
    """Inflow (kind 1) and outflow (kind 2) of the ``good`` rows per period and currency."""
    sums: dict[tuple[pd.Timestamp, str], list[Any]] = {}
    for when, cur, kind, amount, ok in zip(
        _periods(transactions, "block_time", freq),
        currency_names(transactions),
        kinds,
        _decimals(transactions, "amount"),
        good,
        strict=True,
    ):
        if when is None or amount is None or kind not in (1, 2) or not ok:
            continue
        entry = sums.setdefault((when, cur), [_ZERO, _ZERO, 0])
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
    return pd.DataFrame(rows, columns=_FLOW_COLUMNS)


@exact_sums
def flows_table(transactions: pd.DataFrame, *, freq: str = "D") -> pd.DataFrame:
    """Exact inflow and outflow per period and currency.

    Columns: ``period`` (UTC start of the day or Monday-started week), ``currency``, ``inflow``,
    ``outflow`` and ``net`` (``Decimal``), ``count``. Inflow is ``trade_type`` 1 (in), outflow
    ``trade_type`` 2 (out); only successful transactions count when a ``status`` column exists.
    ``freq="auto"`` is per day up to two months of data, per week beyond.
    """
    freq = resolve_freq(freq, transactions)
    if transactions.empty or "amount" not in transactions.columns:
        return pd.DataFrame(columns=_FLOW_COLUMNS)
    kinds = _ints(transactions, "trade_type")
    return _flows(transactions, freq, kinds, _succeeded(transactions))


@exact_sums
def totals_by_currency(transactions: pd.DataFrame) -> pd.DataFrame:
    """Exact inflow, outflow and net per currency over the whole frame (successful only).

    Columns: ``currency``, ``inflow``, ``outflow``, ``net`` (``Decimal``), ``count``.
    """
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


@exact_sums
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
    for chain, token, label, amount, good in zip(
        _texts(transactions, "chain_id"),
        _texts(transactions, "token_id"),
        currency_names(transactions),
        _decimals(transactions, "amount"),
        _succeeded(transactions),
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
    return pd.DataFrame(
        [[counts[k][s] for s in cols] for k in sorted(counts)],
        index=pd.Index(sorted(counts), name="business_type"),
        columns=pd.Index(cols, name="status"),
        dtype="int64",
    )


@exact_sums
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


# -- addresses ---------------------------------------------------------------------------------


def is_balances(frame: pd.DataFrame) -> bool:
    """True for a balances frame (``address`` and ``total``, no ``amount``), not transactions."""
    return "total" in frame.columns and "address" in frame.columns and "amount" not in frame.columns


@exact_sums
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
    labels = currency_names(frame)
    if currency is None:
        known = [lab for lab in labels if lab != "unknown"]
        if not known:
            return pd.DataFrame(columns=columns)
        currency = Counter(known).most_common(1)[0][0]
    else:
        currency = currency_name(None, None, currency)  # "195@195" and "TRON" alike
    sums: dict[str, list[Any]] = {}

    def add(address: str | None, amount: Decimal | None) -> None:
        if address is None or amount is None:
            return
        entry = sums.setdefault(address, [_ZERO, 0])
        entry[0] += amount
        entry[1] += 1

    if is_balances(frame):
        for label, address, total in zip(
            labels, _texts(frame, "address"), _decimals(frame, "total"), strict=True
        ):
            if label == currency:
                add(address, total)
    else:
        for label, kind, to_addr, from_addr, amount, good in zip(
            labels,
            _ints(frame, "trade_type"),
            _texts(frame, "to_address"),
            _texts(frame, "from_address"),
            _decimals(frame, "amount"),
            _succeeded(frame),
            strict=True,
        ):
            if label != currency or not good:
                continue
            add(from_addr if kind == 2 else to_addr, amount)
    rows = [
        {"address": a, "currency": currency, "volume": v, "count": c} for a, (v, c) in sums.items()
    ]
    rows.sort(key=lambda r: (-r["volume"], r["address"]))
    return pd.DataFrame(rows[: max(n, 0)], columns=columns)


# -- payment orders ----------------------------------------------------------------------------


def _refunded(frame: pd.DataFrame) -> list[bool]:
    flags = [value == "yes" for value in _texts(frame, "refund_requested")]
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
    was paid in full (``paid`` or ``paid_over``), ``attrs["converted"]`` their number.
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


@exact_sums
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


# -- a team's wallets (the Team API) -----------------------------------------------------------


def _team_succeeded(history: pd.DataFrame) -> list[bool]:
    """True for history rows whose outcome is 1 (success).

    The outcome is ``transaction_status`` (the older SDK models' key) or, where that is missing,
    ``status`` (the newer models' key); a row with neither is not known to have moved anything.
    """
    older, newer = _ints(history, "transaction_status"), _ints(history, "status")
    return [(o if o is not None else n) == 1 for o, n in zip(older, newer, strict=True)]


@exact_sums
def team_flows_table(history: pd.DataFrame, *, freq: str = "D") -> pd.DataFrame:
    """Exact inflow and outflow of a team's wallets per period and currency.

    ``history`` is a ``query_history_transactions`` frame (one wallet's, or several joined).
    Columns as :func:`flows_table`: ``period``, ``currency``, ``inflow``, ``outflow``, ``net``
    (``Decimal``), ``count``. Inflow is ``transaction_type`` 1 (receive), outflow 2 (send); only
    successful rows count (``transaction_status``, or ``status`` where that is missing, is 1).
    ``freq`` as for :func:`flows_table`.
    """
    freq = resolve_freq(freq, history)
    if history.empty or "amount" not in history.columns:
        return pd.DataFrame(columns=_FLOW_COLUMNS)
    kinds = _ints(history, "transaction_type")
    return _flows(history, freq, kinds, _team_succeeded(history))


def _wallet_names(wallets: pd.DataFrame | None) -> dict[int, str]:
    """``wallet_id`` -> alias, from a ``list_wallets`` frame (ids without an alias left out)."""
    if wallets is None or wallets.empty:
        return {}
    names: dict[int, str] = {}
    for wallet, alias in zip(_ints(wallets, "wallet_id"), _texts(wallets, "alias"), strict=True):
        if wallet is not None and alias is not None:
            names[wallet] = alias
    return names


@exact_sums
def team_balances_table(
    balances: pd.DataFrame, wallets: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Exact balances of a team per wallet, chain and token.

    ``balances`` is ``query_wallet_balance`` (or ``query_wallet_address_balance``) frames with a
    ``wallet_id`` column, e.g. one fetch per wallet joined with ``.assign(wallet_id=...)``; rows
    of the same wallet and coin are added up (so addresses add up to their wallet). Without a
    ``wallet_id`` column every row is one wallet. ``wallets`` (a ``list_wallets`` frame) names
    each wallet by its alias.

    Columns: ``wallet_id`` (``Int64``), ``wallet`` (the alias, else the id), ``chain_id``,
    ``chain``, ``currency``, ``total``, ``available`` and ``processing`` (``Decimal``), ordered by
    wallet, chain and currency. A row missing any of the three amounts is left out, with a
    :class:`~cregis_notebook.errors.CregisDataWarning`.
    """
    columns = [
        "wallet_id",
        "wallet",
        "chain_id",
        "chain",
        "currency",
        "total",
        "available",
        "processing",
    ]
    if balances.empty or "total" not in balances.columns:
        return pd.DataFrame(columns=columns).astype({"wallet_id": "Int64"})
    names = _wallet_names(wallets)
    sums: dict[tuple[int | None, str, str], list[Decimal]] = {}
    incomplete = 0
    for wallet, chain, cur, total, available, processing in zip(
        _ints(balances, "wallet_id"),
        _texts(balances, "chain_id"),
        currency_names(balances),
        _decimals(balances, "total"),
        _decimals(balances, "available"),
        _decimals(balances, "processing"),
        strict=True,
    ):
        if total is None or available is None or processing is None:
            incomplete += 1
            continue
        entry = sums.setdefault((wallet, chain or "?", cur), [_ZERO, _ZERO, _ZERO])
        entry[0] += total
        entry[1] += available
        entry[2] += processing
    if incomplete:
        warnings.warn(
            f"{incomplete} balance row(s) lack total, available or processing and were left "
            "out of the team's balances",
            CregisDataWarning,
            stacklevel=3,
        )

    def order(key: tuple[int | None, str, str]) -> tuple[int, int, str, str]:
        wallet, chain, cur = key
        return (wallet is None, wallet or 0, chain, cur)

    rows = [
        {
            "wallet_id": wallet,
            "wallet": names.get(wallet, str(wallet)) if wallet is not None else "wallet",
            "chain_id": chain,
            "chain": chain_label(chain),
            "currency": cur,
            "total": total,
            "available": available,
            "processing": processing,
        }
        for (wallet, chain, cur), (total, available, processing) in sorted(
            sums.items(), key=lambda item: order(item[0])
        )
    ]
    return pd.DataFrame(rows, columns=columns).astype({"wallet_id": "Int64"})


# -- reconciliation ----------------------------------------------------------------------------


@exact_sums
def reconciliation_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Per ``kind`` and ``check`` of a reconciliation summary (``cn.reconcile.summary``): the
    ``objects`` with that finding and the exact ``at_stake`` per currency, as text
    (``"12.5 USDT (TRON); 0.1 TRX"``: amounts of different currencies are never added).

    Rows keep the summary's order; ``label`` is ``"<kind>: <check>"``.
    """
    columns = ["kind", "check", "label", "objects", "at_stake"]
    if summary.empty:
        return pd.DataFrame(
            {c: pd.Series(dtype="int64" if c == "objects" else object) for c in columns}
        )
    counts: dict[tuple[str, str], int] = {}
    stakes: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(dict)
    amounts = _decimals(summary, "amount_at_stake")
    rows = zip(
        _texts(summary, "kind"),
        _texts(summary, "check"),
        _texts(summary, "currency"),
        _ints(summary, "count"),
        amounts,
        strict=True,
    )
    for kind, check, currency, count, amount in rows:
        key = (kind or "", check or "")
        counts[key] = counts.get(key, 0) + (count or 0)
        if amount is not None and currency:
            stakes[key][currency] = stakes[key].get(currency, _ZERO) + amount
    records = []
    for (kind, check), objects in counts.items():
        parts = [
            f"{exact_text(value)} {_currency_text(currency)}"
            for currency, value in sorted(stakes[(kind, check)].items())
            if value
        ]
        records.append((kind, check, f"{kind}: {check}", objects, "; ".join(parts)))
    out = pd.DataFrame.from_records(records, columns=columns)
    out["objects"] = out["objects"].astype("int64")
    return out


def _currency_text(currency: str) -> str:
    """``USDT (TRON)`` for ``195@TR7N...``; an order's fiat code as it is."""
    if "@" not in currency:
        return currency
    chain_id, token_id = currency.split("@", 1)
    return currency_label(chain_id, token_id, None)
