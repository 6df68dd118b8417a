"""The sandbox for reconciliation: consistent without the knob, wrong on purpose with it.

The checks here are written again from docs/sandbox.md ("Ledger", "What the merchant holds",
"Discrepancies"), reading only what the public endpoints answer, the delivered callbacks and the
merchant's requests: a clean sandbox shows no problem, and ``discrepancies=N`` shows exactly the
problems ``box.injected()`` lists.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from conftest import call, raw_post
from ledger import balance_entry, ledger

from cregis_notebook import Client, verify_signature
from cregis_notebook.callbacks import detect_kind, parse_callback
from cregis_notebook.cli import build_parser
from cregis_notebook.cli.sandbox import sandbox_knobs
from cregis_notebook.errors import CregisConfigError
from cregis_notebook.sandbox import FakeClock, Sandbox, SandboxServer

DAY_MS = 86_400_000
NOW = 1_750_000_000.0
CHECKS = {
    ("deposits", "missing_callback"),
    ("deposits", "callback_unverified"),
    ("payouts", "amount_mismatch"),
    ("payouts", "stuck"),
    ("balances", "ledger_drift"),
    ("orders", "status_vs_paid"),
    ("payouts", "duplicate_third_party_id"),
}
QUERY = {"payouts": "payout_query", "withdrawals": "withdrawal_query"}
Finding = tuple[str, str, str]


def make(seed: int, discrepancies: int = 0, transactions: int = 2_000) -> Sandbox:
    return Sandbox(
        seed=seed,
        transactions=transactions,
        clock=FakeClock(NOW),
        discrepancies=discrepancies,
    )


Post = Callable[[str, dict[str, Any]], Any]


def in_process(box: Sandbox) -> Post:
    """Signed calls to ``box`` in-process: each returns the answer's ``data``."""

    def post(endpoint: str, params: dict[str, Any]) -> Any:
        envelope = call(box, endpoint, params)
        assert envelope["code"] == "00000", envelope
        return envelope["data"]

    return post


def every_row(post: Post, endpoint: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    page = 1
    while True:
        data = post(endpoint, {**params, "page_num": page, "page_size": 100})
        rows += data["rows"]
        if page * 100 >= int(data["total"]):
            return rows
        page += 1


class Merchant:
    """What a merchant can see: the public endpoints (``post``), its callbacks and requests."""

    def __init__(self, box: Sandbox, post: Post | None = None) -> None:
        self.target = post or in_process(box)
        self.key = box.api_key
        self.now_ms = int(box.clock() * 1000)
        self.subs = set(box.sub_addresses())
        self.callbacks = box.delivered_callbacks()
        self.requests = box.payout_requests()
        self.trades = every_row(self.target, "trade_page", {})
        self.by_txid = {r["txid"]: r for r in self.trades}
        coins = self.target("project_coins", {})["address_coins"]
        self.currencies = [f"{c['chain_id']}@{c['token_id']}" for c in coins]

    def query(self, endpoint: str, **params: Any) -> dict[str, Any]:
        data: dict[str, Any] = self.target(endpoint, params)
        return data

    def signed(self, body: dict[str, Any]) -> bool:
        return verify_signature(body, self.key)

    def findings(self) -> set[Finding]:
        return self.deposits() | self.transfers() | self.balances() | self.orders()

    def deposits(self) -> set[Finding]:
        found: set[Finding] = set()
        got: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for body in self.callbacks:
            if detect_kind(body) == "callback_address_deposit":
                got[body["txid"]].append(body)
        for row in self.trades:
            if row["business_type"] != "3" or row["status"] == 0:
                continue
            bodies, txid = got.pop(row["txid"], []), row["txid"]
            if not bodies:
                found.add(("deposits", txid, "missing_callback"))
                continue
            (body,) = bodies
            if not self.signed(body):
                found.add(("deposits", txid, "callback_unverified"))
            assert Decimal(body["amount"]) == Decimal(row["amount"])
            assert body["address"] == row["to_address"]
            assert int(body["status"]) == row["status"]
        assert not got, "a deposit callback without its deposit"
        return found

    def transfers(self) -> set[Finding]:
        found: set[Finding] = set()
        called: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for body in self.callbacks:
            if detect_kind(body) in ("callback_payout", "callback_sub_address_withdrawal"):
                called[int(body["cid"])].append(body)
        seen = Counter((r["kind"], r["third_party_id"]) for r in self.requests)
        for request in self.requests:
            kind, cid = request["kind"], request["cid"]
            if seen[(kind, request["third_party_id"])] > 1 and cid is not None:
                found.add((kind, str(cid), "duplicate_third_party_id"))
            if cid is None:
                continue
            record = self.query(QUERY[kind], cid=cid)
            status = record["status"]
            assert record["third_party_id"] == request["third_party_id"]
            address = record.get("address") or record["to_address"]  # payouts / withdrawals
            assert address == request["address"]
            assert Decimal(record["amount"]) == request["amount"]
            if status in (6, 7):
                row = self.by_txid[record["txid"]]  # every final transfer is on chain
                assert row["status"] == (1 if status == 6 else 2)
                assert row["to_address"] == address
                if Decimal(row["amount"]) != Decimal(record["amount"]):
                    found.add((kind, str(cid), "amount_mismatch"))
            if status in (2, 4, 6, 7):
                (body,) = called.pop(cid)
                assert int(body["status"]) == status and self.signed(body)
            if status in (0, 5) and self.now_ms - request["created"] > DAY_MS:
                found.add((kind, str(cid), "stuck"))
        assert not called, "a transfer callback without its request"
        return found

    def balances(self) -> set[Finding]:
        expected = {k: v for k, v in ledger(self.trades).items() if k[0] in self.subs}
        zero = (Decimal(0), Decimal(0), Decimal(0))
        found: set[Finding] = set()
        for cur in self.currencies:
            for row in every_row(self.target, "sub_address_balance", {"currency": cur}):
                key = (row["address"], cur)
                if balance_entry(row) != expected.pop(key, zero):
                    found.add(("balances", f"{row['address']}@{cur}", "ledger_drift"))
        for (address, cur), entry in expected.items():
            if entry != zero:  # a balance the sandbox does not list at all
                found.add(("balances", f"{address}@{cur}", "ledger_drift"))
        return found

    def orders(self) -> set[Finding]:
        found: set[Finding] = set()
        for body in self.callbacks:
            if detect_kind(body) != "callback_payment_order":
                continue
            assert self.signed(body)
            order = self.query("order_info_v2", cregis_id=body["data"]["cregis_id"])
            status = order["status"]
            if status not in ("paid", "paid_partial", "paid_over"):
                continue
            paid = sum(
                (Decimal(p["pay_amount"]) / Decimal(p["exchange_rate"]))
                for p in order["payment_detail"]
            )
            price = Decimal(order["order_amount"])  # seeded orders: no tolerances
            told = "paid_partial" if paid < price else "paid_over" if paid > price else "paid"
            if told != status:
                found.add(("orders", order["cregis_id"], "status_vs_paid"))
        return found


def truth(box: Sandbox) -> set[Finding]:
    return {(r["kind"], r["key"], r["check"]) for r in box.injected().to_dict("records")}


# -- a clean sandbox --------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 7, 4711])
def test_a_clean_sandbox_is_consistent(seed: int) -> None:
    """Balances equal their ledgers; every final deposit, payout and withdrawal has its on-chain
    row and its callback; every callback verifies; no payout is stuck; orders are what was paid."""
    with make(seed) as box:
        merchant = Merchant(box)
        assert merchant.findings() == set()
        assert all(merchant.signed(b) for b in merchant.callbacks)
        assert all(parse_callback(b, api_key=box.api_key).verified for b in merchant.callbacks)
        assert box.injected().empty
        assert list(box.injected().columns) == ["kind", "key", "check", "currency"]
        kinds = Counter(detect_kind(b) for b in merchant.callbacks)
        assert set(kinds) == {
            "callback_address_deposit",
            "callback_payout",
            "callback_sub_address_withdrawal",
            "callback_payment_order",
        }


def test_requests_list_every_payout_and_withdrawal_once() -> None:
    with make(3) as box:
        requests = box.payout_requests()
        assert Counter(r["kind"] for r in requests).keys() == {"payouts", "withdrawals"}
        cids = [r["cid"] for r in requests]
        assert None not in cids and len(set(cids)) == len(cids)
        assert len({r["third_party_id"] for r in requests}) == len(requests)
        rows = every_row(in_process(box), "trade_page", {})
        payouts = {r["cid"] for r in rows if r["trade_type"] == "2"}
        on_chain = {c for c in cids if c in payouts}
        assert len(on_chain) > 100  # the seeded payouts and withdrawals on chain
        assert all(isinstance(r["amount"], Decimal) for r in requests)
        assert [r["created"] for r in requests] == sorted(r["created"] for r in requests)


# -- the knob ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("seed", "count"), [(0, 1), (7, 3), (4711, 2)])
def test_each_injected_problem_and_nothing_else_shows(seed: int, count: int) -> None:
    with make(seed, count) as box:
        injected = box.injected()
        assert Counter(zip(injected["kind"], injected["check"], strict=True)) == {
            pair: count for pair in CHECKS
        }
        assert injected["key"].is_unique or injected.duplicated(["key", "check"]).sum() == 0
        assert Merchant(box).findings() == truth(box)


def test_the_knob_is_deterministic_per_seed() -> None:
    def snapshot(seed: int) -> Any:
        with make(seed, 2) as box:
            return (
                box.injected().to_dict("records"),
                box.delivered_callbacks(),
                box.payout_requests(),
            )

    assert snapshot(5) == snapshot(5)
    assert snapshot(5)[0] != snapshot(6)[0]


def test_the_knob_changes_nothing_else() -> None:
    with make(9) as clean, make(9, 2) as planted:
        problems = truth(planted)
        rows = every_row(in_process(clean), "trade_page", {})
        assert every_row(in_process(planted), "trade_page", {}) == rows  # the chain is the same
        dropped = {k for kind, k, check in problems if check == "missing_callback"}
        kept = [b for b in clean.delivered_callbacks() if b.get("txid") not in dropped]
        assert len(planted.delivered_callbacks()) == len(kept)


@pytest.fixture(scope="module")
def planted() -> Iterator[tuple[Sandbox, Merchant, dict[str, list[tuple[str, str]]]]]:
    with make(21, 2) as box:
        by_check: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for row in box.injected().to_dict("records"):
            by_check[row["check"]].append((row["key"], row["currency"]))
        yield box, Merchant(box), by_check


def test_a_dropped_callback_is_a_deposit_without_its_callback(planted: Any) -> None:
    _, merchant, by_check = planted
    for txid, currency in by_check["missing_callback"]:
        (row,) = [r for r in merchant.trades if r["txid"] == txid]
        assert row["business_type"] == "3" and row["status"] == 1
        assert f"{row['chain_id']}@{row['token_id']}" == currency
        assert not [b for b in merchant.callbacks if b.get("txid") == txid]


def test_a_badly_signed_callback_fails_verification(planted: Any) -> None:
    box, merchant, by_check = planted
    for txid, _ in by_check["callback_unverified"]:
        (body,) = [b for b in merchant.callbacks if b.get("txid") == txid]
        assert not verify_signature(body, box.api_key)
        assert parse_callback(body, api_key=box.api_key).verified is False
    bad = [b for b in merchant.callbacks if not verify_signature(b, box.api_key)]
    assert len(bad) == len(by_check["callback_unverified"])


def test_an_amount_mismatch_is_between_cregis_and_the_chain(planted: Any) -> None:
    _, merchant, by_check = planted
    for cid, _ in by_check["amount_mismatch"]:
        record = merchant.query("payout_query", cid=int(cid))
        row = merchant.by_txid[record["txid"]]
        assert record["status"] == 6 and row["cid"] == int(cid)
        assert Decimal(record["amount"]) > Decimal(row["amount"])
        (request,) = [r for r in merchant.requests if r["cid"] == int(cid)]
        assert request["amount"] == Decimal(record["amount"])  # asked = what Cregis says
        (body,) = [b for b in merchant.callbacks if b.get("cid") == int(cid)]
        assert Decimal(body["amount"]) == Decimal(record["amount"])


def test_a_stuck_payout_waits_for_approval_for_over_a_day(planted: Any) -> None:
    box, merchant, by_check = planted
    for cid, _ in by_check["stuck"]:
        record = merchant.query("payout_query", cid=int(cid))
        assert record["status"] == 0 and record["txid"] == ""
        (request,) = [r for r in merchant.requests if r["cid"] == int(cid)]
        assert box.clock() * 1000 - request["created"] > DAY_MS
        assert not [b for b in merchant.callbacks if b.get("cid") == int(cid)]


def test_a_drifted_balance_differs_from_its_ledger(planted: Any) -> None:
    _, merchant, by_check = planted
    expected = ledger(merchant.trades)
    for key, currency in by_check["ledger_drift"]:
        address, cur = key.removesuffix(f"@{currency}"), currency
        assert key == f"{address}@{cur}" and address in merchant.subs
        data = merchant.query("sub_address_balance", currency=cur, address=address)
        total, available, _ = balance_entry(data["rows"][0])
        assert total > expected[(address, cur)][0] and available > expected[(address, cur)][1]


def test_an_underpaid_order_is_reported_paid(planted: Any) -> None:
    _, merchant, by_check = planted
    for cregis_id, currency in by_check["status_vs_paid"]:
        order = merchant.query("order_info_v2", cregis_id=cregis_id)
        assert order["status"] == "paid" and order["order_currency"] == currency
        (payment,) = order["payment_detail"]
        assert Decimal(payment["pay_amount"]) < Decimal(payment["receive_amount"])
        events = [
            b["event_type"]
            for b in merchant.callbacks
            if b.get("data", {}).get("cregis_id") == cregis_id
        ]
        assert events == ["paid"]


def test_a_duplicate_request_repeats_a_third_party_id(planted: Any) -> None:
    _, merchant, by_check = planted
    for cid, _ in by_check["duplicate_third_party_id"]:
        (first,) = [r for r in merchant.requests if r["cid"] == int(cid)]
        twins = [r for r in merchant.requests if r["third_party_id"] == first["third_party_id"]]
        assert len(twins) == 2 and twins[1]["cid"] is None
        assert {k: v for k, v in twins[1].items() if k not in ("cid", "created")} == {
            k: v for k, v in first.items() if k not in ("cid", "created")
        }


def test_the_problems_show_over_http_too() -> None:
    with (
        make(33, 1, transactions=600) as box,
        SandboxServer(box, port=0) as server,
        Client(server.base_url, server.pid, server.api_key, clock=box.clock) as client,
    ):
        merchant = Merchant(box, lambda endpoint, params: client.request(endpoint, **params).data)
        assert merchant.findings() == truth(box)
        (stuck,) = box.injected().query("check == 'stuck'")["key"]
        assert merchant.query("payout_query", cid=int(stuck))["status"] == 0
        # the merchant's side is served too
        for name, local in (
            ("delivered_callbacks", box.delivered_callbacks()),
            ("payout_requests", [{**r, "amount": str(r["amount"])} for r in box.payout_requests()]),
            ("injected", box.injected().to_dict("records")),
        ):
            status, envelope = raw_post(server.base_url, f"/_sandbox/{name}", b"", method="GET")
            assert status == 200 and envelope["data"] == local, name


def test_the_knob_is_checked() -> None:
    for bad in (-1, 1.5, True, 1_001):
        with pytest.raises(CregisConfigError, match="discrepancies"):
            Sandbox(discrepancies=bad, transactions=10, clock=FakeClock(NOW))
    with pytest.raises(CregisConfigError, match=r"discrepancies=400 needs .* more transactions"):
        make(0, 400, transactions=600)


def test_client_sandbox_takes_the_knob() -> None:
    with Client.sandbox(seed=2, transactions=1_000, clock=FakeClock(NOW), discrepancies=1) as c:
        box = c.sandbox_app
        assert len(box.injected()) == len(CHECKS)


# -- the live engine keeps the rule -------------------------------------------------------------


def test_a_token_withdrawal_through_the_api_keeps_balances_on_their_ledger() -> None:
    """The chain charges a token spend's fee in the native coin: the wallet's gas top-up row
    pays it, so the native balance is unchanged and still equals its ledger."""
    clock = FakeClock(NOW)
    with Sandbox(seed=1, transactions=2_000, clock=clock) as box:
        usdt = "195@TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
        funded = every_row(in_process(box), "sub_address_balance", {"currency": usdt})
        source = max(funded, key=lambda r: Decimal(r["available"]))
        cid = call(
            box,
            "withdrawal",
            {
                "currency": usdt,
                "from_address": source["address"],
                "to_address": "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS",
                "amount": "1",
                "third_party_id": "token-w-1",
            },
        )["data"]["cid"]
        clock.advance(60)
        box.deliver_callbacks()
        assert call(box, "withdrawal_query", {"cid": cid})["data"]["status"] == 6
        merchant = Merchant(box)
        assert merchant.balances() == set()
        gas = [
            r
            for r in merchant.trades
            if r["business_type"] == "4" and r["to_address"] == source["address"]
        ]
        assert gas and gas[0]["chain_id"] == "195" and gas[0]["token_id"] == "195"


def test_the_cli_passes_the_knob() -> None:
    args = build_parser().parse_args(["sandbox", "--discrepancies", "2", "--transactions", "900"])
    assert sandbox_knobs(args) == {"discrepancies": 2, "transactions": 900}


@pytest.mark.parametrize("final", [1, 2])
def test_a_pending_spend_settles_by_the_ledger_rule(final: int) -> None:
    """``Ledger.settle_balances``: once a pending sweep or withdrawal (native or token) is final,
    its sub-address balances equal the ledger of the rows with that final status."""
    with make(4711, transactions=6_000) as box:
        post = in_process(box)
        subs = set(box.sub_addresses())
        rows = every_row(post, "trade_page", {})
        pending = [r for r in rows if r["status"] == 0 and r["from_address"] in subs]
        tokens = {r["token_id"] != r["chain_id"] for r in pending}
        assert len(pending) > 4 and tokens == {True, False}  # native and token spends
        for r in pending:
            row = box.project.trades.row_of_cid(r["cid"])
            assert row is not None
            box.engine.ledger.settle_balances(box.project, row, final)
            r["status"] = final
        expected = ledger(rows)
        touched = {
            (r["from_address"], f"{r['chain_id']}@{t}")
            for r in pending
            for t in (r["token_id"], r["chain_id"])
        }
        for address, cur in touched:
            data = post("sub_address_balance", {"currency": cur, "address": address})
            assert balance_entry(data["rows"][0]) == expected[(address, cur)], (address, cur)


def test_a_payout_made_through_the_api_joins_the_merchants_side() -> None:
    """Its request is listed with its cid, and its callback, once acknowledged, is delivered."""
    clock = FakeClock(NOW)
    transport = httpx.MockTransport(lambda request: httpx.Response(200, text="success"))
    with Sandbox(seed=2, transactions=1_000, clock=clock, callback_transport=transport) as box:
        before = len(box.delivered_callbacks())
        cid = call(
            box,
            "payout_v1",
            {
                "currency": "195@195",
                "address": "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS",
                "amount": "1.1",
                "third_party_id": "api-payout-1",
                "callback_url": "http://merchant.test/payout",
            },
        )["data"]["cid"]
        (request,) = [r for r in box.payout_requests() if r["cid"] == cid]
        assert request["third_party_id"] == "api-payout-1" and request["amount"] == Decimal("1.1")
        assert request["kind"] == "payouts" and request["created"] == int(NOW * 1000)
        clock.advance(60)
        box.deliver_callbacks()
        bodies = box.delivered_callbacks()
        assert len(bodies) == before + 1 and bodies[-1]["cid"] == cid
        assert bodies[-1]["status"] == 6 and verify_signature(bodies[-1], box.api_key)
        assert Merchant(box).transfers() == set()


# -- live mode --------------------------------------------------------------------------------

LIVE_STEPS = (0.25, 3.3, 61.7, 600.2, 1_800.9)
"""Clock steps of a live-mode run: rows arrive in between, some pending; most of those settle."""


def run_live(box: Sandbox, clock: FakeClock) -> None:
    for step in LIVE_STEPS:
        clock.advance(step)
        box.deliver_callbacks()


def live_rows(box: Sandbox) -> list[dict[str, Any]]:
    rows = box.project.live.rows()
    assert len(rows) > 1_000
    cids = set(box.project.trades.cols["cid"][rows].tolist())
    return [r for r in every_row(in_process(box), "trade_page", {}) if r["cid"] in cids]


def test_live_rows_call_back_like_the_seeded_history() -> None:
    """Rows of live mode have their callbacks (a deposit at its block time, or when it settles
    if it arrived pending), payouts their requests, and the merchant's side stays consistent."""
    clock = FakeClock(NOW + 0.5)
    with Sandbox(seed=7, transactions=2_000, clock=clock, live_rate=0.8) as box:
        run_live(box, clock)
        merchant = Merchant(box)
        assert merchant.findings() == set()
        rows = live_rows(box)
        settle_at = {
            box.project.trades.value("cid", row): at
            for row, at in box.project.live.settle_at.items()
        }
        by_cid = {int(b["cid"]): b for b in merchant.callbacks if "cid" in b}
        final = [r for r in rows if r["status"] != 0 and r["business_type"] in ("0", "3")]
        called = [r for r in final if r["business_type"] == "3" or r["trade_type"] == "2"]
        assert {"0", "3"} == {r["business_type"] for r in called}  # deposits and payouts
        assert any(r["cid"] in settle_at for r in called)  # and some that settled
        for row in called:
            body = by_cid[row["cid"]]
            when = settle_at.get(row["cid"])
            assert int(body["block_time"]) // 1000 == row["block_time"]  # seconds on the page
            at = int(body["block_time"]) if when is None else int(when * 1000)
            assert body["timestamp"] == at
            assert merchant.signed(body)
        payouts = {r["cid"] for r in called if r["business_type"] == "0"}
        assert payouts <= {r["cid"] for r in merchant.requests}
        assert not box.callback_log  # made up for the merchant, as for the seeded history


def test_live_rows_are_never_the_planted_problems() -> None:
    """The knob plants its problems in the seeded history only: with live mode running, exactly
    the planted problems show."""
    clock = FakeClock(NOW + 0.5)
    with Sandbox(seed=0, clock=clock, live_rate=0.8, discrepancies=2) as box:
        run_live(box, clock)
        merchant = Merchant(box)
        assert merchant.findings() == truth(box)
        live = {str(r["cid"]) for r in live_rows(box)} | {r["txid"] for r in live_rows(box)}
        assert not live & set(box.injected()["key"])
