"""The registry's currencies and chains as numbered tables, with the sandbox's amount scales."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from ...spec import Chain, Currency, registry
from .market import usd_price

__all__ = ["MAX_USD", "Catalog", "catalog"]

MAX_USD = 5_000_000
"""The largest transfer the generator makes, in USD; amount scales are chosen so it fits."""

_INT64_MAX = 2**63 - 1


@dataclass(frozen=True)
class Catalog:
    """Currencies and chains by index (arrays for vectorised generation)."""

    currencies: tuple[Currency, ...]
    chains: tuple[Chain, ...]
    cur_chain: np.ndarray  # chain index of each currency
    native: tuple[int, ...]  # currency index of each chain's native coin
    scale: tuple[int, ...]  # decimals kept in stored amounts, per currency
    price: np.ndarray  # USD per unit, per currency
    by_identifier: dict[str, int]
    by_chain_id: dict[str, int]

    def currency_index(self, key: str) -> int | None:
        """Index of the currency named by ``chain_id@token_id`` or by its name."""
        cur = registry().currency(key)
        return None if cur is None else self.by_identifier.get(cur.identifier)

    def chain_index(self, chain_id: object) -> int | None:
        """Index of the chain with this id (``"60"`` or ``60``)."""
        return self.by_chain_id.get(str(chain_id).strip())

    def of_chain(self, chain: int) -> list[int]:
        """Currency indexes on chain index ``chain``, native coin first."""
        found = [i for i, c in enumerate(self.cur_chain.tolist()) if c == chain]
        return sorted(found, key=lambda i: i != self.native[chain])


def _scale(cur: Currency) -> int:
    """Decimals to keep so that MAX_USD worth of the coin still fits in an int64."""
    price = float(usd_price(cur.symbol))
    units = MAX_USD / price
    fits = math.floor(math.log10(_INT64_MAX / units))
    return max(0, min(cur.decimals, fits))


@functools.cache
def catalog() -> Catalog:
    """The catalog built from the registry (shared)."""
    reg = registry()
    chains = tuple(c for c in reg.chains if any(x.chain_id == c.chain_id for x in reg.currencies))
    by_chain_id = {c.chain_id: i for i, c in enumerate(chains)}
    currencies = tuple(reg.currencies)
    cur_chain = np.array([by_chain_id[c.chain_id] for c in currencies], dtype=np.int16)
    native = []
    for chain in chains:
        hits = [i for i, c in enumerate(currencies) if c.chain_id == chain.chain_id and c.native]
        native.append(hits[0])
    return Catalog(
        currencies=currencies,
        chains=chains,
        cur_chain=cur_chain,
        native=tuple(native),
        scale=tuple(_scale(c) for c in currencies),
        price=np.array([float(usd_price(c.symbol)) for c in currencies]),
        by_identifier={c.identifier: i for i, c in enumerate(currencies)},
        by_chain_id=by_chain_id,
    )
