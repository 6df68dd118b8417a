"""One page of a fetch: asked up to ``page_attempts`` times and checked before it is taken."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from ..envelope import SUCCESS, Envelope
from ..errors import CregisAPIError, CregisError, CregisResponseError, PageFailed
from ..pagination import Plan, page_rows
from .options import FetchTiming

__all__ = ["aget_page", "check_page", "get_page"]


def check_page(env: Envelope, page: int) -> Envelope:
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


def get_page(
    plan: Plan, page: int, attempts: int, timing: FetchTiming, stop: threading.Event
) -> Any:
    """One page, tried up to ``attempts`` times; :class:`PageFailed` when it keeps failing."""
    attempt = 0
    while True:
        attempt += 1
        try:
            return check_page(plan.client.request(plan.endpoint, **plan.page(page)), page)
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


async def aget_page(plan: Plan, page: int, attempts: int, timing: FetchTiming) -> Any:
    """:func:`get_page` for an :class:`AsyncClient`."""
    attempt = 0
    while True:
        attempt += 1
        try:
            env = await plan.client.request(plan.endpoint, **plan.page(page))
            return check_page(env, page)
        except (CregisError, PageFailed) as exc:
            cause = exc.cause if isinstance(exc, PageFailed) else exc
            if page == 1 and isinstance(cause, CregisAPIError):
                raise cause from None
            if attempt >= attempts:
                raise PageFailed(page, cause) from cause
            await asyncio.sleep(timing.delay(cause, attempt))


# -- running a fetch -----------------------------------------------------------------------------
