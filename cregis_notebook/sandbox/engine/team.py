"""The sandbox's team (the Team API's world): wallets, their addresses and their transfers.

A :class:`Team` is built from the seed alone: the same seed and the same clock give the same
wallets, addresses, amounts and hashes. Its wallets are single- and multi-signature, each on one
to three chains with the native coin and up to two tokens, two to four addresses per chain.

**The balance rule.** Every amount is held exactly as an integer of ``10**-SCALE`` units. For an
address and a token, at time ``now``:

* ``total`` = the amounts of successful receives (final) - the amounts of successful sends
  (final) - the fees of final sends, successful or failed, when the token is the chain's
  native coin (a send's fee is paid by its address in the native coin; a receive costs the
  wallet nothing, so a receive's ``fee`` is ``0``);
* ``processing`` = the amounts of the sends still in flight;
* ``available`` = ``total - processing``.

A wallet's balance is the sum over its addresses, so the two balance calls always agree, and
both agree with the history: replaying the history gives the same ``total``. The generator
never lets ``available`` go below zero.

**In flight.** Each wallet has a few sends in flight when the sandbox starts; the ``i``-th of
``n`` settles at ``started + team_settle_seconds * (i + 1) / n``. Until then it is listed by the
processing call (``transaction_type`` 1 = send, ``status`` 0); from then on it is a history row
with that block time, and the balance moves with it. Time is the sandbox clock, so with a
:class:`~cregis_notebook.sandbox.engine.clock.FakeClock` nothing settles until it is advanced.

**Live mode.** With ``team_live_rate`` > 0, new transfers keep arriving (:meth:`Team.advance`):
receives final at once, sends in flight for ``team_settle_seconds``. Only sends are ever in
flight, so every in-flight transfer has a documented processing row.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from .addresses import address_from_bytes, txid_from_bytes
from .catalog import Catalog
from .ids import digest

__all__ = [
    "MULTI_SIGN",
    "RECEIVE",
    "SCALE",
    "SEND",
    "SINGLE_SIGN",
    "Team",
    "TeamAddress",
    "TeamTransfer",
    "TeamWallet",
]

SINGLE_SIGN, MULTI_SIGN = "single_sign", "multi_sign"
RECEIVE, SEND = "receive", "send"
SCALE = 6
"""Decimals the team's amounts and fees carry (fewer for a coin with fewer decimals)."""

FIRST_WALLET_ID = 1385412968038400
"""The docs' example wallet id: the first wallet's id; later ones grow from it (all < 2**53)."""

_CHAINS = ("195", "60", "2510", "0", "1000", "62")
"""Chains the team's wallets use, by chain id (the first wallet always holds TRON)."""


@dataclass
class TeamAddress:
    """One address of a wallet on one chain."""

    address: str
    chain: int
    alias: str | None
    enabled: bool
    created: int


@dataclass
class TeamTransfer:
    """One transfer of a wallet: final once ``at`` has passed, in flight before."""

    wallet_id: int
    cur: int
    address: str
    other: str
    direction: str
    units: int
    fee: int
    ok: bool
    txid: str
    height: int
    at: float

    def is_final(self, now: float) -> bool:
        """True once the transfer has its block (its ``at`` has come)."""
        return self.at <= now


@dataclass
class TeamWallet:
    """A wallet: its coins, its addresses and its transfers (oldest first)."""

    wallet_id: int
    alias: str
    kind: str
    created: int
    tokens: tuple[int, ...]
    addresses: list[TeamAddress] = field(default_factory=list)
    transfers: list[TeamTransfer] = field(default_factory=list)


class Team:
    """The team behind the Team API: its credentials, its wallets and the nonces it has seen."""

    def __init__(
        self,
        cat: Catalog,
        seed: int,
        *,
        access_key: str,
        access_secret: str,
        wallets: int,
        transfers: int,
        t_end: int,
        span_days: float,
        started: float,
        settle_seconds: float,
        live_rate: float = 0.0,
    ) -> None:
        self.cat = cat
        self.seed = seed
        self.access_key = access_key
        self.access_secret = access_secret
        self.started = started
        self.settle_seconds = settle_seconds
        self.live_rate = live_rate
        self.nonces: dict[str, float] = {}
        """Accepted nonces and the time until which each one counts as used."""
        self.wallets: dict[int, TeamWallet] = {}
        self._held: dict[int, dict[tuple[str, int], int]] = {}
        """Per wallet: what each address will hold of each coin once everything has settled."""
        self._arrived = 0
        rng = random.Random(f"{seed}:team")
        wallet_id = FIRST_WALLET_ID
        t_start = int(t_end - span_days * 86_400)
        for index in range(wallets):
            wallet = self._wallet(rng, index, wallet_id, t_start)
            held: dict[tuple[str, int], int] = {}
            begin = max(t_start, wallet.created + 300)
            for at in sorted(rng.uniform(begin, t_end - 60) for _ in range(transfers)):
                self._one(rng, wallet, held, int(at), settle=0, failures=True)
            self._in_flight(rng, wallet, held)
            self.wallets[wallet_id] = wallet
            self._held[wallet_id] = held
            wallet_id += rng.randrange(2**28, 2**30) & ~0xFFF

    def advance(self, now: float) -> None:
        """Let the live transfers due by ``now`` arrive (``team_live_rate`` per second).

        Transfer ``k`` arrives at ``started + (k + 1) / rate``, made from the seed and ``k``
        alone, so the team is the same however often it is asked. A receive is final when it
        arrives; a send is in flight for ``settle_seconds``.
        """
        if self.live_rate <= 0:
            return
        while True:
            at = self.started + (self._arrived + 1) / self.live_rate
            if at > now:
                return
            rng = random.Random(f"{self.seed}:team-live:{self._arrived}")
            wallet = rng.choice(list(self.wallets.values()))
            held = self._held[wallet.wallet_id]
            self._one(rng, wallet, held, at, settle=self.settle_seconds, failures=False)
            self._arrived += 1

    # -- reading -----------------------------------------------------------------------------------

    def scale(self, cur: int) -> int:
        """Decimals of currency ``cur``'s team amounts."""
        return min(SCALE, self.cat.currencies[cur].decimals)

    def balances(self, wallet: TeamWallet, now: float) -> dict[tuple[str, int], tuple[int, int]]:
        """``(address, currency) -> (total, processing)`` in units, by the balance rule."""
        out: dict[tuple[str, int], list[int]] = {}
        for a in wallet.addresses:
            for cur in self._tokens_on(wallet, a.chain):
                out[(a.address, cur)] = [0, 0]
        for t in wallet.transfers:
            cell = out[(t.address, t.cur)]
            if not t.is_final(now):
                cell[1] += t.units
                continue
            if t.ok:
                cell[0] += t.units if t.direction == RECEIVE else -t.units
            if t.direction == SEND:
                native = self.cat.native[int(self.cat.cur_chain[t.cur])]
                out[(t.address, native)][0] -= t.fee
        return {k: (v[0], v[1]) for k, v in out.items()}

    def history(self, wallet: TeamWallet, now: float) -> list[TeamTransfer]:
        """The final transfers, newest first (ties by txid)."""
        done = [t for t in wallet.transfers if t.is_final(now)]
        return sorted(done, key=lambda t: (-t.at, t.txid))

    def processing(self, wallet: TeamWallet, now: float) -> list[TeamTransfer]:
        """The sends still in flight, newest first (by when they settle, latest first)."""
        return sorted(
            (t for t in wallet.transfers if not t.is_final(now)), key=lambda t: (-t.at, t.txid)
        )

    def remember_nonce(self, nonce: str, until: float, now: float) -> bool:
        """Record ``nonce`` as used until ``until``; False when it is still in use."""
        if len(self.nonces) > 4096:
            self.nonces = {n: u for n, u in self.nonces.items() if u >= now}
        held = self.nonces.get(nonce)
        if held is not None and held >= now:
            return False
        self.nonces[nonce] = until
        return True

    def _tokens_on(self, wallet: TeamWallet, chain: int) -> list[int]:
        return [c for c in wallet.tokens if int(self.cat.cur_chain[c]) == chain]

    # -- building ----------------------------------------------------------------------------------

    def _wallet(self, rng: random.Random, index: int, wallet_id: int, t_start: int) -> TeamWallet:
        cat = self.cat
        known = [cid for cid in _CHAINS if cid in cat.by_chain_id]
        if index == 0:
            chain_ids = known[:2]
        else:
            chain_ids = rng.sample(known, rng.randint(1, min(3, len(known))))
        tokens: list[int] = []
        for cid in chain_ids:
            on_chain = cat.of_chain(cat.by_chain_id[cid])  # native coin first
            tokens += on_chain[: 1 + rng.randint(1 if index == 0 else 0, 2)]
        kind = SINGLE_SIGN if index % 2 == 0 else MULTI_SIGN
        names = ("Treasury", "Ops-Hot", "Payroll", "Reserve", "Settlement", "Vault")
        alias = f"{names[index % len(names)]}-{index + 1}"
        created = t_start + rng.randrange(0, 86_400)
        wallet = TeamWallet(wallet_id, alias, kind, created, tuple(tokens))
        for cid in chain_ids:
            chain = cat.by_chain_id[cid]
            style = cat.chains[chain].address_style
            for n in range(rng.randint(2, 4)):
                text = address_from_bytes(style, digest(self.seed, "team", wallet_id, cid, n))
                alias_text = f"{cat.chains[chain].name.lower()}-{n + 1:02d}" if n % 2 == 0 else None
                enabled = n == 0 or rng.random() > 0.2
                wallet.addresses.append(
                    TeamAddress(text, chain, alias_text, enabled, created + 60 * (n + 1))
                )
        return wallet

    def _transfer(
        self,
        wallet: TeamWallet,
        address: TeamAddress,
        cur: int,
        direction: str,
        units: int,
        fee: int,
        ok: bool,
        at: float,
    ) -> TeamTransfer:
        style = self.cat.chains[address.chain].address_style
        seed, n = self.seed, len(wallet.transfers)
        other = address_from_bytes(style, digest(seed, "team-peer", wallet.wallet_id, n))
        txid = txid_from_bytes(style, digest(seed, "team-tx", wallet.wallet_id, n, size=64))
        height = 10_000_000 + int(digest(seed, "team-height", address.chain)[0]) * 100_000
        t = TeamTransfer(
            wallet_id=wallet.wallet_id,
            cur=cur,
            address=address.address,
            other=other,
            direction=direction,
            units=units,
            fee=fee,
            ok=ok,
            txid=txid,
            height=height + int(at) // 3,
            at=at,
        )
        wallet.transfers.append(t)
        return t

    def _units(self, rng: random.Random, cur: int, low_usd: float, high_usd: float) -> int:
        price = float(self.cat.price[cur]) or 1.0
        value = rng.uniform(low_usd, high_usd) / price
        return max(1, int(value * 10 ** self.scale(cur)))

    def _one(
        self,
        rng: random.Random,
        wallet: TeamWallet,
        held: dict[tuple[str, int], int],
        at: float,
        *,
        settle: float,
        failures: bool,
    ) -> None:
        """One transfer of ``wallet`` at ``at``: a receive, or a send within what its address
        holds (``held``, updated); a send is final ``settle`` seconds later. With ``failures``
        about 3 % of receives and 5 % of sends fail (a failed send still pays its fee)."""
        address = rng.choice(wallet.addresses)
        tokens = self._tokens_on(wallet, address.chain)
        cur, native = rng.choice(tokens), tokens[0]  # the native coin comes first
        fee = self._units(rng, native, 0.05, 2.0)
        key, gas_key = (address.address, cur), (address.address, native)
        have, gas = held.get(key, 0), held.get(gas_key, 0)
        can_send = have >= fee + 2 if cur == native else have >= 1 and gas >= fee
        if not can_send or rng.random() < 0.55:
            units = self._units(rng, cur, 20.0, 20_000.0)
            ok = not failures or rng.random() > 0.03
            self._transfer(wallet, address, cur, RECEIVE, units, 0, ok, at)
            if ok:
                held[key] = have + units
            return
        room = have - fee if cur == native else have
        units = max(1, int(room * rng.uniform(0.05, 0.6)))
        ok = not failures or rng.random() > 0.05
        self._transfer(wallet, address, cur, SEND, units, fee, ok, at + settle)
        if ok:
            held[key] = have - units
        held[gas_key] = held.get(gas_key, 0) - fee

    def _in_flight(
        self, rng: random.Random, wallet: TeamWallet, held: dict[tuple[str, int], int]
    ) -> None:
        """One to three sends in flight at the start; the ``i``-th of ``n`` settles at
        ``started + settle_seconds * (i + 1) / n``."""
        candidates = [
            (a, cur)
            for a in wallet.addresses
            for cur in self._tokens_on(wallet, a.chain)
            if held.get((a.address, cur), 0) > 10
        ]
        chosen = rng.sample(candidates, min(len(candidates), rng.randint(1, 3)))
        for i, (address, cur) in enumerate(chosen):
            native = self._tokens_on(wallet, address.chain)[0]
            fee = self._units(rng, native, 0.05, 2.0)
            have = held[(address.address, cur)]
            gas = held.get((address.address, native), 0)
            if gas < fee + (have // 2 if cur == native else 0):
                continue
            units = max(1, have // 2 if cur == native else int(have * rng.uniform(0.1, 0.5)))
            at = self.started + self.settle_seconds * (i + 1) / len(chosen)
            self._transfer(wallet, address, cur, SEND, units, fee, True, at)
            held[(address.address, cur)] = have - units
            held[(address.address, native)] = held.get((address.address, native), 0) - fee
