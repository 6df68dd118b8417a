"""A streamed write's own Parquet files, committed once through ``deltalake``'s transaction
API: the table reads back every row, its files' statistics are those ``deltalake`` would
write, a failed stream leaves no file and no commit, and the rows held stay under a row group
per open partition."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from deltalake import DeltaTable, write_deltalake

from cregis_notebook.store import delta
from cregis_notebook.store.parts import PartFiles
from cregis_notebook.store.schema import TABLES

SPEC = TABLES["trades"]
START = dt.datetime(2026, 3, 30, 23, 0, tzinfo=dt.timezone.utc)
TIME = pa.timestamp("us", tz="UTC")


def rows(n: int, *, first: int = 0, pid: int = 77, hours: int = 7) -> pa.Table:
    """``n`` trade-like rows over a few months, some values missing."""
    times = [START + dt.timedelta(hours=hours * i, milliseconds=i) for i in range(first, first + n)]
    return pa.table(
        {
            "pid": pa.array([pid] * n, pa.int64()),
            "cid": pa.array(range(10**15 + first, 10**15 + first + n), pa.int64()),
            "amount": pa.array(
                [Decimal(f"{i}.000000000000000001") for i in range(n)], pa.decimal128(38, 18)
            ),
            "status": pa.array([None if i % 5 == 0 else i % 3 for i in range(n)], pa.int64()),
            "memo": pa.array([None if i % 4 == 0 else f"m{i}" for i in range(n)], pa.string()),
            "block_time": pa.array(times, pa.timestamp("us", tz="UTC")),
            "month": pa.array([t.strftime("%Y-%m") for t in times], pa.string()),
        }
    )


def reader(table: pa.Table, size: int) -> pa.RecordBatchReader:
    return pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=size))


def per_partition(table: DeltaTable) -> dict[str, dict[str, object]]:
    """Each month's statistics over its files: rows, nulls, least and greatest values."""
    actions = pa.table(table.get_add_actions(flatten=True))
    out: dict[str, dict[str, object]] = {}
    for month in sorted(set(actions.column("partition.month").to_pylist())):
        part = actions.filter(pc.equal(actions.column("partition.month"), month))
        stats: dict[str, object] = {"rows": pc.sum(part.column("num_records")).as_py()}
        for c in ("cid", "status", "memo", "amount", "block_time"):
            stats[f"nulls.{c}"] = pc.sum(part.column(f"null_count.{c}")).as_py()
        for c in ("cid", "status", "block_time"):
            stats[f"min.{c}"] = pc.min(part.column(f"min.{c}")).as_py()
            stats[f"max.{c}"] = pc.max(part.column(f"max.{c}")).as_py()
        out[month] = stats
    return out


def sorted_rows(table: pa.Table) -> pa.Table:
    return table.select(rows(1).column_names).sort_by("cid")


def test_the_rows_read_back_and_the_statistics_are_the_librarys(tmp_path: Path) -> None:
    data = rows(3_000)
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    added = delta.append_files(ours, reader(data, 250), SPEC, {"pid": 77})
    write_deltalake(str(theirs), data, partition_by=SPEC.partitions)
    assert added == 3_000
    table = DeltaTable(str(ours))
    assert table.version() == 0  # one commit
    assert table.metadata().partition_columns == SPEC.partitions
    assert sorted_rows(table.to_pyarrow_table()).equals(sorted_rows(data))
    assert per_partition(table) == per_partition(DeltaTable(str(theirs)))
    assert delta.last_commit(ours)["sync"] == {"pid": 77}


def test_files_and_row_groups_are_cut_at_their_sizes(tmp_path: Path) -> None:
    data = rows(4_000, hours=1)
    files = PartFiles(tmp_path, data.schema, SPEC.partitions, row_group=100, file_bytes=4_000)
    most = 0
    for batch in data.to_batches(max_chunksize=37):
        files.write(pa.Table.from_batches([batch]))
        most = max(most, *(f.held_rows for f in files.open.values()))
    actions = files.finish()
    assert most < 100  # at most a row group held per open partition
    months = set(data.column("month").to_pylist())
    assert len(actions) > 2 * len(months)  # several files a month
    for action in actions:
        path = tmp_path / action.path
        assert path.stat().st_size == action.size
        assert f"month={action.partition_values['month']}" in action.path
        meta = pa.parquet.read_metadata(path)
        assert all(meta.row_group(i).num_rows <= 136 for i in range(meta.num_row_groups))
        assert "month" not in meta.schema.names and "pid" not in meta.schema.names
    assert sum(int(a.stats.split('"numRecords":')[1].split(",")[0]) for a in actions) == 4_000


def test_a_failed_stream_leaves_no_file_and_no_commit(tmp_path: Path) -> None:
    path = tmp_path / "trades"
    delta.append_files(path, reader(rows(500), 100), SPEC, {"pid": 77})
    before = sorted(p.name for p in path.rglob("*.parquet"))

    def broken() -> Iterator[pa.RecordBatch]:
        yield from rows(400, first=500).to_batches(max_chunksize=100)
        raise RuntimeError("the fetch stopped")

    data = rows(1)
    with pytest.raises(RuntimeError, match="the fetch stopped"):
        delta.append_files(
            path, pa.RecordBatchReader.from_batches(data.schema, broken()), SPEC, {"pid": 77}
        )
    assert sorted(p.name for p in path.rglob("*.parquet")) == before
    assert DeltaTable(str(path)).version() == 0
    assert DeltaTable(str(path)).to_pyarrow_table().num_rows == 500


def test_a_second_project_is_appended_to_the_same_table(tmp_path: Path) -> None:
    path = tmp_path / "trades"
    delta.append_files(path, reader(rows(300), 64), SPEC, {"pid": 77})
    delta.append_files(path, reader(rows(200, first=300, pid=78), 64), SPEC, {"pid": 78})
    table = DeltaTable(str(path))
    assert table.version() == 1
    read = table.to_pyarrow_table()
    assert read.num_rows == 500
    assert sorted(set(read.column("pid").to_pylist())) == [77, 78]
    assert sorted(DeltaTable(str(path)).to_pyarrow_dataset().to_table(
        filter=pc.field("pid") == 78).column("cid").to_pylist()) == list(
        range(10**15 + 300, 10**15 + 500))  # fmt: skip


def test_a_missing_partition_value_is_the_hive_default(tmp_path: Path) -> None:
    data = rows(10)
    month = data.column("month").to_pylist()
    month[3] = None
    data = data.set_column(data.schema.get_field_index("month"), "month", pa.array(month))
    path = tmp_path / "trades"
    delta.append_files(path, reader(data, 4), SPEC, {})
    assert list(path.glob("pid=77/month=__HIVE_DEFAULT_PARTITION__/*.parquet"))
    read = DeltaTable(str(path)).to_pyarrow_table()
    missing = read.filter(pc.is_null(read.column("month")))
    assert missing.column("cid").to_pylist() == [10**15 + 3]


def test_an_empty_stream_commits_nothing(tmp_path: Path) -> None:
    path = tmp_path / "trades"
    assert delta.append_files(path, reader(rows(0), 10), SPEC, {}) == 0
    assert not delta.exists(path)


def test_readers_skip_by_the_statistics_and_get_every_row(tmp_path: Path) -> None:
    data = rows(2_000)
    path = tmp_path / "trades"
    delta.append_files(path, reader(data, 128), SPEC, {})
    cut = data.column("block_time")[1_234].as_py()
    pairs = zip(data.column("cid").to_pylist(), data.column("block_time").to_pylist(), strict=True)
    expected = sorted(c for c, t in pairs if t >= cut)
    dataset = DeltaTable(str(path)).to_pyarrow_dataset()
    got = dataset.to_table(filter=pc.field("block_time") >= pa.scalar(cut, TIME))
    assert sorted(got.column("cid").to_pylist()) == expected
    frame = pl.read_delta(str(path)).filter(pl.col("block_time") >= cut)
    assert sorted(frame["cid"].to_list()) == expected
    con = duckdb.connect()
    con.register("trades", dataset)
    counted = con.execute("select count(*) from trades where block_time >= ?", [cut]).fetchone()
    assert counted == (len(expected),)


def test_times_are_rounded_outwards_to_the_millisecond(tmp_path: Path) -> None:
    data = rows(3)
    times = [START + dt.timedelta(microseconds=us) for us in (1_500, 2_000, 3_001)]
    data = data.set_column(data.schema.get_field_index("block_time"), "block_time",
                           pa.array(times, pa.timestamp("us", tz="UTC")))  # fmt: skip
    data = data.set_column(data.schema.get_field_index("month"), "month", pa.array(["2026-03"] * 3))
    path = tmp_path / "trades"
    delta.append_files(path, reader(data, 3), SPEC, {})
    (stats,) = [a for a in per_partition(DeltaTable(str(path))).values()]
    assert stats["min.block_time"] == START + dt.timedelta(milliseconds=1)
    assert stats["max.block_time"] == START + dt.timedelta(milliseconds=4)
    dataset = DeltaTable(str(path)).to_pyarrow_dataset()
    late = dataset.to_table(filter=pc.field("block_time") >= pa.scalar(times[2], TIME))
    assert late.column("block_time").to_pylist() == [times[2]]


def test_filters_on_partitions_open_only_their_files_and_keep_the_rows(tmp_path: Path) -> None:
    path = tmp_path / "trades"
    delta.append_files(path, reader(rows(300), 64), SPEC, {"pid": 77})
    delta.append_files(path, reader(rows(200, first=300, pid=78), 64), SPEC, {"pid": 78})
    everything = delta.dataset(path)
    mine = delta.dataset(path, {"pid": 78, "month": ["2026-06", "2026-07"], "status": 1})
    assert 0 < len(list(mine.get_fragments())) < len(list(everything.get_fragments()))
    for filters in (
        {"pid": 78},
        {"pid": 78, "month": ["2026-06", "2026-07"]},
        {"pid": [77, 78], "month": "2026-05", "status": 1},
        {"month": None},  # not pruned by: no partition's text
    ):
        pruned = delta.read(path, filters, columns=["cid"]).column("cid").to_pylist()
        whole = everything.to_table(columns=["cid"], filter=delta.where(filters))
        assert sorted(pruned) == sorted(whole.column("cid").to_pylist()), filters
