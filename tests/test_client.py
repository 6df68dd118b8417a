"""The client over a MockTransport that checks every request independently of our signer."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import warnings
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest

from cregis_notebook import (
    AsyncClient,
    Client,
    CregisAPIError,
    CregisConfigError,
    CregisConnectError,
    CregisHTTPError,
    CregisRateLimitError,
    CregisResponseError,
    CregisTimeoutError,
    CregisTransportError,
    CregisUnknownParamWarning,
    CregisValidationError,
    RetryPolicy,
    registry,
)

BASE = "https://t-test.cregis.example"
PID = 1382528827416576
KEY = "f502a9ac9ca54327986f29c03b271491"
NOW = 1_700_000_000.0
SYSTEM = {"pid", "nonce", "timestamp", "sign"}


def independent_sign(body: dict[str, Any], key: str) -> str:
    """A second, deliberately plain implementation of SPEC section 4 for cross-checking."""
    parts = []
    for name in sorted(body):
        value = body[name]
        if name == "sign" or value is None or value == "":
            continue
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        parts.append(name + text)
    return hashlib.md5((key + "".join(parts)).encode("utf-8")).hexdigest()


class Recorder:
    """A MockTransport handler that checks each request and answers a canned envelope."""

    def __init__(self, reply: Callable[[httpx.Request], httpx.Response] | None = None):
        self.requests: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.reply = reply

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.method == "POST"
        assert request.headers["content-type"] == "application/json"
        body = json.loads(request.content)
        self.requests.append(body)
        self.paths.append(request.url.path)
        assert body["pid"] == PID
        assert isinstance(body["nonce"], str) and len(body["nonce"]) == 6
        assert body["timestamp"] == int(NOW * 1000)
        assert body["sign"] == independent_sign(body, KEY)
        if self.reply is not None:
            return self.reply(request)
        return httpx.Response(200, json={"code": "00000", "msg": "ok", "data": {"echo": True}})


def make_client(handler: Any, **options: Any) -> Client:
    """A client over ``handler``; writes allowed (the guard has its own tests)."""
    options.setdefault("retry", False)
    options.setdefault("allow_writes", True)
    return Client(
        BASE, PID, KEY, transport=httpx.MockTransport(handler), clock=lambda: NOW, **options
    )


def business(example: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in example.items() if k not in SYSTEM}


ENDPOINTS = registry().endpoints


@pytest.mark.parametrize("ep", ENDPOINTS, ids=[e.name for e in ENDPOINTS])
def test_every_endpoint_example_is_sent_signed_to_its_path(ep: Any) -> None:
    recorder = Recorder()
    params = business(dict(ep.request_example))
    if not ep.request_example:  # SDK-only endpoints have no documented example
        assert ep.status == "sdk-only"
        params = {p.name: "TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS" for p in ep.required_params}
    with make_client(recorder) as client, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        envelope = client.request(ep.path, **params)
    assert recorder.paths == [ep.path]
    sent = recorder.requests[0]
    # "" means unset, as in the signature rules (the balance example sends address "")
    params = {k: v for k, v in params.items() if v != ""}
    assert set(sent) - SYSTEM == set(params)
    for name, value in params.items():
        # the docs' values go out as the docs wrote them (JSON text stays text, numbers numbers)
        assert sent[name] == value, name
    assert envelope.ok and envelope.endpoint == ep.name and envelope.path == ep.path
    unknown = [w for w in caught if issubclass(w.category, CregisUnknownParamWarning)]
    if ep.name == "trade_page":
        assert len(unknown) == 1 and "'remark'" in str(unknown[0].message)
    else:
        assert not unknown


@pytest.mark.parametrize("key", ["trade_page", "/api/v1/trade/page", "/api/v1/trade/page/"])
def test_endpoint_by_name_or_path(key: str) -> None:
    recorder = Recorder()
    with make_client(recorder) as client:
        client.request(key)
    assert recorder.paths == ["/api/v1/trade/page"]


def test_unknown_endpoint_suggests() -> None:
    with make_client(Recorder()) as client, pytest.raises(CregisValidationError) as info:
        client.request("trade_pag")
    assert "trade_page" in str(info.value)


def test_envelope_fields() -> None:
    def reply(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"code": "00000", "msg": "ok", "data": [1], "ok": True})

    with make_client(Recorder(reply)) as client:
        env = client.request("project_coins")
    assert (env.code, env.msg, env.data, env.ok) == ("00000", "ok", [1], True)
    assert env.extra == {"ok": True}
    assert env.body["pid"] == PID and "sign" in env.body
    assert isinstance(env.elapsed, float)  # measured, never asserted against a number
    assert env.http_status == 200 and env.attempts == 1
    assert env.to_dict() == {"code": "00000", "msg": "ok", "data": [1], "ok": True}


def test_error_envelope_does_not_raise_until_asked() -> None:
    def reply(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"code": "E0005", "msg": "Unsupported coin", "data": None})

    with make_client(Recorder(reply)) as client:
        env = client.request(
            "payout_create_v1", currency="1@1", address="x", amount="1", third_party_id="t"
        )
        assert not env.ok
        with pytest.raises(CregisAPIError) as info:
            env.raise_for_code()
        with pytest.raises(CregisAPIError):
            client.payout_v1(currency="1@1", address="x", amount="1", third_party_id="t")
    err = info.value
    assert (err.code, err.msg, err.endpoint) == ("E0005", "Unsupported coin", "payout_create_v1")
    assert err.meaning and err.hint
    assert "E0005" in str(err) and err.hint in str(err)


def test_a_codes_get_the_parameter_error_meaning() -> None:
    def reply(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"code": "A0001", "msg": "Param Error", "data": None})

    with make_client(Recorder(reply)) as client:
        env = client.request("project_coins")
    with pytest.raises(CregisAPIError) as info:
        env.raise_for_code()
    assert info.value.code == "A0001" and info.value.meaning


def test_helpers_return_data() -> None:
    with make_client(Recorder()) as client:
        assert client.coins() == {"echo": True}
        assert client.trade_page(status=1, page_size=100) == {"echo": True}


# -- validation ----------------------------------------------------------------------------


@pytest.fixture
def offline() -> Client:
    def refuse(_: httpx.Request) -> httpx.Response:
        raise AssertionError("nothing may be sent when validation fails")

    return make_client(refuse)


@pytest.mark.parametrize(
    ("endpoint", "params", "param", "words"),
    [
        ("address_create", {}, "chain_id", "missing"),
        (
            "payout_create_v2",
            {"currency": "195@195", "to_address": "T", "amount": "1"},
            "third_party_id",
            "missing",
        ),
        ("trade_page", {"status": 3}, "status", "one of 0 (pending)"),
        ("trade_page", {"status": "done"}, "status", "integer"),
        ("trade_page", {"page_size": 101}, "page_size", "at most 100"),
        ("trade_page", {"page_size": 0}, "page_size", "at least 1"),
        ("trade_page", {"cid": 1.5}, "cid", "integer"),
        ("trade_page", {"cid": True}, "cid", "bool"),
        ("trade_page", {"blocktime_start": 1688004243314}, "blocktime_start", "milliseconds"),
        (
            "payout_create_v1",
            {"currency": "195@195", "address": "T", "amount": 1.1, "third_party_id": "x"},
            "amount",
            "float",
        ),
        (
            "payout_create_v1",
            {"currency": "195@195", "address": "T", "amount": "1,1", "third_party_id": "x"},
            "amount",
            "decimal",
        ),
        ("address_create", {"chain_id": "195", "alias": "x" * 41}, "alias", "at most 40"),
        ("address_batch_create", {"chain_id": "195", "number": 101}, "number", "at most 100"),
        ("address_batch_create", {"chain_id": "195", "number": "ten"}, "number", "whole number"),
        ("address_update", {"address": "T", "status": "2"}, "status", "one of"),
        ("checkout_create_v2", {"order_details": "{not json"}, "order_details", "not JSON"),
        ("checkout_create_v2", {"tokens": '{"a": 1}'}, "tokens", "JSON array"),
        ("checkout_create_v2", {"accept_over_payment": "maybe"}, "accept_over_payment", "true"),
        ("checkout_create_v2", {"valid_time": 61}, "valid_time", "at most 60"),
        ("trade_page", {"pid": 1}, "pid", "added by the client"),
    ],
)
def test_validation_errors_name_the_parameter(
    offline: Client, endpoint: str, params: dict[str, Any], param: str, words: str
) -> None:
    with pytest.raises(CregisValidationError) as info:
        offline.request(endpoint, **params)
    assert info.value.param == param
    assert param in str(info.value) and words in str(info.value)
    assert isinstance(info.value, ValueError)


def test_unknown_parameter_warns_with_closest_name() -> None:
    recorder = Recorder()
    with make_client(recorder) as client, pytest.warns(CregisUnknownParamWarning, match="status"):
        client.request("trade_page", statuss=1)
    assert recorder.requests[0]["statuss"] == 1


def test_unknown_parameter_is_an_error_when_strict(offline: Client) -> None:
    strict = make_client(Recorder(), strict=True)
    with pytest.raises(CregisValidationError, match="did you mean 'status'"):
        strict.request("trade_page", statuss=1)


def test_conversions() -> None:
    recorder = Recorder()
    start = dt.datetime(2024, 7, 25, 9, 43, 1, tzinfo=dt.timezone.utc)
    with make_client(recorder) as client:
        client.request(
            "trade_page",
            blocktime_start=start,
            blocktime_end=dt.date(2024, 7, 26),
            status="success",
            trade_type="out",
            cid="1410580986806272",
        )
        client.request(
            "checkout_create_v2",
            order_id="o1",
            order_amount=Decimal("12.50"),
            order_currency="USD",
            payer_id="p",
            valid_time=30,
            success_url="https://a.example/ok",
            cancel_url="https://a.example/no",
            order_details={"items": [{"item_id": "1", "item_price": "1.5"}]},
            tokens=["USDT-TRC20"],
            accept_partial_payment=False,
            underpaid_tolerance=10.0,
            overpaid_tolerance=Decimal("0.5"),
        )
    page, checkout = recorder.requests
    assert page["blocktime_start"] == 1721900581
    assert page["blocktime_end"] == 1721952000
    assert (page["status"], page["trade_type"], page["cid"]) == (1, 2, 1410580986806272)
    assert checkout["order_amount"] == "12.50"
    assert checkout["order_details"] == '{"items":[{"item_id":"1","item_price":"1.5"}]}'
    assert checkout["tokens"] == '["USDT-TRC20"]'
    assert checkout["accept_partial_payment"] == "false"
    assert checkout["underpaid_tolerance"] == 10 and checkout["overpaid_tolerance"] == 0.5


def test_naive_datetime_is_utc() -> None:
    recorder = Recorder()
    with make_client(recorder) as client:
        client.request("trade_page", blocktime_start=dt.datetime(1970, 1, 2))
    assert recorder.requests[0]["blocktime_start"] == 86400


def test_none_means_unset() -> None:
    recorder = Recorder()
    with make_client(recorder) as client:
        client.trade_page(status=None, chain_id="", page_num=2)
    assert set(recorder.requests[0]) - SYSTEM == {"page_num"}


def test_prepare_shows_body_and_masked_canonical_string() -> None:
    with make_client(Recorder()) as client:
        prepared = client.prepare("address_inner", address="TX", chain_id="195")
    assert prepared.body["sign"] == independent_sign(prepared.body, KEY)
    assert prepared.canonical.startswith("<API_KEY>address")
    assert KEY not in prepared.canonical and KEY not in repr(prepared)
    assert prepared.url == BASE + "/api/v1/address/inner"


# -- transport failures ------------------------------------------------------------------


def raising(exc: Exception) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return handler


def test_connect_error() -> None:
    client = make_client(raising(httpx.ConnectError("refused")))
    with pytest.raises(CregisConnectError, match="project_coins"):
        client.request("coins")


def test_timeout() -> None:
    client = make_client(raising(httpx.ReadTimeout("slow")))
    with pytest.raises(CregisTimeoutError, match="no answer"):
        client.request("coins")


def test_http_error_page() -> None:
    html = "<html><body><h1>502 Bad Gateway</h1></body></html>" + "x" * 500
    client = make_client(lambda r: httpx.Response(502, text=html))
    with pytest.raises(CregisHTTPError) as info:
        client.request("coins")
    assert info.value.status == 502
    assert "HTTP 502" in str(info.value) and "<html><body><h1>502" in str(info.value)
    assert len(info.value.body_excerpt) < 260


def test_html_with_200_is_a_response_error() -> None:
    client = make_client(
        lambda r: httpx.Response(
            200, text="<html>maintenance</html>", headers={"content-type": "text/html"}
        )
    )
    with pytest.raises(CregisResponseError, match=r"not JSON.*maintenance"):
        client.request("coins")


def test_json_that_is_not_an_envelope() -> None:
    client = make_client(lambda r: httpx.Response(200, json={"error": "nope"}))
    with pytest.raises(CregisResponseError, match=r"not a .*envelope"):
        client.request("coins")


def test_rate_limit_error_carries_retry_after() -> None:
    client = make_client(lambda r: httpx.Response(429, headers={"Retry-After": "7"}, text="slow"))
    with pytest.raises(CregisRateLimitError) as info:
        client.request("coins")
    assert info.value.retry_after == 7.0 and info.value.status == 429


# -- retries -------------------------------------------------------------------------------


class Flaky:
    """Fails ``failures`` times with the given responses, then answers ok."""

    def __init__(self, *failures: httpx.Response | Exception):
        self.failures = list(failures)
        self.calls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.failures:
            failure = self.failures.pop(0)
            if isinstance(failure, Exception):
                raise failure
            return failure
        return httpx.Response(200, json={"code": "00000", "msg": "ok", "data": {"cid": 1}})


def test_read_only_calls_are_retried() -> None:
    waits: list[float] = []
    flaky = Flaky(
        httpx.Response(503, text="busy"),
        httpx.ConnectError("reset"),
        httpx.Response(429, headers={"Retry-After": "2"}),
        httpx.Response(200, text='{"code": "000'),
    )
    policy = RetryPolicy(attempts=5, backoff=0.1, jitter=0)
    client = make_client(Recorder(flaky), retry=policy, sleep=waits.append)
    env = client.request("trade_page")
    assert env.ok and env.attempts == 5 and flaky.calls == 5
    assert waits[:2] == [0.1, 0.2] and waits[2] == 2.0 and waits[3] == 0.8


def test_retries_are_bounded() -> None:
    waits: list[float] = []
    flaky = Flaky(*[httpx.Response(500, text="boom") for _ in range(10)])
    client = make_client(flaky, retry=RetryPolicy(attempts=3, backoff=0.01), sleep=waits.append)
    with pytest.raises(CregisHTTPError):
        client.request("coins")
    assert flaky.calls == 3 and len(waits) == 2


def test_retry_gives_up_when_total_wait_would_be_exceeded() -> None:
    waits: list[float] = []
    flaky = Flaky(*[httpx.Response(429, headers={"Retry-After": "20"}) for _ in range(3)])
    client = make_client(flaky, retry=RetryPolicy(attempts=5, max_wait=30), sleep=waits.append)
    with pytest.raises(CregisRateLimitError):
        client.request("coins")
    assert waits == [20.0] and flaky.calls == 2


def test_client_errors_are_not_retried() -> None:
    flaky = Flaky(httpx.Response(404, text="no such path"))
    client = make_client(flaky, retry=RetryPolicy(attempts=5), sleep=lambda s: None)
    with pytest.raises(CregisHTTPError):
        client.request("coins")
    assert flaky.calls == 1


@pytest.mark.parametrize(
    "endpoint",
    [e for e in ENDPOINTS if not e.is_read_only],
    ids=[e.name for e in ENDPOINTS if not e.is_read_only],
)
def test_calls_that_move_money_or_create_state_are_never_retried(endpoint: Any) -> None:
    failures: list[httpx.Response | Exception] = [
        httpx.Response(503, text="busy"),
        httpx.Response(500, json={"code": "00000"}),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("dropped"),
        httpx.Response(200, text='{"code": "000'),  # cut short
        httpx.Response(200, text="<html>maintenance</html>"),
        httpx.Response(200, json={"error": "not an envelope"}),
    ]
    for failure in failures:
        flaky = Flaky(failure)
        client = make_client(flaky, retry=RetryPolicy(attempts=5), sleep=lambda s: None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises((CregisHTTPError, CregisTransportError)) as info:
                client.request(endpoint.name, **business(dict(endpoint.request_example)))
        assert flaky.calls == 1, failure
        text = str(info.value)
        assert "may have taken effect" in text and "never retried" in text, failure


def test_a_failed_read_does_not_say_it_may_have_taken_effect() -> None:
    for failure in (httpx.Response(503, text="busy"), httpx.Response(200, text="{")):
        client = make_client(Flaky(failure))
        with pytest.raises(CregisTransportError) as info:
            client.request("trade_page")
        assert "taken effect" not in str(info.value)


EXACT = "0.123456789012345678901234567890"


def exact_answer(_: httpx.Request) -> httpx.Response:
    content = (
        '{"code": "00000", "msg": "ok", "data": {"amount": ' + EXACT + ', "fee": 1e-30, "n": 12}}'
    )
    return httpx.Response(200, content=content.encode())


def test_json_numbers_in_answers_keep_every_digit() -> None:
    with make_client(Recorder(exact_answer)) as client:
        data = client.request("trade_page").data
    assert data["amount"] == Decimal(EXACT) and str(data["amount"]) == EXACT
    assert data["fee"] == Decimal("1e-30") and data["n"] == 12 and type(data["n"]) is int


# -- configuration and secrets -------------------------------------------------------------


def test_from_env_names_the_missing_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("CREGIS_BASE_URL", "CREGIS_PID", "CREGIS_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CREGIS_BASE_URL", BASE)
    with pytest.raises(CregisConfigError) as info:
        Client.from_env()
    assert "CREGIS_PID" in str(info.value) and "CREGIS_API_KEY" in str(info.value)
    assert "CREGIS_BASE_URL" not in str(info.value)


def test_from_env_reads_dotenv_and_environment_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("CREGIS_BASE_URL", "CREGIS_PID", "CREGIS_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / ".env").write_text(
        f"# project\nexport CREGIS_BASE_URL={BASE}\nCREGIS_PID='{PID}'\nCREGIS_API_KEY=\"{KEY}\"\n"
    )
    monkeypatch.setenv("CREGIS_PID", "42")
    with Client.from_env() as client:
        assert (client.base_url, client.pid) == (BASE, 42)
        assert not client.is_sandbox


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("ftp://x", PID, KEY), "http"),
        ((BASE, "abc", KEY), "numeric"),
        ((BASE, PID, ""), "API key"),
    ],
)
def test_bad_configuration(args: tuple[Any, ...], words: str) -> None:
    with pytest.raises(CregisConfigError, match=words):
        Client(*args)


def test_the_key_never_shows(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []

    def reply(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"code": "B0001", "msg": "Signature Error", "data": None})

    client = make_client(Recorder(reply))
    seen += [repr(client), str(client)]
    with pytest.warns(CregisUnknownParamWarning) as caught:
        env = client.request("trade_page", remark="x")
    seen += [str(w.message) for w in caught]
    seen += [repr(env), str(env), env._repr_html_(), json.dumps(env.to_dict()), str(env.body)]
    try:
        env.raise_for_code()
    except CregisAPIError as exc:
        seen += [str(exc), repr(exc)]
    for failing in (raising(httpx.ConnectError("x")), lambda r: httpx.Response(500, text=KEY[:5])):
        try:
            make_client(failing).request("coins")
        except Exception as exc:
            seen.append(str(exc))
    with pytest.raises(CregisValidationError) as info:
        client.request("trade_page", status=9)
    seen.append(str(info.value))
    seen += [r.getMessage() for r in caplog.records]
    assert all(KEY not in text for text in seen)
    assert client.prepare("coins").body["sign"] not in KEY


def test_the_key_is_not_pickled() -> None:
    import pickle

    with pytest.raises(TypeError):
        pickle.dumps(make_client(Recorder())._key)


# -- async twin --------------------------------------------------------------------------


def make_async(handler: Any, **options: Any) -> AsyncClient:
    options.setdefault("retry", False)
    options.setdefault("allow_writes", True)
    return AsyncClient(
        BASE, PID, KEY, transport=httpx.MockTransport(handler), clock=lambda: NOW, **options
    )


@pytest.mark.anyio
async def test_async_client_request_and_helpers() -> None:
    recorder = Recorder()
    async with make_async(recorder) as client:
        env = await client.request("trade_page", status=1)
        data = await client.coins()
    assert env.ok and data == {"echo": True}
    assert recorder.paths == ["/api/v1/trade/page", "/api/v1/coins"]


@pytest.mark.anyio
async def test_async_retries_read_only_only() -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    flaky = Flaky(httpx.Response(503, text="busy"))
    async with make_async(flaky, retry=RetryPolicy(backoff=0.5, jitter=0), sleep=sleep) as client:
        env = await client.request("coins")
    assert env.ok and waits == [0.5]
    flaky = Flaky(httpx.Response(503, text="busy"))
    async with make_async(flaky, retry=RetryPolicy(), sleep=sleep) as client:
        with pytest.raises(CregisHTTPError):
            await client.request("address_create", chain_id="195")
    assert flaky.calls == 1


@pytest.mark.anyio
async def test_async_answers_keep_every_digit() -> None:
    async with make_async(Recorder(exact_answer)) as client:
        envelope = await client.request("trade_page")
    assert str(envelope.data["amount"]) == EXACT


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_nonces_are_six_fresh_characters() -> None:
    from collections import Counter

    from cregis_notebook.client import new_nonce

    nonces = [new_nonce() for _ in range(3000)]
    assert all(len(n) == 6 and n.isalnum() and n == n.lower() for n in nonces)
    assert len(set(nonces)) == len(nonces)
    counts = Counter("".join(nonces))
    assert len(counts) == 36 and max(counts.values()) < 2 * min(counts.values())
