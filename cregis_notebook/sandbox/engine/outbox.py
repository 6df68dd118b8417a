"""Signed callbacks on their way out: the body of each, signed with the project key, queued.

The :class:`~cregis_notebook.sandbox.engine.callbacks.Dispatcher` then delivers them.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from typing import Any

from ..._signing import sign
from ...spec import registry
from .callbacks import Delivery, Dispatcher
from .project import Project
from .shapes import Shape, callback_shape

__all__ = ["Outbox"]

_NONCE = string.ascii_lowercase + string.digits


class Outbox:
    """Builds each callback as the registry documents it and queues it for delivery.

    ``wake()`` is called after each queued callback (it starts the delivery thread with the
    real clock).
    """

    def __init__(self, dispatcher: Dispatcher, rng: random.Random, wake: Callable[[], None]):
        self.dispatcher = dispatcher
        self._rng = rng
        self._wake = wake
        self._shapes: dict[str, Shape] = {
            cb.name: callback_shape(cb) for cb in registry().callbacks
        }

    def send(
        self,
        p: Project,
        name: str,
        url: str,
        record: dict[str, Any],
        at: float,
        event: str | None = None,
    ) -> None:
        """Queue callback ``name`` of project ``p`` to ``url``, due at ``at`` (none if no URL)."""
        if not url:
            return
        cb = registry().callback(name)
        body = self.body(p, name, record, at, event, self._rng)
        self.dispatcher.queue(Delivery(kind=cb.name, url=url, body=body, due=at, ack=cb.ack))
        self._wake()

    def body(
        self,
        p: Project,
        name: str,
        record: dict[str, Any],
        at: float,
        event: str | None,
        rng: random.Random,
        key: str | None = None,
    ) -> dict[str, Any]:
        """The signed body of callback ``name`` sent at ``at`` (its nonce drawn from ``rng``).

        Signed with the project key, or with ``key`` when given (a wrong key, on purpose).
        """
        full = {
            **record,
            "pid": p.pid,
            "nonce": "".join(rng.choice(_NONCE) for _ in range(6)),
            "timestamp": int(at * 1000),
            "sign": "",
        }
        body = self._shapes[name].render(full, event)
        body.pop("sign", None)
        body["sign"] = sign(body, p.api_key if key is None else key)
        return body
