"""What every reconciliation reads: amounts as exact decimals, coins as ``chain_id@token_id``,
callbacks (verified), the user's requests, ``stale_after`` and ``now``."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._signing import Secret
from .._values import exact_decimal, utc_from_epoch
from ..callbacks import callbacks_frame
from ..errors import UnfitValue

__all__ = [
    "CallbackSource",
    "coin_keys",
    "decimals",
    "exact_column",
    "latest_by",
    "read_callbacks",
    "read_requests",
    "require",
    "stale_delta",
    "utc_now",
]

CallbackSource = Any
"""Raw callback bodies (anything :func:`~cregis_notebook.callbacks_frame` reads) or its frame."""


def decimals(values: Iterable[Any]) -> list[Decimal | None]:
    """Exact decimals (``None`` for a missing value); text as the value contract reads it."""
    out: list[Decimal | None] = []
    for value in values:
        if value is None or value is pd.NA or (isinstance(value, float) and value != value):
            out.append(None)
        elif isinstance(value, Decimal):
            out.append(value)
        else:
            try:
                out.append(exact_decimal(value, exponent=True))
            except UnfitValue as exc:
                raise ValueError(f"not an exact amount: {exc}") from None
    return out


def exact_column(values: Iterable[Any], index: pd.Index | None = None) -> pd.Series:
    """A column of Python objects (exact ``Decimal`` amounts, lists, dicts) kept as they are."""
    items = list(values)
    return pd.Series(
        items, index=index if index is not None else pd.RangeIndex(len(items)), dtype=object
    )


def coin_keys(frame: pd.DataFrame) -> pd.Series:
    """``chain_id@token_id`` per row (the balances' ``currency``), ``<NA>`` when unknown."""
    if "chain_id" in frame.columns and "token_id" in frame.columns:
        chain = frame["chain_id"].astype("string")
        token = frame["token_id"].astype("string")
        return (chain + "@" + token).astype("string")
    if "currency" in frame.columns:
        return frame["currency"].astype("string")
    return pd.Series(pd.NA, index=frame.index, dtype="string")


def require(frame: pd.DataFrame, names: Iterable[str], what: str) -> pd.DataFrame:
    """``frame`` with the columns a check reads: an empty frame gets them (empty); a frame with
    rows but without one of them is an error that names it."""
    missing = [n for n in names if n not in frame.columns]
    if not missing:
        return frame
    if len(frame):
        raise ValueError(f"the {what} frame has no column {', '.join(map(repr, missing))}")
    return frame.assign(**{n: pd.Series([], dtype=object) for n in missing})


def stale_delta(stale_after: str | dt.timedelta | pd.Timedelta) -> pd.Timedelta:
    """``"24h"``, ``"90min"``, a ``timedelta``... as a positive :class:`pandas.Timedelta`."""
    try:
        delta = pd.Timedelta(stale_after)
    except (TypeError, ValueError):
        raise ValueError(
            f"stale_after must be a duration such as '24h'; got {stale_after!r}"
        ) from None
    if pd.isna(delta) or delta <= pd.Timedelta(0):
        raise ValueError(f"stale_after must be a positive duration; got {stale_after!r}")
    return delta


def utc_now(now: Any = None) -> pd.Timestamp:
    """``now`` as a UTC timestamp (the current time when ``None``)."""
    stamp = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def latest_by(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """The last row of each ``key`` (by ``timestamp`` when there is one, else by position)."""
    if frame.empty:
        return frame
    ordered = frame
    if "timestamp" in frame.columns:
        ordered = frame.sort_values("timestamp", kind="stable")
    return ordered.drop_duplicates(key, keep="last")


def read_callbacks(
    callbacks: CallbackSource | None, api_key: str | Secret | None = None
) -> pd.DataFrame:
    """Callbacks as a frame with ``verified``: raw bodies are checked with ``api_key``.

    A frame is taken as it is (it must have ``verified``: ``callbacks_frame(bodies, api_key)``
    gives it). A callback that cannot be verified (no key) counts as unverified.
    """
    if callbacks is None:
        return pd.DataFrame({"kind": pd.Series(dtype="string"), "verified": pd.Series(dtype=bool)})
    if isinstance(callbacks, pd.DataFrame):
        frame = callbacks.copy()
        if "verified" not in frame.columns:
            raise ValueError(
                "the callbacks frame has no 'verified' column: build it with "
                "callbacks_frame(bodies, api_key) or pass the raw bodies"
            )
    else:
        frame = callbacks_frame(callbacks, api_key)
        if "verified" not in frame.columns:
            frame["verified"] = False
    frame["verified"] = frame["verified"].astype("boolean").fillna(False).astype(bool)
    return frame


_ADDRESS_NAMES = ("address", "to_address")
_TIME_NAMES = ("requested_at", "created", "created_at", "created_time", "time")


def _times(values: pd.Series) -> pd.Series:
    """Times as UTC: datetimes and ISO text as they are, epoch numbers by the epoch rule."""

    def one(value: Any) -> Any:
        if value is None or value is pd.NA or (isinstance(value, float) and value != value):
            return pd.NaT
        if isinstance(value, str) and not value.strip().isdigit():
            return pd.Timestamp(value)
        if isinstance(value, (np.integer, np.floating)):
            value = value.item()
        if isinstance(value, (str, int, float, Decimal)) and not isinstance(value, bool):
            return utc_from_epoch(value)
        return pd.Timestamp(value)

    return pd.Series([one(v) for v in values], index=values.index, dtype=object)


def read_requests(
    requests: pd.DataFrame | str | os.PathLike[str] | Sequence[Mapping[str, Any]] | None,
) -> pd.DataFrame:
    """The user's own record of what was asked: a frame, a CSV path, or a list of records
    (mappings, as ``box.payout_requests()`` gives them).

    Columns read: ``third_party_id`` (required), ``amount``, ``address`` (or ``to_address``),
    and when present ``kind`` (``payout``/``withdrawal``), ``cid``, ``currency`` and
    ``requested_at`` (or ``created``: UTC times, or epoch seconds or milliseconds). Amounts are
    exact: a CSV is read as text, never as floats.
    """
    columns = ["third_party_id", "amount", "address", "kind", "cid", "requested_at"]
    if requests is None:
        empty = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
        return empty.astype(
            {
                "third_party_id": "string",
                "kind": "string",
                "cid": "Int64",
                "requested_at": "datetime64[ns, UTC]",
            }
        )
    if isinstance(requests, (str, os.PathLike)):
        raw = pd.read_csv(Path(requests), dtype=str, keep_default_na=False, na_values=[""])
    elif isinstance(requests, pd.DataFrame):
        raw = requests
    elif isinstance(requests, Sequence) and all(isinstance(r, Mapping) for r in requests):
        raw = pd.DataFrame([dict(r) for r in requests if isinstance(r, Mapping)])
        if raw.empty:
            return read_requests(None)
    else:
        raise TypeError(
            "requests must be a DataFrame, a CSV path or a list of records; "
            f"got {type(requests).__name__}"
        )
    if "third_party_id" not in raw.columns:
        raise ValueError("requests need a 'third_party_id' column")
    out = pd.DataFrame(index=raw.index)
    out["third_party_id"] = raw["third_party_id"].astype("string")
    amounts = decimals(raw["amount"]) if "amount" in raw.columns else [None] * len(raw)
    out["amount"] = exact_column(amounts, out.index)
    address = next((c for c in _ADDRESS_NAMES if c in raw.columns), None)
    out["address"] = raw[address].astype("string") if address else pd.NA
    out["kind"] = (
        raw["kind"].astype("string").str.lower().str.rstrip("s") if "kind" in raw.columns else pd.NA
    )
    out["cid"] = pd.to_numeric(raw["cid"]).astype("Int64") if "cid" in raw.columns else pd.NA
    when = next((c for c in _TIME_NAMES if c in raw.columns), None)
    times = _times(raw[when]) if when else pd.Series(pd.NaT, index=raw.index)
    out["requested_at"] = pd.to_datetime(times, utc=True)
    for extra in ("currency", "chain_id", "token_id"):
        if extra in raw.columns:
            out[extra] = raw[extra].astype("string")
    return out.reset_index(drop=True)
