"""Checkout orders over time: expiry, payments confirming, refunds, and the order callbacks."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ...errors import SandboxError
from ...spec import registry
from .amounts import decimal_places, parse_amount
from .book import SUB
from .catalog import Catalog
from .orders import Order, make_payment, make_refund, receive_amount
from .outbox import Outbox
from .project import Project
from .scheduler import Scheduler

__all__ = ["PAID", "Payments", "order_callback"]

PAID = ("paid", "paid_partial", "paid_over")


def order_callback(order: Order, event: str, now_ms: int) -> tuple[str, dict[str, Any]] | None:
    """The callback name and fields of ``order``'s ``event`` at ``now_ms`` (None: no such
    event for the order's version)."""
    name = "callback_payment_order" if order.version == 2 else "callback_payment_v1"
    cb = registry().callback(name)
    allowed = {v for f in cb.fields if f.name == "event_type" for v in f.enum_values}
    if event not in allowed:
        return None
    return name, {
        "event_name": "order",
        "event_type": event,
        "data": order.callback_data(event, now_ms),
    }


class Payments:
    """Schedules what happens to checkout orders and sends their callbacks."""

    def __init__(
        self, cat: Catalog, scheduler: Scheduler, outbox: Outbox, settle_seconds: float
    ) -> None:
        self.cat = cat
        self.scheduler = scheduler
        self.outbox = outbox
        self.settle_seconds = settle_seconds

    def start(self, p: Project, order: Order) -> None:
        """Schedule the expiry callback of a new order."""
        self.scheduler.schedule(order.expire_ms / 1000, lambda at: self._event(p, order, at, None))

    def pay(
        self,
        p: Project,
        order: Order,
        amount: str | Decimal | None,
        token: str | None,
        now: float,
    ) -> None:
        """A payer pays ``order`` at ``now``; it confirms ``settle_seconds`` later."""
        now_ms = int(now * 1000)
        cregis_id = order.cregis_id
        status = order.status(now_ms)
        remain = status == "paid_partial" and not order.accept_partial
        if status != "new" and not remain:
            raise SandboxError(f"order {cregis_id} is {status}; only a new order can be paid")
        if order.payments and not remain:
            raise SandboxError(f"order {cregis_id} already has a payment confirming")
        chosen = order.tokens[0]
        if token is not None:
            matches = [t for t in order.tokens if t.token_name.lower() == token.lower()]
            if not matches:
                names = ", ".join(t.token_name for t in order.tokens)
                raise SandboxError(f"order {cregis_id} takes {names}, not {token!r}")
            chosen = matches[0]
        if amount is None:
            due = receive_amount(order.amount, order.rate(chosen), chosen)
            paid = sum((x.amount for x in order.payments if x.token == chosen), Decimal(0))
            value = max(due - paid, Decimal(0)) or due
        else:
            value = parse_amount(amount)
            if value <= 0 or decimal_places(value) > chosen.decimals:
                raise SandboxError(f"bad amount {amount!r} for {chosen.token_name}")
        chain = self.cat.chain_index(chosen.chain_id)
        payer = p.pay_book.text(p.pay_book.new_address(chain or 0, SUB))
        order.payments.append(make_payment(order, chosen, value, now_ms, payer, remain))
        order.confirm_ms = now_ms + int(self.settle_seconds * 1000)

        def confirm(at: float) -> None:
            event = "paid_remain" if remain else order.outcome()
            self._event(p, order, at, event)

        self.scheduler.schedule(order.confirm_ms / 1000, confirm)

    def refund(self, p: Project, order: Order, amount: str | Decimal | None, now: float) -> None:
        """Refund a paid ``order`` once at ``now``; the ``refunded`` callback follows.

        The order keeps its paid status: SPEC 10.2 lists no ``refunded`` status, so the refund
        shows in ``refund_requested`` and ``refund_data`` (and the callback).
        """
        now_ms = int(now * 1000)
        status = order.status(now_ms)
        if status not in PAID:
            raise SandboxError(
                f"order {order.cregis_id} is {status}; only a paid order is refunded"
            )
        if order.refund is not None:
            raise SandboxError(f"order {order.cregis_id} is already refunded")
        value = None if amount is None else parse_amount(amount)
        settle_ms = int(self.settle_seconds * 1000)
        order.refund = make_refund(order, value, now_ms, settle_ms)
        self.scheduler.schedule(
            now + self.settle_seconds, lambda at: self._event(p, order, at, "refunded")
        )

    def _event(self, p: Project, order: Order, at: float, event: str | None) -> None:
        now_ms = int(at * 1000)
        if event is None:
            if order.status(now_ms) != "expired":
                return
            event = "expired"
        if event != "paid_remain" and event in order.events_sent:
            return
        order.events_sent.add(event)
        made = order_callback(order, event, now_ms)
        if made is not None:
            self.outbox.send(p, made[0], order.callback_url, made[1], at, event)
