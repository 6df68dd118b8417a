"""Pages are checked, never taken on trust: wrong pages, unknown and overstated totals.

A page answered "00000" with ``data: null``, ``rows: []`` or too few rows before the last page
is asked again and, if it stays wrong, fails the fetch; a ``total`` that is null, garbage or
larger than the rows is reported, never obeyed, and never sizes anything.
"""

from __future__ import annotations

import asyncio
import random
import tracemalloc
import warnings
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_pagination import NO_WAIT, REAL, FakeAPI

from cregis_notebook import CregisConsistencyWarning, CregisFetchError, to_frame
from cregis_notebook.fetch import afetch_frame, fetch_frame
from cregis_notebook.pagination import iter_pages

WRONG = {
    "data null": lambda data: None,
    "rows empty": lambda data: {**data, "rows": []},
    "rows short": lambda data: {**data, "rows": data["rows"][:37]},
    "rows not a list": lambda data: {**data, "rows": "oops"},
}


def wrong_at(page: int, how: str, times: int) -> Any:
    """A tamper hook: ``page`` answers wrong (``how``) the first ``times`` times it is asked."""

    def tamper(asked: int, nth: int, data: dict[str, Any]) -> Any:
        return WRONG[how](data) if asked == page and nth <= times else data

    return tamper


@pytest.mark.parametrize("how", list(WRONG))
@pytest.mark.parametrize("concurrency", [1, 4])
@pytest.mark.parametrize("total", [REAL, None], ids=["total", "no total"])
def test_a_wrong_page_is_asked_again(how: str, concurrency: int, total: Any) -> None:
    api = FakeAPI(950)
    api.total = total
    api.tamper = wrong_at(4, how, times=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a clean result: nothing to warn about
        df = fetch_frame(
            api.client(), "trade_page", progress=False, concurrency=concurrency, timing=NO_WAIT
        )
    assert len(df) == 950 and df["cid"].is_unique and df["cid"].notna().all()
    assert set(df["cid"]) == {r["cid"] for r in api.rows}
    assert df.attrs["complete"] is True and "mismatch" not in df.attrs
    assert api.asked[4] == 3  # asked again until right, within page_attempts
    assert df.attrs["total"] == (950 if total is REAL else None)


@pytest.mark.parametrize("how", list(WRONG))
def test_a_page_that_stays_wrong_fails_like_a_failed_page(how: str) -> None:
    api = FakeAPI(1000)
    api.tamper = wrong_at(4, how, times=10**6)
    with pytest.raises(CregisFetchError) as info:
        fetch_frame(api.client(), "trade_page", progress=False, concurrency=3, timing=NO_WAIT)
    err = info.value
    assert api.asked[4] == 3  # page_attempts answers, then the fetch gives up
    assert 4 in err.missing_pages and err.resume is not None
    assert err.partial.attrs["complete"] is False
    assert len(err.partial) == 100 * (10 - len(err.missing_pages))
    assert err.partial["cid"].notna().all()  # no phantom row for a null page
    api.tamper = None
    df = err.resume()
    assert len(df) == 1000 and df.attrs["complete"] is True


def test_the_last_page_may_be_short_but_not_empty() -> None:
    api = FakeAPI(950)  # page 10 holds 50 rows: right
    df = fetch_frame(api.client(), "trade_page", progress=False, timing=NO_WAIT)
    assert len(df) == 950 and api.asked[10] == 1 and df.attrs["complete"]


def test_async_fetch_asks_a_wrong_page_again() -> None:
    api = FakeAPI(450)
    api.tamper = wrong_at(2, "rows empty", times=1)

    async def run() -> Any:
        client = api.async_client()
        try:
            return await afetch_frame(client, "trade_page", progress=False, timing=NO_WAIT)
        finally:
            await client.aclose()

    df = asyncio.run(run())
    assert len(df) == 450 and df.attrs["complete"] and api.asked[2] == 2


# -- total: null, garbage -------------------------------------------------------------------------


@pytest.mark.parametrize("total", [None, "many", -5, 12.5, True, {"n": 1}])
@pytest.mark.parametrize("concurrency", [1, 8])
def test_an_unknown_total_pages_until_the_data_ends(total: Any, concurrency: int) -> None:
    api = FakeAPI(950)
    api.total = total
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        df = fetch_frame(api.client(), "trade_page", progress=False, concurrency=concurrency)
    assert len(df) == 950 and df["cid"].is_unique
    assert df.attrs["total"] is None and df.attrs["complete"] is True
    assert df.attrs["pages"] == 10
    assert max(api.asked) <= 11 + concurrency  # the short page 10, the empty page 11: no further
    envs = list(iter_pages(api.client(), "trade_page"))
    assert [len(e.data["rows"]) for e in envs] == [100] * 9 + [50]


@pytest.mark.parametrize("total", [None, "many"])
def test_to_frame_of_a_page_with_an_unknown_total(total: Any) -> None:
    env = {"code": "00000", "msg": "ok", "data": {"total": total, "rows": [{"cid": 1}]}}
    df = to_frame(env, "trade_page")
    assert len(df) == 1 and df.attrs["total"] is None and df.attrs["pages"] == 1


def test_unknown_total_exact_multiple_of_the_page_size() -> None:
    api = FakeAPI(300)
    api.total = None
    df = fetch_frame(api.client(), "trade_page", progress=False, concurrency=1)
    assert len(df) == 300 and df.attrs["complete"]
    assert sorted(api.asked) == [1, 2, 3, 4, 5]  # 4 is empty: is 5 empty too? then it ends
    assert api.asked[4] == api.asked[5] == 3  # believed after page_attempts answers, not one


# -- total: overstated ----------------------------------------------------------------------------


@pytest.mark.parametrize("total", [10**7, 10**11])
@pytest.mark.parametrize("concurrency", [1, 8])
def test_an_overstated_total_is_reported_not_obeyed(total: int, concurrency: int) -> None:
    api = FakeAPI(499)
    api.total = total
    tracemalloc.start()
    try:
        with pytest.warns(CregisConsistencyWarning, match="ran out at page 5"):
            df = fetch_frame(api.client(), "trade_page", progress=False, concurrency=concurrency)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 2**20  # nothing sized by the total
    assert len(df) == 499 and df["cid"].is_unique
    # the data's 5 pages, one empty page, those in flight, and pages 5 and 6 asked again twice
    # (page_attempts=3) before the end is believed
    assert len(api.calls) <= 6 + concurrency + 2 * 2
    assert api.asked[5] == api.asked[6] == 3
    assert df.attrs["complete"] is False  # the total promised rows the pages never gave
    mismatch = df.attrs["mismatch"]
    assert mismatch["total"] == total and mismatch["rows"] == 499
    assert mismatch["ended_at_page"] == 5
    assert df.attrs["pages"] == 5 and df.attrs["total"] == total
    with pytest.raises(CregisFetchError, match="ran out"):
        fetch_frame(api.client(), "trade_page", progress=False, on_mismatch="raise")


def test_iter_pages_stops_at_an_empty_page_whatever_the_total() -> None:
    api = FakeAPI(499)
    api.total = 10**7
    assert [len(e.data["rows"]) for e in iter_pages(api.client(), "trade_page")] == [
        100,
        100,
        100,
        100,
        99,
        0,
    ]


def test_a_failure_past_a_huge_total_lists_a_bounded_number_of_missing_pages() -> None:
    api = FakeAPI(950)
    api.total = 10**11
    api.error_pages = {3}
    with pytest.raises(CregisFetchError) as info:
        fetch_frame(api.client(retry=False), "trade_page", progress=False, timing=NO_WAIT)
    missing = info.value.missing_pages
    assert 3 in missing and len(missing) <= 1_100
    api.error_pages = set()
    with pytest.warns(CregisConsistencyWarning):
        df = info.value.resume()
    assert len(df) == 950 and df.attrs["mismatch"]["ended_at_page"] == 10


# -- the property: exact, or incomplete and saying so, or an error that resumes ------------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.integers(0, 700),
    page_size=st.sampled_from([7, 50, 100]),
    concurrency=st.sampled_from([1, 3, 8]),
    total=st.sampled_from(["real", "null", "overstated"]),
    wrong=st.sampled_from([0.0, 0.1, 0.3]),
    seed=st.integers(0, 2**32),
)
def test_wrong_pages_never_give_a_silently_wrong_frame(
    rows: int, page_size: int, concurrency: int, total: str, wrong: float, seed: int
) -> None:
    api = FakeAPI(rows)
    api.total = {"real": REAL, "null": None, "overstated": rows + 1 + seed % 10**9}[total]
    dice = random.Random(seed)
    kinds = list(WRONG)

    def tamper(page: int, nth: int, data: dict[str, Any]) -> Any:
        return WRONG[dice.choice(kinds)](data) if dice.random() < wrong else data

    api.tamper = tamper
    every = {r["cid"] for r in api.rows}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CregisConsistencyWarning)
        try:
            df = fetch_frame(
                api.client(),
                "trade_page",
                page_size=page_size,
                concurrency=concurrency,
                progress=False,
                timing=NO_WAIT,
            )
        except CregisFetchError as err:
            assert err.partial.attrs["complete"] is False
            assert set(err.partial["cid"]) <= every and err.partial["cid"].is_unique
            api.tamper = None
            df = err.resume()
    assert df["cid"].is_unique and set(df["cid"]) <= every
    if set(df["cid"]) != every:
        assert df.attrs["complete"] is False and "mismatch" in df.attrs  # never silent
    else:
        assert df.attrs["complete"] is (total != "overstated")
    assert len(api.calls) <= 3 * (rows // page_size + 2) + 3 * concurrency + 6  # bounded
