"""fetch_frame / iter_pages mechanics against a small fake API (httpx.MockTransport).

The sandbox-backed invariants (live mode, knobs, real HTTP) are in test_pagination_sandbox.py.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
import warnings
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

from cregis_notebook import (
    AsyncClient,
    Client,
    CregisAPIError,
    CregisConsistencyWarning,
    CregisFetchError,
    CregisFetchInterrupted,
    to_frame,
)
from cregis_notebook.fetch import FetchTiming, afetch_frame, fetch_frame, last_fetch_error
from cregis_notebook.pagination import aiter_pages, iter_pages

KEY = "fake-api-key-0123456789abcdef0123"
NOW = 1_800_000_000.0
REAL: Any = object()


class FakeAPI:
    """A thread-safe trade_page / sub_address_balance / coins server with failure knobs."""

    def __init__(self, n: int = 950) -> None:
        self.rows = [self.row(i) for i in range(n)]
        self.lock = threading.Lock()
        self.calls: list[dict[str, Any]] = []
        self.fail_pages: dict[int, int] = {}  # page -> times to fail with HTTP 500
        self.error_pages: set[int] = set()  # pages answering an error code, always
        self.rate_limited = 0  # next N calls get HTTP 429
        self.on_call: Callable[[dict[str, Any]], None] | None = None
        self.insert_per_call = 0  # live mode: new rows (newest first) per call
        self.next_cid = 10_000_000
        self.total: Any = REAL  # the total every page announces (REAL: the true count)
        self.asked: dict[int, int] = {}  # page -> requests so far
        self.tamper: Callable[[int, int, dict[str, Any]], Any] | None = None
        """(page, nth request of it, data) -> the data to answer."""

    @staticmethod
    def row(i: int, block_time: int | None = None) -> dict[str, Any]:
        return {
            "pid": 1,
            "cid": 1_410_000_000_000_000 + i,
            "chain_id": "195",
            "token_id": "195",
            "to_address": f"T{i:033d}",
            "amount": f"{i}.{i % 7:06d}",
            "status": i % 3,
            "txid": f"{i:064x}",
            "block_height": str(1000 + i),
            "block_time": int(NOW) - 10_000 + i if block_time is None else block_time,
            "fee": "0.1",
            "from_address": "Tfrom",
        }

    def handler(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        with self.lock:
            self.calls.append(body)
            page = body.get("page_num", 1)
            self.asked[page] = nth = self.asked.get(page, 0) + 1
            if self.rate_limited:
                self.rate_limited -= 1
                return httpx.Response(429, headers={"Retry-After": "0"}, text="slow down")
            if self.fail_pages.get(page, 0) > 0:
                self.fail_pages[page] -= 1
                return httpx.Response(500, text="boom")
            for _ in range(self.insert_per_call):
                self.next_cid += 1
                self.rows.append(self.row(self.next_cid, block_time=int(NOW) + 5))
        if self.on_call is not None:
            self.on_call(body)
        if page in self.error_pages:
            return httpx.Response(200, json={"code": "E0003", "msg": "project error", "data": None})
        path = request.url.path
        if path.endswith("/coins"):
            data: Any = {
                "payout_coins": [{"coin_name": "TRX", "chain_id": "195", "token_id": "195"}]
            }
            return httpx.Response(200, json={"code": "00000", "msg": "ok", "data": data})
        with self.lock:
            rows = sorted(self.rows, key=lambda r: (-r["block_time"], -int(r["cid"])))
        if "blocktime_end" in body:
            rows = [r for r in rows if r["block_time"] <= body["blocktime_end"]]
        if "status" in body:
            rows = [r for r in rows if r["status"] == body["status"]]
        size = body.get("page_size", 10)
        chunk = rows[(page - 1) * size : page * size]
        total = len(rows) if self.total is REAL else self.total
        data = {"total": total, "rows": chunk, "pageNum": page, "pageSize": size}
        if self.tamper is not None:
            data = self.tamper(page, nth, data)
        return httpx.Response(200, json={"code": "00000", "msg": "ok", "data": data})

    def client(self, **options: Any) -> Client:
        options.setdefault("clock", lambda: NOW)
        options.setdefault("sleep", lambda s: None)
        return Client(
            "http://127.0.0.1:1", 1, KEY, transport=httpx.MockTransport(self.handler), **options
        )

    def async_client(self) -> AsyncClient:
        async def handler(request: httpx.Request) -> httpx.Response:
            return await asyncio.to_thread(self.handler, request)

        async def nosleep(_: float) -> None:
            return None

        return AsyncClient(
            "http://127.0.0.1:1",
            1,
            KEY,
            transport=httpx.MockTransport(handler),
            clock=lambda: NOW,
            sleep=nosleep,
        )


NO_WAIT = FetchTiming(backoff=0.0, sleep=lambda seconds: None)
"""Failed pages are tried again at once (the client's own retries do not sleep either)."""


def pages_called(api: FakeAPI) -> list[int]:
    return sorted(c.get("page_num", 0) for c in api.calls)


def test_every_row_once_in_one_frame() -> None:
    api = FakeAPI(950)
    df = fetch_frame(api.client(), "trade_page", progress=False)
    assert len(df) == 950 and df["cid"].is_unique
    assert set(df["cid"]) == {r["cid"] for r in api.rows}
    assert df["amount"].sum() == sum(Decimal(r["amount"]) for r in api.rows)
    assert pages_called(api) == list(range(1, 11))
    assert df.attrs["complete"] is True and "mismatch" not in df.attrs
    assert df.attrs["total"] == 950 and df.attrs["pages"] == 10
    assert df.attrs["filters"] == {"blocktime_end": int(NOW) - 1}
    assert df.attrs["base_url"] == "http://127.0.0.1:1"


@pytest.mark.parametrize(
    "tweak",
    [
        None,
        lambda row: row.update(extra_field=7),  # an undocumented key in one late page
        lambda row: row.update(fee=None),  # an explicit null
        lambda row: row.update(cid=str(row["cid"])),  # one id as text
        lambda row: row.update(amount=0.5),  # a JSON number beside parsed decimals
        lambda row: row.pop("fee"),  # a missing amount
    ],
)
@pytest.mark.parametrize("run_pages", [1, 4, 10_000])
def test_runs_flattened_during_the_fetch_give_the_frame_of_all_pages(
    tweak: Callable[[dict[str, Any]], None] | None, run_pages: int
) -> None:
    api = FakeAPI(400)
    if tweak is not None:
        tweak(api.rows[5])  # the 6th oldest row: on page 20 of 20
    client = api.client()
    timing = FetchTiming(run_pages=run_pages)  # 4: runs of 80 rows, the Arrow path
    df = fetch_frame(client, "trade_page", page_size=20, progress=False, timing=timing)
    reference = to_frame(list(iter_pages(client, "trade_page", page_size=20)), "trade_page")
    df.attrs.clear()
    reference.attrs.clear()
    pd.testing.assert_frame_equal(df, reference)


def test_filters_are_sent_on_every_page_and_recorded() -> None:
    api = FakeAPI(300)
    df = fetch_frame(api.client(), "trade_page", status="success", page_size=20, progress=False)
    assert {c["status"] for c in api.calls} == {1}
    assert {c["page_size"] for c in api.calls} == {20}
    assert set(df["status"]) == {1} and len(df) == 100
    assert df.attrs["filters"]["status"] == 1


def test_given_upper_bound_is_not_pinned() -> None:
    api = FakeAPI(100)
    end = int(NOW) - 10_000 + 49
    df = fetch_frame(api.client(), "trade_page", blocktime_end=end, progress=False)
    assert len(df) == 50 and df.attrs["pinned"] == {}
    assert {c["blocktime_end"] for c in api.calls} == {end}


def test_pinning_keeps_rows_arriving_during_the_fetch_out() -> None:
    api = FakeAPI(500)
    api.insert_per_call = 3  # newest first: without the pin every page would shift
    df = fetch_frame(api.client(), "trade_page", page_size=50, progress=False)
    assert len(df) == 500 and df["cid"].is_unique
    assert "mismatch" not in df.attrs


def test_without_pin_a_shift_is_reported_never_hidden() -> None:
    api = FakeAPI(500)
    api.insert_per_call = 3
    with pytest.warns(CregisConsistencyWarning, match="total"):
        df = fetch_frame(api.client(), "trade_page", page_size=50, pin=False, concurrency=1)
    assert df["cid"].is_unique  # duplicates from shifted pages are dropped
    mismatch = df.attrs["mismatch"]
    assert mismatch["duplicates"] > 0 and len(mismatch["totals_seen"]) > 1
    with pytest.raises(CregisFetchError, match="total"):
        api2 = FakeAPI(500)
        api2.insert_per_call = 3
        fetch_frame(
            api2.client(),
            "trade_page",
            page_size=50,
            pin=False,
            concurrency=1,
            on_mismatch="raise",
            progress=False,
        )


def test_in_flight_requests_are_bounded() -> None:
    api = FakeAPI(2000)
    gauge = {"now": 0, "max": 0}
    lock = threading.Lock()
    four = threading.Event()  # four requests were in flight at once

    def slow(body: dict[str, Any]) -> None:
        if body["page_num"] == 1:
            return  # page 1 is asked alone
        with lock:
            gauge["now"] += 1
            gauge["max"] = max(gauge["max"], gauge["now"])
            if gauge["now"] == 4:
                four.set()
        four.wait(timeout=30)  # the first requests hold until four fly together
        with lock:
            gauge["now"] -= 1

    api.on_call = slow
    df = fetch_frame(api.client(), "trade_page", concurrency=4, progress=False)
    assert len(df) == 2000
    assert four.is_set() and gauge["max"] == 4


def test_transient_failures_and_429_are_survived() -> None:
    api = FakeAPI(600)
    api.fail_pages = {3: 5, 4: 1}  # page 3 outlasts the client's 4 attempts once
    api.rate_limited = 3
    df = fetch_frame(api.client(), "trade_page", progress=False)
    assert len(df) == 600 and df.attrs["complete"]


def test_a_page_that_keeps_failing_raises_with_partial_and_resume(tmp_path: Path) -> None:
    api = FakeAPI(1000)
    api.error_pages = {7}
    client = api.client(retry=False)
    with pytest.raises(CregisFetchError) as info:
        fetch_frame(client, "trade_page", progress=False, concurrency=2)
    err = info.value
    assert last_fetch_error() is err
    assert 7 in err.missing_pages
    assert isinstance(err.cause, CregisAPIError) and err.cause.code == "E0003"
    partial = err.partial
    assert partial.attrs["complete"] is False
    assert len(partial) == 100 * (10 - len(err.missing_pages))
    assert partial["cid"].is_unique
    api.error_pages = set()
    api.calls.clear()
    df = err.resume()
    assert pages_called(api) == sorted(err.missing_pages)  # only the missing pages
    assert len(df) == 1000 and df.attrs["complete"]
    assert {c["blocktime_end"] for c in api.calls} == {int(NOW) - 1}  # the same window


def test_first_page_error_raises_the_api_error() -> None:
    api = FakeAPI(10)
    api.error_pages = {1}
    with pytest.raises(CregisAPIError):
        fetch_frame(api.client(), "trade_page", progress=False)


def test_interrupt_keeps_the_partial_and_resumes(tmp_path: Path) -> None:
    api = FakeAPI(3000)
    sent = threading.Event()

    def interrupt(body: dict[str, Any]) -> None:
        if body.get("page_num") == 12 and not sent.is_set():
            sent.set()
            os.kill(os.getpid(), signal.SIGINT)  # what the notebook's stop button does

    api.on_call = interrupt
    ckpt = tmp_path / "trades.jsonl"
    with pytest.raises(CregisFetchInterrupted) as info:
        fetch_frame(api.client(), "trade_page", progress=False, concurrency=3, checkpoint=ckpt)
    err = info.value
    assert isinstance(err, KeyboardInterrupt) and isinstance(err, CregisFetchError)
    assert err.missing_pages and len(err.partial) == 100 * (30 - len(err.missing_pages))
    api.on_call = None
    df = err.resume()
    assert len(df) == 3000 and df["cid"].is_unique and df.attrs["complete"]
    assert not ckpt.exists()  # removed after a complete fetch


def test_checkpoint_survives_a_new_client(tmp_path: Path) -> None:
    api = FakeAPI(1000)
    api.error_pages = {5, 9}
    ckpt = tmp_path / "t.jsonl"
    with pytest.raises(CregisFetchError):
        fetch_frame(api.client(retry=False), "trade_page", progress=False, checkpoint=ckpt)
    assert ckpt.exists()
    text = ckpt.read_text()
    assert KEY not in text and '"sign"' not in text
    api.error_pages = set()
    api.calls.clear()
    later = NOW + 3600  # a new kernel, an hour later: the pinned window is reused
    fresh = api.client(clock=lambda: later)
    df = fetch_frame(fresh, "trade_page", progress=False, checkpoint=ckpt)
    assert len(df) == 1000 and df.attrs["complete"]
    assert all(c["page_num"] != 1 for c in api.calls)
    assert {c["blocktime_end"] for c in api.calls} == {int(NOW) - 1}
    assert not ckpt.exists()


def test_checkpoint_of_another_fetch_is_refused(tmp_path: Path) -> None:
    api = FakeAPI(300)
    api.error_pages = {2}
    ckpt = tmp_path / "t.jsonl"
    with pytest.raises(CregisFetchError):
        fetch_frame(api.client(retry=False), "trade_page", progress=False, checkpoint=ckpt)
    with pytest.raises(ValueError, match="another fetch"):
        fetch_frame(api.client(), "trade_page", status=1, progress=False, checkpoint=ckpt)


def test_torn_checkpoint_line_is_fetched_again(tmp_path: Path) -> None:
    api = FakeAPI(300)
    api.error_pages = {3}
    ckpt = tmp_path / "t.jsonl"
    with pytest.raises(CregisFetchError):
        fetch_frame(api.client(retry=False), "trade_page", progress=False, checkpoint=ckpt)
    with ckpt.open("a") as fh:
        fh.write('{"page": 3, "code": "00000", "da')  # the kernel died mid-write
    api.error_pages = set()
    df = fetch_frame(api.client(), "trade_page", progress=False, checkpoint=ckpt)
    assert len(df) == 300


def test_iter_pages_yields_envelopes() -> None:
    api = FakeAPI(250)
    envs = list(iter_pages(api.client(), "trade_page"))
    assert [len(e.data["rows"]) for e in envs] == [100, 100, 50]
    assert [e.body["page_num"] for e in envs] == [1, 2, 3]
    assert all(e.body["blocktime_end"] == int(NOW) - 1 for e in envs)
    api.error_pages = {2}
    with pytest.raises(CregisAPIError):
        list(iter_pages(api.client(), "trade_page"))


def test_page_params_are_refused() -> None:
    api = FakeAPI(10)
    with pytest.raises(ValueError, match="page_num"):
        fetch_frame(api.client(), "trade_page", page_num=2)
    with pytest.raises(ValueError, match="page_size"):
        fetch_frame(api.client(), "trade_page", page_size=500)


def test_non_paged_endpoints() -> None:
    api = FakeAPI(0)
    df = fetch_frame(api.client(), "coins")
    assert df["coin_name"].tolist() == ["TRX"] and df.attrs["endpoint"] == "project_coins"
    api.error_pages = {1}  # every call without page_num counts as page 1
    with pytest.raises(CregisAPIError):
        fetch_frame(api.client(), "coins")
    row = fetch_frame(api.client(), "coins", errors="row")
    assert row["code"].tolist() == ["E0003"]


def test_progress_bar_shows_rows_and_pages(capsys: pytest.CaptureFixture[str]) -> None:
    api = FakeAPI(300)
    fetch_frame(api.client(), "trade_page", progress=True)
    err = capsys.readouterr().err
    assert "300/300" in err and "3/3 pages" in err and "rows/s" in err
    fetch_frame(api.client(), "trade_page", progress=False)
    assert capsys.readouterr().err == ""


def test_works_inside_a_running_event_loop() -> None:
    api = FakeAPI(400)

    async def notebook_cell() -> int:
        # a Jupyter cell runs while the kernel's event loop is running: plain sync code
        df = fetch_frame(api.client(), "trade_page", progress=False)
        other = await asyncio.to_thread(fetch_frame, api.client(), "trade_page", progress=False)
        return len(df) + len(other)

    assert asyncio.run(notebook_cell()) == 800


def test_async_twins() -> None:
    api = FakeAPI(450)

    async def run() -> tuple[int, list[int]]:
        client = api.async_client()
        df = await afetch_frame(client, "trade_page", progress=False, concurrency=3)
        sizes = [len(e.data["rows"]) async for e in aiter_pages(client, "trade_page")]
        await client.aclose()
        return len(df), sizes

    rows, sizes = asyncio.run(run())
    assert rows == 450 and sizes == [100, 100, 100, 100, 50]


def test_async_failure_resumes() -> None:
    api = FakeAPI(500)
    api.error_pages = {4}

    async def run() -> int:
        client = api.async_client()
        try:
            await afetch_frame(client, "trade_page", progress=False)
        except CregisFetchError as err:
            assert err.missing_pages == (4,)
            api.error_pages = set()
            df = await err.resume()
            return len(df)
        finally:
            await client.aclose()
        return 0

    assert asyncio.run(run()) == 500


def test_fetch_frame_refuses_an_async_client() -> None:
    with pytest.raises(TypeError, match="afetch_frame"):
        fetch_frame(FakeAPI(1).async_client(), "trade_page")  # type: ignore[arg-type]


def test_no_warning_on_a_clean_fetch() -> None:
    api = FakeAPI(200)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fetch_frame(api.client(), "trade_page", progress=False)


def test_first_page_transport_failure_is_resumable() -> None:
    api = FakeAPI(250)
    api.fail_pages = {1: 100}
    with pytest.raises(CregisFetchError) as info:
        fetch_frame(api.client(retry=False), "trade_page", progress=False)
    err = info.value
    assert len(err.partial) == 0 and "cid" in err.partial.columns
    api.fail_pages = {}
    df = err.resume()
    assert len(df) == 250 and df.attrs["complete"]


# -- an interrupt at any point is this fetch's, and last_fetch_error() is never stale -------------


def interrupt_once(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> list[int]:
    """Make the first call of ``owner.name`` raise KeyboardInterrupt (Ctrl-C landing there)."""
    original = getattr(owner, name)
    calls: list[int] = []

    def once(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, once)
    return calls


def test_an_interrupt_while_the_frame_is_assembled_is_this_fetchs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from cregis_notebook.frames import FrameBuilder

    api = FakeAPI(950)
    api.error_pages = {3}
    with pytest.raises(CregisFetchError) as older:
        fetch_frame(api.client(retry=False), "trade_page", progress=False, timing=NO_WAIT)
    assert last_fetch_error() is older.value
    api.error_pages = set()
    other = FakeAPI(420)  # another fetch, another window
    ckpt = tmp_path / "t.jsonl"
    interrupt_once(monkeypatch, FrameBuilder, "finish")  # the last step: typing the frame
    with pytest.raises(CregisFetchInterrupted) as info:
        fetch_frame(other.client(clock=lambda: NOW + 60), "trade_page", checkpoint=ckpt)
    err = info.value
    assert last_fetch_error() is err  # never the older fetch's error
    assert err.missing_pages == () and len(err.partial) == 420  # every page had arrived
    assert ckpt.exists()  # not removed: the fetch did not finish
    other.calls.clear()
    df = err.resume(progress=False)
    assert other.calls == []  # nothing left to ask for
    assert len(df) == 420 and df.attrs["complete"]
    assert df.attrs["filters"]["blocktime_end"] == int(NOW) + 59  # this fetch's window
    assert last_fetch_error() is None and not ckpt.exists()


def test_an_interrupt_before_the_first_page_is_this_fetchs(monkeypatch: pytest.MonkeyPatch) -> None:
    api = FakeAPI(300)
    api.error_pages = {2}
    with pytest.raises(CregisFetchError):
        fetch_frame(api.client(retry=False), "trade_page", progress=False, timing=NO_WAIT)
    api.error_pages = set()
    client = api.client()
    interrupt_once(monkeypatch, client, "prepare")  # while the filters are converted
    with pytest.raises(CregisFetchInterrupted) as info:
        fetch_frame(client, "trade_page", progress=False)
    err = info.value
    assert last_fetch_error() is err and len(err.partial) == 0
    df = err.resume()
    assert len(df) == 300 and df.attrs["complete"]
    interrupt_once(monkeypatch, client, "endpoint")  # the very first step
    with pytest.raises(CregisFetchInterrupted) as early:
        fetch_frame(client, "coins")
    assert last_fetch_error() is early.value
    assert early.value.resume()["coin_name"].tolist() == ["TRX"]


def test_last_fetch_error_is_cleared_by_every_new_fetch() -> None:
    api = FakeAPI(300)
    api.error_pages = {2}
    with pytest.raises(CregisFetchError):
        fetch_frame(api.client(retry=False), "trade_page", progress=False, timing=NO_WAIT)
    assert last_fetch_error() is not None
    api.error_pages = set()
    fetch_frame(api.client(), "trade_page", progress=False)
    assert last_fetch_error() is None  # a fetch that succeeded leaves no error behind
    api.error_pages = {3}
    with pytest.raises(CregisFetchError):
        fetch_frame(api.client(retry=False), "trade_page", progress=False, page_attempts=1)
    api.error_pages = {1}  # a bad filter: an API error, not a fetch error
    with pytest.raises(CregisAPIError):
        fetch_frame(api.client(), "trade_page", progress=False)
    assert last_fetch_error() is None


def test_an_async_interrupt_while_the_frame_is_assembled_is_this_fetchs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cregis_notebook.frames import FrameBuilder

    api = FakeAPI(250)
    interrupt_once(monkeypatch, FrameBuilder, "finish")

    async def run() -> Any:
        client = api.async_client()
        try:
            with pytest.raises(CregisFetchInterrupted) as info:
                await afetch_frame(client, "trade_page", progress=False)
            assert last_fetch_error() is info.value and len(info.value.partial) == 250
            return await info.value.resume()
        finally:
            await client.aclose()

    df = asyncio.run(run())
    assert len(df) == 250 and df.attrs["complete"] and last_fetch_error() is None
