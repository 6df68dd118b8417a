"""Delta Lake I/O through ``deltalake``: each write is one atomic commit of the library's own.

Nothing here writes a transaction log by hand: new tables and snapshots are appended with
``write_deltalake`` (a first sync's long stream of rows is written as Parquet files of the
table's own and committed through the library's transaction API, see :mod:`.parts`), keyed
rows are upserted with ``DeltaTable.merge``, a project's coin list is replaced with an
``overwrite`` limited to its ``pid`` (a team's lists, to its key). Each commit
carries what the sync did in its ``custom_metadata`` (``cregis_notebook.sync``), which
:func:`last_commit` reads back.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
from deltalake import CommitProperties, DeltaTable, WriterProperties, write_deltalake
from deltalake import Schema as DeltaSchema
from deltalake.transaction import AddAction, RemoveAction, create_table_with_add_actions

from .parts import PartFiles
from .schema import MONTH, TableSpec
from .stream import conform

__all__ = [
    "COMMIT_KEY",
    "append",
    "append_files",
    "exists",
    "holding",
    "last_commit",
    "newest",
    "read",
    "replace",
    "same_rows",
    "upsert",
    "where",
]

COMMIT_KEY = "cregis_notebook.sync"

ROW_GROUP = 8_192
"""Rows of a Parquet row group: a streamed sync holds about this many rows per open partition
in memory before it writes them out, whatever the history's size."""

FILE_BYTES = 4 * 2**20
"""Files of about this size: a merge rewrites only the files holding rows it changes (a
stream writes newest first, so recent rows share a few files)."""

_WRITER = WriterProperties(max_row_group_size=ROW_GROUP)


def _props(meta: Mapping[str, Any]) -> CommitProperties:
    return CommitProperties(custom_metadata={COMMIT_KEY: json.dumps(dict(meta))})


def exists(path: Path) -> bool:
    return DeltaTable.is_deltatable(str(path))


def append(
    path: Path,
    rows: pa.Table,
    spec: TableSpec,
    meta: Mapping[str, Any],
    *,
    partitioned: bool = True,
    merge_schema: bool = False,
) -> int:
    """Add ``rows`` in one commit; the rows. ``merge_schema``: new columns widen the table.
    (A long stream of rows goes through :func:`append_files`.)"""
    write_deltalake(
        str(path), rows, mode="append", partition_by=spec.partitions if partitioned else None,
        commit_properties=_props(meta), schema_mode="merge" if merge_schema else None,
        writer_properties=_WRITER, target_file_size=FILE_BYTES,
    )  # fmt: skip
    return rows.num_rows


def append_files(
    path: Path, rows: pa.RecordBatchReader, spec: TableSpec, meta: Mapping[str, Any]
) -> int:
    """Add the rows of a long stream in one commit, holding at most a row group of each
    partition in memory: each partition's rows go to Parquet files of the table as they are
    read (see :class:`.parts.PartFiles`), and the files are committed at the stream's end
    through ``deltalake``'s transaction API, or removed if it fails; the rows (none: no
    commit). The table's partition columns must be integers or text."""
    table = DeltaTable(str(path)) if exists(path) else None
    schema = pa.schema(table.schema().to_arrow()) if table else _delta_schema(rows.schema)
    partitions = spec.partitions
    files = PartFiles(path, schema, partitions, row_group=ROW_GROUP, file_bytes=FILE_BYTES)
    try:
        for batch in rows:
            files.write(conform(pa.Table.from_batches([batch]), schema))
        actions = files.finish()
        if actions and table is None:
            create_table_with_add_actions(
                str(path), DeltaSchema.from_arrow(schema), actions, mode="error",
                partition_by=partitions, commit_properties=_props(meta),
            )  # fmt: skip
        elif actions and table is not None:
            table.create_write_transaction(
                list[AddAction | RemoveAction](actions), "append", schema, partition_by=partitions,
                commit_properties=_props(meta),
            )  # fmt: skip
    except BaseException:
        files.discard()
        raise
    return files.rows


def _delta_schema(schema: pa.Schema) -> pa.Schema:
    """``schema`` as a Delta table stores it (``deltalake``'s own types for its columns)."""
    return pa.schema(DeltaSchema.from_arrow(schema).to_arrow())


def upsert(
    path: Path,
    rows: pa.Table,
    spec: TableSpec,
    meta: Mapping[str, Any],
    *,
    stored: pa.Table | None = None,
) -> tuple[int, int]:
    """Write ``rows`` in one commit: merged by the table's key, or appended when it has none
    (or the table is new); ``(added, updated)``. ``stored``: the partition and time columns of
    the stored rows with ``rows``' keys, when the caller knows them (else they are read)."""
    if not exists(path) or not spec.key:
        return append(path, rows, spec, meta), 0
    on = " AND ".join(f"t.{k} = s.{k}" for k in spec.key) + _pruning(path, rows, spec, stored)
    changed = " OR ".join(
        f"(t.`{c}` IS DISTINCT FROM s.`{c}`)" for c in rows.column_names if c not in spec.key
    )  # a row fetched again unchanged is not rewritten, nor counted as updated
    metrics = (
        DeltaTable(str(path))
        .merge(rows, on, source_alias="s", target_alias="t", commit_properties=_props(meta))
        .when_matched_update_all(predicate=changed)
        .when_not_matched_insert_all()
        .execute()
    )
    return int(metrics.get("num_target_rows_inserted", 0)), int(
        metrics.get("num_target_rows_updated", 0)
    )


def _pruning(path: Path, rows: pa.Table, spec: TableSpec, stored: pa.Table | None) -> str:
    """Where the merge's matches and inserts can be, as terms of its predicate, so that it
    reads and rewrites no other files: the partitions and the earliest time of ``rows`` and of
    the stored rows with their keys (looked up first: a row may have moved, say to another
    month when its ``block_time`` changed)."""
    key = [k for k in spec.key if k != "pid"]
    columns = list(dict.fromkeys([*spec.partitions, *([spec.time] if spec.time else [])]))
    both = [rows.select(columns)]
    if key:
        if stored is None:
            stored = read(path, {key[0]: rows.column(key[0]).to_pylist()}, columns=columns)
        both.append(stored.select(columns).cast(both[0].schema))
    seen = pa.concat_tables(both)
    terms = ""
    for name in spec.partitions:
        values = sorted(set(seen.column(name).to_pylist()))
        if not values or None in values:
            return terms
        listed = ", ".join(_literal(v) for v in values)
        terms += f" AND t.{name} IN ({listed})"
    if spec.time is not None and seen.column(spec.time).null_count == 0:
        earliest = pc.min(seen.column(spec.time)).as_py()
        terms += f" AND t.{spec.time} >= '{earliest.isoformat()}'"
    return terms


def replace(
    path: Path, rows: pa.Table | None, spec: TableSpec, owner: int | str, meta: Mapping[str, Any]
) -> tuple[int, int]:
    """Replace one owner's rows (``spec.owner`` equal to ``owner``: a project's pid or a team's
    key) in one commit, or delete them when ``rows`` is None; ``(added, updated)``: rows beyond
    those it had, and rows in place of those it had. Rows equal to those held (in any order)
    are not written again: no commit, ``(0, 0)``."""
    if not exists(path):
        return (0, 0) if rows is None else upsert(path, rows, spec, meta)
    held = read(path, {spec.owner: owner})
    before = held.num_rows
    if rows is not None and same_rows(held, rows):
        return 0, 0  # nothing changed: no commit
    predicate = f"{spec.owner} = {_literal(owner)}"
    if rows is None:
        DeltaTable(str(path)).delete(predicate, commit_properties=_props(meta))
        return 0, 0
    write_deltalake(
        str(path), rows, mode="overwrite", predicate=predicate, schema_mode="merge",
        partition_by=spec.partitions, commit_properties=_props(meta),
    )  # fmt: skip  # merge: one owner's rows may have columns another's lack (list slots)
    return max(0, rows.num_rows - before), min(rows.num_rows, before)


def same_rows(held: pa.Table, rows: pa.Table) -> bool:
    """Whether ``held`` (rows read back) holds exactly ``rows``, in any order: the same values
    in ``rows``' columns, and nothing in the others (a column it lacks, a type it cannot take
    or a column that cannot be sorted: not the same)."""
    if held.num_rows != rows.num_rows or not set(rows.column_names) <= set(held.column_names):
        return False
    others = [name for name in held.column_names if name not in rows.column_names]
    if any(held.column(name).null_count != held.num_rows for name in others):
        return False
    try:
        held = held.select(rows.column_names).cast(rows.schema)
        order = [(name, "ascending") for name in rows.column_names]
        return bool(held.sort_by(order).equals(rows.sort_by(order)))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return False


def _literal(value: int | str) -> str:
    """``value`` as an SQL literal of a predicate (a text's quotes doubled)."""
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return str(int(value))


def where(filters: Mapping[str, Any]) -> ds.Expression | None:
    """``column == value`` for each filter (``isin`` for a list), all of them together."""
    expr: ds.Expression | None = None
    for name, value in filters.items():
        values = list(value) if isinstance(value, (list, tuple, set, frozenset)) else [value]
        column = pc.field(name)
        if any(isinstance(v, str) for v in values):  # Parquet statistics of text may be read
            column = column.cast(pa.string())  # as string_view, which no comparison takes
        if isinstance(value, (list, tuple, set, frozenset)):
            term = column.isin(values)
        else:
            term = column == value
        expr = term if expr is None else expr & term
    return expr


def dataset(
    path: Path, filters: Mapping[str, Any] | None = None, *, table: DeltaTable | None = None
) -> ds.Dataset:
    """The table at its last commit (or at ``table``'s version, already loaded) as an Arrow
    dataset; with ``filters``, only the files of the partitions they allow (the rows are not
    filtered: see :func:`read`)."""
    table = DeltaTable(str(path)) if table is None else table
    prune = _partition_terms(table, filters or {})
    return table.to_pyarrow_dataset(file_pruning_predicate=prune or None)


def holding(source: ds.Dataset, table: DeltaTable, column: str, values: np.ndarray) -> ds.Dataset:
    """The files of ``source`` (a dataset of ``table``) that may hold one of ``values`` (sorted
    integers) in ``column``, by each file's least and greatest value in the table's statistics
    (a file without them is kept). Arrow prunes files by a range, but not by a long list of
    values."""
    stats = pa.table(table.get_add_actions(flatten=True))
    least, most = f"min.{column}", f"max.{column}"
    if least not in stats.column_names or most not in stats.column_names:
        return source
    bounds = np.iinfo(np.int64)
    low = pc.fill_null(stats.column(least).cast(pa.int64()), bounds.min).to_numpy()
    high = pc.fill_null(stats.column(most).cast(pa.int64()), bounds.max).to_numpy()
    values = np.asarray(values, dtype=np.int64)
    first = np.searchsorted(values, low, "left")  # the first value at or above each file's least
    inside = first < len(values)
    inside[inside] = values[first[inside]] <= high[inside]
    without = set(pc.filter(stats.column("path"), pa.array(~inside)).to_pylist())
    kept = [f for f in source.get_fragments() if f.path not in without]
    return ds.FileSystemDataset(kept, source.schema, source.format, source.filesystem)


def _partition_terms(table: DeltaTable, filters: Mapping[str, Any]) -> list[tuple[str, str, Any]]:
    """The terms of ``filters`` on the table's partition columns, as ``deltalake`` prunes
    files by them (each value as the partition's text)."""
    terms: list[tuple[str, str, Any]] = []
    for name in table.metadata().partition_columns:
        value: Any = filters.get(name)
        many = isinstance(value, (list, tuple, set, frozenset))
        values = list(value) if many else [value]
        if not values or not all(_text_of(v) for v in values):
            continue  # a value whose partition text is not plain (missing, say): not pruned
        if many:
            terms.append((name, "in", [str(v) for v in values]))
        else:
            terms.append((name, "=", str(value)))
    return terms


def _text_of(value: Any) -> bool:
    """Whether ``value``'s partition text is ``str(value)``: text, or an integer."""
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def read(
    path: Path,
    filters: Mapping[str, Any] | ds.Expression | None = None,
    columns: list[str] | None = None,
    *,
    threads: bool = True,
) -> pa.Table:
    """The table's rows at its last commit, filtered (see :func:`where`); ``threads=False``
    reads on the calling thread alone (leaving the other cores to work going on meanwhile).
    Filters on partition columns also keep the other partitions' files unopened."""
    if isinstance(filters, ds.Expression) or filters is None:
        source, expr = dataset(path), filters
    else:
        source, expr = dataset(path, filters), where(filters)
    return source.to_table(columns=columns, filter=expr, use_threads=threads)


def newest(path: Path, spec: TableSpec, owner: int | str) -> Any:
    """The newest value of ``spec.time`` among ``owner``'s rows (None: none), read from the
    newest month partition that has one: the month is that of the time, so no older month
    can hold a newer value."""
    if spec.time is None:
        return None
    mine = (p for p in DeltaTable(str(path)).partitions() if p.get(spec.owner) == str(owner))
    months = sorted({p[MONTH] for p in mine if p.get(MONTH) is not None}, reverse=True)
    for month in months:
        column = read(path, {spec.owner: owner, MONTH: month}, columns=[spec.time]).column(0)
        value = pc.max(column).as_py()
        if value is not None:
            return value
    return None


def last_commit(path: Path) -> dict[str, Any]:
    """The last commit's time (ms), version and sync metadata."""
    table = DeltaTable(str(path))
    last = table.history(1)[0]
    meta = last.get(COMMIT_KEY)
    return {
        "version": table.version(),
        "timestamp": last.get("timestamp"),
        "sync": json.loads(meta) if isinstance(meta, str) else {},
    }
