"""One sync of one project into a store: what changed since the last one, each table in one
commit, under the store's lock.

The parts run at once, every request through one :class:`~.paced.PacedClient` (at most
``concurrency`` requests in flight for the whole sync, one rate control): the trades on one
side; the coins, the balance snapshot and the tracked ids on the other. The requests that
other requests wait on (the lookback's count, the rows still pending, the windows of settled
rows) take the next free slot before the others (:meth:`.PacedClient.ahead`).

``trades``: the first sync fetches every row; later ones fetch the rows from the watermark
(the newest ``block_time`` stored for the project) on. The ``lookback`` before it is checked
with one request of one row: when the API counts as many rows there as the store holds,
nothing arrived late and only its pending rows are asked about (below); otherwise the whole
lookback is fetched again. Rows stored as pending before that are re-queried without one
request per row (``trade_page`` filters by one ``cid`` at most): one query for the rows still
pending there (``status=0`` over their time span), then, for those that settled, time windows
around them, each joining settled rows as long as the store knows of at most a page of rows
in between (so a window costs one request; :mod:`.windows`). Rows are upserted by ``cid``: a
status change replaces the row, never adds one. ``balances``: a new snapshot of every currency
of the project, stamped ``as_of``, at every sync (``balances=True``), never (``False``), or
when the newest is at least a given age (a ``timedelta``). ``coins``: the project's coin list,
replaced.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ..envelope import SUCCESS
from ..errors import CregisStoreError, CregisValidationError
from ..fetch import Pace, Sink, fetch_frame
from ..frames import FrameBuilder
from ..pagination import DEFAULT_PAGE_SIZE
from . import delta, orders
from .known import PENDING, Known
from .layout import Layout
from .lock import SyncLock
from .paced import PacedClient
from .schema import TABLES, TableSpec, merge_kinds, to_delta
from .stream import RunStream, SeenKeys
from .tracked import TRACKED, open_ids
from .windows import fetch_windows, settled_windows

__all__ = ["DEFAULT_LOOKBACK", "Snapshots", "SyncOptions", "SyncSummary"]

DEFAULT_LOOKBACK = dt.timedelta(hours=6)
"""How far before the watermark a sync fetches again: rows that arrive late or change status
within it are caught without any other request."""

Snapshots = bool | dt.timedelta
"""When a sync adds a balance snapshot: ``True`` at every sync, ``False`` never, a
:class:`~datetime.timedelta` when the newest snapshot of the project is at least that old (or
there is none)."""


@dataclass(frozen=True)
class SyncOptions:
    """How a sync runs (see :meth:`Store.sync`)."""

    lookback: dt.timedelta = DEFAULT_LOOKBACK
    concurrency: int = 8
    progress: bool = False
    lock_timeout: float = 60.0
    balances: Snapshots = True

    def __post_init__(self) -> None:
        """Refuse an option out of its range before anything is sent, naming it."""
        count = self.concurrency
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise CregisValidationError(f"concurrency must be an int of at least 1, got {count!r}")
        if not isinstance(self.lookback, dt.timedelta) or self.lookback < dt.timedelta(0):
            raise CregisValidationError(
                f"lookback must be a datetime.timedelta of zero or more, got {self.lookback!r}"
            )
        when = self.balances
        if not isinstance(when, (bool, dt.timedelta)) or (
            isinstance(when, dt.timedelta) and when < dt.timedelta(0)
        ):
            raise CregisValidationError(
                "balances must be True (a snapshot at every sync), False (none) or a "
                f"datetime.timedelta of zero or more (when the newest is that old), got {when!r}"
            )


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


class Sync:
    """The sync of one client's project into one store."""

    def __init__(self, layout: Layout, client: Any, options: SyncOptions) -> None:
        self.layout = layout
        self.options = options
        self.summary = self.begin(client)
        self.counting = threading.Lock()  # requests are sent from several threads
        pace = Pace(options.concurrency)  # every request of the sync passes it
        self.client: Any = PacedClient(client, self.count, pace)  # every request counted
        self.first: Any = self.client.ahead()
        """The same, for the requests other work waits on: they take the next free slot."""

    def begin(self, client: Any) -> SyncSummary:
        """Whose sync this is (the client's project), as an empty summary."""
        self.pid = int(client.pid)
        return SyncSummary(self.pid)

    def count(self, env: Any) -> None:
        """One more request sent (whatever its answer)."""
        with self.counting:
            self.summary.requests += 1

    def fetch(
        self,
        endpoint: str,
        sink: Sink | None = None,
        concurrency: int | None = None,
        progress: bool = True,
        *,
        first: bool = False,
        **filters: Any,
    ) -> pd.DataFrame:
        """``fetch_frame`` through the sync's client (``first``: :attr:`first`)."""
        opts = self.options
        bar = progress and opts.progress and endpoint == TABLES["trades"].endpoint  # the long one
        return fetch_frame(
            self.first if first else self.client, endpoint,
            concurrency=concurrency or opts.concurrency, progress=bar, sink=sink, **filters,
        )  # fmt: skip

    def run(self) -> SyncSummary:
        started = time.perf_counter()
        self.layout.create()
        with SyncLock(self.layout.lock, self.options.lock_timeout):
            for name in ("trades", "coins", "balances", *TRACKED):  # the summary's order
                self.summary.added[name] = self.summary.updated[name] = 0
            mark = self.watermark(TABLES["trades"])
            with ThreadPoolExecutor(1, "cregis-store-side") as side:
                rest = side.submit(self.the_rest)
                try:
                    self.trades(mark)
                finally:  # the lock is held until both sides are done, failed or not
                    wait([rest])
                rest.result()
        self.summary.seconds = time.perf_counter() - started
        return self.summary

    def the_rest(self) -> None:
        """Everything but the trades: the coins, a balance snapshot (when due), the tracked
        ids."""
        coins = self.coins()
        if self.balances_due(TABLES["balances"]):
            self.balances(coins)
        else:
            self.summary.watermarks["balances"] = self.watermark(TABLES["balances"])
        for table in TRACKED:
            self.tracked(TABLES[table])

    def owner(self) -> dict[str, Any]:
        """Whose rows a commit writes, for its metadata."""
        return {"pid": self.pid}

    def commit(
        self, spec: TableSpec, df: pd.DataFrame, write: Callable[..., tuple[int, int]]
    ) -> None:
        kinds = merge_kinds(self.layout.schema(spec.name), df)
        rows = to_delta(df, spec, kinds)
        with self.counting:
            requests = self.summary.requests
        meta = {**self.owner(), "rows": rows.num_rows, "requests": requests}
        added, updated = write(self.layout.table(spec.name), rows, spec, meta)
        self.summary.added[spec.name] = added
        self.summary.updated[spec.name] = updated

    # -- the tables ------------------------------------------------------------------------

    def trades(self, mark: pd.Timestamp | None) -> None:
        """The project's trades, from its watermark ``mark`` (None: every row, streamed)."""
        spec = TABLES["trades"]
        if mark is None:  # nothing of this project yet: every row, streamed
            self.summary.added[spec.name] = self.stream_all(spec)
            self.summary.updated[spec.name] = 0
            self.summary.watermarks[spec.name] = self.watermark(spec)
            return
        end = int(mark.timestamp())  # the watermark's second is fetched again
        start = min(end, end - int(self.options.lookback.total_seconds()))
        with ThreadPoolExecutor(1, "cregis-store-older") as pool:
            older = pool.submit(self.older, spec, start, end)
            try:
                frames = [self.fetch(spec.endpoint, blocktime_start=end)]
            finally:
                wait([older])
            known, before = older.result()
        frames = [f for f in [*frames, *before] if len(f)]
        if frames:
            df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
            df = df.drop_duplicates(subset=list(spec.key), keep="first", ignore_index=True)
            stored = known.where(df["cid"])
            self.commit(spec, df, functools.partial(delta.upsert, stored=stored))
            newest = df["block_time"].max()
            if pd.isna(newest) or newest < mark:  # the newest row moved back
                self.summary.watermarks[spec.name] = self.watermark(spec)
                return
            self.summary.watermarks[spec.name] = pd.Timestamp(newest).tz_convert("UTC")
        else:
            self.summary.watermarks[spec.name] = mark

    def older(self, spec: TableSpec, start: int, end: int) -> tuple[Known, list[pd.DataFrame]]:
        """What the store holds (asked here, while the new rows arrive), and the rows before the
        watermark's second ``end`` that may have changed: the lookback from ``start`` when rows
        arrived late there (fetched whole), and those stored as pending. The lookback's count
        and the query for the rows still pending go out at once."""
        known = Known(self.layout.table(spec.name), self.pid)  # the version asked below
        old = known.pending(end)
        with ThreadPoolExecutor(1, "cregis-store-count") as pool:
            late = (
                pool.submit(self.arrived_late, spec, known, start, end - 1) if start < end else None
            )
            try:
                still = self.still_pending(spec, old, end)
            finally:
                wait([late] if late else [])
            frames = [still]
            if late is not None and late.result():
                frames.append(self.fetch(spec.endpoint, progress=False, first=True,
                                         blocktime_start=start, blocktime_end=end - 1))  # fmt: skip
                old = old.loc[old["second"] < start]  # the lookback's rows are all fetched
        return known, [*frames, self.settled(spec, known, old, still)]

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
            return delta.append_files(path, reader, spec, meta)

        stream = RunStream(convert, write)
        try:
            self.fetch(spec.endpoint, sink=stream.put)
        except BaseException as exc:
            stream.close(exc)
            raise
        return int(stream.close() or 0)

    def arrived_late(self, spec: TableSpec, known: Known, start: int, end: int) -> bool:
        """Whether the API holds other rows from ``start`` to ``end`` (inclusive, epoch
        seconds) than the store: one request of one row, its ``total`` against the rows
        stored there (rows are never removed, so equal counts mean the same rows)."""
        env = self.first.request(
            spec.endpoint, blocktime_start=start, blocktime_end=end, page_num=1, page_size=1
        ).raise_for_code()
        return int(env.data["total"]) != known.between(start, end)

    def still_pending(self, spec: TableSpec, old: pd.DataFrame, end: int) -> pd.DataFrame:
        """The current rows of those still pending from the oldest of ``old`` (the rows stored
        as pending) to ``end``: one query, ``status=0`` over that span."""
        if not len(old):
            return FrameBuilder(spec.endpoint).finish()
        return self.fetch(
            spec.endpoint, progress=False, first=True, status=PENDING,
            blocktime_start=int(old["second"].min()), blocktime_end=end,
        )  # fmt: skip

    def settled(
        self, spec: TableSpec, known: Known, old: pd.DataFrame, still: pd.DataFrame
    ) -> pd.DataFrame:
        """The current rows of those of ``old`` (stored as pending) not in ``still``: they
        settled since, and are asked for in time windows (:mod:`.windows`)."""
        settled = old.loc[~old["cid"].isin(set(still["cid"].dropna().tolist()))]
        times = settled["second"]
        stored = known.seconds(int(times.min()), int(times.max())) if len(times) else np.empty(0)
        rows = DEFAULT_PAGE_SIZE - 1  # a short page: no end check after it
        windows = settled_windows(times.tolist(), stored, rows)

        def again(endpoint: str, **window: Any) -> pd.DataFrame:
            return self.fetch(endpoint, concurrency=1, progress=False, first=True, **window)

        return fetch_windows(self.first, spec.endpoint, windows, self.options.concurrency, again)

    def watermark(self, spec: TableSpec) -> pd.Timestamp | None:
        """The newest time stored for this sync's owner (project or team) in ``spec``'s
        table."""
        path = self.layout.table(spec.name)
        if spec.time is None or not delta.exists(path):
            return None
        newest = delta.newest(path, spec, self.owner()[spec.owner])
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

    def balances_due(self, spec: TableSpec) -> bool:
        """Whether this sync adds a snapshot to ``spec``'s table (``SyncOptions.balances``)."""
        when = self.options.balances
        if isinstance(when, bool):
            return when
        newest = self.watermark(spec)
        return newest is None or pd.Timestamp.now(tz="UTC") - newest >= when

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
