"""A team sync fetches its wallets concurrently over real HTTP: several requests in flight, never
more than ``concurrency`` for the whole sync, the same rows in the same order as one request at
a time, and a failing wallet stops the sync with what was committed before it kept."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
from inflight import InFlight

import cregis_notebook as cn
from cregis_notebook import TeamClient
from cregis_notebook.errors import CregisValidationError
from cregis_notebook.sandbox import FakeClock, Sandbox, SandboxServer

NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z
TEAM_TABLES = ["team_wallets", "team_addresses", "team_balances", "team_address_balances",
               "team_processing", "team_transactions"]  # fmt: skip


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


def served(clock: FakeClock, **knobs: Any) -> SandboxServer:
    box = Sandbox(seed=6, transactions=10, clock=clock, **knobs)
    return SandboxServer(box, host="127.0.0.1", port=0, close_sandbox=True)


def team_client(
    server: SandboxServer, clock: FakeClock, transport: httpx.BaseTransport, **options: Any
) -> TeamClient:
    box: Any = server.sandbox  # the Sandbox served
    key, secret = box.team_access_key, box.team_access_secret
    return TeamClient(server.base_url, key, secret, clock=clock, transport=transport, **options)


def test_the_wallets_are_asked_about_concurrently(tmp_path: Path, clock: FakeClock) -> None:
    # every fetch is one page: a sync of one wallet at a time never has two requests in flight
    with served(clock, team_wallets=6, team_transactions=20) as server:
        wire = InFlight(wait_for_company=True)
        with team_client(server, clock, wire) as team:
            summary = cn.Store(tmp_path / "data").sync(team, concurrency=4)
    assert wire.company.is_set() and 2 <= wire.peak <= 4
    assert summary.requests == wire.sent


def test_at_most_concurrency_requests_in_flight_for_the_whole_sync(
    tmp_path: Path, clock: FakeClock
) -> None:
    # three wallets of ten pages each, answered slowly: each history fetch may have two pages
    # in flight (4 requests shared by 3 wallets), six in all but for the sync's one limit
    with served(clock, team_wallets=3, team_transactions=1000, latency_ms=15) as server:
        wire = InFlight()
        with team_client(server, clock, wire) as team:
            summary = cn.Store(tmp_path / "data").sync(team, concurrency=4)
    assert wire.peak == 4
    assert summary.requests == wire.sent
    assert summary.added["team_transactions"] == 3 * 1000


def test_one_at_a_time_and_concurrently_commit_the_same_rows_in_the_same_order(
    tmp_path: Path, clock: FakeClock
) -> None:
    box = Sandbox(seed=9, transactions=10, clock=clock, team_wallets=12, team_transactions=150,
                  latency_ms=0, jitter_ms=0)  # fmt: skip
    stores = {}
    for concurrency in (1, 8):
        with box.client(client_class=TeamClient) as team:
            store = cn.Store(tmp_path / f"c{concurrency}")
            summary = store.sync(team, concurrency=concurrency)
            stores[concurrency] = (store, summary)
    (one, first), (many, second) = stores[1], stores[8]
    assert first.added == second.added and first.requests == second.requests
    for table in TEAM_TABLES:
        left, right = one.frame(table), many.frame(table)
        if "as_of" in left:
            left, right = left.drop(columns="as_of"), right.drop(columns="as_of")
        pd.testing.assert_frame_equal(left, right)  # unsorted: the order too
    versions = many.status().set_index("table")["version"]
    assert (versions[TEAM_TABLES] == 0).all()  # one commit per table


class FailingBalances(httpx.HTTPTransport):
    """Answers HTTP 500 to every balance request of one wallet."""

    def __init__(self, wallet_id: int) -> None:
        super().__init__()
        self.wallet_id = wallet_id

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content or b"{}")
        if request.url.path.endswith("/wallet_balance") and body.get("wallet_id") == self.wallet_id:
            return httpx.Response(500, text="unavailable")
        return super().handle_request(request)


def test_a_failing_wallet_stops_the_sync_and_what_came_before_stays_committed(
    tmp_path: Path, clock: FakeClock
) -> None:
    with served(clock, team_wallets=5, team_transactions=30) as server:
        wallets = cn.fetch_frame(
            team_client(server, clock, httpx.HTTPTransport()), "list_wallets", progress=False
        )
        bad = int(wallets["wallet_id"].iloc[2])
        with team_client(server, clock, FailingBalances(bad), retry=False) as team:
            store = cn.Store(tmp_path / "data")
            with pytest.raises(cn.CregisFetchError):
                store.sync(team, concurrency=4)
    assert sorted(store.tables) == ["team_addresses", "team_wallets"]
    assert not [t for t in threading.enumerate() if t.name.startswith("cregis-team-sync")]


def test_no_requests_in_flight_is_refused_before_anything_is_sent(
    tmp_path: Path, clock: FakeClock
) -> None:
    wire = InFlight()
    refused = pytest.raises(CregisValidationError, match="concurrency must be an int of at least 1")
    with served(clock) as server, team_client(server, clock, wire) as team, refused:
        cn.Store(tmp_path / "data").sync(team, concurrency=0)
    assert wire.sent == 0
