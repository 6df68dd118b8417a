"""Endpoints without pages: one call, or one call per value of a list filter (the fan-out)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pandas as pd

from ..envelope import Envelope
from ..errors import CregisValidationError
from ..frames import FrameBuilder
from ..spec import SYSTEM_PARAMS, Endpoint
from .state import now_iso

__all__ = ["afetch_unpaged", "fetch_unpaged"]


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


def _fetch_many(
    client: Any, ep: Endpoint, filters: Mapping[str, Any], key: str, errors: str, concurrency: int
) -> pd.DataFrame:
    """One call per value of ``filters[key]``, concurrently; one frame of all their records."""
    values = _fan_out_values(ep, filters, key)
    with ThreadPoolExecutor(max_workers=min(concurrency, len(values))) as pool:
        envs = list(pool.map(lambda v: client.request(ep, **{**filters, key: v}), values))
    return _many_frame(client, ep, key, envs, errors)


async def _afetch_many(
    client: Any, ep: Endpoint, filters: Mapping[str, Any], key: str, errors: str, concurrency: int
) -> pd.DataFrame:
    """:func:`_fetch_many` for an :class:`AsyncClient`: at most ``concurrency`` calls at once."""
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


def fetch_unpaged(
    client: Any, ep: Endpoint, filters: Mapping[str, Any], errors: str, concurrency: int
) -> pd.DataFrame:
    """The frame of a non-paged endpoint: one call, or one per value of a list filter."""
    key = _fan_out_key(ep, filters)
    if key is not None:
        return _fetch_many(client, ep, filters, key, errors, concurrency)
    return _unpaged_frame(client, ep, client.request(ep, **filters), errors)


async def afetch_unpaged(
    client: Any, ep: Endpoint, filters: Mapping[str, Any], errors: str, concurrency: int
) -> pd.DataFrame:
    """:func:`fetch_unpaged` for an :class:`~cregis_notebook.AsyncClient`."""
    key = _fan_out_key(ep, filters)
    if key is not None:
        return await _afetch_many(client, ep, filters, key, errors, concurrency)
    return _unpaged_frame(client, ep, await client.request(ep, **filters), errors)


def _unpaged_frame(client: Any, ep: Endpoint, env: Envelope, errors: str) -> pd.DataFrame:
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
            "fetched_at": now_iso(),
            "complete": env.ok,
        }
    )
    return df


# -- public entry points -------------------------------------------------------------------------
