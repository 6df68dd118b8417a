"""The ``orders`` table: the latest ``order_info_v2`` answer of every tracked payment order.

An order's answer nests objects and lists (``payment_detail``, ``payment_info``, the refund,
the settlement) whose flattened columns depend on the other orders fetched with it, so a row
keeps the answer itself (``answer``: the ``{"code", "msg", "data"}`` envelope as exact JSON)
and :func:`frame` flattens the stored answers again through the one frame builder: the frame
is the one ``fetch_frame(client, "order_info_v2", cregis_id=[...])`` gives, every column and
dtype alike. Beside it, a few top-level fields are stored as columns for SQL, filters and the
final-state check (:data:`COLUMNS`).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pandas as pd
import pyarrow as pa

from .._values import dumps_exact, loads_exact
from ..envelope import Envelope
from ..frames import FrameBuilder

__all__ = ["ANSWER", "COLUMNS", "ENDPOINT", "ask", "frame", "rows"]

ENDPOINT = "order_info_v2"

ANSWER = "answer"
"""The column holding each order's answer as exact JSON."""

COLUMNS: dict[str, str] = {
    "cregis_id": "string",
    "order_id": "string",
    "order_amount": "object",
    "order_currency": "string",
    "created_time": "datetime64[ms, UTC]",
    "transact_time": "datetime64[ms, UTC]",
    "status": "string",
    "refund_requested": "string",
    "refund_status": "Int64",
    "settlement_status": "string",
    "code": "string",
    "msg": "string",
}
"""The stored columns beside ``pid`` and the answer (``refund_status`` is the refund's
``refund_data.refund_status``), with their dtypes."""

_FLAT = {"refund_status": "refund_data.refund_status"}


def ask(client: Any, ids: Sequence[str], concurrency: int) -> list[Envelope]:
    """The answer about each order of ``ids``, in their order (one call per id)."""
    with ThreadPoolExecutor(max(1, min(concurrency, len(ids))), "cregis-store-orders") as pool:
        return list(pool.map(lambda i: client.request(ENDPOINT, cregis_id=i), ids))


def rows(answers: Sequence[Envelope], pid: int) -> pd.DataFrame:
    """The store's rows of ``answers`` (successful ones only): ``pid``, :data:`COLUMNS` and
    the answer."""
    answers = [a for a in answers if a.ok]
    flat = FrameBuilder(ENDPOINT).extend(answers).finish()
    out = pd.DataFrame({"pid": pd.Series([pid] * len(flat), dtype="Int64")})
    for name, dtype in COLUMNS.items():
        source = _FLAT.get(name, name)
        values = flat[source] if source in flat.columns else [None] * len(flat)
        out[name] = pd.Series(list(values), dtype=dtype)
    texts = [
        dumps_exact({"code": a.code, "msg": a.msg, "data": a.data}, keep_types=True)
        for a in answers
    ]
    out[ANSWER] = pd.Series(texts, dtype="string")
    return out


def frame(table: pa.Table) -> pd.DataFrame:
    """The fetch's frame of the stored answers of ``table`` (its rows in order), ``pid`` first."""
    texts = table.column(ANSWER).to_pylist()
    pids = table.column("pid").to_pylist()
    if not texts:
        return pd.DataFrame({"pid": pd.Series(dtype="Int64")})
    df = FrameBuilder(ENDPOINT).extend([loads_exact(t) for t in texts]).finish()
    df.attrs.clear()
    df.insert(0, "pid", pd.Series(pids, dtype="Int64"))
    return df
