"""Fetch every page of a paged endpoint into one exact DataFrame, from plain notebook code.

:func:`fetch_frame` asks for page 1, learns ``total``, then fetches the other pages
concurrently on a small thread pool over the synchronous :class:`~cregis_notebook.Client`: no
event loop is touched, so it works the same in a terminal, a script and a Jupyter cell (whose
own loop is already running). :func:`afetch_frame` is the ``await``-able twin for an
:class:`~cregis_notebook.AsyncClient`. The plan, the pinned time window and the page iterators
are in :mod:`cregis_notebook.pagination`; the frame is built by
:class:`~cregis_notebook.frames.FrameBuilder`.

Consistency: the time window is pinned (see :mod:`cregis_notebook.pagination`); rows are
deduplicated by the endpoint's row key (``cid``; ``address`` + ``currency``); the row count is
checked against ``total`` and a mismatch is warned about and recorded in
``df.attrs["mismatch"]``, never hidden; ``df.attrs["complete"]`` is True only when every page
arrived and the rows agree with ``total``.

Pages are checked, never taken on trust. A page answered ``"00000"`` whose ``data`` or ``rows``
is missing is re-requested like a failed page. A page with fewer rows than ``page_size``
before the last one is either the real end of the data (the next page is empty: ``total``
overstated it, which is reported) or a wrong page (later pages have rows): a wrong page is
re-requested, up to ``page_attempts`` answers in all, and then fails the fetch. The fetch never
asks past the first empty page, and plans no further ahead than the pages in flight, however
large ``total`` claims to be. A ``total`` that is missing, ``null`` or not a count is unknown:
the pages run until one is short and the next is empty.

Failure and interruption lose nothing: a page that keeps failing, or Ctrl-C / the notebook's
stop button at any moment (even while the frame is being assembled), raises
:class:`~cregis_notebook.CregisFetchError` (:class:`~cregis_notebook.CregisFetchInterrupted`)
carrying ``partial`` (the rows so far) and ``resume()`` (fetches only the missing pages, same
window and filters). With ``checkpoint="file.jsonl"`` the pages are also written to disk as they
arrive, and calling ``fetch_frame`` again with the same arguments after a kernel restart
continues from there.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as _dt
import queue
import threading
import time
import warnings
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ._checkpoint import Checkpoint
from .client import AsyncClient, AsyncTeamClient, Client, TeamClient
from .envelope import SUCCESS, Envelope
from .errors import (
    CregisAPIError,
    CregisConsistencyWarning,
    CregisError,
    CregisFetchError,
    CregisFetchInterrupted,
    CregisResponseError,
    CregisValidationError,
    PageFailed,
)
from .frames import FrameBuilder
from .pagination import DEFAULT_PAGE_SIZE, Plan, page_count, page_rows, page_total, plan_fetch
from .spec import SYSTEM_PARAMS, Endpoint

__all__ = ["FetchTiming", "afetch_frame", "fetch_frame", "last_fetch_error"]


@dataclass(frozen=True)
class FetchTiming:
    """How a fetch waits between tries of a page, and how it groups pages for the frame.

    Args:
        backoff: seconds before a failed page's second try; doubling with each try, at most
            ``max_backoff``, and never less than the server's ``Retry-After``.
        max_backoff: the longest wait between two tries of a page.
        run_pages: pages flattened together while the rest of the fetch is in flight (the
            frame is the same for any value; larger runs do less work at the end).
        sleep: how the synchronous fetch waits (``time.sleep``; a fake clock's ``sleep`` in
            tests). The async fetch always waits with ``asyncio.sleep``.
    """

    backoff: float = 0.2
    max_backoff: float = 4.0
    run_pages: int = 16
    sleep: Callable[[float], None] = time.sleep

    def delay(self, exc: BaseException | None, attempt: int) -> float:
        """Seconds to wait after the ``attempt``-th failed try of a page."""
        retry_after = getattr(exc, "retry_after", None)
        base = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
        return max(base, float(retry_after or 0.0))


DEFAULT_TIMING = FetchTiming()
LISTED_AHEAD = 1_000
"""Missing pages listed in ``err.missing_pages`` past the farthest page the fetch reached (a
``total`` is not trusted to size anything; ``resume()`` fetches every missing page anyway)."""
_POLL = 0.25  # seconds the watching thread waits for a page before checking on the workers

_last_error: CregisFetchError | None = None


def last_fetch_error() -> CregisFetchError | None:
    """The :class:`CregisFetchError` of the most recent fetch in this process, or ``None``.

    Every call of :func:`fetch_frame` / :func:`afetch_frame` (and every ``err.resume()``) sets
    it back to ``None`` when it starts, so it never hands back an older fetch: it is ``None``
    while a fetch runs and after one that succeeded. Handy in a notebook::

        err = last_fetch_error()
        df = err.resume()
    """
    return _last_error


def _record_error(err: CregisFetchError | None) -> None:
    global _last_error
    _last_error = err


# -- the state of a fetch ------------------------------------------------------------------------


def _entry(env: Envelope | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(env, Envelope):
        return {"code": env.code, "msg": env.msg, "data": env.data}
    return {k: env.get(k) for k in ("code", "msg", "data")}


class _Fetch:
    """Everything a fetch has: its plan, its pages, and where they are kept on disk.

    Pages are handed out lazily (:meth:`take`), never listed from ``total``: the fetch asks for
    page ``n + 1`` only once page ``n`` was handed out, and for nothing past a short page but
    the next one (which tells whether the data ends there). Workers report pages with
    :meth:`arrive` (thread-safe); :meth:`judge` settles the short pages after each round.
    """

    def __init__(self, plan: Plan, checkpoint: Checkpoint | None, started_at: str) -> None:
        self.plan = plan
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
    def count(self) -> int | None:
        """Pages the total announces (``None`` while it is unknown)."""
        return None if self.total is None else page_count(self.total, self.page_size)

    @property
    def last(self) -> int | None:
        """The last page the fetch will read, once known."""
        if self.end is not None:
            return self.end
        return self.count

    def _limit(self) -> float:
        limit: float = self.last if self.last is not None else float("inf")
        if self.short:
            limit = min(limit, min(self.short) + 1)  # one page past a short page, no further
        return limit

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
            if rows:
                self.top = max(self.top, page)
            whole = self._fits(page, rows)
            if whole:
                self.pages[page] = entry
                self.fullest.pop(page, None)
            else:
                # of a page's short answers, the one with the most rows is kept: under a pinned
                # window a page never loses rows, so a shorter answer is the wrong one
                kept = self.fullest.get(page)
                if kept is None or rows > len(page_rows(kept) or ()):
                    self.fullest[page] = kept = entry
                self.short[page] = kept
        if whole and store and self.checkpoint is not None:
            self.checkpoint.add(page, entry)
        return rows

    def judge(self, page_attempts: int) -> PageFailed | None:
        """Settle the short pages: the data's end, or wrong pages to ask again (or a failure)."""
        accepted: tuple[int, dict[str, Any]] | None = None
        failed: PageFailed | None = None
        with self.lock:
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
                if (after is not None and not page_rows(after)) or (
                    count is not None and page >= count
                ):
                    # the next page is empty: the data seems to end here, against the total
                    # (or with none to tell): both pages are asked again before it is believed
                    self.tries[page] = tries = self.tries.get(page, 0) + 1
                    if tries < page_attempts:
                        for again in (page, page + 1):
                            if self.short.pop(again, None) is not None:
                                self.retry.append(again)
                        break
                    self.end = page
                    self.pages[page] = entry
                    accepted = (page, entry)
                    for later in [p for p in self.short if p >= page]:
                        del self.short[later]
                        self.fullest.pop(later, None)
                break  # the pages after this one wait for it
        if accepted is not None and self.checkpoint is not None:
            self.checkpoint.add(*accepted)
        return failed

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
        self.builder.add_run(run)
        self.flattened = stop

    def frame(self, *, final: bool, snapshot: Mapping[int, Any] | None = None) -> pd.DataFrame:
        """The typed, deduplicated frame of the pages so far, with the fetch's attrs."""
        have = self.snapshot() if snapshot is None else snapshot
        rest = [e for p, e in sorted(have.items()) if p > self.flattened]
        df = self.builder.copy().extend(rest).finish()
        ep = self.plan.endpoint
        before = len(df)
        key = [k for k in ep.row_key if k in df.columns]
        if key and before:
            usable = df[key].notna().all(axis=1)
            dup = df.duplicated(subset=key, keep="first") & usable
            if dup.any():
                df = df.loc[~dup].reset_index(drop=True)
        duplicates = before - len(df)
        totals = sorted({t for t in map(page_total, have.values()) if t is not None})
        finished = final and self.finished(have)
        mismatch: dict[str, Any] | None = None
        if finished and ((self.total is not None and len(df) != self.total) or len(totals) > 1):
            mismatch = {
                "total": self.total,
                "rows": len(df),
                "duplicates": duplicates,
                "totals_seen": totals,
            }
            if self.end is not None and self.count is not None and self.end < self.count:
                mismatch["ended_at_page"] = self.end  # the pages ran out before the total
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
        df.attrs.pop("errors", None)
        if mismatch is not None:
            df.attrs["mismatch"] = mismatch
        return df


def _now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _open(
    client: Any,
    endpoint: str | Endpoint,
    filters: Mapping[str, Any],
    page_size: int,
    pin: bool,
    checkpoint: str | Any | None,
) -> _Fetch:
    store = Checkpoint(checkpoint) if checkpoint is not None else None
    pinned = None
    if store is not None and store.header is not None:
        pinned = store.header.get("pinned") or {}
    plan = plan_fetch(client, endpoint, filters, page_size, pin=pin, pinned=pinned)
    fetch = _Fetch(plan, store, _now_iso())
    if store is not None:
        store.check(plan.identity())
        if store.header is not None:
            fetch.started_at = str(store.header.get("started_at") or fetch.started_at)
        else:
            header = {**plan.identity(), "pinned": plan.pinned, "started_at": fetch.started_at}
            store.start(header)
    return fetch


# -- progress ------------------------------------------------------------------------------------


class _Progress:
    """A tqdm bar of rows, with pages in its postfix (``tqdm.auto``); a no-op when disabled."""

    def __init__(self, enabled: bool, name: str) -> None:
        self.enabled = enabled
        self.name = name
        self.bar: Any = None
        self.pages: int | None = None

    def start(self, fetch: _Fetch) -> None:
        self.pages = fetch.last
        if self.enabled:
            from tqdm.auto import tqdm

            done = sum(len(page_rows(e) or ()) for e in fetch.pages.values())
            self.bar = tqdm(total=fetch.total, initial=done, unit=" rows", desc=self.name)
            self._post(len(fetch.pages))

    def _post(self, done_pages: int) -> None:
        if self.bar is not None:
            of = "" if self.pages is None else f"/{self.pages}"
            self.bar.set_postfix_str(f"{done_pages}{of} pages", refresh=False)

    def advance(self, rows: int, done_pages: int) -> None:
        if self.bar is not None:
            self.bar.update(rows)
            self._post(done_pages)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


# -- one page ------------------------------------------------------------------------------------


def _check(env: Envelope, page: int) -> Envelope:
    """The page, or :class:`PageFailed` for an error code or a page without a list of rows."""
    if env.code != SUCCESS:
        try:
            env.raise_for_code()
        except CregisAPIError as exc:
            raise PageFailed(page, exc) from exc
    if page_rows(env) is None:
        cause = CregisResponseError(
            f"page {page} answered {SUCCESS} without a list of rows "
            f"(data: {type(env.data).__name__})",
            endpoint=env.endpoint,
        )
        raise PageFailed(page, cause)
    return env


def _get(plan: Plan, page: int, attempts: int, timing: FetchTiming, stop: threading.Event) -> Any:
    """One page, tried up to ``attempts`` times; :class:`PageFailed` when it keeps failing."""
    attempt = 0
    while True:
        attempt += 1
        try:
            return _check(plan.client.request(plan.endpoint, **plan.page(page)), page)
        except Exception as exc:  # any failure of one page: retried, then reported
            cause = exc.cause if isinstance(exc, PageFailed) else exc
            if page == 1 and isinstance(cause, CregisAPIError):
                raise cause from None  # a bad filter or signature: nothing to keep or resume
            if not isinstance(cause, CregisError) and page == 1:
                raise
            if attempt < attempts and not stop.is_set():
                timing.sleep(timing.delay(cause, attempt))
                continue
            raise PageFailed(page, cause) from cause


async def _aget(plan: Plan, page: int, attempts: int, timing: FetchTiming) -> Any:
    """:func:`_get` for an :class:`AsyncClient`."""
    attempt = 0
    while True:
        attempt += 1
        try:
            env = await plan.client.request(plan.endpoint, **plan.page(page))
            return _check(env, page)
        except (CregisError, PageFailed) as exc:
            cause = exc.cause if isinstance(exc, PageFailed) else exc
            if page == 1 and isinstance(cause, CregisAPIError):
                raise cause from None
            if attempt >= attempts:
                raise PageFailed(page, cause) from cause
            await asyncio.sleep(timing.delay(cause, attempt))


# -- running a fetch -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Options:
    concurrency: int
    progress: bool
    page_attempts: int
    on_mismatch: str
    keep_checkpoint: bool
    timing: FetchTiming


def _fail(
    fetch: _Fetch,
    message: str,
    cause: BaseException | None,
    resume: Callable[..., Any],
    interrupted: bool = False,
) -> CregisFetchError:
    """The error of this fetch, with its partial frame and resume; also :func:`last_fetch_error`."""
    have = fetch.snapshot()
    try:
        partial: pd.DataFrame | None = fetch.frame(final=False, snapshot=have)
    except KeyboardInterrupt:  # interrupted again while the partial frame was built
        partial = None
    missing = fetch.missing(have)
    cls = CregisFetchInterrupted if interrupted else CregisFetchError
    last = fetch.last
    where = f"{len(have)} of {last} pages" if last else f"{len(have)} pages"
    rows = "" if partial is None else f" ({len(partial)} rows)"
    text = (
        f"{fetch.plan.endpoint.name}: {message} after {where}{rows}. "
        "err.partial holds them; err.resume() fetches the missing pages"
        + (
            f"; the checkpoint {fetch.checkpoint.path} keeps them across restarts"
            if fetch.checkpoint
            else ""
        )
        + ". (In a notebook: err = cregis_notebook.last_fetch_error())"
    )
    err = cls(text, partial=partial, cause=cause, resume=resume, missing_pages=missing)
    err.checkpoint = str(fetch.checkpoint.path) if fetch.checkpoint else None
    _record_error(err)
    return err


def _interrupted_before(
    endpoint: str | Endpoint, exc: BaseException, resume: Callable[..., Any]
) -> CregisFetchInterrupted:
    """The error of a fetch interrupted before its first page (nothing fetched yet)."""
    try:
        partial: pd.DataFrame | None = FrameBuilder(endpoint).finish()  # the columns, no rows
    except CregisError:  # not an endpoint name: nothing to show
        partial = None
    name = endpoint.name if isinstance(endpoint, Endpoint) else endpoint
    err = CregisFetchInterrupted(
        f"{name}: interrupted before the first page. err.resume() starts it again. "
        "(In a notebook: err = cregis_notebook.last_fetch_error())",
        partial=partial,
        cause=exc,
        resume=resume,
        missing_pages=(1,),
    )
    _record_error(err)
    return err


def _finish(fetch: _Fetch, options: _Options, resume: Callable[..., Any]) -> pd.DataFrame:
    df = fetch.frame(final=True)
    mismatch = df.attrs.get("mismatch")
    if mismatch:
        ended = mismatch.get("ended_at_page")
        text = (
            f"{fetch.plan.endpoint.name}: fetched {mismatch['rows']} distinct rows but total says "
            f"{mismatch['total']} (duplicates dropped: {mismatch['duplicates']}, totals seen: "
            f"{mismatch['totals_seen']}"
            + (f"; the pages ran out at page {ended}" if ended else "")
            + "); see df.attrs['mismatch']"
        )
        if options.on_mismatch == "raise":
            err = CregisFetchError(text, partial=df, resume=None, missing_pages=())
            _record_error(err)
            raise err
        warnings.warn(text, CregisConsistencyWarning, stacklevel=4)
    if fetch.checkpoint is not None and not options.keep_checkpoint:
        fetch.checkpoint.remove()
    return df


class _Crew:
    """``concurrency`` worker threads taking pages from the fetch until it has none to give.

    Each worker sends a page, retries it up to ``page_attempts`` times (after the client's own
    retries) and hands it to the fetch itself, so a page in flight when the user interrupts is
    still kept. The calling thread only watches: progress, flattening arrived pages, failures.
    """

    def __init__(self, fetch: _Fetch, options: _Options) -> None:
        self.fetch = fetch
        self.options = options
        self.stop = threading.Event()
        self.results: queue.SimpleQueue[tuple[int, int, BaseException | None]] = queue.SimpleQueue()
        self.workers = [
            threading.Thread(target=self._work, name=f"cregis-fetch-{i}", daemon=True)
            for i in range(options.concurrency)
        ]
        for worker in self.workers:
            worker.start()

    def _work(self) -> None:
        fetch, options = self.fetch, self.options
        try:
            while not self.stop.is_set() and (page := fetch.take()) is not None:
                try:
                    env = _get(fetch.plan, page, options.page_attempts, options.timing, self.stop)
                except PageFailed as exc:
                    self.results.put((page, 0, exc.cause))
                    return
                self.results.put((page, fetch.arrive(page, _entry(env)), None))
        finally:
            self.results.put((0, 0, None))  # this worker is done

    def collect(self, bar: _Progress) -> tuple[int, BaseException] | None:
        """Wait for every worker; return the first page that kept failing (the others stop)."""
        failure: tuple[int, BaseException] | None = None
        running = len(self.workers)
        while running:
            try:
                page, rows, cause = self.results.get(timeout=_POLL)
            except queue.Empty:
                if not any(w.is_alive() for w in self.workers) and self.results.empty():
                    break
                continue
            if page == 0:
                running -= 1
            elif cause is not None:
                if failure is None:
                    failure = (page, cause)
                    self.stop.set()
            else:
                bar.advance(rows, len(self.fetch.pages))
                if failure is None:
                    self.fetch.flatten_ready(self.options.timing.run_pages)
        return failure


def _run(fetch: _Fetch, options: _Options) -> pd.DataFrame:
    """Fetch the missing pages of ``fetch`` on worker threads; its frame."""
    _record_error(None)

    def resume(**overrides: Any) -> pd.DataFrame:
        return _run(fetch, dataclasses.replace(options, **overrides))

    bar = _Progress(options.progress, fetch.plan.endpoint.name)
    crew: _Crew | None = None
    fetch.again()
    try:
        try:
            fetch.restore(first=True)
            if 1 not in fetch.pages and 1 not in fetch.short:
                never = threading.Event()
                try:
                    env = _get(fetch.plan, 1, options.page_attempts, options.timing, never)
                except PageFailed as exc:
                    message = f"page 1 kept failing ({exc.cause})"
                    raise _fail(fetch, message, exc.cause, resume) from exc.cause
                fetch.arrive(1, _entry(env))
            fetch.restore()
            bar.start(fetch)
            while True:
                taken = fetch.taken
                crew = _Crew(fetch, options)
                failure = crew.collect(bar)
                if failure is not None:
                    page, cause = failure
                    raise _fail(fetch, f"page {page} kept failing ({cause})", cause, resume)
                wrong = fetch.judge(options.page_attempts)
                if wrong is not None:
                    message = f"page {wrong.page} kept failing ({wrong.cause})"
                    raise _fail(fetch, message, wrong.cause, resume)
                if fetch.settled() or (taken == fetch.taken and not fetch.retry):
                    break
                if fetch.retry:
                    options.timing.sleep(options.timing.delay(None, max(fetch.tries.values())))
            if not fetch.finished(fetch.snapshot()):  # never silently incomplete
                raise _fail(fetch, "the fetch stopped early", None, resume)
        finally:
            bar.close()
        return _finish(fetch, options, resume)
    except CregisFetchError:
        raise  # this fetch's own error (an interrupt already became one)
    except KeyboardInterrupt as exc:  # at any point: the pages, the frame, the bar
        if crew is not None:
            crew.stop.set()  # requests in flight still land in the fetch
        raise _fail(fetch, "interrupted", exc, resume, interrupted=True) from exc


async def _arun(fetch: _Fetch, options: _Options) -> pd.DataFrame:
    """:func:`_run` for an :class:`AsyncClient`: ``concurrency`` tasks instead of threads."""
    _record_error(None)

    def resume(**overrides: Any) -> Any:
        return _arun(fetch, dataclasses.replace(options, **overrides))

    bar = _Progress(options.progress, fetch.plan.endpoint.name)
    tasks: list[asyncio.Task[None]] = []
    fetch.again()

    async def worker(failures: list[PageFailed]) -> None:
        while not failures and (page := fetch.take()) is not None:
            try:
                env = await _aget(fetch.plan, page, options.page_attempts, options.timing)
            except PageFailed as exc:
                failures.append(exc)
                return
            bar.advance(fetch.arrive(page, _entry(env)), len(fetch.pages))
            fetch.flatten_ready(options.timing.run_pages)

    try:
        try:
            fetch.restore(first=True)
            if 1 not in fetch.pages and 1 not in fetch.short:
                try:
                    env = await _aget(fetch.plan, 1, options.page_attempts, options.timing)
                except PageFailed as exc:
                    message = f"page 1 kept failing ({exc.cause})"
                    raise _fail(fetch, message, exc.cause, resume) from exc.cause
                fetch.arrive(1, _entry(env))
            fetch.restore()
            bar.start(fetch)
            while True:
                taken = fetch.taken
                failures: list[PageFailed] = []
                tasks = [
                    asyncio.ensure_future(worker(failures)) for _ in range(options.concurrency)
                ]
                await asyncio.gather(*tasks)
                if failures:
                    first = min(failures, key=lambda f: f.page)
                    message = f"page {first.page} kept failing ({first.cause})"
                    raise _fail(fetch, message, first.cause, resume)
                wrong = fetch.judge(options.page_attempts)
                if wrong is not None:
                    message = f"page {wrong.page} kept failing ({wrong.cause})"
                    raise _fail(fetch, message, wrong.cause, resume)
                if fetch.settled() or (taken == fetch.taken and not fetch.retry):
                    break
                if fetch.retry:
                    await asyncio.sleep(options.timing.delay(None, max(fetch.tries.values())))
            if not fetch.finished(fetch.snapshot()):
                raise _fail(fetch, "the fetch stopped early", None, resume)
        finally:
            bar.close()
        return _finish(fetch, options, resume)
    except CregisFetchError:
        raise
    except (asyncio.CancelledError, KeyboardInterrupt) as exc:
        for t in tasks:
            t.cancel()
        raise _fail(fetch, "interrupted", exc, resume, interrupted=True) from exc
    except BaseException:
        for t in tasks:
            t.cancel()
        raise


# -- non-paged endpoints and list fan-out --------------------------------------------------------


def _fan_out_key(ep: Endpoint, filters: Mapping[str, Any]) -> str | None:
    """The one filter given as a list of values (``cregis_id=[...]``) of a read-only endpoint."""

    def takes_lists(name: str) -> bool:
        param = ep.param(name)
        return param is not None and param.type in ("json_array", "json_object")

    keys = [k for k, v in filters.items() if isinstance(v, (list, tuple)) and not takes_lists(k)]
    return keys[0] if len(keys) == 1 and ep.is_read_only else None


def _fan_out_values(ep: Endpoint, filters: Mapping[str, Any], key: str) -> list[Any]:
    values = list(filters[key])
    if not values:
        raise CregisValidationError(f"{ep.name}: {key} is an empty list", endpoint=ep.name)
    return values


def _many(
    client: Any, ep: Endpoint, filters: Mapping[str, Any], key: str, errors: str, concurrency: int
) -> pd.DataFrame:
    """One call per value of ``filters[key]``, concurrently; one frame of all their records."""
    values = _fan_out_values(ep, filters, key)
    with ThreadPoolExecutor(max_workers=min(concurrency, len(values))) as pool:
        envs = list(pool.map(lambda v: client.request(ep, **{**filters, key: v}), values))
    return _many_frame(client, ep, key, envs, errors)


async def _amany(
    client: Any, ep: Endpoint, filters: Mapping[str, Any], key: str, errors: str, concurrency: int
) -> pd.DataFrame:
    """:func:`_many` for an :class:`AsyncClient`: at most ``concurrency`` calls at once."""
    values = _fan_out_values(ep, filters, key)
    gate = asyncio.Semaphore(concurrency)

    async def one(value: Any) -> Envelope:
        async with gate:
            env: Envelope = await client.request(ep, **{**filters, key: value})
            return env

    envs = list(await asyncio.gather(*(one(v) for v in values)))
    return _many_frame(client, ep, key, envs, errors)


def _many_frame(
    client: Any, ep: Endpoint, key: str, envs: list[Envelope], errors: str
) -> pd.DataFrame:
    """The frame of a fan-out's answers, in the order of the values (sync and async alike)."""
    if errors == "raise":
        for env in envs:
            env.raise_for_code()
    df = FrameBuilder(ep).extend(envs).finish()
    df = _single_attrs(df, client, ep, envs[0])
    df.attrs["filters"] = {**df.attrs["filters"], key: [env.body.get(key) for env in envs]}
    df.attrs["complete"] = all(e.ok for e in envs)
    return df


def _single(
    client: Any, ep: Endpoint, filters: Mapping[str, Any], errors: str, concurrency: int = 8
) -> pd.DataFrame:
    key = _fan_out_key(ep, filters)
    if key is not None:
        return _many(client, ep, filters, key, errors, concurrency)
    return _single_frame(client, ep, client.request(ep, **filters), errors)


def _single_frame(client: Any, ep: Endpoint, env: Envelope, errors: str) -> pd.DataFrame:
    """The frame of one answer of a non-paged endpoint (sync and async fetches alike)."""
    if errors == "raise":
        env.raise_for_code()
    return _single_attrs(FrameBuilder(ep).add(env).finish(), client, ep, env)


def _single_attrs(df: pd.DataFrame, client: Any, ep: Endpoint, env: Envelope) -> pd.DataFrame:
    sent = {k: v for k, v in env.body.items() if k not in SYSTEM_PARAMS}
    df.attrs.update(
        {
            "endpoint": ep.name,
            "path": ep.path,
            "filters": sent,
            "base_url": client.base_url,
            "fetched_at": _now_iso(),
            "complete": env.ok,
        }
    )
    return df


# -- public entry points -------------------------------------------------------------------------


def _restart(
    fetch: Callable[..., Any],
    client: Any,
    endpoint: str | Endpoint,
    options: _Options,
    overrides: Mapping[str, Any],
    arguments: Mapping[str, Any],
) -> Any:
    """The same fetch from the start (``resume`` of one interrupted before its first page)."""
    chosen = dataclasses.replace(options, **overrides)
    given = {f.name: getattr(chosen, f.name) for f in dataclasses.fields(chosen)}
    return fetch(client, endpoint, **given, **arguments)


def _check_options(concurrency: int, page_attempts: int, on_mismatch: str, errors: str) -> None:
    if concurrency < 1:
        raise CregisValidationError(f"concurrency must be at least 1, got {concurrency}")
    if page_attempts < 1:
        raise CregisValidationError(f"page_attempts must be at least 1, got {page_attempts}")
    if on_mismatch not in ("warn", "raise"):
        raise CregisValidationError(f"on_mismatch must be 'warn' or 'raise', got {on_mismatch!r}")
    if errors not in ("raise", "row"):
        raise CregisValidationError(f"errors must be 'raise' or 'row', got {errors!r}")


def fetch_frame(
    client: Client | TeamClient,
    endpoint: str | Endpoint,
    /,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    concurrency: int = 8,
    progress: bool = True,
    checkpoint: str | Any | None = None,
    pin: bool = True,
    page_attempts: int = 3,
    on_mismatch: str = "warn",
    keep_checkpoint: bool = False,
    errors: str = "raise",
    timing: FetchTiming = DEFAULT_TIMING,
    **filters: Any,
) -> pd.DataFrame:
    """Every row of ``endpoint`` matching ``filters``, as one typed DataFrame.

    Paged endpoints (``trade_page``, ``sub_address_balance``, ``sub_address_balance_v2``): page 1
    gives ``total``; the other pages are fetched with at most ``concurrency`` requests in flight
    (retries and HTTP 429 are handled by the client's retry policy, then each page is tried up
    to ``page_attempts`` times). Other endpoints: one call, its records as rows (``errors="row"``
    keeps an error answer as a row instead of raising :class:`CregisAPIError`); a list of
    values for one filter of a read-only endpoint (``cregis_id=[...]``) makes one call per
    value, ``concurrency`` at a time, and one row per answer record.

    Args:
        page_size: rows per request (1..100).
        concurrency: requests in flight at once.
        progress: show a progress bar (a widget in Jupyter, text in a terminal).
        checkpoint: a file path; pages are appended to it as they arrive and a later call with
            the same arguments continues from it (deleted after the fetch returns unless
            ``keep_checkpoint=True``).
        pin: pin the time window's upper bound when none is given (``blocktime_end``).
        page_attempts: answers asked of a page that fails or comes back wrong.
        on_mismatch: ``"warn"`` (default) or ``"raise"`` when rows and ``total`` disagree.
        timing: the waits between tries of a page and the size of flattened runs
            (:class:`FetchTiming`).

    Raises:
        CregisFetchError: a page kept failing; ``err.partial`` and ``err.resume()``.
        CregisFetchInterrupted: the fetch was interrupted (also a ``KeyboardInterrupt``).
    """
    _record_error(None)
    options = _Options(concurrency, progress, page_attempts, on_mismatch, keep_checkpoint, timing)

    def again(**overrides: Any) -> pd.DataFrame:
        opened = {"page_size": page_size, "checkpoint": checkpoint, "pin": pin, "errors": errors}
        return _restart(fetch_frame, client, endpoint, options, overrides, {**opened, **filters})

    try:  # an interrupt before the first page is this fetch's too
        _check_options(concurrency, page_attempts, on_mismatch, errors)
        if isinstance(client, (AsyncClient, AsyncTeamClient)):
            raise TypeError(
                f"fetch_frame needs a Client or a TeamClient; with an {type(client).__name__} "
                "use `await afetch_frame(...)`"
            )
        ep = client.endpoint(endpoint)
        if not ep.is_paged:
            return _single(client, ep, filters, errors, concurrency)
        fetch = _open(client, ep, filters, page_size, pin, checkpoint)
    except KeyboardInterrupt as exc:
        raise _interrupted_before(endpoint, exc, again) from exc
    return _run(fetch, options)


async def afetch_frame(
    client: AsyncClient | AsyncTeamClient,
    endpoint: str | Endpoint,
    /,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    concurrency: int = 8,
    progress: bool = True,
    checkpoint: str | Any | None = None,
    pin: bool = True,
    page_attempts: int = 3,
    on_mismatch: str = "warn",
    keep_checkpoint: bool = False,
    errors: str = "raise",
    timing: FetchTiming = DEFAULT_TIMING,
    **filters: Any,
) -> pd.DataFrame:
    """The async twin of :func:`fetch_frame` for an :class:`AsyncClient` (same arguments).

    ``err.resume()`` of a failed async fetch returns a coroutine: ``df = await err.resume()``.
    """
    _record_error(None)
    options = _Options(concurrency, progress, page_attempts, on_mismatch, keep_checkpoint, timing)

    def again(**overrides: Any) -> Any:
        opened = {"page_size": page_size, "checkpoint": checkpoint, "pin": pin, "errors": errors}
        return _restart(afetch_frame, client, endpoint, options, overrides, {**opened, **filters})

    try:  # an interrupt before the first page is this fetch's too
        _check_options(concurrency, page_attempts, on_mismatch, errors)
        ep = client.endpoint(endpoint)
        if not ep.is_paged:
            key = _fan_out_key(ep, filters)
            if key is not None:
                return await _amany(client, ep, filters, key, errors, concurrency)
            return _single_frame(client, ep, await client.request(ep, **filters), errors)
        fetch = _open(client, ep, filters, page_size, pin, checkpoint)
    except (asyncio.CancelledError, KeyboardInterrupt) as exc:
        raise _interrupted_before(endpoint, exc, again) from exc
    return await _arun(fetch, options)
