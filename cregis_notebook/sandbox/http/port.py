"""What the HTTP and transport adapters need from a sandbox: answering, a clock, an identity.

The adapters are given the :class:`~cregis_notebook.sandbox.Sandbox` facade and keep it as
their public ``.sandbox`` attribute (a client finds its sandbox there); they use only these
members of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from ..api.answers import Response
from ..engine.clock import Clock

__all__ = ["Answering", "Servable"]


class Answering(Protocol):
    """Something that answers requests on a clock (what a transport or the ASGI app wraps)."""

    @property
    def clock(self) -> Clock:
        """Epoch seconds; a FakeClock is advanced instead of sleeping."""
        ...

    def respond(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str] | None,
        body: bytes,
        *,
        client: str | None = ...,
    ) -> tuple[float, Response | None]:
        """``(delay seconds, response)``; ``None`` means "drop the connection"."""
        ...


class Servable(Answering, Protocol):
    """What the uvicorn server also needs: the default project and where it is served."""

    @property
    def pid(self) -> int:
        """The default project's id."""
        ...

    @property
    def api_key(self) -> str:
        """The default project's API key."""
        ...

    public_url: str | None

    def close(self) -> None:
        """Release the sandbox (when the server owns it)."""
        ...
