"""Every documented error code is reachable, with its documented message, in SPEC 12's order."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import call, raw_post, signed_body

from cregis_notebook import sign
from cregis_notebook.sandbox import (
    DEFAULT_API_KEY,
    DEFAULT_PID,
    ProjectSpec,
    Sandbox,
    SandboxError,
)
from cregis_notebook.spec import registry

PAYEE = "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS"


def code_of(box: Sandbox, endpoint: str, params: dict[str, Any], **kw: Any) -> str:
    envelope = call(box, endpoint, params, **kw)
    assert envelope["data"] is None
    doc = registry().return_code(envelope["code"])
    assert doc is not None
    if envelope["code"].startswith("A"):
        assert envelope["msg"].startswith("Param Error: ")
    else:
        assert envelope["msg"] == doc.msg  # the documented English text
    return str(envelope["code"])


def payout(**overrides: Any) -> dict[str, Any]:
    params = {"currency": "195@195", "address": PAYEE, "amount": "1.5", "third_party_id": "t-1"}
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


# -- signature and project ------------------------------------------------------------------------


def test_missing_or_bad_sign_is_b0001(box: Sandbox) -> None:
    assert code_of(box, "coins", {}, sign_it=False) == "B0001"
    assert code_of(box, "coins", {}, key="f" * 32) == "B0001"
    body = signed_body({}, pid=DEFAULT_PID, key=DEFAULT_API_KEY)
    body["sign"] = ""
    _, envelope = raw_post(box, "/api/v1/coins", json.dumps(body).encode())
    assert envelope["code"] == "B0001"
    body["sign"] = sign({**body, "nonce": "zzzzzz"}, DEFAULT_API_KEY)  # signed other params
    _, envelope = raw_post(box, "/api/v1/coins", json.dumps(body).encode())
    assert envelope["code"] == "B0001"


def test_upper_case_sign_is_accepted(box: Sandbox) -> None:
    body = signed_body({}, pid=DEFAULT_PID, key=DEFAULT_API_KEY)
    body["sign"] = body["sign"].upper()
    _, envelope = raw_post(box, "/api/v1/coins", json.dumps(body).encode())
    assert envelope["code"] == "00000"


def test_sign_is_checked_before_parameters(box: Sandbox) -> None:
    assert code_of(box, "payout_v1", {}, key="0" * 32) == "B0001"
    assert code_of(box, "payout_v1", {}) == "A0001"


def test_unknown_or_disabled_project_is_e0003() -> None:
    other = ProjectSpec(pid=1_400_000_000_000_001, api_key="k" * 32, transactions=50)
    closed = ProjectSpec(pid=1_400_000_000_000_002, api_key="c" * 32, disabled=True)
    with Sandbox(seed=0, transactions=100, projects=[other, closed]) as box:
        assert code_of(box, "coins", {}, pid=999) == "E0003"
        assert code_of(box, "coins", {}, pid=closed.pid, key=closed.api_key) == "E0003"
        assert code_of(box, "coins", {}, pid=closed.pid, key="x" * 32) == "B0001"
        ok = call(box, "trade_page", {}, pid=other.pid, key=other.api_key)
        assert ok["code"] == "00000" and ok["data"]["total"] == 50
        assert {r["pid"] for r in ok["data"]["rows"]} == {other.pid}
        # one project's key does not open another
        assert code_of(box, "coins", {}, pid=other.pid) == "B0001"


def test_system_parameters(box: Sandbox) -> None:
    body = {"pid": DEFAULT_PID, "nonce": "abcdef"}
    body["sign"] = sign(body, DEFAULT_API_KEY)
    _, envelope = raw_post(box, "/api/v1/coins", json.dumps(body).encode())
    assert envelope["code"] == "A0001" and "timestamp" in envelope["msg"]
    body = {"nonce": "abcdef", "timestamp": 1}
    body["sign"] = sign(body, DEFAULT_API_KEY)
    _, envelope = raw_post(box, "/api/v1/coins", json.dumps(body).encode())
    assert envelope["code"] == "A0001" and "pid" in envelope["msg"]
    body = {"pid": "not-a-number", "nonce": "abcdef", "timestamp": 1}
    body["sign"] = sign(body, DEFAULT_API_KEY)
    _, envelope = raw_post(box, "/api/v1/coins", json.dumps(body).encode())
    assert envelope["code"] == "A0002" and "pid" in envelope["msg"]


def test_pid_and_timestamp_are_ascii_digits_only(box: Sandbox) -> None:
    arabic_pid = str(DEFAULT_PID).translate(
        str.maketrans("0123456789", "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669")
    )
    for field, value in (("pid", arabic_pid), ("timestamp", "\u0661\u0667\u0663\u0665")):
        body: dict[str, Any] = {"pid": DEFAULT_PID, "nonce": "abcdef", "timestamp": 1, field: value}
        body["sign"] = sign(body, DEFAULT_API_KEY)
        _, envelope = raw_post(box, "/api/v1/coins", json.dumps(body).encode())
        assert envelope["code"] == "A0002" and field in envelope["msg"], envelope


# -- parameters -----------------------------------------------------------------------------------


def test_missing_and_mistyped_parameters_name_the_parameter(box: Sandbox) -> None:
    envelope = call(box, "payout_v1", payout(address=None))
    assert envelope["code"] == "A0001" and "address" in envelope["msg"]
    envelope = call(box, "trade_page", {"status": "often"})
    assert envelope["code"] == "A0002" and "status" in envelope["msg"]
    envelope = call(box, "trade_page", {"status": 9})
    assert envelope["code"] == "A0003" and "status" in envelope["msg"]
    envelope = call(box, "payout_query", {"cid": {"nested": 1}})
    assert envelope["code"] == "A0002" and "cid" in envelope["msg"]
    envelope = call(box, "checkout", {"tokens": "not json"})
    assert envelope["code"] == "A0001"  # order_id is missing first
    envelope = call(box, "address_create", {"chain_id": ["60"]})
    assert envelope["code"] == "A0002" and "chain_id" in envelope["msg"]


def test_lenient_like_the_service_about_numbers_as_text(box: Sandbox) -> None:
    assert call(box, "trade_page", {"page_size": "3"})["data"]["pageSize"] == 3
    assert call(box, "address_create", {"chain_id": 60})["code"] == "00000"
    batch = call(box, "address_batch_create", {"chain_id": "60", "number": "2"})
    assert batch["code"] == "00000" and len(batch["data"]) == 2


def test_page_size_above_100_is_an_a_code(box: Sandbox) -> None:
    envelope = call(box, "trade_page", {"page_size": 101})
    assert envelope["code"] == "A0003" and "page_size" in envelope["msg"]
    assert call(box, "trade_page", {"page_num": 0})["code"] == "A0003"
    assert call(box, "trade_page", {"page_size": 100})["code"] == "00000"


# -- business checks in order ---------------------------------------------------------------------


def test_unsupported_coin_is_e0005(box: Sandbox) -> None:
    assert code_of(box, "payout_v1", payout(currency="TRON@Shasta")) == "E0005"
    assert code_of(box, "address_create", {"chain_id": "198"}) == "E0005"
    assert code_of(box, "sub_address_balance", {"currency": "1@1"}) == "E0005"
    # a coin name works as well as chain_id@token_id
    assert call(box, "payout_v1", payout(currency="TRON"))["code"] == "00000"


def test_bad_amount_codes(box: Sandbox) -> None:
    assert code_of(box, "payout_v1", payout(amount="0")) == "E0006"
    assert code_of(box, "payout_v1", payout(amount="-2")) == "E0006"
    assert code_of(box, "payout_v1", payout(amount="1.1234567")) == "E0007"  # TRX has 6
    assert code_of(box, "payout_v1", payout(amount="abc")) == "E0016"
    assert code_of(box, "payout_v1", payout(amount="1e3")) == "E0016"


@pytest.mark.parametrize(
    "text", ["1_000", "\u0661\u0662\u0663", "\uff11", "1E3", " 5", "+5", "Infinity"]
)
def test_amounts_are_plain_ascii_decimals_only(box: Sandbox, text: str) -> None:
    """Issue 15 item 9: ``1_000`` is not 1000 and Arabic-Indic ``123`` is not 123."""
    assert code_of(box, "payout_v1", payout(amount=text)) == "E0016"
    assert code_of(box, "checkout", checkout(order_amount=text)) == "E0016"
    if text == text.strip():  # a float parameter may be padded, like an integer one
        body = checkout(order_id=f"tol-{text}", underpaid_tolerance=text)
        assert code_of(box, "checkout", body) == "A0002"
    address = box.examples()["sub_address"]
    with pytest.raises(SandboxError, match="plain decimal"):
        box.simulate_deposit(address, box.examples()["sub_address_currency"], text)


def test_integers_are_ascii_digits_only(box: Sandbox) -> None:
    assert call(box, "trade_page", {"page_size": "\u0663"})["code"] == "A0002"
    assert call(box, "trade_page", {"page_size": "1_0"})["code"] == "A0002"


def test_bad_address_is_e0008(box: Sandbox) -> None:
    assert code_of(box, "payout_v1", payout(address="0x" + "1" * 40)) == "E0008"  # EVM, not TRON
    assert code_of(box, "payout_v1", payout(address=PAYEE[:-1] + "X")) == "E0008"  # checksum


def test_coin_then_address_then_amount_then_duplicate(box: Sandbox) -> None:
    """SPEC 12: unsupported coin -> address -> amount -> duplicate third_party_id."""
    assert call(box, "payout_v1", payout(third_party_id="dup"))["code"] == "00000"
    everything_wrong = payout(currency="9@9", address="nope", amount="0", third_party_id="dup")
    assert code_of(box, "payout_v1", everything_wrong) == "E0005"
    assert code_of(box, "payout_v1", {**everything_wrong, "currency": "195@195"}) == "E0008"
    assert code_of(box, "payout_v1", payout(amount="0", third_party_id="dup")) == "E0006"
    assert code_of(box, "payout_v1", payout(third_party_id="dup")) == "E0009"


def test_duplicate_third_party_id_across_payouts_and_withdrawals(box: Sandbox) -> None:
    assert call(box, "payout_v1", payout(third_party_id="shared"))["code"] == "00000"
    params = {"currency": "195@195", "to_address": PAYEE, "amount": "1", "third_party_id": "shared"}
    assert code_of(box, "payout", params) == "E0009"


def test_unknown_cid_is_e0014(box: Sandbox) -> None:
    assert code_of(box, "payout_query", {"cid": 1}) == "E0014"
    assert code_of(box, "withdrawal_query", {"cid": 1}) == "E0014"
    # a payout's cid is not a withdrawal's
    cid = box.examples()["payout_cid_by_status"][6]
    assert code_of(box, "withdrawal_query", {"cid": cid}) == "E0014"


def test_wallet_and_memo_codes(box: Sandbox) -> None:
    params = {
        "currency": "144@144",
        "to_address": "rn5Jyu5J6PG64543KdGvS25rQBYFQo7GLc",
        "amount": "1",
        "third_party_id": "xrp-1",
    }
    assert code_of(box, "payout", {**params, "wallet_id": 42}) == "E0010"
    assert code_of(box, "payout", {**params, "memo": "12a"}) == "E0032"
    assert code_of(box, "payout", {**params, "memo": "4294967295"}) == "E0032"
    assert call(box, "payout", {**params, "memo": "123"})["code"] == "00000"


def checkout(**overrides: Any) -> dict[str, Any]:
    params = {
        "order_id": "order-1",
        "order_amount": "10.5",
        "order_currency": "USD",
        "payer_id": "p1",
        "valid_time": 30,
        "success_url": "https://example.com/ok",
        "cancel_url": "https://example.com/cancel",
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def test_order_codes(box: Sandbox) -> None:
    assert code_of(box, "checkout", checkout(order_id="x" * 129)) == "E0019"
    assert code_of(box, "checkout", checkout(remark="r" * 257)) == "E0021"
    assert code_of(box, "checkout", checkout(valid_time=9)) == "E0026"
    assert code_of(box, "checkout", checkout(valid_time=61)) == "E0026"
    assert code_of(box, "checkout", checkout(order_currency="XYZ")) == "E0020"
    assert code_of(box, "checkout", checkout(order_amount="0")) == "E0022"
    assert code_of(box, "checkout", checkout(order_amount="1.001")) == "E0023"
    assert code_of(box, "checkout", checkout(order_amount="ten")) == "E0016"
    assert code_of(box, "checkout", checkout(accept_partial_payment="false")) == "E0025"
    assert code_of(box, "checkout", checkout(payer_email="not-an-email")) == "E0025"
    assert call(box, "checkout", checkout())["code"] == "00000"
    assert code_of(box, "checkout", checkout()) == "E0018"
    assert code_of(box, "order_info", {"cregis_id": "po1"}) == "E0024"
    assert (
        code_of(
            box, "order_v1", {"order_id": "y" * 65, "order_amount": "1", "order_currency": "CNY"}
        )
        == "E0019"
    )
    assert (
        code_of(box, "order_v1", {"order_id": "v1", "order_amount": "1", "order_currency": "USDT"})
        == "E0020"
    )  # v1 is fiat only
    assert call(box, "checkout", checkout(order_id="ok-2", tokens='["NOPE"]'))["code"] == "A0003"


def test_address_codes(box: Sandbox) -> None:
    assert code_of(box, "address_create", {"chain_id": "60", "alias": "a" * 41}) == "E0002"
    assert code_of(box, "address_batch_create", {"chain_id": "60", "number": 0}) == "E0027"
    assert code_of(box, "address_batch_create", {"chain_id": "60", "number": 101}) == "E0027"
    address = call(box, "address_create", {"chain_id": "60"})["data"]["address"]
    assert code_of(box, "address_update", {"address": address}) == "E0029"
    assert code_of(box, "address_update", {"address": address, "status": "2"}) == "E0028"
    assert code_of(box, "address_update", {"address": PAYEE, "alias": "x"}) == "E0030"
    assert call(box, "address_update", {"address": address, "status": "1"})["code"] == "00000"


def test_legacy_deposit_codes(box: Sandbox) -> None:
    assert code_of(box, "deposit_query", {"cid": 5}) == "E0015"
    assert code_of(box, "deposit_cancel", {"cid": 5}) == "E0015"


def test_withdrawal_needs_funds(box: Sandbox) -> None:
    address = call(box, "address_create", {"chain_id": "195"})["data"]["address"]
    params = {
        "currency": "195@195",
        "from_address": address,
        "to_address": PAYEE,
        "amount": "1",
        "third_party_id": "w-1",
    }
    assert code_of(box, "withdrawal", params) == "E0016"
    assert code_of(box, "withdrawal", {**params, "from_address": PAYEE}) == "E0008"


# -- HTTP-level problems --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("POST", "/api/v1/coins", b"{not json", 400, "A0004"),
        ("POST", "/api/v1/coins", b"[1, 2]", 400, "A0004"),
        ("POST", "/api/v1/coins", b"\xff\xfe", 400, "A0004"),
        ("POST", "/api/v1/coins", b"", 400, "A0004"),
        ("GET", "/api/v1/coins", b"", 405, "A0006"),
        ("PUT", "/api/v1/trade/page", b"{}", 405, "A0006"),
        ("POST", "/api/v9/nothing", b"{}", 404, "A0005"),
        ("GET", "/", b"", 404, "A0005"),
    ],
)
def test_http_problems_get_a_json_answer(
    box: Sandbox, sandbox_server: Any, method: str, path: str, body: bytes, status: int, code: str
) -> None:
    for target in (box, sandbox_server.base_url):
        got_status, envelope = raw_post(target, path, body, method=method)
        assert got_status == status
        assert isinstance(envelope, dict) and envelope["code"] == code and envelope["data"] is None


def test_floats_are_accepted_under_any_common_rendering(box: Sandbox) -> None:
    """SPEC 4.3: sign ``10`` or ``10.0`` for a float tolerance, whatever the body says."""
    for sent, signed in ((10.0, "10"), (10, "10.0"), (10.0, "10.0"), (0.5, "0.5")):
        params = checkout(
            order_id=f"f-{sent}-{signed}", overpaid_tolerance=sent, underpaid_tolerance=sent
        )
        body = signed_body(params, pid=DEFAULT_PID, key=DEFAULT_API_KEY, sign_it=False)
        both = {"overpaid_tolerance": signed, "underpaid_tolerance": signed}
        body["sign"] = sign({**body, **both}, DEFAULT_API_KEY)
        _, envelope = raw_post(box, "/api/v2/checkout", json.dumps(body).encode())
        assert envelope["code"] == "00000", (sent, signed, envelope)
    body = signed_body(
        checkout(order_id="f-bad", overpaid_tolerance=2.5),
        pid=DEFAULT_PID,
        key=DEFAULT_API_KEY,
        sign_it=False,
    )
    body["sign"] = sign({**body, "overpaid_tolerance": "3"}, DEFAULT_API_KEY)
    _, envelope = raw_post(box, "/api/v2/checkout", json.dumps(body).encode())
    assert envelope["code"] == "B0001"
