"""Every address one sandbox project knows, numbered, rendered only when first needed."""

from __future__ import annotations

import binascii
from dataclasses import dataclass

import numpy as np

from ...spec import Chain
from .addresses import address_from_bytes
from .ids import digest, random_words

__all__ = ["EXTERNAL", "SUB", "WALLET", "AddressBook", "AddressInfo"]

SUB = 0
"""A project (API) address: receives deposits, has balances, ``address_inner`` says true."""
WALLET = 1
"""The project's payout / collection wallet address on a chain."""
EXTERNAL = 2
"""Somebody else's address: payers, payees."""


@dataclass
class AddressInfo:
    """What the project keeps about one of its own addresses."""

    gid: int
    chain: int
    alias: str = ""
    callback_url: str = ""
    status: str = "0"  # "0" enabled, "1" disabled
    created_ms: int = 0


class AddressBook:
    """Addresses by number (``gid``): chain, role and text; project addresses by text."""

    def __init__(self, salt: str, chains: tuple[Chain, ...]) -> None:
        self.salt = salt
        self.chains = chains
        self._chain: list[int] = []
        self._role: list[int] = []
        self._text: list[str | None] = []
        self._by_text: dict[str, int] = {}
        self.info: dict[int, AddressInfo] = {}
        self.ranges: dict[tuple[int, int], list[int]] = {}
        self._salts = np.array(
            [int.from_bytes(digest(salt, "address", k, size=8), "big") for k in range(4)],
            dtype=np.uint64,
        )

    def __len__(self) -> int:
        return len(self._text)

    def add_generated(self, chain: int, role: int, count: int) -> range:
        """Reserve ``count`` new generated addresses on chain index ``chain``."""
        start = len(self._text)
        self._chain.extend([chain] * count)
        self._role.extend([role] * count)
        self._text.extend([None] * count)
        gids = range(start, start + count)
        self.ranges.setdefault((chain, role), []).extend(gids)
        if role != EXTERNAL:
            for gid in gids:
                self._by_text[self.text(gid)] = gid
                if role == SUB:
                    self.info[gid] = AddressInfo(gid, chain)
        return gids

    def add_text(self, chain: int, role: int, text: str) -> int:
        """Register an address given as text (returns the existing number if known)."""
        known = self._by_text.get(text)
        if known is not None:
            return known
        gid = len(self._text)
        self._chain.append(chain)
        self._role.append(role)
        self._text.append(text)
        self.ranges.setdefault((chain, role), []).append(gid)
        if role != EXTERNAL:
            self._by_text[text] = gid
        return gid

    def new_address(self, chain: int, role: int = SUB) -> int:
        """Create one fresh generated address and return its number."""
        return self.add_generated(chain, role, 1)[0]

    def text(self, gid: int) -> str:
        """The address text of ``gid``."""
        text = self._text[gid]
        if text is None:
            style = self.chains[self._chain[gid]].address_style
            seed = random_words(np.array([gid], dtype=np.int64), self._salts)
            text = address_from_bytes(style, seed)
            self._text[gid] = text
        return text

    def texts(self, gids: list[int]) -> list[str]:
        """The address texts of ``gids`` (one call for a page: rendered ones are looked up)."""
        known = self._text
        return [t if (t := known[g]) is not None else self.text(g) for g in gids]

    def render_all(self) -> None:
        """Render every address not rendered yet (in bulk: pages then never wait for one)."""
        missing = np.array([g for g, t in enumerate(self._text) if t is None], dtype=np.int64)
        if not len(missing):
            return
        blob = random_words(missing, self._salts)
        hexes = binascii.hexlify(blob).decode("ascii")
        texts = self._text
        for i, gid in enumerate(missing.tolist()):
            style = self.chains[self._chain[gid]].address_style
            if style in ("evm", "ethereum_classic"):
                texts[gid] = "0x" + hexes[i * 64 : i * 64 + 40]
            elif style == "sui":
                texts[gid] = "0x" + hexes[i * 64 : i * 64 + 64]
            else:
                texts[gid] = address_from_bytes(style, blob[i * 32 : i * 32 + 32])

    def chain_of(self, gid: int) -> int:
        """Chain index of ``gid``."""
        return self._chain[gid]

    def role_of(self, gid: int) -> int:
        """Role of ``gid`` (:data:`SUB`, :data:`WALLET` or :data:`EXTERNAL`)."""
        return self._role[gid]

    def owned(self, text: str) -> int | None:
        """The number of a project-owned address (sub-address or wallet), else ``None``."""
        return self._by_text.get(text)

    def of(self, chain: int, role: int) -> list[int]:
        """Every address number of ``role`` on chain index ``chain``."""
        return self.ranges.get((chain, role), [])
