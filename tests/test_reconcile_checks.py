"""Every reconciliation check on hand-built frames: one clean case, then one test per check
that breaks exactly one fact and expects exactly that check (and nothing without it)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest

from cregis_notebook import reconcile
from cregis_notebook._signing import sign

KEY = "f502a9ac9ca54327986f29c03b271491"
NOW = pd.Timestamp("2026-06-01 12:00", tz="UTC")
COIN = {"chain_id": "195", "token_id": "195"}
SHOP = "TShopAddressxxxxxxxxxxxxxxxxxxxxx1"
PAYEE = "TPayeeAddressxxxxxxxxxxxxxxxxxxxx2"
PAYER = "TPayerAddressxxxxxxxxxxxxxxxxxxxx3"


def trade(
    txid: str,
    amount: str,
    *,
    to: str,
    frm: str,
    status: int = 1,
    fee: str = "0",
    trade_type: int = 2,
    business_type: int = 0,
    at: str = "2026-06-01 10:00",
    cid: int = 1,
) -> dict[str, Any]:
    return {
        "pid": 1,
        "cid": cid,
        **COIN,
        "currency": "TRX",
        "to_address": to,
        "from_address": frm,
        "amount": Decimal(amount),
        "fee": Decimal(fee),
        "status": status,
        "txid": txid,
        "trade_type": trade_type,
        "business_type": business_type,
        "block_time": pd.Timestamp(at, tz="UTC"),
    }


def frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    out = pd.DataFrame(rows)
    for column in ("amount", "fee"):
        if column in out.columns:
            out[column] = out[column].astype(object)
    return out


def payout(
    cid: int = 11,
    *,
    status: int = 6,
    amount: str = "5",
    address: str = PAYEE,
    txid: str = "tx-out",
    tpid: str = "t-1",
) -> dict[str, Any]:
    return {
        "cid": cid,
        **COIN,
        "currency": "TRX",
        "address": address,
        "amount": Decimal(amount),
        "status": status,
        "third_party_id": tpid,
        "txid": txid,
        "code": "00000",
        "msg": "ok",
    }


def body(fields: dict[str, Any], *, good: bool = True) -> dict[str, Any]:
    out = {"pid": 1, "nonce": "abcdef", "timestamp": 1717236000000, **fields}
    out["sign"] = sign(out, KEY) if good else "0" * 32
    return out


def payout_callback(
    cid: int = 11, *, status: int = 6, amount: str = "5", good: bool = True, address: str = PAYEE
) -> dict[str, Any]:
    return body(
        {
            "cid": cid,
            **COIN,
            "currency": "TRX",
            "address": address,
            "amount": amount,
            "third_party_id": "t-1",
            "remark": "",
            "status": status,
            "txid": "tx-out",
            "block_height": "1",
            "block_time": 1717236000000,
            "memo": "",
        },
        good=good,
    )


def request(
    tpid: str = "t-1", amount: str = "5", address: str = PAYEE, **extra: Any
) -> dict[str, Any]:
    return {"third_party_id": tpid, "amount": amount, "address": address, **extra}


def check_payouts(
    payouts: list[dict[str, Any]],
    trades: list[dict[str, Any]],
    callbacks: list[dict[str, Any]] | None = None,
    requests: list[dict[str, Any]] | None = None,
) -> pd.DataFrame:
    return reconcile.payouts(
        frame(payouts),
        frame(trades),
        callbacks,
        pd.DataFrame(requests or [request()]),
        now=NOW,
        api_key=KEY,
    )


OUT = trade("tx-out", "5", to=PAYEE, frm=SHOP)


def found(result: pd.DataFrame) -> dict[str, list[str]]:
    return {str(k): list(f) for k, f in zip(result["key"], result["findings"], strict=True) if f}


# -- payouts and withdrawals ----------------------------------------------------------------------


def test_a_consistent_payout_has_no_finding() -> None:
    result = check_payouts([payout()], [OUT], [payout_callback()])
    assert found(result) == {}
    assert result["ok"].tolist() == [True]
    assert result["amount_at_stake"].tolist() == [Decimal(0)]


def test_amount_mismatch_between_payout_and_chain() -> None:
    result = check_payouts([payout()], [trade("tx-out", "4.9", to=PAYEE, frm=SHOP)])
    assert found(result) == {"11": ["amount_mismatch"]}
    assert result["amount_at_stake"].tolist() == [Decimal("0.1")]


def test_amount_mismatch_against_the_request() -> None:
    result = check_payouts([payout()], [OUT], requests=[request(amount="5.5")])
    assert found(result) == {"11": ["amount_mismatch"]}


def test_address_mismatch() -> None:
    result = check_payouts([payout()], [OUT], requests=[request(address="TElsewhere")])
    assert found(result) == {"11": ["address_mismatch"]}


def test_missing_onchain() -> None:
    result = check_payouts([payout()], [])
    assert found(result) == {"11": ["missing_onchain"]}
    assert result["amount_at_stake"].tolist() == [Decimal(5)]


def test_onchain_failed() -> None:
    result = check_payouts([payout()], [trade("tx-out", "5", to=PAYEE, frm=SHOP, status=2)])
    assert found(result) == {"11": ["onchain_failed"]}


def test_callback_status_mismatch() -> None:
    result = check_payouts([payout()], [OUT], [payout_callback(status=7)])
    assert found(result) == {"11": ["callback_status_mismatch"]}


def test_the_latest_callback_counts() -> None:
    early = payout_callback(status=7)
    late = body(
        {
            **{k: v for k, v in payout_callback().items() if k not in ("sign", "timestamp")},
            "timestamp": 1717236999999,
        }
    )
    assert found(check_payouts([payout()], [OUT], [late, early])) == {}


def test_callback_unverified() -> None:
    result = check_payouts([payout()], [OUT], [payout_callback(good=False, status=7, amount="9")])
    assert found(result) == {"11": ["callback_unverified"]}  # its content is not believed


def test_stuck() -> None:
    asked = [request(requested_at="2026-05-30 12:00")]
    result = check_payouts([payout(status=0, txid="")], [], requests=asked)
    assert found(result) == {"11": ["stuck"]}
    epoch_ms = int(pd.Timestamp("2026-05-30", tz="UTC").timestamp() * 1000)
    for created in (epoch_ms, np.int64(epoch_ms), str(epoch_ms), epoch_ms // 1000):
        asked = [request(created=created)]
        assert found(check_payouts([payout(status=0, txid="")], [], requests=asked)) == {
            "11": ["stuck"]
        }
    fresh = [request(requested_at="2026-06-01 11:00")]
    assert found(check_payouts([payout(status=5, txid="")], [], requests=fresh)) == {}


def test_duplicate_third_party_id_in_the_requests() -> None:
    result = check_payouts([payout()], [OUT], requests=[request(), request()])
    assert found(result) == {"11": ["duplicate_third_party_id"]}


def test_unknown_request() -> None:
    result = check_payouts([payout()], [OUT], requests=[request(), request("t-2", "7")])
    assert found(result) == {"t-2": ["unknown_request"]}
    assert result.set_index("key").loc["t-2", "amount_at_stake"] == Decimal(7)


def test_requests_from_a_csv_keep_every_digit(tmp_path: Any) -> None:
    path = tmp_path / "requests.csv"
    pd.DataFrame([request(amount="5.000000000000000001")]).to_csv(path, index=False)
    result = reconcile.payouts(frame([payout()]), frame([OUT]), None, str(path), now=NOW)
    assert found(result) == {"11": ["amount_mismatch"]}
    assert result["amount_at_stake"].tolist() == [Decimal("0.000000000000000001")]


def test_withdrawals_use_to_address_and_their_own_callbacks() -> None:
    row = payout()
    row["to_address"] = row.pop("address")
    row["from_address"] = SHOP
    cb = payout_callback(status=7)
    cb["to_address"] = cb.pop("address")
    cb["from_address"] = SHOP
    cb["sign"] = sign({k: v for k, v in cb.items() if k != "sign"}, KEY)
    result = reconcile.withdrawals(
        frame([row]), frame([OUT]), [cb], pd.DataFrame([request()]), now=NOW, api_key=KEY
    )
    assert found(result) == {"11": ["callback_status_mismatch"]}
    # a payout callback says nothing about a withdrawal
    assert (
        found(
            reconcile.withdrawals(
                frame([row]), frame([OUT]), [payout_callback(status=7)], now=NOW, api_key=KEY
            )
        )
        == {}
    )


# -- deposits -------------------------------------------------------------------------------------


DEP = trade("tx-in", "3", to=SHOP, frm=PAYER, trade_type=1, business_type=3)


def deposit_callback(
    *,
    txid: str = "tx-in",
    amount: str = "3",
    status: str = "1",
    address: str = SHOP,
    good: bool = True,
) -> dict[str, Any]:
    return body(
        {
            "cid": 5,
            **COIN,
            "currency": "TRX",
            "address": address,
            "amount": amount,
            "status": status,
            "txid": txid,
            "block_height": "1",
            "block_time": "1717236000000",
            "memo": "",
        },
        good=good,
    )


def check_deposits(trades: list[dict[str, Any]], callbacks: list[dict[str, Any]]) -> pd.DataFrame:
    return reconcile.deposits(frame(trades), callbacks, now=NOW, api_key=KEY)


def test_a_deposit_with_its_callback_has_no_finding() -> None:
    assert found(check_deposits([DEP, OUT], [deposit_callback()])) == {}


def test_missing_callback() -> None:
    assert found(check_deposits([DEP], [])) == {"tx-in": ["missing_callback"]}


def test_orphan_callback() -> None:
    result = check_deposits([DEP], [deposit_callback(), deposit_callback(txid="tx-nowhere")])
    assert found(result) == {"tx-nowhere": ["orphan_callback"]}


def test_deposit_amount_and_address_mismatch() -> None:
    assert found(check_deposits([DEP], [deposit_callback(amount="30")])) == {
        "tx-in": ["amount_mismatch"]
    }
    assert found(check_deposits([DEP], [deposit_callback(address=PAYER)])) == {
        "tx-in": ["address_mismatch"]
    }


def test_status_mismatch() -> None:
    assert found(check_deposits([DEP], [deposit_callback(status="2")])) == {
        "tx-in": ["status_mismatch"]
    }


def test_deposit_callback_unverified() -> None:
    result = check_deposits([DEP], [deposit_callback(good=False)])
    assert found(result) == {"tx-in": ["callback_unverified"]}


def test_stale_pending() -> None:
    old = trade(
        "tx-in",
        "3",
        to=SHOP,
        frm=PAYER,
        trade_type=1,
        business_type=3,
        status=0,
        at="2026-05-30 00:00",
    )
    assert found(check_deposits([old], [])) == {"tx-in": ["stale_pending"]}
    young = {**old, "block_time": NOW - pd.Timedelta("1h")}
    assert found(check_deposits([young], [])) == {}


def test_callbacks_without_a_key_are_refused_as_a_frame_without_verified() -> None:
    with pytest.raises(ValueError, match="verified"):
        reconcile.deposits(frame([DEP]), pd.DataFrame({"kind": ["address_deposit"]}), now=NOW)


# -- balances -------------------------------------------------------------------------------------


def snapshot(total: str, available: str, processing: str, address: str = SHOP) -> dict[str, Any]:
    return {
        "address": address,
        "currency": "195@195",
        "total": total,
        "available": available,
        "processing": processing,
    }


LEDGER = [
    trade("a", "10", to=SHOP, frm=PAYER, trade_type=1, business_type=3),
    trade("b", "4", to=PAYEE, frm=SHOP, fee="0.5"),  # out: amount and fee
    trade("c", "1", to=PAYEE, frm=SHOP, status=0, fee="0.1"),  # pending: both held
    trade("d", "2", to=PAYEE, frm=SHOP, status=2, fee="0.25"),  # failed: the fee is spent
    trade("e", "100", to=SHOP, frm=PAYER, trade_type=1, business_type=3, status=2),
]


def test_ledger_rule() -> None:
    book = reconcile.ledger(frame(LEDGER)).set_index("address")
    assert book.loc[SHOP, ["total", "available", "processing"]].tolist() == [
        Decimal("5.25"),
        Decimal("4.15"),
        Decimal("1.1"),
    ]
    assert book.loc[PAYEE, "total"] == Decimal(4)


def test_a_balance_equal_to_its_ledger_has_no_finding() -> None:
    result = reconcile.balances(frame(LEDGER), pd.DataFrame([snapshot("5.25", "4.15", "1.1")]))
    assert found(result) == {}


def test_ledger_drift() -> None:
    result = reconcile.balances(frame(LEDGER), pd.DataFrame([snapshot("6.25", "5.15", "1.1")]))
    assert found(result) == {f"{SHOP}@195@195": ["ledger_drift"]}
    assert result["amount_at_stake"].tolist() == [Decimal(1)]
    assert result["drift_total"].tolist() == [Decimal(1)]


def test_ledger_drift_over_time_with_as_of() -> None:
    snaps = pd.DataFrame([snapshot("10", "10", "0"), snapshot("5.25", "4.15", "1.1")])
    snaps["as_of"] = [pd.Timestamp("2026-06-01 09:00", tz="UTC"), NOW]
    first = [{**LEDGER[0], "block_time": pd.Timestamp("2026-06-01 08:00", tz="UTC")}, *LEDGER[1:]]
    assert found(reconcile.balances(frame(first), snaps)) == {}
    snaps.loc[0, "total"] = "11"
    assert found(reconcile.balances(frame(first), snaps)) == {f"{SHOP}@195@195": ["ledger_drift"]}


# -- orders ---------------------------------------------------------------------------------------


def order(status: str = "paid", pay: str = "12.86", **extra: Any) -> dict[str, Any]:
    return {
        "cregis_id": "po1",
        "order_id": "o1",
        "order_amount": Decimal(100),
        "order_currency": "HKD",
        "status": status,
        "code": "00000",
        "payment_detail.0.receive_amount": Decimal("12.86"),
        "payment_detail.0.receive_currency": "USDT",
        "payment_detail.0.pay_amount": Decimal(pay),
        "payment_detail.0.pay_currency": "USDT",
        "payment_detail.0.exchange_rate": Decimal("0.1286"),
        "payment_detail.0.token_name": "USDT-TRC20",
        "payment_detail.0.tx_id": "0xabc",
        **extra,
    }


def order_callback(event: str = "paid", amount: str = "100", good: bool = True) -> dict[str, Any]:
    data = {
        "cregis_id": "po1",
        "order_id": "o1",
        "order_amount": amount,
        "order_currency": "HKD",
        "status": event,
        "pay_amount": "12.86",
        "pay_currency": "USDT",
    }
    return body({"event_name": "order", "event_type": event, "data": data}, good=good)


def check_orders(
    rows: list[dict[str, Any]], callbacks: list[dict[str, Any]] | None = None, **options: Any
) -> pd.DataFrame:
    callbacks = [order_callback()] if callbacks is None else callbacks
    return reconcile.orders(frame(rows), callbacks, api_key=KEY, **options)


def test_payment_details_is_long() -> None:
    two = order(
        **{
            "payment_detail.1.pay_amount": Decimal("1"),
            "payment_detail.1.exchange_rate": Decimal("0.1286"),
        }
    )
    details = reconcile.payment_details(frame([two, {**order(), "cregis_id": "po2"}]))
    assert details[["cregis_id", "n"]].values.tolist() == [["po1", 0], ["po1", 1], ["po2", 0]]
    assert details["pay_amount"].tolist() == [Decimal("12.86"), Decimal(1), Decimal("12.86")]
    lists = pd.DataFrame({"cregis_id": ["po9"], "payment_detail": [[{"pay_amount": "2"}]]})
    assert reconcile.payment_details(lists)["pay_amount"].tolist() == [Decimal(2)]


def test_a_paid_order_with_its_callback_has_no_finding() -> None:
    assert found(check_orders([order()])) == {}


def test_status_vs_paid() -> None:
    result = check_orders([order(pay="10")])
    assert found(result) == {"po1": ["status_vs_paid"]}
    assert result["expected_status"].tolist() == ["paid_partial"]
    within = check_orders([order(pay="10", underpaid_tolerance="25")])
    assert found(within) == {}


def test_refund_exceeds_paid() -> None:
    refunded = order(
        **{"refund_data.refund_amount": Decimal("13"), "refund_data.token": "USDT-TRC20"}
    )
    assert found(check_orders([refunded])) == {"po1": ["refund_exceeds_paid"]}
    fair = order(**{"refund_data.refund_amount": Decimal("12"), "refund_data.token": "USDT-TRC20"})
    assert found(check_orders([fair])) == {}


def test_order_missing_callback() -> None:
    assert found(check_orders([order()], [])) == {"po1": ["missing_callback"]}
    assert found(check_orders([order(status="new", pay="0")], [])) == {}


def test_callback_mismatch() -> None:
    assert found(check_orders([order()], [order_callback("paid_partial")])) == {
        "po1": ["callback_mismatch"]
    }
    assert found(check_orders([order()], [order_callback(amount="99")])) == {
        "po1": ["callback_mismatch"]
    }


# -- summary and findings -------------------------------------------------------------------------


def test_findings_and_summary_are_exact() -> None:
    a = check_payouts(
        [payout(), payout(12, txid="tx-2", tpid="t-2")],
        [trade("tx-out", "4.9", to=PAYEE, frm=SHOP)],
        requests=[request(), request("t-2")],
    )
    long = reconcile.as_findings(a)
    assert long.columns.tolist() == ["kind", "key", "check", "currency", "amount_at_stake"]
    assert long[["key", "check"]].values.tolist() == [
        ["11", "amount_mismatch"],
        ["12", "missing_onchain"],
    ]
    table = reconcile.summary(a)
    assert table.to_dict("records") == [
        {
            "kind": "payouts",
            "check": "amount_mismatch",
            "currency": "195@195",
            "count": 1,
            "amount_at_stake": Decimal("0.1"),
        },
        {
            "kind": "payouts",
            "check": "missing_onchain",
            "currency": "195@195",
            "count": 1,
            "amount_at_stake": Decimal(5),
        },
    ]


def test_every_check_has_a_meaning_and_an_action() -> None:
    names = {c.name for c in reconcile.CHECKS}
    assert {"stuck", "ledger_drift", "status_vs_paid", "orphan_callback"} <= names
    for check in reconcile.CHECKS:
        assert check.meaning.endswith(".") and check.action.endswith(".")
        assert set(check.kinds) <= set(reconcile.KINDS)


def test_amounts_keep_every_digit() -> None:
    big = "12345678901234567890.123456789012345678"
    rows = [
        trade("a", big, to=SHOP, frm=PAYER, trade_type=1, business_type=3),
        trade("b", "0.000000000000000001", to=SHOP, frm=PAYER, trade_type=1, business_type=3),
    ]
    book = reconcile.ledger(frame(rows)).set_index("address")
    assert book.loc[SHOP, "total"] == Decimal("12345678901234567890.123456789012345679")
