"""``fetch_frame(sink=...)``: the rows of a fetch handed over run by run, in page order, none
kept; the runs together are exactly the frame the fetch would return."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

import cregis_notebook as cn
from cregis_notebook.fetch import FetchTiming
from cregis_notebook.fetch.state import FetchState
from cregis_notebook.sandbox import FakeClock, Sandbox


@pytest.fixture
def client() -> cn.Client:
    return Sandbox(seed=21, transactions=2_345, clock=FakeClock()).client()


def test_runs_together_are_the_frame(client: cn.Client) -> None:
    runs: list[pd.DataFrame] = []
    timing = FetchTiming(run_pages=3)
    empty = cn.fetch_frame(client, "trade_page", progress=False, timing=timing, sink=runs.append)
    full = cn.fetch_frame(client, "trade_page", progress=False)
    assert len(runs) == 8  # 24 pages: 7 runs of 3 while pages arrive, the rest at the end
    pd.testing.assert_frame_equal(pd.concat(runs, ignore_index=True), full)
    assert len(empty) == 0 and list(empty.columns) == list(full.columns)
    assert empty.attrs["streamed"] == len(full) and empty.attrs["complete"] is True
    assert "mismatch" not in empty.attrs


def test_an_unpaged_endpoint_gives_its_one_frame(client: cn.Client) -> None:
    runs: list[pd.DataFrame] = []
    empty = cn.fetch_frame(client, "project_coins", progress=False, sink=runs.append)
    pd.testing.assert_frame_equal(runs[0], cn.fetch_frame(client, "project_coins", progress=False))
    assert len(empty) == 0 and empty.attrs["streamed"] == len(runs[0])


async def _afetch(client: cn.AsyncClient, runs: list[pd.DataFrame]) -> pd.DataFrame:
    return await cn.afetch_frame(client, "trade_page", progress=False, sink=runs.append)


def test_the_async_fetch_streams_too() -> None:
    import asyncio

    box = Sandbox(seed=21, transactions=2_345, clock=FakeClock())
    runs: list[pd.DataFrame] = []
    empty = asyncio.run(_afetch(box.async_client(), runs))
    full = cn.fetch_frame(box.client(), "trade_page", progress=False)
    pd.testing.assert_frame_equal(pd.concat(runs, ignore_index=True), full)
    assert empty.attrs["streamed"] == len(full)


def test_pages_handed_over_keep_one_shared_entry_each_kind(
    client: cn.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a streamed fetch keeps of the pages it handed over does not grow with their rows:
    pages alike (same answer, total and row count) share one entry."""
    states: list[FetchState] = []
    hand_over = FetchState._hand_over

    def watched(self: FetchState, pages: Any, run: Any) -> None:
        states.append(self)
        hand_over(self, pages, run)

    monkeypatch.setattr(FetchState, "_hand_over", watched)
    cn.fetch_frame(client, "trade_page", progress=False, sink=lambda run: None)
    (state,) = set(states)
    entries = [state.pages[page] for page in sorted(state.pages)]  # in page order
    assert len(entries) == 24  # 23 full pages and a short one
    assert len({id(e) for e in entries}) == 2
    assert [len(e["data"]["rows"]) for e in entries] == [100] * 23 + [45]
    assert {e["data"]["total"] for e in entries} == {2_345}
