"""The tables of a store: what each holds, its key, its partitions, and how its typed frames
become Delta rows and back.

Every table carries ``pid`` and a ``month`` partition column (``YYYY-MM`` of its time column;
``coins`` has no time and is partitioned by ``pid`` only). Columns are kept with exact types:
amounts as ``decimal(38, 18)``, ids as ``int64``, times as UTC timestamps, labels as text
(their categories come back from ``_cregis/schema/<table>.json``, the frame's
:func:`~cregis_notebook.export.frame_schema`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import CregisExportError, CregisStoreError
from ..export import arrow_table, frame_from_arrow, frame_schema

__all__ = [
    "AMOUNT",
    "MONTH",
    "TABLES",
    "TEAM",
    "TEAM_TABLES",
    "TIME",
    "TableSpec",
    "fit_slots",
    "from_delta",
    "merge_kinds",
    "month_of",
    "read_kinds",
    "to_delta",
]

AMOUNT = pa.decimal128(38, 18)
"""How a store keeps amounts: 20 digits before the point and 18 after (a wei is 1e-18)."""

TIME = pa.timestamp("us", tz="UTC")
"""How a store keeps times (Delta's timestamp type)."""

MONTH = "month"
"""The partition column holding ``YYYY-MM`` of the table's time (not part of the frames)."""


@dataclass(frozen=True)
class TableSpec:
    """One table: its name, the endpoint its rows come from, its key and its time column."""

    name: str
    endpoint: str
    key: tuple[str, ...]  # rows upserted by it; () keeps every row (snapshots)
    time: str | None  # the column whose month partitions the table
    order: tuple[tuple[str, bool], ...]  # how frame() sorts rows: (column, ascending)
    owner: str = "pid"  # whose rows: a project's ``pid``, or a team's Access Key (``team``)

    @property
    def partitions(self) -> list[str]:
        return [self.owner, MONTH] if self.time is not None else [self.owner]


TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (
        TableSpec(
            "trades", "trade_page", ("pid", "cid"), "block_time",
            (("block_time", False), ("cid", False)),
        ),
        TableSpec(
            "balances", "sub_address_balance", (), "as_of",
            (("as_of", True), ("currency", True), ("address", True)),
        ),
        TableSpec(
            "coins", "project_coins", ("pid",), None,
            (("usage", True), ("chain_id", True), ("token_id", True)),
        ),
        TableSpec("payouts", "payout_query", ("pid", "cid"), None, (("cid", True),)),
        TableSpec(
            "withdrawals", "sub_address_withdrawal_query", ("pid", "cid"), None, (("cid", True),)
        ),
        TableSpec("orders", "order_info_v2", ("pid", "cregis_id"), None, (("cregis_id", True),)),
        TableSpec("callbacks", "", (), "stored_at", (("stored_at", True),)),
    )
}  # fmt: skip

TEAM = "team"
"""The column naming a team table's team: its Access Key (public; the secret is never stored)."""

TEAM_TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (
        TableSpec("team_wallets", "list_wallets", (TEAM,), None, (("wallet_id", True),), TEAM),
        TableSpec(
            "team_addresses", "list_wallet_addresses", (TEAM,), None,
            (("wallet_id", True), ("chain_id", True), ("address", True)), TEAM,
        ),
        TableSpec(
            "team_balances", "query_wallet_balance", (), "as_of",
            (("as_of", True), ("wallet_id", True), ("chain_id", True), ("token_id", True)), TEAM,
        ),
        TableSpec(
            "team_address_balances", "query_wallet_address_balance", (), "as_of",
            (("as_of", True), ("wallet_id", True), ("address", True), ("chain_id", True),
             ("token_id", True)), TEAM,
        ),
        TableSpec(  # the merge looks stored rows up by the first key column: txid
            "team_transactions", "query_history_transactions",
            ("txid", TEAM, "wallet_id", "chain_id", "token_id", "transaction_type",
             "from_address", "to_address", "amount"), "block_time",
            (("block_time", False), ("wallet_id", True), ("txid", True)), TEAM,
        ),
        TableSpec(
            "team_processing", "query_processing_transactions", (TEAM,), None,
            (("wallet_id", True), ("txid", True)), TEAM,
        ),
    )
}  # fmt: skip
"""The Team API's tables (see :mod:`.team`): each row carries its team's Access Key."""

TABLES.update(TEAM_TABLES)


def _delta_type(typ: pa.DataType) -> pa.DataType:
    if pa.types.is_decimal(typ):
        return AMOUNT
    if pa.types.is_timestamp(typ):
        return TIME
    if pa.types.is_dictionary(typ):
        return pa.string()
    if pa.types.is_null(typ):
        return pa.string()
    return typ


def to_delta(df: pd.DataFrame, spec: TableSpec, kinds: Mapping[str, Any]) -> pa.Table:
    """``df`` (a typed frame of ``spec``'s table) as Delta rows, with the ``month`` column.

    ``kinds`` are the table's stored column kinds: a column the frame holds with another kind
    (all missing, so typed otherwise) takes the stored one.
    """
    try:
        table, _ = arrow_table(df, decimal_type=AMOUNT)
    except CregisExportError as exc:
        raise CregisStoreError(f"{spec.name}: {exc}; nothing was committed") from exc
    arrays, names = [], []
    for name, column in zip(table.column_names, table.columns, strict=True):
        target = _delta_type(column.type)
        stored = kinds.get(name, {}).get("kind")
        if stored == "decimal":
            target = AMOUNT
        if column.null_count == len(column) and stored is not None:
            target = _kind_type(stored)
        try:
            arrays.append(column.cast(target))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise CregisStoreError(
                f"{spec.name}.{name}: a value does not fit the store's {target} ({exc}); "
                "nothing was committed"
            ) from exc
        names.append(name)
    if spec.time is not None:
        arrays.append(month_of(table.column(spec.time)))
        names.append(MONTH)
    return pa.Table.from_arrays(arrays, names=names)


def month_of(times: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """The ``month`` partition of each time: ``YYYY-MM`` in UTC (a missing time: missing).

    Each distinct month is formatted once (``strftime`` on every row cost eight times as
    much)."""
    if isinstance(times, pa.ChunkedArray):
        return pa.chunked_array([month_of(chunk) for chunk in times.chunks], pa.string())
    times = times.cast(pa.timestamp("ms", tz="UTC"))
    coded = pc.add(pc.multiply(pc.year(times), 100), pc.month(times)).dictionary_encode()
    labels = [f"{m // 100:04d}-{m % 100:02d}" for m in coded.dictionary.to_pylist()]
    return pa.array(labels, pa.string()).take(coded.indices)


def _kind_type(kind: str) -> pa.DataType:
    return {
        "decimal": AMOUNT,
        "int": pa.int64(),
        "timestamp": TIME,
        "bool": pa.bool_(),
        "float": pa.float64(),
    }.get(kind, pa.string())


def from_delta(
    table: pa.Table, kinds: Mapping[str, Any], *, keep_month: bool = False
) -> pd.DataFrame:
    """The typed frame of Delta rows (without ``month`` unless kept), as the fetch gives it."""
    if MONTH in table.column_names and not keep_month:
        table = table.drop_columns([MONTH])
    columns = []
    for column in table.columns:
        if pa.types.is_timestamp(column.type):
            column = column.cast(pa.timestamp("ms", tz="UTC"))
        columns.append(column)
    table = pa.Table.from_arrays(columns, names=table.column_names)
    frame = frame_from_arrow(table, {"columns": kinds})
    frame.attrs.clear()
    return frame


_SLOT = re.compile(r"^(?P<list>[^.]+)\.(?P<slot>[0-9]+)\.(?P<field>.+)$")


def fit_slots(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its flattened lists' slots (``tokens.0.chain_id``, ...) as a fetch of
    its rows gives them: slots beyond the longest list (all missing: rows of another owner
    made the table wider) left out, and each list's slots in order, field by field."""
    slots: dict[str, dict[int, list[str]]] = {}
    fields: dict[str, dict[str, None]] = {}
    for name in frame.columns:
        found = _SLOT.match(str(name))
        if found:
            slots.setdefault(found["list"], {}).setdefault(int(found["slot"]), []).append(name)
            fields.setdefault(found["list"], {})[found["field"]] = None
    if not slots:
        return frame
    keep: dict[str, list[str]] = {}
    for name, by_slot in slots.items():
        used = [n for n, columns in by_slot.items() if frame[columns].notna().any().any()]
        keep[name] = [f"{name}.{n}.{f}" for n in range(max(used, default=-1) + 1)
                      for f in fields[name] if f"{name}.{n}.{f}" in frame.columns]  # fmt: skip
    columns: list[str] = []
    for name in frame.columns:
        found = _SLOT.match(str(name))
        if not found:
            columns.append(name)
        elif found["list"] in keep:
            columns += keep.pop(found["list"])  # the whole list where its first column was
    return frame[columns]


def read_kinds(path: Path) -> dict[str, Any]:
    """The stored column kinds of a table (empty when it has none yet)."""
    if not path.exists():
        return {}
    return dict(json.loads(path.read_text(encoding="utf-8")))


def merge_kinds(path: Path, df: pd.DataFrame) -> dict[str, Any]:
    """The table's kinds with ``df``'s new columns added, written atomically when they grew.

    Written before the data's commit: a crash between the two leaves kinds for columns no
    commit holds yet, which readers ignore.
    """
    kinds = read_kinds(path)
    fresh = frame_schema(df, blanks=False)["columns"]
    grown = False
    for name, info in fresh.items():
        if name not in kinds or (
            info["kind"] not in ("json",) and kinds[name]["kind"] == "json"
        ):  # a column first seen all missing (json) takes the kind of its first values
            kinds[name] = info
            grown = True
    if grown:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(kinds), encoding="utf-8")
        tmp.replace(path)
    return kinds
