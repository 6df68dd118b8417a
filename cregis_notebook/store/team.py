"""One sync of a team (the Team API, through a :class:`~cregis_notebook.TeamClient`) into a
store: the team tables, each written in one commit under the store's lock.

Every row carries ``team``, the team's Access Key (public, like a project's ``pid``); the
Access Secret is never written. The tables (:data:`~.schema.TEAM_TABLES`):

* ``team_wallets``: ``list_wallets``, replaced by each sync;
* ``team_addresses``: ``list_wallet_addresses`` of every wallet on every chain of its coins,
  with ``wallet_id`` and ``chain_id``, replaced by each sync;
* ``team_balances`` and ``team_address_balances``: a snapshot of ``query_wallet_balance`` and
  ``query_wallet_address_balance`` of every wallet (with ``wallet_id``), stamped ``as_of``,
  kept like ``balances``;
* ``team_processing``: ``query_processing_transactions`` of every wallet, the transfers in
  flight as the sync asked, replaced by each sync (each wallet's fetched before its history, so
  a transfer that completes meanwhile is in both rather than in neither until the next sync);
* ``team_transactions``: ``query_history_transactions`` of every wallet, upserted by the row's
  identity (its txid, wallet, chain, token, direction, both addresses and amount). A wallet's
  first sync fetches its whole history; later ones fetch from its watermark (the newest
  ``block_time`` stored for the wallet) minus the lookback.

The wallets are fetched concurrently, with at most ``concurrency`` requests in flight for the
whole sync (see :class:`TeamSync`); the rows committed are the same as one request at a time.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import CregisStoreError
from . import delta
from .layout import Layout
from .lock import SyncLock
from .schema import TEAM, TEAM_TABLES, TableSpec
from .syncer import Sync, SyncOptions, SyncSummary

__all__ = ["TeamSync"]

WALLETS = TEAM_TABLES["team_wallets"]
ADDRESSES = TEAM_TABLES["team_addresses"]
BALANCES = TEAM_TABLES["team_balances"]
ADDRESS_BALANCES = TEAM_TABLES["team_address_balances"]
HISTORY = TEAM_TABLES["team_transactions"]
PROCESSING = TEAM_TABLES["team_processing"]

T = TypeVar("T")


class TeamSync(Sync):
    """The sync of one team client's team into one store.

    After ``list_wallets``, the wallets' requests are sent concurrently (a thread per wallet
    task, ``options.concurrency`` at a time), every one through one :class:`PacedClient`: at
    most ``options.concurrency`` requests in flight for the whole sync, however many wallets
    and pages (one wallet's fetch asks for up to its share of them at once). The tables are
    committed as the requests were planned: in the same order, one commit each, their rows in
    wallet order (then chain order for the addresses), whatever order the answers came back
    in. ``concurrency=1`` sends them one at a time.
    """

    def __init__(self, layout: Layout, client: Any, options: SyncOptions) -> None:
        super().__init__(layout, client, options)
        self.per_fetch = options.concurrency  # requests in flight of one wallet's fetch

    def begin(self, client: Any) -> SyncSummary:
        """Whose sync this is (the client's team, by its Access Key), as an empty summary."""
        self.team = str(client.access_key)
        return SyncSummary(None, team=self.team)

    def owner(self) -> dict[str, Any]:
        return {TEAM: self.team}

    def run(self) -> SyncSummary:
        started = time.perf_counter()
        self.layout.create()
        with SyncLock(self.layout.lock, self.options.lock_timeout):
            wallets = self.fetch(WALLETS.endpoint)
            ids = [int(w) for w in wallets["wallet_id"].dropna().tolist()] if len(wallets) else []
            self.replace(WALLETS, [self.owned(wallets)])
            # the pages of one wallet's fetch share the room: a fetch of one page among many
            # wallets starts no idle workers, a wallet alone still has every slot
            self.per_fetch = -(-self.options.concurrency // max(1, len(ids)))
            with ThreadPoolExecutor(self.options.concurrency, "cregis-team-sync") as pool:
                try:
                    self.wallets(pool, wallets, ids)
                except BaseException:
                    pool.shutdown(cancel_futures=True)  # what was committed stays
                    raise
        self.summary.seconds = time.perf_counter() - started
        return self.summary

    def wallets(self, pool: ThreadPoolExecutor, wallets: pd.DataFrame, ids: list[int]) -> None:
        """Every wallet's requests submitted to ``pool`` at once; each table committed once its
        own answers are in: addresses, both balance snapshots, transfers in flight, history."""
        chains = [pool.submit(self.addresses, w, c) for w, c in wallet_chains(wallets)]
        as_of = pd.Timestamp.now(tz="UTC").floor("ms")
        due = (BALANCES, ADDRESS_BALANCES) if self.balances_due(BALANCES) else ()
        snapshots = {spec: [pool.submit(self.per_wallet, spec, w) for w in ids]
                     for spec in due}  # fmt: skip
        marks = self.watermarks()
        flows = [pool.submit(self.flows, w, marks.get(w)) for w in ids]
        self.replace(ADDRESSES, answers(chains))
        for spec, futures in snapshots.items():
            self.snapshot(spec, answers(futures), as_of)
        for spec in (BALANCES, ADDRESS_BALANCES):
            if spec not in snapshots:  # none due: the newest stays
                self.summary.added[spec.name] = self.summary.updated[spec.name] = 0
                self.summary.watermarks[spec.name] = self.watermark(spec)
        processing, history = zip(*answers(flows), strict=True) if flows else ((), ())
        self.replace(PROCESSING, list(processing))
        self.history(list(history))

    def owned(self, df: pd.DataFrame, **front: Any) -> pd.DataFrame:
        """``df`` with ``team`` first, then each of ``front`` (name: value) it does not hold."""
        df = df.copy()
        df.attrs = {}
        columns = {TEAM: self.team, **{k: v for k, v in front.items() if k not in df.columns}}
        for at, (name, value) in enumerate(columns.items()):
            dtype = "Int64" if isinstance(value, int) else "string"
            df.insert(at, name, pd.Series([value] * len(df), dtype=dtype, index=df.index))
        return df

    def per_wallet(self, spec: TableSpec, wallet_id: int, **filters: Any) -> pd.DataFrame:
        """``spec``'s rows of one wallet, owned (with ``wallet_id``)."""
        df = self.fetch(spec.endpoint, concurrency=self.per_fetch, wallet_id=wallet_id, **filters)
        return self.owned(df, wallet_id=wallet_id)

    def addresses(self, wallet_id: int, chain_id: str) -> pd.DataFrame:
        """The addresses of one wallet on one chain, owned (with ``wallet_id``, ``chain_id``)."""
        df = self.fetch(ADDRESSES.endpoint, concurrency=self.per_fetch, wallet_id=wallet_id,
                        chain_id=chain_id)  # fmt: skip
        return self.owned(df, wallet_id=wallet_id, chain_id=chain_id)

    def flows(self, wallet_id: int, mark: pd.Timestamp | None) -> tuple[pd.DataFrame, pd.DataFrame]:
        """One wallet's transfers in flight, then its completed transactions since ``mark``
        minus the lookback (all of them without a ``mark``). In that order: a transfer that
        completes in between is in both rather than in neither until the next sync."""
        processing = self.per_wallet(PROCESSING, wallet_id)
        since = {} if mark is None else {
            "blocktime_start": int((mark - self.options.lookback).timestamp())
        }  # fmt: skip
        return processing, self.per_wallet(HISTORY, wallet_id, **since)

    def replace(self, spec: TableSpec, frames: list[pd.DataFrame]) -> None:
        """The team's rows of ``spec``'s table replaced by ``frames`` (removed when empty)."""
        frames = [f for f in frames if len(f)]
        if not frames:
            path = self.layout.table(spec.name)
            meta = {**self.owner(), "rows": 0, "requests": self.summary.requests}
            delta.replace(path, None, spec, self.team, meta)
            self.summary.added[spec.name] = self.summary.updated[spec.name] = 0
            return

        def write(path: Any, rows: pa.Table, spec: TableSpec, meta: Mapping[str, Any]) -> Any:
            return delta.replace(path, rows, spec, self.team, meta)

        self.commit(spec, pd.concat(frames, ignore_index=True), write)

    def history(self, frames: list[pd.DataFrame]) -> None:
        """The wallets' completed transactions (:meth:`flows`), upserted in one commit."""
        frames = [f for f in frames if len(f)]
        if frames:
            df = pd.concat(frames, ignore_index=True)
            parts = [k for k in HISTORY.key if k != TEAM]
            blank = df[parts].isna().any(axis=1)
            if blank.any():  # a merge matches no missing value: each sync would add it again
                raise CregisStoreError(
                    f"{HISTORY.name}: {int(blank.sum())} transaction(s) lack a part of their "
                    f"identity ({', '.join(parts)}), by which the store keys them; nothing of "
                    "this table was committed"
                )
            self.commit(HISTORY, df, delta.upsert)
        else:
            self.summary.added[HISTORY.name] = self.summary.updated[HISTORY.name] = 0
        newest = max(self.watermarks().values(), default=None)
        self.summary.watermarks[HISTORY.name] = newest

    def watermarks(self) -> dict[int, pd.Timestamp]:
        """The newest ``block_time`` stored for each of the team's wallets."""
        path = self.layout.table(HISTORY.name)
        if not delta.exists(path):
            return {}
        rows = delta.read(path, {TEAM: self.team}, columns=["wallet_id", "block_time"])
        newest = rows.group_by("wallet_id").aggregate([("block_time", "max")])
        times = pc.cast(newest.column("block_time_max"), pa.timestamp("ms", "UTC"))
        return {
            int(w): pd.Timestamp(t).tz_convert("UTC")
            for w, t in zip(newest.column("wallet_id").to_pylist(), times.to_pylist(), strict=True)
        }


def wallet_chains(wallets: pd.DataFrame) -> list[tuple[int, str]]:
    """``(wallet_id, chain_id)`` of every wallet on every chain of its coins
    (``tokens.N.chain_id``), in the wallets' order, then the coins'."""
    chain_columns = [c for c in wallets.columns if c.startswith("tokens.")
                     and c.endswith(".chain_id")]  # fmt: skip
    pairs = []
    for _, wallet in wallets.iterrows():
        for chain in dict.fromkeys(str(c) for c in wallet[chain_columns].dropna().tolist()):
            pairs.append((int(wallet["wallet_id"]), chain))
    return pairs


def answers(futures: list[Future[T]]) -> list[T]:
    """The results of ``futures`` in their order (the first failure raised)."""
    return [f.result() for f in futures]
