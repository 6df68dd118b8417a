"""Payment-engine orders: checkout, payment, expiry, refund and settlement, over time.

An order's status is computed from the clock: ``new`` until it is paid or its ``valid_time``
runs out (``expired``); a payment confirms ``settle_seconds`` after it is made and the order
becomes ``paid``, ``paid_partial`` or ``paid_over`` by comparing the amount received (in the
order currency) with ``order_amount`` widened by the tolerances. A refund shows in
``refund_data`` and in the ``refunded`` callback while the order keeps its paid status (SPEC
10.2 lists no ``refunded`` status). Settlement follows: ``unsettled`` -> ``settling`` ->
``settled``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, ROUND_UP, Decimal
from typing import Any
from urllib.parse import quote

from ...spec import PayCurrency, registry
from .addresses import txid_from_bytes
from .book import SUB, AddressBook
from .catalog import Catalog
from .ids import digest, hex_id
from .market import usd_price

__all__ = ["Order", "Payment", "Refund", "exchange_rate", "receive_amount", "seed_orders"]

_STABLE = frozenset({"USDT", "USDC"})
_RATE_STEP = Decimal("1e-10")


def exchange_rate(order_currency: str, token: PayCurrency, realtime: bool) -> Decimal:
    """Units of ``token`` per unit of the order currency (10 decimals)."""
    if order_currency.upper() == token.symbol:
        return Decimal(1)
    token_usd = usd_price(token.symbol)
    if realtime and token.symbol in _STABLE:
        token_usd = Decimal("0.99982")  # a live market quote instead of the fixed 1:1
    return (usd_price(order_currency) / token_usd).quantize(_RATE_STEP, ROUND_HALF_UP)


def receive_amount(amount: Decimal, rate: Decimal, token: PayCurrency) -> Decimal:
    """What the payer must send in ``token`` (rounded up to a sensible number of decimals)."""
    digits = min(token.decimals, 6 if token.symbol in _STABLE else 8)
    value = (amount * rate).quantize(Decimal(1).scaleb(-digits), ROUND_UP)
    return value.normalize() if value else value


def _text(number: Decimal) -> str:
    text = format(number.normalize(), "f")
    return text


@dataclass
class Payment:
    """One on-chain payment into an order's address."""

    token: PayCurrency
    amount: Decimal
    time_ms: int
    tx_id: str
    from_address: str
    payment_address: str
    remain: bool = False  # a top-up of the remaining amount


@dataclass
class Refund:
    """A refund of an order to the payer."""

    refund_id: int
    amount: Decimal
    fee: Decimal
    token: PayCurrency
    address: str
    tx_id: str
    created_ms: int
    transact_ms: int
    status: int  # 0 processing, 1 success, 2 failed
    full: bool


@dataclass
class Order:
    """A checkout order (``version`` 2) or a legacy v1 order."""

    cregis_id: str
    order_id: str
    amount: Decimal
    currency: str
    created_ms: int
    valid_time: int
    version: int = 2
    payer_id: str = ""
    payer_name: str = ""
    payer_email: str = ""
    remark: str = ""
    callback_url: str = ""
    success_url: str = ""
    cancel_url: str = ""
    language: str = "en"
    tokens: tuple[PayCurrency, ...] = ()
    addresses: dict[str, str] = field(default_factory=dict)  # chain_id -> payment address
    underpaid: Decimal = Decimal(0)
    overpaid: Decimal = Decimal(0)
    accept_partial: bool = True
    accept_over: bool = True
    realtime: bool = False
    order_details: Any = None
    sub_merchant: Any = None
    checkout_url: str = ""
    payments: list[Payment] = field(default_factory=list)
    confirm_ms: int | None = None
    refund: Refund | None = None
    canceled_ms: int | None = None
    settlement: str | None = None  # fixed settlement state (seeded orders)
    settle_ms: int = 10_000
    merchant_wallet: dict[str, str] = field(default_factory=dict)
    events_sent: set[str] = field(default_factory=set)
    reported: str | None = None  # a paid status stated whatever was paid (discrepancies knob)

    @property
    def expire_ms(self) -> int:
        """When an unpaid order expires."""
        return self.created_ms + self.valid_time * 60_000

    def rate(self, token: PayCurrency) -> Decimal:
        """Exchange rate from the order currency to ``token``."""
        return exchange_rate(self.currency, token, self.realtime)

    def paid_value(self) -> Decimal:
        """What the payments are worth in the order currency."""
        return sum((p.amount / self.rate(p.token) for p in self.payments), Decimal(0))

    def outcome(self) -> str:
        """``paid``, ``paid_partial`` or ``paid_over`` by the documented tolerance rule."""
        value = self.paid_value()
        if value < self.amount - self.underpaid:
            return "paid_partial"
        if value > self.amount + self.overpaid:
            return "paid_over"
        return "paid"

    def status(self, now_ms: int) -> str:
        """The order status at ``now_ms``."""
        if self.canceled_ms is not None and now_ms >= self.canceled_ms:
            return "canceled"
        if self.confirm_ms is not None and now_ms >= self.confirm_ms:
            return self.reported or self.outcome()
        if not self.payments and now_ms >= self.expire_ms:
            return "expired"
        return "new"

    def settlement_at(self, now_ms: int) -> str:
        """``unsettled``, ``settling`` or ``settled``."""
        if self.settlement is not None:
            return self.settlement
        if self.confirm_ms is None or now_ms < self.confirm_ms + self.settle_ms:
            return "unsettled"
        if now_ms < self.confirm_ms + 2 * self.settle_ms or self.refund is not None:
            return "settling"
        return "settled"

    # -- records ---------------------------------------------------------------------------------

    def payment_info(self) -> list[dict[str, Any]]:
        """The payable options (same shape at creation and in queries)."""
        out = []
        for token in self.tokens:
            rate = self.rate(token)
            out.append(
                {
                    "payment_address": self.addresses[token.chain_id],
                    "token_symbol": token.symbol,
                    "blockchain": token.blockchain,
                    "token_name": token.token_name,
                    "logo_url": _logo(token.token_name),
                    "token_decimals": token.decimals,
                    "receive_amount": _text(receive_amount(self.amount, rate, token)),
                    "receive_currency": token.symbol,
                    "exchange_rate": _text(rate),
                    "asset_logo": _logo(token.symbol.lower()),
                }
            )
        return out

    def payment_detail(self) -> list[dict[str, Any]]:
        """What was actually received."""
        out = []
        for p in self.payments:
            rate = self.rate(p.token)
            out.append(
                {
                    "payment_address": p.payment_address,
                    "from_address": p.from_address,
                    "receive_amount": _text(receive_amount(self.amount, rate, p.token)),
                    "receive_currency": p.token.symbol,
                    "pay_amount": _text(p.amount),
                    "pay_currency": p.token.symbol,
                    "exchange_rate": _text(rate),
                    "tx_id": p.tx_id,
                    "blockchain": p.token.blockchain,
                    "token_name": p.token.token_name,
                }
            )
        return out

    def _times(self, now_ms: int) -> dict[str, Any]:
        status = self.status(now_ms)
        cancel = None
        if status == "expired":
            cancel = self.expire_ms
        elif status == "canceled":
            cancel = self.canceled_ms
        transact = (
            self.confirm_ms if self.confirm_ms is not None and now_ms >= self.confirm_ms else None
        )
        return {
            "created_time": self.created_ms,
            "cancel_time": cancel,
            "transact_time": transact,
            "valid_time": self.valid_time,
            "status": status,
        }

    def created_record(self) -> dict[str, Any]:
        """The checkout (or v1 create) response."""
        return {
            "cregis_id": self.cregis_id,
            "checkout_url": self.checkout_url,
            "merchant_name": None,
            "merchant_logo_url": None,
            "order_amount": _text(self.amount),
            "order_currency": self.currency,
            "created_time": self.created_ms,
            "expire_time": self.expire_ms,
            "payment_info": self.payment_info(),
        }

    def info_record(self, now_ms: int) -> dict[str, Any]:
        """The order query response (v2; v1 reads the fields it knows)."""
        record: dict[str, Any] = {
            "cregis_id": self.cregis_id,
            "order_id": self.order_id,
            "order_amount": _text(self.amount),
            "order_currency": self.currency,
            **self._times(now_ms),
            "refund_requested": "yes" if self.refund is not None else "no",
            "payer_id": self.payer_id,
            "payer_name": self.payer_name,
            "payer_email": self.payer_email,
            "remark": self.remark,
            "reamrk": self.remark,
            "payment_detail": self.payment_detail() if self._paid_visible(now_ms) else [],
            "payment_info": self.payment_info(),
            "order_details": self.order_details,
        }
        settlement = self.settlement_at(now_ms)
        record["settlement_status"] = settlement
        record["settlement_type"] = "" if settlement == "unsettled" else "system"
        if settlement == "settled" and self.payments:
            record["settlement_details"] = self._settlement_details()
        if self.refund is not None and now_ms >= self.refund.created_ms:
            record["refund_data"] = self._refund_data()
        if self.sub_merchant is not None:
            record["sub_merchant"] = self.sub_merchant
        return record

    def _paid_visible(self, now_ms: int) -> bool:
        return any(p.time_ms <= now_ms for p in self.payments)

    def _settlement_details(self) -> dict[str, Any]:
        pay = self.payments[-1]
        total = sum((p.amount for p in self.payments), Decimal(0))
        fee = (total * Decimal("0.005")).quantize(Decimal(1).scaleb(-min(6, pay.token.decimals)))
        ident = int.from_bytes(digest(self.cregis_id, "settle", size=6), "big")
        created = (self.confirm_ms or self.created_ms) + 2 * self.settle_ms
        return {
            "id": 1_420_000_000_000_000 + ident % 10**13,
            "created_time": created,
            "from_address": pay.payment_address,
            "to_address": self.merchant_wallet.get(pay.token.chain_id, pay.payment_address),
            "order_count": 1,
            "settlement_currency": pay.token.symbol,
            "total_settlement_amount": _text(total),
            "total_settlement_fee": _text(fee),
            "total_actual_settlement_amount": _text(total - fee),
            "tx_id": _tx(pay.token, self.cregis_id, "settle"),
            "order_settlement_detail": {
                "settlement_amount": _text(total),
                "settlement_fee": _text(fee),
                "actual_settlement_amount": _text(total - fee),
                "status": "success",
            },
        }

    def _refund_data(self) -> dict[str, Any]:
        r = self.refund
        assert r is not None
        return {
            "refund_id": r.refund_id,
            "cregis_id": self.cregis_id,
            "reference_id": self.order_id,
            "recipient_id": self.payer_id,
            "recipient_name": self.payer_name,
            "recipient_email": self.payer_email,
            "recipient_address": r.address,
            "token": r.token.token_name,
            "network": r.token.blockchain,
            "refund_amount": _text(r.amount),
            "refund_fee": _text(r.fee),
            "actual_refund_amount": _text(r.amount - r.fee),
            "type": 2 if r.full else 1,
            "refund_status": r.status,
            "refund_tx_id": r.tx_id,
            "refund_created_time": r.created_ms,
            "refund_transact_time": r.transact_ms,
        }

    def callback_data(self, event: str, now_ms: int) -> dict[str, Any]:
        """The ``data`` of an order callback for ``event`` (every field the event may carry)."""
        data: dict[str, Any] = {
            "cregis_id": self.cregis_id,
            "order_id": self.order_id,
            "order_amount": _text(self.amount),
            "order_currency": self.currency,
            **self._times(now_ms),
            "remark": self.remark,
            "payer_id": self.payer_id,
            "payer_name": self.payer_name,
            "payer_email": self.payer_email,
        }
        if self.payments:
            first, last = self.payments[0], self.payments[-1]
            rate = self.rate(first.token)
            data.update(
                receive_amount=_text(receive_amount(self.amount, rate, first.token)),
                receive_currency=first.token.symbol,
                pay_amount=_text(sum((p.amount for p in self.payments), Decimal(0))),
                pay_currency=first.token.symbol,
                exchange_rate=_text(rate),
                payment_address=first.payment_address,
                tx_id=first.tx_id,
            )
            if last.remain:
                data.update(
                    additional_pay_currency=last.token.symbol,
                    additional_pay_amount=_text(last.amount),
                    additional_payment_address=last.payment_address,
                    additional_payment_tx_id=last.tx_id,
                    additional_payment_transact_time=last.time_ms,
                )
        r = self.refund
        if r is not None:
            data.update(
                refund_requested="yes",
                type="1" if r.full else "0",
                refund_id=r.refund_id,
                refund_address=r.address,
                refund_currency=r.token.token_name,
                refund_amount=_text(r.amount),
                refund_fee=_text(r.fee),
                actual_refund_amount=_text(r.amount - r.fee),
                refund_status=str(r.status),
                refund_tx_id=r.tx_id,
                refund_created_time=r.created_ms,
                refund_transact_time=r.transact_ms,
            )
        return data


def _logo(name: str) -> str:
    return f"https://static.cregis.io/pic/coin/{quote(name)}@8x.png"


def _tx(token: PayCurrency, *parts: object) -> str:
    chain = registry().chain(token.chain_id)
    style = chain.address_style if chain is not None else "evm"
    return txid_from_bytes(style, digest(*parts, size=64))


def new_order_addresses(
    book: AddressBook, cat: Catalog, tokens: tuple[PayCurrency, ...]
) -> dict[str, str]:
    """One fresh payment address per chain the order can be paid on."""
    out: dict[str, str] = {}
    for token in tokens:
        if token.chain_id not in out:
            chain = cat.chain_index(token.chain_id)
            if chain is None:
                raise ValueError(f"no chain {token.chain_id} for {token.token_name}")
            out[token.chain_id] = book.text(book.new_address(chain, SUB))
    return out


def make_payment(
    order: Order, token: PayCurrency, amount: Decimal, now_ms: int, payer: str, remain: bool
) -> Payment:
    """A payment of ``amount`` ``token`` into ``order`` at ``now_ms``."""
    n = len(order.payments)
    return Payment(
        token=token,
        amount=amount,
        time_ms=now_ms,
        tx_id=_tx(token, order.cregis_id, "pay", n),
        from_address=payer,
        payment_address=order.addresses[token.chain_id],
        remain=remain,
    )


def make_refund(order: Order, amount: Decimal | None, now_ms: int, settle_ms: int) -> Refund:
    """A refund of ``amount`` (default: everything paid) of ``order``'s first payment token."""
    pay = order.payments[0]
    paid = sum((p.amount for p in order.payments), Decimal(0))
    value = paid if amount is None else amount
    digits = min(pay.token.decimals, 6)
    fee = min(value, Decimal("0.8") if pay.token.symbol in _STABLE else value * Decimal("0.002"))
    fee = fee.quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP)
    ident = int.from_bytes(digest(order.cregis_id, "refund", size=6), "big")
    return Refund(
        refund_id=1_425_000_000_000_000 + ident % 10**13,
        amount=value,
        fee=fee,
        token=pay.token,
        address=pay.from_address,
        tx_id=_tx(pay.token, order.cregis_id, "refund"),
        created_ms=now_ms,
        transact_ms=now_ms + settle_ms,
        status=1,
        full=value >= paid,
    )


def cregis_id_for(*parts: object) -> str:
    """A payment order id like the docs' ``po1420761885130752``."""
    number = int.from_bytes(digest(*parts, size=8), "big") % 10**13
    return f"po{1_420_000_000_000_000 + number}"


# -- seeded orders -------------------------------------------------------------------------------

_SEED_STATUSES = (
    "paid",
    "paid",
    "expired",
    "paid",
    "paid_partial",
    "paid_over",
    "paid",
    "expired",
    "refunded",
    "new",
    "canceled",
    "paid",
)
_FIAT_WEIGHTS = {"USD": 6, "HKD": 3, "EUR": 3, "SGD": 2, "GBP": 2, "CNY": 2, "USDT": 3}
_ITEMS = ("T-shirt", "Gift card", "Annual plan", "Headphones", "Coffee beans", "Game credits")


def seed_orders(
    *,
    seed: int,
    count: int,
    t_end_ms: int,
    span_ms: int,
    book: AddressBook,
    cat: Catalog,
    base_url: str,
    settle_ms: int,
    wallets: dict[str, str],
) -> list[Order]:
    """``count`` deterministic orders in every status, created over the history."""
    rng = random.Random(f"{seed}:orders")
    reg = registry()
    pays = [p for p in reg.pay_currencies if cat.chain_index(p.chain_id) is not None]
    currencies = list(_FIAT_WEIGHTS)
    weights = list(_FIAT_WEIGHTS.values())
    out = []
    for i in range(count):
        status = _SEED_STATUSES[i % len(_SEED_STATUSES)]
        code = rng.choices(currencies, weights)[0]
        decimals = reg.order_currency_decimals(code) or 2
        usd = Decimal(str(round(rng.lognormvariate(3.6, 1.0), 2)))
        amount = (usd / usd_price(code)).quantize(Decimal(1).scaleb(-decimals))
        amount = max(amount, Decimal(1).scaleb(-decimals))
        valid = rng.choice((10, 15, 30, 60))
        if status == "new":
            created = t_end_ms - rng.randint(60_000, 8 * 60_000)
            valid = 60
        else:
            created = t_end_ms - rng.randint(3_600_000, span_ms)
        tokens = tuple(rng.sample(pays, rng.randint(1, 3)))
        cregis_id = cregis_id_for(seed, "order", i)
        items = [
            {
                "item_id": str(10001 + k),
                "item_name": rng.choice(_ITEMS),
                "item_price": float(amount) / 2,
                "item_quantity": 1,
                "price_currency": code,
            }
            for k in range(2)
        ]
        order = Order(
            cregis_id=cregis_id,
            order_id=hex_id(seed, "order-id", i),
            amount=amount,
            currency=code,
            created_ms=created,
            valid_time=valid,
            payer_id=f"payer{1000 + i}",
            payer_name=rng.choice(("Alice", "Bob", "Chen Wei", "Dana", "")),
            payer_email=f"payer{1000 + i}@example.com",
            remark=rng.choice(("VIP order", "", "renewal", "收银台备注")),
            tokens=tokens,
            addresses=new_order_addresses(book, cat, tokens),
            order_details={"items": items, "shopping_cost": 0, "tax_cost": 0},
            checkout_url=f"{base_url}/checkout?cid={hex_id(seed, 'checkout', i)}",
            settle_ms=settle_ms,
            merchant_wallet=wallets,
        )
        if status in ("paid", "paid_partial", "paid_over", "refunded"):  # refunded: paid first
            token = tokens[0]
            due = receive_amount(amount, order.rate(token), token)
            factor = {"paid_partial": Decimal("0.6"), "paid_over": Decimal("1.25")}.get(
                status, Decimal(1)
            )
            paid = (due * factor).quantize(Decimal(1).scaleb(-min(token.decimals, 6)), ROUND_UP)
            when = created + rng.randint(30_000, valid * 60_000 - 1)
            payer = book.text(book.new_address(cat.chain_index(token.chain_id) or 0, SUB))
            order.payments.append(make_payment(order, token, paid, when, payer, False))
            order.confirm_ms = when + rng.randint(10_000, 120_000)
            roll = rng.random()
            order.settlement = (
                "settled" if roll < 0.8 else "settling" if roll < 0.9 else "unsettled"
            )
            if status == "refunded":
                order.refund = make_refund(order, None, order.confirm_ms + 3_600_000, settle_ms)
                order.settlement = "unsettled"
        if status == "canceled":
            order.canceled_ms = created + rng.randint(60_000, valid * 60_000)
        order.events_sent.update({"expired", "paid", "paid_partial", "paid_over", "refunded"})
        out.append(order)
    return out
