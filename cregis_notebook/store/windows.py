"""Rows asked for again by time window: the windows that cover a set of block times at a page
each (:func:`settled_windows`), and those windows fetched together (:func:`fetch_windows`).

``trade_page`` filters by one ``cid`` at most, so a sync learns the current state of rows it
holds as pending by asking for the time windows around them. A window is drawn so that the
store knows of at most a page of rows in it: one request answers it, whole. The windows are
sent ``concurrency`` at a time, each a single request of one page; their answers are flattened
a run at a time as they arrive and become one typed frame (a frame per window would cost more
than the request). A window whose
answer is not one whole short page (an error code, a page without rows, more rows than a page,
a ``total`` that differs from its rows) is fetched again through ``fetch``, the full fetch with
its page checks, retries and end check: nothing is taken on trust that the full fetch would
not take.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from ..envelope import SUCCESS, Envelope
from ..frames import FrameBuilder
from ..pagination import DEFAULT_PAGE_SIZE, page_rows, page_total

__all__ = ["fetch_windows", "settled_windows"]

Window = tuple[int, int]
"""``(blocktime_start, blocktime_end)``, both inclusive, in epoch seconds."""

RUN = 16
"""Answers flattened together while later windows are still in flight."""


def settled_windows(seconds: Sequence[int], stored: np.ndarray, rows: int) -> list[Window]:
    """Time windows ``(start, end)`` (inclusive, epoch seconds) covering every time in
    ``seconds``; a window takes in the next time while ``stored`` (the sorted block times the
    store holds) has at most ``rows`` rows between its start and that time."""
    times = np.unique(np.asarray(seconds, dtype=np.int64))
    if not len(times):
        return []
    stored = np.asarray(stored, dtype=np.int64)
    below = np.searchsorted(stored, times, "left").tolist()  # rows before each time
    through = np.searchsorted(stored, times, "right").tolist()  # rows up to each time
    windows: list[Window] = []
    first = 0  # the index in ``times`` of the open window's start
    for i, t in enumerate(times.tolist()):
        if windows and through[i] - below[first] <= rows:
            windows[-1] = (windows[-1][0], t)
            continue
        windows.append((t, t))
        first = i
    return windows


def fetch_windows(
    client: Any,
    endpoint: str,
    windows: Sequence[Window],
    concurrency: int,
    fetch: Callable[..., pd.DataFrame],
) -> pd.DataFrame:
    """The rows of every window, one typed frame in the windows' order (a row in two windows
    is there twice): one request of one page per window, ``concurrency`` at a time; a window
    whose answer is not one whole short page is fetched again by ``fetch(endpoint,
    blocktime_start=..., blocktime_end=...)``."""
    if not windows:
        return FrameBuilder(endpoint).finish()

    def ask(window: Window) -> Envelope | pd.DataFrame:
        start, end = window
        try:
            env = client.request(
                endpoint, blocktime_start=start, blocktime_end=end, page_num=1,
                page_size=DEFAULT_PAGE_SIZE,
            )  # fmt: skip
        except Exception:  # whatever failed: the full fetch tries again, and reports it
            env = None
        if env is not None and whole(env):
            return env
        return fetch(endpoint, blocktime_start=start, blocktime_end=end)

    builder = FrameBuilder(endpoint)
    frames: list[pd.DataFrame] = []
    run: list[Envelope] = []
    with ThreadPoolExecutor(min(concurrency, len(windows)), "cregis-store-windows") as pool:
        for answer in pool.map(ask, windows):  # in order, flattened while the rest arrive
            if isinstance(answer, pd.DataFrame):
                frames += [builder.add_run(run).finish(), answer]
                builder, run = FrameBuilder(endpoint), []
                continue
            run.append(answer)
            if len(run) == RUN:
                builder.add_run(run)
                run = []
    frames.append(builder.add_run(run).finish())
    frames = [f for f in frames if len(f)]
    if not frames:
        return FrameBuilder(endpoint).finish()
    df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    df.attrs = {}
    return df


def whole(env: Envelope) -> bool:
    """Whether ``env`` answered one whole page that is also the last: success, a list of fewer
    rows than a page, and a ``total`` equal to them (so no end check is due)."""
    if env.code != SUCCESS:
        return False
    rows = page_rows(env)
    if rows is None or len(rows) >= DEFAULT_PAGE_SIZE:
        return False
    return page_total(env) == len(rows)
