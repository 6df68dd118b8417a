"""Pending rows settle at seeded times after their block time, judged against the clock."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np
from test_sandbox_lifecycle import Inbox, funded_address, make

from cregis_notebook import Client
from cregis_notebook.sandbox import FakeClock, Sandbox
from cregis_notebook.sandbox.engine.pending import SETTLE_MAX, SETTLE_MIN, SettlePlan
from cregis_notebook.sandbox.engine.settle import Settlements

SEED, COUNT = 4711, 20_000


def pending_rows(client: Client, **filters: Any) -> dict[int, dict[str, Any]]:
    """Every ``trade_page`` row with status 0, by cid (through the API)."""
    found: dict[int, dict[str, Any]] = {}
    page = 1
    while True:
        data = client.trade_page(status=0, page_size=100, page_num=page, **filters)
        found.update((row["cid"], row) for row in data["rows"])
        if len(data["rows"]) < 100:
            return found
        page += 1


def built(seed: int = SEED, count: int = COUNT, **knobs: Any) -> tuple[Sandbox, FakeClock]:
    clock = FakeClock()
    return Sandbox(seed=seed, transactions=count, clock=clock, **knobs), clock


def test_only_recent_rows_are_pending_and_each_settles() -> None:
    box, clock = built()
    client = box.client()
    pending = pending_rows(client)
    assert 100 < len(pending) < 800  # about 1.8% of the history, all of it recent
    now = clock()
    assert all(now - row["block_time"] < SETTLE_MAX for row in pending.values())
    plan = box.engine.settlements.upcoming(box.project)
    cids = {box.project.trades.value("cid", row) for _, row, _ in plan}
    assert cids == set(pending)
    for at, row, _ in plan:
        block_time = box.project.trades.value("bt", row)
        assert now < at <= block_time + SETTLE_MAX and at - block_time >= SETTLE_MIN
    clock.advance(SETTLE_MAX)
    assert pending_rows(client) == {}


def test_a_history_that_ended_long_ago_has_nothing_pending() -> None:
    clock = FakeClock()
    box = Sandbox(seed=SEED, transactions=5_000, clock=clock, history_end=clock() - 180 * 86_400)
    assert pending_rows(box.client()) == {}


def test_advancing_the_clock_settles_exactly_the_rows_due() -> None:
    box, clock = built()
    client = box.client()
    plan = box.engine.settlements.upcoming(box.project)
    cid_of = {row: box.project.trades.value("cid", row) for _, row, _ in plan}
    final = {cid_of[row]: status for _, row, status in plan}
    assert set(final.values()) == {1, 2}  # success, and sometimes failed
    start = clock()
    for minutes in (1, 5, 20, 60, 180, 360):
        clock.set(start + minutes * 60)
        due = {cid_of[row] for at, row, _ in plan if at <= clock()}
        still = pending_rows(client)
        assert set(still) == set(cid_of.values()) - due
        settled = client.trade_page(page_size=100, blocktime_start=int(start) - SETTLE_MAX)
        for row in settled["rows"]:
            if row["cid"] in due:
                assert row["status"] == final[row["cid"]]  # the page shows the final status


def test_repeated_reads_and_every_endpoint_agree() -> None:
    box, clock = built()
    client = box.client()
    tr, plan = box.project.trades, box.project.seeded.pending
    touched = [
        (tr.value(side, int(r)), tr.value("cur", int(r)))
        for r in plan.rows
        for side in ("frm", "to")
    ]
    pick = next(  # a sweep or withdrawal in progress, alone in moving its address's balance
        i
        for i in np.flatnonzero(plan.lock > 0).tolist()
        if touched.count((tr.value("frm", int(plan.rows[i])), tr.value("cur", int(plan.rows[i]))))
        == 1
    )
    row, at = int(plan.rows[pick]), int(plan.at[pick])
    final, lock, refund = (int(plan.status[pick]), int(plan.lock[pick]), int(plan.refund[pick]))
    cid = tr.value("cid", row)
    before = client.trade_page(cid=cid)["rows"][0]
    assert before["status"] == 0 and client.trade_page(cid=cid)["rows"][0] == before
    assert client.trade_page(tx_id=before["txid"])["rows"][0] == before
    currency = f"{before['chain_id']}@{before['token_id']}"

    def balance() -> tuple[Decimal, Decimal]:
        got = client.sub_address_balance(currency=currency, address=before["from_address"])
        record = got["rows"][0]
        return Decimal(record["available"]), Decimal(record["processing"])

    available, processing = balance()
    held = Decimal(lock).scaleb(-box.cat.scale[tr.value("cur", row)])
    assert processing >= held
    clock.set(at - 1)
    assert client.trade_page(cid=cid)["rows"][0] == before and balance() == (available, processing)
    clock.set(at)
    after = client.trade_page(cid=cid)["rows"][0]
    assert after == {**before, "status": final}
    assert client.trade_page(tx_id=before["txid"])["rows"][0] == after
    assert client.trade_page(cid=cid, status=final)["rows"] == [after]
    assert client.trade_page(cid=cid, status=0)["rows"] == []
    scale = -box.cat.scale[tr.value("cur", row)]
    returned = Decimal(refund).scaleb(scale) if final == 2 else Decimal(0)
    assert balance() == (available + returned, processing - held)


def test_a_pending_payout_row_queried_by_id_follows_its_row() -> None:
    box, clock = built()
    client = box.client()
    tr = box.project.trades
    payouts = [
        (at, row, status)
        for at, row, status in box.engine.settlements.upcoming(box.project)
        if tr.record(row)["trade_type"] == "2"
        and tr.record(row)["business_type"] == "0"
        and tr.record(row)["from_address"] in box.examples()["wallet_addresses"].values()
    ]
    at, row, final = payouts[0]
    cid = tr.value("cid", row)
    assert client.payout_query(cid=cid)["status"] == 1  # on its way
    clock.set(at)
    assert client.payout_query(cid=cid)["status"] == {1: 6, 2: 7}[final]
    assert client.trade_page(cid=cid)["rows"][0]["status"] == final


def test_the_same_seed_gives_the_same_history_and_schedule() -> None:
    (one, clock_one), (two, clock_two) = built(), built()
    assert one.engine.settlements.upcoming(one.project) == two.engine.settlements.upcoming(
        two.project
    )
    for clock in (clock_one, clock_two):
        clock.advance(1800)
    pages = [box.client().trade_page(page_size=100) for box in (one, two)]
    assert pages[0] == pages[1]
    other, _ = built(seed=SEED + 1)
    assert other.engine.settlements.upcoming(other.project) != one.engine.settlements.upcoming(
        one.project
    )


def test_stuck_pending_keeps_a_few_old_incoming_transfers_pending() -> None:
    box, clock = built(stuck_pending=5)
    clock.advance(SETTLE_MAX)
    stuck = pending_rows(box.client())
    assert len(stuck) == 5
    for row in stuck.values():
        assert clock() - row["block_time"] > 2 * SETTLE_MAX
        assert (row["trade_type"], row["business_type"]) == ("1", "0")  # into the wallet
    plain, _ = built()
    plain_rows = plain.client().trade_page(page_size=100, status=1)["rows"]
    assert {r["cid"] for r in plain_rows}.isdisjoint(stuck)  # only the status differs


def test_a_pending_deposit_settles_with_its_callback_and_credit() -> None:
    inbox = Inbox()
    box, clock = make(inbox)
    address = funded_address(box, "10", callback="http://merchant.test/deposit")
    box.deliver_callbacks()
    assert len(inbox.bodies) == 1
    row = box.simulate_deposit(address, "195@195", "2.5", status=0)
    box.deliver_callbacks()
    assert len(inbox.bodies) == 1  # nothing while it is pending
    client = box.client()
    balance = client.sub_address_balance(currency="195@195", address=address)["rows"][0]
    assert Decimal(balance["available"]) == Decimal("10")
    (at, _, final), *_ = [
        item
        for item in box.engine.settlements.upcoming(box.project)
        if box.project.trades.value("cid", item[1]) == row["cid"]
    ]
    assert at - row["block_time"] >= SETTLE_MIN
    clock.set(at)
    box.deliver_callbacks()
    assert len(inbox.bodies) == 2
    body = inbox.bodies[1]
    assert body["cid"] == row["cid"] and body["status"] == str(final)
    balance = client.sub_address_balance(currency="195@195", address=address)["rows"][0]
    assert Decimal(balance["available"]) == Decimal("12.5" if final == 1 else "10")
    assert client.trade_page(cid=row["cid"])["rows"][0]["status"] == final
    box.close()


def test_live_rows_arrive_pending_and_settle() -> None:
    box, clock = built(count=2_000, live_rate=2.0)
    client = box.client()
    clock.advance(600)
    start = clock()
    fresh = pending_rows(client, blocktime_start=int(start) - 600)
    assert len(fresh) >= 10  # about 1 in 20 of 1,200 new rows
    clock.advance(SETTLE_MAX)
    still = pending_rows(client, blocktime_start=int(start) - 600, blocktime_end=int(start))
    assert still == {}
    late = pending_rows(client)
    assert all(clock() - row["block_time"] < SETTLE_MAX for row in late.values())


def test_a_settling_spend_releases_what_its_plan_says_it_held() -> None:
    # the plan's lock, refund and gas agree with the ledger rule that settling applies
    box, clock = built()
    p, tr, cat = box.project, box.project.trades, box.cat
    plan = p.seeded.pending
    i = next(  # a token sweep or withdrawal in progress
        i
        for i in np.flatnonzero(plan.lock > 0).tolist()
        if not cat.currencies[tr.value("cur", int(plan.rows[i]))].native
    )
    row = int(plan.rows[i])
    lock, refund, gas = int(plan.lock[i]), int(plan.refund[i]), int(plan.gas[i])
    assert lock == tr.value("amount", row) and refund == lock and gas > 0
    sender, cur = tr.value("frm", row), tr.value("cur", row)
    native = cat.native[int(cat.cur_chain[cur])]
    coin, fuel = list(p.balance(sender, cur)), list(p.balance(sender, native))
    own = Settlements(box.engine.scheduler, box.engine.deposits, seed=0)
    one = np.array([row])
    at = np.array([int(clock()) + 1])  # before any seeded row is due
    held = {"lock": plan.lock[i : i + 1], "refund": plan.refund[i : i + 1]}
    own.add(p, SettlePlan(rows=one, at=at, status=np.array([2]), gas=plan.gas[i : i + 1], **held))
    clock.set(float(at[0]))
    assert box.client().trade_page(cid=tr.value("cid", row))["rows"][0]["status"] == 2
    assert p.balance(sender, cur) == [coin[0] + refund, coin[1] - lock]
    assert p.balance(sender, native) == [fuel[0], fuel[1] - gas]


def test_no_seeded_row_is_ahead_of_the_clock() -> None:
    # a row's milliseconds within its second never put it after "now": a history dense enough
    # to reach the end ends in the last whole second before the clock (block_time is in
    # seconds), so a window pinned at now holds every row, whatever the clock's fraction
    for start in (1_780_000_000.0, 1_780_000_000.5):
        box = Sandbox(seed=2, transactions=20_000, history_days=1, clock=FakeClock(start))
        (newest,) = box.client().trade_page(page_size=1)["rows"]  # newest first
        assert int(newest["block_time"]) == int(start) - 1
