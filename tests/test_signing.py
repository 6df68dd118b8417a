"""The signature (SPEC section 4): documented vectors, our own vectors, verification."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

import pytest
from vectors import DOC_KEY, DOC_PARAMS

from cregis_notebook import canonical_string, sign, verify_signature
from cregis_notebook._signing import render_value, wire_value


def test_documented_vector() -> None:
    assert sign(DOC_PARAMS, DOC_KEY) == "d6eef2de79e39f434a38efb910213ba6"


def test_documented_canonical_string() -> None:
    assert canonical_string(DOC_PARAMS, DOC_KEY) == (
        "f502a9ac9ca54327986f29c03b271491addressTXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FSamount1.1"
        "callback_urlhttp://192.168.2.29:9099/callbackcurrency195@195noncehwlkk6"
        "pid1382528827416576remarkpayoutthird_party_idc9231e604da54469a735af3f449c880f"
        "timestamp1688004243314"
    )


def test_sdk_vector() -> None:
    params = {**DOC_PARAMS, "callback_url": "https://your-domain.com/callback"}
    assert sign(params, DOC_KEY) == "f76fb193e9d34d2e59fef64e3418f79b"


def test_doc_step_three_string_hashes_to_printed_step_four() -> None:
    # The docs' intermediate steps came from another request (nonce mb8udu); its string is
    # still a valid check of the hashing step.
    step3 = (
        "f502a9ac9ca54327986f29c03b271491addressTXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FSamount1.1"
        "callback_urlhttp://192.168.2.29:9099/callbackcurrency195@195noncemb8udu"
        "pid1382528827416576remarkpayoutthird_party_id19faf9d3c8f34caf926f332f3021e887"
        "timestamp1688003966801"
    )
    assert hashlib.md5(step3.encode()).hexdigest() == "c9bae061ae3f5f8d3bfde817f6966c36"
    params = {
        **DOC_PARAMS,
        "nonce": "mb8udu",
        "third_party_id": "19faf9d3c8f34caf926f332f3021e887",
        "timestamp": 1688003966801,
    }
    assert sign(params, DOC_KEY) == "c9bae061ae3f5f8d3bfde817f6966c36"


def test_nested_data_is_canonical_json() -> None:
    params = {
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
    assert sign(params, "fixture-api-key") == "9e2b39ae45341e1d912dda3e31a3dddf"


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def test_utf8_values_are_hashed_as_utf8() -> None:
    params = {"alias": "地址更新操作", "nonce": "abc123"}
    assert canonical_string(params, "k") == "kalias地址更新操作nonceabc123"
    assert sign(params, "k") == _md5("kalias地址更新操作nonceabc123")


def test_none_and_empty_are_skipped_zero_and_false_are_kept() -> None:
    params = {"a": None, "b": "", "c": 0, "d": False, "e": "x"}
    assert canonical_string(params, "K") == "Kc0dfalseex"


def test_prefix_keys_sort_first() -> None:
    params = {"ab": "2", "a": "1", "abc": "3", "a_b": "4", "B": "5"}
    # Plain code point order: "B" < "a" < "a_b" < "ab" < "abc"
    assert canonical_string(params, "") == "B5a1a_b4ab2abc3"


def test_sign_is_excluded_and_lowercase_hex() -> None:
    params = {"x": "1", "sign": "whatever"}
    result = sign(params, "key")
    assert result == _md5("keyx1")
    assert result == result.lower() and len(result) == 32


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (10, "10"),
        (-3, "-3"),
        (True, "true"),
        (False, "false"),
        (Decimal("1.10"), "1.10"),
        (Decimal("1E-7"), "0.0000001"),
        (Decimal("2E+3"), "2000"),
        (10.0, "10"),
        (0.5, "0.5"),
        (0.1, "0.1"),
        ('{"items":[]}', '{"items":[]}'),
        ({"b": 1, "a": "é"}, '{"a":"é","b":1}'),
        ([1, {"y": 2, "x": 1}], '[1,{"x":1,"y":2}]'),
    ],
)
def test_render_value(value: object, text: str) -> None:
    assert render_value(value) == text


@pytest.mark.parametrize("value", [float("nan"), float("inf"), Decimal("NaN"), object()])
def test_render_value_refuses(value: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        render_value(value)


@pytest.mark.parametrize(
    "value", [Decimal("1.10"), 10.0, 0.25, 7, "text", True, '{"a": 1}', Decimal("1E-7")]
)
def test_wire_value_renders_like_signed_text(value: object) -> None:
    """What goes into the JSON body reads back as the very text that was signed."""
    sent = json.loads(json.dumps(wire_value(value)))
    assert render_value(sent) == render_value(value)


def test_json_string_parameter_is_hashed_verbatim() -> None:
    spaced = '{"items": [ {"item_id": "1"} ]}'
    assert canonical_string({"order_details": spaced}, "K") == "Korder_details" + spaced


def test_empty_key_is_refused() -> None:
    with pytest.raises(ValueError, match="API key"):
        sign({"a": "1"}, "")


class TestVerify:
    def signed(self) -> dict[str, object]:
        return {**DOC_PARAMS, "sign": "d6eef2de79e39f434a38efb910213ba6"}

    def test_mapping(self) -> None:
        assert verify_signature(self.signed(), DOC_KEY)

    def test_str_and_bytes(self) -> None:
        text = json.dumps(self.signed())
        assert verify_signature(text, DOC_KEY)
        assert verify_signature(text.encode(), DOC_KEY)

    def test_uppercase_sign_accepted(self) -> None:
        payload = {**self.signed(), "sign": "D6EEF2DE79E39F434A38EFB910213BA6"}
        assert verify_signature(payload, DOC_KEY)

    def test_tampered(self) -> None:
        assert not verify_signature({**self.signed(), "amount": "1.2"}, DOC_KEY)

    def test_wrong_key(self) -> None:
        assert not verify_signature(self.signed(), DOC_KEY[:-1] + "0")

    def test_without_sign(self) -> None:
        assert not verify_signature(DOC_PARAMS, DOC_KEY)
        assert not verify_signature({**DOC_PARAMS, "sign": ""}, DOC_KEY)

    @pytest.mark.parametrize("payload", ["not json", b"\xff\xfe", "[1, 2]", "null"])
    def test_not_an_object(self, payload: str | bytes) -> None:
        assert not verify_signature(payload, DOC_KEY)
