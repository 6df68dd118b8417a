"""``Client.iter_pages`` and ``AsyncClient.iter_pages`` against the in-process sandbox."""

from __future__ import annotations

import pytest

from cregis_notebook import AsyncClient, Client


def test_client_iter_pages_walks_every_page() -> None:
    with Client.sandbox(seed=3, transactions=250, retry=False) as client:
        pages = list(client.iter_pages("trade_page", page_size=100))
    assert [len(p.data["rows"]) for p in pages] == [100, 100, 50]
    assert all(p.ok for p in pages)
    cids = [row["cid"] for p in pages for row in p.data["rows"]]
    assert len(cids) == len(set(cids)) == pages[0].data["total"] == 250


@pytest.mark.anyio
async def test_async_client_iter_pages_is_an_async_iterator() -> None:
    async with AsyncClient.sandbox(seed=3, transactions=120, retry=False) as client:
        sizes = [len(p.data["rows"]) async for p in client.iter_pages("trade_page", page_size=50)]
    assert sizes == [50, 50, 20]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_sandbox_client_shares_the_sandbox_clock() -> None:
    from cregis_notebook.sandbox import FakeClock

    clock = FakeClock(1_750_000_000.0)
    with Client.sandbox(seed=1, transactions=50, clock=clock) as client:
        assert client.sandbox_app.clock is clock
        assert client.prepare("coins").body["timestamp"] == 1_750_000_000_000
        clock.advance(2.5)
        assert client.prepare("coins").body["timestamp"] == 1_750_000_002_500
