"""A durable local copy of a project, kept current by incremental syncs: Delta Lake tables
written through ``deltalake``, read as typed frames, through DuckDB SQL, or by polars and Spark.

``store = Store("cregis-data")`` opens (or creates) a store; ``store.sync(client)`` brings the
client's project up to date and returns a :class:`SyncSummary`; ``store.frame("trades")`` and
``store.sql("select ...")`` read it. See ``docs/store.md`` for the tables, watermarks, the
lookback and crash safety.

The parts: :mod:`.layout` (paths), :mod:`.schema` (the tables and their types), :mod:`.lock`
(one sync at a time), :mod:`.delta` (commits), :mod:`.syncer` (one sync), :mod:`.read`
(frames and SQL), :mod:`.status`, :mod:`.tracked` and :mod:`.orders` (the tracked tables),
:mod:`.recording` (a client that tracks what it creates), :mod:`.inbox` (callbacks),
:mod:`.team` (one sync of a team's Team API tables) and :mod:`.paced` (one rate control for
every request of a sync).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from typing import Any

import pandas as pd
from deltalake import DeltaTable

from .._signing import Secret
from ..client import AsyncTeamClient, Client, TeamClient
from ..errors import CregisStoreError
from . import inbox, read, status, tracked
from .layout import Layout
from .lock import SyncLock
from .recording import RecordingClient
from .syncer import DEFAULT_LOOKBACK, Snapshots, Sync, SyncOptions, SyncSummary
from .team import TeamSync

__all__ = ["DEFAULT_LOOKBACK", "Store", "SyncSummary", "sync"]


class Store:
    """A store directory (created on first sync): tables ``trades``, ``balances``, ``coins``,
    ``payouts``, ``withdrawals``, ``orders`` and ``callbacks``, every row carrying its project's
    ``pid``, and a team's ``team_*`` tables, every row carrying its ``team`` (the Access Key).
    Neither the API key nor the Access Secret is ever written to it."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.layout = Layout(path)
        self.layout.create()

    @property
    def path(self) -> str:
        return str(self.layout.root)

    def __repr__(self) -> str:
        return f"Store({self.path!r}, tables={self.tables})"

    def sync(
        self,
        client: Any,
        *,
        lookback: dt.timedelta = DEFAULT_LOOKBACK,
        concurrency: int = 8,
        progress: bool = False,
        lock_timeout: float = 60.0,
        balances: Snapshots = True,
    ) -> SyncSummary:
        """Bring the client's project up to date (see :mod:`.syncer`), or, given a
        :class:`~cregis_notebook.TeamClient`, its team's tables (see :mod:`.team`); what changed.

        Args:
            lookback: how far before the watermark trades are fetched again.
            concurrency: requests in flight.
            progress: show the fetch's progress bars.
            lock_timeout: seconds to wait for another sync of this store before
                :class:`~cregis_notebook.errors.CregisStoreBusy` (0: refuse at once).
            balances: when the sync adds a balance snapshot: ``True`` (default) at every sync,
                ``False`` never, a :class:`~datetime.timedelta` when the newest snapshot is at
                least that old.

        Raises:
            CregisValidationError: an option out of its range (before anything is sent).
        """
        if isinstance(client, AsyncTeamClient):
            raise CregisStoreError("a store syncs a team through a TeamClient, not an async one")
        options = SyncOptions(lookback, concurrency, progress, lock_timeout, balances)
        runner = TeamSync if isinstance(client, TeamClient) else Sync
        return runner(self.layout, client, options).run()

    @property
    def tables(self) -> list[str]:
        """The tables the store holds."""
        return read.tables(self.layout)

    def frame(self, table: str, **filters: Any) -> pd.DataFrame:
        """``table``'s rows as the typed frame the fetch gives (``code``/``msg`` included),
        filtered by column values (``pid=...``, ``currency=[...]``)."""
        return read.frame(self.layout, table, filters)

    def sql(self, query: str) -> pd.DataFrame:
        """``query`` run by DuckDB over every table (by name); a typed frame, exact decimals."""
        return read.sql(self.layout, query)

    def status(self) -> pd.DataFrame:
        """Rows, last sync, watermark, version and size of each table and project."""
        return status.status(self.layout)

    def track(self, table: str, ids: Iterable[Any] | str | os.PathLike[str]) -> int:
        """Track ids of ``payouts`` or ``withdrawals`` (``cid``s) or ``orders`` (``cregis_id``s),
        or a CSV of requests with that column: each sync asks for their state until it is
        final. How many were new."""
        with SyncLock(self.layout.lock, 60.0):
            return tracked.track(self.layout, table, ids)

    def recording(self, client: Client) -> RecordingClient:
        """``client`` wrapped so that the payouts, withdrawals and payment orders created through
        it are tracked here as soon as Cregis names them (see :mod:`.recording`)."""
        return RecordingClient(client, self.track)

    def add_callbacks(
        self,
        payloads: Any,
        api_key: str | Secret | None = None,
        *,
        pid: int | None = None,
        lock_timeout: float = 60.0,
    ) -> int:
        """Append callbacks to ``callbacks`` (``verified`` against ``api_key``, never stored;
        ``pid`` for rows that carry none) and track the payouts, withdrawals and orders they
        name.
        Anything :func:`~cregis_notebook.callbacks_frame` reads; the rows added."""
        return inbox.add_callbacks(self.layout, payloads, api_key, pid, lock_timeout)

    def compact(self, *, lock_timeout: float = 60.0) -> dict[str, Any]:
        """Join each table's small files (``optimize.compact``), each in one commit."""
        with SyncLock(self.layout.lock, lock_timeout):
            return {
                name: DeltaTable(str(self.layout.table(name))).optimize.compact()
                for name in self.tables
            }

    def vacuum(self, *, retention_hours: int = 168, lock_timeout: float = 60.0) -> list[str]:
        """Delete the files no version newer than ``retention_hours`` needs, and those no
        version names (left by a killed sync) once older than that; the files removed. Syncs
        and callbacks wait meanwhile (their files are not committed yet while they write)."""
        removed: list[str] = []
        inbox_lock = SyncLock(self.layout.inbox_lock, lock_timeout)
        with SyncLock(self.layout.lock, lock_timeout), inbox_lock:
            for name in self.tables:
                table = DeltaTable(str(self.layout.table(name)))
                removed += table.vacuum(
                    retention_hours=retention_hours,
                    dry_run=False,
                    enforce_retention_duration=retention_hours >= 168,
                    full=True,  # also the files no version names: a killed sync's
                )
        return removed


def sync(client: Any, path: str | os.PathLike[str], **options: Any) -> SyncSummary:
    """``Store(path).sync(client, **options)``."""
    return Store(path).sync(client, **options)
