"""fetch_frame invariants against the sandbox: every row once, filters, live mode, 429s, faults.

In-process sandboxes run on a FakeClock (latency, Retry-After and backoff advance it instead
of sleeping); the live-mode and HTTP tests use the real clock on loopback.
"""

from __future__ import annotations

import asyncio
import math
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest

from cregis_notebook import Client, CregisAPIError, CregisConsistencyWarning, RetryPolicy, registry
from cregis_notebook.fetch import FetchTiming, afetch_frame, fetch_frame
from cregis_notebook.pagination import iter_pages
from cregis_notebook.sandbox import FakeClock, Sandbox, SandboxServer


@pytest.fixture(scope="module")
def box() -> Any:
    with Sandbox(seed=7, transactions=4_321, clock=FakeClock()) as sandbox:
        yield sandbox


def reference(client: Client, endpoint: str, **filters: Any) -> list[dict[str, Any]]:
    """Every row by plain sequential paging (no concurrency, no dedupe)."""
    rows: list[dict[str, Any]] = []
    for env in iter_pages(client, endpoint, **filters):
        rows += env.data["rows"]
    return rows


def test_trade_page_every_row_exactly_once(box: Sandbox) -> None:
    client = box.client()
    df = fetch_frame(client, "trade_page", progress=False, concurrency=8)
    ref = reference(client, "trade_page", blocktime_end=df.attrs["filters"]["blocktime_end"])
    assert len(df) == len(ref) == df.attrs["total"]
    # the window ends at the last whole second before the fetch: rows of this second wait
    assert 4_300 < len(df) <= 4_321
    assert df["cid"].is_unique
    assert df["cid"].tolist() == [r["cid"] for r in ref]  # same rows, same (newest-first) order
    assert df["amount"].tolist() == [Decimal(r["amount"]) for r in ref]
    assert df.attrs["complete"] and "mismatch" not in df.attrs
    assert df.attrs["pages"] == math.ceil(len(df) / 100)


@pytest.mark.parametrize(
    "filters",
    [
        {"status": 1},
        {"trade_type": 1, "page_size": 37},
        {"chain_id": "195", "status": "success"},
    ],
)
def test_filters_are_respected(box: Sandbox, filters: dict[str, Any]) -> None:
    client = box.client()
    df = fetch_frame(client, "trade_page", progress=False, **filters)
    size = filters.pop("page_size", 100)
    ref = reference(client, "trade_page", page_size=size, **filters)
    assert 0 < len(df) == len(ref) < 4_321
    assert set(df["cid"]) == {r["cid"] for r in ref}
    if "status" in filters:
        assert set(df["status"]) == {1}
    if "chain_id" in filters:
        assert set(df["chain_id"]) == {"195"}


def test_time_window_filters(box: Sandbox) -> None:
    client = box.client()
    everything = fetch_frame(client, "trade_page", progress=False)
    times = everything["block_time"].sort_values()
    lo, hi = times.iloc[1000], times.iloc[3000]
    df = fetch_frame(
        client, "trade_page", progress=False, blocktime_start=lo, blocktime_end=hi.to_pydatetime()
    )
    expected = everything[(everything["block_time"] >= lo) & (everything["block_time"] <= hi)]
    assert set(df["cid"]) == set(expected["cid"])
    assert df.attrs["pinned"] == {}


@pytest.mark.parametrize("endpoint", ["sub_address_balance"])
def test_balances_every_row_once(box: Sandbox, endpoint: str) -> None:
    client = box.client()
    currency = "195@TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
    df = fetch_frame(client, endpoint, currency=currency, page_size=3, progress=False)
    ref = reference(client, endpoint, currency=currency, page_size=3)
    assert len(df) == len(ref) == df.attrs["total"] and len(df) > 3
    assert not df.duplicated(["address", "currency"]).any()
    assert set(df["chain_id"]) == {"195"}
    assert (df["total"] == df["available"] + df["processing"]).all()


def test_balance_v2(box: Sandbox) -> None:
    client = box.client()
    address = box.sub_addresses()[0]
    df = fetch_frame(client, "sub_address_balance_v2", address=address, progress=False)
    assert len(df) == df.attrs["total"] >= 1
    assert set(df["address"]) == {address}
    assert not df.duplicated(["address", "chain_id", "token_id"]).any()


def test_rate_limit_and_failures_are_survived() -> None:
    clock = FakeClock()
    knobs: dict[str, Any] = {
        "transactions": 3_000,
        "clock": clock,
        "latency_ms": 20,
        "rate_limit": 5.0,
        "rate_burst": 2,
        "failure_rate": 0.2,
    }
    with (
        Sandbox(seed=3, **knobs) as faulty,
        Sandbox(seed=3, transactions=3_000, clock=clock) as clean,
    ):
        client = faulty.client(sleep=clock.sleep, retry=RetryPolicy(attempts=8, max_wait=600))
        timing = FetchTiming(sleep=clock.sleep)  # a failed page's backoff advances the clock
        df = fetch_frame(client, "trade_page", progress=False, page_attempts=8, timing=timing)
        assert faulty.faults.limited > 0 and faulty.faults.failed > 0
        ref = reference(
            clean.client(), "trade_page", blocktime_end=df.attrs["filters"]["blocktime_end"]
        )
    assert df["cid"].tolist() == [r["cid"] for r in ref]
    assert df.attrs["complete"] and "mismatch" not in df.attrs


def test_live_mode_pinned_fetch_is_consistent_over_http() -> None:
    """Rows keep arriving (newest first) during the fetch; the pinned window shuts them out."""
    box = Sandbox(seed=11, transactions=3_000, live_rate=400.0, latency_ms=10)
    with SandboxServer(box, host="127.0.0.1", port=0, close_sandbox=True) as server:
        client = Client(server.base_url, server.pid, server.api_key)
        try:
            df = fetch_frame(client, "trade_page", progress=False, concurrency=4)
            end = df.attrs["filters"]["blocktime_end"]
            after = client.request("trade_page", page_size=1).data["total"]
            ref = reference(client, "trade_page", blocktime_end=end)
        finally:
            client.close()
    assert after > len(df)  # rows did arrive meanwhile
    assert len(df) == df.attrs["total"] and df["cid"].is_unique
    assert "mismatch" not in df.attrs
    assert df["block_time"].max() <= pd.Timestamp(end, unit="s", tz="UTC")
    assert df["cid"].tolist() == [r["cid"] for r in ref]


def test_live_mode_unpinned_shift_is_reported() -> None:
    box = Sandbox(seed=12, transactions=2_000, live_rate=2_000.0, latency_ms=5)
    client = box.client()
    with pytest.warns(CregisConsistencyWarning):
        df = fetch_frame(client, "trade_page", pin=False, concurrency=1, progress=False)
    assert df["cid"].is_unique  # shifted rows seen twice are dropped ...
    mismatch = df.attrs["mismatch"]  # ... and the disagreement is on record
    assert mismatch["duplicates"] > 0 or len(mismatch["totals_seen"]) > 1
    box.close()


def test_non_paged_endpoints_from_the_sandbox(box: Sandbox) -> None:
    client = box.client()
    coins = fetch_frame(client, "coins")
    assert {"usage", "coin_name", "chain_id", "token_id"} <= set(coins.columns)
    assert set(coins["usage"]) <= {"payout", "address", "order"} and len(coins) > 0
    order = client.request(
        "checkout",
        order_id="frames-test-1",
        order_amount="12.5",
        order_currency="USD",
        payer_id="p1",
        valid_time=30,
        success_url="https://example.com/ok",
        cancel_url="https://example.com/no",
    )
    assert order.ok, order
    df = fetch_frame(client, "order_info", cregis_id=order.data["cregis_id"])
    assert len(df) == 1 and df["order_amount"].iloc[0] == Decimal("12.5")
    assert "payment_info.0.token_decimals" in df.columns
    assert df["code"].iloc[0] == "00000"


def test_frames_types_match_the_registry(box: Sandbox) -> None:
    df = fetch_frame(box.client(), "trade_page", progress=False)
    ep = registry().endpoint("trade_page")
    for f in ep.response_fields:
        col = df[f.name]
        if f.type in ("int", "enum_int"):
            assert col.dtype == "Int64", f.name
        elif f.type == "decimal":
            assert col.dtype == object and all(isinstance(v, Decimal) for v in col.dropna()), f.name
        elif f.type == "timestamp":
            assert str(col.dtype) == "datetime64[ms, UTC]", f.name
        else:
            assert col.dtype == "string", f.name


def _orders(client: Client, prefix: str, count: int) -> list[str]:
    """``count`` checkout orders of 1.25, 2.25, ... USD; their cregis_ids."""
    ids = []
    for i in range(count):
        env = client.request(
            "checkout",
            order_id=f"{prefix}-{i}",
            order_amount=f"{i + 1}.25",
            order_currency="USD",
            payer_id="p1",
            valid_time=30,
            success_url="https://example.com/ok",
            cancel_url="https://example.com/no",
        )
        ids.append(env.data["cregis_id"])
    return ids


def test_order_info_for_many_orders_is_one_row_each(box: Sandbox) -> None:
    client = box.client()
    ids = _orders(client, "frames-many", 3)
    df = fetch_frame(client, "order_info", cregis_id=ids)
    assert df["cregis_id"].tolist() == ids
    assert df["order_amount"].tolist() == [Decimal("1.25"), Decimal("2.25"), Decimal("3.25")]
    assert df.attrs["filters"]["cregis_id"] == ids and df.attrs["complete"]
    bad = fetch_frame(client, "order_info", cregis_id=[ids[0], "po0000"], errors="row")
    assert bad["code"].tolist()[0] == "00000" and bad["code"].tolist()[1] != "00000"


def test_afetch_frame_makes_one_call_per_value_like_fetch_frame(box: Sandbox) -> None:
    ids = _orders(box.client(), "frames-amany", 5)
    expected = fetch_frame(box.client(), "order_info", cregis_id=ids)
    flying: list[int] = [0, 0]  # now, most

    async def run() -> tuple[pd.DataFrame, pd.DataFrame]:
        client = box.async_client()
        send = client.request

        async def counted(*args: Any, **kwargs: Any) -> Any:
            flying[0] += 1
            flying[1] = max(flying)
            try:
                await asyncio.sleep(0)  # let the others start if the gate allows them
                return await send(*args, **kwargs)
            finally:
                flying[0] -= 1

        client.request = counted  # type: ignore[method-assign]
        try:
            df = await afetch_frame(client, "order_info", cregis_id=ids, concurrency=2)
            bad = await afetch_frame(
                client, "order_info", cregis_id=[ids[0], "po0000"], errors="row"
            )
            with pytest.raises(CregisAPIError):
                await afetch_frame(client, "order_info", cregis_id=[ids[0], "po0000"])
            return df, bad
        finally:
            await client.aclose()

    df, bad = asyncio.run(run())
    pd.testing.assert_frame_equal(df, expected)
    assert df.attrs["filters"]["cregis_id"] == ids and df.attrs["complete"]
    assert flying[1] == 2  # at most `concurrency` calls at once, and that many were used
    assert bad["code"].tolist()[0] == "00000" and bad["code"].tolist()[1] != "00000"
    assert not bad.attrs["complete"]
