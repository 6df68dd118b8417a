"""A client that writes to a store: :meth:`Store.recording` wraps a
:class:`~cregis_notebook.Client` so that every payout, withdrawal and payment order created
through it (its helpers such as ``payout`` or ``checkout``, or ``request``) is tracked in the
store as soon as Cregis answers with its id; the next sync asks about it.

The wrapper is a client in its own right: every other attribute is the wrapped client's.
:class:`ObservedClient`, the same wrapper with any observer, also lets a sync count every
request it sends (pages, end checks and one call per tracked id alike).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .._helpers import SyncHelpers
from ..client import Client
from ..envelope import Envelope
from ..errors import CregisStoreError

__all__ = ["CREATES", "ObservedClient", "RecordingClient"]

CREATES: dict[str, tuple[str, str]] = {
    "payout_create_v1": ("payouts", "cid"),
    "payout_create_v2": ("payouts", "cid"),
    "sub_address_withdrawal_create": ("withdrawals", "cid"),
    "checkout_create_v2": ("orders", "cregis_id"),
    "order_create_v1": ("orders", "cregis_id"),
}
"""The endpoints that create a tracked object: its table, and the answer's field naming it."""


class ObservedClient(SyncHelpers):
    """``client`` whose every answer is shown to ``observe`` before it is returned; every
    other attribute is the wrapped client's (its helpers call :meth:`request` here)."""

    def __init__(self, client: Any, observe: Callable[[Envelope], None]) -> None:
        self._client = client
        self._observe = observe

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._client!r})"

    def request(self, endpoint: Any, /, **params: Any) -> Envelope:
        """The wrapped client's ``request``, its answer observed."""
        env: Envelope = self._client.request(endpoint, **params)
        self._observe(env)
        return env

    def _call_helper(self, name: str, params: Mapping[str, Any]) -> Any:
        return self.request(name, **params).raise_for_code().data


class RecordingClient(ObservedClient):
    """``client`` with every created payout, withdrawal and order tracked through ``track``
    (a store's :meth:`~cregis_notebook.Store.track`) before the call returns."""

    def __init__(self, client: Client, track: Callable[[str, list[Any]], int]) -> None:
        if not isinstance(client, Client):
            raise CregisStoreError(
                "a store records the calls of a cregis_notebook.Client, "
                f"not {type(client).__name__}"
            )
        super().__init__(client, self._record)
        self._track = track

    def _record(self, env: Envelope) -> None:
        created = CREATES.get(env.endpoint)
        if created is None or not env.ok:
            return
        table, field = created
        value = env.data.get(field) if isinstance(env.data, Mapping) else None
        if value is None:
            raise CregisStoreError(
                f"{env.endpoint} succeeded but its answer names no {field}; "
                f"nothing was tracked (track it with store.track({table!r}, ...))"
            )
        try:
            self._track(table, [value])
        except Exception as exc:
            raise CregisStoreError(
                f"{env.endpoint} created {field} {value}, but the store could not track it "
                f"({exc}); track it with store.track({table!r}, [{value!r}])"
            ) from exc
