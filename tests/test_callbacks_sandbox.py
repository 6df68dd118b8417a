"""Every kind of callback the sandbox sends, collected by the receiver, parsed and verified."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cregis_notebook import CallbackReceiver, callbacks_frame, parse_callback
from cregis_notebook.sandbox import FakeClock, Sandbox

PAYEE = "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS"


def _checkout(lab, inbox, order_id: str, **extra):
    params = dict(
        order_id=order_id,
        order_amount=Decimal("20"),
        order_currency="USD",
        payer_id="payer",
        payer_email="payer@example.com",
        valid_time=10,
        success_url="https://shop.example.com/ok",
        cancel_url="https://shop.example.com/cancel",
        callback_url=inbox.url_for("order"),
    )
    params.update(extra)
    return lab.checkout(**params)["cregis_id"]


@pytest.fixture(scope="module")
def delivered():
    clock = FakeClock()
    box = Sandbox(clock=clock, transactions=300, settle_seconds=30)
    lab = box.client()
    with CallbackReceiver(api_key=box.api_key) as inbox:
        address = lab.address_create(chain_id="195", callback_url=inbox.url_for("deposit"))[
            "address"
        ]
        box.simulate_deposit(address, "195@195", "40")
        box.simulate_deposit(address, "195@195", "3", status=2)
        lab.payout(
            currency="195@195",
            to_address=PAYEE,
            amount=Decimal("1.5"),
            third_party_id="cb-payout",
            callback_url=inbox.url_for("payout"),
        )
        lab.withdrawal(
            currency="195@195",
            from_address=address,
            to_address=PAYEE,
            amount=Decimal("10"),
            third_party_id="cb-withdrawal",
            callback_url=inbox.url_for("withdrawal"),
        )
        paid = _checkout(lab, inbox, "cb-paid")
        refunded = _checkout(lab, inbox, "cb-refunded")
        _checkout(lab, inbox, "cb-expired")
        box.simulate_payment(paid)
        box.simulate_payment(refunded)
        lab.deposit(
            currency="195@195",
            amount=Decimal("5"),
            callback_url=inbox.url_for("legacy-deposit"),
            third_party_id="cb-legacy",
            timeout=10,
        )
        clock.advance(120)
        box.deliver_callbacks()
        box.simulate_refund(refunded)
        clock.advance(3600)
        box.deliver_callbacks()
        inbox.wait(9, timeout=10)
        received = inbox.received
    box.close()
    return box, received


def test_every_callback_arrives_verified(delivered):
    box, received = delivered
    frame = callbacks_frame(received, api_key=box.api_key)
    assert frame["verified"].all(), frame[["kind", "verified"]]
    assert "problems" not in frame.columns or frame["problems"].isna().all()
    kinds = set(frame["kind"])
    assert {"address_deposit", "payout", "sub_address_withdrawal", "payment_order"} <= kinds
    assert "order_deposit" in kinds
    events = set(frame["event_type"].dropna())
    assert {"paid", "expired", "refunded"} <= events
    assert set(frame["path"]) >= {"/deposit", "/payout", "/withdrawal", "/order"}


def test_sandbox_callbacks_have_the_documented_types(delivered):
    box, received = delivered
    parsed = [parse_callback(item.body, api_key=box.api_key) for item in received]
    deposits = [p for p in parsed if p.kind == "callback_address_deposit"]
    assert sorted(p["status"] for p in deposits) == [1, 2]
    assert {p["amount"] for p in deposits} == {Decimal("40"), Decimal("3")}
    payout = next(p for p in parsed if p.kind == "callback_payout")
    assert payout["status"] in (2, 4, 6, 7) and payout.labels["status"]
    assert payout["block_time"] is None or payout["block_time"].tzinfo is not None
    refund = next(p for p in parsed if p.event_type == "refunded")
    assert isinstance(refund["refund_amount"], Decimal)
    assert refund.labels["data.refund_status"] in ("processing", "success", "failed")
    assert all(item.reply == "success" for item in received)
