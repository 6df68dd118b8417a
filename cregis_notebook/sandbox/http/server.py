"""Serve a sandbox over real HTTP with uvicorn, in a background thread or in the foreground.

::

    with SandboxServer(Sandbox(seed=0)) as server:      # port 0: a free port is picked
        client = Client(server.base_url, server.pid, server.api_key)
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from typing import Any

import uvicorn

from .asgi import SandboxApp
from .port import Servable

__all__ = ["SandboxServer"]

_DROP_MESSAGES = ("ASGI callable returned without completing response.",)


class _QuietDrops(logging.Filter):
    """Hide uvicorn's complaint about the connections the "drop" failure cuts on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() not in _DROP_MESSAGES


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, ready: threading.Event) -> None:
        super().__init__(config)
        self.ready = ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.ready.set()


class SandboxServer:
    """A uvicorn server for ``sandbox`` on ``host:port`` (``port=0`` picks a free one).

    Use it as a context manager, or call :meth:`start` / :meth:`stop`. ``base_url`` is known
    as soon as the socket is bound; :meth:`start` returns once uvicorn is accepting.
    """

    def __init__(
        self,
        sandbox: Servable,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        log_level: str = "warning",
        access_log: bool = False,
        close_sandbox: bool = False,
    ) -> None:
        self.sandbox = sandbox
        self.host = host
        self.requested_port = port
        self.log_level = log_level
        self.access_log = access_log
        self.close_sandbox = close_sandbox
        self._sock: socket.socket | None = None
        self._port: int | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    # -- addresses -------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The bound port (after :meth:`bind`)."""
        if self._port is None:
            raise RuntimeError("the server is not bound yet: call start() or bind()")
        return self._port

    @property
    def base_url(self) -> str:
        """``http://host:port`` to give a client."""
        host = self.host if ":" not in self.host else f"[{self.host}]"
        return f"http://{host}:{self.port}"

    @property
    def pid(self) -> int:
        """The default project's pid."""
        return self.sandbox.pid

    @property
    def api_key(self) -> str:
        """The default project's API key."""
        return self.sandbox.api_key

    # -- running ---------------------------------------------------------------------------------

    def bind(self) -> socket.socket:
        """Bind and listen (idempotent); connections queue until uvicorn accepts them."""
        if self._sock is None:
            family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
            # IPPROTO_TCP, so that asyncio turns Nagle off on accepted connections
            sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((self.host, self.requested_port))
            except OSError:
                sock.close()
                raise
            sock.listen(2048)
            sock.setblocking(False)
            self._sock = sock
            self._port = int(sock.getsockname()[1])
            if self.sandbox.public_url is None:
                self.sandbox.public_url = self.base_url
        return self._sock

    def _config(self) -> uvicorn.Config:
        logging.getLogger("uvicorn.error").addFilter(_QuietDrops())
        return uvicorn.Config(
            SandboxApp(self.sandbox),
            log_level=self.log_level,
            access_log=self.access_log,
            lifespan="on",
            http="httptools",
            loop="asyncio",
            timeout_keep_alive=30,
            backlog=2048,
        )

    def start(self, timeout: float = 30.0) -> SandboxServer:
        """Serve in a daemon thread; returns when requests are being accepted."""
        if self._thread is not None:
            return self
        sock = self.bind()
        self._server = _Server(self._config(), self._ready)

        def run() -> None:
            try:
                asyncio.run(self._serve(sock))
            except BaseException as exc:  # reported by start()
                self._error = exc
            finally:
                self._ready.set()

        self._thread = threading.Thread(target=run, name="cregis-sandbox-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError(f"the sandbox server did not start within {timeout} s")
        if self._error is not None:
            raise RuntimeError(f"the sandbox server failed to start: {self._error}") from (
                self._error
            )
        return self

    async def _serve(self, sock: socket.socket) -> None:
        assert self._server is not None
        await self._server.serve(sockets=[sock])

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted (Ctrl-C); what the CLI does."""
        sock = self.bind()
        self._server = _Server(self._config(), self._ready)
        try:
            self._server.run(sockets=[sock])
        finally:
            self._close()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask uvicorn to finish and wait for the thread."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._close()

    def _close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self.close_sandbox:
            self.sandbox.close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()
