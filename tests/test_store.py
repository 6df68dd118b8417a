"""The local store against the sandbox: a sync gives the fetch's frames, later syncs keep every
table equal to a fresh full fetch, a second sync waits or refuses, the key is never stored."""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from deltalake import DeltaTable
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cregis_notebook as cn
from cregis_notebook.errors import CregisStoreBusy, CregisStoreError
from cregis_notebook.sandbox import FakeClock, Sandbox
from cregis_notebook.store.lock import SyncLock
from cregis_notebook.store.recording import ObservedClient
from cregis_notebook.store.stream import SeenKeys
from cregis_notebook.store.windows import settled_windows

TRADE_ORDER = {"by": ["block_time", "cid"], "ascending": [False, False]}


def fresh_trades(client: cn.Client) -> pd.DataFrame:
    df = cn.fetch_frame(client, "trade_page", progress=False)
    return df.sort_values(**TRADE_ORDER, kind="stable", ignore_index=True)


def by(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return df.sort_values(keys, kind="stable", ignore_index=True)


def assert_matches_fetch(store: cn.Store, box: Sandbox, client: cn.Client) -> None:
    """Every table of the store equals what a full fetch returns now."""
    pd.testing.assert_frame_equal(store.frame("trades"), fresh_trades(client))
    coins = cn.fetch_frame(client, "project_coins", progress=False)
    mine = store.frame("coins", pid=box.pid).drop(columns="pid")
    pd.testing.assert_frame_equal(by(mine, ["usage", "chain_id", "token_id"]),
                                  by(coins, ["usage", "chain_id", "token_id"]))  # fmt: skip
    balances = store.frame("balances", pid=box.pid)
    latest = balances[balances["as_of"] == balances["as_of"].max()].drop(columns="as_of")
    pairs = coins[["chain_id", "token_id"]].drop_duplicates().itertuples(index=False)
    fetched = [
        cn.fetch_frame(client, "sub_address_balance", currency=f"{c}@{t}", progress=False)
        for c, t in pairs
    ]
    expected = pd.concat([f for f in fetched if len(f)], ignore_index=True)
    keys = ["currency", "address"]
    pd.testing.assert_frame_equal(by(latest, keys), by(expected, keys))


@pytest.fixture
def live() -> tuple[Sandbox, cn.Client, FakeClock]:
    clock = FakeClock()
    box = Sandbox(seed=5, transactions=600, clock=clock, live_rate=0.2, deposit_rate=0.01)
    return box, box.client(clock=clock), clock


def test_first_sync_gives_the_fetch_frames(tmp_path: Path, live) -> None:
    box, client, _ = live
    store = cn.Store(tmp_path / "data")
    summary = store.sync(client)
    assert summary.added["trades"] == 600 and summary.updated["trades"] == 0
    assert store.tables == ["trades", "balances", "coins"]
    assert_matches_fetch(store, box, client)
    assert "trades" in repr(summary) and "<table" in summary._repr_html_()
    status = store.status()
    assert status.set_index("table").loc["trades", "rows"] == 600


def test_the_key_is_in_no_file_of_the_store(tmp_path: Path, live) -> None:
    box, client, clock = live
    store = cn.Store(tmp_path / "data")
    store.sync(client)
    clock.advance(600)
    store.sync(client)
    store.compact()
    key = box.api_key.encode()
    files = [p for p in (tmp_path / "data").rglob("*") if p.is_file()]
    assert files
    assert not [p for p in files if key in p.read_bytes()]


def test_a_later_sync_fetches_only_the_new_rows(tmp_path: Path, live) -> None:
    box, client, clock = live
    store = cn.Store(tmp_path / "data")
    full = store.sync(client)
    clock.advance(1800)  # live mode adds rows
    later = store.sync(client, lookback=dt.timedelta(minutes=10))
    assert later.added["trades"] > 0
    trades_requests = later.requests - full.requests  # coins and balances: the same calls
    assert trades_requests < 0 or later.requests <= full.requests
    assert_matches_fetch(store, box, client)


def test_status_changes_replace_rows_old_and_new(tmp_path: Path) -> None:
    """Pending rows settle on the sandbox's own schedule (within 6 hours of their block time);
    the stuck ones stay pending. Those before the lookback are asked for in windows."""
    clock = FakeClock()
    box = Sandbox(seed=9, transactions=1_500, clock=clock, stuck_pending=4)
    client = box.client(clock=clock)
    store = cn.Store(tmp_path / "data")
    first = store.sync(client)
    rows = first.added["trades"]
    pending = store.frame("trades", status=0)
    newest = store.frame("trades")["block_time"].max()
    lookback = dt.timedelta(minutes=5)
    old = pending[pending["block_time"] < newest - lookback]
    assert len(old) >= 4 + 3  # the stuck rows and some that settle later
    clock.advance(7 * 3600)  # every row that settles has settled
    summary = store.sync(client, lookback=lookback)
    fetched = fresh_trades(client)
    still = set(fetched.loc[fetched["status"] == 0, "cid"])
    settled = len(pending) - len(still)
    assert len(still) >= 4 and still <= set(pending["cid"])  # the stuck rows
    assert summary.updated["trades"] == settled > 3
    assert summary.added["trades"] == len(fetched) - rows  # rows the clock made visible
    assert_matches_fetch(store, box, client)
    coins = store.frame("coins")[["chain_id", "token_id"]].drop_duplicates()
    trade_requests = summary.requests - 1 - len(coins)  # the coin list and one call a currency
    assert trade_requests < settled  # windows, not one request per row
    again = store.sync(client, lookback=lookback)  # only the stuck rows are asked for again
    assert again.updated["trades"] == again.added["trades"] == 0
    # the rows from the watermark on, the lookback's count, the rows still pending
    assert again.requests - 1 - len(coins) == 3


def test_a_row_the_store_lacks_in_the_lookback_is_fetched(tmp_path: Path, live) -> None:
    """A row that arrives late (here: one the store lost) makes the lookback's count differ
    from the store's, and the lookback is fetched again; otherwise it is not."""
    box, client, _ = live
    store = cn.Store(tmp_path / "data")
    store.sync(client)
    quiet = store.sync(client, lookback=dt.timedelta(hours=6))
    assert quiet.added["trades"] == quiet.updated["trades"] == 0
    trades = store.frame("trades")
    lost = int(trades["cid"].iloc[5])  # within the lookback of the newest row
    assert trades["block_time"].iloc[5] > trades["block_time"].max() - pd.Timedelta(hours=6)
    DeltaTable(str(tmp_path / "data" / "trades")).delete(f"cid = {lost}")
    assert lost not in set(store.frame("trades")["cid"])
    again = store.sync(client, lookback=dt.timedelta(hours=6))
    assert again.added["trades"] == 1  # older than the watermark: the lookback was fetched
    assert_matches_fetch(store, box, client)


@given(st.lists(st.lists(st.integers(-(2**63), 2**63 - 1), max_size=40), max_size=30))
def test_seen_keys_answer_as_a_set_does(runs: list[list[int]]) -> None:
    seen, reference = SeenKeys(), set()
    for run in runs:
        keys = np.array(run, dtype=np.int64)
        expected = np.array([k not in reference for k in run], dtype=bool)
        assert (seen.fresh(keys) == expected).all()
        new = np.unique(keys[expected])
        seen.add(new)
        reference.update(new.tolist())
        assert len(seen) == len(reference)


def test_settled_rows_are_asked_for_in_windows_of_a_page() -> None:
    stored = np.array([50, 60, 70, 100, 110, 120, 130, 4000, 4050])
    windows = [(50, 50), (100, 100), (4000, 4050)]
    assert settled_windows([100, 50, 4000, 4050], stored, 3) == windows  # 4 rows in 50..100
    assert settled_windows([100, 50], stored, 4) == [(50, 100)]
    assert settled_windows([], stored, 5) == []


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 10_000),
    steps=st.lists(st.integers(0, 4 * 3600), min_size=1, max_size=4),
    lookback=st.sampled_from([60, 900, 6 * 3600]),
    stuck=st.sampled_from([0, 3]),
)
def test_any_schedule_of_syncs_keeps_every_table_equal_to_a_fetch(
    tmp_path_factory: pytest.TempPathFactory, seed: int, steps, lookback: int, stuck: int
) -> None:
    """Live mode adds rows (some pending), pending rows settle on the sandbox's schedule as the
    clock moves, ``stuck`` old rows stay pending: after each sync the store equals a fetch."""
    clock = FakeClock()
    box = Sandbox(
        seed=seed, transactions=400, clock=clock, live_rate=0.05, deposit_rate=0.005,
        history_days=30, stuck_pending=stuck,
    )  # fmt: skip
    client = box.client(clock=clock)
    store = cn.Store(tmp_path_factory.mktemp("store"))
    store.sync(client)
    for advance in steps:
        clock.advance(advance)
        store.sync(client, lookback=dt.timedelta(seconds=lookback))
        assert_matches_fetch(store, box, client)
    box.close()


def test_several_projects_in_one_store(tmp_path: Path) -> None:
    box = Sandbox(seed=3, transactions=300, projects=1)
    other = next(p for p in box.projects if p != box.pid)
    key = box.projects[other].api_key
    first, second = box.client(), cn.Client(box.base_url, other, key, transport=box.transport())
    store = cn.Store(tmp_path / "data")
    store.sync(first)
    store.sync(second)
    trades = store.frame("trades")
    assert set(trades["pid"]) == {box.pid, other}
    mine = store.frame("trades", pid=other)
    pd.testing.assert_frame_equal(mine, fresh_trades(second))
    assert set(store.status()["pid"]) == {box.pid, other}


def test_sql_sums_are_exact(tmp_path: Path, live) -> None:
    _, client, _ = live
    store = cn.Store(tmp_path / "data")
    store.sync(client)
    got = store.sql(
        "select currency, month, sum(amount) as total, count(*) as n "
        "from trades group by currency, month order by currency, month"
    )
    df = store.frame("trades")
    df["month"] = df["block_time"].dt.strftime("%Y-%m")
    want = df.groupby(["currency", "month"], observed=True)["amount"].apply(
        lambda s: sum(s, Decimal(0))
    )
    assert len(got) == len(want)
    for row in got.itertuples():
        assert isinstance(row.total, Decimal)
        assert row.total == want[(row.currency, row.month)]
    assert str(got["n"].dtype) == "Int64"


def test_frame_refuses_an_unknown_table_or_column(tmp_path: Path, live) -> None:
    _, client, _ = live
    store = cn.Store(tmp_path / "data")
    with pytest.raises(CregisStoreError, match="no table"):
        store.frame("nope")
    store.sync(client)
    with pytest.raises(CregisStoreError, match="no column"):
        store.frame("trades", colour="red")


def test_a_second_sync_refuses_while_one_holds_the_store(tmp_path: Path, live) -> None:
    _, client, _ = live
    store = cn.Store(tmp_path / "data")
    with SyncLock(store.layout.lock, 0), pytest.raises(CregisStoreBusy, match="another sync"):
        store.sync(client, lock_timeout=0)
    store.sync(client)  # released: it goes through


def test_a_second_sync_waits_for_the_first(tmp_path: Path) -> None:
    store = cn.Store(tmp_path / "data")
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with SyncLock(store.layout.lock, 0):
            holding.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    holding.wait(30)
    slept: list[float] = []

    def sleep(seconds: float) -> None:  # the waiting sync's poll lets the holder go
        slept.append(seconds)
        release.set()
        holder.join(30)

    with SyncLock(store.layout.lock, 30, sleep=sleep):
        pass
    assert slept


def test_compact_and_vacuum_keep_the_rows(tmp_path: Path, live) -> None:
    _, client, clock = live
    store = cn.Store(tmp_path / "data")
    for _ in range(3):
        store.sync(client)
        clock.advance(900)
    before = store.frame("trades")
    store.compact()
    store.vacuum(retention_hours=0)
    pd.testing.assert_frame_equal(store.frame("trades"), before)


def test_vacuum_removes_the_files_a_killed_sync_left(tmp_path: Path) -> None:
    client = cn.Client.sandbox(seed=2, transactions=500)
    store = cn.Store(tmp_path / "data")
    store.sync(client)
    before = store.frame("trades")
    committed = next((tmp_path / "data" / "trades").rglob("*.parquet"))
    fresh = committed.parent / "part-00000-left-by-a-killed-sync.parquet"
    old = committed.parent / "part-00001-left-by-a-killed-sync.parquet"
    for orphan in (fresh, old):
        orphan.write_bytes(committed.read_bytes())
    week_ago = time.time() - 8 * 24 * 3600
    os.utime(old, (week_ago, week_ago))
    removed = store.vacuum()  # a week of retention: only the old one goes
    assert [Path(r).name for r in removed] == [old.name]
    assert fresh.exists() and not old.exists() and committed.exists()
    assert store.vacuum(retention_hours=0) == [str(fresh.relative_to(tmp_path / "data" / "trades"))]
    pd.testing.assert_frame_equal(store.frame("trades"), before)


def test_cn_sync_and_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from cregis_notebook.cli import main

    assert main(["sync", str(tmp_path / "cli"), "--sandbox", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "trades" in out and "requests" in out
    assert cn.Store(tmp_path / "cli").tables == ["trades", "balances", "coins"]
    summary = cn.sync(cn.Client.sandbox(), tmp_path / "cli")
    assert summary.added["trades"] == 0


def test_a_full_sync_is_one_commit_and_a_failed_one_commits_nothing(tmp_path: Path) -> None:
    clock = FakeClock()
    faulty = Sandbox(seed=8, transactions=3_000, clock=clock, failure_rate=0.3)
    store = cn.Store(tmp_path / "data")
    with pytest.raises(cn.CregisFetchError):
        store.sync(faulty.client(clock=clock, retry=False))
    assert "trades" not in store.tables  # files written while pages arrived, never committed
    clean = Sandbox(seed=8, transactions=3_000, clock=clock)
    client = clean.client(clock=clock)
    summary = store.sync(client)
    assert summary.added["trades"] == len(fresh_trades(client))
    assert store.status().set_index("table").loc["trades", "version"] == 0  # one commit
    assert_matches_fetch(store, clean, client)
    store.vacuum(retention_hours=0)  # the abandoned files go
    pd.testing.assert_frame_equal(store.frame("trades"), fresh_trades(client))


PAYEE = "TXLAQ63Xg1NAzckPwKHvzw7CSEmLMEqcdj"


def test_tracked_payouts_and_withdrawals_reach_their_final_state(tmp_path: Path) -> None:
    clock = FakeClock()
    box = Sandbox(clock=clock, transactions=300, settle_seconds=30)
    client = box.client(clock=clock)
    store = cn.Store(tmp_path / "data")
    with cn.CallbackReceiver(api_key=box.api_key, sink=store) as inbox:
        address = client.address_create(chain_id="195", callback_url=inbox.url_for("deposit"))
        box.simulate_deposit(address["address"], "195@195", "40")
        payout = client.payout(
            currency="195@195", to_address=PAYEE, amount=Decimal("1.5"),
            third_party_id="store-payout", callback_url=inbox.url_for("payout"),
        )  # fmt: skip
        quiet = client.payout(  # no callback: tracked by the user
            currency="195@195", to_address=PAYEE, amount=Decimal("2"),
            third_party_id="store-quiet",
        )  # fmt: skip
        withdrawal = client.withdrawal(
            currency="195@195", from_address=address["address"], to_address=PAYEE,
            amount=Decimal("10"), third_party_id="store-withdrawal",
        )  # fmt: skip
        csv = tmp_path / "requests.csv"
        csv.write_text(f"third_party_id,cid\nstore-quiet,{quiet['cid']}\n")
        assert store.track("payouts", csv) == 1
        assert store.track("withdrawals", [withdrawal["cid"]]) == 1
        first = store.sync(client)  # in flight; the first payout is not tracked yet
        assert first.added["payouts"] == 1 and first.added["withdrawals"] == 1
        assert store.frame("payouts")["status"].iloc[0] not in (2, 4, 6, 7)
        clock.advance(3600)
        box.deliver_callbacks()
        assert inbox.wait(2, timeout=10) and not inbox.sink_errors()
    callbacks = store.frame("callbacks")
    assert set(callbacks["kind"]) >= {"payout", "address_deposit"}
    assert callbacks["verified"].all()
    later = store.sync(client)  # the first payout, tracked by its callback
    assert later.added["payouts"] == 1 and later.updated["payouts"] == 1
    assert later.updated["withdrawals"] == 1
    payouts = store.frame("payouts")
    assert set(payouts["cid"]) == {payout["cid"], quiet["cid"]}
    for row in payouts.itertuples():
        fresh = cn.fetch_frame(client, "payout_query", cid=row.cid, progress=False)
        assert row.status == fresh["status"].iloc[0] and row.status in (2, 4, 6, 7)
    asked: Counter[str] = Counter()
    store.sync(ObservedClient(client, lambda env: asked.update([env.endpoint])))
    assert asked["payout_query"] == asked["sub_address_withdrawal_query"] == 0  # all final
    assert asked["trade_page"] > 0
    assert box.api_key.encode() not in b"".join(
        p.read_bytes() for p in (tmp_path / "data").rglob("*") if p.is_file()
    )
