"""Fetch every page of a paged endpoint into one exact DataFrame, from plain notebook code.

:func:`fetch_frame` asks for page 1, learns ``total``, then fetches the other pages
concurrently on a small thread pool over the synchronous :class:`~cregis_notebook.Client`: no
event loop is touched, so it works the same in a terminal, a script and a Jupyter cell (whose
own loop is already running). :func:`afetch_frame` is the ``await``-able twin for an
:class:`~cregis_notebook.AsyncClient`. :func:`iter_pages` / :func:`aiter_pages` yield the
envelopes one page at a time.

Consistency: when the caller gives no upper time bound, the fetch pins one (``blocktime_end``
for ``trade_page``) to the second before it started, so rows arriving meanwhile cannot shift the
pages; rows are deduplicated by the endpoint's row key (``cid``; ``address`` + ``currency``);
the row count is checked against ``total`` and a mismatch is warned about and recorded in
``df.attrs["mismatch"]``, never hidden.

Failure and interruption lose nothing: a page that keeps failing, or Ctrl-C / the notebook's
stop button, raises :class:`~cregis_notebook.CregisFetchError` carrying ``partial`` (the rows so
far) and ``resume()`` (fetches only the missing pages, same window and filters). With
``checkpoint="file.jsonl"`` the pages are also written to disk as they arrive, and calling
``fetch_frame`` again with the same arguments after a kernel restart continues from there.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import math
import queue
import threading
import time
import warnings
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from ._checkpoint import Checkpoint
from .envelope import SUCCESS, Envelope
from .errors import (
    CregisAPIError,
    CregisConsistencyWarning,
    CregisError,
    CregisFetchError,
    CregisFetchInterrupted,
    CregisValidationError,
    PageFailed,
)
from .frames import _Answer, _build, _Flat, _flatten_answers, _merge, _typed_frame
from .spec import SYSTEM_PARAMS, Endpoint

if TYPE_CHECKING:  # pragma: no cover
    from .client import AsyncClient, Client

__all__ = [
    "CregisConsistencyWarning",
    "CregisFetchInterrupted",
    "afetch_frame",
    "aiter_pages",
    "fetch_frame",
    "iter_pages",
    "last_fetch_error",
]

PAGE_PARAMS = ("page_num", "page_size")
DEFAULT_PAGE_SIZE = 100


_last_error: CregisFetchError | None = None


def last_fetch_error() -> CregisFetchError | None:
    """The last :class:`CregisFetchError` raised in this process (handy in a notebook)::

    err = last_fetch_error()
    df = err.resume()
    """
    return _last_error


# -- the plan of a fetch -----------------------------------------------------------------------


def _clock(client: Any) -> Callable[[], float]:
    clock = getattr(client, "_clock", None)
    return clock if callable(clock) else time.time


def _window_end(ep: Endpoint) -> str | None:
    """The parameter that bounds the fetched time window from above (``blocktime_end``)."""
    for p in ep.params:
        if p.unit in ("s", "ms") and p.name.endswith("_end"):
            return p.name
    return None


def _wire_filters(client: Any, ep: Endpoint, filters: Mapping[str, Any]) -> dict[str, Any]:
    """The filters exactly as they are sent (converted and validated), without system params."""
    prepared = client.prepare(ep, **filters)
    return {k: v for k, v in prepared.body.items() if k not in SYSTEM_PARAMS}


@dataclass
class _Plan:
    client: Any
    endpoint: Endpoint
    filters: dict[str, Any]  # the caller's filters, as sent
    pinned: dict[str, Any]  # what the fetch added (the time window's end)
    page_size: int

    @property
    def params(self) -> dict[str, Any]:
        return {**self.filters, **self.pinned, "page_size": self.page_size}

    def identity(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint.name,
            "base_url": self.client.base_url,
            "pid": self.client.pid,
            "page_size": self.page_size,
            "filters": self.filters,
        }


def _plan(
    client: Any,
    endpoint: str | Endpoint,
    filters: Mapping[str, Any],
    page_size: int,
    pin: bool,
    pinned: Mapping[str, Any] | None = None,
) -> _Plan:
    ep = client.endpoint(endpoint)
    if not ep.is_paged:
        raise CregisValidationError(f"{ep.name} is not paged", endpoint=ep.name)
    given = [k for k in PAGE_PARAMS if k in filters]
    if given:
        raise CregisValidationError(
            f"{ep.name}: {', '.join(given)} is chosen by the fetch; pass page_size= instead",
            endpoint=ep.name,
            param=given[0],
        )
    limit = ep.param("page_size")
    maximum = int(limit.maximum) if limit is not None and limit.maximum else DEFAULT_PAGE_SIZE
    if not 1 <= page_size <= maximum:
        raise CregisValidationError(
            f"{ep.name}: page_size must be 1..{maximum}, got {page_size}",
            endpoint=ep.name,
            param="page_size",
        )
    wire = _wire_filters(client, ep, {k: v for k, v in filters.items() if v is not None})
    added: dict[str, Any] = dict(pinned or {})
    end = _window_end(ep)
    if pin and end is not None and end not in wire and not added:
        param = ep.param(end)
        now = _clock(client)()
        # the last whole second (or millisecond) before the fetch began: every row of the
        # window already existed, so rows arriving during the fetch cannot shift pages
        added[end] = (
            int(now) - 1 if param is not None and param.unit == "s" else int(now * 1000) - 1
        )
    return _Plan(client, ep, wire, added, page_size)


def _pages_for(total: int, page_size: int) -> int:
    return max(1, math.ceil(total / page_size))


def _total_of(env: Envelope | Mapping[str, Any]) -> int:
    data = env.data if isinstance(env, Envelope) else env.get("data")
    if not isinstance(data, Mapping):
        return 0
    try:
        return int(data.get("total") or 0)
    except (TypeError, ValueError):
        return 0


def _rows_of(env: Mapping[str, Any]) -> int:
    data = env.get("data")
    rows = data.get("rows") if isinstance(data, Mapping) else None
    return len(rows) if isinstance(rows, list) else 0


# -- iter_pages ----------------------------------------------------------------------------------


def iter_pages(
    client: Client,
    endpoint: str | Endpoint,
    /,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    pin: bool = True,
    **filters: Any,
) -> Iterator[Envelope]:
    """Yield the :class:`Envelope` of each page in turn (``client.iter_pages``).

    Stops after the last page (``ceil(total / page_size)``) or an empty page; an error code
    raises :class:`CregisAPIError` (the envelope is in ``err.envelope``). The time window is
    pinned as in :func:`fetch_frame` unless ``pin=False``.
    """
    plan = _plan(client, endpoint, filters, page_size, pin)
    page = 1
    while True:
        env = client.request(plan.endpoint, **plan.params, page_num=page)
        env.raise_for_code()
        yield env
        if page >= _pages_for(_total_of(env), page_size) or not _rows_of(env.to_dict()):
            return
        page += 1


async def aiter_pages(
    client: AsyncClient,
    endpoint: str | Endpoint,
    /,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    pin: bool = True,
    **filters: Any,
) -> AsyncIterator[Envelope]:
    """The async twin of :func:`iter_pages` (``async for env in client.aiter_pages(...)``)."""
    plan = _plan(client, endpoint, filters, page_size, pin)
    page = 1
    while True:
        env = await client.request(plan.endpoint, **plan.params, page_num=page)
        env.raise_for_code()
        yield env
        if page >= _pages_for(_total_of(env), page_size) or not _rows_of(env.to_dict()):
            return
        page += 1


# -- the state of a fetch ------------------------------------------------------------------------


@dataclass
class _Fetch:
    """Everything a fetch has: its plan, the pages so far, and where they are kept on disk."""

    plan: _Plan
    checkpoint: Checkpoint | None = None
    pages: dict[int, dict[str, Any]] = field(default_factory=dict)
    total: int | None = None
    started_at: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)
    runs: list[_Flat] = field(default_factory=list)  # pages 1..flattened, in runs
    flattened: int = 0

    @property
    def page_count(self) -> int | None:
        if self.total is None:
            return None
        return _pages_for(self.total, self.plan.page_size)

    def missing(self, pages: Mapping[int, Any] | None = None) -> list[int]:
        count = self.page_count
        if count is None:
            return [1]
        have = self.pages if pages is None else pages
        return [p for p in range(1, count + 1) if p not in have]

    def snapshot(self) -> dict[int, dict[str, Any]]:
        with self.lock:
            return dict(self.pages)

    def record(self, page: int, env: Envelope) -> None:
        """Keep a page (once) and write it to the checkpoint."""
        entry = {"code": env.code, "msg": env.msg, "data": env.data}
        with self.lock:
            if page in self.pages:
                return
            self.pages[page] = entry
            if self.total is None:
                self.total = _total_of(env)
        if self.checkpoint is not None:
            self.checkpoint.add(page, entry)

    def flatten_ready(self, run_pages: int) -> None:
        """Flatten the next ``run_pages`` pages if they have all arrived (while others fly).

        Only the columns are gathered here (Arrow arrays, parsed decimals); :meth:`frame` joins
        the runs and types every column once, so the wait after the last page is short.
        """
        with self.lock:
            stop = self.flattened + run_pages
            if any(p not in self.pages for p in range(self.flattened + 1, stop + 1)):
                return
            pages = [(p, self.pages[p]) for p in range(self.flattened + 1, stop + 1)]
        self.runs.append(self._flatten(pages))
        self.flattened = stop

    def _flatten(self, pages: Sequence[tuple[int, Mapping[str, Any]]]) -> _Flat:
        name = self.plan.endpoint.name
        answers = [_Answer(e["code"], e["msg"], e["data"], name) for _, e in pages]
        return _flatten_answers(answers, self.plan.endpoint, explode=True)

    def frame(self, *, final: bool, snapshot: Mapping[int, Any] | None = None) -> pd.DataFrame:
        have = self.snapshot() if snapshot is None else snapshot
        pages = sorted(have.items())
        ep = self.plan.endpoint
        rest = [(p, e) for p, e in pages if p > self.flattened]
        merged = _merge([*self.runs, self._flatten(rest)] if rest else self.runs)
        if merged is None:  # the runs disagree (an undocumented key in some): all at once
            merged = self._flatten(pages)
        df = _typed_frame(merged, ep, labels=True)
        before = len(df)
        key = [k for k in ep.row_key if k in df.columns]
        if key and before:
            usable = df[key].notna().all(axis=1)
            dup = df.duplicated(subset=key, keep="first") & usable
            if dup.any():
                df = df.loc[~dup].reset_index(drop=True)
        duplicates = before - len(df)
        totals = sorted({_total_of(e) for _, e in pages})
        count = self.page_count or 0
        complete = final and not self.missing(have)
        df.attrs.update(
            {
                "endpoint": ep.name,
                "path": ep.path,
                "filters": {**self.plan.filters, **self.plan.pinned},
                "pinned": dict(self.plan.pinned),
                "page_size": self.plan.page_size,
                "base_url": self.plan.client.base_url,
                "total": self.total,
                "pages": count,
                "pages_fetched": len(pages),
                "fetched_at": self.started_at,
                "complete": complete,
                "duplicates": duplicates,
            }
        )
        df.attrs.pop("errors", None)
        if complete and (len(df) != self.total or len(totals) > 1):
            df.attrs["mismatch"] = {
                "total": self.total,
                "rows": len(df),
                "duplicates": duplicates,
                "totals_seen": totals,
            }
        return df


def _identity_header(fetch: _Fetch) -> dict[str, Any]:
    return {**fetch.plan.identity(), "pinned": fetch.plan.pinned, "started_at": fetch.started_at}


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
    plan = _plan(client, endpoint, filters, page_size, pin, pinned)
    fetch = _Fetch(plan, store, started_at=_now_iso())
    if store is not None:
        store.check(plan.identity())
        if store.header is not None:
            fetch.started_at = str(store.header.get("started_at") or fetch.started_at)
            for page, entry in store.pages.items():
                fetch.pages[page] = {k: entry.get(k) for k in ("code", "msg", "data")}
            if 1 in fetch.pages:
                fetch.total = _total_of(fetch.pages[1])
        else:
            store.start(_identity_header(fetch))
    return fetch


# -- progress ------------------------------------------------------------------------------------


class _Progress:
    """A tqdm bar of rows, with pages in its postfix (``tqdm.auto``); a no-op when disabled."""

    def __init__(self, enabled: bool, name: str) -> None:
        self.enabled = enabled
        self.name = name
        self.bar: Any = None
        self.pages = 0

    def start(self, total_rows: int, done_rows: int, pages: int, done_pages: int) -> None:
        self.pages = pages
        if self.enabled:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total_rows, initial=done_rows, unit=" rows", desc=self.name)
            self._post(done_pages)

    def _post(self, done_pages: int) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(f"{done_pages}/{self.pages} pages", refresh=False)

    def advance(self, rows: int, done_pages: int) -> None:
        if self.bar is not None:
            self.bar.update(rows)
            self._post(done_pages)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


# -- running a fetch (threads) -------------------------------------------------------------------


def _get_page(plan: _Plan, page: int) -> Envelope:
    env: Envelope = plan.client.request(plan.endpoint, **plan.params, page_num=page)
    return env


def _check(env: Envelope, page: int) -> Envelope:
    if env.code != SUCCESS:
        try:
            env.raise_for_code()
        except CregisAPIError as exc:
            raise PageFailed(page, exc) from exc
    return env


def _fail(
    fetch: _Fetch,
    message: str,
    cause: BaseException | None,
    resume: Callable[..., Any],
    interrupted: bool = False,
) -> CregisFetchError:
    global _last_error
    have = fetch.snapshot()
    partial = fetch.frame(final=False, snapshot=have)
    missing = tuple(fetch.missing(have))
    cls = CregisFetchInterrupted if interrupted else CregisFetchError
    count = fetch.page_count
    where = f"{len(have)} of {count} pages" if count else "no pages"
    text = (
        f"{fetch.plan.endpoint.name}: {message} after {where} ({len(partial)} rows). "
        f"err.partial holds them; err.resume() fetches the {len(missing)} missing pages"
        + (
            f"; the checkpoint {fetch.checkpoint.path} keeps them across restarts"
            if fetch.checkpoint
            else ""
        )
        + ". (In a notebook: err = cregis_notebook.pagination.last_fetch_error())"
    )
    err = cls(text, partial=partial, cause=cause, resume=resume, missing_pages=missing)
    err.checkpoint = str(fetch.checkpoint.path) if fetch.checkpoint else None
    _last_error = err
    return err


RUN_PAGES = 16
"""Pages flattened together while the rest of a fetch is in flight."""

PAGE_BACKOFF = 0.2
"""Seconds before a failed page's second try (doubling, at most 4 s; at least ``Retry-After``)."""


def _page_delay(exc: BaseException, attempt: int) -> float:
    retry_after = getattr(exc, "retry_after", None)
    base = min(4.0, PAGE_BACKOFF * 2 ** (attempt - 1))
    return max(base, float(retry_after or 0.0))


def _run(
    fetch: _Fetch,
    *,
    concurrency: int,
    progress: bool,
    page_attempts: int,
    on_mismatch: str,
    keep_checkpoint: bool,
    sleep: Callable[[float], None] = time.sleep,
) -> pd.DataFrame:
    def resume(**overrides: Any) -> pd.DataFrame:
        options = {
            "concurrency": concurrency,
            "progress": progress,
            "page_attempts": page_attempts,
            "on_mismatch": on_mismatch,
            "keep_checkpoint": keep_checkpoint,
            **overrides,
        }
        return _run(fetch, **options)

    bar = _Progress(progress, fetch.plan.endpoint.name)
    crew: _Crew | None = None
    try:
        if 1 not in fetch.pages:
            try:
                env = _first_page(fetch, page_attempts, sleep)
            except CregisAPIError:
                raise  # a bad filter or signature: nothing to keep, nothing to resume
            except CregisError as exc:
                raise _fail(fetch, f"page 1 kept failing ({exc})", exc, resume) from exc
            fetch.record(1, env)
        count = fetch.page_count or 1
        done_rows = sum(_rows_of(e) for e in fetch.pages.values())
        bar.start(fetch.total or 0, done_rows, count, len(fetch.pages))
        missing = fetch.missing()
        if missing:
            crew = _Crew(fetch, missing, concurrency, page_attempts, sleep)
            failure = crew.collect(bar)
            if failure is not None:
                page, cause = failure
                raise _fail(fetch, f"page {page} kept failing ({cause})", cause, resume)
            if fetch.missing():  # never silently incomplete
                raise _fail(fetch, "the fetch stopped early", None, resume)
    except KeyboardInterrupt as exc:
        if isinstance(exc, CregisFetchError):
            raise
        if crew is not None:
            crew.stop.set()  # requests in flight still land in fetch.pages
        raise _fail(fetch, "interrupted", exc, resume, interrupted=True) from exc
    finally:
        bar.close()
    return _finish(fetch, on_mismatch, keep_checkpoint)


class _Crew:
    """``concurrency`` worker threads taking pages from one queue until it is empty.

    Each worker sends a page, retries it up to ``page_attempts`` times (after the client's own
    retries) and records it in the fetch itself, so a page in flight when the user interrupts
    is still kept. The calling thread only watches: progress, flattening arrived pages, failures.
    """

    def __init__(
        self,
        fetch: _Fetch,
        pages: list[int],
        concurrency: int,
        page_attempts: int,
        sleep: Callable[[float], None],
    ) -> None:
        self.fetch = fetch
        self.pending = deque(pages)
        self.page_attempts = page_attempts
        self.sleep = sleep
        self.stop = threading.Event()
        self.results: queue.SimpleQueue[tuple[int, BaseException | None]] = queue.SimpleQueue()
        self.expected = len(pages)
        self.workers = [
            threading.Thread(target=self._work, name=f"cregis-fetch-{i}", daemon=True)
            for i in range(min(concurrency, len(pages)))
        ]
        for worker in self.workers:
            worker.start()

    def _next(self) -> int | None:
        if self.stop.is_set():
            return None
        try:
            return self.pending.popleft()  # deque.popleft is atomic
        except IndexError:
            return None

    def _work(self) -> None:
        while (page := self._next()) is not None:
            attempt = 0
            while True:
                attempt += 1
                try:
                    env = _check(_get_page(self.fetch.plan, page), page)
                except Exception as exc:  # any failure of one page: retried, then reported
                    cause = exc.cause if isinstance(exc, PageFailed) else exc
                    if attempt < self.page_attempts and not self.stop.is_set():
                        self.sleep(_page_delay(cause, attempt))
                        continue
                    self.results.put((page, cause))
                    break
                self.fetch.record(page, env)
                self.results.put((page, None))
                break

    def collect(self, bar: _Progress) -> tuple[int, BaseException] | None:
        """Wait for every page; return the first that kept failing (the others stop)."""
        failure: tuple[int, BaseException] | None = None
        seen = 0
        while seen < self.expected:
            try:
                page, cause = self.results.get(timeout=0.25)
            except queue.Empty:
                if not any(w.is_alive() for w in self.workers) and self.results.empty():
                    break  # stopped after a failure: nobody is left to answer
                continue
            seen += 1
            if cause is not None:
                if failure is None:
                    failure = (page, cause)
                    self.stop.set()
                continue
            bar.advance(_rows_of(self.fetch.pages[page]), len(self.fetch.pages))
            if failure is None and seen < self.expected:
                self.fetch.flatten_ready(RUN_PAGES)
        return failure


def _first_page(fetch: _Fetch, page_attempts: int, sleep: Callable[[float], None]) -> Envelope:
    attempt = 0
    while True:
        attempt += 1
        try:
            env = _get_page(fetch.plan, 1)
        except CregisError as exc:
            if attempt < page_attempts:
                sleep(_page_delay(exc, attempt))
                continue
            raise
        env.raise_for_code()  # a bad filter or signature: nothing to keep, nothing to resume
        return env


def _finish(fetch: _Fetch, on_mismatch: str, keep_checkpoint: bool) -> pd.DataFrame:
    df = fetch.frame(final=True)
    mismatch = df.attrs.get("mismatch")
    if mismatch:
        text = (
            f"{fetch.plan.endpoint.name}: fetched {mismatch['rows']} distinct rows but total says "
            f"{mismatch['total']} (duplicates dropped: {mismatch['duplicates']}, totals seen: "
            f"{mismatch['totals_seen']}); see df.attrs['mismatch']"
        )
        if on_mismatch == "raise":
            global _last_error
            err = CregisFetchError(text, partial=df, resume=None, missing_pages=())
            _last_error = err
            raise err
        warnings.warn(text, CregisConsistencyWarning, stacklevel=3)
    if fetch.checkpoint is not None and not keep_checkpoint:
        fetch.checkpoint.remove()
    return df


# -- public entry points -------------------------------------------------------------------------


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
    answers = [_Answer(e.code, e.msg, e.data, ep.name) for e in envs]
    df, _ = _build(answers, ep, labels=True, explode=True)
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
    df, _ = _build([_Answer(env.code, env.msg, env.data, ep.name)], ep, labels=True, explode=True)
    return _single_attrs(df, client, ep, env)


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
    client: Client,
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
            the same arguments continues from it (deleted after a complete fetch unless
            ``keep_checkpoint=True``).
        pin: pin the time window's upper bound when none is given (``blocktime_end``).
        on_mismatch: ``"warn"`` (default) or ``"raise"`` when rows and ``total`` disagree.

    Raises:
        CregisFetchError: a page kept failing; ``err.partial`` and ``err.resume()``.
        CregisFetchInterrupted: the fetch was interrupted (also a ``KeyboardInterrupt``).
    """
    _check_options(concurrency, page_attempts, on_mismatch, errors)
    from .client import AsyncClient

    if isinstance(client, AsyncClient):
        raise TypeError(
            "fetch_frame needs a Client; with an AsyncClient use `await afetch_frame(...)`"
        )
    ep = client.endpoint(endpoint)
    if not ep.is_paged:
        return _single(client, ep, filters, errors, concurrency)
    fetch = _open(client, ep, filters, page_size, pin, checkpoint)
    return _run(
        fetch,
        concurrency=concurrency,
        progress=progress,
        page_attempts=page_attempts,
        on_mismatch=on_mismatch,
        keep_checkpoint=keep_checkpoint,
    )


# -- async ---------------------------------------------------------------------------------------


async def _arun(
    fetch: _Fetch,
    *,
    concurrency: int,
    progress: bool,
    page_attempts: int,
    on_mismatch: str,
    keep_checkpoint: bool,
) -> pd.DataFrame:
    plan = fetch.plan

    def resume(**overrides: Any) -> Any:
        options = {
            "concurrency": concurrency,
            "progress": progress,
            "page_attempts": page_attempts,
            "on_mismatch": on_mismatch,
            "keep_checkpoint": keep_checkpoint,
            **overrides,
        }
        return _arun(fetch, **options)

    async def get(page: int) -> Envelope:
        attempt = 0
        while True:
            attempt += 1
            try:
                env = await plan.client.request(plan.endpoint, **plan.params, page_num=page)
                return _check(env, page)
            except (CregisError, PageFailed) as exc:
                cause = exc.cause if isinstance(exc, PageFailed) else exc
                if page == 1 and isinstance(cause, CregisAPIError):
                    raise cause from None
                if attempt >= page_attempts:
                    raise PageFailed(page, cause) from cause
                await asyncio.sleep(_page_delay(cause, attempt))

    bar = _Progress(progress, plan.endpoint.name)
    gate = asyncio.Semaphore(concurrency)

    async def bounded(page: int) -> None:
        async with gate:
            env = await get(page)
        fetch.record(page, env)
        bar.advance(_rows_of(fetch.pages[page]), len(fetch.pages))
        fetch.flatten_ready(RUN_PAGES)

    tasks: list[asyncio.Task[None]] = []
    try:
        if 1 not in fetch.pages:
            try:
                fetch.record(1, await get(1))
            except PageFailed as exc:
                if isinstance(exc.cause, CregisAPIError):
                    raise exc.cause from None
                raise _fail(fetch, f"page 1 kept failing ({exc.cause})", exc.cause, resume) from exc
        done_rows = sum(_rows_of(e) for e in fetch.pages.values())
        bar.start(fetch.total or 0, done_rows, fetch.page_count or 1, len(fetch.pages))
        tasks = [asyncio.ensure_future(bounded(p)) for p in fetch.missing()]
        if tasks:
            results = await asyncio.gather(*tasks, return_exceptions=True)
            failed = [r for r in results if isinstance(r, PageFailed)]
            others = [
                r for r in results if isinstance(r, BaseException) and not isinstance(r, PageFailed)
            ]
            if others:
                raise others[0]
            if failed:
                first = min(failed, key=lambda f: f.page)
                raise _fail(
                    fetch, f"page {first.page} kept failing ({first.cause})", first.cause, resume
                )
    except (asyncio.CancelledError, KeyboardInterrupt) as exc:
        for t in tasks:
            t.cancel()
        raise _fail(fetch, "interrupted", exc, resume, interrupted=True) from exc
    finally:
        bar.close()
    return _finish(fetch, on_mismatch, keep_checkpoint)


async def afetch_frame(
    client: AsyncClient,
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
    **filters: Any,
) -> pd.DataFrame:
    """The async twin of :func:`fetch_frame` for an :class:`AsyncClient` (same arguments).

    ``err.resume()`` of a failed async fetch returns a coroutine: ``df = await err.resume()``.
    """
    _check_options(concurrency, page_attempts, on_mismatch, errors)
    ep = client.endpoint(endpoint)
    if not ep.is_paged:
        key = _fan_out_key(ep, filters)
        if key is not None:
            return await _amany(client, ep, filters, key, errors, concurrency)
        return _single_frame(client, ep, await client.request(ep, **filters), errors)
    fetch = _open(client, ep, filters, page_size, pin, checkpoint)
    return await _arun(
        fetch,
        concurrency=concurrency,
        progress=progress,
        page_attempts=page_attempts,
        on_mismatch=on_mismatch,
        keep_checkpoint=keep_checkpoint,
    )
