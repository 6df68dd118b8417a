"""The local store syncs a team through the Team API: every team table equals what fresh
fetches return, after the first sync and after later ones as in-flight transfers complete and
new ones arrive; a later sync fetches only the new history; the Access Secret is never stored."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

import cregis_notebook as cn
from cregis_notebook import AsyncTeamClient, TeamClient
from cregis_notebook.errors import CregisStoreError
from cregis_notebook.sandbox import FakeClock, Sandbox, SandboxServer

NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z
SECRET = "team-secret-7c41e9b2d05a"
TEAM_TABLES = [
    "team_wallets",
    "team_addresses",
    "team_balances",
    "team_address_balances",
    "team_transactions",
    "team_processing",
]
HISTORY_KEY = ["txid", "chain_id", "token_id", "transaction_type", "from_address", "to_address",
               "amount"]  # fmt: skip


def fetch(team: TeamClient, endpoint: str, **filters: Any) -> pd.DataFrame:
    return cn.fetch_frame(team, endpoint, progress=False, **filters)


def same(stored: pd.DataFrame, fetched: pd.DataFrame, keys: list[str]) -> None:
    """``stored`` (owner columns dropped) equals ``fetched``, row for row and value for value."""
    if not len(fetched):
        assert not len(stored)
        return
    pd.testing.assert_frame_equal(
        stored.sort_values(keys, kind="stable", ignore_index=True),
        fetched.sort_values(keys, kind="stable", ignore_index=True),
    )


def assert_matches_fetch(store: cn.Store, team: TeamClient) -> None:
    """Every team table of the store equals what fresh fetches return now."""
    key = team.access_key
    wallets = fetch(team, "list_wallets")
    same(store.frame("team_wallets", team=key).drop(columns="team"), wallets, ["wallet_id"])
    addresses = store.frame("team_addresses", team=key)
    balances = store.frame("team_balances", team=key)
    by_address = store.frame("team_address_balances", team=key)
    for frame in (balances, by_address):
        assert frame["as_of"].nunique() >= 1
    latest = {
        endpoint: frame[frame["as_of"] == frame["as_of"].max()]
        for endpoint, frame in [
            ("query_wallet_balance", balances),
            ("query_wallet_address_balance", by_address),
        ]
    }
    chain_columns = [c for c in wallets.columns if c.endswith(".chain_id")]
    listed = 0
    for _, wallet in wallets.iterrows():
        wid = int(wallet["wallet_id"])
        for chain in dict.fromkeys(wallet[chain_columns].dropna().tolist()):
            mine = addresses[(addresses["wallet_id"] == wid) & (addresses["chain_id"] == chain)]
            fetched = fetch(team, "list_wallet_addresses", wallet_id=wid, chain_id=chain)
            same(mine.drop(columns=["team", "wallet_id", "chain_id"]), fetched, ["address"])
            listed += len(fetched)
        for endpoint, stored in latest.items():
            fetched = fetch(team, endpoint, wallet_id=wid)
            mine = stored[stored["wallet_id"] == wid].drop(columns=["team", "wallet_id", "as_of"])
            keys = ["address", "chain_id", "token_id"] if "address" in fetched else ["chain_id"]
            same(mine, fetched, [*keys, "token_id"] if keys == ["chain_id"] else keys)
        history = store.frame("team_transactions", team=key, wallet_id=wid).drop(columns="team")
        same(history, fetch(team, "query_history_transactions", wallet_id=wid), HISTORY_KEY)
        processing = store.frame("team_processing", team=key, wallet_id=wid).drop(columns="team")
        fetched = fetch(team, "query_processing_transactions", wallet_id=wid)
        same(processing, fetched, HISTORY_KEY[:3] + HISTORY_KEY[4:])
    assert listed == len(addresses) > 0


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def box(clock: FakeClock) -> Iterator[Sandbox]:
    sandbox = Sandbox(
        seed=11, transactions=10, clock=clock, team_transactions=250, team_live_rate=0.4,
        team_settle_seconds=60, team_access_secret=SECRET,
    )  # fmt: skip
    try:
        yield sandbox
    finally:
        sandbox.close()


@pytest.fixture
def team(box: Sandbox) -> Iterator[TeamClient]:
    with box.client(client_class=TeamClient) as client:
        yield client


def test_first_sync_gives_the_fetch_frames(tmp_path: Path, team: TeamClient) -> None:
    store = cn.Store(tmp_path / "data")
    summary = store.sync(team)
    assert summary.team == team.access_key and summary.pid is None
    assert list(summary.added) == [
        "team_wallets", "team_addresses", "team_balances", "team_address_balances",
        "team_processing", "team_transactions",
    ]  # fmt: skip
    assert summary.added["team_transactions"] == 4 * 250 and summary.added["team_processing"] > 0
    assert f"team {team.access_key}" in repr(summary)
    assert sorted(store.tables) == sorted(TEAM_TABLES)
    assert_matches_fetch(store, team)
    status = store.status().set_index("table")
    assert status.loc["team_transactions", "team"] == team.access_key
    assert status.loc["team_transactions", "rows"] == 1000
    sums = store.sql(
        "select wallet_id, sum(amount) as total, count(*) as n from team_transactions "
        "group by wallet_id order by wallet_id"
    )
    history = store.frame("team_transactions")
    expected = history.groupby("wallet_id")["amount"].sum()
    assert sums.set_index("wallet_id")["total"].to_dict() == expected.to_dict()


def test_a_later_sync_fetches_only_the_new_history_and_moves_settled_transfers(
    tmp_path: Path, box: Sandbox, team: TeamClient, clock: FakeClock
) -> None:
    store = cn.Store(tmp_path / "data")
    first = store.sync(team)
    in_flight = store.frame("team_processing")
    assert len(in_flight)
    clock.advance(600)  # every transfer in flight settles; about 240 new ones arrive
    later = store.sync(team, lookback=dt.timedelta(minutes=5))
    assert later.requests < first.requests  # the history from the watermarks: one page each
    assert later.added["team_transactions"] > 0 and later.updated["team_transactions"] == 0
    history = store.frame("team_transactions")
    assert not history.duplicated(subset=["wallet_id", *HISTORY_KEY]).any()
    assert set(in_flight["txid"]) <= set(history["txid"])  # completed: now in the history
    assert not set(in_flight["txid"]) & set(store.frame("team_processing")["txid"])
    assert len(history) == first.added["team_transactions"] + later.added["team_transactions"]
    assert store.frame("team_balances")["as_of"].nunique() == 2  # snapshots are kept
    assert_matches_fetch(store, team)
    clock.advance(30)  # nothing in flight settles yet; a few new arrivals
    store.sync(team, lookback=dt.timedelta(minutes=5))
    assert_matches_fetch(store, team)


def test_the_access_secret_is_in_no_byte_of_the_store(
    tmp_path: Path, team: TeamClient, clock: FakeClock
) -> None:
    store = cn.Store(tmp_path / "data")
    store.sync(team)
    clock.advance(300)
    store.sync(team)
    store.compact()
    files = [p for p in (tmp_path / "data").rglob("*") if p.is_file()]
    assert files
    assert not [p for p in files if SECRET.encode() in p.read_bytes()]
    assert any(team.access_key.encode() in p.read_bytes() for p in files)  # the key names it


def test_projects_and_teams_share_a_store_over_http(tmp_path: Path, clock: FakeClock) -> None:
    box = Sandbox(seed=4, transactions=300, clock=clock, team_transactions=40, team_live_rate=0.2)
    with SandboxServer(box, host="127.0.0.1", port=0, close_sandbox=True) as server:
        team = TeamClient(server.base_url, box.team_access_key, box.team_access_secret, clock=clock)
        client = cn.Client(server.base_url, server.pid, server.api_key, clock=clock)
        with team, client:
            store = cn.Store(tmp_path / "data")
            store.sync(client)
            cn.sync(team, store.path)
            clock.advance(400)
            store.sync(team, lookback=dt.timedelta(minutes=2))
            assert_matches_fetch(store, team)
            trades = cn.fetch_frame(client, "trade_page", progress=False)
            assert len(store.frame("trades")) == len(trades)
            status = store.status()
            assert set(status["pid"].dropna()) == {server.pid}
            assert set(status["team"].dropna()) == {box.team_access_key}


def test_an_async_team_client_is_refused_clearly(tmp_path: Path, box: Sandbox) -> None:
    client = box.client(client_class=AsyncTeamClient)
    with pytest.raises(CregisStoreError, match="TeamClient"):
        cn.Store(tmp_path / "data").sync(client)


def test_several_teams_in_one_store_each_equal_to_its_fetch(
    tmp_path: Path, clock: FakeClock
) -> None:
    store = cn.Store(tmp_path / "data")
    teams = []
    for seed, key, wallets in [(3, "ak-one", 4), (5, "ak-two", 2), (8, "ak-three", 7)]:
        box = Sandbox(seed=seed, transactions=10, clock=clock, team_access_key=key,
                      team_wallets=wallets, team_transactions=20)  # fmt: skip
        team = box.client(client_class=TeamClient)
        store.sync(team)
        teams.append(team)
    widths = {len(cn.fetch_frame(t, "list_wallets", progress=False).columns) for t in teams}
    assert len(widths) == 3  # their wallets list different numbers of coins
    for team in teams:
        assert_matches_fetch(store, team)
    assert set(store.status()["team"]) == {"ak-one", "ak-two", "ak-three"}


class WithoutTxid(httpx.HTTPTransport):
    """Answers as the server does, but the history's first row has lost its txid."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if not request.url.path.endswith("wallet_history_transaction_info"):
            return response
        body = json.loads(response.read())
        if body["data"]["rows"]:
            del body["data"]["rows"][0]["txid"]
        return httpx.Response(response.status_code, json=body)


def test_a_transaction_without_its_identity_is_refused_not_duplicated(
    tmp_path: Path, clock: FakeClock
) -> None:
    box = Sandbox(seed=2, transactions=10, clock=clock, team_transactions=20)
    with SandboxServer(box, host="127.0.0.1", port=0, close_sandbox=True) as server:
        key, secret = box.team_access_key, box.team_access_secret
        with TeamClient(server.base_url, key, secret, clock=clock, transport=WithoutTxid()) as team:
            store = cn.Store(tmp_path / "data")
            with pytest.raises(CregisStoreError, match="lack a part of their identity"):
                store.sync(team)
    assert "team_transactions" not in store.tables and "team_wallets" in store.tables
