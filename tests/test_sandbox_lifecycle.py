"""State over time: statuses move with the clock, and signed callbacks are delivered."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest
from conftest import call

from cregis_notebook import CallbackReceiver, verify_signature
from cregis_notebook.sandbox import DEFAULT_API_KEY, FakeClock, Sandbox, SandboxError
from cregis_notebook.spec import registry

PAYEE = "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS"


class Inbox:
    """An httpx transport that records callbacks and answers with ``replies`` in turn."""

    def __init__(self, replies: Callable[[int], tuple[int, str]] | None = None) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.raw: list[bytes] = []
        self.urls: list[str] = []
        self._replies = replies or (lambda n: (200, "success"))

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.raw.append(request.content)
        self.bodies.append(json.loads(request.content))
        self.urls.append(str(request.url))
        status, text = self._replies(len(self.bodies))
        return httpx.Response(status, text=text)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)


def make(inbox: Inbox, **knobs: Any) -> tuple[Sandbox, FakeClock]:
    clock = FakeClock()
    box = Sandbox(
        seed=0, transactions=300, clock=clock, callback_transport=inbox.transport, **knobs
    )
    return box, clock


def funded_address(box: Sandbox, amount: str = "500", callback: str = "") -> str:
    params = {"chain_id": "195"}
    if callback:
        params["callback_url"] = callback
    address = call(box, "address_create", params)["data"]["address"]
    box.simulate_deposit(address, "195@195", amount)
    return address


def test_payout_moves_through_its_statuses_and_calls_back_once() -> None:
    inbox = Inbox()
    box, clock = make(inbox)
    cid = call(
        box,
        "payout_v1",
        {
            "currency": "195@195",
            "address": PAYEE,
            "amount": "2.5",
            "third_party_id": "p-1",
            "remark": "rent",
            "callback_url": "http://merchant.test/payout",
        },
    )["data"]["cid"]
    seen = []
    for _ in range(6):
        seen.append(call(box, "payout_query", {"cid": cid})["data"]["status"])
        box.deliver_callbacks()
        clock.advance(2.5)
    assert seen == [0, 5, 1, 1, 6, 6]  # awaiting approval, signature, broadcast, success
    done = call(box, "payout_query", {"cid": cid})["data"]
    assert done["txid"] and done["block_height"].isdigit() and done["block_time"] > 10**12
    assert len(inbox.bodies) == 1
    body = inbox.bodies[0]
    assert inbox.urls == ["http://merchant.test/payout"]
    assert verify_signature(inbox.raw[0], DEFAULT_API_KEY)
    assert body["status"] == 6 and body["cid"] == cid and body["third_party_id"] == "p-1"
    assert body["amount"] == "2.5" and isinstance(body["block_time"], int)
    assert isinstance(body["block_height"], str) and body["txid"] == done["txid"]
    names = [f.name for f in registry().callback("callback_payout").fields]
    assert list(body) == [n for n in names if n in body]
    # the settled payout is now a transaction row
    row = call(box, "trade_page", {"cid": cid})["data"]["rows"][0]
    assert row["txid"] == done["txid"] and row["trade_type"] == "2" and row["status"] == 1
    assert row["block_time"] * 1000 <= done["block_time"] < (row["block_time"] + 1) * 1000
    box.close()


@pytest.mark.parametrize(
    ("word", "final", "on_chain"),
    [("[fail]", 7, True), ("[reject]", 4, False), ("[sign-reject]", 2, False)],
)
def test_remark_words_choose_how_a_transfer_ends(word: str, final: int, on_chain: bool) -> None:
    inbox = Inbox()
    box, clock = make(inbox)
    address = funded_address(box)
    balance = call(box, "sub_address_balance", {"currency": "195@195", "address": address})
    start = balance["data"]["rows"][0]
    cid = call(
        box,
        "withdrawal",
        {
            "currency": "195@195",
            "from_address": address,
            "to_address": PAYEE,
            "amount": "100",
            "third_party_id": "w-1",
            "remark": f"test {word}",
            "callback_url": "http://merchant.test/w",
        },
    )["data"]["cid"]
    locked = call(box, "sub_address_balance", {"currency": "195@195", "address": address})
    assert Decimal(locked["data"]["rows"][0]["processing"]) > 100
    clock.advance(10)
    box.deliver_callbacks()
    record = call(box, "withdrawal_query", {"cid": cid})["data"]
    assert record["status"] == final
    assert bool(record["block_time"]) == on_chain
    assert [b["status"] for b in inbox.bodies] == [final]
    after = call(box, "sub_address_balance", {"currency": "195@195", "address": address})
    row = after["data"]["rows"][0]
    assert row["processing"] == "0"
    if final == 7:  # failed on chain: the fee is spent, the amount comes back
        assert Decimal(row["available"]) < Decimal(start["available"])
        assert Decimal(row["available"]) > Decimal(start["available"]) - 1
    else:
        assert row["available"] == start["available"]
    box.close()


def test_withdrawal_success_spends_the_balance() -> None:
    inbox = Inbox()
    box, clock = make(inbox)
    address = funded_address(box, "300")
    call(
        box,
        "withdrawal",
        {
            "currency": "195@195",
            "from_address": address,
            "to_address": PAYEE,
            "amount": "120",
            "third_party_id": "w-2",
        },
    )
    clock.advance(11)
    row = call(box, "sub_address_balance", {"currency": "195@195", "address": address})
    data = row["data"]["rows"][0]
    assert Decimal(data["total"]) < 180 and Decimal(data["total"]) > 179  # 300 - 120 - fee
    assert inbox.bodies == []  # no callback_url, no callback
    box.close()


def test_deposit_callback_types_follow_the_current_docs() -> None:
    inbox = Inbox()
    box, _ = make(inbox)
    address = funded_address(box, "12.5", callback="http://merchant.test/deposit")
    box.deliver_callbacks()
    assert len(inbox.bodies) == 1
    body = inbox.bodies[0]
    assert body["status"] == "1" and isinstance(body["block_time"], str)  # strings (SPEC 9.1)
    assert len(body["block_time"]) == 13 and body["amount"] == "12.5"
    assert body["address"] == address and body["currency"] == "TRX"
    assert isinstance(body["cid"], int) and isinstance(body["timestamp"], int)
    assert len(body["nonce"]) == 6
    assert verify_signature(inbox.raw[0], DEFAULT_API_KEY)
    failed = box.simulate_deposit(address, "195@TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "3", status=2)
    assert failed["status"] == 2
    box.deliver_callbacks()
    assert inbox.bodies[-1]["status"] == "2"
    box.close()


def test_simulate_deposit_checks_its_arguments(box: Sandbox) -> None:
    address = call(box, "address_create", {"chain_id": "195"})["data"]["address"]
    with pytest.raises(SandboxError, match="not an address"):
        box.simulate_deposit(PAYEE, "195@195", "1")
    with pytest.raises(SandboxError, match="not on the chain"):
        box.simulate_deposit(address, "60@60", "1")
    with pytest.raises(SandboxError, match="decimals"):
        box.simulate_deposit(address, "195@195", "1.1234567")
    with pytest.raises(SandboxError):
        box.simulate_deposit(address, "195@195", "1", status=5)
    row = box.simulate_deposit(address, "195@195", "7", txid="my-own-hash")
    assert row["txid"] == "my-own-hash"
    assert call(box, "trade_page", {"tx_id": "my-own-hash"})["data"]["rows"] == [row]


def test_callbacks_are_retried_until_success() -> None:
    inbox = Inbox(
        lambda n: (200, "success") if n >= 3 else ((500, "oops") if n == 1 else (200, "fail"))
    )
    box, clock = make(inbox, callback_backoff=2)
    funded_address(box, "1", callback="http://merchant.test/d")
    first = box.deliver_callbacks()
    assert [a.ok for a in first] == [False] and first[0].status == 500
    clock.advance(1.9)
    assert box.deliver_callbacks() == []  # not yet: backoff 2 s
    clock.advance(0.1)
    assert [a.ok for a in box.deliver_callbacks()] == [False]  # "fail" is not "success"
    clock.advance(4)
    assert [a.ok for a in box.deliver_callbacks()] == [True]
    clock.advance(100)
    assert box.deliver_callbacks() == []
    assert [a.attempt for a in box.callback_log] == [1, 2, 3]
    assert len({json.dumps(b, sort_keys=True) for b in inbox.bodies}) == 1  # same body each time
    box.close()


def test_callbacks_give_up_after_the_last_attempt() -> None:
    inbox = Inbox(lambda n: (404, "no"))
    box, clock = make(inbox, callback_attempts=3, callback_backoff=1)
    funded_address(box, "1", callback="http://merchant.test/d")
    for _ in range(10):
        box.deliver_callbacks()
        clock.advance(5)
    assert len(inbox.bodies) == 3 and not any(a.ok for a in box.callback_log)
    box.close()


def test_unreachable_callback_url_is_logged_not_raised() -> None:
    clock = FakeClock()
    with Sandbox(seed=0, transactions=100, clock=clock, callback_attempts=1) as box:
        address = call(box, "address_create", {"chain_id": "195", "callback_url": "not a url"})[
            "data"
        ]["address"]
        box.simulate_deposit(address, "195@195", "1")
        attempts = box.deliver_callbacks()
        assert len(attempts) == 1 and not attempts[0].ok and attempts[0].error


def _checkout(box: Sandbox, order_id: str, **extra: Any) -> str:
    params = {
        "order_id": order_id,
        "order_amount": "100",
        "order_currency": "HKD",
        "payer_id": "p1",
        "payer_email": "p1@example.com",
        "valid_time": 10,
        "success_url": "https://shop/ok",
        "cancel_url": "https://shop/no",
        "callback_url": "http://merchant.test/order",
        "tokens": '["USDT-TRC20"]',
        **extra,
    }
    envelope = call(box, "checkout", params)
    assert envelope["code"] == "00000", envelope
    return str(envelope["data"]["cregis_id"])


@pytest.mark.parametrize(
    ("factor", "status"),
    [(Decimal(1), "paid"), (Decimal("0.5"), "paid_partial"), (Decimal(2), "paid_over")],
)
def test_order_payment_outcomes(factor: Decimal, status: str) -> None:
    inbox = Inbox()
    box, clock = make(inbox)
    cregis_id = _checkout(box, f"o-{status}")
    info = call(box, "order_info", {"cregis_id": cregis_id})["data"]
    due = Decimal(info["payment_info"][0]["receive_amount"])
    assert info["status"] == "new" and info["payment_detail"] == []
    box.simulate_payment(cregis_id, str(due * factor))
    assert call(box, "order_info", {"cregis_id": cregis_id})["data"]["status"] == "new"
    clock.advance(10)
    box.deliver_callbacks()
    info = call(box, "order_info", {"cregis_id": cregis_id})["data"]
    assert info["status"] == status and info["transact_time"] and info["payment_detail"]
    assert len(inbox.bodies) == 1
    body = inbox.bodies[0]
    assert (body["event_name"], body["event_type"]) == ("order", status)
    assert isinstance(body["data"], dict) and body["data"]["status"] == status
    assert body["data"]["pay_amount"] == str((due * factor).normalize())
    assert "refund_id" not in body["data"]  # only the fields of this event
    assert verify_signature(inbox.raw[0], DEFAULT_API_KEY)  # nested data: canonical JSON
    clock.advance(30)
    assert call(box, "order_info", {"cregis_id": cregis_id})["data"]["settlement_status"] == (
        "settled"
    )
    box.close()


def test_tolerance_turns_a_small_shortfall_into_paid() -> None:
    inbox = Inbox()
    box, clock = make(inbox)
    cregis_id = _checkout(box, "o-tol", underpaid_tolerance=1)
    box.simulate_payment(cregis_id, "12.8")  # 12.8 USDT ~ 99.53 HKD, within 1 HKD
    clock.advance(10)
    assert call(box, "order_info", {"cregis_id": cregis_id})["data"]["status"] == "paid"
    box.close()


def test_unpaid_order_expires_and_says_so() -> None:
    inbox = Inbox()
    box, clock = make(inbox)
    cregis_id = _checkout(box, "o-exp")
    clock.advance(10 * 60 + 1)
    box.deliver_callbacks()
    info = call(box, "order_info", {"cregis_id": cregis_id})["data"]
    assert info["status"] == "expired" and info["cancel_time"] == info["created_time"] + 600_000
    assert [b["event_type"] for b in inbox.bodies] == ["expired"]
    assert "pay_amount" not in inbox.bodies[0]["data"]
    with pytest.raises(SandboxError, match="expired"):
        box.simulate_payment(cregis_id)
    box.close()


def test_refund_callback() -> None:
    inbox = Inbox()
    box, clock = make(inbox)
    cregis_id = _checkout(box, "o-ref")
    box.simulate_payment(cregis_id)
    clock.advance(10)
    box.simulate_refund(cregis_id)
    clock.advance(10)
    box.deliver_callbacks()
    assert [b["event_type"] for b in inbox.bodies] == ["paid", "refunded"]
    data = inbox.bodies[1]["data"]
    assert data["refund_requested"] == "yes" and data["type"] == "1"  # callback: 1 = full
    assert isinstance(data["refund_created_time"], str)
    info = call(box, "order_info", {"cregis_id": cregis_id})["data"]
    assert info["refund_data"]["type"] == 2  # query: 2 = full
    # SPEC 10.2 lists no "refunded" status: the order stays paid, the refund is refund_data
    assert info["status"] == "paid" and info["refund_requested"] == "yes"
    assert data["status"] == "paid"
    with pytest.raises(SandboxError, match="already refunded"):
        box.simulate_refund(cregis_id)
    box.close()


def test_legacy_deposit_order_paid_and_timed_out() -> None:
    inbox = Inbox()
    box, clock = make(inbox)
    paid = call(
        box,
        "deposit",
        {
            "currency": "195@195",
            "amount": "1.2",
            "timeout": 10,
            "callback_url": "http://merchant.test/od",
            "third_party_id": "od-1",
        },
    )["data"]
    late = call(
        box,
        "deposit",
        {
            "currency": "195@195",
            "amount": "3",
            "callback_url": "http://merchant.test/od",
            "third_party_id": "od-2",
        },
    )["data"]
    box.simulate_deposit(paid["address"], "195@195", "1.2")
    clock.advance(10 * 60 + 1)
    box.deliver_callbacks()
    assert call(box, "deposit_query", {"cid": paid["cid"]})["data"]["status"] == 1
    assert call(box, "deposit_query", {"cid": late["cid"]})["data"]["status"] == 3
    statuses = {b["cid"]: b["status"] for b in inbox.bodies if "real_amount" in b}
    assert statuses == {paid["cid"]: 2, late["cid"]: 4}  # the callback's own numbering
    box.close()


def test_deposit_rate_streams_deposits_into_created_addresses() -> None:
    inbox = Inbox()
    box, clock = make(inbox, deposit_rate=2)
    address = call(
        box, "address_create", {"chain_id": "60", "callback_url": "http://merchant.test/s"}
    )["data"]
    clock.advance(5)
    box.deliver_callbacks()
    rows = call(box, "trade_page", {"business_type": 3, "blocktime_start": int(clock()) - 10})
    mine = [r for r in rows["data"]["rows"] if r["to_address"] == address["address"]]
    assert len(mine) == 10
    assert len(inbox.bodies) == 10 and all(b["address"] == address["address"] for b in inbox.bodies)
    box.close()


def test_real_clock_and_a_loopback_receiver() -> None:
    """No FakeClock: the background thread settles the payout and posts over real HTTP."""
    with (
        CallbackReceiver(api_key=DEFAULT_API_KEY) as receiver,
        Sandbox(seed=0, transactions=200, settle_seconds=0.2) as box,
    ):
        url = receiver.url_for("payout")
        call(
            box,
            "payout_v1",
            {
                "currency": "195@195",
                "address": PAYEE,
                "amount": "1",
                "third_party_id": "real-1",
                "callback_url": url,
            },
            timestamp=1_735_689_600_000,
        )
        assert receiver.wait(1, timeout=10)
        body = receiver.received[0].json()
        assert body["status"] == 6
        assert verify_signature(receiver.received[0].body, DEFAULT_API_KEY)
        assert box.wait_for_callbacks(1, timeout=10)
        assert box.callback_log[0].ok and box.callback_log[0].status == 200


def test_cancel_word_ends_a_payout_at_3_without_callback() -> None:
    inbox = Inbox()
    box, clock = make(inbox)
    params = {
        "currency": "195@195",
        "address": PAYEE,
        "amount": "1",
        "remark": "[cancel]",
        "callback_url": "http://merchant.test/p",
    }
    cid = call(box, "payout_v1", {**params, "third_party_id": "c-1"})["data"]["cid"]
    address = funded_address(box)
    wid = call(
        box,
        "withdrawal",
        {**params, "from_address": address, "to_address": PAYEE, "third_party_id": "c-2"},
    )["data"]["cid"]
    clock.advance(11)
    box.deliver_callbacks()
    assert call(box, "payout_query", {"cid": cid})["data"]["status"] == 3
    assert call(box, "withdrawal_query", {"cid": wid})["data"]["status"] == 6  # no 3 there
    assert [b["cid"] for b in inbox.bodies] == [wid]
    box.close()
