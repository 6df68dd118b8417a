"""Seeded, vectorised generation of a project's transaction history.

What is generated (all from one ``numpy`` random generator, so the same seed gives the same
data): project sub-addresses, a payout wallet address and many outside addresses per chain;
address deposits (business type 3) into the sub-addresses; sweeps of some deposits to the
wallet (type 5), each token sweep preceded by its gas top-up (type 4); sub-address withdrawals
of other deposits; payouts from the wallet (types 0 and 2); plain incoming transfers to the
wallet (type 0, in). Every status, trade type and business type occurs.

Balances follow from the rows by the ledger rule of docs/sandbox.md ("Ledger"): a sub-address
holds every successful deposit that was not spent; a deposit whose sweep or withdrawal is still
pending on chain counts as ``processing``; a failed spend gives the amount back but not a native
coin's fee. Native spends send the deposit minus the fee; every token spend gets its fee first
from the wallet's gas top-up, so native balances stay consistent too. Withdrawals that never
reached the chain hold nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .book import EXTERNAL, SUB, WALLET, AddressBook
from .catalog import MAX_USD, Catalog
from .ids import CID_BASE, CID_STRIDE
from .market import REFERENCE_TIME, chain_params
from .pending import LIVE_PENDING_SHARE, SETTLE_MAX, SettlePlan, settle_delays, settle_outcomes
from .trades import (
    DEPOSIT,
    FEE,
    INCOMING,
    PAYOUT,
    SWEEP,
    WITHDRAWAL,
    TradeTable,
    block_moment,
)

__all__ = ["SeedResult", "TransferSeed", "seed_trades"]

_DAY = 86_400

# relative transfer volume per currency name (others get the default)
_WEIGHTS = {
    "USDT-TRC20": 30.0,
    "USDT-ERC20": 9.0,
    "USDT-BEP20": 7.0,
    "TRON": 7.0,
    "Ethereum": 6.0,
    "Bitcoin": 5.0,
    "BNB-BSC": 3.0,
    "USDC-ERC20": 3.0,
    "USDT-Polygon": 2.0,
    "USDT-Solana": 2.0,
    "Solana": 2.0,
    "USDC-TRC20": 1.5,
    "XRP-Ripple": 1.5,
    "TON": 1.0,
    "USDT-Jetton": 1.0,
    "Dogecoin": 1.0,
    "Litecoin": 1.0,
}
_DEFAULT_WEIGHT = 0.4
_STABLE = ("USDT", "USDC")
_PAYOUT_REMARKS = ("payout", "salary", "supplier payment", "refund", "affiliate bonus", "")
_WITHDRAWAL_REMARKS = ("withdraw", "user withdrawal", "")
_MEMO_CHAINS = ("144", "2000")  # XRP destination tags, TON comments


@dataclass
class TransferSeed:
    """A seeded payout or withdrawal that never reached the chain (so it has no row)."""

    cid: int
    kind: int  # PAYOUT or WITHDRAWAL
    cur: int
    frm: int
    to: int
    amount: int
    status: int
    created: int  # epoch seconds
    remark: str
    memo: str


@dataclass
class SeedResult:
    """What :func:`seed_trades` made besides the rows."""

    sub_addresses: dict[int, range] = field(default_factory=dict)  # chain -> gids
    wallets: dict[int, int] = field(default_factory=dict)  # chain -> gid
    externals: dict[int, range] = field(default_factory=dict)
    balances: dict[tuple[int, int], list[int]] = field(default_factory=dict)
    transfers: list[TransferSeed] = field(default_factory=list)
    pending: SettlePlan = field(default_factory=SettlePlan)  # when each pending row settles


def _lognormal_usd(rng: np.random.Generator, count: int, median: float, sigma: float) -> np.ndarray:
    usd = np.exp(rng.normal(np.log(median), sigma, count))
    return np.clip(usd, 1.0, MAX_USD * 0.9)


class _Gen:
    """Shared state while generating one table."""

    def __init__(self, rng: np.random.Generator, cat: Catalog, t_end: int, span: int) -> None:
        self.rng = rng
        self.cat = cat
        self.t_end = t_end
        self.t_start = t_end - span
        names = [c.name for c in cat.currencies]
        weights = np.array([_WEIGHTS.get(n, _DEFAULT_WEIGHT) for n in names])
        self.p = weights / weights.sum()
        self.scale = np.array(cat.scale, dtype=np.int64)
        self.native_cur = np.array(cat.native, dtype=np.int64)
        self.is_native = np.array([c.native for c in cat.currencies])
        self.is_stable = np.array([c.symbol in _STABLE for c in cat.currencies])
        chain_ids = [c.chain_id for c in cat.chains]
        params = [chain_params(cid) for cid in chain_ids]
        self.block_seconds = np.array([p.block_seconds for p in params])
        self.ref_height = np.array([p.reference_height for p in params], dtype=np.int64)
        self.native_fee = np.array([p.native_fee for p in params])
        self.token_fee = np.array([p.token_fee or p.native_fee for p in params])
        self.native_dec = np.array([cat.currencies[i].decimals for i in cat.native], dtype=np.int64)
        self.memo_chain = np.array([cid in _MEMO_CHAINS for cid in chain_ids])

    def currencies(self, count: int) -> np.ndarray:
        cur = self.rng.choice(len(self.p), size=count, p=self.p)
        head = min(count, len(self.p))
        cur[:head] = self.rng.permutation(len(self.p))[:head]  # every coin appears
        return cur.astype(np.int64)

    def amounts(self, cur: np.ndarray, usd: np.ndarray) -> np.ndarray:
        """Units of each coin worth ``usd``, rounded to a plausible number of decimals."""
        scale = self.scale[cur]
        units = usd / self.cat.price[cur] * np.power(10.0, scale)
        kept = np.where(
            self.is_stable[cur],
            self.rng.choice(np.array([0, 2, 6]), size=len(cur), p=[0.5, 0.3, 0.2]),
            self.rng.integers(2, 11, size=len(cur)),
        )
        kept = np.minimum(kept, scale)
        step = np.power(10, scale - kept).astype(np.int64)
        rounded = np.maximum(np.round(units / step), 1).astype(np.int64) * step
        return rounded

    def fees(self, cur: np.ndarray) -> np.ndarray:
        """Network fees in native units (at the native coin's stored scale)."""
        chain = self.cat.cur_chain[cur].astype(np.int64)
        typical = np.where(self.is_native[cur], self.native_fee[chain], self.token_fee[chain])
        noise = np.exp(self.rng.normal(0.0, 0.35, len(cur)))
        dec = self.native_dec[chain]
        raw = typical * noise * np.power(10.0, dec)
        quantum = np.power(10, dec - self.scale[self.native_cur[chain]]).astype(np.int64)
        return np.maximum(np.round(raw / quantum), 1).astype(np.int64) * quantum

    def heights(self, cur: np.ndarray, bt: np.ndarray) -> np.ndarray:
        chain = self.cat.cur_chain[cur].astype(np.int64)
        steps = np.floor((bt - REFERENCE_TIME) / self.block_seconds[chain]).astype(np.int64)
        return np.maximum(self.ref_height[chain] + steps, 1)

    def statuses(self, count: int, p_pending: float, p_failed: float) -> np.ndarray:
        roll = self.rng.random(count)
        status = np.where(roll < p_pending, 0, np.where(roll < p_pending + p_failed, 2, 1))
        if count >= 3:
            status[:3] = (1, 0, 2)  # every status occurs
        return status.astype(np.int64)

    def recent(self, bt: np.ndarray, status: np.ndarray, floor: np.ndarray | None = None) -> None:
        """Pending rows happened in the last hour (in place)."""
        pending = status == 0
        late = self.t_end - self.rng.integers(0, 3600, size=len(bt))
        if floor is not None:
            late = np.maximum(late, floor)
        bt[pending] = late[pending]

    def times(self, count: int) -> np.ndarray:
        return self.rng.integers(self.t_start, self.t_end + 1, size=count).astype(np.int64)

    def later(self, after: np.ndarray, median: float) -> np.ndarray:
        delay = np.exp(self.rng.normal(np.log(median), 1.0, len(after)))
        return np.minimum(after + np.maximum(delay, 60).astype(np.int64), self.t_end)


def seed_trades(
    table: TradeTable,
    book: AddressBook,
    cat: Catalog,
    *,
    seed: int,
    count: int,
    t_end: int,
    span_days: float,
    stuck: int = 0,
) -> SeedResult:
    """Fill ``table`` with ``count`` seeded rows ending at ``t_end``; returns the side data.

    The rows pending at ``t_end`` settle later (``result.pending``, see :mod:`.pending`);
    ``stuck`` older incoming transfers to the wallet stay pending forever.
    """
    rng = np.random.default_rng([seed, 0x5EED])
    g = _Gen(rng, cat, t_end, max(1, int(span_days * _DAY)))
    result = SeedResult()
    chains = len(cat.chains)
    n_sub = int(np.clip(count // 2000, 8, 300))
    n_ext = int(np.clip(count // 150, 40, 6000))
    sub_base = np.zeros(chains, dtype=np.int64)
    ext_base = np.zeros(chains, dtype=np.int64)
    wallet = np.zeros(chains, dtype=np.int64)
    for ch in range(chains):
        subs = book.add_generated(ch, SUB, n_sub)
        result.sub_addresses[ch] = subs
        sub_base[ch] = subs.start
        wallet[ch] = result.wallets[ch] = book.add_generated(ch, WALLET, 1)[0]
        ext = book.add_generated(ch, EXTERNAL, n_ext)
        result.externals[ch] = ext
        ext_base[ch] = ext.start

    def sub_of(cur: np.ndarray) -> np.ndarray:
        return sub_base[cat.cur_chain[cur]] + rng.integers(0, n_sub, size=len(cur))

    def ext_of(cur: np.ndarray) -> np.ndarray:
        return ext_base[cat.cur_chain[cur]] + rng.integers(0, n_ext, size=len(cur))

    n_dep = round(count * 0.42)
    n_pay = round(count * 0.20)
    n_sweep = round(count * 0.12)
    n_wd = round(count * 0.04)
    n_wdx = max(7, count // 400) if count else 0
    n_payx = max(10, count // 400) if count else 0

    # -- deposits ------------------------------------------------------------------------------
    d_cur = g.currencies(n_dep)
    d_to = sub_of(d_cur)
    d_from = ext_of(d_cur)
    d_bt = g.times(n_dep)
    d_status = g.statuses(n_dep, 0.02, 0.02)
    g.recent(d_bt, d_status)
    d_fee = g.fees(d_cur)
    d_amount = g.amounts(d_cur, _lognormal_usd(rng, n_dep, 120.0, 1.5))

    # -- spends of successful deposits ---------------------------------------------------------
    ok = np.flatnonzero(d_status == 1)
    wanted = n_sweep + n_wd + n_wdx
    if wanted > len(ok):
        shrink = len(ok) / wanted if wanted else 0
        n_sweep, n_wd = int(n_sweep * shrink), int(n_wd * shrink)
        n_wdx = len(ok) - n_sweep - n_wd
    spent = rng.permutation(ok)[: n_sweep + n_wd + n_wdx]
    sw, wd, wdx = np.split(spent, [n_sweep, n_sweep + n_wd])
    state = np.zeros(n_dep, dtype=np.int8)  # 0 available, 1 processing, 2 gone

    def fee_units(cur: np.ndarray, fee: np.ndarray) -> np.ndarray:
        """A fee (native decimals) in the stored units of the chain's native coin."""
        chain = cat.cur_chain[cur]
        return fee // np.power(10, g.native_dec[chain] - g.scale[g.native_cur[chain]])

    def spend_amount(dep: np.ndarray, fee: np.ndarray) -> np.ndarray:
        cur = d_cur[dep]
        native = g.is_native[cur]
        units = fee_units(cur, fee)
        floor = np.where(native, 3 * units, 1)
        d_amount[dep] = np.maximum(d_amount[dep], floor)  # a native deposit covers its fee
        return np.where(native, d_amount[dep] - units, d_amount[dep])

    s_cur = d_cur[sw]
    s_fee = g.fees(s_cur)
    s_amount = spend_amount(sw, s_fee)
    s_bt = g.later(d_bt[sw], 6 * 3600)
    s_status = g.statuses(len(sw), 0.02, 0.03)
    g.recent(s_bt, s_status, floor=d_bt[sw] + 60)
    state[sw] = np.choose(s_status, [1, 2, 0])

    w_cur = d_cur[wd]
    w_fee = g.fees(w_cur)
    w_amount = spend_amount(wd, w_fee)
    w_bt = g.later(d_bt[wd], 12 * 3600)
    w_status = g.statuses(len(wd), 0.04, 0.06)
    g.recent(w_bt, w_status, floor=d_bt[wd] + 60)
    state[wd] = np.choose(w_status, [1, 2, 0])

    # the chain charges a spend's fee to the sub-address in the native coin: a token spend
    # (sweep or withdrawal) gets exactly that fee first, as a gas top-up from the wallet
    sp = np.concatenate([sw, wd])
    sp_cur = d_cur[sp]
    sp_fee = fee_units(sp_cur, np.concatenate([s_fee, w_fee]))
    sp_status = np.concatenate([s_status, w_status])
    token_spends = np.flatnonzero(~g.is_native[sp_cur])
    f_chain = cat.cur_chain[sp_cur[token_spends]].astype(np.int64)
    f_cur = g.native_cur[f_chain]
    f_amount = sp_fee[token_spends]
    f_bt = np.maximum(
        np.concatenate([s_bt, w_bt])[token_spends] - rng.integers(30, 900, size=len(token_spends)),
        d_bt[sp][token_spends],
    )

    x_status = np.resize(np.array([0, 5, 2, 4]), len(wdx))
    state[wdx] = 0  # not on chain: no row holds the funds, so they stay available
    x_bt = g.later(d_bt[wdx], 3600)

    # -- payouts and plain incoming transfers ---------------------------------------------------
    p_cur = g.currencies(n_pay)
    p_status = g.statuses(n_pay, 0.02, 0.05)
    p_bt = g.times(n_pay)
    g.recent(p_bt, p_status)
    p_btype = np.where(rng.random(n_pay) < 0.25, 2, 0)
    p_amount = g.amounts(p_cur, _lognormal_usd(rng, n_pay, 300.0, 1.4))

    fixed = n_dep + n_pay + len(sw) + len(token_spends) + len(wd)
    n_in = max(0, count - fixed)
    i_cur = g.currencies(n_in)
    i_status = g.statuses(n_in, 0.01, 0.03)
    i_bt = g.times(n_in)
    g.recent(i_bt, i_status)
    i_amount = g.amounts(i_cur, _lognormal_usd(rng, n_in, 500.0, 1.6))

    parts: list[tuple[Any, ...]] = [
        # kind, cur, frm, to, amount, fee, bt, status, btype, ttype
        (DEPOSIT, d_cur, d_from, d_to, d_amount, d_fee, d_bt, d_status, 3, 1),
        (
            SWEEP,
            s_cur,
            d_to[sw],
            wallet[cat.cur_chain[s_cur]],
            s_amount,
            s_fee,
            s_bt,
            s_status,
            5,
            2,
        ),
        (
            FEE,
            f_cur,
            wallet[f_chain],
            d_to[sp][token_spends],
            f_amount,
            g.fees(f_cur),
            f_bt,
            np.ones(len(f_cur), dtype=np.int64),
            4,
            2,
        ),
        (WITHDRAWAL, w_cur, d_to[wd], ext_of(w_cur), w_amount, w_fee, w_bt, w_status, 0, 2),
        (
            PAYOUT,
            p_cur,
            wallet[cat.cur_chain[p_cur]],
            ext_of(p_cur),
            p_amount,
            g.fees(p_cur),
            p_bt,
            p_status,
            p_btype,
            2,
        ),
        (
            INCOMING,
            i_cur,
            ext_of(i_cur),
            wallet[cat.cur_chain[i_cur]],
            i_amount,
            g.fees(i_cur),
            i_bt,
            i_status,
            0,
            1,
        ),
    ]
    columns: dict[str, list[np.ndarray]] = {
        k: []
        for k in ("kind", "cur", "frm", "to", "amount", "fee", "bt", "status", "btype", "ttype")
    }
    for kind, cur, frm, to, amount, fee, bt, status, btype, ttype in parts:
        size = len(cur)
        columns["kind"].append(np.full(size, kind))
        columns["cur"].append(np.asarray(cur))
        columns["frm"].append(np.asarray(frm))
        columns["to"].append(np.asarray(to))
        columns["amount"].append(np.asarray(amount))
        columns["fee"].append(np.asarray(fee))
        columns["bt"].append(np.asarray(bt))
        columns["status"].append(np.asarray(status))
        columns["btype"].append(np.broadcast_to(btype, size))
        columns["ttype"].append(np.broadcast_to(ttype, size))
    batch = {k: np.concatenate(v).astype(np.int64) for k, v in columns.items()}
    order = np.argsort(batch["bt"], kind="stable")
    batch = {k: v[order] for k, v in batch.items()}
    total = len(order)
    batch["cid"] = (
        CID_BASE
        + np.arange(total, dtype=np.int64) * CID_STRIDE
        + rng.integers(0, CID_STRIDE // 2, size=total)
    )
    batch["ms"] = rng.integers(0, 1000, size=total)
    batch["height"] = g.heights(batch["cur"], batch["bt"])
    memo = np.zeros(total, dtype=np.int64)
    memo_rows = np.flatnonzero(
        g.memo_chain[cat.cur_chain[batch["cur"]]] & (rng.random(total) < 0.5)
    )
    tags = rng.integers(1, 4_294_967_295, size=len(memo_rows))
    memo[memo_rows] = [table.text_id(str(t)) for t in tags.tolist()]
    batch["memo"] = memo
    remark = np.zeros(total, dtype=np.int64)
    for kind, choices in ((PAYOUT, _PAYOUT_REMARKS), (WITHDRAWAL, _WITHDRAWAL_REMARKS)):
        rows = np.flatnonzero(batch["kind"] == kind)
        ids = np.array([table.text_id(t) for t in choices])
        remark[rows] = ids[rng.integers(0, len(ids), size=len(rows))]
    batch["remark"] = remark
    settle_rng = np.random.default_rng([seed, 0x5E77])  # its own stream: the rest is unchanged
    # a spend in progress holds its amount and its native fee (the ledger rule, see .ledger)
    spends = {SWEEP: d_amount[sw], WITHDRAWAL: d_amount[wd]}
    fees = {SWEEP: sp_fee[: len(sw)], WITHDRAWAL: sp_fee[len(sw) :]}  # native units
    lock, fee = (
        np.concatenate([of.get(part[0], np.zeros(len(part[1]), np.int64)) for part in parts])[order]
        for of in (spends, fees)
    )
    native = g.is_native[batch["cur"]]
    plan = SettlePlan.for_seeded(
        settle_rng,
        batch["bt"],
        batch["status"],
        t_end,
        lock=lock,
        refund=lock - np.where(native, fee, 0),
        gas=np.where(native, 0, fee),
    )
    plan.rows += table.size
    result.pending = plan
    _stick(settle_rng, batch, t_end, stuck)
    table.append(batch, seeded=True)

    # -- transfers that never reached the chain ------------------------------------------------
    x_created = np.concatenate([x_bt, g.times(n_payx)])
    slots = np.searchsorted(table.cols["bt"][: table.size], x_created)
    payx_cur = g.currencies(n_payx)
    payx_status = np.resize(np.array([0, 5, 2, 3, 4]), n_payx)
    payx_to = ext_of(payx_cur)
    payx_amount = g.amounts(payx_cur, _lognormal_usd(rng, n_payx, 300.0, 1.4))
    transfers = result.transfers
    for i, dep in enumerate(wdx.tolist()):
        transfers.append(
            TransferSeed(
                cid=int(CID_BASE + int(slots[i]) * CID_STRIDE + CID_STRIDE // 2 + i % 997),
                kind=WITHDRAWAL,
                cur=int(d_cur[dep]),
                frm=int(d_to[dep]),
                to=int(ext_base[cat.cur_chain[d_cur[dep]]] + i % n_ext),
                amount=int(d_amount[dep]),
                status=int(x_status[i]),
                created=_waiting_since(int(x_status[i]), int(x_bt[i]), int(d_bt[dep]), t_end, i),
                remark=_WITHDRAWAL_REMARKS[i % len(_WITHDRAWAL_REMARKS)],
                memo="",
            )
        )
    for j in range(n_payx):
        fixed = int(payx_status[j])
        created = int(x_created[len(wdx) + j])
        if fixed in (0, 5):  # still waiting: created in the last day
            created = t_end - int(rng.integers(60, _DAY))
        transfers.append(
            TransferSeed(
                cid=int(
                    CID_BASE + int(slots[len(wdx) + j]) * CID_STRIDE + CID_STRIDE // 2 + 997 + j
                ),
                kind=PAYOUT,
                cur=int(payx_cur[j]),
                frm=int(wallet[cat.cur_chain[payx_cur[j]]]),
                to=int(payx_to[j]),
                amount=int(payx_amount[j]),
                status=fixed,
                created=created,
                remark=_PAYOUT_REMARKS[j % len(_PAYOUT_REMARKS)],
                memo="",
            )
        )

    # -- balances ------------------------------------------------------------------------------
    # a deposit not spent, or spent by a row still pending (processing), or by a failed row,
    # which gives the amount back but not a native coin's fee; a pending token spend also holds
    # its gas top-up as processing
    held = d_amount.copy()
    failed_native = sp[(sp_status == 2) & g.is_native[sp_cur]]
    held[failed_native] -= sp_fee[(sp_status == 2) & g.is_native[sp_cur]]
    live = (d_status == 1) & (state != 2)
    _sum_into(result.balances, d_to[live], d_cur[live], held[live], state[live] == 1)
    gas = token_spends[sp_status[token_spends] == 0]
    _sum_into(
        result.balances,
        d_to[sp][gas],
        g.native_cur[cat.cur_chain[sp_cur[gas]]],
        sp_fee[gas],
        np.ones(len(gas), dtype=bool),
    )
    return result


def _waiting_since(status: int, created: int, deposit: int, t_end: int, i: int) -> int:
    """A withdrawal still waiting (approval 0, signing 5) was asked for in the last day."""
    if status not in (0, 5):
        return created
    return min(t_end, max(deposit + 60, t_end - 60 - (i * 7_919) % (_DAY - 120)))


def _sum_into(
    balances: dict[tuple[int, int], list[int]],
    gid: np.ndarray,
    cur: np.ndarray,
    amount: np.ndarray,
    processing: np.ndarray,
) -> None:
    """Add exact per-(address, currency) sums of ``amount`` to ``balances``."""
    if not len(gid):
        return
    key = gid.astype(np.int64) * 1024 + cur.astype(np.int64)
    keys, inverse = np.unique(key, return_inverse=True)
    for slot, flag in ((0, ~processing), (1, processing)):
        hi = np.bincount(
            inverse[flag], weights=(amount[flag] >> 30).astype(np.float64), minlength=len(keys)
        )
        lo = np.bincount(
            inverse[flag],
            weights=(amount[flag] & ((1 << 30) - 1)).astype(np.float64),
            minlength=len(keys),
        )
        for k, h, lw in zip(keys.tolist(), hi.tolist(), lo.tolist(), strict=True):
            if h or lw:
                entry = balances.setdefault((k // 1024, k % 1024), [0, 0])
                entry[slot] += (int(h) << 30) + int(lw)


def _stick(rng: np.random.Generator, batch: dict[str, np.ndarray], t_end: int, stuck: int) -> None:
    """Make ``stuck`` successful incoming transfers older than any settle delay pending (in
    place): rows a real project may hold, which never settle. They touch no sub-address."""
    if stuck <= 0:
        return
    old = (batch["kind"] == INCOMING) & (batch["status"] == 1) & (batch["bt"] < t_end - SETTLE_MAX)
    candidates = np.flatnonzero(old)
    chosen = rng.choice(candidates, size=min(stuck, len(candidates)), replace=False)
    batch["status"][chosen] = 0


class LiveSource:
    """New transactions arriving at a steady rate after the sandbox starts (live mode).

    Arrival ``k`` (from 0) happens at ``start + (k + 1) / rate``, and that moment, to the
    millisecond below, is its block time (:func:`~.trades.block_moment`): never ahead of the
    clock, and never in a whole second the clock has already left, so a query bounded by the
    last whole second before the clock never sees a row arrive. A share of them
    (:data:`~.pending.LIVE_PENDING_SHARE`) arrives pending and settles later: :meth:`batch`
    gives each row's ``settle_at`` and ``settle_status`` too.
    """

    def __init__(
        self,
        cat: Catalog,
        seeded: SeedResult,
        *,
        seed: int,
        start: float,
        rate: float,
    ) -> None:
        self.rng = np.random.default_rng([seed, 0x11FE])
        self.settle_rng = np.random.default_rng([seed, 0x11FE, 0x5E77])
        self.g = _Gen(self.rng, cat, int(start), 1)
        self.cat = cat
        self.seeded = seeded
        self.start = start
        self.rate = rate
        self.count = 0

    def arrivals(self, until: float, limit: int = 1_000_000) -> np.ndarray:
        """Arrival times not yet produced, up to ``until`` (at most ``limit`` of them)."""
        if self.rate <= 0 or until <= self.start:
            return np.zeros(0)
        due = min(int((until - self.start) * self.rate), self.count + limit)
        if due <= self.count:
            return np.zeros(0)
        k = np.arange(self.count, due, dtype=np.float64)
        self.count = due
        return self.start + (k + 1) / self.rate

    def batch(self, times: np.ndarray) -> dict[str, np.ndarray]:
        """Rows for arrivals at ``times`` (without ``cid``): deposits, incoming, payouts, and
        when and how the pending ones settle (``settle_at``, ``settle_status``)."""
        g, cat, rng = self.g, self.cat, self.rng
        n = len(times)
        cur = rng.choice(len(g.p), size=n, p=g.p).astype(np.int64)
        chain = cat.cur_chain[cur].astype(np.int64)
        kind = rng.choice(np.array([DEPOSIT, INCOMING, PAYOUT]), size=n, p=[0.5, 0.25, 0.25])
        sub_start = np.array([self.seeded.sub_addresses[c].start for c in range(len(cat.chains))])
        sub_len = np.array([len(self.seeded.sub_addresses[c]) for c in range(len(cat.chains))])
        ext_start = np.array([self.seeded.externals[c].start for c in range(len(cat.chains))])
        ext_len = np.array([len(self.seeded.externals[c]) for c in range(len(cat.chains))])
        wallet = np.array([self.seeded.wallets[c] for c in range(len(cat.chains))])
        sub = sub_start[chain] + (rng.random(n) * sub_len[chain]).astype(np.int64)
        ext = ext_start[chain] + (rng.random(n) * ext_len[chain]).astype(np.int64)
        is_out = kind == PAYOUT
        frm = np.where(is_out, wallet[chain], ext)
        to = np.where(kind == DEPOSIT, sub, np.where(is_out, ext, wallet[chain]))
        bt, ms = block_moment(times)
        status = np.where(rng.random(n) < 0.03, 2, 1)
        settle = self.settle_rng
        status = np.where(settle.random(n) < LIVE_PENDING_SHARE, 0, status)
        return {
            "kind": kind,
            "cur": cur,
            "frm": frm,
            "to": to,
            "amount": g.amounts(cur, _lognormal_usd(rng, n, 150.0, 1.5)),
            "fee": g.fees(cur),
            "bt": bt,
            "ms": ms,
            "status": status,
            "btype": np.where(kind == DEPOSIT, 3, 0),
            "ttype": np.where(is_out, 2, 1),
            "height": g.heights(cur, bt),
            "memo": np.zeros(n, dtype=np.int64),
            "remark": np.zeros(n, dtype=np.int64),
            "settle_at": bt + settle_delays(settle, n, SETTLE_MAX),
            "settle_status": settle_outcomes(settle, n),
        }
