"""Team API signatures: the shared vector, one vector per endpoint, and openssl's own answer."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from cregis_notebook import (
    CregisValidationError,
    canonical_team_body,
    registry,
    sign_team,
    team_string_to_sign,
    verify_team_signature,
)

SECRET = "team-secret"
TEAM = {ep.name: ep for ep in registry().team_endpoints}

# TEAM-API.md section 2.7 (b): (endpoint, timestamp, nonce, canonical body, signature)
ENDPOINT_VECTORS = [
    (
        "list_wallets",
        1767225600000,
        "3f2b9c1d4e5a60718293a4b5c6d7e8f9",
        '{"page_num":1,"page_size":10,"wallet_type":"single_sign"}',
        "901f98381130c2ed83ca9991ea7c63903115a27397e7bbe392e34363ca02cb13",
    ),
    (
        "list_wallet_addresses",
        1767225601000,
        "a1b2c3d4e5f60718293a4b5c6d7e8f90",
        '{"chain_id":"195","page_num":1,"page_size":10,"wallet_id":1385412968038400}',
        "1158f0a2e915e5e154385c19a4e284cc97204eeef476662fa7e1c3016136096b",
    ),
    (
        "query_wallet_balance",
        1767225602000,
        "0c1d2e3f405162738495a6b7c8d9eafb",
        '{"chain_id":"195","wallet_id":1385412968038400}',
        "e66020ad3b20dd06307044001a8c2f69e8dc88d76e7b775b9ff3bdba1247445e",
    ),
    (
        "query_wallet_address_balance",
        1767225603000,
        "9e8d7c6b5a4f30211203f4e5d6c7b8a9",
        '{"chain_id":"195","maximum_balance":"1000","minimum_balance":"1","page_num":1,'
        '"page_size":20,"token_id":"TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t","wallet_id":1385412968038400}',
        "d18e7bbec43025543728f67b3fd40feaec4525c3d3015aa263c8049377a963e3",
    ),
    (
        "query_history_transactions",
        1767225604000,
        "5d4c3b2a19081726354453627180f9e8",
        '{"blocktime_end":1767225599,"blocktime_start":1767139200,"chain_id":"195","page_num":1,'
        '"page_size":10,"token_id":"TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t","transaction_status":1,'
        '"transaction_type":1,"wallet_id":1385412968038400}',
        "a0e4e849bccc9230c42758e510e41123ed4eb67b1ba4a3e4c809ae949c73dbcd",
    ),
    (
        "query_processing_transactions",
        1767225605000,
        "f0e1d2c3b4a5968778695a4b3c2d1e0f",
        '{"page_num":1,"page_size":10,"wallet_id":1385412968038400}',
        "e01cff334dbec6fc6b967840aa2dfb079b678b26e0db8f96588ac0fbb37f57cd",
    ),
]


def test_the_shared_sdk_vector() -> None:
    body = '{"name":"Demo Team"}'
    signature = "cef9805fa4ee7bf9376b140153c5e3f80e74e4f950eb6f92ef780fa42aa44289"
    args = ("/openapi/team/profile", 1717380000000, "9f7c6a2b47e34f19")
    assert sign_team(*args, body, SECRET) == signature
    assert sign_team(*args, {"name": "Demo Team"}, SECRET) == signature
    assert sign_team(args[0], "1717380000000", args[2], body, SECRET) == signature
    assert team_string_to_sign(*args, body) == (
        '/openapi/team/profile\n1717380000000\n9f7c6a2b47e34f19\n{"name":"Demo Team"}'
    )
    assert verify_team_signature(*args, body, signature, SECRET)


@pytest.mark.parametrize(("name", "timestamp", "nonce", "canonical", "signature"), ENDPOINT_VECTORS)
def test_every_endpoint_vector(
    name: str, timestamp: int, nonce: str, canonical: str, signature: str
) -> None:
    ep = TEAM[name]
    body = dict(ep.request_example)  # the registry's example request, in its own key order
    assert canonical_team_body(body) == canonical
    assert canonical_team_body(dict(reversed(body.items()))) == canonical
    assert sign_team(ep.path, timestamp, nonce, body, SECRET) == signature
    assert sign_team(ep.path, timestamp, nonce, canonical, SECRET) == signature
    assert verify_team_signature(ep.path, timestamp, nonce, canonical.encode(), signature, SECRET)
    assert not verify_team_signature(ep.path, timestamp, nonce, canonical, signature, "other")


def test_the_empty_body_and_the_canonical_form() -> None:
    nonce = "00112233445566778899aabbccddeeff"
    signature = "cf729950d0a280793847b45d7eb0a0a6bb268c972f4eb6a27200abbdef122077"
    assert sign_team("/openapi/v1/wallets", 1767225606000, nonce, {}, SECRET) == signature
    assert sign_team("/openapi/v1/wallets", 1767225606000, nonce, "{}", SECRET) == signature
    loose = '{ "wallet_id": 1385412968038400, "page_size": 20,\n  "chain_id": "195" }'
    assert canonical_team_body(loose) == (
        '{"chain_id":"195","page_size":20,"wallet_id":1385412968038400}'
    )
    assert canonical_team_body({"b": 'é/"', "a": 1}) == '{"a":1,"b":"é/\\""}'


def _openssl_hmac(message: str, key: str) -> str:
    done = subprocess.run(
        ["openssl", "dgst", "-sha256", "-hmac", key],
        input=message.encode("utf-8"),
        capture_output=True,
        check=True,
    )
    return done.stdout.decode().strip().split()[-1]


OWN_VECTORS = [
    # (path, timestamp, nonce, body, canonical text written out here, secret)
    (
        "/openapi/v1/wallet_address_balance",
        1780000000123,
        "a" * 16,
        {"wallet_id": 9007199254740991, "address": 'Tr\u00e9sor/"main"', "chain_id": "195"},
        '{"address":"Tr\u00e9sor/\\"main\\"","chain_id":"195","wallet_id":9007199254740991}',
        "s3cr\u00eat key",
    ),
    (
        "/openapi/v1/wallet_history_transaction_info",
        1,
        "0123456789abcdef" * 4,
        {"transaction_type": 2, "wallet_id": -9007199254740991, "txid": "\u65e5\u672c"},
        '{"transaction_type":2,"txid":"\u65e5\u672c","wallet_id":-9007199254740991}',
        "x",
    ),
    (
        "/openapi/v1/wallets",
        1767225600000,
        "n-o-n-c-e-17char",
        {"wallet_type": "multi_sign", "page_size": 100, "page_num": 7},
        '{"page_num":7,"page_size":100,"wallet_type":"multi_sign"}',
        "team-secret",
    ),
]


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
@pytest.mark.parametrize(("path", "timestamp", "nonce", "body", "canonical", "secret"), OWN_VECTORS)
def test_own_vectors_agree_with_openssl(
    path: str, timestamp: int, nonce: str, body: dict[str, object], canonical: str, secret: str
) -> None:
    message = f"{path}\n{timestamp}\n{nonce}\n{canonical}"
    expected = _openssl_hmac(message, secret)
    assert len(expected) == 64
    assert canonical_team_body(body) == canonical
    assert sign_team(path, timestamp, nonce, body, secret) == expected
    assert verify_team_signature(path, timestamp, nonce, body, expected.upper(), secret)


@pytest.mark.parametrize("wallet_id", [2**53, -(2**53), 11434198045401088])
def test_a_wallet_id_beyond_2_53_is_refused_with_a_clear_error(wallet_id: int) -> None:
    body = {"wallet_id": wallet_id, "page_num": 1}
    with pytest.raises(CregisValidationError, match="9007199254740991") as caught:
        sign_team("/openapi/v1/wallet_balance", 1767225600000, "a" * 32, body, SECRET)
    assert caught.value.param == "wallet_id"
    assert str(wallet_id) in str(caught.value) and "wallet_id" in str(caught.value)
    assert SECRET not in repr(caught.value.args)
    with pytest.raises(CregisValidationError, match="wallet_id"):
        canonical_team_body(f'{{"wallet_id":{wallet_id}}}')
    assert not verify_team_signature(
        "/openapi/v1/wallet_balance", 1767225600000, "a" * 32, body, "0" * 64, SECRET
    )


@pytest.mark.parametrize(
    ("path", "timestamp", "nonce", "body", "secret", "message"),
    [
        ("openapi/v1/wallets", 1, "a" * 16, {}, SECRET, "path"),
        ("/openapi/v1/wallets?x=1", 1, "a" * 16, {}, SECRET, "path"),
        ("/openapi/v1/wallets", 0, "a" * 16, {}, SECRET, "timestamp"),
        ("/openapi/v1/wallets", "12a", "a" * 16, {}, SECRET, "timestamp"),
        ("/openapi/v1/wallets", True, "a" * 16, {}, SECRET, "timestamp"),
        ("/openapi/v1/wallets", 1, "a" * 15, {}, SECRET, "nonce"),
        ("/openapi/v1/wallets", 1, "a" * 65, {}, SECRET, "nonce"),
        ("/openapi/v1/wallets", 1, "a" * 16, '{"b":1, "a":2}', SECRET, "not RFC 8785"),
        ("/openapi/v1/wallets", 1, "a" * 16, "[1]", SECRET, "JSON object"),
        ("/openapi/v1/wallets", 1, "a" * 16, {"x": 1.5e400}, SECRET, "RFC 8785"),
        ("/openapi/v1/wallets", 1, "a" * 16, {}, " ", "Access Secret"),
    ],
)
def test_what_cannot_be_signed_is_refused(
    path: str, timestamp: object, nonce: str, body: object, secret: str, message: str
) -> None:
    with pytest.raises(CregisValidationError, match=message):
        sign_team(path, timestamp, nonce, body, secret)  # type: ignore[arg-type]


def test_the_verifier_says_no_to_tampering() -> None:
    name, timestamp, nonce, canonical, signature = ENDPOINT_VECTORS[0]
    path = TEAM[name].path
    assert verify_team_signature(path, timestamp, nonce, canonical, signature, SECRET)
    spaced = '{"page_size": 10, "wallet_type": "single_sign", "page_num": 1}'
    assert verify_team_signature(path, timestamp, nonce, spaced, signature, SECRET)
    assert not verify_team_signature(path, timestamp + 1, nonce, canonical, signature, SECRET)
    assert not verify_team_signature(path, timestamp, nonce[::-1], canonical, signature, SECRET)
    assert not verify_team_signature(
        "/openapi/v1/x", timestamp, nonce, canonical, signature, SECRET
    )
    assert not verify_team_signature(path, timestamp, nonce, "{}", signature, SECRET)
    assert not verify_team_signature(path, timestamp, nonce, b"\xff", signature, SECRET)
    assert not verify_team_signature(path, timestamp, nonce, canonical, signature[:-1], SECRET)
    assert not verify_team_signature(path, timestamp, nonce, canonical, "z" * 64, SECRET)
