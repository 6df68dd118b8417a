"""The sandbox's Team API: the seeded team, the header checks in order, the six endpoints.

Requests are signed here with the package's ``sign_team``; the sandbox checks them with its
own HMAC. The answers are checked against the registry's copy of ``team-endpoints.json`` field
by field (``tests/test_team_registry.py`` checks that copy against the shared facts).
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import logging
import re
import secrets
import shutil
import warnings
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from cregis_notebook import (
    AsyncTeamClient,
    CregisAPIError,
    CregisDataWarning,
    TeamClient,
    canonical_team_body,
    fetch_frame,
    registry,
    sign_team,
    to_frame,
)
from cregis_notebook import spec as spec_package
from cregis_notebook.errors import RegistryDataError
from cregis_notebook.sandbox import FakeClock, Sandbox, SandboxServer
from cregis_notebook.spec import Endpoint, Field, load_registry

NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z
TEAM = {ep.name: ep for ep in registry().team_endpoints}
FIRST_WALLET = 1385412968038400
DATA_DIR = Path(spec_package.__file__).parent / "data"
DECIMAL_TEXT = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def team_box(clock: FakeClock) -> Iterator[Sandbox]:
    box = Sandbox(seed=3, transactions=200, clock=clock)
    try:
        yield box
    finally:
        box.close()


@pytest.fixture
def team(team_box: Sandbox) -> Iterator[TeamClient]:
    client = team_box.client(client_class=TeamClient, retry=False)
    try:
        yield client
    finally:
        client.close()


# -- raw requests: headers made by hand -----------------------------------------------------------


def headers_for(
    box: Sandbox,
    path: str,
    text: str,
    *,
    stamp: int | None = None,
    nonce: str | None = None,
    key: str | None = None,
    secret: str | None = None,
) -> dict[str, str]:
    """The four ``Access-*`` headers of a request, signed with ``secret`` (the team's).

    ``nonce`` defaults to a fresh one, ``stamp`` to the sandbox clock's milliseconds.
    """
    stamp = int(box.clock() * 1000) if stamp is None else stamp
    nonce = secrets.token_hex(16) if nonce is None else nonce
    signature = sign_team(path, stamp, nonce, text, secret or box.team_access_secret)
    return {
        "Content-Type": "application/json; charset=utf-8",
        "Access-Key": box.team_access_key if key is None else key,
        "Access-Timestamp": str(stamp),
        "Access-Nonce": nonce,
        "Access-Signature": signature,
    }


def post(
    box: Sandbox, name: str, body: dict[str, Any] | None = None, **options: Any
) -> dict[str, Any]:
    """Sign and send one Team request in-process; returns the envelope (HTTP 200 asserted)."""
    path = TEAM[name].path
    text = canonical_team_body(body or {})
    headers = options.pop("headers", None) or headers_for(box, path, text, **options)
    response = box.handle("POST", path, headers, text.encode("utf-8"))
    assert response.status == 200, response.body
    envelope = response.json()
    assert set(envelope) == {"code", "msg", "data"}
    return envelope


def pages(client: TeamClient, name: str, **params: Any) -> list[dict[str, Any]]:
    """Every row of a Team listing, page by page through the client."""
    rows: list[dict[str, Any]] = []
    page = 1
    while True:
        data = client.request(name, page_num=page, page_size=100, **params).raise_for_code().data
        rows += data["rows"]
        if len(rows) >= data["total"]:
            return rows
        page += 1


# -- the six endpoints, and the team behind them --------------------------------------------------


def every_answer(client: TeamClient) -> dict[str, list[dict[str, Any]]]:
    """Every row of every Team endpoint, for every wallet (and chain, where one is needed)."""
    wallets = pages(client, "list_wallets")
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in TEAM}
    out["list_wallets"] = wallets
    for w in wallets:
        wid = w["wallet_id"]
        for chain_id in sorted({t["chain_id"] for t in w["tokens"]}):
            out["list_wallet_addresses"] += pages(
                client, "list_wallet_addresses", wallet_id=wid, chain_id=chain_id
            )
        for name in (
            "query_wallet_balance",
            "query_wallet_address_balance",
            "query_history_transactions",
            "query_processing_transactions",
        ):
            out[name] += pages(client, name, wallet_id=wid)
    return out


def test_every_team_endpoint_answers_through_the_team_client(team: TeamClient) -> None:
    answers = every_answer(team)
    assert {name for name, rows in answers.items() if not rows} == set()
    kinds = {w["walletType"] for w in answers["list_wallets"]}
    assert kinds == {"single_sign", "multi_sign"}
    chains = {t["chain_id"] for w in answers["list_wallets"] for t in w["tokens"]}
    assert len(chains) >= 3
    assert all(w["wallet_id"] <= 2**53 - 1 for w in answers["list_wallets"])
    assert answers["list_wallets"][0]["wallet_id"] == FIRST_WALLET


def _json_type_ok(field: Field, value: Any) -> bool:
    kind = field.type
    if kind in ("int", "timestamp", "enum_int"):
        if field.name == "block_height":  # documented as a decimal string
            return isinstance(value, str) and value.isdigit()
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "decimal":
        return isinstance(value, str) and DECIMAL_TEXT.fullmatch(value) is not None
    if kind == "array":
        return isinstance(value, list)
    return isinstance(value, str)


def _check_record(ep: Endpoint, record: dict[str, Any], prefix: str = "") -> set[str]:
    """Check one row (or nested item) against the registry; returns the fields it carried."""
    documented = {
        f.name[len(prefix) :]: f
        for f in ep.response_fields
        if f.name.startswith(prefix) and "." not in f.name[len(prefix) :]
    }
    undocumented = set(record) - set(documented)
    assert not undocumented, (ep.name, undocumented)
    missing = {k for k, f in documented.items() if not f.optional and k not in record}
    assert not missing, (ep.name, missing)
    seen = {prefix + k for k in record}
    for key, value in record.items():
        field = documented[key]
        assert value is not None, (ep.name, key)  # absent, never null
        assert _json_type_ok(field, value), (ep.name, key, value)
        if field.enum:
            assert value in field.enum_values, (ep.name, key, value)
        if field.type == "timestamp":
            assert field.unit == "s" and 10**9 <= value < 10**10, (ep.name, key, value)
        if field.type == "array":
            for item in value:
                seen |= _check_record(ep, item, f"{prefix}{key}[].")
    return seen


def test_every_answer_matches_team_endpoints_json_field_by_field(team: TeamClient) -> None:
    answers = every_answer(team)
    for name, rows in answers.items():
        ep = TEAM[name]
        seen: set[str] = set()
        for row in rows:
            seen |= _check_record(ep, row)
        # every documented field shows up somewhere (optional ones too)
        assert seen == {f.name for f in ep.response_fields}, (name, seen ^ set(ep.field_names))
    history = answers["query_history_transactions"]
    assert all(r["status"] == r["transaction_status"] for r in history)
    assert {r["transaction_type"] for r in history} == {1, 2}
    assert {r["transaction_status"] for r in history} == {1, 2}
    assert {r["fee"] for r in history if r["transaction_type"] == 1} == {"0"}
    processing = answers["query_processing_transactions"]
    assert {(r["transaction_type"], r["status"]) for r in processing} == {(1, 0)}


SHARED = Path(__file__).parents[1].parent / "shared/cregis-api/team-endpoints.json"


def check_against_shared(entry: dict[str, Any], record: dict[str, Any], prefix: str = "") -> set:
    """One row (or nested item) against a ``team-endpoints.json`` entry; the names it carried.

    Types as the shared file writes them: ``integer(int32|int64)`` (a JSON integer in range;
    with unit ``s``, 10 digits), ``string(decimal)`` (plain decimal text), ``string``,
    ``array<object>``; an ``enum`` lists every allowed value; ``required`` ones always come.
    """
    fields = {
        f["name"][len(prefix) :]: f
        for f in entry["response_fields"]
        if f["name"].startswith(prefix) and "." not in f["name"][len(prefix) :]
    }
    assert set(record) <= set(fields), (entry["name"], set(record) - set(fields))
    missing = {k for k, f in fields.items() if f["required"] and k not in record}
    assert not missing, (entry["name"], missing)
    seen = {prefix + k for k in record}
    for key, value in record.items():
        f = fields[key]
        kind, where = f["type"], (entry["name"], key, value)
        if kind.startswith("integer("):
            bits = 32 if kind == "integer(int32)" else 64
            assert isinstance(value, int) and not isinstance(value, bool), where
            assert -(2 ** (bits - 1)) <= value < 2 ** (bits - 1), where
            if f.get("unit") == "s":
                assert 10**9 <= value < 10**10, where
        elif kind == "string(decimal)":
            assert isinstance(value, str) and DECIMAL_TEXT.fullmatch(value), where
        elif kind == "array<object>":
            assert isinstance(value, list), where
            for item in value:
                seen |= check_against_shared(entry, item, f"{prefix}{key}[].")
        else:
            assert kind == "string" and isinstance(value, str), where
        if "enum" in f:
            assert value in f["enum"], where
    return seen


@pytest.mark.skipif(not SHARED.exists(), reason="shared/cregis-api not beside clone")
def test_every_answer_matches_the_shared_team_endpoints_json(team: TeamClient) -> None:
    doc = json.loads(SHARED.read_text(encoding="utf-8"))
    answers = every_answer(team)
    for entry in doc["endpoints"]:
        seen: set[str] = set()
        for row in answers[entry["name"]]:
            seen |= check_against_shared(entry, row)
        assert seen == {f["name"] for f in entry["response_fields"]}, entry["name"]


def test_the_page_fields_are_all_there_and_camel_case(team_box: Sandbox) -> None:
    envelope = post(team_box, "list_wallets", {"page_num": 2, "page_size": 3})
    data = envelope["data"]
    assert set(data) == {"total", "rows", "pageNum", "pageSize"}
    assert (data["total"], len(data["rows"]), data["pageNum"], data["pageSize"]) == (4, 1, 2, 3)
    past = post(team_box, "list_wallets", {"page_num": 9})["data"]
    assert past["rows"] == [] and past["total"] == 4 and past["pageSize"] == 10


def _units(text: str) -> Decimal:
    return Decimal(text)


def _replayed(history: list[dict[str, Any]], natives: dict[str, str]) -> dict[tuple, Decimal]:
    """``(address, chain, token) -> total`` by the documented balance rule, from the history."""
    totals: dict[tuple, Decimal] = {}
    for r in history:
        chain, token = r["chain_id"], r["token_id"]
        if r["transaction_type"] == 1:
            key = (r["to_address"], chain, token)
            if r["transaction_status"] == 1:
                totals[key] = totals.get(key, Decimal(0)) + _units(r["amount"])
        else:
            key = (r["from_address"], chain, token)
            if r["transaction_status"] == 1:
                totals[key] = totals.get(key, Decimal(0)) - _units(r["amount"])
            gas = (r["from_address"], chain, natives[chain])
            totals[gas] = totals.get(gas, Decimal(0)) - _units(r["fee"])
    return totals


def _check_balances(client: TeamClient) -> None:
    natives = {c.chain_id: c.token_id for c in registry().currencies if c.native}
    for w in pages(client, "list_wallets"):
        wid = w["wallet_id"]
        history = pages(client, "query_history_transactions", wallet_id=wid)
        processing = pages(client, "query_processing_transactions", wallet_id=wid)
        per_address = pages(client, "query_wallet_address_balance", wallet_id=wid)
        per_wallet = pages(client, "query_wallet_balance", wallet_id=wid)
        replayed = {k: v for k, v in _replayed(history, natives).items() if v}
        shown = {
            (r["address"], r["chain_id"], r["token_id"]): _units(r["total"]) for r in per_address
        }
        assert shown == replayed, wid
        in_flight: dict[tuple, Decimal] = {}
        for r in processing:
            key = (r["from_address"], r["chain_id"], r["token_id"])
            in_flight[key] = in_flight.get(key, Decimal(0)) + _units(r["amount"])
        sums: dict[tuple, list[Decimal]] = {}
        for r in per_address:
            key = (r["address"], r["chain_id"], r["token_id"])
            total, available = _units(r["total"]), _units(r["available"])
            processing_amount = _units(r["processing"])
            assert total == available + processing_amount and available >= 0
            assert processing_amount == in_flight.get(key, Decimal(0))
            cell = sums.setdefault((r["chain_id"], r["token_id"]), [Decimal(0)] * 3)
            for i, value in enumerate((total, available, processing_amount)):
                cell[i] += value
        wallet_level = {
            (r["chain_id"], r["token_id"]): [
                _units(r["total"]),
                _units(r["available"]),
                _units(r["processing"]),
            ]
            for r in per_wallet
        }
        assert wallet_level == sums, wid


def test_balances_follow_the_history_by_the_documented_rule(team: TeamClient) -> None:
    _check_balances(team)


def test_in_flight_sends_settle_as_the_sandbox_clock_passes(
    team_box: Sandbox, team: TeamClient, clock: FakeClock
) -> None:
    wid = FIRST_WALLET
    before = pages(team, "query_processing_transactions", wallet_id=wid)
    history_before = pages(team, "query_history_transactions", wallet_id=wid)
    assert before
    clock.advance(1)
    assert pages(team, "query_processing_transactions", wallet_id=wid) == before  # not yet
    clock.advance(team_box.knobs.team_settle_seconds)
    assert pages(team, "query_processing_transactions", wallet_id=wid) == []
    history = pages(team, "query_history_transactions", wallet_id=wid)
    assert len(history) == len(history_before) + len(before)
    settled = {r["txid"]: r for r in history if r["txid"] in {b["txid"] for b in before}}
    assert len(settled) == len(before)
    for row in before:
        done = settled[row["txid"]]
        assert (done["amount"], done["transaction_type"], done["status"]) == (row["amount"], 2, 1)
        assert NOW < done["block_time"] <= clock()
    _check_balances(team)


def _counts(client: TeamClient) -> tuple[int, int]:
    """``(history rows, processing rows)`` over every wallet."""
    history = processing = 0
    for w in pages(client, "list_wallets"):
        wid = w["wallet_id"]
        history += client.request("query_history_transactions", wallet_id=wid).data["total"]
        processing += client.request("query_processing_transactions", wallet_id=wid).data["total"]
    return history, processing


def test_live_mode_transfers_arrive_and_settle_on_the_sandbox_clock(clock: FakeClock) -> None:
    box = Sandbox(seed=8, transactions=10, clock=clock, team_live_rate=2, team_settle_seconds=30)
    with box.client(client_class=TeamClient) as client:
        start_history, start_processing = _counts(client)
        assert _counts(client) == (start_history, start_processing)  # nothing without time
        clock.advance(20)  # 40 arrivals; the sends among them are in flight
        history, processing = _counts(client)
        assert history + processing == start_history + start_processing + 40
        assert processing > 0
        _check_balances(client)
        clock.advance(31)  # every send so far has settled; 62 more arrived meanwhile
        history, processing = _counts(client)
        assert history + processing == start_history + start_processing + 102
        _check_balances(client)
        seen = every_answer(client)
    # the same seed, asked at other moments, ends the same
    twin_clock = FakeClock(NOW)
    twin = Sandbox(
        seed=8, transactions=10, clock=twin_clock, team_live_rate=2, team_settle_seconds=30
    )
    with twin.client(client_class=TeamClient) as other:
        twin_clock.advance(51)
        assert every_answer(other) == seen


def test_the_team_is_the_same_for_the_same_seed(clock: FakeClock) -> None:
    def snapshot(seed: int) -> Any:
        box = Sandbox(seed=seed, transactions=10, clock=clock)
        with box.client(client_class=TeamClient) as client:
            return every_answer(client)

    assert snapshot(5) == snapshot(5)
    assert snapshot(5)["list_wallets"] != snapshot(6)["list_wallets"]


def test_filters_and_the_unknown_wallet(team: TeamClient) -> None:
    history = pages(team, "query_history_transactions", wallet_id=FIRST_WALLET)
    sends = pages(team, "query_history_transactions", wallet_id=FIRST_WALLET, transaction_type=2)
    assert sends and {r["transaction_type"] for r in sends} == {2}
    assert len(sends) == sum(r["transaction_type"] == 2 for r in history)
    middle = sorted(r["block_time"] for r in history)[len(history) // 2]
    window = pages(
        team,
        "query_history_transactions",
        wallet_id=FIRST_WALLET,
        blocktime_start=middle,
        blocktime_end=middle,
    )
    assert window and {r["block_time"] for r in window} == {middle}  # both bounds inclusive
    one = pages(team, "query_history_transactions", wallet_id=FIRST_WALLET, txid=history[0]["txid"])
    assert one == [history[0]]
    trx = pages(team, "query_wallet_balance", wallet_id=FIRST_WALLET, chain_id="195")
    assert trx and {r["chain_id"] for r in trx} == {"195"}
    rows = pages(team, "query_wallet_address_balance", wallet_id=FIRST_WALLET)
    low = sorted(Decimal(r["available"]) for r in rows)[len(rows) // 2]
    kept = pages(team, "query_wallet_address_balance", wallet_id=FIRST_WALLET, minimum_balance=low)
    assert kept and all(Decimal(r["available"]) >= low for r in kept)
    assert any(Decimal(r["available"]) == low for r in kept)  # inclusive
    with pytest.raises(CregisAPIError) as missing:
        team.request("query_wallet_balance", wallet_id=FIRST_WALLET + 1).raise_for_code()
    assert missing.value.code == "E0010"


# -- the header checks, in their documented order -------------------------------------------------

WALLETS = TEAM["list_wallets"].path


@pytest.mark.parametrize(
    "header", ["Access-Key", "Access-Timestamp", "Access-Nonce", "Access-Signature"]
)
def test_1_a_missing_header_is_named(team_box: Sandbox, header: str) -> None:
    headers = headers_for(team_box, WALLETS, "{}")
    del headers[header]
    envelope = post(team_box, "list_wallets", headers=headers)
    assert envelope["code"] == "A0001" and header in envelope["msg"]
    assert envelope["data"] is None


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"Access-Timestamp": "1767225600000.0"}, "Access-Timestamp"),
        ({"Access-Nonce": "short"}, "Access-Nonce"),
        ({"Access-Nonce": "n" * 65}, "Access-Nonce"),
    ],
)
def test_1_a_malformed_header_is_named(
    team_box: Sandbox, change: dict[str, str], named: str
) -> None:
    headers = {**headers_for(team_box, WALLETS, "{}"), **change}
    envelope = post(team_box, "list_wallets", headers=headers)
    assert envelope["code"] == "A0002" and named in envelope["msg"]


def test_2_an_unknown_key_is_o0015_before_the_signature(team_box: Sandbox) -> None:
    # signed with the wrong secret too: the key is checked first
    envelope = post(team_box, "list_wallets", key="ak-somebody-else", secret="wrong")
    assert envelope == {
        "code": "O0015",
        "msg": "API Key does not exist or status is anomalous",
        "data": None,
    }


def test_3_a_bad_signature_is_b0001_before_the_timestamp(team_box: Sandbox) -> None:
    stale = int((NOW - 3600) * 1000)
    envelope = post(team_box, "list_wallets", secret="not-the-secret", stamp=stale)
    assert (envelope["code"], envelope["msg"]) == ("B0001", "Signature Error")


def test_3_the_bytes_sent_must_be_the_bytes_signed(team_box: Sandbox) -> None:
    headers = headers_for(team_box, WALLETS, '{"page_size":5}')
    response = team_box.handle("POST", WALLETS, headers, b'{"page_size": 5}')
    assert response.json()["code"] == "B0001"  # the same JSON, other bytes
    response = team_box.handle("POST", WALLETS, headers, b'{"page_size":5}')
    assert response.json()["code"] == "00000"
    upper = {**headers_for(team_box, WALLETS, "{}", nonce="f" * 32)}
    upper["Access-Signature"] = upper["Access-Signature"].upper()
    assert post(team_box, "list_wallets", headers=upper)["code"] == "00000"  # hex case ignored


@pytest.mark.parametrize("offset", [-301, 301])
def test_4_a_stale_or_early_timestamp_is_s0401_before_the_nonce(
    team_box: Sandbox, offset: int
) -> None:
    nonce = "a" * 32
    assert post(team_box, "list_wallets", nonce=nonce)["code"] == "00000"
    stamp = int((NOW + offset) * 1000)
    envelope = post(team_box, "list_wallets", nonce=nonce, stamp=stamp)  # reused, and stale
    assert envelope["code"] == "S0401" and "300 s" in envelope["msg"]
    inside = int((NOW + (299 if offset > 0 else -299)) * 1000)
    assert post(team_box, "list_wallets", stamp=inside, nonce="b" * 32)["code"] == "00000"


def test_5_a_nonce_reused_within_the_window_is_s0402(team_box: Sandbox, clock: FakeClock) -> None:
    nonce = "c" * 16
    assert post(team_box, "list_wallets", nonce=nonce)["code"] == "00000"
    clock.advance(200)
    again = post(team_box, "list_wallets", nonce=nonce)
    assert again["code"] == "S0402" and again["data"] is None
    assert post(team_box, "list_wallets", nonce=nonce.upper())["code"] == "00000"  # case counts
    clock.advance(301)  # the first use is older than the window: its timestamp would be stale
    assert post(team_box, "list_wallets", nonce=nonce)["code"] == "00000"


def test_5_a_refused_request_does_not_use_up_its_nonce(team_box: Sandbox) -> None:
    nonce = "d" * 40
    assert post(team_box, "list_wallets", nonce=nonce, secret="wrong")["code"] == "B0001"
    assert post(team_box, "list_wallets", nonce=nonce, key="other")["code"] == "O0015"
    assert post(team_box, "list_wallets", nonce=nonce)["code"] == "00000"
    # a request that passed the header checks uses it, even when its parameters are refused
    bad = post(team_box, "list_wallets", {"page_size": 101}, nonce="e" * 40)
    assert bad["code"] == "A0003"
    assert post(team_box, "list_wallets", nonce="e" * 40)["code"] == "S0402"


@pytest.mark.parametrize(
    ("name", "body", "code", "named"),
    [
        ("query_wallet_balance", {}, "A0001", "wallet_id"),
        ("list_wallet_addresses", {"wallet_id": FIRST_WALLET}, "A0001", "chain_id"),
        ("query_wallet_balance", {"wallet_id": str(FIRST_WALLET)}, "A0002", "wallet_id"),
        ("list_wallets", {"page_num": 0}, "A0003", "page_num"),
        ("list_wallets", {"page_size": 101}, "A0003", "page_size"),
        ("list_wallets", {"wallet_type": "triple_sign"}, "A0003", "wallet_type"),
        (
            "query_wallet_address_balance",
            {"wallet_id": FIRST_WALLET, "minimum_balance": 5},
            "A0002",
            "minimum_balance",
        ),
        (
            "query_history_transactions",
            {"wallet_id": FIRST_WALLET, "transaction_status": 3},
            "A0003",
            "transaction_status",
        ),
    ],
)
def test_then_the_parameters_as_the_registry_says(
    team_box: Sandbox, name: str, body: dict[str, Any], code: str, named: str
) -> None:
    envelope = post(team_box, name, body)
    assert envelope["code"] == code and named in envelope["msg"], envelope


def test_the_path_and_the_method_come_first(team_box: Sandbox) -> None:
    response = team_box.handle("GET", WALLETS, headers_for(team_box, WALLETS, "{}"), b"{}")
    assert response.status == 405 and response.json()["code"] == "A0006"
    response = team_box.handle("POST", "/openapi/v1/nothing", {}, b"{}")
    assert response.status == 404 and response.json()["code"] == "A0005"
    for text in ("[1]", "{not json"):  # signed, so the headers pass: then the body is read
        headers = headers_for(team_box, WALLETS, "{}")
        message = f"{WALLETS}\n{headers['Access-Timestamp']}\n{headers['Access-Nonce']}\n{text}"
        headers["Access-Signature"] = hmac.new(
            team_box.team_access_secret.encode(), message.encode(), hashlib.sha256
        ).hexdigest()
        response = team_box.handle("POST", WALLETS, headers, text.encode())
        assert response.status == 400 and response.json()["code"] == "A0004"


# -- the client against it ------------------------------------------------------------------------


class LoseFirstAnswer(httpx.BaseTransport):
    """Passes each request to the sandbox, but loses the first answer (the request arrived)."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.sandbox = getattr(inner, "sandbox", None)
        self.sent: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        response = self.inner.handle_request(request)
        if len(self.sent) == 1:
            raise httpx.ReadError("connection reset after the request was read", request=request)
        return response


def test_a_retry_is_signed_afresh_so_the_sandbox_accepts_it(
    team_box: Sandbox, clock: FakeClock
) -> None:
    transport = LoseFirstAnswer(team_box.transport())
    client = TeamClient(
        team_box.base_url,
        team_box.team_access_key,
        team_box.team_access_secret,
        transport=transport,
        clock=clock,
        sleep=clock.sleep,
    )
    envelope = client.request("list_wallets")
    assert envelope.ok and envelope.attempts == 2, (envelope.code, envelope.msg)
    first, second = transport.sent
    assert first.headers["Access-Nonce"] != second.headers["Access-Nonce"]
    assert int(second.headers["Access-Timestamp"]) > int(first.headers["Access-Timestamp"])
    assert first.content == second.content


def test_fetch_frame_pages_pins_dedupes_and_types(team: TeamClient, clock: FakeClock) -> None:
    total = team.request("query_history_transactions", wallet_id=FIRST_WALLET).data["total"]
    df = fetch_frame(
        team, "query_history_transactions", wallet_id=FIRST_WALLET, page_size=7, progress=False
    )
    assert len(df) == total and df["txid"].is_unique
    assert df.attrs["pinned"] == {"blocktime_end": int(clock()) - 1}
    assert "status" not in df.columns  # one status column: transaction_status
    assert set(df["transaction_status_label"]) == {"success", "failed"}
    assert str(df["wallet_id"].dtype) == "Int64"
    assert str(df["block_time"].dtype) == "datetime64[ms, UTC]"
    assert all(isinstance(v, Decimal) for v in df["amount"])
    assert set(df["code"]) == {"00000"}
    wallets = fetch_frame(team, "list_wallets", page_size=3, progress=False)
    assert len(wallets) == 4 and wallets["wallet_id"].is_unique


def test_the_async_team_client_on_the_sandbox(clock: FakeClock) -> None:
    import asyncio

    async def run() -> Any:
        client = AsyncTeamClient.sandbox(seed=3, clock=clock, transactions=10)
        async with client:
            assert client.sandbox_app is not None
            return await client.request("list_wallets")

    assert asyncio.run(run()).data["total"] == 4


def test_team_client_sandbox_splits_options_from_knobs(clock: FakeClock) -> None:
    client = TeamClient.sandbox(seed=2, clock=clock, team_wallets=2, timeout=3.0, retry=False)
    box = client.sandbox_app
    assert isinstance(box, Sandbox) and box.seed == 2 and box.knobs.team_wallets == 2
    assert client.timeout == 3.0 and client.retry.attempts == 1
    assert client.access_key == box.team_access_key
    assert client.request("list_wallets").data["total"] == 2


def test_over_http_every_endpoint_and_a_fetch(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="cregis_notebook")
    box = Sandbox(seed=4, transactions=10)
    with SandboxServer(box, host="127.0.0.1", port=0, close_sandbox=True) as server:
        client = TeamClient(server.base_url, box.team_access_key, box.team_access_secret)
        with client:
            assert client.probe_sandbox()  # /_sandbox/info names the team's key
            answers = every_answer(client)
            assert all(answers.values())
            df = fetch_frame(client, "query_wallet_address_balance", wallet_id=FIRST_WALLET)
            assert len(df) == len(answers["query_wallet_address_balance"][: len(df)]) > 0
            wrong = TeamClient(server.base_url, "ak-nobody", "x" * 12, retry=False)
            with wrong:
                assert wrong.request("list_wallets").code == "O0015"
    assert box.team_access_secret not in caplog.text


def test_the_secret_stays_out_of_reprs_and_info(team_box: Sandbox, team: TeamClient) -> None:
    secret = team_box.team_access_secret
    info = team_box.handle("GET", "/_sandbox/info").json()["data"]
    assert info["team_access_key"] == team_box.team_access_key
    refusals = [
        post(team_box, "list_wallets", **bad)["msg"]
        for bad in ({"secret": "wrong"}, {"key": secret}, {"stamp": 1})
    ]
    with pytest.raises(CregisAPIError) as raised:
        team.query_wallet_balance(wallet_id=FIRST_WALLET + 1)
    texts = [repr(team), repr(team_box), repr(team_box.knobs), json.dumps(info), *refusals]
    texts += [str(raised.value), repr(raised.value.args)]
    assert not [t for t in texts if secret in t]
    custom = Sandbox(team_access_secret="s3cr3t-value-x", transactions=10)
    assert "s3cr3t-value-x" not in repr(custom.knobs)


# -- the generated helpers ------------------------------------------------------------------------


class Counting(httpx.BaseTransport):
    """The sandbox's transport, counting what reaches it."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.sandbox = getattr(inner, "sandbox", None)
        self.count = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.count += 1
        return self.inner.handle_request(request)


HELPER_CALLS: list[tuple[str, dict[str, Any]]] = [
    ("list_wallets", {"wallet_type": "multi_sign"}),
    ("list_wallet_addresses", {"wallet_id": FIRST_WALLET, "chain_id": "195"}),
    ("query_wallet_balance", {"wallet_id": FIRST_WALLET}),
    ("query_wallet_address_balance", {"wallet_id": FIRST_WALLET, "minimum_balance": "1"}),
    ("query_history_transactions", {"wallet_id": FIRST_WALLET, "transaction_type": 1}),
    ("query_processing_transactions", {"wallet_id": FIRST_WALLET}),
]


@pytest.mark.parametrize(("name", "params"), HELPER_CALLS)
def test_each_team_helper_returns_the_data_of_its_endpoint(
    team: TeamClient, name: str, params: dict[str, Any]
) -> None:
    assert TEAM[name].helper == name
    data = getattr(team, name)(**params)
    assert data == team.request(name, **params).raise_for_code().data
    assert data["rows"]


def test_team_helpers_belong_to_the_team_clients_only(team: TeamClient) -> None:
    from cregis_notebook import AsyncClient, Client

    for name in TEAM:
        assert callable(getattr(TeamClient, name)) and callable(getattr(AsyncTeamClient, name))
        assert not hasattr(Client, name) and not hasattr(AsyncClient, name)
    assert not hasattr(TeamClient, "trade_page")


@pytest.mark.parametrize("name", [n for n in TEAM if n != "list_wallets"])
def test_a_helper_refuses_a_wallet_id_beyond_2_53_before_sending(
    team_box: Sandbox, name: str
) -> None:
    from cregis_notebook import CregisValidationError

    transport = Counting(team_box.transport())
    client = TeamClient(
        team_box.base_url,
        team_box.team_access_key,
        team_box.team_access_secret,
        transport=transport,
        clock=team_box.clock,
    )
    extra = {"chain_id": "195"} if name == "list_wallet_addresses" else {}
    with pytest.raises(CregisValidationError, match=r"wallet_id is 9007199254740992.*nothing"):
        getattr(client, name)(wallet_id=2**53, **extra)
    assert transport.count == 0
    assert getattr(client, name)(wallet_id=FIRST_WALLET, **extra)["pageNum"] == 1
    assert transport.count == 1


# -- one status column, whichever key the answer uses ---------------------------------------------


def _history_page(**row_changes: Any) -> dict[str, Any]:
    page = copy.deepcopy(TEAM["query_history_transactions"].response_example)
    row = page["data"]["rows"][0]
    for key, value in row_changes.items():
        if value is None:
            row.pop(key)
        else:
            row[key] = value
    return page


@pytest.mark.parametrize(
    "changes",
    [{}, {"status": None}, {"transaction_status": None}, {"transaction_status": None, "status": 2}],
)
def test_a_frame_reads_either_status_key_into_one_column(changes: dict[str, Any]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frame = to_frame(_history_page(**changes), "query_history_transactions")
    assert "status" not in frame.columns and "status_label" not in frame.columns
    expected = changes.get("status") or 1
    assert frame["transaction_status"].tolist() == [expected]
    assert frame["transaction_status_label"].tolist() == ["success" if expected == 1 else "failed"]


def test_two_status_keys_that_disagree_keep_both_and_warn() -> None:
    with pytest.warns(CregisDataWarning, match="transaction_status 1 and status 2 disagree"):
        frame = to_frame(_history_page(status=2), "query_history_transactions")
    assert frame["transaction_status"].tolist() == [1]
    assert frame["status"].tolist() == [2]


def test_alias_of_must_name_a_field_of_the_same_type(tmp_path: Path) -> None:
    for source in DATA_DIR.glob("*.json"):
        shutil.copy(source, tmp_path / source.name)
    path = tmp_path / "team_endpoints.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    history = next(e for e in doc["endpoints"] if e["name"] == "query_history_transactions")
    status = next(f for f in history["response_fields"] if f["name"] == "status")
    assert status["alias_of"] == "transaction_status"
    status["alias_of"] = "amount"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(RegistryDataError, match="alias_of"):
        load_registry(tmp_path)


class AdvanceAfterFirstPage(httpx.BaseTransport):
    """The sandbox's transport; after the first answer the clock jumps (transfers settle)."""

    def __init__(self, box: Sandbox, clock: FakeClock, seconds: float) -> None:
        self.inner = box.transport()
        self.sandbox = box
        self.clock, self.seconds = clock, seconds
        self.answered = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        self.answered += 1
        if self.answered == 1:
            self.clock.advance(self.seconds)
        return response


@pytest.mark.parametrize("pin", [True, False])
def test_a_fetch_while_transfers_settle_is_pinned_or_deduplicated(
    team_box: Sandbox, clock: FakeClock, pin: bool
) -> None:
    settled_later = {
        r["txid"]
        for r in post(team_box, "query_processing_transactions", {"wallet_id": FIRST_WALLET})[
            "data"
        ]["rows"]
    }
    before = post(
        team_box, "query_history_transactions", {"wallet_id": FIRST_WALLET, "page_size": 100}
    )["data"]
    transport = AdvanceAfterFirstPage(team_box, clock, team_box.knobs.team_settle_seconds + 1)
    client = TeamClient(
        team_box.base_url,
        team_box.team_access_key,
        team_box.team_access_secret,
        transport=transport,
        clock=clock,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unpinned, the total grows under the fetch
        df = fetch_frame(
            client,
            "query_history_transactions",
            wallet_id=FIRST_WALLET,
            page_size=7,
            pin=pin,
            concurrency=1,
            progress=False,
        )
    assert df["txid"].is_unique
    assert set(df["txid"]) == {r["txid"] for r in before["rows"]}
    assert not set(df["txid"]) & settled_later  # settled after the first page, above it
    if pin:  # the window ends before the fetch began: the pages never shift
        assert df.attrs["duplicates"] == 0
    else:  # the settled rows pushed the rest down: what came twice is kept once
        assert df.attrs["duplicates"] == len(settled_later) > 0
