"""The workers of a paged fetch: threads over a :class:`~cregis_notebook.Client` (the crew),
tasks over an :class:`~cregis_notebook.AsyncClient`, taking pages until none is left."""

from __future__ import annotations

import asyncio
import dataclasses
import queue
import threading
from typing import Any

import pandas as pd

from ..errors import CregisFetchError, PageFailed
from .options import FetchOptions
from .outcome import fail, finish, record_error
from .pace import Pace
from .page import aget_page, get_page
from .progress import Progress
from .state import FetchState, page_entry

__all__ = ["INTERRUPTED", "POLL", "Crew", "arun", "paced", "run"]

POLL = 0.25
"""Seconds the watching thread waits for a page before checking on the workers."""

INTERRUPTED = -1
"""The page number a worker reports when an interrupt (a BaseException) stopped it."""


class Crew:
    """``concurrency`` worker threads taking pages from the fetch until it has none to give.

    Each worker sends a page, retries it up to ``page_attempts`` times (after the client's own
    retries) and hands it to the fetch itself, so a page in flight when the user interrupts is
    still kept. The calling thread only watches: progress, flattening arrived pages, failures.
    """

    def __init__(self, fetch: FetchState, options: FetchOptions, pace: Pace) -> None:
        self.fetch = fetch
        self.options = options
        self.pace = pace
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
                    with self.pace.slot(self.stop) as admitted:
                        if not admitted:
                            return  # stopping: the page stays missing
                        env = get_page(
                            fetch.plan, page, options.page_attempts, options.timing, self.stop
                        )
                except PageFailed as exc:
                    self.results.put((page, 0, exc.cause))
                    return
                self.results.put((page, fetch.arrive(page, page_entry(env)), None))
        except BaseException as exc:  # an interrupt inside a worker: the watching thread raises it
            self.results.put((INTERRUPTED, 0, exc))
        finally:
            self.results.put((0, 0, None))  # this worker is done

    def collect(self, bar: Progress) -> tuple[int, BaseException] | None:
        """Wait for every worker; return the first page that kept failing (the others stop)."""
        failure: tuple[int, BaseException] | None = None
        running = len(self.workers)
        while running:
            try:
                page, rows, cause = self.results.get(timeout=POLL)
            except queue.Empty:
                if not any(w.is_alive() for w in self.workers) and self.results.empty():
                    break
                continue
            if page == 0:
                running -= 1
            elif page == INTERRUPTED and cause is not None:
                self.stop.set()
                raise cause
            elif cause is not None:
                if failure is None:
                    failure = (page, cause)
                    self.stop.set()
            else:
                bar.advance(rows, len(self.fetch.pages))
                if failure is None:
                    self.fetch.flatten_ready(self.options.timing.run_pages)
        return failure


def paced(df: pd.DataFrame, pace: Pace) -> pd.DataFrame:
    """``df`` with ``attrs["pace"]`` (:meth:`Pace.summary`) when the fetch met HTTP 429s."""
    if pace.limited:
        df.attrs["pace"] = pace.summary()
    return df


def run(fetch: FetchState, options: FetchOptions) -> pd.DataFrame:
    """Fetch the missing pages of ``fetch`` on worker threads; its frame."""
    record_error(None)

    def resume(**overrides: Any) -> pd.DataFrame:
        return run(fetch, dataclasses.replace(options, **overrides))

    bar = Progress(options.progress, fetch.plan.endpoint.name)
    pace = options.timing.pace(options.concurrency)
    crew: Crew | None = None
    fetch.again()
    try:
        try:
            fetch.restore(first=True)
            if 1 not in fetch.pages and 1 not in fetch.short:
                never = threading.Event()
                try:
                    env = get_page(fetch.plan, 1, options.page_attempts, options.timing, never)
                except PageFailed as exc:
                    message = f"page 1 kept failing ({exc.cause})"
                    raise fail(fetch, message, exc.cause, resume) from exc.cause
                fetch.arrive(1, page_entry(env))
            fetch.restore()
            bar.start(fetch)
            while True:
                taken = fetch.taken
                crew = Crew(fetch, options, pace)
                failure = crew.collect(bar)
                if failure is not None:
                    page, cause = failure
                    raise fail(fetch, f"page {page} kept failing ({cause})", cause, resume)
                wrong = fetch.judge(options.page_attempts)
                if wrong is not None:
                    message = f"page {wrong.page} kept failing ({wrong.cause})"
                    raise fail(fetch, message, wrong.cause, resume)
                if fetch.settled() or (taken == fetch.taken and not fetch.retry):
                    break
                if fetch.retry:
                    options.timing.sleep(options.timing.delay(None, max(fetch.tries.values())))
            if not fetch.finished(fetch.snapshot()):  # never silently incomplete
                raise fail(fetch, "the fetch stopped early", None, resume)
        finally:
            bar.close()
        return paced(finish(fetch, options, resume), pace)
    except CregisFetchError:
        raise  # this fetch's own error (an interrupt already became one)
    except KeyboardInterrupt as exc:  # at any point: the pages, the frame, the bar
        if crew is not None:
            crew.stop.set()  # requests in flight still land in the fetch
        raise fail(fetch, "interrupted", exc, resume, interrupted=True) from exc


async def arun(fetch: FetchState, options: FetchOptions) -> pd.DataFrame:
    """:func:`run` for an :class:`AsyncClient`: ``concurrency`` tasks instead of threads."""
    record_error(None)

    def resume(**overrides: Any) -> Any:
        return arun(fetch, dataclasses.replace(options, **overrides))

    bar = Progress(options.progress, fetch.plan.endpoint.name)
    pace = options.timing.pace(options.concurrency)
    tasks: list[asyncio.Task[None]] = []
    fetch.again()
    interrupts: list[BaseException] = []  # an interrupt inside a task, raised by arun itself

    async def worker(failures: list[PageFailed]) -> None:
        try:
            while not failures and not interrupts and (page := fetch.take()) is not None:
                try:
                    async with pace.aslot():
                        env = await aget_page(
                            fetch.plan, page, options.page_attempts, options.timing
                        )
                except PageFailed as exc:
                    failures.append(exc)
                    return
                bar.advance(fetch.arrive(page, page_entry(env)), len(fetch.pages))
                fetch.flatten_ready(options.timing.run_pages)
        except KeyboardInterrupt as exc:  # out of a task it would escape the event loop
            interrupts.append(exc)

    try:
        try:
            fetch.restore(first=True)
            if 1 not in fetch.pages and 1 not in fetch.short:
                try:
                    env = await aget_page(fetch.plan, 1, options.page_attempts, options.timing)
                except PageFailed as exc:
                    message = f"page 1 kept failing ({exc.cause})"
                    raise fail(fetch, message, exc.cause, resume) from exc.cause
                fetch.arrive(1, page_entry(env))
            fetch.restore()
            bar.start(fetch)
            while True:
                taken = fetch.taken
                failures: list[PageFailed] = []
                tasks = [
                    asyncio.ensure_future(worker(failures)) for _ in range(options.concurrency)
                ]
                await asyncio.gather(*tasks)
                if interrupts:
                    raise interrupts[0]
                if failures:
                    first = min(failures, key=lambda f: f.page)
                    message = f"page {first.page} kept failing ({first.cause})"
                    raise fail(fetch, message, first.cause, resume)
                wrong = fetch.judge(options.page_attempts)
                if wrong is not None:
                    message = f"page {wrong.page} kept failing ({wrong.cause})"
                    raise fail(fetch, message, wrong.cause, resume)
                if fetch.settled() or (taken == fetch.taken and not fetch.retry):
                    break
                if fetch.retry:
                    await asyncio.sleep(options.timing.delay(None, max(fetch.tries.values())))
            if not fetch.finished(fetch.snapshot()):
                raise fail(fetch, "the fetch stopped early", None, resume)
        finally:
            bar.close()
        return paced(finish(fetch, options, resume), pace)
    except CregisFetchError:
        raise
    except (asyncio.CancelledError, KeyboardInterrupt) as exc:
        for t in tasks:
            t.cancel()
        raise fail(fetch, "interrupted", exc, resume, interrupted=True) from exc
    except BaseException:
        for t in tasks:
            t.cancel()
        raise
