"""Property tests of signing: the signer against a reference written here from SPEC section 4,
and no tampered payload ever verifying.

The reference follows the SPEC's words, not the package's code: drop ``sign`` and empty values
(``null`` and ``""``); order the keys by comparing them character by character, a key that is a
prefix of another first; join ``key + value``; put the API key in front; MD5 of the UTF-8 bytes,
lowercase hex. Values become text as SPEC 4.3 says: strings verbatim, integers in plain decimal,
booleans ``true``/``false``, nested objects and arrays as canonical compact JSON.
"""

from __future__ import annotations

import functools
import hashlib
import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from vectors import DOC_KEY, DOC_PARAMS

from cregis_notebook import canonical_string, parse_callback, sign, verify_signature


def _dictionary_order(a: str, b: str) -> int:
    """SPEC 4.1: compare character by character; a key that is a prefix of another is first."""
    for x, y in zip(a, b, strict=False):
        if x != y:
            return -1 if ord(x) < ord(y) else 1
    return (len(a) > len(b)) - (len(a) < len(b))


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return format(value, "d")
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return f"{value:f}"
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def reference_sign(params: dict[str, Any], api_key: str) -> str:
    kept = [k for k, v in params.items() if k != "sign" and v is not None and v != ""]
    ordered = sorted(kept, key=functools.cmp_to_key(_dictionary_order))
    text = api_key + "".join(k + _text(params[k]) for k in ordered)
    return hashlib.md5(text.encode("utf-8")).hexdigest()


# -- the documented vectors --------------------------------------------------------------------

VECTORS = [
    (DOC_PARAMS, DOC_KEY, "d6eef2de79e39f434a38efb910213ba6"),
    (
        {**DOC_PARAMS, "callback_url": "https://your-domain.com/callback"},
        DOC_KEY,
        "f76fb193e9d34d2e59fef64e3418f79b",
    ),
    (
        {
            **DOC_PARAMS,
            "nonce": "mb8udu",
            "third_party_id": "19faf9d3c8f34caf926f332f3021e887",
            "timestamp": 1688003966801,
        },
        DOC_KEY,
        "c9bae061ae3f5f8d3bfde817f6966c36",
    ),
    (
        {
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
        },
        "fixture-api-key",
        "9e2b39ae45341e1d912dda3e31a3dddf",
    ),
]


@pytest.mark.parametrize(("params", "key", "expected"), VECTORS)
def test_the_reference_and_the_signer_give_the_documented_signatures(
    params: dict[str, Any], key: str, expected: str
) -> None:
    assert reference_sign(params, key) == expected
    assert sign(params, key) == expected
    assert verify_signature({**params, "sign": expected.upper()}, key)


# -- generated payloads ----------------------------------------------------------------------

_unicode = st.characters(exclude_categories=("Cs",))  # valid text: no lone surrogates
_keys = st.text(alphabet=_unicode, min_size=1, max_size=8).filter(lambda k: k != "sign")
_leaves = st.one_of(
    st.none(),
    st.just(""),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.text(alphabet=_unicode, max_size=12),
    st.decimals(allow_nan=False, allow_infinity=False, places=6),
)
_nested = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(alphabet=_unicode, max_size=6)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.text(alphabet=_unicode, max_size=4), inner, max_size=3),
    ),
    max_leaves=5,
)
_payloads = st.dictionaries(_keys, st.one_of(_leaves, _nested), min_size=1, max_size=8)
_api_keys = st.text(alphabet=_unicode, min_size=1, max_size=40)


@settings(max_examples=300, deadline=None)
@given(_payloads, _api_keys)
def test_sign_matches_the_reference(params: dict[str, Any], api_key: str) -> None:
    assert sign(params, api_key) == reference_sign(params, api_key)
    text = canonical_string(params, api_key)
    assert hashlib.md5(text.encode("utf-8")).hexdigest() == sign(params, api_key)


def _counts(value: Any) -> bool:
    return value is not None and value != ""


@st.composite
def _tampered(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """A payload and a changed copy whose signed text differs."""
    params = draw(_payloads)
    changed = dict(params)
    how = draw(st.sampled_from(["change", "add", "remove"]))
    if how == "change":
        key = draw(st.sampled_from(sorted(params)))
        changed[key] = draw(st.one_of(_leaves, _nested))
    elif how == "add":
        key = draw(_keys.filter(lambda k: k not in params))
        changed[key] = draw(st.one_of(_leaves, _nested).filter(_counts))
    else:
        key = draw(st.sampled_from(sorted(params)))
        del changed[key]
    return params, changed


@settings(max_examples=300, deadline=None)
@given(_tampered(), _api_keys)
def test_no_tampered_payload_verifies(pair: tuple[dict, dict], api_key: str) -> None:
    params, changed = pair
    assume(reference_sign(params, api_key) != reference_sign(changed, api_key))
    signed = {**changed, "sign": sign(params, api_key)}
    assert not verify_signature(signed, api_key)
    assert not verify_signature(json.dumps(signed, default=str), api_key)
    assert verify_signature({**params, "sign": sign(params, api_key)}, api_key)


@settings(max_examples=100, deadline=None)
@given(_payloads, _api_keys, _api_keys)
def test_another_key_never_verifies(params: dict[str, Any], key: str, other: str) -> None:
    assume(key != other)
    assert not verify_signature({**params, "sign": sign(params, key)}, other)


# -- text that is not valid Unicode ------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        '{"pid": 1, "nonce": "abc123", "sign": "\\ud800"}',
        '{"pid": 1, "nonce": "\\udfff", "sign": "d6eef2de79e39f434a38efb910213ba6"}',
        '{"pid": 1, "data": {"x": "\\ud83d"}, "sign": "d6eef2de79e39f434a38efb910213ba6"}',
        '{"\\ud800": 1, "sign": "d6eef2de79e39f434a38efb910213ba6"}',
    ],
    ids=["in-sign", "in-a-value", "nested", "in-a-key"],
)
def test_a_lone_surrogate_is_not_verified(body: str) -> None:
    assert verify_signature(body, DOC_KEY) is False
    assert verify_signature(body.encode(), DOC_KEY) is False
    assert verify_signature(json.loads(body), DOC_KEY) is False


def test_parse_callback_reads_a_lone_surrogate_sign_as_not_verified() -> None:
    body = (
        '{"pid": 1382528827416576, "cid": 1, "chain_id": "195", "token_id": "195", '
        '"currency": "195@195", "amount": "1.5", "address": "TX", "status": 1, '
        '"nonce": "abc123", "timestamp": 1688004243314, "sign": "\\ud800"}'
    )
    parsed = parse_callback(body, kind="deposit", api_key=DOC_KEY)
    assert parsed.verified is False
