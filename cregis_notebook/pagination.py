"""Pages of a paged endpoint: the plan of a fetch, the pinned time window, and page iterators.

:func:`iter_pages` / :func:`aiter_pages` yield the envelopes one page at a time;
:func:`plan_fetch` checks the page options, converts the filters as they are sent and pins the
time window. The concurrent fetch into one DataFrame (``fetch_frame``) is in
:mod:`cregis_notebook.fetch`; this module never imports the client at run time.

The pinned window: when the caller gives no upper time bound, the plan pins one
(``blocktime_end`` for ``trade_page``) to the second before the fetch started, so rows arriving
meanwhile cannot shift the pages.

``total``: a page's ``total`` that is missing, ``null`` or not a whole number >= 0 is unknown
(:func:`page_total` gives ``None``); with an unknown total the pages run until one is shorter
than ``page_size``. A total is never trusted to run on past an empty page, nor to end the pages
early: when the last page the total implies is full, the next page is asked for once (the end
check); rows there mean the total is understated (reported with
:class:`~cregis_notebook.errors.CregisConsistencyWarning`), and the pages run on until one is
short or empty, at most :data:`EXTRA_PAGES` past the total's last page.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._values import exact_count
from .envelope import Envelope
from .errors import CregisConsistencyWarning, CregisValidationError
from .spec import PAGE_PARAMS, SYSTEM_PARAMS, Endpoint

if TYPE_CHECKING:  # pragma: no cover
    from .client import AsyncClient, AsyncTeamClient, Client, TeamClient

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "EXTRA_PAGES",
    "PAGE_PARAMS",
    "Plan",
    "aiter_pages",
    "iter_pages",
    "page_count",
    "page_rows",
    "page_total",
    "plan_fetch",
]

DEFAULT_PAGE_SIZE = 100
_NUMBER, _SIZE = PAGE_PARAMS  # the registry's page parameter names


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


@dataclass(frozen=True)
class Plan:
    """What a fetch asks for: endpoint, filters as sent, pinned window, page size."""

    client: Any
    endpoint: Endpoint
    filters: dict[str, Any]  # the caller's filters, as sent
    pinned: dict[str, Any]  # what the fetch added (the time window's end)
    page_size: int

    @property
    def params(self) -> dict[str, Any]:
        """The parameters of every page request, without ``page_num``."""
        return {**self.filters, **self.pinned, _SIZE: self.page_size}

    def page(self, number: int) -> dict[str, Any]:
        """The parameters of the request for page ``number`` (counting from 1)."""
        return {**self.params, _NUMBER: number}

    def identity(self) -> dict[str, Any]:
        """What makes two fetches the same (a checkpoint of another fetch is refused).

        A project is told by its ``pid``; a team (which has none) by its public Access Key.
        """
        identity = {
            "endpoint": self.endpoint.name,
            "base_url": self.client.base_url,
            "pid": getattr(self.client, "pid", None),
            "page_size": self.page_size,
            "filters": self.filters,
        }
        access_key = getattr(self.client, "access_key", None)
        if access_key is not None:
            identity["access_key"] = access_key
        return identity


def plan_fetch(
    client: Any,
    endpoint: str | Endpoint,
    filters: Mapping[str, Any],
    page_size: int = DEFAULT_PAGE_SIZE,
    *,
    pin: bool = True,
    pinned: Mapping[str, Any] | None = None,
) -> Plan:
    """Check the page options, convert the filters as sent and pin the time window.

    ``pinned`` reuses the window of an earlier fetch (a checkpoint's); otherwise, with
    ``pin=True`` and no upper time bound among the filters, the window ends at the last whole
    second (or millisecond) before now by the client's clock.
    """
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
    limit = ep.param(_SIZE)
    maximum = int(limit.maximum) if limit is not None and limit.maximum else DEFAULT_PAGE_SIZE
    if not 1 <= page_size <= maximum:
        raise CregisValidationError(
            f"{ep.name}: page_size must be 1..{maximum}, got {page_size}",
            endpoint=ep.name,
            param=_SIZE,
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
    return Plan(client, ep, wire, added, page_size)


EXTRA_PAGES = 100
"""Pages read at most past the last one ``total`` announces once ``total`` proved understated
(the page after its full last page had rows): pages that still run on past them (data growing
faster than it is read) are not asked for, and the stop is reported."""


def page_count(total: int, page_size: int) -> int:
    """Pages that ``total`` rows fill (at least one: an empty result is one empty page)."""
    return max(1, -(-total // page_size))


def _data(env: Envelope | Mapping[str, Any]) -> Any:
    return env.data if isinstance(env, Envelope) else env.get("data")


def page_total(env: Envelope | Mapping[str, Any]) -> int | None:
    """The ``total`` a page announces, or ``None`` when it is missing, null or not a count."""
    data = _data(env)
    if not isinstance(data, Mapping):
        return None
    return exact_count(data.get("total"))


def page_rows(env: Envelope | Mapping[str, Any]) -> list[Any] | None:
    """The ``rows`` of a page, or ``None`` when the page has none to give (``data: null``...)."""
    data = _data(env)
    rows = data.get("rows") if isinstance(data, Mapping) else None
    return rows if isinstance(rows, list) else None


def _checked_empty(env: Envelope, page: int, plan: Plan, total: int | None) -> bool:
    """Whether ``env`` is the end check's empty page (past the total's last): not yielded."""
    past = total is not None and page > page_count(total, plan.page_size)
    return past and not page_rows(env)


def _last(env: Envelope, page: int, plan: Plan, total: int | None) -> bool:
    """Whether ``env`` (page ``page``) ends the iteration; ``total``: what page 1 announced."""
    rows = page_rows(env)
    if not rows:
        return True  # an empty page ends it, whatever total says
    count = None if total is None else page_count(total, plan.page_size)
    if count is not None and page < count:
        return False
    if count is not None and page > count:
        name = plan.endpoint.name
        if page == count + 1:
            warnings.warn(
                f"{name}: page {page} has rows but total {total} ends the pages at page {count}: "
                "the total is understated; reading on to a short page",
                CregisConsistencyWarning,
                stacklevel=3,
            )
        if page >= count + EXTRA_PAGES and len(rows) >= plan.page_size:
            warnings.warn(
                f"{name}: stopped at page {page}, {EXTRA_PAGES} pages past the total's last "
                "page; more pages may follow",
                CregisConsistencyWarning,
                stacklevel=3,
            )
            return True
    return len(rows) < plan.page_size  # a full last page: the next one is asked (end check)


# -- iter_pages ----------------------------------------------------------------------------------


def iter_pages(
    client: Client | TeamClient,
    endpoint: str | Endpoint,
    /,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    pin: bool = True,
    **filters: Any,
) -> Iterator[Envelope]:
    """Yield the :class:`Envelope` of each page in turn (``client.iter_pages``).

    Stops at an empty page, or after a page shorter than ``page_size`` that is the last one
    the total implies or past it (a full last page is followed by one more page, the end
    check; see the module docs for an understated total); an error code raises
    :class:`CregisAPIError` (the envelope is in ``err.envelope``). The time window is pinned as
    in :func:`~cregis_notebook.fetch.fetch_frame` unless ``pin=False``.
    """
    plan = plan_fetch(client, endpoint, filters, page_size, pin=pin)
    page = 1
    total: int | None = None
    while True:
        env = client.request(plan.endpoint, **plan.page(page))
        env.raise_for_code()
        total = page_total(env) if page == 1 else total
        if _checked_empty(env, page, plan, total):
            return
        yield env
        if _last(env, page, plan, total):
            return
        page += 1


async def aiter_pages(
    client: AsyncClient | AsyncTeamClient,
    endpoint: str | Endpoint,
    /,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    pin: bool = True,
    **filters: Any,
) -> AsyncIterator[Envelope]:
    """The async twin of :func:`iter_pages` (``async for env in client.aiter_pages(...)``)."""
    plan = plan_fetch(client, endpoint, filters, page_size, pin=pin)
    page = 1
    total: int | None = None
    while True:
        env = await client.request(plan.endpoint, **plan.page(page))
        env.raise_for_code()
        total = page_total(env) if page == 1 else total
        if _checked_empty(env, page, plan, total):
            return
        yield env
        if _last(env, page, plan, total):
            return
        page += 1
