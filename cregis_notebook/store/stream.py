"""A full fetch streamed into one Delta commit: the fetch's runs (``fetch_frame(sink=...)``)
become Arrow batches that a writer thread reads as a :class:`pyarrow.RecordBatchReader`
(:func:`.delta.append_files`), so the table's files are written while pages arrive, and
committed once at the end. A small queue between the two bounds the rows held in memory; a
failed fetch or writer commits nothing.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ..errors import CregisStoreError

__all__ = ["RunStream", "SeenKeys"]

_DONE = object()


class RunStream:
    """Feed runs in with :meth:`put` (from the fetch), then :meth:`close`; the writer gets a
    reader of their batches. ``convert`` turns a run (a typed frame) into Arrow rows."""

    def __init__(
        self,
        convert: Callable[[pd.DataFrame], pa.Table],
        write: Callable[[pa.RecordBatchReader], Any],
        *,
        depth: int = 2,
    ) -> None:
        self.convert = convert
        self.write = write
        self.queue: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self.result: Any = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="cregis-store-writer", daemon=True)
        self.thread.start()

    def _offer(self, item: Any) -> None:
        while self.thread.is_alive():
            try:
                self.queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def put(self, run: pd.DataFrame) -> None:
        """One run of rows (the fetch's sink): converted here, written by the writer thread."""
        if self.error is not None:
            raise CregisStoreError(f"the store's writer failed: {self.error}") from self.error
        if len(run):
            self._offer(self.convert(run))

    def close(self, failure: BaseException | None = None) -> Any:
        """End the stream: commit (``failure`` None) or abandon it; the writer's result."""
        self._offer(_DONE if failure is None else failure)
        self.thread.join()
        if failure is None and self.error is not None:
            raise CregisStoreError(f"the store's writer failed: {self.error}") from self.error
        return self.result

    def _batches(self, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
        while True:
            item = self.queue.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise CregisStoreError("the fetch stopped; nothing is committed") from item
            yield from conform(item, schema).to_batches()

    def _run(self) -> None:
        try:
            first = self.queue.get()
            if first is _DONE or isinstance(first, BaseException):
                return
            schema = first.schema

            def batches() -> Iterator[pa.RecordBatch]:
                yield from first.to_batches()
                yield from self._batches(schema)

            self.result = self.write(pa.RecordBatchReader.from_batches(schema, batches()))
        except BaseException as exc:  # reported by put() and close()
            self.error = exc
            while True:  # let a blocked put() through
                try:
                    self.queue.get_nowait()
                except queue.Empty:
                    break


def conform(rows: pa.Table, schema: pa.Schema) -> pa.Table:
    """``rows`` with ``schema``'s columns and types (a column it lacks: missing values)."""
    extra = set(rows.column_names) - set(schema.names)
    if extra:
        raise CregisStoreError(
            f"a page brought new columns {sorted(extra)} in the middle of a sync; sync again"
        )
    arrays = [
        rows.column(f.name).cast(f.type)
        if f.name in rows.column_names
        else pa.nulls(rows.num_rows, f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


class SeenKeys:
    """The int64 keys a stream has written, 8 bytes each (a Python set of ints takes about ten
    times that): sorted arrays, the newest ones merged into the older whenever they grow as
    large, so that adding and looking up stay cheap whatever the count."""

    def __init__(self) -> None:
        self.parts: list[np.ndarray] = []

    def __len__(self) -> int:
        return sum(len(p) for p in self.parts)

    def fresh(self, keys: np.ndarray) -> np.ndarray:
        """Which of ``keys`` are not seen yet (a boolean mask)."""
        seen = np.zeros(len(keys), dtype=bool)
        for part in self.parts:
            at = np.searchsorted(part, keys).clip(max=len(part) - 1)
            seen |= part[at] == keys
        return ~seen

    def add(self, keys: np.ndarray) -> None:
        """Remember ``keys`` (not seen yet, no repeats)."""
        if not len(keys):
            return
        self.parts.append(np.sort(keys.astype(np.int64)))
        while len(self.parts) > 1 and len(self.parts[-1]) >= len(self.parts[-2]):
            newest = self.parts.pop()
            self.parts[-1] = np.sort(np.concatenate([self.parts[-1], newest]), kind="stable")
