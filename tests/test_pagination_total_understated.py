"""A ``total`` that contradicts the pages is reported, never obeyed.

When the last page the total implies is full, the fetch asks for the next page once (the end
check). Rows there mean the total is understated: the pages run on to a short or empty page,
the rows are all returned, and the mismatch is warned about and recorded (``complete`` is
False). An exact total costs that one request and no more; the end check is kept in the
checkpoint, so a fetch resumed after a restart neither asks it again nor loses it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from test_pagination import NO_WAIT, FakeAPI

from cregis_notebook import CregisConsistencyWarning, CregisFetchError
from cregis_notebook._checkpoint import Checkpoint
from cregis_notebook.fetch import afetch_frame, fetch_frame
from cregis_notebook.pagination import aiter_pages, iter_pages


def understated(n: int, total: int) -> FakeAPI:
    api = FakeAPI(n)
    api.total = total  # every page announces it
    return api


def check_understated(df: Any, rows: int, total: int) -> None:
    assert len(df) == rows and df["cid"].is_unique
    assert df.attrs["complete"] is False  # the rows are all here, but the total lied
    assert df.attrs["mismatch"]["understated"] is True
    assert df.attrs["mismatch"]["total"] == total and df.attrs["mismatch"]["rows"] == rows


@pytest.mark.parametrize("total", [100, 150])  # a multiple of page_size, and not
def test_an_understated_total_is_read_past_and_reported(total: int) -> None:
    api = understated(449, total)
    with pytest.warns(CregisConsistencyWarning, match="ran on past the total"):
        df = fetch_frame(api.client(), "trade_page", progress=False, concurrency=1)
    check_understated(df, 449, total)
    # page 5 is short: with the total disproved, it ends the data only once the empty page 6
    # after it said so again (as with an unknown total); this cost falls on a lying total only.
    # One page in flight makes the pages asked exact: with more, a page may be asked while
    # page 6 is still on its way, which is allowed (see the test below).
    assert sorted(api.asked) == [1, 2, 3, 4, 5, 6]


def test_an_understated_total_with_pages_in_flight_reads_everything() -> None:
    api = understated(449, 100)
    with pytest.warns(CregisConsistencyWarning, match="ran on past the total"):
        df = fetch_frame(api.client(), "trade_page", progress=False, concurrency=2)
    check_understated(df, 449, 100)
    # pages 1-6 every time; at most one more, asked before the empty page 6 answered
    assert set(range(1, 7)) <= set(api.asked) <= set(range(1, 8))


def test_an_understated_total_raises_when_asked_to() -> None:
    api = understated(449, 100)
    with pytest.raises(CregisFetchError, match="ran on past the total") as info:
        fetch_frame(api.client(), "trade_page", progress=False, on_mismatch="raise")
    assert info.value.partial is not None and len(info.value.partial) == 449


def test_the_async_twin_reads_past_an_understated_total() -> None:
    api = understated(449, 100)

    async def run() -> tuple[Any, list[int]]:
        client = api.async_client()
        df = await afetch_frame(client, "trade_page", progress=False, concurrency=3)
        sizes = [len(e.data["rows"]) async for e in aiter_pages(client, "trade_page")]
        await client.aclose()
        return df, sizes

    with pytest.warns(CregisConsistencyWarning):
        df, sizes = asyncio.run(run())
    check_understated(df, 449, 100)
    assert sizes == [100, 100, 100, 100, 49]


def test_iter_pages_reads_past_an_understated_total() -> None:
    api = understated(449, 100)
    with pytest.warns(CregisConsistencyWarning, match="understated"):
        sizes = [len(e.data["rows"]) for e in iter_pages(api.client(), "trade_page")]
    assert sizes == [100, 100, 100, 100, 49]


def test_an_exact_total_costs_one_end_check_and_no_more() -> None:
    api = FakeAPI(400)
    df = fetch_frame(api.client(), "trade_page", progress=False, concurrency=3)
    assert len(df) == 400 and df.attrs["complete"] and "mismatch" not in df.attrs
    assert api.asked == {1: 1, 2: 1, 3: 1, 4: 1, 5: 1}  # page 5: the one end check
    assert df.attrs["pages"] == 4 and df.attrs["pages_fetched"] == 4
    api.asked.clear()
    assert [len(e.data["rows"]) for e in iter_pages(api.client(), "trade_page")] == [100] * 4
    assert api.asked == {1: 1, 2: 1, 3: 1, 4: 1, 5: 1}
    api.asked.clear()
    FakeAPI.__init__(api, 450)  # a short last page needs no end check
    fetch_frame(api.client(), "trade_page", progress=False)
    assert api.asked == {1: 1, 2: 1, 3: 1, 4: 1, 5: 1}


def test_pages_that_never_end_stop_at_the_bound_and_say_so() -> None:
    from cregis_notebook.pagination import EXTRA_PAGES

    api = understated(100 * (EXTRA_PAGES + 5), 100)
    with pytest.warns(CregisConsistencyWarning, match="stopped at page"):
        df = fetch_frame(api.client(), "trade_page", progress=False, concurrency=4, pin=False)
    assert df.attrs["complete"] is False
    assert df.attrs["mismatch"]["stopped_at_page"] == 1 + EXTRA_PAGES
    assert len(df) == 100 * (1 + EXTRA_PAGES) and max(api.asked) == 1 + EXTRA_PAGES


@pytest.mark.parametrize("n", [400, 449])  # an exact total, and an understated one
def test_the_end_check_survives_a_restart(tmp_path: Path, n: int) -> None:
    api = understated(n, 400)
    ckpt = tmp_path / "t.jsonl"
    with pytest.warns(CregisConsistencyWarning) if n != 400 else _nothing():
        fetch_frame(
            api.client(), "trade_page", progress=False, checkpoint=ckpt, keep_checkpoint=True
        )
    assert 5 in Checkpoint(ckpt).pages  # the end check's answer is on disk
    api.asked.clear()
    # a new process: the same fetch from the checkpoint asks for nothing, and still knows
    with pytest.warns(CregisConsistencyWarning) if n != 400 else _nothing():
        df = fetch_frame(api.client(), "trade_page", progress=False, checkpoint=ckpt)
    assert api.asked == {}
    assert len(df) == n
    if n == 400:
        assert df.attrs["complete"] and "mismatch" not in df.attrs
    else:
        check_understated(df, n, 400)


def test_a_fetch_interrupted_before_the_end_check_asks_it_once(tmp_path: Path) -> None:
    api = understated(400, 400)
    api.error_pages = {5}
    ckpt = tmp_path / "t.jsonl"
    with pytest.raises(CregisFetchError):
        fetch_frame(
            api.client(retry=False), "trade_page", progress=False, checkpoint=ckpt, timing=NO_WAIT
        )
    api.error_pages = set()
    api.asked.clear()
    df = fetch_frame(api.client(), "trade_page", progress=False, checkpoint=ckpt)
    assert api.asked == {5: 1}
    assert len(df) == 400 and df.attrs["complete"]


class _nothing:
    """No warning may be raised inside (an exact total is quiet)."""

    def __enter__(self) -> None:
        import warnings

        self._catch = warnings.catch_warnings()
        self._catch.__enter__()
        warnings.simplefilter("error", CregisConsistencyWarning)

    def __exit__(self, *exc: object) -> None:
        self._catch.__exit__(*exc)
