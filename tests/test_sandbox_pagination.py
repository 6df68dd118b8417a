"""Pagination as SPEC section 7 describes it, filters before paging, and live mode."""

from __future__ import annotations

import math
import threading
import time
from typing import Any

import numpy as np
import pytest
from conftest import call

from cregis_notebook.sandbox import FakeClock, Sandbox
from cregis_notebook.sandbox.engine.scheduler import Scheduler
from cregis_notebook.sandbox.engine.trades import TradeFilter


@pytest.fixture(scope="module")
def paged() -> Any:
    with Sandbox(seed=4, transactions=2_500, clock=FakeClock()) as box:
        yield box


def pages(box: Sandbox, size: int, **filters: Any) -> tuple[int, list[dict[str, Any]]]:
    first = call(box, "trade_page", {**filters, "page_size": size})["data"]
    total = first["total"]
    rows = list(first["rows"])
    for n in range(2, math.ceil(total / size) + 1):
        data = call(box, "trade_page", {**filters, "page_num": n, "page_size": size})["data"]
        assert data["total"] == total and data["pageNum"] == n and data["pageSize"] == size
        rows += data["rows"]
    return total, rows


def test_default_page(paged: Sandbox) -> None:
    data = call(paged, "trade_page", {})["data"]
    assert list(data) == ["total", "rows", "pageNum", "pageSize"]
    assert (data["pageNum"], data["pageSize"], len(data["rows"])) == (1, 10, 10)
    assert data["total"] == 2_500


@pytest.mark.parametrize("size", [1, 7, 100])
def test_all_pages_give_total_rows_without_duplicates(paged: Sandbox, size: int) -> None:
    if size == 1:
        total, rows = pages(paged, size, chain_id="0")  # a small slice: one row per page
    else:
        total, rows = pages(paged, size)
    assert len(rows) == total
    assert len({r["cid"] for r in rows}) == total


def test_page_past_the_end_is_empty(paged: Sandbox) -> None:
    data = call(paged, "trade_page", {"page_num": 26, "page_size": 100})["data"]
    assert data["rows"] == [] and data["total"] == 2_500 and data["pageNum"] == 26
    last = call(paged, "trade_page", {"page_num": 25, "page_size": 100})["data"]
    assert len(last["rows"]) == 100


@pytest.mark.parametrize(
    "filters",
    [
        {"status": 2},
        {"trade_type": 1},
        {"business_type": 5},
        {"chain_id": "195"},
        {"token_id": "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"},
        {"chain_id": "60", "status": 1, "trade_type": 2},
        {"blocktime_start": 1_725_000_000, "blocktime_end": 1_730_000_000},
        {"business_type": 3, "blocktime_end": 1_730_000_000},
    ],
)
def test_filters_hold_on_every_row_and_come_before_paging(
    paged: Sandbox, filters: dict[str, Any]
) -> None:
    total, rows = pages(paged, 37, **filters)
    assert 0 < total < 2_500 and len(rows) == total
    assert len({r["cid"] for r in rows}) == total
    for row in rows:
        for name, value in filters.items():
            if name == "blocktime_start":
                assert row["block_time"] >= value
            elif name == "blocktime_end":
                assert row["block_time"] <= value
            elif name in ("trade_type", "business_type"):
                assert row[name] == str(value)
            else:
                assert row[name] == value


def test_time_bounds_are_inclusive(paged: Sandbox) -> None:
    row = call(paged, "trade_page", {"page_size": 1, "page_num": 50})["data"]["rows"][0]
    t = row["block_time"]
    hits = call(paged, "trade_page", {"blocktime_start": t, "blocktime_end": t})["data"]
    assert row["cid"] in {r["cid"] for r in hits["rows"]}
    assert all(r["block_time"] == t for r in hits["rows"])


def test_cid_and_tx_id_filters_find_one_row(paged: Sandbox) -> None:
    row = call(paged, "trade_page", {"page_size": 1, "page_num": 321})["data"]["rows"][0]
    by_cid = call(paged, "trade_page", {"cid": row["cid"]})["data"]
    assert by_cid["total"] == 1 and by_cid["rows"][0] == row
    by_tx = call(paged, "trade_page", {"tx_id": row["txid"]})["data"]
    assert by_tx["total"] == 1 and by_tx["rows"][0] == row
    assert call(paged, "trade_page", {"tx_id": "0x" + "0" * 64})["data"]["total"] == 0
    assert call(paged, "trade_page", {"cid": 42})["data"]["total"] == 0
    both = call(paged, "trade_page", {"cid": row["cid"], "status": 1 - min(row["status"], 1)})
    assert both["data"]["total"] == 0


def test_newest_first(paged: Sandbox) -> None:
    _, rows = pages(paged, 100, chain_id="2510")
    keys = [r["block_time"] for r in rows]
    assert keys == sorted(keys, reverse=True)


def test_filtered_indexes_are_cached_not_rescanned(paged: Sandbox) -> None:
    table = paged.project.trades
    f = TradeFilter(status=1, currencies=(3, 4))
    first = table.select(f)
    assert table.select(f) is first  # the second page asks again: no new scan


def test_balance_pages(paged: Sandbox) -> None:
    cur = "195@TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
    everything = call(paged, "sub_address_balance", {"currency": cur, "page_size": 100})["data"]
    total = everything["total"]
    assert total > 3
    rows = []
    for n in range(1, total + 1):
        page = call(paged, "sub_address_balance", {"currency": cur, "page_size": 1, "page_num": n})
        rows += page["data"]["rows"]
    assert rows == everything["rows"]
    assert len({r["address"] for r in rows}) == total
    past = call(
        paged, "sub_address_balance", {"currency": cur, "page_num": total + 1, "page_size": 1}
    )
    assert past["data"]["rows"] == []
    low = sorted(float(r["total"]) for r in rows)[total // 2]
    kept = call(
        paged,
        "sub_address_balance",
        {"currency": cur, "minimum_balance": str(low), "page_size": 100},
    )["data"]
    assert kept["rows"] and all(float(r["total"]) >= low for r in kept["rows"])


# -- live mode ------------------------------------------------------------------------------------


def test_live_rows_arrive_after_the_pinned_window() -> None:
    clock = FakeClock()
    with Sandbox(seed=2, transactions=1_000, live_rate=50, clock=clock) as box:
        start = int(clock())
        end = start - 1  # the window a fetch pins: the last whole second before the clock
        before = call(box, "trade_page", {"page_size": 100, "blocktime_end": end})["data"]
        seen: list[int] = []
        for n in range(1, 11):
            clock.advance(0.7)  # 35 new rows between pages
            page = {"page_size": 100, "page_num": n, "blocktime_end": end}
            data = call(box, "trade_page", page)["data"]
            assert data["total"] == before["total"] == 1_000
            seen += [r["cid"] for r in data["rows"]]
        assert len(seen) == len(set(seen)) == 1_000  # nothing missed, nothing twice
        latest = call(box, "trade_page", {"page_size": 100})["data"]
        assert latest["total"] == 1_000 + 350
        new = [r for r in latest["rows"] if r["cid"] not in set(seen)]
        assert new and all(r["block_time"] >= start for r in new)
        # without a pin, new rows push the old ones to later pages (what a fetch must handle)
        assert latest["rows"][0]["block_time"] > start


def test_live_rows_never_change_an_earlier_window() -> None:
    clock = FakeClock()
    with Sandbox(seed=2, transactions=500, live_rate=20, clock=clock) as box:
        clock.advance(3.5)
        t = int(clock()) - 1  # a window that ends before the clock's second
        snapshot = call(box, "trade_page", {"page_size": 100, "blocktime_end": t})["data"]
        clock.advance(5)
        again = call(box, "trade_page", {"page_size": 100, "blocktime_end": t})["data"]
        assert again == snapshot
        assert call(box, "trade_page", {})["data"]["total"] == 500 + 170


def test_live_deposits_move_balances() -> None:
    clock = FakeClock()
    with Sandbox(seed=9, transactions=300, live_rate=100, clock=clock) as box:
        before = sum(sum(v) for v in box.project.balances.values())
        clock.advance(5)
        call(box, "coins")
        after = sum(sum(v) for v in box.project.balances.values())
        assert after > before
        kinds = box.project.trades.cols["btype"][300 : box.project.trades.size]
        assert 3 in set(np.asarray(kinds).tolist())


def test_new_rows_carry_the_moment_they_happen() -> None:
    # a live row's block time is its arrival, to the millisecond below, and so is a deposit's:
    # no row is ever ahead of the clock, and none lands in a second the clock has left
    clock = FakeClock(1_780_000_000.37)
    with Sandbox(seed=4, transactions=300, live_rate=3, clock=clock) as box:
        tr, start = box.project.trades, clock()
        address, currency = box.examples()["sub_address"], box.examples()["sub_address_currency"]
        deposits: dict[int, float] = {}
        for step in (0.01, 0.33, 0.999, 2.5, 7.77, 0.001):
            clock.advance(step)
            row = box.simulate_deposit(address, currency, "1.5")
            deposits[row["cid"]] = clock()
            times = tr.cols["bt"][: tr.size] * 1000 + tr.cols["ms"][: tr.size]
            assert times.max() <= clock() * 1000
            assert row["block_time"] == int(clock())  # seconds on the page
        live = box.project.live.rows()
        arrival = start + (np.arange(len(live)) + 1) / 3
        assert len(live) == 34 and (times[live] == np.floor(arrival * 1000)).all()
        for cid, at in deposits.items():
            stored = tr.row_of_cid(cid)
            assert stored is not None and tr.time_ms(stored) == math.floor(at * 1000)


def test_the_callback_thread_waits_until_the_engine_is_built() -> None:
    # with the real clock, the thread used to start at the first action scheduled while the
    # engine was still being built, and live mode's catch-up failed there on missing state
    def pumps() -> int:
        return sum(t.name == "cregis-sandbox-callbacks" for t in threading.enumerate())

    ran = threading.Event()
    scheduler = Scheduler(time.time, threading.RLock(), work=ran.set, next_due=lambda: None)
    before = pumps()
    scheduler.schedule(time.time() + 3_600, lambda at: None)
    assert pumps() == before and not ran.is_set()  # held while its owner builds its state
    scheduler.release()
    assert ran.wait(10)
    scheduler.close()
