"""Tracked payment orders and a client that writes to the store, against the sandbox: the
``orders`` table is what ``fetch_frame`` gives for the tracked ids, column for column and dtype
for dtype, orders are asked about until final, and what a recording client creates is tracked."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

import cregis_notebook as cn
from cregis_notebook.errors import CregisAPIError, CregisStoreError
from cregis_notebook.sandbox import FakeClock, Sandbox
from cregis_notebook.store.recording import ObservedClient
from cregis_notebook.store.tracked import is_final

PAYEE = "TXLAQ63Xg1NAzckPwKHvzw7CSEmLMEqcdj"


def checkout(client: cn.Client, order_id: str, callback_url: str | None = None) -> str:
    answer = client.checkout(
        order_id=order_id, order_amount=Decimal("20"), order_currency="USD", payer_id="payer",
        valid_time=10, success_url="https://shop.example.com/ok",
        cancel_url="https://shop.example.com/cancel", callback_url=callback_url,
    )  # fmt: skip
    return str(answer["cregis_id"])


def assert_orders_match_fetch(store: cn.Store, client: cn.Client) -> None:
    stored = store.frame("orders")
    ids = stored["cregis_id"].tolist()
    fetched = cn.fetch_frame(client, "order_info_v2", cregis_id=ids, progress=False)
    pd.testing.assert_frame_equal(stored.drop(columns="pid"), fetched)
    assert (stored["pid"] == client.pid).all()


def open_orders(store: cn.Store) -> list[str]:
    stored = store.sql("select cregis_id, status, settlement_status, refund_status from orders")
    return [r["cregis_id"] for r in stored.to_dict("records") if not is_final("orders", r)]


def test_orders_are_the_fetch_frame_and_are_asked_about_until_final(tmp_path: Path) -> None:
    clock = FakeClock()
    box = Sandbox(seed=21, clock=clock, transactions=200, settle_seconds=30)
    client = box.client(clock=clock)
    store = cn.Store(tmp_path / "data")
    seeded = box.order_ids()
    assert store.track("orders", seeded[:6]) == 6
    with cn.CallbackReceiver(api_key=box.api_key, sink=store) as inbox:
        paid = checkout(client, "store-paid", inbox.url_for("order"))
        refunded = checkout(client, "store-refunded", inbox.url_for("order"))
        lapsing = checkout(client, "store-expired")  # no callback: tracked by the user
        assert store.track("orders", [lapsing, seeded[0]]) == 1
        first = store.sync(client)
        assert first.added["orders"] == 7
        assert_orders_match_fetch(store, client)
        asked = len(open_orders(store)) + 2  # and the two named by their callbacks
        box.simulate_payment(paid)
        box.simulate_payment(refunded)
        clock.advance(120)
        box.deliver_callbacks()
        assert inbox.wait(2, timeout=10) and not inbox.sink_errors()
        box.simulate_refund(refunded)
        clock.advance(3600)
        box.deliver_callbacks()
        assert inbox.wait(3, timeout=10) and not inbox.sink_errors()
    later = store.sync(client)
    assert later.added["orders"] == 2  # the two paid through the checkout, named by callbacks
    assert later.updated["orders"] >= 1  # the order left to expire
    assert_orders_match_fetch(store, client)
    orders = store.frame("orders").set_index("cregis_id")
    assert orders.loc[lapsing, "status"] == "expired"
    assert orders.loc[paid, "status"] == "paid"
    assert orders.loc[refunded, "refund_data.refund_status"] in (0, 1)
    assert len(store.frame("orders", status="expired")) == (orders["status"] == "expired").sum()
    sums = store.sql("select status, sum(order_amount) as total from orders group by status")
    assert isinstance(sums["total"].iloc[0], Decimal)
    still_open = open_orders(store)
    assert lapsing not in still_open and 0 < len(still_open) < asked
    sent: Counter[str] = Counter()
    store.sync(ObservedClient(client, lambda env: sent.update([env.endpoint])))
    assert sent["order_info_v2"] == len(still_open)  # final orders are not asked about again
    box.close()


def test_a_recording_client_tracks_what_it_creates(tmp_path: Path) -> None:
    clock = FakeClock()
    box = Sandbox(seed=22, clock=clock, transactions=200, settle_seconds=30)
    store = cn.Store(tmp_path / "data")
    client = store.recording(box.client(clock=clock))
    address = client.address_create(chain_id="195")["address"]
    box.simulate_deposit(address, "195@195", "40")
    payout = client.payout(
        currency="195@195", to_address=PAYEE, amount=Decimal("1.5"), third_party_id="rec-1"
    )
    with pytest.raises(CregisAPIError):  # refused: nothing is created, nothing tracked
        client.payout(
            currency="195@195", to_address=PAYEE, amount=Decimal("1"), third_party_id="rec-1"
        )
    withdrawal = client.withdrawal(
        currency="195@195", from_address=address, to_address=PAYEE, amount=Decimal("10"),
        third_party_id="rec-2",
    )  # fmt: skip
    order = checkout(client, "rec-order")
    summary = store.sync(client)
    assert summary.added["payouts"] == summary.added["withdrawals"] == 1
    assert summary.added["orders"] == 1
    assert store.frame("payouts")["cid"].tolist() == [payout["cid"]]
    assert store.frame("withdrawals")["cid"].tolist() == [withdrawal["cid"]]
    assert store.frame("orders")["cregis_id"].tolist() == [order]
    assert_orders_match_fetch(store, box.client(clock=clock))
    assert client.pid == box.pid and "RecordingClient" in repr(client)
    with pytest.raises(CregisStoreError, match="Client"):
        store.recording(box.async_client())
    box.close()
