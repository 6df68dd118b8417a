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
large ``total`` claims to be. Nor does ``total`` end the pages early: when its last page is full
the next page is asked for once (the end check); rows there mean ``total`` is understated, and
the pages run on to a short or empty page (at most
:data:`~cregis_notebook.pagination.EXTRA_PAGES` past it), reported as a mismatch. A ``total``
that is missing, ``null`` or not a count is unknown: the pages run until one is short and the
next is empty.

Failure and interruption lose nothing: a page that keeps failing, or Ctrl-C / the notebook's
stop button at any moment (even while the frame is being assembled), raises
:class:`~cregis_notebook.CregisFetchError` (:class:`~cregis_notebook.CregisFetchInterrupted`)
carrying ``partial`` (the rows so far) and ``resume()`` (fetches only the missing pages, same
window and filters). With ``checkpoint="file.jsonl"`` the pages are also written to disk as they
arrive, and calling ``fetch_frame`` again with the same arguments after a kernel restart
continues from there.

The parts, each importing only those listed after it: :mod:`.crew` (the workers),
:mod:`.outcome` (the frame or the error at the end), :mod:`.page` (one page and its tries),
:mod:`.progress` (the bar), :mod:`.unpaged` (endpoints without pages, and the list fan-out),
:mod:`.state` (the pages of one fetch) and :mod:`.options` (:class:`FetchTiming`).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from ..client import AsyncClient, AsyncTeamClient, Client, TeamClient
from ..pagination import DEFAULT_PAGE_SIZE
from ..spec import Endpoint
from .crew import arun, run
from .options import DEFAULT_TIMING, FetchOptions, FetchTiming, check_options
from .outcome import interrupted_before, last_fetch_error, record_error
from .state import Sink, open_fetch
from .unpaged import afetch_unpaged, fetch_unpaged

__all__ = ["FetchTiming", "Sink", "afetch_frame", "fetch_frame", "last_fetch_error"]


def _restart(
    fetch: Callable[..., Any],
    client: Any,
    endpoint: str | Endpoint,
    options: FetchOptions,
    overrides: Mapping[str, Any],
    arguments: Mapping[str, Any],
) -> Any:
    """The same fetch from the start (``resume`` of one interrupted before its first page)."""
    chosen = dataclasses.replace(options, **overrides)
    given = {f.name: getattr(chosen, f.name) for f in dataclasses.fields(chosen)}
    return fetch(client, endpoint, **given, **arguments)


def _sunk(df: pd.DataFrame, sink: Sink | None) -> pd.DataFrame:
    """An unpaged fetch's frame given to the sink (then returned without its rows)."""
    if sink is None:
        return df
    sink(df)
    empty = df.iloc[:0].copy()
    empty.attrs = {**df.attrs, "streamed": len(df)}
    return empty


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
    sink: Sink | None = None,
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
        sink: stream the rows instead of keeping them: a function called with each run of
            ``timing.run_pages`` pages as a typed frame, in page order, while later pages are in
            flight (not deduplicated: a row key may repeat across runs). The frame returned
            then has the columns and attrs but no rows; ``attrs["streamed"]`` counts the rows
            given to the sink, and ``err.partial`` of a failed fetch has none either (the rows
            of every run before the failure were given). Memory stays that of a few runs,
            however long the fetch. For an endpoint without pages, its one frame.

    Raises:
        CregisFetchError: a page kept failing; ``err.partial`` and ``err.resume()``.
        CregisFetchInterrupted: the fetch was interrupted (also a ``KeyboardInterrupt``).
    """
    record_error(None)
    options = FetchOptions(
        concurrency, progress, page_attempts, on_mismatch, keep_checkpoint, timing
    )

    def again(**overrides: Any) -> pd.DataFrame:
        opened = {"page_size": page_size, "checkpoint": checkpoint, "pin": pin, "errors": errors}
        opened["sink"] = sink
        return _restart(fetch_frame, client, endpoint, options, overrides, {**opened, **filters})

    try:  # an interrupt before the first page is this fetch's too
        check_options(concurrency, page_attempts, on_mismatch, errors)
        if isinstance(client, (AsyncClient, AsyncTeamClient)):
            raise TypeError(
                f"fetch_frame needs a Client or a TeamClient; with an {type(client).__name__} "
                "use `await afetch_frame(...)`"
            )
        ep = client.endpoint(endpoint)
        if not ep.is_paged:
            return _sunk(fetch_unpaged(client, ep, filters, errors, concurrency), sink)
        fetch = open_fetch(client, ep, filters, page_size, pin, checkpoint, sink)
    except KeyboardInterrupt as exc:
        raise interrupted_before(endpoint, exc, again) from exc
    return run(fetch, options)


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
    sink: Sink | None = None,
    **filters: Any,
) -> pd.DataFrame:
    """The async twin of :func:`fetch_frame` for an :class:`AsyncClient` (same arguments).

    ``err.resume()`` of a failed async fetch returns a coroutine: ``df = await err.resume()``.
    """
    record_error(None)
    options = FetchOptions(
        concurrency, progress, page_attempts, on_mismatch, keep_checkpoint, timing
    )

    def again(**overrides: Any) -> Any:
        opened = {"page_size": page_size, "checkpoint": checkpoint, "pin": pin, "errors": errors}
        opened["sink"] = sink
        return _restart(afetch_frame, client, endpoint, options, overrides, {**opened, **filters})

    try:  # an interrupt before the first page is this fetch's too
        check_options(concurrency, page_attempts, on_mismatch, errors)
        ep = client.endpoint(endpoint)
        if not ep.is_paged:
            return _sunk(await afetch_unpaged(client, ep, filters, errors, concurrency), sink)
        fetch = open_fetch(client, ep, filters, page_size, pin, checkpoint, sink)
    except (asyncio.CancelledError, KeyboardInterrupt) as exc:
        raise interrupted_before(endpoint, exc, again) from exc
    return await arun(fetch, options)
