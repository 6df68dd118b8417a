"""One sync of one project into a store: what changed since the last one, each table in one
commit, under the store's lock.

``trades``: the first sync fetches every row; later ones fetch the rows from the watermark
(the newest ``block_time`` stored for the project) on. The ``lookback`` before it is checked
with one request of one row: when the API counts as many rows there as the store holds,
nothing arrived late and only its pending rows are asked about (below); otherwise the whole
lookback is fetched again. Rows stored as pending before that are re-queried without one
request per row (``trade_page`` filters by one ``cid`` at most): one query for the rows still
pending there (``status=0`` over their time span), then, for those that settled, time windows
around them, each joining settled rows as long as the store knows of at most a page of rows
in between (so a window costs one page). Rows are upserted by ``cid``: a status change
replaces the row, never adds one. ``balances``: a new
snapshot of every currency of the project, stamped ``as_of``. ``coins``: the project's coin
list, replaced.
"""

from __future__ import annotations

import datetime as dt
import html
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..envelope import SUCCESS
from ..errors import CregisStoreError
from ..fetch import Sink, fetch_frame
from ..pagination import DEFAULT_PAGE_SIZE
from . import delta, orders
from .layout import Layout
from .lock import SyncLock
from .recording import ObservedClient
from .schema import TABLES, TableSpec, merge_kinds, to_delta
from .stream import RunStream, SeenKeys
from .tracked import TRACKED, open_ids

__all__ = ["DEFAULT_LOOKBACK", "SyncOptions", "SyncSummary", "settled_windows"]

DEFAULT_LOOKBACK = dt.timedelta(hours=6)
"""How far before the watermark a sync fetches again: rows that arrive late or change status
within it are caught without any other request."""

PENDING = 0
"""``trade_page``'s ``status`` of a transaction waiting for confirmation."""


@dataclass(frozen=True)
class SyncOptions:
    """How a sync runs (see :meth:`Store.sync`)."""

    lookback: dt.timedelta = DEFAULT_LOOKBACK
    concurrency: int = 8
    progress: bool = False
    lock_timeout: float = 60.0


@dataclass
class SyncSummary:
    """What one sync did: rows added and updated per table, requests, seconds, watermarks;
    of a project (``pid``) or of a team (``team``, its Access Key)."""

    pid: int | None
    added: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    requests: int = 0
    seconds: float = 0.0
    watermarks: dict[str, pd.Timestamp | None] = field(default_factory=dict)
    team: str | None = None

    def frame(self) -> pd.DataFrame:
        """One row per table: ``added``, ``updated``, ``watermark``."""
        names = list(self.added)
        return pd.DataFrame(
            {
                "added": [self.added[n] for n in names],
                "updated": [self.updated.get(n, 0) for n in names],
                "watermark": [self.watermarks.get(n) for n in names],
            },
            index=pd.Index(names, name="table"),
        )

    def _title(self) -> str:
        whose = f"team {self.team}" if self.team is not None else f"project {self.pid}"
        return f"sync of {whose}: {self.requests} requests in {self.seconds:.2f} s"

    def __repr__(self) -> str:
        return f"{self._title()}\n{self.frame().to_string()}"

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(self._title())}</p>{self.frame().to_html()}"


def settled_windows(seconds: list[int], stored: np.ndarray, rows: int) -> list[tuple[int, int]]:
    """Time windows ``(start, end)`` (inclusive, epoch seconds) covering every time in
    ``seconds``; a window takes in the next time while ``stored`` (the sorted block times the
    store holds) has at most ``rows`` rows between its start and that time."""
    windows: list[tuple[int, int]] = []
    for t in sorted(seconds):
        if windows:
            start = windows[-1][0]
            inside = np.searchsorted(stored, t, "right") - np.searchsorted(stored, start, "left")
            if inside <= rows:
                windows[-1] = (start, t)
                continue
        windows.append((t, t))
    return windows


class Sync:
    """The sync of one client's project into one store."""

    def __init__(self, layout: Layout, client: Any, options: SyncOptions) -> None:
        self.layout = layout
        self.options = options
        self.pid = int(client.pid)
        self.summary = SyncSummary(self.pid)
        self.counting = threading.Lock()  # requests are sent from several threads
        self.client: Any = ObservedClient(client, self.count)  # a client, counted

    def count(self, env: Any) -> None:
        """One more request sent (whatever its answer)."""
        with self.counting:
            self.summary.requests += 1

    def fetch(
        self,
        endpoint: str,
        sink: Sink | None = None,
        concurrency: int | None = None,
        **filters: Any,
    ) -> pd.DataFrame:
        opts = self.options
        bar = opts.progress and endpoint == TABLES["trades"].endpoint  # the long one
        return fetch_frame(
            self.client, endpoint, concurrency=concurrency or opts.concurrency, progress=bar,
            sink=sink, **filters,
        )  # fmt: skip

    def run(self) -> SyncSummary:
        started = time.perf_counter()
        self.layout.create()
        with SyncLock(self.layout.lock, self.options.lock_timeout):
            self.trades()
            coins = self.coins()
            self.balances(coins)
            for table in TRACKED:
                self.tracked(TABLES[table])
        self.summary.seconds = time.perf_counter() - started
        return self.summary

    def owner(self) -> dict[str, Any]:
        """Whose rows a commit writes, for its metadata."""
        return {"pid": self.pid}

    def commit(
        self, spec: TableSpec, df: pd.DataFrame, write: Callable[..., tuple[int, int]]
    ) -> None:
        kinds = merge_kinds(self.layout.schema(spec.name), df)
        rows = to_delta(df, spec, kinds)
        meta = {**self.owner(), "rows": rows.num_rows, "requests": self.summary.requests}
        added, updated = write(self.layout.table(spec.name), rows, spec, meta)
        self.summary.added[spec.name] = added
        self.summary.updated[spec.name] = updated

    # -- the tables ------------------------------------------------------------------------

    def trades(self) -> None:
        spec = TABLES["trades"]
        path = self.layout.table(spec.name)
        watermark = self.watermark(spec) if delta.exists(path) else None
        if watermark is None:  # nothing of this project yet: every row, streamed
            self.summary.added[spec.name] = self.stream_all(spec)
            self.summary.updated[spec.name] = 0
            self.summary.watermarks[spec.name] = self.watermark(spec)
            return
        else:
            end = int(watermark.timestamp())  # the watermark's second is fetched again
            start = min(end, int((watermark - self.options.lookback).timestamp()))
            frames = [self.fetch(spec.endpoint, blocktime_start=end)]
            if start < end and self.arrived_late(spec, path, start, end - 1):
                frames.append(self.fetch(spec.endpoint, blocktime_start=start,
                                         blocktime_end=end - 1))  # fmt: skip
                end = start
            frames += self.old_pending(spec, path, end)
        frames = [f for f in frames if len(f)]
        if frames:
            df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
            df = df.drop_duplicates(subset=list(spec.key), keep="first", ignore_index=True)
            self.commit(spec, df, delta.upsert)
        else:
            self.summary.added[spec.name] = self.summary.updated[spec.name] = 0
        self.summary.watermarks[spec.name] = self.watermark(spec)

    def stream_all(self, spec: TableSpec) -> int:
        """Every row of ``spec``'s table for this project, appended in one commit while the
        pages arrive; the rows added (a row key repeated across runs is added once)."""
        seen = SeenKeys()
        path, schema = self.layout.table(spec.name), self.layout.schema(spec.name)
        (key,) = [k for k in spec.key if k != "pid"]
        kinds: dict[str, Any] = {}

        def convert(run: pd.DataFrame) -> pa.Table:
            run.attrs = {}  # not copied along by every step below
            if run[key].isna().any():
                raise CregisStoreError(f"{spec.endpoint} answered a row without {key}")
            run = run.loc[seen.fresh(run[key].to_numpy(np.int64))]
            run = run.drop_duplicates(subset=[key], ignore_index=True)
            seen.add(run[key].to_numpy(np.int64))
            if not kinds:  # the first run sets the columns (a later one may not add any)
                kinds.update(merge_kinds(schema, run))
            return to_delta(run, spec, kinds)

        def write(reader: pa.RecordBatchReader) -> int:
            meta = {"pid": self.pid, "requests": self.summary.requests, "full": True}
            return delta.append(path, reader, spec, meta)

        stream = RunStream(convert, write)
        try:
            self.fetch(spec.endpoint, sink=stream.put)
        except BaseException as exc:
            stream.close(exc)
            raise
        return int(stream.close() or 0)

    def arrived_late(self, spec: TableSpec, path: Any, start: int, end: int) -> bool:
        """Whether the API holds other rows from ``start`` to ``end`` (inclusive, epoch
        seconds) than the store: one request of one row, its ``total`` against the rows
        stored there (rows are never removed, so equal counts mean the same rows)."""
        env = self.client.request(
            spec.endpoint, blocktime_start=start, blocktime_end=end, page_num=1, page_size=1
        ).raise_for_code()
        lo, hi = (pa.scalar(pd.Timestamp(t, unit="s", tz="UTC"), pa.timestamp("us", "UTC"))
                  for t in (start, end + 1))  # fmt: skip
        field_ = pc.field
        expr = (field_("pid") == self.pid) & (field_("block_time") >= lo)
        stored = delta.read(path, expr & (field_("block_time") < hi), columns=["cid"])
        return int(env.data["total"]) != stored.num_rows

    def old_pending(self, spec: TableSpec, path: Any, before: int) -> list[pd.DataFrame]:
        """The current rows of those stored as pending before ``before`` (epoch seconds); the
        windows of settled rows are asked for ``concurrency`` at a time."""
        field_ = pc.field
        cutoff = pa.scalar(pd.Timestamp(before, unit="s", tz="UTC"), pa.timestamp("us", "UTC"))
        expr = (field_("pid") == self.pid) & (field_("status") == PENDING)
        expr = expr & (field_("block_time") < cutoff)
        old = delta.read(path, expr, columns=["cid", "block_time"]).to_pandas()
        if not len(old):
            return []
        old["second"] = old["block_time"].map(lambda t: int(t.timestamp()))
        still = self.fetch(
            spec.endpoint, status=PENDING, blocktime_start=int(old["second"].min()),
            blocktime_end=before,
        )  # fmt: skip
        settled = old.loc[~old["cid"].isin(set(still["cid"].dropna().tolist()))]
        frames = [still]
        if len(settled):
            mine = delta.read(path, {"pid": self.pid}, columns=["block_time"]).column(0)
            stored = np.sort(pc.cast(mine, pa.timestamp("s", "UTC")).cast(pa.int64()).to_numpy())
            rows = DEFAULT_PAGE_SIZE - 1  # a short page: no end check after it
            windows = settled_windows(settled["second"].tolist(), stored, rows)
            with ThreadPoolExecutor(self.options.concurrency, "cregis-store-windows") as pool:
                frames += pool.map(lambda w: self.fetch(spec.endpoint, concurrency=1,
                                   blocktime_start=w[0], blocktime_end=w[1]), windows)  # fmt: skip
        return frames

    def watermark(self, spec: TableSpec) -> pd.Timestamp | None:
        """The newest time stored for this project in ``spec``'s table."""
        path = self.layout.table(spec.name)
        if spec.time is None or not delta.exists(path):
            return None
        column = delta.read(path, {"pid": self.pid}, columns=[spec.time]).column(spec.time)
        newest = pc.max(column).as_py()
        return None if newest is None else pd.Timestamp(newest).tz_convert("UTC")

    def tracked(self, spec: TableSpec) -> None:
        """The latest state of every tracked id of ``spec``'s table not yet final."""
        ids = open_ids(self.layout, spec.name, self.pid)
        self.summary.added[spec.name] = self.summary.updated[spec.name] = 0
        if not ids:
            return
        if spec.name == "orders":
            answers = orders.ask(self.client, ids, self.options.concurrency)
            found = orders.rows(answers, self.pid)  # an unknown id: no row yet
            if len(found):
                self.commit(spec, found, delta.upsert)
            return
        df = self.fetch(spec.endpoint, cid=ids, errors="row")
        if len(df) != len(ids):
            raise CregisStoreError(
                f"{spec.endpoint} answered {len(df)} rows for {len(ids)} ids; nothing committed"
            )
        df.insert(1 if "pid" in df.columns else 0, "cid", pd.Series(ids, dtype="Int64"))
        known = df[df["code"] == SUCCESS].reset_index(drop=True)  # an unknown id: no row yet
        if len(known):
            self.commit(spec, with_pid(known, self.pid), delta.upsert)

    def coins(self) -> pd.DataFrame:
        spec = TABLES["coins"]
        df = with_pid(self.fetch(spec.endpoint), self.pid)

        def write(path: Any, rows: pa.Table, spec: TableSpec, meta: Mapping[str, Any]) -> Any:
            return delta.replace(path, rows, spec, self.pid, meta)

        self.commit(spec, df, write)
        return df

    def balances(self, coins: pd.DataFrame) -> None:
        as_of = pd.Timestamp.now(tz="UTC").floor("ms")
        frames = [with_pid(f, self.pid) for f in self.each_currency(coins)]
        self.snapshot(TABLES["balances"], frames, as_of)

    def snapshot(self, spec: TableSpec, frames: list[pd.DataFrame], as_of: pd.Timestamp) -> None:
        """``frames`` (rows with their owner) added to ``spec``'s table as one snapshot,
        stamped ``as_of``."""
        frames = [f for f in frames if len(f)]
        if frames:
            df = pd.concat(frames, ignore_index=True)
            df["as_of"] = pd.Series([as_of] * len(df), dtype="datetime64[ms, UTC]")
            self.commit(spec, df, delta.upsert)
        else:
            self.summary.added[spec.name] = self.summary.updated[spec.name] = 0
        self.summary.watermarks[spec.name] = as_of

    def each_currency(self, coins: pd.DataFrame) -> list[pd.DataFrame]:
        """The balances of every currency of ``coins``, ``concurrency`` currencies at a time
        (each a fetch of its own, one request in flight), in the coins' order."""
        pairs = coins[["chain_id", "token_id"]].dropna().drop_duplicates()
        currencies = [f"{chain}@{token}" for chain, token in pairs.itertuples(index=False)]
        endpoint = TABLES["balances"].endpoint
        with ThreadPoolExecutor(self.options.concurrency, "cregis-store-balances") as pool:
            return list(pool.map(lambda c: self.fetch(endpoint, currency=c, concurrency=1),
                                 currencies))  # fmt: skip


def with_pid(df: pd.DataFrame, pid: int) -> pd.DataFrame:
    """``df`` with a ``pid`` column first (added when the endpoint's rows have none)."""
    if "pid" not in df.columns:
        df = df.copy()
        df.insert(0, "pid", pd.Series([pid] * len(df), dtype="Int64", index=df.index))
    return df
