"""Knobs: latency, rate limit, failures, clock, validation; in-process and over HTTP."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from conftest import call

from cregis_notebook import (
    AsyncClient,
    Client,
    CregisConfigError,
    CregisConnectError,
    CregisHTTPError,
    CregisRateLimitError,
    CregisResponseError,
)
from cregis_notebook.sandbox import FakeClock, Sandbox, SandboxServer
from cregis_notebook.sandbox.http.transport import AsyncSandboxTransport


def _client(box: Sandbox, **options: Any) -> Client:
    options.setdefault("retry", False)
    return box.client(**options)


def test_latency_advances_a_fake_clock_exactly() -> None:
    clock = FakeClock()
    with Sandbox(seed=0, transactions=100, clock=clock, latency_ms=250) as box, _client(box) as c:
        start = clock()
        c.request("coins")
        c.request("coins")
        assert clock() - start == pytest.approx(0.5)


def test_jitter_stays_within_its_bounds() -> None:
    clock = FakeClock()
    with Sandbox(seed=0, transactions=100, clock=clock, latency_ms=100, jitter_ms=40) as box:
        delays = [box.respond("POST", "/api/v1/coins", {}, b"{}")[0] for _ in range(200)]
    assert all(0.06 <= d <= 0.14 for d in delays)
    assert len({round(d, 6) for d in delays}) > 100  # it does vary


def test_async_transport_latency_overlaps() -> None:
    """Ten requests wait out their latency side by side, not one after another."""
    with Sandbox(seed=0, transactions=100, latency_ms=200) as box:

        async def main() -> list[float]:
            waits: list[float] = []
            everyone = asyncio.Event()

            async def gate(seconds: float) -> None:  # holds each request until all ten wait
                waits.append(seconds)
                if len(waits) == 10:
                    everyone.set()
                await everyone.wait()

            transport = AsyncSandboxTransport(box, sleep=gate)
            async with AsyncClient(
                box.base_url, box.pid, box.api_key, transport=transport, retry=False
            ) as client:
                requests = asyncio.gather(*(client.request("coins") for _ in range(10)))
                replies = await asyncio.wait_for(requests, timeout=60)
            assert all(reply.ok for reply in replies)
            return waits

        waits = asyncio.run(main())
    assert waits == [pytest.approx(0.2)] * 10


def test_latency_over_http_advances_a_fake_clock() -> None:
    clock = FakeClock()
    box = Sandbox(seed=0, transactions=100, latency_ms=150, clock=clock)
    with (
        SandboxServer(box, close_sandbox=True) as server,
        Client(server.base_url, server.pid, server.api_key, retry=False) as client,
    ):
        start = clock()
        assert client.request("coins").ok
        assert clock() - start == pytest.approx(0.15)
        assert client.request("coins").ok
        assert clock() - start == pytest.approx(0.30)


def test_rate_limit_answers_429_with_retry_after() -> None:
    clock = FakeClock()
    with Sandbox(seed=0, transactions=100, clock=clock, rate_limit=2) as box:
        statuses = [box.respond("POST", "/api/v1/coins", {}, b"{}")[1] for _ in range(3)]
        assert [r.status for r in statuses if r] == [200, 200, 429]
        limited = statuses[2]
        assert limited is not None and dict(limited.headers)["retry-after"] == "1"
        assert limited.json()["data"] is None
        clock.advance(1)
        again = box.respond("POST", "/api/v1/coins", {}, b"{}")[1]
        assert again is not None and again.status == 200
        clock.advance(10)  # the bucket refills to its burst (2)
        with _client(box) as c:
            c.request("coins")
            c.request("coins")
            with pytest.raises(CregisRateLimitError) as info:
                c.request("coins")
            assert info.value.retry_after == 1


def test_rate_limit_over_http() -> None:
    # one request every 4 s: five quick posts meet the limit even on a slow, busy machine
    box = Sandbox(seed=0, transactions=100, rate_limit=0.25, rate_burst=1)
    with SandboxServer(box, close_sandbox=True) as server:
        with httpx.Client(base_url=server.base_url, trust_env=False) as raw:
            replies = [raw.post("/api/v1/coins", json={}) for _ in range(5)]
        limited = [r for r in replies if r.status_code == 429]
        assert limited and 1 <= int(limited[0].headers["retry-after"]) <= 4
        assert limited[0].json()["data"] is None


def test_the_client_waits_out_the_rate_limit() -> None:
    clock = FakeClock()
    with Sandbox(seed=0, transactions=100, clock=clock, rate_limit=1) as box:
        waits: list[float] = []

        def sleep(seconds: float) -> None:
            waits.append(seconds)
            clock.advance(seconds)

        with box.client(sleep=sleep) as client:
            for _ in range(4):
                assert client.request("trade_page", page_size=1).ok
        assert waits and all(w >= 1 for w in waits)  # waited at least Retry-After


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("http_5xx", CregisHTTPError),
        ("drop", CregisConnectError),
        ("malformed", CregisResponseError),
    ],
)
def test_failures_in_process(kind: str, error: type[Exception]) -> None:
    with Sandbox(seed=0, transactions=100, failure_rate=1, failures=(kind,)) as box:
        with _client(box) as c, pytest.raises(error):
            c.request("coins")
        if kind == "http_5xx":
            response = box.respond("POST", "/api/v1/coins", {}, b"{}")[1]
            assert response is not None and response.status in (500, 503)
            assert response.body.startswith(b"<html>")
        if kind == "drop":
            with (
                httpx.Client(transport=box.transport(), base_url=box.base_url) as raw,
                pytest.raises(httpx.RemoteProtocolError),
            ):
                raw.post("/api/v1/coins", json={})


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("http_5xx", CregisHTTPError),
        ("drop", CregisConnectError),
        ("malformed", CregisResponseError),
    ],
)
def test_failures_over_http(kind: str, error: type[Exception]) -> None:
    box = Sandbox(seed=0, transactions=100, failure_rate=1, failures=(kind,))
    with (
        SandboxServer(box, close_sandbox=True) as server,
        Client(server.base_url, server.pid, server.api_key, retry=False) as client,
    ):
        with pytest.raises(error):
            client.request("coins")
        with pytest.raises(error):  # and again on the same server: it keeps serving
            client.request("coins")


def test_failure_rate_is_a_share_and_retries_get_through() -> None:
    with Sandbox(seed=3, transactions=500, failure_rate=0.3) as box:
        outcomes = []
        for _ in range(400):
            _, response = box.respond("POST", "/api/v1/coins", {}, b"{}")
            ok = response is not None and response.status == 200 and response.body.endswith(b"}")
            outcomes.append(ok)
        share = outcomes.count(False) / len(outcomes)
        assert 0.2 < share < 0.4
    # the client retries 5xx and dropped connections of read-only calls (not malformed bodies)
    with Sandbox(seed=3, transactions=500, failure_rate=0.3, failures=("http_5xx", "drop")) as box:
        with box.client(sleep=lambda s: None) as client:  # default retry policy, no waiting
            total = sum(
                len(client.trade_page(page_num=n, page_size=50)["rows"]) for n in range(1, 11)
            )
        assert total == 500


def test_control_endpoints_are_never_failed() -> None:
    with Sandbox(seed=0, transactions=100, failure_rate=1, rate_limit=0.01) as box:
        for _ in range(5):
            _, response = box.respond("GET", "/_sandbox/ping", {}, b"")
            assert response is not None and response.status == 200


def test_the_clock_knob_drives_time(box: Sandbox) -> None:
    newest = call(box, "trade_page", {"page_size": 1})["data"]["rows"][0]["block_time"]
    assert newest <= box.clock() < newest + 86_400
    with Sandbox(seed=0, transactions=100, clock=FakeClock(1_800_000_000)) as later:
        row = call(later, "trade_page", {"page_size": 1})["data"]["rows"][0]
        assert 1_799_000_000 < row["block_time"] <= 1_800_000_000


def test_history_end_and_days() -> None:
    with Sandbox(
        seed=0, transactions=400, history_end=1_700_000_000, history_days=10, clock=FakeClock()
    ) as box:
        times = [int(t) for t in box.project.trades.cols["bt"][: box.project.trades.size]]
    assert max(times) <= 1_700_000_000 and min(times) >= 1_700_000_000 - 10 * 86_400


@pytest.mark.parametrize(
    ("knobs", "message"),
    [
        ({"transactions": -1}, "transactions"),
        ({"transaction": 10}, "did you mean 'transactions'"),
        ({"latency_ms": -5}, "latency_ms"),
        ({"failure_rate": 1.5}, "failure_rate"),
        ({"failures": ("timeout",)}, "failures"),
        ({"rate_limit": 0}, "rate_limit"),
        ({"clock": 5}, "clock"),
        ({"projects": "two"}, "projects"),
        ({"projects": [{"pid": 1382528827416576, "api_key": "k"}]}, "distinct"),
        ({"settle_seconds": float("nan")}, "settle_seconds"),
    ],
)
def test_bad_knobs_are_explained(knobs: dict[str, Any], message: str) -> None:
    with pytest.raises(CregisConfigError, match=message):
        Sandbox(seed=0, **knobs)
    with pytest.raises(CregisConfigError):
        Sandbox(seed="zero")  # type: ignore[arg-type]
