"""The live-write guard and the sandbox proof, over transports that count every request.

A live client refuses every call that moves money or creates state unless it was made with
``allow_writes=True`` (or ``CREGIS_ALLOW_WRITES``), or the one call is confirmed; nothing is sent.
A sandbox takes writes: the in-process one, or a server on this machine that proves it is one
(``GET /_sandbox/info``), never a URL by its address alone.
"""

from __future__ import annotations

import warnings
from typing import Any

import httpx
import pytest

from cregis_notebook import (
    AsyncClient,
    Client,
    CregisConfigError,
    registry,
)
from cregis_notebook.errors import ConfirmationRequired, CregisWriteRefused
from cregis_notebook.sandbox import Sandbox, SandboxServer

PID = 1382528827416576
KEY = "f502a9ac9ca54327986f29c03b271491"
LIVE = "https://t-test.cregis.example"
LOOPBACK = "http://127.0.0.1:8765"
OK = {"code": "00000", "msg": "ok", "data": {"cid": 1}}
WRITES = [e for e in registry().endpoints if not e.is_read_only]
READS = [e for e in registry().endpoints if e.is_read_only]


class Counter:
    """A MockTransport handler answering like the API; ``info`` is the /_sandbox/info answer."""

    def __init__(self, info: dict[str, Any] | None = None) -> None:
        self.info = info
        self.seen: list[tuple[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((request.method, request.url.path))
        if request.url.path == "/_sandbox/info":
            if self.info is None:
                return httpx.Response(404, json={"code": "A0404", "msg": "no such path"})
            return httpx.Response(200, json=self.info)
        return httpx.Response(200, json=OK)

    @property
    def posts(self) -> list[str]:
        return [path for method, path in self.seen if method == "POST"]

    @property
    def probes(self) -> int:
        return sum(path == "/_sandbox/info" for _, path in self.seen)


def client_for(counter: Counter, base_url: str = LIVE, **options: Any) -> Client:
    return Client(
        base_url, PID, KEY, transport=httpx.MockTransport(counter), retry=False, **options
    )


def example(ep: Any) -> dict[str, Any]:
    params = {
        k: v
        for k, v in ep.request_example.items()
        if k not in ("pid", "nonce", "timestamp", "sign")
    }
    if not ep.request_example:  # SDK-only endpoints have no documented example
        params = {p.name: "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS" for p in ep.required_params}
    return params


@pytest.fixture(autouse=True)
def no_writes_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CREGIS_ALLOW_WRITES", raising=False)


PAYOUT = {"currency": "195@195", "address": "TX", "amount": "1.5", "third_party_id": "t-1"}


def test_a_live_client_refuses_a_payout_and_sends_nothing() -> None:
    counter = Counter()
    client = client_for(counter)
    with pytest.raises(CregisWriteRefused, match="payout_create_v1"):
        client.request("payout_create_v1", **PAYOUT)  # by the registry's name
    with pytest.raises(CregisWriteRefused, match="payout_create_v1"):
        client.send(client.prepare("payout_create_v1", **PAYOUT))
    with pytest.raises(CregisWriteRefused) as info:
        client.payout_v1(**PAYOUT)  # the generated helper of payout_create_v1
    assert counter.seen == []
    text = str(info.value)
    assert "payout_create_v1" in text and "moves money" in text
    assert "allow_writes=True" in text and "CREGIS_ALLOW_WRITES=1" in text
    assert "confirmed=True" in text
    assert not isinstance(info.value, ConfirmationRequired)


@pytest.mark.parametrize("ep", WRITES, ids=[e.name for e in WRITES])
def test_every_write_is_refused_on_a_live_project(ep: Any) -> None:
    counter = Counter()
    client = client_for(counter)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prepared = client.prepare(ep.name, **example(ep))
    assert not client.writes_allowed(ep)
    with pytest.raises(CregisWriteRefused, match=ep.name):
        client.send(prepared)
    assert counter.seen == []  # not even a probe: the host is not this machine


def test_reads_are_sent_on_a_live_project() -> None:
    counter = Counter()
    client = client_for(counter)
    for ep in READS:
        assert client.writes_allowed(ep)
    client.trade_page()
    assert counter.posts == ["/api/v1/trade/page"]


def test_allow_writes_sends() -> None:
    counter = Counter()
    client = client_for(counter, allow_writes=True)
    assert client.writes_allowed("payout_create_v1")
    assert client.payout_v1(**PAYOUT) == {"cid": 1}
    assert counter.posts == ["/api/v1/payout"]


@pytest.mark.parametrize("value", ["1", "true", "YES", " yes "])
def test_the_environment_variable_allows_writes(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("CREGIS_ALLOW_WRITES", value)
    counter = Counter()
    client_for(counter).payout_v1(**PAYOUT)
    assert counter.posts == ["/api/v1/payout"]


@pytest.mark.parametrize("value", ["0", "false", "no", ""])
def test_the_environment_variable_can_say_no(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CREGIS_ALLOW_WRITES", value)
    counter = Counter()
    with pytest.raises(CregisWriteRefused):
        client_for(counter).payout_v1(**PAYOUT)
    assert counter.seen == []


def test_an_argument_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREGIS_ALLOW_WRITES", "1")
    counter = Counter()
    with pytest.raises(CregisWriteRefused):
        client_for(counter, allow_writes=False).payout_v1(**PAYOUT)
    assert counter.seen == []


def test_an_unclear_environment_variable_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREGIS_ALLOW_WRITES", "maybe")
    with pytest.raises(CregisConfigError, match="CREGIS_ALLOW_WRITES"):
        client_for(Counter())


def test_one_call_can_be_confirmed() -> None:
    counter = Counter()
    client = client_for(counter)
    prepared = client.prepare("payout_create_v1", **PAYOUT)
    assert client.send(prepared, confirmed=True).ok
    assert counter.posts == ["/api/v1/payout"]
    with pytest.raises(CregisWriteRefused):  # the confirmation was for that call only
        client.send(prepared)
    assert counter.posts == ["/api/v1/payout"]


# -- servers on this machine: proven, or treated as live ---------------------------------------


def proof(pid: int = PID, name: str = "cregis-notebook") -> dict[str, Any]:
    return {"code": "00000", "msg": "ok", "data": {"sandbox": name, "pid": pid}}


def test_a_loopback_forwarder_that_does_not_prove_itself_is_refused() -> None:
    counter = Counter(info=None)  # answers the API, but not /_sandbox/info
    client = client_for(counter, LOOPBACK)
    assert not client.is_sandbox
    for _ in range(2):
        with pytest.raises(CregisWriteRefused, match="did not prove"):
            client.payout_v1(**PAYOUT)
    assert counter.posts == []
    assert counter.probes == 1  # asked once, then remembered
    assert not client.is_sandbox and "live" in repr(client)


@pytest.mark.parametrize(
    "info",
    [
        proof(pid=PID + 1),
        proof(name="something-else"),
        {"code": "00000", "msg": "ok", "data": {"sandbox": "cregis-notebook", "pid": str(PID)}},
        {"code": "A0001", "msg": "Param Error", "data": None},
        {"sandbox": "cregis-notebook", "pid": PID},
    ],
    ids=["other-pid", "other-name", "pid-as-text", "error-code", "no-envelope"],
)
def test_a_wrong_proof_is_no_proof(info: dict[str, Any]) -> None:
    counter = Counter(info=info)
    client = client_for(counter, LOOPBACK)
    assert not client.probe_sandbox()
    with pytest.raises(CregisWriteRefused):
        client.address_create(chain_id="195")
    assert counter.posts == []


def test_a_loopback_sandbox_that_proves_itself_takes_writes() -> None:
    counter = Counter(info=proof())
    client = client_for(counter, LOOPBACK)
    assert not client.is_sandbox  # nothing asked yet
    client.payout_v1(**PAYOUT)
    client.address_create(chain_id="195")
    assert client.is_sandbox
    assert counter.probes == 1
    assert counter.posts == ["/api/v1/payout", "/api/v1/address/create"]


def test_reads_never_probe() -> None:
    counter = Counter(info=proof())
    client = client_for(counter, LOOPBACK)
    client.trade_page()
    assert counter.seen == [("POST", "/api/v1/trade/page")]


def test_a_failed_probe_is_asked_again() -> None:
    calls = {"n": 0}

    def flaky(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            raise httpx.ConnectError("not up yet")
        return Counter(info=proof())(request)

    client = Client(LOOPBACK, PID, KEY, transport=httpx.MockTransport(flaky), retry=False)
    assert not client.probe_sandbox()
    assert client.probe_sandbox() and client.is_sandbox


def test_a_host_elsewhere_is_never_probed() -> None:
    counter = Counter(info=proof())
    client = client_for(counter)
    assert not client.probe_sandbox()
    assert counter.seen == []


def test_the_http_sandbox_proves_itself_over_real_http() -> None:
    with SandboxServer(Sandbox(seed=1, transactions=50), close_sandbox=True) as server:
        client = Client(server.base_url, server.pid, server.api_key, retry=False)
        assert not client.is_sandbox
        data = client.address_create(chain_id="195")
        assert data["address"] and client.is_sandbox
        client.close()
        info = httpx.get(server.base_url + "/_sandbox/info", trust_env=False).json()
    assert info["data"]["sandbox"] == "cregis-notebook"
    assert info["data"]["pid"] == server.pid


def test_the_in_process_sandbox_takes_writes() -> None:
    client = Client.sandbox(seed=1, transactions=50)
    assert client.is_sandbox and client.writes_allowed("payout_create_v1")
    assert client.sandbox_app is not None
    assert client.address_create(chain_id="195")["address"]


# -- the async twin ------------------------------------------------------------------------


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_async_client_guard_and_proof() -> None:
    counter = Counter(info=None)
    async with AsyncClient(LIVE, PID, KEY, transport=httpx.MockTransport(counter)) as live:
        assert not await live.writes_allowed("payout_create_v1")
        with pytest.raises(CregisWriteRefused, match="payout_create_v1"):
            await live.request("payout_create_v1", **PAYOUT)
        with pytest.raises(CregisWriteRefused, match="payout_create_v1"):
            await live.payout_v1(**PAYOUT)
        assert counter.seen == []  # nothing sent
        prepared = live.prepare("payout_create_v1", **PAYOUT)
        assert (await live.send(prepared, confirmed=True)).ok
    assert counter.posts == ["/api/v1/payout"]
    forwarder = Counter(info=None)
    async with AsyncClient(LOOPBACK, PID, KEY, transport=httpx.MockTransport(forwarder)) as fwd:
        with pytest.raises(CregisWriteRefused):
            await fwd.address_create(chain_id="195")
    assert forwarder.posts == [] and forwarder.probes == 1
    box = Counter(info=proof())
    async with AsyncClient(LOOPBACK, PID, KEY, transport=httpx.MockTransport(box)) as local:
        await local.address_create(chain_id="195")
        assert local.is_sandbox
    assert box.posts == ["/api/v1/address/create"]


# -- plain http:// -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["http://t-test.cregis.example", "http://10.0.0.5:8080", "http://localhost.example.com"]
)
def test_plain_http_elsewhere_is_refused(url: str) -> None:
    with pytest.raises(CregisConfigError, match="clear text") as info:
        Client(url, PID, KEY)
    assert "allow_insecure=True" in str(info.value)
    assert Client(url, PID, KEY, allow_insecure=True).base_url == url


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9",
        "http://localhost:9",
        "http://[::1]:9",
        "http://127.8.9.10",
        "http://0.0.0.0:8600",
        "http://[::ffff:127.0.0.1]:9",
        LIVE,
    ],
)
def test_plain_http_on_this_machine_and_https_are_fine(url: str) -> None:
    assert Client(url, PID, KEY).base_url == url


def test_the_in_process_sandbox_needs_no_https() -> None:
    box = Sandbox(seed=1, transactions=50, base_url="http://sandbox.cregis.invalid")
    client = box.client()
    assert client.base_url == "http://sandbox.cregis.invalid" and client.sandbox_app is box
