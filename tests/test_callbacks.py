"""Callbacks: parsing every documented kind, verification, frames and the loopback receiver."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import httpx
import pandas as pd
import pytest

from cregis_notebook import CallbackReceiver, callbacks_frame, parse_callback
from cregis_notebook._signing import sign
from cregis_notebook.callbacks import (
    CallbackError,
    ParsedCallback,
    detect_kind,
)
from cregis_notebook.spec import registry, thaw

KEY = "f502a9ac9ca54327986f29c03b271491"
UTC = dt.timezone.utc


def signed(body: dict, key: str = KEY) -> dict:
    body = dict(body)
    body.pop("sign", None)
    body["sign"] = sign(body, key)
    return body


def example(name: str) -> dict:
    return thaw(registry().callback(name).example)


EXTERNAL = {
    "pid": 1382528827416576,
    "cid": 1391751691788288,
    "third_party_id": "c9231e604da54469a735af3f449c880f",
    "chain_id": "195",
    "token_id": "195",
    "from_address": "TRsYEaEd1UbNsoXDza3jyJTnwavk6iWBdk",
    "to_address": "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS",
    "amount": "1.1",
    "memo": "",
    "remark": "payout",
    "nonce": "ab12cd",
    "timestamp": 1687850657960,
}

REFUND = {
    "event_name": "order",
    "event_type": "refunded",
    "pid": 123456789,
    "nonce": "abc123",
    "timestamp": 1719994383015,
    "data": {
        "cregis_id": "po-test",
        "order_id": "merchant-test",
        "refund_id": "rf-test",
        "refund_status": 1,
    },
}


def all_examples() -> list[dict]:
    bodies = [
        example("callback_address_deposit"),
        example("callback_payout"),
        example("callback_sub_address_withdrawal"),
        dict(EXTERNAL),
        example("callback_payment_order"),
        example("callback_order_deposit"),
    ]
    return [signed(b) for b in bodies]


# -- parse_callback ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("index", "kind"),
    [
        (0, "callback_address_deposit"),
        (1, "callback_payout"),
        (2, "callback_sub_address_withdrawal"),
        (3, "callback_payout_external_verification"),
        (4, "callback_payment_order"),
        (5, "callback_order_deposit"),
    ],
)
def test_every_documented_kind_is_detected_and_verified(index, kind):
    body = all_examples()[index]
    assert detect_kind(body) == kind
    parsed = parse_callback(body, api_key=KEY)
    assert parsed.kind == kind
    assert parsed.verified is True
    assert parsed.problems == ()
    assert parsed.ack == ("ok" if kind.endswith("external_verification") else "success")


def test_deposit_types_follow_the_registry():
    parsed = parse_callback(example("callback_address_deposit"))
    v = parsed.values
    assert v["amount"] == Decimal("1.2") and isinstance(v["amount"], Decimal)
    assert v["status"] == 1 and parsed.labels["status"] == "success"  # "1" (text) -> 1
    assert v["block_time"] == dt.datetime(2023, 6, 15, 7, 34, 42, tzinfo=UTC)  # "…000" ms text
    assert v["block_height"] == 34527604
    assert v["pid"] == 1382528827416576 and isinstance(v["cid"], int)
    assert v["timestamp"].tzinfo is not None
    assert parsed.verified is None  # no key, no verdict


def test_legacy_integer_deposit_fields_read_the_same():
    body = example("callback_address_deposit")
    body["status"] = 1
    body["block_time"] = 1686814482  # 2023 docs: numbers; 10 digits are seconds
    parsed = parse_callback(body, kind="deposit")
    assert parsed["status"] == 1
    assert parsed["block_time"] == dt.datetime(2023, 6, 15, 7, 34, 42, tzinfo=UTC)


def test_payout_and_withdrawal_status_labels():
    payout = example("callback_payout")
    payout["status"] = 6
    parsed = parse_callback(payout)
    assert parsed["status"] == 6 and parsed.labels["status"] == "success"
    withdrawal = parse_callback(example("callback_sub_address_withdrawal"))
    assert withdrawal["to_address"].startswith("rn5") and withdrawal["memo"] == "123"


def test_payment_order_data_as_object_and_as_string():
    body = example("callback_payment_order")
    as_object = parse_callback(signed(body), api_key=KEY)
    text_body = dict(body)
    text_body["data"] = json.dumps(body["data"], ensure_ascii=False)
    as_text = parse_callback(signed(text_body), api_key=KEY)
    for parsed, fmt in ((as_object, "object"), (as_text, "string")):
        assert parsed.verified is True
        assert parsed.data_format == fmt
        assert parsed.event_type == "paid"
        assert parsed.data["pay_amount"] == Decimal("12.86")
        assert parsed["exchange_rate"] == Decimal("0.1286")
        assert parsed["created_time"] == dt.datetime(2024, 7, 3, 7, 53, 3, 15000, tzinfo=UTC)
        assert parsed["cancel_time"] is None
        assert parsed["valid_time"] == 30


def test_sdk_vector_with_nested_data_verifies():
    body = dict(REFUND, sign="9e2b39ae45341e1d912dda3e31a3dddf")
    parsed = parse_callback(body, api_key="fixture-api-key")
    assert parsed.verified is True
    assert parsed.event_type == "refunded"
    assert parsed["refund_status"] == 1 and parsed.labels["data.refund_status"] == "success"
    # the fixture's refund_id is not the documented int64: kept as received, and said so
    assert parsed["refund_id"] == "rf-test"
    assert any("refund_id" in p for p in parsed.problems)


def test_refund_type_uses_the_callback_codes_and_event_aliases():
    body = json.loads(json.dumps(REFUND))
    body["event_type"] = "partial_paid"
    body["data"]["type"] = "0"
    parsed = parse_callback(body)
    assert parsed.event_type == "paid_partial"
    assert parsed["type"] == 0 and parsed.labels["data.type"] == "partial"
    body["event_type"] = "overpaid"
    assert parse_callback(body).event_type == "paid_over"


@pytest.mark.parametrize("form", ["dict", "text", "bytes"])
def test_tampered_bodies_are_flagged(form):
    body = signed(example("callback_payout"))
    body["amount"] = "1000"
    payload = {"dict": body, "text": json.dumps(body), "bytes": json.dumps(body).encode()}[form]
    assert parse_callback(payload, api_key=KEY).verified is False
    assert parse_callback(payload, api_key="another-key").verified is False


def test_wrong_key_and_missing_sign_fail_verification():
    body = signed(example("callback_order_deposit"))
    assert parse_callback(body, api_key="nope").verified is False
    body.pop("sign")
    assert parse_callback(body, api_key=KEY).verified is False


def test_bad_bodies_raise_clear_errors():
    with pytest.raises(CallbackError, match="JSON object"):
        parse_callback("[1, 2]")
    with pytest.raises(CallbackError, match="JSON object"):
        parse_callback(b"not json")
    with pytest.raises(CallbackError, match="pass kind="):
        parse_callback({"pid": 1, "sign": "x"})
    with pytest.raises(KeyError):
        parse_callback({"pid": 1}, kind="no-such-callback")


def test_explicit_kind_and_unfit_values():
    body = {"pid": 1, "cid": "12", "address": "a", "amount": "abc", "status": "2"}
    parsed = parse_callback(body, kind="callback_address_deposit")
    assert parsed["cid"] == 12 and parsed["status"] == 2 and parsed.labels["status"] == "failed"
    assert parsed["amount"] == "abc" and parsed.problems
    v1 = parse_callback(example("callback_payment_order"), kind="order_v1")
    assert v1.kind == "callback_payment_v1"


# -- callbacks_frame ---------------------------------------------------------------------------


def test_frame_from_a_list_of_dicts_with_verification():
    bodies = all_examples()
    tampered = dict(bodies[0], amount="99")
    frame = callbacks_frame([*bodies, tampered], api_key=KEY)
    assert list(frame.columns[:3]) == ["kind", "event_type", "verified"]
    assert list(frame["verified"]) == [True] * len(bodies) + [False]
    assert frame["kind"].tolist()[:3] == ["address_deposit", "payout", "sub_address_withdrawal"]
    assert str(frame["status"].dtype) == "Int64"
    assert str(frame["block_time"].dtype) == "datetime64[ms, UTC]"
    assert frame["amount"].iloc[0] == Decimal("1.2")
    order = frame[frame["kind"] == "payment_order"].iloc[0]
    assert order["order_status"] == "paid" and order["event_type"] == "paid"
    assert order["order_amount"] == Decimal("100")
    assert frame["order_amount"].iloc[0] is None  # missing decimals are None, not NaN


def test_frame_from_json_lines_text_bytes_and_file(tmp_path):
    bodies = all_examples()
    lines = "\n".join(json.dumps(b) for b in bodies) + "\n"
    path = tmp_path / "callbacks.jsonl"
    path.write_text(lines, encoding="utf-8")
    for source in (lines, lines.encode(), path, str(path), json.dumps(bodies)):
        frame = callbacks_frame(source, KEY)
        assert len(frame) == len(bodies) and frame["verified"].all()
    assert "verified" not in callbacks_frame(lines).columns


def test_frame_keeps_unreadable_bodies_as_rows():
    frame = callbacks_frame([b"garbage", example("callback_payout")])
    assert frame["kind"].tolist() == ["unreadable", "payout"]
    assert "JSON" in frame["problems"].iloc[0]


def test_empty_input_gives_an_empty_frame_with_leading_columns():
    frame = callbacks_frame([], api_key=KEY)
    assert frame.empty and list(frame.columns) == ["kind", "event_type", "verified"]


def test_parsed_callbacks_can_be_tabulated_directly():
    parsed = [parse_callback(b) for b in all_examples()]
    assert all(isinstance(p, ParsedCallback) for p in parsed)
    frame = callbacks_frame(parsed, api_key=KEY)
    assert frame["verified"].all()


# -- the loopback receiver ---------------------------------------------------------------------


def test_receiver_collects_replies_and_tabulates():
    bodies = all_examples()
    with CallbackReceiver(api_key=KEY) as inbox:
        assert inbox.url.startswith("http://127.0.0.1:") and inbox.url.endswith("/callback")
        replies = []
        for body in bodies:
            replies.append(httpx.post(inbox.url_for("payout"), json=body, timeout=5).text)
        tampered = dict(bodies[1], amount="5")
        httpx.post(inbox.url, json=tampered, timeout=5)
        assert inbox.wait(len(bodies) + 1, timeout=5)
        bad = httpx.post(inbox.url, content=b"nope", timeout=5)
        assert bad.status_code == 400
        frame = inbox.frame()
    assert not inbox.running
    assert replies == ["success", "success", "success", "ok", "success", "success"]
    assert len(frame) == len(bodies) + 2
    assert frame["verified"].tolist()[: len(bodies) + 1] == [True] * len(bodies) + [False]
    assert frame["path"].iloc[0] == "/payout"
    assert str(frame["received_at"].dtype) == "datetime64[ms, UTC]"
    assert frame["kind"].iloc[-1] == "unreadable"
    assert len(inbox.payloads) == len(bodies) + 1


def test_receiver_can_deny_external_verification_and_times_out_quickly():
    with CallbackReceiver(approve=False) as inbox:
        assert httpx.post(inbox.url, json=EXTERNAL, timeout=5).text == "deny"
        assert not inbox.wait(5, timeout=0.05)
        inbox.clear()
        assert len(inbox) == 0
        assert "listening" in repr(inbox)
    with pytest.raises(RuntimeError, match="not running"):
        _ = inbox.url


def test_receiver_frame_of_nothing():
    inbox = CallbackReceiver(api_key=KEY).start()
    try:
        frame = inbox.frame()
        assert isinstance(frame, pd.DataFrame) and frame.empty
    finally:
        inbox.stop()
