"""The sandbox as an ASGI application (what ``cregis-notebook sandbox`` serves with uvicorn)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from ..engine.clock import AsyncSleep, async_sleep_for
from .port import Answering

__all__ = ["SandboxApp"]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

_MAX_BODY = 10 * 1024 * 1024


class SandboxApp:
    """ASGI 3 app: every request goes through :meth:`Sandbox.respond`.

    Latency is an ``asyncio.sleep`` so concurrent requests overlap (with a FakeClock the clock
    is advanced instead, as the in-process transports do; ``sleep`` replaces the wait); a
    dropped connection sends the status line and headers, then closes without the promised
    body.
    """

    def __init__(
        self,
        sandbox: Answering,
        on_startup: Callable[[], None] | None = None,
        *,
        sleep: AsyncSleep | None = None,
    ) -> None:
        self.sandbox = sandbox
        self.on_startup = on_startup
        self._sleep = sleep or async_sleep_for(sandbox.clock)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self._lifespan(receive, send)
            return
        if kind != "http":
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size <= _MAX_BODY:
                chunks.append(chunk)
            more = message.get("more_body", False)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        body = b"".join(chunks) if size <= _MAX_BODY else b"\xff"
        peer = scope.get("client")  # (host, port), or None when there is no IP (a unix socket)
        delay, response = self.sandbox.respond(
            scope["method"], scope["path"], headers, body, client=peer[0] if peer else None
        )
        if delay > 0:
            await self._sleep(delay)
        if response is None:
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", b"64")],
                }
            )
            return  # the server closes the connection: the client sees a cut-off answer
        raw_headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
        raw_headers.append((b"content-length", str(len(response.body)).encode("ascii")))
        await send(
            {"type": "http.response.start", "status": response.status, "headers": raw_headers}
        )
        await send({"type": "http.response.body", "body": response.body})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                if self.on_startup is not None:
                    self.on_startup()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
