"""How a fetch runs: its timing (:class:`FetchTiming`) and the options checked once at its start."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import CregisValidationError
from .pace import Pace

__all__ = ["DEFAULT_TIMING", "FetchOptions", "FetchTiming", "check_options"]


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
        pace: builds the fetch's rate control from its ``concurrency``: a
            :class:`~cregis_notebook.fetch.pace.Pace`, which lowers the requests in flight when
            HTTP 429s appear and raises them again gradually (``Pace`` with its defaults; give
            ``functools.partial(Pace, clock=...)`` or other factors).
    """

    backoff: float = 0.2
    max_backoff: float = 4.0
    run_pages: int = 16
    sleep: Callable[[float], None] = time.sleep
    pace: Callable[[int], Pace] = Pace

    def delay(self, exc: BaseException | None, attempt: int) -> float:
        """Seconds to wait after the ``attempt``-th failed try of a page."""
        retry_after = getattr(exc, "retry_after", None)
        base = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
        return max(base, float(retry_after or 0.0))


DEFAULT_TIMING = FetchTiming()


@dataclass(frozen=True)
class FetchOptions:
    """The options of one fetch that ``resume()`` may change."""

    concurrency: int
    progress: bool
    page_attempts: int
    on_mismatch: str
    keep_checkpoint: bool
    timing: FetchTiming


def check_options(concurrency: int, page_attempts: int, on_mismatch: str, errors: str) -> None:
    """Raise :class:`CregisValidationError` for an option out of its range, naming it."""
    if concurrency < 1:
        raise CregisValidationError(f"concurrency must be at least 1, got {concurrency}")
    if page_attempts < 1:
        raise CregisValidationError(f"page_attempts must be at least 1, got {page_attempts}")
    if on_mismatch not in ("warn", "raise"):
        raise CregisValidationError(f"on_mismatch must be 'warn' or 'raise', got {on_mismatch!r}")
    if errors not in ("raise", "row"):
        raise CregisValidationError(f"errors must be 'raise' or 'row', got {errors!r}")
