"""A streamed write's Parquet files, one partition at a time, for one Delta commit.

``deltalake``'s own writer keeps every open partition's unfinished file in memory until its
commit, and what it holds grows with the rows of the write (docs/store.md, "Memory", has the
figures). :class:`PartFiles` writes the rows of each partition to a Parquet file of the table's
directory a row group at a time instead, so that a write holds at most one row group per open
partition, whatever its size; :func:`.delta.append_files` then commits the files through the
library's transaction API, which writes the log. Until that commit no reader sees them, and a
write that fails removes them.

Each file's statistics (rows, nulls, and the least and greatest value of its integer and time
columns) are those Delta readers skip files by. Columns of other types get no least and
greatest value (a reader then reads the file): a decimal's would be written as a JSON number,
which is not exact.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from deltalake.transaction import AddAction

__all__ = ["PartFiles"]

_HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"
"""The directory name of a partition whose value is missing (as Spark and ``deltalake`` name it)."""


@dataclass
class _Stats:
    """What a file's rows hold, column by column, gathered as they are written."""

    rows: int = 0
    nulls: dict[str, int] = field(default_factory=dict)
    least: dict[str, Any] = field(default_factory=dict)
    most: dict[str, Any] = field(default_factory=dict)

    def add(self, rows: pa.Table) -> None:
        self.rows += rows.num_rows
        for name, column in zip(rows.column_names, rows.columns, strict=True):
            self.nulls[name] = self.nulls.get(name, 0) + column.null_count
            if not _ranged(column.type) or column.null_count == len(column):
                continue
            bounds = pc.min_max(column)
            low, high = bounds["min"].as_py(), bounds["max"].as_py()
            self.least[name] = low if name not in self.least else min(self.least[name], low)
            self.most[name] = high if name not in self.most else max(self.most[name], high)

    def json(self) -> str:
        """The statistics as a Delta ``add`` action's ``stats``."""
        return json.dumps(
            {
                "numRecords": self.rows,
                "minValues": {k: _stat(v) for k, v in self.least.items()},
                "maxValues": {k: _stat(v, up=True) for k, v in self.most.items()},
                "nullCount": self.nulls,
            },
            separators=(",", ":"),
        )


def _ranged(typ: pa.DataType) -> bool:
    """Whether a file's least and greatest value of a column of ``typ`` go in its statistics."""
    return pa.types.is_integer(typ) or pa.types.is_timestamp(typ)


def _stat(value: Any, *, up: bool = False) -> Any:
    """``value`` as Delta statistics write it. A time is UTC ISO 8601 to the millisecond, as
    the protocol has it: a least value rounded down, a greatest one (``up``) rounded up, so
    that no reader skips a file holding a row its filter wants."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc)
        extra = value.microsecond % 1000
        value -= timedelta(microseconds=extra)
        if up and extra:
            value += timedelta(milliseconds=1)
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return value


class _Open:
    """One partition's file being written."""

    def __init__(self, root: Path, relative: str, schema: pa.Schema) -> None:
        self.relative = relative
        self.path = root / relative
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.sink = pa.OSFile(str(self.path), "wb")
        self.writer = pq.ParquetWriter(self.sink, schema, compression="snappy")
        self.held: list[pa.Table] = []
        self.held_rows = 0
        self.stats = _Stats()

    def flush(self) -> None:
        if self.held_rows:
            rows = pa.concat_tables(self.held)
            self.writer.write_table(rows, row_group_size=rows.num_rows)
            self.stats.add(rows)
            self.held, self.held_rows = [], 0

    def size(self) -> int:
        return int(self.sink.tell())

    def close(self) -> int:
        self.flush()
        self.writer.close()
        size = self.size()
        self.sink.close()
        return size


class PartFiles:
    """Rows written as Parquet files under ``root`` (a Delta table's directory), split by the
    ``partitions`` columns (which the files leave out, as Delta's do): :meth:`write` rows,
    then :meth:`finish` for the files' ``add`` actions, or :meth:`discard` them all.

    ``schema`` is the rows' schema (the partition columns included). Each partition's rows are
    written in row groups of about ``row_group`` rows (at least that many, but for a file's
    last), to files of about ``file_bytes``. Partition values are written as text: the
    partition columns must hold integers or text."""

    def __init__(
        self,
        root: Path,
        schema: pa.Schema,
        partitions: Iterable[str],
        *,
        row_group: int,
        file_bytes: int,
    ) -> None:
        self.root = root
        self.partitions = list(partitions)
        self.data = pa.schema([f for f in schema if f.name not in self.partitions])
        self.row_group = row_group
        self.file_bytes = file_bytes
        self.open: dict[tuple[str | None, ...], _Open] = {}
        self.done: list[AddAction] = []
        self.written: list[Path] = []
        self.rows = 0
        self.prefix = uuid.uuid4().hex

    def write(self, rows: pa.Table) -> None:
        """Add ``rows`` (of the writer's schema) to their partitions' files."""
        if not rows.num_rows:
            return
        self.rows += rows.num_rows
        for values, part in self._split(rows):
            self._add(values, part.select(self.data.names))

    def _split(self, rows: pa.Table) -> Iterable[tuple[tuple[str | None, ...], pa.Table]]:
        """``rows`` by partition: each partition's values (as Delta writes them) and rows."""
        if not self.partitions:
            yield (), rows
            return
        found = rows.select(self.partitions).group_by(self.partitions, use_threads=False)
        combos = found.aggregate([]).to_pylist()
        for combo in combos:
            values = tuple(None if combo[n] is None else str(combo[n]) for n in self.partitions)
            if len(combos) == 1:
                yield values, rows
                return
            mask = None
            for name in self.partitions:
                column, value = rows.column(name), combo[name]
                term = pc.is_null(column) if value is None else pc.equal(column, value)
                mask = term if mask is None else pc.and_(mask, term)
            yield values, rows.filter(mask)

    def _add(self, values: tuple[str | None, ...], rows: pa.Table) -> None:
        file = self.open.get(values)
        if file is None:
            file = self.open[values] = self._start(values)
        file.held.append(rows)
        file.held_rows += rows.num_rows
        if file.held_rows >= self.row_group:
            file.flush()
            if file.size() >= self.file_bytes:
                self._close(values)

    def _start(self, values: tuple[str | None, ...]) -> _Open:
        folders = "/".join(
            f"{name}={_HIVE_NULL if value is None else quote(value, safe='')}"
            for name, value in zip(self.partitions, values, strict=True)
        )
        name = f"part-{len(self.written):05d}-{self.prefix}-c000.snappy.parquet"
        relative = f"{folders}/{name}" if folders else name
        file = _Open(self.root, relative, self.data)
        self.written.append(file.path)
        return file

    def _close(self, values: tuple[str | None, ...]) -> None:
        file = self.open.pop(values)
        size = file.close()
        self.done.append(
            AddAction(
                path=file.relative,
                size=size,
                partition_values=dict(zip(self.partitions, values, strict=True)),
                modification_time=int(time.time() * 1000),
                data_change=True,
                stats=file.stats.json(),
            )
        )

    def finish(self) -> list[AddAction]:
        """Close every file; their ``add`` actions (none when no row was written)."""
        for values in list(self.open):
            self._close(values)
        return self.done

    def discard(self) -> None:
        """Close and remove every file written (nothing of them is committed)."""
        for file in self.open.values():
            try:
                file.writer.close()
                file.sink.close()
            except (OSError, pa.ArrowException):
                pass
        self.open.clear()
        for path in self.written:
            path.unlink(missing_ok=True)
