"""The API key never leaks through an exception: not in its message, arguments, repr, pickle,
cause or context chain, nor in the local variables of any frame of its traceback.

:func:`assert_key_free` checks all of that; the examples below come from real mistakes (text
that is not valid Unicode, an unsignable value, swapped arguments, a variable set to the key),
and the property tests throw generated input at the client, the signer and the configuration.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import pickle
import tempfile
import types
import warnings
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cregis_notebook import (
    AsyncClient,
    Client,
    CregisConfigError,
    CregisError,
    CregisValidationError,
    parse_callback,
    registry,
    sign,
    verify_signature,
)
from cregis_notebook._config import settings_from_env

BASE = "https://t-test.cregis.example"
PID = 1382528827416576
KEY = "f502a9ac9ca54327986f29c03b271491"
_DEPTH = 4


def _texts(value: Any, depth: int, seen: set[int]) -> Iterator[str]:
    """The repr of ``value`` and, recursively, of what it holds."""
    if id(value) in seen or depth < 0:
        return
    seen.add(id(value))
    try:
        yield repr(value)
    except Exception as exc:  # a half-built object may not have a repr
        yield f"<no repr: {type(exc).__name__}>"
    if isinstance(value, (str, bytes, int, float, Decimal, type(None))):
        if isinstance(value, bytes):
            yield value.decode("latin-1")
        return
    if isinstance(value, BaseException):
        yield from _exception_texts(value, depth - 1, seen)
        return
    if isinstance(value, dict):
        items: list[Any] = [*value.keys(), *value.values()]
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = list(value)
    elif isinstance(value, (types.ModuleType, type, types.FunctionType)):
        return
    elif type(value).__module__.startswith("cregis_notebook"):
        items = list(getattr(value, "__dict__", {}).values())  # our objects: look inside too
    else:
        return
    for item in items:
        yield from _texts(item, depth - 1, seen)


def _exception_texts(exc: BaseException, depth: int, seen: set[int]) -> Iterator[str]:
    yield str(exc)
    yield repr(exc)
    for arg in exc.args:
        yield from _texts(arg, depth, seen)
    for value in vars(exc).values():
        yield from _texts(value, depth, seen)
    try:
        yield pickle.dumps(exc).decode("latin-1")
    except Exception as problem:  # an error that cannot be pickled is fine, if it says why
        yield str(problem)
    tb = exc.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_code.co_filename != __file__:  # the test's own frames hold the key on purpose
            for name, value in frame.f_locals.items():
                for text in _texts(value, depth, seen):
                    yield f"{frame.f_code.co_name}:{name}={text}"
        tb = tb.tb_next
    for linked in (exc.__cause__, exc.__context__):
        if linked is not None:
            yield from _texts(linked, depth, seen)


def assert_key_free(exc: BaseException, key: str = KEY) -> None:
    """Fail when ``key`` shows anywhere in ``exc`` or what it carries."""
    for text in _exception_texts(exc, _DEPTH, set()):
        assert key not in text, f"the key leaks through {type(exc).__name__}: {text[:300]}"


def raised(call: Callable[[], Any]) -> BaseException | None:
    try:
        call()
    except Exception as exc:
        return exc
    return None


def test_the_checker_finds_a_key_in_a_frame() -> None:
    """The checker itself: a key held by a local of a library-like frame is found."""

    scope: dict[str, Any] = {}
    source = "def leaky(secret):\n    raise ValueError('nothing in the message')\n"
    exec(compile(source, "<a library>", "exec"), scope)  # a frame from another file
    exc = raised(lambda: scope["leaky"](KEY))
    assert exc is not None
    with pytest.raises(AssertionError, match="leaky:secret"):
        assert_key_free(exc)
    with pytest.raises(AssertionError):
        assert_key_free(ValueError(KEY))
    with pytest.raises(AssertionError):
        chained = CregisError("outer")
        chained.__context__ = UnicodeEncodeError("utf-8", KEY, 0, 1, "bad")
        assert_key_free(chained)


def offline() -> Client:
    def refuse(_: httpx.Request) -> httpx.Response:
        raise AssertionError("nothing may be sent")

    return Client(BASE, PID, KEY, transport=httpx.MockTransport(refuse), allow_writes=True)


# -- the examples ---------------------------------------------------------------------------


def test_a_lone_surrogate_is_a_validation_error_without_the_key() -> None:
    client = offline()
    exc = raised(lambda: client.request("trade_page", tx_id="\ud800"))
    assert isinstance(exc, CregisValidationError), repr(exc)
    assert exc.param == "tx_id" and ("surrogate" in str(exc) or "UTF-8" in str(exc))
    assert_key_free(exc)


def test_an_unsignable_value_is_a_validation_error_without_the_key() -> None:
    client = offline()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # remark is not documented for trade_page
        exc = raised(lambda: client.request("trade_page", remark=b"x"))
    assert isinstance(exc, CregisValidationError), repr(exc)
    assert exc.param == "remark" and "bytes" in str(exc)
    assert_key_free(exc)


@pytest.mark.parametrize(
    "params",
    [{"a": "\udfff"}, {"a": b"x"}, {"a": {"b": object()}}, {"a": [float("nan")]}],
    ids=["surrogate", "bytes", "object", "nan"],
)
def test_sign_raises_without_the_key(params: dict[str, Any]) -> None:
    exc = raised(lambda: sign(params, KEY))
    assert isinstance(exc, CregisValidationError), repr(exc)
    assert_key_free(exc)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ((BASE, KEY, PID), "pid"),
        ((KEY, PID, BASE), "base_url"),
        ((BASE, PID, PID), "api_key"),
        ((f"http://{KEY}.example", PID, KEY), "clear text"),
        ((BASE, KEY, KEY), "pid"),
    ],
    ids=["pid-and-key-swapped", "url-and-key-swapped", "pid-for-key", "http", "key-for-both"],
)
def test_configuration_mistakes_never_quote_the_key(args: tuple[Any, ...], words: str) -> None:
    exc = raised(lambda: Client(*args))
    assert isinstance(exc, CregisConfigError), repr(exc)
    assert words in str(exc)
    if args[1] == KEY and args[2] == PID:
        assert "swapped" in str(exc)
    assert_key_free(exc)


@pytest.mark.parametrize("variable", ["CREGIS_PID", "CREGIS_BASE_URL"])
def test_a_variable_set_to_the_key_is_named_not_quoted(variable: str) -> None:
    environ = {"CREGIS_BASE_URL": BASE, "CREGIS_PID": str(PID), "CREGIS_API_KEY": KEY}
    environ[variable] = KEY
    exc = raised(lambda: settings_from_env(environ, env_file=None))
    assert isinstance(exc, CregisConfigError), repr(exc)
    assert variable in str(exc) and "API key" in str(exc)
    assert_key_free(exc)


def test_from_env_with_the_key_in_the_wrong_place(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CREGIS_BASE_URL", BASE)
    monkeypatch.setenv("CREGIS_PID", KEY)
    monkeypatch.setenv("CREGIS_API_KEY", KEY)
    exc = raised(Client.from_env)
    assert isinstance(exc, CregisConfigError)
    assert_key_free(exc)


def test_a_callback_that_cannot_be_read_does_not_carry_the_key() -> None:
    for action in (
        lambda: parse_callback("not json", api_key=KEY),
        lambda: parse_callback(b"[1]", kind="payout", api_key=KEY),
    ):
        exc = raised(action)
        assert isinstance(exc, CregisError), repr(exc)
        assert_key_free(exc)


def test_sign_refuses_what_is_not_a_mapping_without_the_key() -> None:
    exc = raised(lambda: sign('{"cid": 1}', KEY))  # type: ignore[arg-type]
    assert isinstance(exc, CregisValidationError) and "mapping" in str(exc), repr(exc)
    assert_key_free(exc)


def test_decimals_inside_an_undocumented_list_are_sent_as_signed(box: Any) -> None:
    with box.client() as client, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # remark is not documented for trade_page
        env = client.request("trade_page", remark=[Decimal("12345678901234567.89")])
    assert env.ok, env.msg  # the sandbox checked the signature over what arrived


# -- fuzzing --------------------------------------------------------------------------------

ENDPOINTS = registry().endpoints
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0xFFFF), max_size=12),
    st.binary(max_size=4),
    st.builds(object),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def _calls(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    ep = draw(st.sampled_from(ENDPOINTS))
    names = [p.name for p in ep.params] + ["remark", "x_extra"]
    keys = draw(st.lists(st.sampled_from(names), max_size=4, unique=True))
    return ep.name, {k: draw(_values) for k in keys}


ANSWERS: dict[str, Callable[[httpx.Request], httpx.Response]] = {
    "ok": lambda _: httpx.Response(200, json={"code": "00000", "msg": "ok", "data": None}),
    "error code": lambda _: httpx.Response(200, json={"code": "10001", "msg": "no", "data": None}),
    "5xx": lambda _: httpx.Response(503, text="unavailable"),
    "malformed": lambda _: httpx.Response(200, text='{"code":"00000","msg":'),
    "not an envelope": lambda _: httpx.Response(200, json=[1, 2]),
    "dropped": lambda request: (_ for _ in ()).throw(
        httpx.ConnectError("dropped", request=request)
    ),
}
"""What the fuzzed requests are answered with: every way an answer can fail."""


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _sync_actions(name: str, params: dict[str, Any], answer: str) -> Iterator[Callable[[], Any]]:
    transport = httpx.MockTransport(ANSWERS[answer])
    client = Client(BASE, PID, KEY, transport=transport, allow_writes=True, retry=False)
    yield lambda: client.prepare(name, **params)
    yield lambda: client.request(name, **params)
    yield lambda: client.send(client.prepare(name, **params), confirmed=True)


def _async_actions(name: str, params: dict[str, Any], answer: str) -> Iterator[Callable[[], Any]]:
    def run(use: Callable[[AsyncClient], Any]) -> Callable[[], Any]:
        async def main() -> Any:
            transport = httpx.MockTransport(ANSWERS[answer])
            async with AsyncClient(
                BASE, PID, KEY, transport=transport, allow_writes=True, retry=False
            ) as client:
                return await use(client)

        return lambda: asyncio.run(main())

    yield run(lambda client: _awaited(client.prepare(name, **params)))
    yield run(lambda client: client.request(name, **params))


async def _awaited(value: Any) -> Any:
    return value


@FUZZ
@given(_calls(), st.sampled_from(sorted(ANSWERS)), st.booleans())
def test_fuzzed_requests_never_carry_the_key(
    call: tuple[str, dict[str, Any]], answer: str, use_async: bool
) -> None:
    """prepare, request and send, sync and async, whatever the parameters and the answer."""
    name, params = call
    actions = _async_actions if use_async else _sync_actions
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for action in actions(name, params, answer):
            exc = raised(action)
            if exc is not None:
                assert isinstance(exc, CregisError), repr(exc)
                assert_key_free(exc)


_keys = st.one_of(
    st.sampled_from([KEY, KEY.encode(), KEY.upper(), f" {KEY}", "", None, 0, PID, Decimal(1)]),
    st.text(max_size=6),
    st.binary(max_size=4),
    st.builds(object),
)
_payloads = st.one_of(
    _values,
    st.dictionaries(st.sampled_from(["sign", "cid", "data", "event_type"]), _values),
    st.text(max_size=40),
    st.binary(max_size=40),
    st.sampled_from(
        [
            '{"cid":1,"sign":"\\ud800"}',
            b'{"cid":1,"sign":"\\ud800"}',
            '{"cid":"\\udfff","sign":"00"}',
            b"\xff\xfe",
        ]
    ),
)


@FUZZ
@given(_payloads, _keys, st.sampled_from([None, "payout", "order", "deposit"]))
def test_fuzzed_signing_and_callbacks_never_carry_the_key(
    payload: Any, key: Any, kind: str | None
) -> None:
    """sign, verify_signature and parse_callback, with wrong payloads and wrong key types."""
    for action in (
        lambda: sign(payload, key),
        lambda: verify_signature(payload, key),
        lambda: parse_callback(payload, kind=kind, api_key=key),
    ):
        exc = raised(action)
        if exc is not None:
            assert isinstance(exc, (CregisError, TypeError)), repr(exc)
            assert_key_free(exc)


_pieces = (
    st.sampled_from(
        [
            BASE,
            "http://127.0.0.1:1",
            "ftp://x",
            "",
            " ",
            KEY,
            f" {KEY} ",
            PID,
            str(PID),
            -1,
            0,
            None,
        ]
    )
    | st.text(max_size=10)
    | st.integers()
)


@FUZZ
@given(st.tuples(_pieces, _pieces, _pieces), st.booleans())
def test_fuzzed_configuration_never_carries_the_key(
    args: tuple[Any, Any, Any], insecure: bool
) -> None:
    for order, cls in itertools.product(itertools.permutations(args), (Client, AsyncClient)):
        exc = raised(lambda order=order, cls=cls: cls(*order, allow_insecure=insecure))
        if exc is not None:
            assert isinstance(exc, CregisConfigError), repr(exc)
            assert_key_free(exc)


@FUZZ
@given(st.tuples(_pieces, _pieces, _pieces))
def test_fuzzed_environment_never_carries_the_key(values: tuple[Any, Any, Any]) -> None:
    names = ("CREGIS_BASE_URL", "CREGIS_PID", "CREGIS_API_KEY")
    for order in itertools.permutations(values):
        environ = {n: str(v) for n, v in zip(names, order, strict=True) if v is not None}
        exc = raised(lambda environ=environ: settings_from_env(environ, env_file=None))
        if exc is not None:
            assert isinstance(exc, CregisConfigError), repr(exc)
            assert_key_free(exc)


@FUZZ
@given(st.tuples(_pieces, _pieces, _pieces))
def test_fuzzed_env_file_never_carries_the_key(values: tuple[Any, Any, Any]) -> None:
    """``Client.from_env`` / ``AsyncClient.from_env`` reading a ``.env`` file."""
    names = ("CREGIS_BASE_URL", "CREGIS_PID", "CREGIS_API_KEY")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, ".env")
        with open(path, "w", encoding="utf-8", errors="surrogatepass") as fh:
            for name, value in zip(names, values, strict=True):
                if value is not None and "\n" not in str(value):
                    fh.write(f"{name}={value}\n")
        for cls in (Client, AsyncClient):
            exc = raised(lambda cls=cls: cls.from_env(env_file=path))
            if exc is not None:
                assert isinstance(exc, CregisConfigError), repr(exc)
                assert_key_free(exc)


def test_a_callback_receiver_keeps_the_key_as_a_secret() -> None:
    from cregis_notebook import CallbackReceiver

    inbox = CallbackReceiver(api_key=KEY)
    assert not any(KEY in text for text in _texts(inbox, _DEPTH, set()))
    assert KEY not in repr(inbox)
