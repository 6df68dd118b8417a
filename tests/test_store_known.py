"""What an incremental sync asks of the stored trades (``Known``): each answer equals the one
worked out from the whole stored frame, and each read opens only the files that may hold it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from deltalake import write_deltalake

import cregis_notebook as cn
from cregis_notebook.sandbox import Sandbox
from cregis_notebook.store.known import PENDING, Known


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Known, pd.DataFrame, Path]:
    """A store synced from a sandbox of four months, its rows still pending only recent ones,
    and its trades as the frame a fresh process reads."""
    box = Sandbox(seed=7, transactions=3_000, history_days=120)
    path = tmp_path_factory.mktemp("known") / "data"
    store = cn.Store(path)
    store.sync(box.client())
    frame = store.frame("trades")
    assert (frame["status"] == PENDING).sum() > 0  # there is something to find
    return Known(path / "trades", box.pid), frame, path


def seconds_of(frame: pd.DataFrame) -> pd.Series:
    return frame["block_time"].astype("int64") // 1000  # ms since the epoch -> s


def test_pending_rows_are_those_of_the_frame(stored: tuple[Known, pd.DataFrame, Path]) -> None:
    known, frame, _ = stored
    second = seconds_of(frame)
    for before in [int(second.max()) + 1, int(second.quantile(0.99)), int(second.min())]:
        wanted = frame.loc[(frame["status"] == PENDING) & (second < before)]
        got = known.pending(before)
        assert list(got.columns) == ["cid", "second"]
        assert sorted(zip(got["cid"], got["second"], strict=True)) == sorted(
            zip(wanted["cid"].astype(int), seconds_of(wanted), strict=True)
        )


def test_counts_and_seconds_between_times_are_those_of_the_frame(
    stored: tuple[Known, pd.DataFrame, Path],
) -> None:
    known, frame, _ = stored
    second = seconds_of(frame).to_numpy()
    picks = np.random.default_rng(3).choice(second, size=(20, 2))
    spans = [(int(a), int(b)) for a, b in np.sort(picks, axis=1)]
    spans += [
        (int(second.min()), int(second.max())),
        (int(second.max()) + 1, int(second.max()) + 9),
    ]
    for start, end in spans:
        inside = np.sort(second[(second >= start) & (second <= end)])
        assert known.between(start, end) == len(inside)
        assert known.seconds(start, end).tolist() == inside.tolist()


def test_where_gives_the_stored_copies_month_and_time(
    stored: tuple[Known, pd.DataFrame, Path],
) -> None:
    known, frame, _ = stored
    some = frame.sample(50, random_state=1)
    keys = pd.concat([some["cid"], pd.Series([1, 2, None], dtype="Int64")], ignore_index=True)
    got = known.where(keys).to_pandas()
    assert len(got) == len(some)  # the unknown and missing keys find nothing
    assert (got["pid"] == known.pid).all()
    times = some["block_time"].sort_values().reset_index(drop=True)
    found = got["block_time"].dt.as_unit("ms").sort_values().reset_index(drop=True)
    assert found.equals(times)
    months = sorted(times.dt.strftime("%Y-%m"))
    assert sorted(got["month"]) == months


def test_each_read_opens_only_the_files_that_may_hold_its_rows(
    stored: tuple[Known, pd.DataFrame, Path],
) -> None:
    """The files' statistics keep a read from opening the others: without them every file of
    the project would be read, as the sync did before."""
    known, frame, _ = stored
    files = list(known.source.get_fragments(filter=known.mine))
    assert len(files) >= 4  # a file per month at least

    def opened(expr: pc.Expression) -> int:
        return len(list(known.source.get_fragments(filter=known.mine & expr)))

    second = seconds_of(frame)
    months_pending = frame.loc[frame["status"] == PENDING, "block_time"].dt.strftime("%Y-%m")
    assert opened(pc.field("status") == PENDING) <= months_pending.nunique() < len(files)
    newest = int(second.max())
    assert opened(known.inside(newest - 3600, newest)) == 1
    assert opened(pc.field("cid").isin([int(frame["cid"].max()) + 1])) == 0


def test_a_lookup_of_many_keys_opens_only_the_files_of_their_ranges(
    stored: tuple[Known, pd.DataFrame, Path],
) -> None:
    """Arrow prunes no file by a long list of keys: the lookup keeps the files whose least and
    greatest ``cid`` allow one of them."""
    known, frame, _ = stored
    month = frame["block_time"].dt.strftime("%Y-%m")
    months = sorted(month.unique())
    newest = frame.loc[month == months[-2], "cid"]  # the last whole month
    oldest = frame.loc[month == months[0], "cid"]
    files = len(list(known.source.get_fragments(filter=known.mine)))

    def opened(keys: pd.Series) -> int:
        return len(list(known.holding(keys).get_fragments()))

    assert len(newest) > 100  # a list too long for Arrow to prune by
    bare = known.mine & pc.field("cid").isin(newest.astype(int).tolist())
    assert len(list(known.source.get_fragments(filter=bare))) == files
    assert opened(newest) == 1
    assert opened(pd.concat([oldest, newest])) == 2
    assert opened(pd.Series([None], dtype="Int64")) == 0
    assert opened(pd.Series([int(frame["cid"].max()) + 1])) == 0
    assert len(known.where(pd.Series([None], dtype="Int64"))) == 0
    assert len(known.where(pd.concat([oldest, newest]))) == len(oldest) + len(newest)


def test_files_without_statistics_are_all_read(tmp_path: Path) -> None:
    """A table written without statistics (by another writer, say) is read whole: every
    answer is still exact."""
    times = pa.array([10, 20, 30, 40, 50], pa.timestamp("s", "UTC")).cast(pa.timestamp("us", "UTC"))
    rows = pa.table({
        "pid": [1, 1, 1, 1, 2], "cid": [5, 7, 9, 11, 5], "block_time": times,
        "status": [0, 1, 0, 1, 0], "month": ["1970-01"] * 5,
    })  # fmt: skip
    config = {"delta.dataSkippingNumIndexedCols": "0"}
    write_deltalake(tmp_path, rows, partition_by=["pid", "month"], configuration=config)
    known = Known(tmp_path, 1)
    assert len(list(known.holding(pd.Series([100])).get_fragments())) == 1  # not pruned
    assert known.where(pd.Series([9, 100])).column("block_time").to_pylist() == [times[2].as_py()]
    assert known.pending(50).to_dict("list") == {"cid": [5, 9], "second": [10, 30]}
    assert known.between(20, 40) == 3
    assert known.seconds(0, 35).tolist() == [10, 20, 30]
