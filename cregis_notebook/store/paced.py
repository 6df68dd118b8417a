"""A client whose requests all pass one rate control: :class:`PacedClient`.

A sync that runs several fetches at once (a team's wallets, say) gives each the same
:class:`PacedClient`, so that at most ``pace.limit`` requests are in flight for the whole sync,
whatever each fetch's own ``concurrency``. Every request, page 1 and unpaged calls included,
waits for room in the shared :class:`~cregis_notebook.fetch.Pace`, which also hears the HTTP
429s of all of them: one AIMD window for the sync rather than one per fetch. A view made by
:meth:`PacedClient.ahead` sends its requests before those of the others waiting for room: a
sync gives it to the requests that other work waits on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..envelope import Envelope
from ..fetch import Pace
from .recording import ObservedClient

__all__ = ["PacedClient"]


class PacedClient(ObservedClient):
    """``client`` whose every request runs in a slot of ``pace`` and whose every answer is
    shown to ``observe``; every other attribute is the wrapped client's."""

    def __init__(
        self,
        client: Any,
        observe: Callable[[Envelope], None],
        pace: Pace,
        *,
        ahead: bool = False,
    ) -> None:
        super().__init__(client, observe)
        self._pace = pace
        self._ahead = ahead

    def ahead(self) -> PacedClient:
        """The same client, pace and observer, whose requests take the next room before
        those of this one waiting for it."""
        return PacedClient(self._client, self._observe, self._pace, ahead=True)

    def request(self, endpoint: Any, /, **params: Any) -> Envelope:
        """The wrapped client's ``request``, sent once ``pace`` has room, its answer observed."""
        with self._pace.slot(ahead=self._ahead):  # no stop event: always admitted, in time
            return super().request(endpoint, **params)
