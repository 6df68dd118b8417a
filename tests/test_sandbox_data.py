"""Seeded data: deterministic, plausible, and consistent with itself."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from conftest import call
from ledger import balance_entry, ledger

from cregis_notebook.sandbox import FakeClock, Sandbox
from cregis_notebook.sandbox.engine.addresses import is_valid_address
from cregis_notebook.spec import registry


def all_rows(box: Sandbox, **filters: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    page = 1
    while True:
        data = call(box, "trade_page", {**filters, "page_num": page, "page_size": 100})["data"]
        rows += data["rows"]
        if page * 100 >= data["total"]:
            return rows
        page += 1


@pytest.fixture(scope="module")
def seeded() -> Any:
    with Sandbox(seed=11, transactions=4_000, clock=FakeClock()) as box:
        yield box, all_rows(box)


def test_same_seed_same_data() -> None:
    def snapshot(seed: int) -> Any:
        with Sandbox(seed=seed, transactions=600, clock=FakeClock()) as box:
            rows = all_rows(box)
            return rows, box.examples(), call(box, "coins")["data"]

    first, second = snapshot(5), snapshot(5)
    assert first == second
    assert snapshot(6)[0] != first[0]


def test_every_status_trade_type_and_business_type(seeded: Any) -> None:
    _, rows = seeded
    assert {r["status"] for r in rows} == {0, 1, 2}
    assert {r["trade_type"] for r in rows} == {"1", "2"}
    assert {r["business_type"] for r in rows} == {"0", "2", "3", "4", "5"}
    pairs = {(r["business_type"], r["trade_type"]) for r in rows}
    assert ("3", "1") in pairs and ("5", "2") in pairs and ("0", "1") in pairs


def test_every_currency_with_its_decimals(seeded: Any) -> None:
    _, rows = seeded
    reg = registry()
    seen = {(r["chain_id"], r["token_id"]) for r in rows}
    assert seen == {(c.chain_id, c.token_id) for c in reg.currencies}
    for row in rows:
        cur = reg.currency(f"{row['chain_id']}@{row['token_id']}")
        assert cur is not None and row["currency"] == cur.symbol
        amount = Decimal(row["amount"])
        assert amount > 0 and -amount.as_tuple().exponent <= cur.decimals
        chain = reg.chain(row["chain_id"])
        assert chain is not None
        fee = Decimal(row["fee"])
        assert fee > 0 and -fee.as_tuple().exponent <= chain.native_decimals
        assert row["amount"] == str(amount.normalize().__format__("f"))  # no trailing zeros


def test_plausible_sizes(seeded: Any) -> None:
    _, rows = seeded
    usdt = [Decimal(r["amount"]) for r in rows if r["currency"] == "USDT"]
    usdt.sort()
    median = usdt[len(usdt) // 2]
    assert Decimal(10) < median < Decimal(5000)
    btc = [Decimal(r["amount"]) for r in rows if r["currency"] == "BTC"]
    assert max(btc) < 100


def test_addresses_and_txids_look_right_for_their_chain(seeded: Any) -> None:
    _, rows = seeded
    reg = registry()
    for row in rows:
        style = reg.chain(row["chain_id"]).address_style  # type: ignore[union-attr]
        assert is_valid_address(style, row["from_address"]), row
        assert is_valid_address(style, row["to_address"]), row
        txid = row["txid"]
        if style in ("evm", "ethereum_classic"):
            assert txid.startswith("0x") and len(txid) == 66
        elif style in ("tron", "bitcoin", "litecoin", "dogecoin", "bitcoincash", "ton"):
            assert len(txid) == 64 and txid == txid.lower()
        elif style == "xrp":
            assert len(txid) == 64 and txid == txid.upper()
    assert len({r["txid"] for r in rows}) == len(rows)


def test_block_heights_and_times(seeded: Any) -> None:
    box, rows = seeded
    times = [r["block_time"] for r in rows]
    assert times == sorted(times, reverse=True)  # newest first
    span_days = (max(times) - min(times)) / 86_400
    assert 150 < span_days <= 181  # spread over months
    assert max(times) <= box.clock()
    by_chain: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for r in rows:
        by_chain[r["chain_id"]].append((r["block_time"], int(r["block_height"])))
    for points in by_chain.values():
        points.sort()
        heights = [h for _, h in points]
        assert heights == sorted(heights)  # increasing with time on every chain


def test_cids_are_unique_snowflakes(seeded: Any) -> None:
    _, rows = seeded
    cids = [r["cid"] for r in rows]
    assert len(set(cids)) == len(cids)
    assert all(1.38e15 < c < 1.43e15 for c in cids)


def test_balances_are_consistent_with_the_transactions(seeded: Any) -> None:
    """Every sub-address balance equals its ledger (docs/sandbox.md, "Ledger")."""
    box, rows = seeded
    expected = ledger(rows)
    checked = 0
    for cur in ("195@195", "195@TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "60@60"):
        data = call(box, "sub_address_balance", {"currency": cur, "page_size": 100})["data"]
        assert data["total"] > 0
        for row in data["rows"]:
            total, available, processing = balance_entry(row)
            assert total == available + processing
            assert total >= 0 and available >= 0
            assert balance_entry(row) == expected[(row["address"], cur)], row
            checked += 1
    assert checked > 10


def test_payouts_and_withdrawals_in_every_status(seeded: Any) -> None:
    box, _ = seeded
    ex = box.examples()
    assert set(ex["payout_cid_by_status"]) == {0, 1, 2, 3, 4, 5, 6, 7}
    assert set(ex["withdrawal_cid_by_status"]) == {0, 1, 2, 4, 5, 6, 7}
    for status, cid in ex["payout_cid_by_status"].items():
        data = call(box, "payout_query", {"cid": cid})["data"]
        assert data["status"] == status
        assert bool(data["txid"]) == (status in (1, 6, 7))
        assert (data["block_time"] is not None) == (status in (6, 7))
    for status, cid in ex["withdrawal_cid_by_status"].items():
        assert call(box, "withdrawal_query", {"cid": cid})["data"]["status"] == status


def test_orders_in_every_status(seeded: Any) -> None:
    """Every documented status (SPEC 10.2); a refund is ``refund_data``, never a status."""
    box, _ = seeded
    orders = box.examples()["order_by_status"]
    assert set(orders.values()) <= set(box.order_ids())
    assert set(orders) >= {"new", "paid", "paid_partial", "paid_over", "expired"}
    for status, cregis_id in orders.items():
        data = call(box, "order_info", {"cregis_id": cregis_id})["data"]
        assert data["status"] == status
        assert data["payment_info"] and Decimal(data["payment_info"][0]["exchange_rate"]) > 0
        if status in ("paid", "paid_partial", "paid_over"):
            assert data["payment_detail"] and data["transact_time"]
        if status == "expired":
            assert data["cancel_time"] == data["created_time"] + data["valid_time"] * 60_000
    refunded = call(box, "order_info", {"cregis_id": box.examples()["refunded_order"]})["data"]
    assert refunded["status"] == "paid" and refunded["refund_requested"] == "yes"
    refund = refunded["refund_data"]
    assert refund["refund_status"] in (0, 1, 2) and refund["type"] in (1, 2)
    assert isinstance(refund["refund_created_time"], str)
    documented = {"new", "paid", "paid_partial", "paid_over", "expired", "canceled"}  # SPEC 10.2
    statuses = {
        call(box, "order_info", {"cregis_id": c})["data"]["status"] for c in box.order_ids()
    }
    assert "refunded" not in statuses and statuses <= documented
    settled = [
        call(box, "order_info", {"cregis_id": c})["data"]["settlement_status"]
        for c in box.order_ids()[:40]
    ]
    assert "settled" in settled


def test_more_projects_have_their_own_data() -> None:
    with Sandbox(seed=0, transactions=300, projects=2, clock=FakeClock()) as box:
        assert len(box.projects) == 3
        pages = {}
        for pid, project in box.projects.items():
            data = call(box, "trade_page", {"page_size": 100}, pid=pid, key=project.api_key)["data"]
            assert {r["pid"] for r in data["rows"]} == {pid}
            pages[pid] = data
        assert pages[box.pid]["total"] == 300
        others = [pid for pid in box.projects if pid != box.pid]
        assert all(pages[pid]["total"] == 30 for pid in others)
        addresses = [{r["to_address"] for r in pages[pid]["rows"]} for pid in box.projects]
        assert not addresses[0] & addresses[1] and not addresses[1] & addresses[2]
