"""The fetch's rate control: fewer requests in flight when HTTP 429s appear, more again later."""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable

import pandas as pd
import pytest

from cregis_notebook import CregisRateLimitError
from cregis_notebook._retry import hear_rate_limit
from cregis_notebook.fetch import FetchTiming, afetch_frame, fetch_frame
from cregis_notebook.fetch.pace import Pace
from cregis_notebook.sandbox import FakeClock, Sandbox
from cregis_notebook.sandbox.engine.clock import async_sleep_for


def limit_error(retry_after: float | None = None) -> CregisRateLimitError:
    return CregisRateLimitError("HTTP 429", endpoint="trade_page", retry_after=retry_after)


def test_a_429_cuts_the_window_once_per_round() -> None:
    clock = FakeClock(0)
    pace = Pace(10, clock=clock)
    assert pace.allowed == 10 and pace.lowest == 10
    pace.rate_limited(0)
    assert pace.window == pytest.approx(7.0) and pace.allowed == 7
    pace.rate_limited(0)  # sent before the cut: the same congestion, no second cut
    assert pace.allowed == 7 and pace.limited == 2
    pace.rate_limited(1)  # sent after it: news
    assert pace.window == pytest.approx(4.9) and pace.allowed == 4 and pace.lowest == 4
    for round_ in range(2, 12):
        pace.rate_limited(round_)
    assert pace.window == 1.0 and pace.allowed == 1 and pace.lowest == 1  # never below one
    assert [s.reason for s in pace.steps] == ["decrease"] * len(pace.steps)


def test_the_window_holds_then_grows_linearly_up_to_the_limit() -> None:
    clock = FakeClock(0)
    pace = Pace(8, decrease=0.5, increase=2.0, hold=1.0, clock=clock)
    pace.rate_limited(0, retry_after=3.0)  # the server's Retry-After is longer than the hold
    assert pace.window == 4.0
    clock.advance(2.5)
    pace.answered()
    assert pace.window == 4.0  # still held
    clock.advance(1.0)  # 0.5 s past the hold
    pace.answered()
    assert pace.window == pytest.approx(5.0)
    clock.advance(0.25)
    pace.answered()
    assert pace.window == pytest.approx(5.5) and pace.allowed == 5
    clock.advance(100)
    pace.answered()
    assert pace.window == 8.0 and pace.allowed == 8  # never above the limit
    assert [s.reason for s in pace.steps] == ["decrease", "increase", "increase"]
    assert pace.summary() == {
        "concurrency": 8,
        "lowest": 4,
        "final": 8,
        "rate_limited": 1,
        "decreases": 1,
        "increases": 2,
    }


def test_decrease_one_keeps_the_window_and_bad_settings_are_refused() -> None:
    pace = Pace(4, decrease=1.0, clock=FakeClock(0))
    pace.rate_limited(0)
    assert pace.allowed == 4 and pace.limited == 1 and pace.steps == []
    for bad in ({"decrease": 0.0}, {"decrease": 1.5}, {"increase": 0.0}, {"hold": -1.0}):
        with pytest.raises(ValueError):
            Pace(4, **bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Pace(0)


def test_a_slot_hears_the_clients_429s_and_waits_for_room() -> None:
    clock = FakeClock(0)
    pace = Pace(2, decrease=0.5, clock=clock)
    hear_rate_limit(limit_error())  # outside a slot: nobody listens
    assert pace.limited == 0
    with pace.slot() as admitted:
        assert admitted and pace.in_flight == 1
        with pace.slot() as second:
            assert second and pace.in_flight == 2
            hear_rate_limit(limit_error(2.0))
            assert pace.limited == 1 and pace.allowed == 1
            assert pace.in_flight == 1  # its slot is given back while the client waits
            hear_rate_limit(limit_error(2.0))  # the same request again: counted, not cut
            assert pace.limited == 2 and pace.in_flight == 1 and pace.allowed == 1
        assert pace.in_flight == 1
        stop = threading.Event()
        stop.set()
        with pace.slot(stop) as third:
            assert not third  # no room, and the fetch is stopping: nothing is sent
        assert pace.in_flight == 1
    assert pace.in_flight == 0
    clock.advance(0.5)
    with pace.slot() as admitted:
        assert admitted
    assert pace.window == 1.0  # answered during the hold (Retry-After 2 s): no growth


def until(condition: Callable[[], bool]) -> None:
    """Wait (at most 10 s) until ``condition`` holds."""
    gate = threading.Event()
    for _ in range(10_000):
        if condition():
            return
        gate.wait(0.001)
    raise AssertionError("the condition never held")


def test_a_request_sent_ahead_takes_the_next_room_before_those_waiting() -> None:
    pace = Pace(1)
    order: list[str] = []
    leave = {name: threading.Event() for name in ("b", "c", "d")}

    def send(name: str, ahead: bool) -> None:
        with pace.slot(ahead=ahead):
            order.append(name)
            leave[name].wait(10)

    with pace.slot():  # the only room, taken
        plain = threading.Thread(target=send, args=("b", False))
        plain.start()
        until(lambda: pace.waiting == 1)
        first = threading.Thread(target=send, args=("c", True))
        first.start()
        until(lambda: pace.waiting == 2)
        later = threading.Thread(target=send, args=("d", False))
        later.start()
        until(lambda: pace.waiting == 3)
    until(lambda: order == ["c"])  # ahead of b, who waited longer
    assert pace.in_flight == 1 and pace.waiting == 2
    leave["c"].set()
    until(lambda: len(order) == 2)
    leave["b"].set()
    leave["d"].set()
    for thread in (plain, first, later):
        thread.join(10)
    assert order[0] == "c" and sorted(order[1:]) == ["b", "d"]
    assert pace.in_flight == 0 and pace.waiting == 0


def test_a_task_waits_in_its_slot_until_a_request_leaves() -> None:
    pace = Pace(1, clock=FakeClock(0))
    order: list[str] = []

    async def request(name: str, hold: asyncio.Event | None) -> None:
        async with pace.aslot():
            order.append(f"{name} in ({pace.in_flight})")
            if hold is not None:
                await hold.wait()
        order.append(f"{name} out")

    async def main() -> None:
        hold = asyncio.Event()
        first = asyncio.ensure_future(request("a", hold))
        await asyncio.sleep(0)
        second = asyncio.ensure_future(request("b", None))
        await asyncio.sleep(0)
        assert order == ["a in (1)"]  # b waits for room
        hold.set()
        await asyncio.gather(first, second)

    asyncio.run(main())
    assert order == ["a in (1)", "a out", "b in (1)", "b out"]


def limited_sandbox() -> tuple[Sandbox, FakeClock]:
    clock = FakeClock()
    box = Sandbox(seed=3, transactions=3_000, clock=clock, latency_ms=50, rate_limit=10)
    return box, clock


def every_row(box: Sandbox, df: pd.DataFrame) -> bool:
    """``df`` is complete and holds every row of the fetch's pinned window, once."""
    trades = box.project.trades
    pinned = (trades.cols["bt"][: trades.size] <= df.attrs["pinned"]["blocktime_end"]).sum()
    return bool(df.attrs["complete"] and df["cid"].is_unique and len(df) == pinned > 2_900)


def test_a_rate_limited_fetch_gets_every_row_and_lowers_then_raises_its_pace() -> None:
    box, clock = limited_sandbox()
    made: list[Pace] = []

    def pace(limit: int) -> Pace:
        made.append(Pace(limit, clock=clock))
        return made[-1]

    timing = FetchTiming(sleep=clock.sleep, pace=pace)
    client = box.client(sleep=clock.sleep)
    df = fetch_frame(
        client, "trade_page", progress=False, concurrency=8, page_size=50, timing=timing
    )
    assert every_row(box, df)
    assert box.faults.limited > 0  # the server did say 429
    summary = df.attrs["pace"]
    assert summary == made[0].summary()
    assert summary["concurrency"] == 8 and summary["rate_limited"] == box.faults.limited
    assert summary["lowest"] < 8 and summary["decreases"] >= 1 and summary["increases"] >= 1
    reasons = [s.reason for s in made[0].steps]
    assert "increase" in reasons[reasons.index("decrease") :]  # lowered, then raised again
    assert max(s.window for s in made[0].steps) <= 8


def test_the_async_fetch_is_paced_too() -> None:
    box, clock = limited_sandbox()
    timing = FetchTiming(sleep=clock.sleep, pace=functools.partial(Pace, clock=clock))
    client = box.async_client(sleep=async_sleep_for(clock))

    async def main() -> pd.DataFrame:
        try:
            return await afetch_frame(
                client, "trade_page", progress=False, concurrency=8, page_size=50, timing=timing
            )
        finally:
            await client.aclose()

    df = asyncio.run(main())
    assert every_row(box, df)
    summary = df.attrs["pace"]
    assert summary["lowest"] < 8 and summary["rate_limited"] == box.faults.limited > 0


def test_a_fetch_without_429s_keeps_its_concurrency_and_its_attrs() -> None:
    box = Sandbox(seed=3, transactions=500, clock=FakeClock())
    df = fetch_frame(box.client(), "trade_page", progress=False, concurrency=4, page_size=50)
    assert len(df) == 500 and "pace" not in df.attrs


def test_a_money_moving_call_that_meets_a_429_is_heard_but_never_retried() -> None:
    clock = FakeClock()
    box = Sandbox(seed=3, transactions=100, clock=clock, rate_limit=0.01, rate_burst=1)
    client = box.client(sleep=clock.sleep)
    client.coins()  # the only token
    served = box.faults.served
    pace = Pace(2, clock=clock)
    with pace.slot() as admitted, pytest.raises(CregisRateLimitError):
        assert admitted
        client.payout(
            currency="195@195",
            to_address="TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS",
            amount="1",
            third_party_id="pace-1",
        )
    assert box.faults.limited == 1 and box.faults.served == served  # asked once, not again
    assert pace.limited == 1 and pace.allowed == 1
