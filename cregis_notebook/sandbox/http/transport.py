"""httpx transports that answer from a :class:`~cregis_notebook.sandbox.Sandbox` in-process.

Each keeps the sandbox as its public ``.sandbox`` attribute: that is how a client built on one
finds the sandbox behind it.
"""

from __future__ import annotations

import httpx

from ..api.answers import Response
from ..engine.clock import AsyncSleep, async_sleep_for, sleep_for
from .port import Answering

__all__ = ["AsyncSandboxTransport", "SandboxTransport"]

_DROPPED = "Server disconnected without sending a response."


def _to_httpx(request: httpx.Request, response: Response | None) -> httpx.Response:
    if response is None:  # the "drop" failure
        raise httpx.RemoteProtocolError(_DROPPED, request=request)
    return httpx.Response(
        response.status,
        headers=list(response.headers),
        content=response.body,
        request=request,
    )


class SandboxTransport(httpx.BaseTransport):
    """Synchronous: latency is a blocking sleep (a FakeClock is advanced instead)."""

    def __init__(self, sandbox: Answering) -> None:
        self.sandbox = sandbox
        self._sleep = sleep_for(sandbox.clock)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        delay, response = self.sandbox.respond(
            request.method, request.url.path, request.headers, body
        )
        if delay > 0:
            self._sleep(delay)
        return _to_httpx(request, response)


class AsyncSandboxTransport(httpx.AsyncBaseTransport):
    """Asynchronous: latency is an ``asyncio.sleep``, so many requests overlap.

    With a FakeClock the clock is advanced instead. ``sleep`` replaces the wait (an async
    callable taking seconds), for instance to watch requests wait side by side.
    """

    def __init__(self, sandbox: Answering, *, sleep: AsyncSleep | None = None) -> None:
        self.sandbox = sandbox
        self._sleep = sleep or async_sleep_for(sandbox.clock)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        delay, response = self.sandbox.respond(
            request.method, request.url.path, request.headers, body
        )
        if delay > 0:
            await self._sleep(delay)
        return _to_httpx(request, response)
