"""How a fetch ends: its frame (with the mismatch warning), or its error with ``partial`` and
``resume()``, remembered for :func:`last_fetch_error`."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pandas as pd

from ..errors import CregisConsistencyWarning, CregisError, CregisFetchError, CregisFetchInterrupted
from ..frames import FrameBuilder
from ..spec import Endpoint
from .options import FetchOptions
from .state import FetchState

__all__ = ["fail", "finish", "interrupted_before", "last_fetch_error", "record_error"]

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


def record_error(err: CregisFetchError | None) -> None:
    """Remember ``err`` (``None``: a fetch starts) for :func:`last_fetch_error`."""
    global _last_error
    _last_error = err


def fail(
    fetch: FetchState,
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
    record_error(err)
    return err


def interrupted_before(
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
    record_error(err)
    return err


def finish(fetch: FetchState, options: FetchOptions, resume: Callable[..., Any]) -> pd.DataFrame:
    """The frame of a finished fetch; a mismatch warned about (or raised); the checkpoint gone."""
    df = fetch.frame(final=True)
    mismatch = df.attrs.get("mismatch")
    if mismatch:
        ended = mismatch.get("ended_at_page")
        stopped = mismatch.get("stopped_at_page")
        text = (
            f"{fetch.plan.endpoint.name}: fetched {mismatch['rows']} distinct rows but total says "
            f"{mismatch['total']} (duplicates dropped: {mismatch['duplicates']}, totals seen: "
            f"{mismatch['totals_seen']}"
            + (f"; the pages ran out at page {ended}" if ended else "")
            + (
                "; the pages ran on past the total's last page"
                if mismatch.get("understated")
                else ""
            )
            + (f"; stopped at page {stopped}, more pages may follow" if stopped else "")
            + "); see df.attrs['mismatch']"
        )
        if options.on_mismatch == "raise":
            err = CregisFetchError(text, partial=df, resume=None, missing_pages=())
            record_error(err)
            raise err
        warnings.warn(text, CregisConsistencyWarning, stacklevel=4)
    if fetch.checkpoint is not None and not options.keep_checkpoint:
        fetch.checkpoint.remove()
    return df
