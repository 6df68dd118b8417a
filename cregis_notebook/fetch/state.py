"""The state of one paged fetch: which pages to ask for, which arrived, which are wrong.

:class:`FetchState` hands out pages lazily, takes in answers from any thread, settles short
pages (the data's end, or a wrong page to ask again), keeps the checkpoint in step and builds
the typed, deduplicated frame with the fetch's ``attrs``. :func:`open_fetch` plans a fetch and
opens (or continues) its checkpoint.
"""

from __future__ import annotations

import datetime as _dt
import threading
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from .._checkpoint import Checkpoint
from ..envelope import SUCCESS, Envelope
from ..errors import CregisResponseError, PageFailed
from ..frames import FrameBuilder
from ..pagination import EXTRA_PAGES, Plan, page_count, page_rows, page_total, plan_fetch
from ..spec import Endpoint

__all__ = ["LISTED_AHEAD", "FetchState", "Sink", "now_iso", "open_fetch", "page_entry"]

Sink = Callable[[pd.DataFrame], None]
"""Takes each run of a fetch's rows as a typed frame, in page order (``fetch_frame(sink=...)``)."""

LISTED_AHEAD = 1_000
"""Missing pages listed in ``err.missing_pages`` past the farthest page the fetch reached (a
``total`` is not trusted to size anything; ``resume()`` fetches every missing page anyway)."""


def _counted(entry: Mapping[str, Any], shared: dict[Any, dict[str, Any]]) -> dict[str, Any]:
    """A page handed to a sink, as the fetch still needs it: its answer's code, message and
    total and how many rows (a list of that many ``None``). Pages alike share one such entry
    in ``shared`` (never changed), so that a streamed fetch holds next to nothing per page."""
    data = entry.get("data")
    kept = {"total": data.get("total")} if isinstance(data, Mapping) else {}
    count = len(page_rows(entry) or ())
    key = (tuple(sorted((k, repr(v)) for k, v in entry.items() if k != "data")), repr(kept), count)
    if key not in shared:
        shared[key] = {**entry, "data": {**kept, "rows": [None] * count}}
    return shared[key]


def page_entry(env: Envelope | Mapping[str, Any]) -> dict[str, Any]:
    """The part of an answer a fetch keeps (and writes to its checkpoint)."""
    if isinstance(env, Envelope):
        return {"code": env.code, "msg": env.msg, "data": env.data}
    return {k: env.get(k) for k in ("code", "msg", "data")}


class FetchState:
    """Everything a fetch has: its plan, its pages, and where they are kept on disk.

    Pages are handed out lazily (:meth:`take`), never listed from ``total``: the fetch asks for
    page ``n + 1`` only once page ``n`` was handed out, and for nothing past a short page but
    the next one (which tells whether the data ends there). Workers report pages with
    :meth:`arrive` (thread-safe); :meth:`judge` settles the short pages after each round.
    """

    def __init__(
        self,
        plan: Plan,
        checkpoint: Checkpoint | None,
        started_at: str,
        sink: Sink | None = None,
    ) -> None:
        self.plan = plan
        self.sink = sink  # runs go there instead of into the frame
        self.streamed = 0  # rows handed to the sink
        self.handed: dict[Any, dict[str, Any]] = {}  # the entries of pages handed over, shared
        self.checkpoint = checkpoint
        self.started_at = started_at
        self.lock = threading.Lock()
        self.pages: dict[int, dict[str, Any]] = {}  # accepted pages
        self.short: dict[int, dict[str, Any]] = {}  # short pages not judged yet
        self.fullest: dict[int, dict[str, Any]] = {}  # the fullest short answer of a page
        self.tries: dict[int, int] = {}  # short answers of each short page
        self.retry: deque[int] = deque()  # wrong pages to ask again
        self.total: int | None = None  # what page 1 announced (None: unknown)
        self.end: int | None = None  # the data's last page, when it ended before the total's
        self.understated = False  # the page after the total's last page had rows
        self.checked = False  # the page after a full last page was empty: the total holds
        self.stopped = False  # understated and still running at the bound (EXTRA_PAGES)
        self.top = 0  # the highest page that had rows
        self.reach = 0  # the highest page asked for
        self.next = 1
        self.taken = 0  # pages handed out
        self.builder = FrameBuilder(plan.endpoint)  # pages 1..flattened, in runs
        self.flattened = 0

    @property
    def page_size(self) -> int:
        return self.plan.page_size

    @property
    def announced(self) -> int | None:
        """Pages the total announces (``None`` while it is unknown)."""
        return None if self.total is None else page_count(self.total, self.page_size)

    @property
    def count(self) -> int | None:
        """Pages the total sizes (``None`` while unknown, or once it proved understated)."""
        return None if self.understated else self.announced

    @property
    def last(self) -> int | None:
        """The last page the fetch will read, once known."""
        if self.end is not None:
            return self.end
        return self.count

    def _limit(self) -> float:
        limit: float = self.last if self.last is not None else float("inf")
        count = self.count
        if self.end is None and count is not None and not self.checked:
            full = self.pages.get(count)
            if full is not None and len(page_rows(full) or ()) >= self.page_size:
                limit = count + 1  # the end check: a full last page may hide more rows
        bound = self._bound()
        if bound is not None:
            limit = min(limit, bound)
        if self.short:
            limit = min(limit, min(self.short) + 1)  # one page past a short page, no further
        return limit

    def _bound(self) -> int | None:
        """The last page an understated fetch may ask for (``None``: no bound applies)."""
        if not self.understated or self.end is not None or self.announced is None:
            return None
        return self.announced + EXTRA_PAGES

    def take(self) -> int | None:
        """The next page to ask for, or ``None`` when there is none (for now)."""
        with self.lock:
            if self.retry:
                self.taken += 1
                return self.retry.popleft()
            while self.next <= self._limit():
                page = self.next
                self.next += 1
                if page not in self.pages and page not in self.short:
                    self.reach = max(self.reach, page)
                    self.taken += 1
                    return page
            return None

    def _fits(self, page: int, rows: int) -> bool:
        """Whether a page with ``rows`` rows is whole: full, or the rest of the total."""
        if rows >= self.page_size:
            return True
        count = self.count
        if count is None or page != count or self.total is None:
            return False
        return rows >= self.total - (count - 1) * self.page_size

    def arrive(self, page: int, entry: dict[str, Any], *, store: bool = True) -> int:
        """Take in a page that answered ``"00000"`` with a list of rows; its row count."""
        rows = len(page_rows(entry) or ())
        with self.lock:
            if page in self.pages:
                return 0
            if page == 1:
                self.total = page_total(entry)
            count = self.count
            probe = count is not None and page > count  # the end check: after a full last page
            checked = probe and not rows  # empty: the total holds (kept in the checkpoint)
            if probe and rows:
                self.understated = True  # the total is too small: read on to a short page
            self.checked = self.checked or checked
            if rows:
                self.top = max(self.top, page)
            whole = not checked and self._fits(page, rows)
            if whole:
                self.pages[page] = entry
                self.fullest.pop(page, None)
            elif not checked:
                # of a page's short answers, the one with the most rows is kept: under a pinned
                # window a page never loses rows, so a shorter answer is the wrong one
                kept = self.fullest.get(page)
                if kept is None or rows > len(page_rows(kept) or ()):
                    self.fullest[page] = kept = entry
                self.short[page] = kept
        if (whole or checked) and store and self.checkpoint is not None:
            self.checkpoint.add(page, entry)
        return rows

    def judge(self, page_attempts: int) -> PageFailed | None:
        """Settle the short pages: the data's end, or wrong pages to ask again (or a failure)."""
        accepted: tuple[int, dict[str, Any]] | None = None
        closing: dict[str, Any] | None = None  # the empty page after the accepted end
        failed: PageFailed | None = None
        with self.lock:
            bound = self._bound()
            if bound is not None and all(p in self.pages for p in range(1, bound + 1)):
                self.end, self.stopped = bound, True  # pages still run on: stop, and say so
            for page in sorted(self.short):
                entry = self.short[page]
                count = self.count
                if self.top > page:  # rows after it: this page lost some of its rows
                    del self.short[page]
                    if self.checkpoint is not None:
                        self.checkpoint.forget(page)
                    self.tries[page] = tries = self.tries.get(page, 0) + 1
                    if tries >= page_attempts:
                        cause = CregisResponseError(
                            f"page {page} kept answering {len(page_rows(entry) or ())} rows of "
                            f"{self.page_size} while later pages have rows",
                            endpoint=self.plan.endpoint.name,
                        )
                        failed = failed or PageFailed(page, cause)
                    else:
                        self.retry.append(page)
                    continue
                after = self.short.get(page + 1)
                if page == bound:  # short at the bound: taken as it is, and the stop reported
                    self.end, self.stopped = page, bool(page_rows(entry))
                    self.pages[page] = entry
                    accepted = (page, entry)
                    self.short.clear()
                    self.fullest.clear()
                elif (after is not None and not page_rows(after)) or (
                    count is not None and page >= count
                ):
                    # the next page is empty: the data seems to end here, against the total
                    # (or with none to tell): both pages are asked again before it is believed
                    self.tries[page] = tries = self.tries.get(page, 0) + 1
                    if tries < page_attempts and not self._believed(page):
                        for again in (page, page + 1):
                            if self.short.pop(again, None) is not None:
                                self.retry.append(again)
                        break
                    self.end = page
                    self.pages[page] = entry
                    accepted = (page, entry)
                    closing = self.short.get(page + 1)
                    for later in [p for p in self.short if p >= page]:
                        del self.short[later]
                        self.fullest.pop(later, None)
                break  # the pages after this one wait for it
        if accepted is not None and self.checkpoint is not None:
            self.checkpoint.add(*accepted)
            if closing is not None:  # kept too: a resumed fetch believes this end at once
                self.checkpoint.add(accepted[0] + 1, closing)
        return failed

    def _believed(self, page: int) -> bool:
        """Whether the checkpoint holds ``page`` and the empty page after it (an end settled)."""
        stored = {} if self.checkpoint is None else self.checkpoint.pages
        after = stored.get(page + 1)
        return page in stored and after is not None and not page_rows(after)

    def restore(self, *, first: bool = False) -> None:
        """Take in the checkpoint's pages (page 1 alone when ``first``), checked like fresh ones."""
        if self.checkpoint is None:
            return
        stored = sorted(self.checkpoint.pages.items())
        for page, entry in stored[:1] if first else stored:
            if first and page != 1:
                return
            usable = entry.get("code") == SUCCESS and page_rows(entry) is not None
            if usable and page not in self.pages:
                self.arrive(page, entry, store=False)

    def again(self) -> None:
        """Start a new attempt (``resume``): short pages are asked again, tries count anew."""
        with self.lock:
            self.retry.clear()
            self.short.clear()
            self.tries.clear()
            self.fullest.clear()
            self.next = 1  # pages handed out but lost (failed, interrupted) are asked again

    def settled(self) -> bool:
        """Whether nothing is left to ask for."""
        with self.lock:
            return not self.retry and not self.short and self.next > self._limit()

    def missing(self, pages: Mapping[int, Any] | None = None) -> tuple[int, ...]:
        """Pages not accepted yet, up to the last one (bounded: see :data:`LISTED_AHEAD`)."""
        have = self.pages if pages is None else pages
        upto = self.last
        reached = max(self.reach, max(have, default=0), 1)
        if upto is None:
            upto = reached + 1
        upto = min(upto, reached + LISTED_AHEAD)
        return tuple(p for p in range(1, upto + 1) if p not in have)

    def finished(self, pages: Mapping[int, Any]) -> bool:
        last = self.last
        return last is not None and sum(1 for p in pages if p <= last) == last

    def snapshot(self) -> dict[int, dict[str, Any]]:
        with self.lock:
            return dict(self.pages)

    def flatten_ready(self, run_pages: int) -> None:
        """Flatten the next ``run_pages`` pages if they have all arrived (while others fly)."""
        with self.lock:
            stop = self.flattened + run_pages
            wanted = range(self.flattened + 1, stop + 1)
            if any(p not in self.pages for p in wanted):
                return
            run = [self.pages[p] for p in wanted]
        if self.sink is None:
            self.builder.add_run(run)
        else:
            self._hand_over(wanted, run)
        self.flattened = stop

    def _hand_over(self, pages: range | list[int], run: list[dict[str, Any]]) -> None:
        """Give a run's rows to the sink; the fetch keeps only each page's row count."""
        assert self.sink is not None
        frame = FrameBuilder(self.plan.endpoint).add_run(run).finish()
        self.sink(frame)
        self.streamed += len(frame)
        with self.lock:
            for page in pages:
                self.pages[page] = _counted(self.pages[page], self.handed)

    def frame(self, *, final: bool, snapshot: Mapping[int, Any] | None = None) -> pd.DataFrame:
        """The typed, deduplicated frame of the pages so far, with the fetch's attrs."""
        have = self.snapshot() if snapshot is None else snapshot
        ep = self.plan.endpoint
        later = [p for p in sorted(have) if p > self.flattened]
        if self.sink is not None:  # the rows went to the sink: the frame has none
            if final and later:
                self._hand_over(later, [have[p] for p in later])
                self.flattened = later[-1]
            df, rows, duplicates = FrameBuilder(ep).finish(), self.streamed, 0
        else:
            df = self.builder.copy().extend([have[p] for p in later]).finish()
            before = len(df)
            key = [k for k in ep.row_key if k in df.columns]
            if key and before:
                usable = df[key].notna().all(axis=1)
                dup = df.duplicated(subset=key, keep="first") & usable
                if dup.any():
                    df = df.loc[~dup].reset_index(drop=True)
            rows = len(df)
            duplicates = before - rows
        totals = sorted({t for t in map(page_total, have.values()) if t is not None})
        finished = final and self.finished(have)
        mismatch: dict[str, Any] | None = None
        if finished and ((self.total is not None and rows != self.total) or len(totals) > 1):
            mismatch = {
                "total": self.total,
                "rows": rows,
                "duplicates": duplicates,
                "totals_seen": totals,
            }
            if self.end is not None and self.count is not None and self.end < self.count:
                mismatch["ended_at_page"] = self.end  # the pages ran out before the total
            if self.understated:
                mismatch["understated"] = True  # pages ran on past the total's last page
            if self.stopped:
                mismatch["stopped_at_page"] = self.end  # ... and still ran on there
        df.attrs.update(
            {
                "endpoint": ep.name,
                "path": ep.path,
                "filters": {**self.plan.filters, **self.plan.pinned},
                "pinned": dict(self.plan.pinned),
                "page_size": self.page_size,
                "base_url": self.plan.client.base_url,
                "total": self.total,
                "pages": self.last if self.last is not None else len(have),
                "pages_fetched": len(have),
                "fetched_at": self.started_at,
                "complete": finished and mismatch is None,
                "duplicates": duplicates,
            }
        )
        if self.sink is not None:
            df.attrs["streamed"] = self.streamed
        df.attrs.pop("errors", None)
        if mismatch is not None:
            df.attrs["mismatch"] = mismatch
        return df


def now_iso() -> str:
    """The time now, UTC, to the second (``2026-01-31T12:00:00Z``)."""
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def open_fetch(
    client: Any,
    endpoint: str | Endpoint,
    filters: Mapping[str, Any],
    page_size: int,
    pin: bool,
    checkpoint: str | Any | None,
    sink: Sink | None = None,
) -> FetchState:
    """The state of a new fetch, continuing from ``checkpoint`` when it holds one."""
    store = Checkpoint(checkpoint) if checkpoint is not None else None
    pinned = None
    if store is not None and store.header is not None:
        pinned = store.header.get("pinned") or {}
    plan = plan_fetch(client, endpoint, filters, page_size, pin=pin, pinned=pinned)
    fetch = FetchState(plan, store, now_iso(), sink)
    if store is not None:
        store.check(plan.identity())
        if store.header is not None:
            fetch.started_at = str(store.header.get("started_at") or fetch.started_at)
        else:
            header = {**plan.identity(), "pinned": plan.pinned, "started_at": fetch.started_at}
            store.start(header)
    return fetch
