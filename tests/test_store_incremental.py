"""An incremental sync's parts: settled rows asked for in windows of one request each, one
budget of requests in flight for the whole sync, balance snapshots when due, options refused
before anything is sent, unchanged coins not written again, a moved row replaced in place."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from deltalake import DeltaTable
from hypothesis import given, settings
from hypothesis import strategies as st
from inflight import InFlight

import cregis_notebook as cn
from cregis_notebook.envelope import Envelope
from cregis_notebook.errors import CregisTransportError, CregisValidationError
from cregis_notebook.sandbox import FakeClock, Sandbox, SandboxServer
from cregis_notebook.store import delta
from cregis_notebook.store.known import Known
from cregis_notebook.store.recording import ObservedClient
from cregis_notebook.store.schema import TABLES, merge_kinds, to_delta
from cregis_notebook.store.windows import fetch_windows, settled_windows

NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def reference_windows(seconds: list[int], stored: np.ndarray, rows: int) -> list[tuple[int, int]]:
    """The windows, one time at a time, as the rule says (a time repeated: one window)."""
    windows: list[tuple[int, int]] = []
    for t in sorted(set(seconds)):
        if windows:
            start = windows[-1][0]
            inside = int(np.sum((stored >= start) & (stored <= t)))
            if inside <= rows:
                windows[-1] = (start, t)
                continue
        windows.append((t, t))
    return windows


@settings(max_examples=200, deadline=None)
@given(
    stored=st.lists(st.integers(0, 500), max_size=120),
    picks=st.lists(st.integers(0, 119), max_size=40),
    rows=st.integers(1, 30),
)
def test_windows_follow_the_rule_and_cover_every_time(
    stored: list[int], picks: list[int], rows: int
) -> None:
    times = np.sort(np.array(stored, dtype=np.int64))
    seconds = [int(times[i]) for i in picks if i < len(times)]  # settled rows are stored rows
    windows = settled_windows(seconds, times, rows)
    assert windows == reference_windows(seconds, times, rows)
    for t in seconds:
        assert any(a <= t <= b for a, b in windows)
    for a, b in windows:  # a page each, unless one second alone holds more
        inside = int(np.sum((times >= a) & (times <= b)))
        assert inside <= rows or a == b


class Counting:
    """A client's ``request``, counted; ``fail`` raises a transport error once for a window."""

    def __init__(self, client: Any, fail: tuple[int, int] | None = None) -> None:
        self.client = client
        self.sent: list[dict[str, Any]] = []
        self.fail = fail

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def request(self, endpoint: str, /, **params: Any) -> Envelope:
        self.sent.append(params)
        window = (params.get("blocktime_start"), params.get("blocktime_end"))
        if self.fail is not None and window == self.fail:
            self.fail = None
            raise CregisTransportError("connection reset (a test)")
        env: Envelope = self.client.request(endpoint, **params)
        return env


def epoch_seconds(df: pd.DataFrame) -> pd.Series:
    return (df["block_time"] - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)


def sandbox_windows(box: Sandbox, rows: int) -> tuple[pd.DataFrame, list[tuple[int, int]]]:
    """Every row of ``box`` and windows of ``rows`` rows around every 7th row's time."""
    df = cn.fetch_frame(box.client(), "trade_page", progress=False)
    seconds = np.sort(epoch_seconds(df).to_numpy())
    picked = seconds[::7].tolist()
    return df, settled_windows(picked, seconds, rows)


def fetched_with(client: Any) -> Any:
    def fetch(endpoint: str, **window: Any) -> pd.DataFrame:
        return cn.fetch_frame(client, endpoint, progress=False, concurrency=1, **window)

    return fetch


def in_windows(df: pd.DataFrame, windows: list[tuple[int, int]]) -> pd.DataFrame:
    seconds = epoch_seconds(df)
    inside = np.zeros(len(df), dtype=bool)
    for a, b in windows:
        inside |= ((seconds >= a) & (seconds <= b)).to_numpy()
    return df.loc[inside]


def by_cid(df: pd.DataFrame) -> pd.DataFrame:
    df = df.drop_duplicates(subset=["cid"]).sort_values("cid", ignore_index=True)
    df.attrs = {}
    return df


def test_each_window_is_one_request_and_gives_the_fetch_rows() -> None:
    box = Sandbox(seed=3, transactions=900)
    everything, windows = sandbox_windows(box, 99)
    client = Counting(box.client())
    got = fetch_windows(client, "trade_page", windows, 4, fetched_with(client))
    assert len(windows) > 5 and len(client.sent) == len(windows)
    pd.testing.assert_frame_equal(by_cid(got), by_cid(in_windows(everything, windows)))


def test_a_window_of_more_than_a_page_or_a_failed_request_is_fetched_whole() -> None:
    box = Sandbox(seed=3, transactions=900)
    everything, windows = sandbox_windows(box, 250)  # windows of up to 250 rows: 3 pages
    wide = [w for w in windows if len(in_windows(everything, [w])) >= 100]
    assert wide
    client = Counting(box.client(), fail=windows[0])
    got = fetch_windows(client, "trade_page", windows, 4, fetched_with(client))
    assert len(client.sent) > len(windows) + len(wide)  # each wide one: its pages again
    pd.testing.assert_frame_equal(by_cid(got), by_cid(in_windows(everything, windows)))


def test_a_sync_keeps_within_its_requests_in_flight(tmp_path: Path) -> None:
    """Trades, windows of settled rows, coins and balances run at once, yet no more than
    ``concurrency`` requests are ever in flight."""
    clock = FakeClock(NOW)
    box = Sandbox(seed=2, transactions=3000, clock=clock, latency_ms=5, live_rate=0.5,
                  deposit_rate=0.05)  # fmt: skip
    with SandboxServer(box, host="127.0.0.1", port=0, close_sandbox=True) as server:
        wire = InFlight()
        client = cn.Client(server.base_url, server.pid, server.api_key, clock=clock,
                           transport=wire)  # fmt: skip
        store = cn.Store(tmp_path / "data")
        first = store.sync(client, concurrency=3)
        clock.advance(3 * 3600)  # new rows arrive, pending ones settle
        later = store.sync(client, concurrency=3, lookback=dt.timedelta(minutes=5))
        client.close()
    assert wire.peak == 3
    assert first.requests + later.requests == wire.sent
    assert later.updated["trades"] > 0 and later.added["trades"] > 0


def endpoints_of(store: cn.Store, client: cn.Client, **options: Any) -> list[str]:
    asked: list[str] = []
    store.sync(ObservedClient(client, lambda env: asked.append(env.endpoint)), **options)
    return asked


def snapshots(store: cn.Store) -> int:
    return int(store.frame("balances")["as_of"].nunique())


def test_a_balance_snapshot_when_due(tmp_path: Path) -> None:
    clock = FakeClock(NOW)
    box = Sandbox(seed=4, transactions=300, clock=clock)
    client = box.client(clock=clock)
    store = cn.Store(tmp_path / "data")
    assert "sub_address_balance" in endpoints_of(store, client)
    assert snapshots(store) == 1
    first = store.frame("balances")["as_of"].max()
    for when in (False, dt.timedelta(days=1)):  # not due: no balance request, no snapshot
        asked = endpoints_of(store, client, balances=when)
        assert "sub_address_balance" not in asked and "trade_page" in asked
        assert snapshots(store) == 1
    summary = store.sync(client, balances=False)
    assert summary.watermarks["balances"] == first and summary.added["balances"] == 0
    for when in (True, dt.timedelta(0)):  # due: a snapshot of every currency
        assert "sub_address_balance" in endpoints_of(store, client, balances=when)
    assert snapshots(store) == 3


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"concurrency": 0}, "concurrency"),
        ({"concurrency": True}, "concurrency"),
        ({"lookback": dt.timedelta(seconds=-1)}, "lookback"),
        ({"lookback": 3600}, "lookback"),
        ({"balances": "hourly"}, "balances"),
        ({"balances": dt.timedelta(hours=-1)}, "balances"),
    ],
)
def test_bad_options_are_refused_before_anything_is_sent(
    tmp_path: Path, options: dict[str, Any], named: str
) -> None:
    box = Sandbox(seed=4, transactions=50)
    sent: list[str] = []
    client = ObservedClient(box.client(), lambda env: sent.append(env.endpoint))
    with pytest.raises(CregisValidationError, match=named):
        cn.Store(tmp_path / "data").sync(client, **options)
    assert sent == []


def test_an_unchanged_coin_list_is_not_written_again(tmp_path: Path) -> None:
    box = Sandbox(seed=4, transactions=50)
    store = cn.Store(tmp_path / "data")
    store.sync(box.client())
    path = str(tmp_path / "data" / "coins")
    version = DeltaTable(path).version()
    summary = store.sync(box.client())
    assert DeltaTable(path).version() == version
    assert (summary.added["coins"], summary.updated["coins"]) == (0, 0)


def test_same_rows_ignores_order_only() -> None:
    rows = pa.table({"a": [1, 2, 3], "b": ["x", "y", None]})
    assert delta.same_rows(rows.take([2, 0, 1]), rows)
    assert not delta.same_rows(rows.slice(0, 2), rows)
    assert not delta.same_rows(pa.table({"a": [1, 2, 4], "b": ["x", "y", None]}), rows)
    assert not delta.same_rows(rows.select(["a"]), rows)  # a column it lacks
    blank = rows.append_column("c", pa.nulls(3, pa.string()))
    assert delta.same_rows(blank, rows)  # another owner's column, empty here
    assert not delta.same_rows(rows.append_column("c", pa.array(["u", None, None])), rows)


def test_a_row_moved_to_another_month_is_replaced_not_added(tmp_path: Path) -> None:
    """The merge looks for a fetched row's stored copy where the store holds it (the months of
    ``Known.where``), not only where the row now belongs."""
    box = Sandbox(seed=4, transactions=400, history_days=90)
    store = cn.Store(tmp_path / "data")
    store.sync(box.client())
    spec = TABLES["trades"]
    path = tmp_path / "data" / "trades"
    known = Known(path, box.pid)
    stored = store.frame("trades")
    oldest = stored.loc[[stored["block_time"].idxmin()]].reset_index(drop=True)
    moved = oldest.copy()
    moved["block_time"] = moved["block_time"] + pd.Timedelta(days=60)  # a month or two later
    kinds = merge_kinds(store.layout.schema(spec.name), moved)
    delta.upsert(path, to_delta(moved, spec, kinds), spec, {}, stored=known.where(moved["cid"]))
    after = store.frame("trades")
    assert len(after) == len(stored)
    mine = after.loc[after["cid"] == moved["cid"].iloc[0]]
    assert len(mine) == 1 and mine["block_time"].iloc[0] == moved["block_time"].iloc[0]
