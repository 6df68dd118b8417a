"""One sandbox project: its addresses, transactions, balances, transfers, orders and deposits."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from .addresses import txid_from_bytes
from .amounts import format_units
from .book import SUB, WALLET, AddressBook
from .catalog import Catalog
from .generate import SeedResult, seed_trades
from .ids import CID_STRIDE, digest, hex_id
from .limits import Limits
from .orders import Order, seed_orders
from .shapes import Shape
from .trades import PAYOUT, WITHDRAWAL, TradeTable

__all__ = ["DepositOrder", "LiveRows", "Project", "Transfer", "wallet_of"]

# final states of a payout / withdrawal and the stages that lead to them
SUCCESS, FAILED, SIGN_REJECTED, APPROVAL_REJECTED, CANCELLED = 6, 7, 2, 4, 3
_ROW_TO_TRANSFER = {1: 6, 2: 7, 0: 1}  # trade row status -> transfer status


@dataclass
class Transfer:
    """A payout, a sub-address withdrawal or a collection (sweep)."""

    cid: int
    kind: int  # PAYOUT, WITHDRAWAL or SWEEP (trades module constants)
    cur: int
    frm: int
    to: int
    amount: int
    fee: int
    created: float
    third_party_id: str = ""
    remark: str = ""
    memo: str = ""
    callback_url: str = ""
    outcome: int = SUCCESS
    settle: float = 10.0
    fixed_status: int | None = None  # seeded transfers never move
    txid: str = ""
    row: int | None = None
    locked: int = 0  # units moved from available to processing at creation
    locked_fee: int = 0
    callback_sent: bool = False

    def stages(self) -> list[tuple[float, int]]:
        """``(epoch second, status)`` from creation to the final state."""
        c, s = self.created, self.settle
        if self.outcome in (APPROVAL_REJECTED, CANCELLED):
            return [(c, 0), (c + s / 4, self.outcome)]
        if self.outcome == SIGN_REJECTED:
            return [(c, 0), (c + s / 4, 5), (c + s / 2, SIGN_REJECTED)]
        return [(c, 0), (c + s / 4, 5), (c + s / 2, 1), (c + s, self.outcome)]

    @property
    def final_time(self) -> float:
        """When the transfer reaches its final state."""
        return self.stages()[-1][0]

    def status_at(self, now: float) -> int:
        """The status at epoch second ``now``."""
        if self.fixed_status is not None:
            return self.fixed_status
        status = 0
        for when, stage in self.stages():
            if now >= when:
                status = stage
        return status

    @property
    def goes_on_chain(self) -> bool:
        """True when the final state has a transaction (success or failed on chain)."""
        return self.outcome in (SUCCESS, FAILED)


@dataclass
class DepositOrder:
    """A legacy (2023) order deposit: an address that waits for one payment."""

    cid: int
    cur: int
    gid: int
    amount: Decimal
    callback_url: str
    third_party_id: str
    timeout_min: int
    remark: str
    created: float
    status: int = 0  # 0 waiting, 1 ok, 2 failed, 3 timed out, 4 cancelled
    real_amount: Decimal = Decimal(0)
    row: int | None = None
    closed_at: float | None = None


@dataclass
class LiveRows:
    """The trade rows live mode added (``live_rate``), and when those that arrived pending
    settle: the merchant's view of them (:mod:`.history`) follows the seeded history's rule."""

    ranges: list[range] = field(default_factory=list)
    settle_at: dict[int, float] = field(default_factory=dict)  # row -> when it settles

    def add(self, rows: range, settle_at: dict[int, float]) -> None:
        """Record new rows, and the settle times of those that arrived pending."""
        last = self.ranges[-1] if self.ranges else None
        if last is not None and last.stop == rows.start:
            self.ranges[-1] = range(last.start, rows.stop)
        elif len(rows):
            self.ranges.append(rows)
        self.settle_at.update(settle_at)

    def rows(self) -> np.ndarray:
        """Every live row's number, in order."""
        parts = [np.arange(r.start, r.stop, dtype=np.int64) for r in self.ranges]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


@dataclass
class Project:
    """Everything the sandbox keeps for one pid."""

    pid: int
    api_key: str
    salt: str
    cat: Catalog
    disabled: bool = False
    limits: Limits = field(default_factory=Limits)
    withdrawals_made: int = 0  # sub_address_withdrawal_create calls that were accepted
    book: AddressBook = field(init=False)
    pay_book: AddressBook = field(init=False)
    trades: TradeTable = field(init=False)
    seeded: SeedResult = field(init=False)
    balances: dict[tuple[int, int], list[int]] = field(default_factory=dict)
    transfers: dict[int, Transfer] = field(default_factory=dict)
    third_party_ids: set[str] = field(default_factory=set)
    orders: dict[str, Order] = field(default_factory=dict)
    order_ids: set[str] = field(default_factory=set)
    deposits: dict[int, DepositOrder] = field(default_factory=dict)
    deposit_by_gid: dict[int, int] = field(default_factory=dict)
    created_subs: list[int] = field(default_factory=list)
    wallet_ids: tuple[int, ...] = ()
    coins: tuple[int, ...] = ()
    seeded_rows: int = 0  # trade rows [0, seeded_rows) are the seeded history
    history_end: int = 0  # when the seeded history ends (epoch seconds)
    seeded_orders: tuple[str, ...] = ()  # cregis_ids of the seeded orders
    stated_amounts: dict[int, int] = field(default_factory=dict)  # cid -> units Cregis states
    live: LiveRows = field(default_factory=LiveRows)  # the rows of live mode
    _last_cid: int = 0
    _cid_rng: random.Random = field(default_factory=random.Random)

    def build(
        self,
        *,
        seed: int,
        transactions: int,
        t_end: int,
        span_days: float,
        trade_shape: Shape,
        base_url: str,
        settle_seconds: float,
        stuck_pending: int = 0,
    ) -> None:
        """Generate the seeded data (deterministic in ``seed``, ``pid`` and ``t_end``)."""
        cat = self.cat
        self.book = AddressBook(self.salt, cat.chains)
        self.pay_book = AddressBook(self.salt + ":pay", cat.chains)
        self.trades = TradeTable(self.pid, self.salt, self.book, cat, trade_shape)
        self.seeded = seed_trades(
            self.trades,
            self.book,
            cat,
            seed=seed,
            count=transactions,
            t_end=t_end,
            span_days=span_days,
            stuck=stuck_pending,
        )
        self.book.render_all()
        self.balances = self.seeded.balances
        self.coins = tuple(range(len(cat.currencies)))
        wallet_base = 11_434_198_045_401_088 if self.pid == 1382528827416576 else self._id(1e16)
        self.wallet_ids = (wallet_base, wallet_base + 1_048_576)
        for seed_t in self.seeded.transfers:
            self.transfers[seed_t.cid] = Transfer(
                cid=seed_t.cid,
                kind=seed_t.kind,
                cur=seed_t.cur,
                frm=seed_t.frm,
                to=seed_t.to,
                amount=seed_t.amount,
                fee=0,
                created=float(seed_t.created),
                third_party_id=self.seeded_third_party_id(seed_t.cid),
                remark=seed_t.remark,
                memo=seed_t.memo,
                fixed_status=seed_t.status,
            )
        self.third_party_ids.update(t.third_party_id for t in self.transfers.values())
        size = self.trades.size
        self._last_cid = int(self.trades.cols["cid"][size - 1]) if size else 1_383_000_000_000_000
        self._cid_rng = random.Random(f"{self.salt}:cid")
        count = int(min(1_000, max(24, transactions // 50)))
        wallets = {
            cat.chains[ch].chain_id: self.book.text(gid) for ch, gid in self.seeded.wallets.items()
        }
        for order in seed_orders(
            seed=seed,
            count=count,
            t_end_ms=t_end * 1000,
            span_ms=int(span_days * 86_400_000),
            book=self.pay_book,
            cat=cat,
            base_url=base_url,
            settle_ms=int(settle_seconds * 1000),
            wallets=wallets,
        ):
            self.orders[order.cregis_id] = order
            self.order_ids.add(order.order_id)
        self.seeded_rows = self.trades.size
        self.history_end = t_end
        self.seeded_orders = tuple(self.orders)

    def _id(self, base: float) -> int:
        return int(base) + int.from_bytes(digest(self.salt, "id", size=4), "big")

    # -- identifiers -----------------------------------------------------------------------------

    def next_cid(self) -> int:
        """A fresh serial number, larger than every earlier one."""
        self._last_cid += self._cid_rng.randint(1, CID_STRIDE // 4)
        return self._last_cid

    def new_txid(self, cur: int, *parts: object) -> str:
        """A transaction hash for currency index ``cur``'s chain."""
        style = self.cat.chains[int(self.cat.cur_chain[cur])].address_style
        return txid_from_bytes(style, digest(self.salt, "txid", *parts, size=64))

    # -- addresses and balances ------------------------------------------------------------------

    def wallet(self, chain: int) -> int:
        """The project's payout/collection wallet address on chain index ``chain``."""
        return self.book.of(chain, WALLET)[0]

    def sub_address(self, text: str, chain: int | None = None) -> int | None:
        """The number of a project sub-address (on ``chain`` if given), else ``None``."""
        gid = self.book.owned(text)
        if gid is None or self.book.role_of(gid) != SUB:
            return None
        if chain is not None and self.book.chain_of(gid) != chain:
            return None
        return gid

    def balance(self, gid: int, cur: int) -> list[int]:
        """``[available, processing]`` units (a live list; zero entries are created)."""
        return self.balances.setdefault((gid, cur), [0, 0])

    def subs_of_chain(self, chain: int) -> list[int]:
        """Every sub-address on chain index ``chain``, oldest first."""
        return self.book.of(chain, SUB)

    # -- transfers -------------------------------------------------------------------------------

    def transfer_record(
        self, cid: int, kind: int, now: float, txid: str | None = None
    ) -> dict[str, object] | None:
        """The payout/withdrawal query record of ``cid`` (``None`` if it is not one).

        ``txid``: the hash of its trade row, when the caller has it already (read in a batch).
        """
        t = self.transfers.get(cid)
        if t is not None:
            if t.kind != kind:
                return None
            status = t.status_at(now)
            row = t.row
            cur = self.cat.currencies[t.cur]
            record: dict[str, object] = {
                "pid": self.pid,
                "chain_id": cur.chain_id,
                "token_id": cur.token_id,
                "currency": cur.symbol,
                "from_address": self.book.text(t.frm),
                "address": self.book.text(t.to),
                "to_address": self.book.text(t.to),
                "amount": (t.amount, self.cat.scale[t.cur]),
                "status": status,
                "third_party_id": t.third_party_id,
                "remark": t.remark,
                "memo": t.memo,
                "txid": t.txid if status in (1, 6, 7) else "",
                "block_height": "",
                "block_time": None,
            }
            if row is not None:
                record["block_height"] = self.trades.value("height", row)
                record["block_time"] = self.trades.time_ms(row)
            return record
        row = self.trades.row_of_cid(cid)
        if row is None or self.trades.value("kind", row) != kind:
            return None
        tr = self.trades
        cur = self.cat.currencies[tr.value("cur", row)]
        status = _ROW_TO_TRANSFER[tr.value("status", row)]
        on_chain = status in (6, 7)
        return {
            "pid": self.pid,
            "chain_id": cur.chain_id,
            "token_id": cur.token_id,
            "currency": cur.symbol,
            "from_address": self.book.text(tr.value("frm", row)),
            "address": self.book.text(tr.value("to", row)),
            "to_address": self.book.text(tr.value("to", row)),
            "amount": self.stated_amount_text(cid, row),
            "status": status,
            "third_party_id": self.seeded_third_party_id(cid),
            "remark": tr.text(tr.value("remark", row)),
            "memo": tr.text(tr.value("memo", row)),
            "txid": tr.txid(row) if txid is None else txid,
            "block_height": tr.value("height", row) if on_chain else "",
            "block_time": tr.time_ms(row) if on_chain else None,
        }

    def seeded_third_party_id(self, cid: int) -> str:
        """The ``third_party_id`` the merchant gave the seeded payout or withdrawal ``cid``."""
        return hex_id(self.salt, "tpid", cid)

    def stated_amount_text(self, cid: int, row: int) -> str:
        """The amount Cregis states for the transfer on trade row ``row`` (its cid ``cid``)."""
        stated = self.stated_amounts.get(cid)
        if stated is None:
            return self.trades.amount_text(row)
        return format_units(stated, self.cat.scale[self.trades.value("cur", row)])

    def examples(self, now: float) -> dict[str, object]:
        """Ids worth trying: a payout and a withdrawal cid per status, an order per status.

        ``refunded_order`` is an order with a refund (its status stays paid, as SPEC 10.2 says).
        """
        payouts: dict[int, int] = {}
        withdrawals: dict[int, int] = {}
        tr = self.trades
        kinds = tr.cols["kind"][: tr.size]
        for kind, found in ((PAYOUT, payouts), (WITHDRAWAL, withdrawals)):
            rows = np.flatnonzero(kinds == kind)
            for row in rows[::-1][:400].tolist():
                status = _ROW_TO_TRANSFER[tr.value("status", row)]
                found.setdefault(status, tr.value("cid", row))
        for t in self.transfers.values():
            if t.fixed_status is not None:
                target = payouts if t.kind == PAYOUT else withdrawals
                target.setdefault(t.fixed_status, t.cid)
        orders: dict[str, str] = {}
        refunded = None
        for order in self.orders.values():
            orders.setdefault(order.status(int(now * 1000)), order.cregis_id)
            if refunded is None and order.refund is not None:
                refunded = order.cregis_id
        rich = max(self.balances.items(), key=lambda kv: kv[1][0], default=None)
        out: dict[str, object] = {
            "payout_cid_by_status": dict(sorted(payouts.items())),
            "withdrawal_cid_by_status": dict(sorted(withdrawals.items())),
            "order_by_status": orders,
        }
        if refunded is not None:
            out["refunded_order"] = refunded  # a paid order with refund_data
        if rich is not None:
            (gid, cur), _ = rich
            out["sub_address"] = self.book.text(gid)
            out["sub_address_currency"] = self.cat.currencies[cur].identifier
        if tr.size:
            out["latest_txid"] = tr.txid(tr.size - 1)
        out["wallet_addresses"] = {
            self.cat.chains[ch].chain_id: self.book.text(gid)
            for ch, gid in sorted(self.seeded.wallets.items())
        }
        return out


def wallet_of(project: Project, cur: int) -> int:
    """The wallet address number on the chain of currency index ``cur``."""
    return project.wallet(int(project.cat.cur_chain[cur]))
