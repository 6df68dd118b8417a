"""The ``callbacks`` table: every callback received, with ``verified`` (its signature checked
against the key given to :meth:`Store.add_callbacks`, which is never stored). A payout's or a
withdrawal's callback also tracks its ``cid``, a payment order's its ``cregis_id``. Rows are
appended, one commit per call; new fields widen the table (Delta's schema merge).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .._signing import Secret
from ..callbacks import callbacks_frame
from . import delta
from .layout import Layout
from .lock import SyncLock
from .schema import TABLES, merge_kinds, to_delta
from .tracked import track

__all__ = ["add_callbacks"]

_TRACKS = {
    "payout": ("payouts", "cid"),
    "sub_address_withdrawal": ("withdrawals", "cid"),
    "payment_order": ("orders", "cregis_id"),
}


def add_callbacks(
    layout: Layout,
    payloads: Any,
    api_key: str | Secret | None,
    pid: int | None,
    lock_timeout: float,
) -> int:
    """Append ``payloads`` (anything :func:`callbacks_frame` reads) to ``callbacks``."""
    frame = callbacks_frame(payloads, api_key)
    del api_key
    if not len(frame):
        return 0
    if "verified" not in frame.columns:
        frame.insert(2, "verified", pd.Series([None] * len(frame), dtype="boolean"))
    if "pid" not in frame.columns:
        frame.insert(0, "pid", pd.Series([pid] * len(frame), dtype="Int64"))
    elif pid is not None:
        frame["pid"] = frame["pid"].fillna(pid)
    frame["stored_at"] = pd.Series(
        [pd.Timestamp.now(tz="UTC").floor("ms")] * len(frame), dtype="datetime64[ms, UTC]"
    )
    spec = TABLES["callbacks"]
    layout.create()
    with SyncLock(layout.inbox_lock, lock_timeout):
        kinds = merge_kinds(layout.schema(spec.name), frame)
        rows = to_delta(frame, spec, kinds)
        added = delta.append(layout.table(spec.name), rows, spec, {"callbacks": len(frame)},
                             merge_schema=True)  # fmt: skip
        for kind, (table, column) in _TRACKS.items():
            if column in frame.columns:
                ids = frame.loc[frame["kind"] == kind, column].dropna().tolist()
                if ids:
                    track(layout, table, ids)
    return added
