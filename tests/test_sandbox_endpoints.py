"""Every registry endpoint answers as SPEC.md documents it, in-process and over real HTTP."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

import httpx
import pytest
from conftest import call, raw_post
from vectors import DOC_PARAMS, DOC_SIGN

from cregis_notebook import AsyncClient, Client
from cregis_notebook.sandbox import DEFAULT_API_KEY, DEFAULT_PID, FakeClock, Sandbox, SandboxServer
from cregis_notebook.spec import Endpoint, registry

TRON_PAYEE = "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS"  # the docs' example address


def _examples(target: Sandbox | str) -> dict[str, Any]:
    if isinstance(target, Sandbox):
        return json.loads(json.dumps(target.examples()))
    status, info = raw_post(target, "/_sandbox/info", b"", method="GET")
    assert status == 200
    return info["data"]["examples"]


def _deposit(target: Sandbox | str, address: str, currency: str, amount: str) -> None:
    body = json.dumps({"address": address, "currency": currency, "amount": amount}).encode()
    status, envelope = raw_post(target, "/_sandbox/deposit", body)
    assert status == 200 and envelope["code"] == "00000", envelope


def run_every_endpoint(target: Sandbox | str) -> dict[str, dict[str, Any]]:
    """Call every endpoint of the registry once with valid parameters; envelopes by name."""
    tag = uuid.uuid4().hex[:12]
    ex = _examples(target)
    out: dict[str, dict[str, Any]] = {}

    def go(name: str, **params: Any) -> Any:
        envelope = call(target, name, params)
        out[name] = envelope
        assert envelope["code"] == "00000", (name, envelope)
        return envelope["data"]

    go("project_coins")
    go("trade_page", page_size=5)
    address = go(
        "address_create", chain_id="195", alias="demo", callback_url="http://127.0.0.1:9/c"
    )["address"]
    go("address_batch_create", chain_id="60", number=3, alias="batch")
    go("address_inner", address=address, chain_id="195")
    go("address_legal", address=TRON_PAYEE, chain_id="195")
    go("address_update", address=address, alias="renamed")
    _deposit(target, address, "195@195", "250")
    go("sub_address_balance", currency="195@195", address=address)
    go("sub_address_balance_v2", address=address)
    go(
        "address_collection",
        currency="195@195",
        from_address=address,
        to_address=ex["wallet_addresses"]["195"],
        amount="10",
    )
    payout = go(
        "payout_create_v1",
        currency="195@195",
        address=TRON_PAYEE,
        amount="1.1",
        third_party_id=f"p1-{tag}",
        remark="payout",
    )
    go(
        "payout_create_v2",
        currency="144@144",
        to_address="rn5Jyu5J6PG64543KdGvS25rQBYFQo7GLc",
        amount="1.1",
        memo="123",
        third_party_id=f"p2-{tag}",
    )
    go("payout_query", cid=payout["cid"])
    withdrawal = go(
        "sub_address_withdrawal_create",
        currency="195@195",
        from_address=address,
        to_address=TRON_PAYEE,
        amount="5",
        third_party_id=f"w-{tag}",
    )
    go("sub_address_withdrawal_query", cid=withdrawal["cid"])
    order = go(
        "checkout_create_v2",
        order_id=f"o2-{tag}",
        order_amount="5",
        order_currency="USD",
        payer_id="payer001",
        valid_time=60,
        success_url="https://success.merchant.com",
        cancel_url="https://cancel.merchant.com",
        tokens='["USDT-TRC20","USDT-BEP20"]',
        order_details='{"items":[{"item_id":"1","item_name":"Tea","item_price":5,'
        '"item_quantity":1,"price_currency":"USD"}],"shopping_cost":0,"tax_cost":0}',
        sub_merchant='{"sub_merchant_id":"m1","sub_merchant_name":"Shop"}',
        underpaid_tolerance=0.1,
    )
    go("order_info_v2", cregis_id=order["cregis_id"])
    old = go("order_create_v1", order_id=f"o1-{tag}", order_amount="100", order_currency="CNY")
    go("order_info_v1", cregis_id=old["cregis_id"])
    legacy = go(
        "deposit_create",
        currency="195@195",
        amount="1.2",
        callback_url="http://127.0.0.1:9/d",
        third_party_id=f"d-{tag}",
    )
    go("deposit_query", cid=legacy["cid"])
    go("deposit_cancel", cid=legacy["cid"])
    return out


def _records(ep: Endpoint, data: Any) -> list[Mapping[str, Any]]:
    if ep.data_kind == "null":
        assert data is None
        return []
    if ep.data_kind == "list":
        assert isinstance(data, list) and data
        return data
    if ep.data_kind == "page":
        assert isinstance(data, dict) and list(data) == ["total", "rows", "pageNum", "pageSize"]
        assert isinstance(data["total"], int) and isinstance(data["rows"], list)
        assert isinstance(data["pageNum"], int) and isinstance(data["pageSize"], int)
        return data["rows"]
    assert isinstance(data, dict)
    return [data]


def _example_record(ep: Endpoint) -> Mapping[str, Any]:
    data = (ep.response_example or {}).get("data")
    if ep.data_kind == "page" and data:
        return data["rows"][0]
    if ep.data_kind == "list" and data:
        return data[0]
    return data or {}


_JSON_TYPES = {"decimal": str, "string": str, "currency": str, "bool": bool}


def assert_documented_shape(ep: Endpoint, data: Any) -> None:
    """Field names from the registry, JSON types as in the documented example."""
    example = _example_record(ep)
    top = {f.name: f for f in ep.top_level_fields}
    for record in _records(ep, data):
        assert set(record) <= set(top), (ep.name, set(record) - set(top))
        required = {n for n, f in top.items() if not f.optional}
        assert required <= set(record), (ep.name, required - set(record))
        for name, value in record.items():
            if value is None:
                continue
            shown = example.get(name)
            if shown is not None and not isinstance(shown, (dict, list)):
                assert type(value) is type(shown), (ep.name, name, value, shown)
            elif top[name].type in _JSON_TYPES:
                assert isinstance(value, _JSON_TYPES[top[name].type]), (ep.name, name, value)
            if top[name].type in ("int", "timestamp") and name in ("pid", "cid"):
                assert isinstance(value, int) and value > 10**14, (ep.name, name, value)


def _check_all(envelopes: Mapping[str, Mapping[str, Any]]) -> None:
    names = {ep.name for ep in registry().endpoints}
    assert set(envelopes) == names  # current, legacy and SDK-only alike
    for name, envelope in envelopes.items():
        ep = registry().endpoint(name)
        assert envelope["msg"] == (ep.response_example.get("msg") or "ok")
        assert_documented_shape(ep, envelope["data"])


def test_every_endpoint_in_process(box: Sandbox) -> None:
    _check_all(run_every_endpoint(box))


def test_every_endpoint_over_http(sandbox_server: SandboxServer) -> None:
    _check_all(run_every_endpoint(sandbox_server.base_url))


def test_trade_rows_types_follow_the_documented_example(box: Sandbox) -> None:
    row = call(box, "trade_page", {"page_size": 1})["data"]["rows"][0]
    assert isinstance(row["amount"], str) and isinstance(row["fee"], str)
    assert isinstance(row["block_height"], str) and row["block_height"].isdigit()
    assert isinstance(row["block_time"], int) and 10**9 < row["block_time"] < 10**10  # seconds
    assert isinstance(row["cid"], int) and isinstance(row["pid"], int)
    assert isinstance(row["status"], int)
    assert row["business_type"] in {"0", "2", "3", "4", "5"}  # SDK-only fields: strings
    payout = box.examples()["payout_cid_by_status"][6]
    record = call(box, "payout_query", {"cid": payout})["data"]
    assert 10**12 < record["block_time"] < 10**13  # milliseconds elsewhere


def test_the_signature_worked_example_is_accepted_verbatim() -> None:
    """SPEC 4.2: the docs' own payout body with the docs' own sign."""
    body = {**DOC_PARAMS, "sign": DOC_SIGN}
    with Sandbox(seed=0, transactions=200) as sandbox:
        status, envelope = raw_post(sandbox, "/api/v1/payout", json.dumps(body).encode())
    assert status == 200 and envelope["code"] == "00000"
    assert isinstance(envelope["data"]["cid"], int)


def test_client_sandbox_constructors_are_wired(box: Sandbox) -> None:
    client = Client.sandbox(seed=3, transactions=300, retry=False)
    try:
        assert client.is_sandbox and client.pid == DEFAULT_PID
        assert client.sandbox_app is not None
        assert client.trade_page(page_size=3)["total"] == 300
    finally:
        client.close()
    with box.client() as own:
        assert own.request("coins").ok
        assert own.sandbox_app is box and own.is_sandbox
    async_own = box.async_client()
    assert async_own.sandbox_app is box and type(async_own).__name__ == "AsyncClient"


class _Kept(Client):
    """A client that keeps what it was built with: the public seam the sandbox must use."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.built_with = (args, kwargs)
        super().__init__(*args, **kwargs)


class _AsyncKept(AsyncClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.built_with = (args, kwargs)
        super().__init__(*args, **kwargs)


def test_sandbox_builds_clients_through_the_public_constructor(box: Sandbox) -> None:
    """URL, pid and key positionally, the transport (carrying ``.sandbox``) and the clock."""
    with box.client(client_class=_Kept, retry=False) as own:
        args, kwargs = own.built_with
        assert args == (box.base_url, box.pid, box.api_key)
        assert isinstance(kwargs["transport"], httpx.BaseTransport)
        assert kwargs["transport"].sandbox is box and kwargs["clock"] is box.clock
        assert kwargs["retry"] is False
        assert own.request("coins").ok
    mine = FakeClock(2_000_000_000)
    with box.client(client_class=_Kept, clock=mine) as own:
        assert own.built_with[1]["clock"] is mine  # a clock given in the options wins
    later = box.client(client_class=_AsyncKept)
    transport = later.built_with[1]["transport"]
    assert isinstance(transport, httpx.AsyncBaseTransport) and transport.sandbox is box
    assert isinstance(box.async_client(), AsyncClient)
    assert type(box.client()) is Client


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_info_proves_this_is_the_projects_sandbox(
    sandbox_server: SandboxServer, method: str
) -> None:
    """``/_sandbox/info`` answers ``data.sandbox == "cregis-notebook"`` and the pid."""
    status, envelope = raw_post(sandbox_server.base_url, "/_sandbox/info", b"", method=method)
    assert status == 200 and envelope["code"] == "00000"
    assert envelope["data"]["sandbox"] == "cregis-notebook"
    assert envelope["data"]["pid"] == sandbox_server.pid


def test_async_client_sandbox() -> None:
    import asyncio

    async def main() -> int:
        client = AsyncClient.sandbox(seed=1, transactions=250, retry=False)
        async with client:
            pages = await asyncio.gather(
                *(client.request("trade_page", page_num=n, page_size=50) for n in (1, 2, 3))
            )
        cids = [row["cid"] for env in pages for row in env.data["rows"]]
        assert len(set(cids)) == 150
        return int(pages[0].data["total"])

    assert asyncio.run(main()) == 250


def test_curl_style_request_needs_nothing_but_spec(sandbox_server: SandboxServer) -> None:
    """A plain HTTP client with a hand-made signature, as SPEC section 4 describes it."""
    import hashlib

    body: dict[str, Any] = {"pid": DEFAULT_PID, "nonce": "q1w2e3", "timestamp": 1735689600000}
    text = DEFAULT_API_KEY + "".join(f"{k}{body[k]}" for k in sorted(body))
    body["sign"] = hashlib.md5(text.encode()).hexdigest()
    reply = httpx.post(f"{sandbox_server.base_url}/api/v1/coins", json=body, trust_env=False)
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("application/json")
    envelope = reply.json()
    assert envelope["code"] == "00000" and envelope["msg"] == "ok"
    assert {"coin_name", "chain_id", "token_id"} <= set(envelope["data"]["payout_coins"][0])


@pytest.mark.parametrize("name", [ep.name for ep in registry().endpoints])
def test_every_endpoint_checks_the_signature(box: Sandbox, name: str) -> None:
    envelope = call(box, name, {}, key="0" * 32)
    assert (envelope["code"], envelope["msg"], envelope["data"]) == (
        "B0001",
        "Signature Error",
        None,
    )
