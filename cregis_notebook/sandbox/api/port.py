"""What the API service may ask of the engine: the whole interface, in one place.

The service checks requests and turns them into engine calls; it reads and writes a
:class:`~cregis_notebook.sandbox.engine.project.Project` it is handed, and for anything that
takes time or needs the engine's randomness it goes through these members, and nothing else.
:class:`~cregis_notebook.sandbox.engine.engine.Engine` provides them.
"""

from __future__ import annotations

from typing import Any, Protocol

from ..engine.catalog import Catalog
from ..engine.orders import Order
from ..engine.project import DepositOrder, Project, Transfer
from ..engine.shapes import Shape

__all__ = ["EnginePort"]


class EnginePort(Protocol):
    """The engine as the endpoint handlers see it."""

    @property
    def cat(self) -> Catalog:
        """The chains and currencies."""
        ...

    @property
    def settle_seconds(self) -> float:
        """How long a new transfer or payment takes to reach its final state."""
        ...

    def order_base_url(self) -> str:
        """Where checkout pages point."""
        ...

    def shape(self, endpoint: str) -> Shape:
        """The record shape of an endpoint's ``data``."""
        ...

    def fee_for(self, project: Project, cur: int) -> int:
        """A network fee for a transfer of currency ``cur`` (native units)."""
        ...

    def fee_in_amount_units(self, cur: int, fee: int) -> int:
        """A native fee in the stored units of native currency ``cur``."""
        ...

    def start_transfer(self, p: Project, t: Transfer, *, lock: int) -> None:
        """Record a new transfer, lock ``lock`` units and schedule its final state."""
        ...

    def start_order(self, p: Project, order: Order) -> None:
        """Schedule the expiry of a new checkout order."""
        ...

    def start_deposit_order(self, p: Project, d: DepositOrder) -> None:
        """Schedule the timeout of a new legacy deposit order."""
        ...

    def deposit_record(self, p: Project, d: DepositOrder) -> dict[str, Any]:
        """The ``deposit_query`` record of a legacy deposit order."""
        ...
