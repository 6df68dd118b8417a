"""The value contract (one rule per value kind) and the validation that sends exact values."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest

from cregis_notebook import CregisValidationError, parse_callback
from cregis_notebook._validation import prepare_params
from cregis_notebook._values import (
    EPOCH_MS_MAX,
    EPOCH_MS_MIN,
    EPOCH_MS_THRESHOLD,
    dumps_exact,
    epoch_unit,
    exact_count,
    exact_decimal,
    exact_int,
    loads_exact,
    to_epoch,
    utc_from_epoch,
)
from cregis_notebook.errors import UnfitValue
from cregis_notebook.spec import registry

UTC = dt.timezone.utc


def prepare(endpoint: str, **params: Any) -> dict[str, Any]:
    return prepare_params(registry().endpoint(endpoint), params)


def checkout(**params: Any) -> dict[str, Any]:
    """A checkout_create_v2 body from the documented example, with ``params`` changed."""
    example = dict(registry().endpoint("checkout_create_v2").request_example)
    for name in ("pid", "nonce", "timestamp", "sign"):
        example.pop(name)
    return prepare("checkout_create_v2", **{**example, **params})


# -- the contract itself ---------------------------------------------------------------------------


def test_epoch_rule_and_its_bounds() -> None:
    assert epoch_unit(EPOCH_MS_THRESHOLD - 1) == "s"
    assert epoch_unit(EPOCH_MS_THRESHOLD) == "ms"
    assert utc_from_epoch(1721900581) == dt.datetime(2024, 7, 25, 9, 43, 1, tzinfo=UTC)
    assert utc_from_epoch(1721900581123) == dt.datetime(2024, 7, 25, 9, 43, 1, 123000, tzinfo=UTC)
    assert to_epoch(utc_from_epoch(EPOCH_MS_MAX), "ms") == EPOCH_MS_MAX
    assert to_epoch(utc_from_epoch(EPOCH_MS_MIN), "ms") == EPOCH_MS_MIN
    with pytest.raises(UnfitValue):
        utc_from_epoch(EPOCH_MS_MAX + 1)


@pytest.mark.parametrize("text", ["1_000", "١٢٣", "1e3", "+1", " ", "1.", ".5", "NaN", "Infinity"])
def test_amount_text_is_plain_ascii_decimal_only(text: str) -> None:
    with pytest.raises(UnfitValue):
        exact_decimal(text)


def test_received_numbers_may_have_an_exponent_but_stay_ascii() -> None:
    assert exact_decimal("1e-8", exponent=True) == Decimal("1E-8")
    for text in ("١٢٣", "1_000", "1e"):
        with pytest.raises(UnfitValue):
            exact_decimal(text, exponent=True)


@pytest.mark.parametrize("value", [1.9, Decimal("2.5"), "١٢٣", "1_000", True, Decimal("1E+5000")])
def test_exact_int_never_rounds(value: Any) -> None:
    with pytest.raises(UnfitValue):
        exact_int(value)


@pytest.mark.parametrize(
    ("value", "count"),
    [(7, 7), ("12", 12), (3.0, 3), (Decimal("0"), 0), (None, None), (-1, None), (2.5, None),
     ("x", None), (True, None), ({}, None), (10**30, 10**30)],
)  # fmt: skip
def test_a_count_is_a_whole_number_at_least_zero_or_unknown(value: Any, count: int | None) -> None:
    assert exact_count(value) == count


def test_json_text_keeps_every_digit_and_every_type() -> None:
    value = {"items": [{"item_price": Decimal("12345678901234567.89"), "n": 3}], "tax": 0.5}
    assert dumps_exact(value) == '{"items":[{"item_price":12345678901234567.89,"n":3}],"tax":0.5}'
    typed = [Decimal("5"), Decimal("5E+3"), Decimal("1.50"), Decimal("-0"), 2.0]
    back = loads_exact(dumps_exact(typed[:4], keep_types=True))
    assert [str(v) for v in back] == [str(v) for v in typed[:4]]
    assert json.loads(dumps_exact([2.0], keep_types=True)) == [2.0]
    with pytest.raises(UnfitValue):
        dumps_exact({"x": Decimal("NaN")})


# -- validation (issue: huge floats, digits in JSON text, non-ASCII amounts) -----------------------


def test_a_huge_int_for_a_float_parameter_is_a_validation_error() -> None:
    with pytest.raises(CregisValidationError, match="overpaid_tolerance"):
        checkout(overpaid_tolerance=10**400)
    with pytest.raises(CregisValidationError, match="overpaid_tolerance"):
        checkout(overpaid_tolerance="1" + "0" * 400)
    assert checkout(overpaid_tolerance=10**20)["overpaid_tolerance"] == 10**20


def test_decimals_inside_json_text_parameters_keep_every_digit() -> None:
    details = {
        "items": [{"item_id": "a", "item_price": Decimal("12345678901234567.89")}],
        "shopping_cost": Decimal("0.123456789012345678901234567890"),
    }
    body = checkout(order_details=details)
    text = body["order_details"]
    assert "12345678901234567.89" in text and "0.123456789012345678901234567890" in text
    assert loads_exact(text) == details


@pytest.mark.parametrize("amount", ["1_000", "١٢٣", "1e3", "１２", "0x10", "1.5\u200b"])
def test_amounts_must_be_plain_ascii_decimals(amount: str) -> None:
    with pytest.raises(CregisValidationError, match="amount"):
        prepare(
            "payout_create_v1", currency="195@195", address="T", amount=amount, third_party_id="x"
        )


def test_integer_text_must_be_ascii_digits() -> None:
    with pytest.raises(CregisValidationError, match="number"):
        prepare("address_batch_create", chain_id="195", number="١٢")
    with pytest.raises(CregisValidationError, match="cid"):
        prepare("trade_page", cid="١٢٣")


def test_text_that_cannot_be_sent_as_utf8_is_refused() -> None:
    with pytest.raises(CregisValidationError, match="tx_id"):
        prepare("trade_page", tx_id="\ud800")


def test_plain_amounts_are_sent_as_given() -> None:
    body = prepare(
        "payout_create_v1", currency="195@195", address="T", amount="0.10", third_party_id="x"
    )
    assert body["amount"] == "0.10"
    body = prepare(
        "payout_create_v1",
        currency="195@195",
        address="T",
        amount=Decimal("1E-8"),
        third_party_id="x",
    )
    assert body["amount"] == "0.00000001"


# -- callbacks use the same contract ---------------------------------------------------------------


def test_callback_numbers_keep_every_digit_and_fractional_ids_are_problems() -> None:
    body = (
        '{"pid": 1, "cid": 2.5, "chain_id": "195", "token_id": "195", "currency": "195@195",'
        ' "address": "T", "amount": 0.123456789012345678901234567890, "status": 1,'
        ' "block_time": 1721900581123}'
    )
    parsed = parse_callback(body, kind="deposit")
    assert parsed["amount"] == Decimal("0.123456789012345678901234567890")
    assert parsed["block_time"] == dt.datetime(2024, 7, 25, 9, 43, 1, 123000, tzinfo=UTC)
    assert parsed["cid"] == Decimal("2.5")  # kept as received, and said so
    assert any(p.startswith("cid") for p in parsed.problems)
