"""Every defect of "Nothing lost, nothing leaked", reproduced as its report describes it.

One test per item, named after it; each uses the report's own inputs. The HTTP cases go
through real loopback servers: the sandbox served by ``SandboxServer``, and a small forwarder
(:class:`_Forwarder`) that answers like the API but does not prove it is a sandbox, as a
proxy to a live project would.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import pickle
import threading
import traceback
from collections.abc import Callable, Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
from conftest import call

import cregis_notebook as cn
from cregis_notebook import Client
from cregis_notebook.cli import main as cli_main
from cregis_notebook.errors import (
    CliError,
    CregisConfigError,
    CregisError,
    CregisFetchInterrupted,
    CregisResponseError,
    CregisTransportError,
    CregisValidationError,
)
from cregis_notebook.fetch import FetchTiming
from cregis_notebook.frames import FrameBuilder
from cregis_notebook.sandbox import FakeClock, Sandbox, SandboxServer

KEY = "k3y-1s-s3cr3t-0123456789abcdef"
PID = 1234567890
URL = "https://t-rwa.cregis.invalid"


def _envelope(rows: list[dict[str, Any]] | None, total: Any = None) -> dict[str, Any]:
    return {"code": "00000", "msg": "ok", "data": {"total": total, "rows": rows}}


def _clean(exc: BaseException, key: str = KEY) -> None:
    """The key is nowhere in ``exc``: message, args, repr, pickle, causes, frames' locals."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        assert key not in str(current) and key not in repr(current)
        assert key not in repr(current.args)
        assert key.encode() not in pickle.dumps(current)
        for frame, _ in traceback.walk_tb(current.__traceback__):
            for value in frame.f_locals.values():
                try:
                    text = repr(value)
                except Exception:  # a local whose repr fails shows nothing either
                    continue
                assert key not in text, (frame.f_code.co_name, text[:200])
        current = current.__cause__ or current.__context__


# -- a loopback forwarder that answers like the API ------------------------------------------------


class _Forwarder:
    """A loopback HTTP server passing the API through to ``upstream``, never ``/_sandbox``.

    ``rewrite(path, body_bytes) -> body_bytes`` may change an answer on its way back.
    """

    def __init__(self, upstream: str, rewrite: Callable[[str, bytes], bytes] | None = None) -> None:
        self.upstream = upstream
        self.rewrite = rewrite
        self.paths: list[str] = []
        forwarder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _pass(self, method: str) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                forwarder.paths.append(self.path)
                if self.path.startswith("/_sandbox"):
                    self.send_response(404)
                    self.send_header("content-length", "9")
                    self.end_headers()
                    self.wfile.write(b"Not Found")
                    return
                with httpx.Client(base_url=forwarder.upstream, trust_env=False) as http:
                    reply = http.request(
                        method,
                        self.path,
                        content=body,
                        headers={"content-type": "application/json"},
                    )
                content = reply.content
                if forwarder.rewrite is not None:
                    content = forwarder.rewrite(self.path, content)
                self.send_response(reply.status_code)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def do_POST(self) -> None:
                self._pass("POST")

            def do_GET(self) -> None:
                self._pass("GET")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> _Forwarder:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def served() -> Iterator[SandboxServer]:
    box = Sandbox(seed=5, transactions=300)
    with SandboxServer(box, host="127.0.0.1", port=0, close_sandbox=True) as server:
        yield server


# -- 1. CSV export and a lone carriage return ------------------------------------------------------


def test_item01_csv_round_trip_is_exact(tmp_path: Path) -> None:
    df = cn.to_frame(
        {
            "code": "00000",
            "msg": "ok",
            "data": {
                "total": 2,
                "rows": [{"cid": 1, "amount": "1.5", "remark": "a\rb"}, {"cid": 2, "amount": "2"}],
            },
        },
        "trade_page",
    )
    cn.to_csv(df, tmp_path / "t.csv")
    back = cn.read_csv(tmp_path / "t.csv")
    assert len(back) == 2 and back["remark"].iloc[0] == "a\rb"
    pd.testing.assert_frame_equal(back, df)
    # a mixed undocumented column, and "" in string, object and category columns
    mixed = cn.to_frame(
        _envelope([{"cid": 1, "extra": "abc", "remark": ""}, {"cid": 2, "extra": 5}], 2),
        "trade_page",
    )
    mixed["note"] = pd.Series(["", "x"], dtype=object)
    mixed["status_label"] = pd.Categorical(["", "success"])
    cn.to_csv(mixed, tmp_path / "m.csv")
    back = cn.read_csv(tmp_path / "m.csv")
    pd.testing.assert_frame_equal(back, mixed)
    assert back["extra"].tolist() == ["abc", 5] and back["note"].tolist() == ["", "x"]
    assert back["status_label"].tolist() == ["", "success"] and back["remark"].iloc[0] == ""


# -- 2. an interrupt at any point is this fetch's --------------------------------------------------


class _Interrupting(httpx.BaseTransport):
    """The sandbox, but a ``KeyboardInterrupt`` when page ``page`` is asked for (once)."""

    def __init__(self, inner: httpx.BaseTransport, page: int | None) -> None:
        self.inner = inner
        self.page = page
        self.sandbox = getattr(inner, "sandbox", None)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content or b"{}")
        if self.page is not None and body.get("page_num") == self.page:
            self.page = None
            raise KeyboardInterrupt
        return self.inner.handle_request(request)


@pytest.fixture(scope="module")
def small_box() -> Iterator[Sandbox]:
    box = Sandbox(seed=7, transactions=450, clock=FakeClock())
    yield box
    box.close()


def _stale_error(box: Sandbox) -> CregisError:
    """A failed fetch of another window, left in ``last_fetch_error()``."""
    with (
        Client(
            box.base_url,
            box.pid,
            box.api_key,
            transport=_Interrupting(box.transport(), 2),
            clock=box.clock,
            retry=False,
        ) as client,
        pytest.raises(CregisFetchInterrupted) as caught,
    ):
        cn.fetch_frame(client, "trade_page", page_size=20, progress=False, status=1)
    assert cn.last_fetch_error() is caught.value
    return caught.value


@pytest.mark.parametrize("where", ["page 1", "page 3", "page 9", "finish", "progress"])
@pytest.mark.parametrize("with_checkpoint", [False, True])
def test_item02_interrupt_is_this_fetchs(
    small_box: Sandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    where: str,
    with_checkpoint: bool,
) -> None:
    box = small_box
    with box.client(retry=False) as plain:
        expected = cn.fetch_frame(plain, "trade_page", page_size=20, progress=False)
    stale = _stale_error(box)
    page = int(where.split()[1]) if where.startswith("page") else None
    transport = _Interrupting(box.transport(), page)
    if where == "finish":
        real = FrameBuilder.finish
        calls = {"n": 0}

        def finish(self: Any) -> pd.DataFrame:
            calls["n"] += 1
            if calls["n"] == 1:
                raise KeyboardInterrupt
            return real(self)

        monkeypatch.setattr(FrameBuilder, "finish", finish)
    if where == "progress":
        from tqdm.auto import tqdm

        real_update = tqdm.update
        hits = {"n": 0}

        def update(self: Any, n: float | None = 1) -> bool | None:
            hits["n"] += 1
            if hits["n"] == 5:
                raise KeyboardInterrupt
            return real_update(self, n)

        monkeypatch.setattr(tqdm, "update", update)
    checkpoint = tmp_path / "ck.jsonl" if with_checkpoint else None
    with Client(
        box.base_url, box.pid, box.api_key, transport=transport, retry=False, clock=box.clock
    ) as client:
        with pytest.raises(CregisFetchInterrupted) as caught:
            cn.fetch_frame(
                client,
                "trade_page",
                page_size=20,
                progress=where == "progress",
                checkpoint=checkpoint,
                concurrency=3,
            )
        err = caught.value
        assert isinstance(err, KeyboardInterrupt)
        assert cn.last_fetch_error() is err and err is not stale
        assert err.partial is None or "status" not in err.partial.attrs.get("filters", {})
        monkeypatch.undo()
        df = err.resume(progress=False)
    assert cn.last_fetch_error() is None
    pd.testing.assert_frame_equal(df, expected)
    assert df.attrs["complete"]


# -- 3. wrong pages are asked again ----------------------------------------------------------------


class _Spoiling(httpx.BaseTransport):
    """The sandbox, but the first answer of page ``page`` spoiled by ``spoil(data)``."""

    def __init__(self, box: Sandbox, page: int, spoil: Callable[[dict[str, Any]], Any]) -> None:
        self.inner = box.transport()
        self.sandbox = box
        self.page: int | None = page
        self.spoil = spoil

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if json.loads(request.content).get("page_num") != self.page:
            return response
        self.page = None
        response.read()
        answer = json.loads(response.content)
        answer["data"] = self.spoil(answer["data"])
        return httpx.Response(200, json=answer)


SPOILERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "data null": lambda data: None,
    "rows empty": lambda data: {**data, "rows": []},
    "short page": lambda data: {**data, "rows": data["rows"][:-7]},
}


@pytest.mark.parametrize("spoil", sorted(SPOILERS))
@pytest.mark.parametrize("page", [2, 5])
def test_item03_wrong_pages_are_asked_again(
    small_box: Sandbox, tmp_path: Path, spoil: str, page: int
) -> None:
    box = small_box
    with box.client(retry=False) as plain:
        expected = cn.fetch_frame(plain, "trade_page", page_size=20, progress=False)
    assert len(expected) > 5 * 20
    spoiled = _Spoiling(box, page, SPOILERS[spoil])
    with Client(
        box.base_url, box.pid, box.api_key, transport=spoiled, retry=False, clock=box.clock
    ) as client:
        df = cn.fetch_frame(client, "trade_page", page_size=20, progress=False)
    pd.testing.assert_frame_equal(df, expected)
    assert df.attrs["complete"]
    # the same wrong page read back from a checkpoint is fetched again, never trusted
    checkpoint = tmp_path / "ck.jsonl"
    with box.client(retry=False) as plain:
        cn.fetch_frame(
            plain,
            "trade_page",
            page_size=20,
            progress=False,
            checkpoint=checkpoint,
            keep_checkpoint=True,
        )
    lines = checkpoint.read_bytes().split(b"\n")
    spoilt = 0
    for i, line in enumerate(lines):
        if line.startswith(b'{"page":%d,' % page):
            entry = json.loads(line)
            entry["envelope"]["data"] = SPOILERS[spoil](entry["envelope"]["data"])
            body = json.dumps(entry["envelope"], separators=(",", ":")).encode()
            lines[i] = b'{"page":%d,"sha256":"%s","envelope":%s}' % (
                page,
                hashlib.sha256(body).hexdigest().encode(),
                body,
            )
            spoilt += 1
    assert spoilt == 1
    checkpoint.write_bytes(b"\n".join(lines))
    with box.client(retry=False) as plain:
        again = cn.fetch_frame(
            plain, "trade_page", page_size=20, progress=False, checkpoint=checkpoint
        )
    pd.testing.assert_frame_equal(again, expected)
    assert again.attrs["complete"]


def test_item03_a_wrong_page_that_stays_wrong_is_never_complete(small_box: Sandbox) -> None:
    box = small_box

    class Always(_Spoiling):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            self.page = 3
            return super().handle_request(request)

    spoiled = Always(box, 3, SPOILERS["short page"])
    with (
        Client(
            box.base_url, box.pid, box.api_key, transport=spoiled, retry=False, clock=box.clock
        ) as client,
        pytest.raises(cn.CregisFetchError) as caught,
    ):
        cn.fetch_frame(
            client,
            "trade_page",
            page_size=20,
            progress=False,
            timing=FetchTiming(backoff=0, max_backoff=0),
        )
    assert caught.value.partial is not None and not caught.value.partial.attrs["complete"]


# -- 4. to_frame neither truncates nor overflows ---------------------------------------------------


def test_item04_unfit_values_keep_their_text_and_warn() -> None:
    with pytest.warns(cn.CregisDataWarning) as caught:
        df = cn.to_frame(_envelope([{"cid": 1.9, "status": 2.5}], 1), "trade_page")
    assert df["cid"].tolist() == ["1.9"] and df["status"].tolist() == ["2.5"]
    assert {"cid", "status"} <= {
        c for w in caught for c in ("cid", "status") if c in str(w.message)
    }
    with pytest.warns(cn.CregisDataWarning, match="block_time"):
        df = cn.to_frame(_envelope([{"cid": 1, "block_time": 10**17}], 1), "trade_page")
    assert df["block_time"].tolist() == [str(10**17)]


# -- 5. JSON numbers keep every digit --------------------------------------------------------------

LONG = "0.123456789012345678901234567890"


def test_item05_json_numbers_keep_every_digit(served: SandboxServer) -> None:
    text = '{"code":"00000","msg":"ok","data":{"total":1,"rows":[{"cid":1,"amount":' + LONG + "}]}}"
    mock = httpx.MockTransport(lambda request: httpx.Response(200, text=text))
    with Client(URL, PID, KEY, transport=mock, retry=False) as client:
        env = client.request("trade_page")
        assert env.data["rows"][0]["amount"] == Decimal(LONG)
        assert cn.to_frame(env)["amount"].tolist() == [Decimal(LONG)]
    # the same through fetch_frame over real HTTP: the sandbox served, one amount a JSON number

    def as_number(path: str, content: bytes) -> bytes:
        if path != "/api/v1/trade/page":
            return content
        head, sep, tail = content.partition(b'"amount":"')
        _, _, rest = tail.partition(b'"')
        return head + b'"amount":' + LONG.encode() + rest if sep else content

    with (
        _Forwarder(served.base_url, as_number) as forwarder,
        Client(forwarder.url, served.pid, served.api_key, retry=False) as client,
    ):
        df = cn.fetch_frame(client, "trade_page", page_size=50, progress=False)
    assert (df["amount"] == Decimal(LONG)).sum() >= 1
    assert df["amount"].map(type).eq(Decimal).all()


# -- 6. checkpoints: torn, not UTF-8, or changed ---------------------------------------------------


def _page_line(page: int, envelope: dict[str, Any]) -> bytes:
    body = json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()
    digest = hashlib.sha256(body).hexdigest().encode()
    return b'{"page":%d,"sha256":"%s","envelope":%s}' % (page, digest, body)


@pytest.mark.parametrize("damage", ["torn 工资", "not utf-8", "changed digit"])
def test_item06_a_damaged_checkpoint_page_is_fetched_again(
    small_box: Sandbox, tmp_path: Path, damage: str
) -> None:
    box = small_box
    checkpoint = tmp_path / "ck.jsonl"
    with box.client(retry=False) as client:
        expected = cn.fetch_frame(
            client,
            "trade_page",
            page_size=20,
            progress=False,
            checkpoint=checkpoint,
            keep_checkpoint=True,
        )
    header, *lines = [x for x in checkpoint.read_bytes().split(b"\n") if x]
    by_page = {json.loads(x)["page"]: json.loads(x)["envelope"] for x in lines}
    last = max(by_page)
    if damage == "torn 工资":
        envelope = by_page.pop(last)
        envelope["data"]["rows"][0]["remark"] = "工资"
        line = _page_line(last, envelope)
        cut = line.index("工".encode()) + 1  # inside the three bytes of 工
        kept = [_page_line(p, e) for p, e in sorted(by_page.items())]
        checkpoint.write_bytes(b"\n".join([header, *kept, line[:cut]]))
    elif damage == "not utf-8":
        kept = [_page_line(p, e) for p, e in sorted(by_page.items())]
        kept[3] = kept[3].replace(b'"msg":"', b'"msg":"\xff', 1)
        checkpoint.write_bytes(b"\n".join([header, *kept]) + b"\n")
    else:
        kept = [_page_line(p, e) for p, e in sorted(by_page.items())]
        amount = by_page[4]["data"]["rows"][0]["amount"]
        changed = ("9" if amount[0] != "9" else "8") + amount[1:]
        kept[3] = kept[3].replace(
            b'"amount":"%s"' % amount.encode(), b'"amount":"%s"' % changed.encode(), 1
        )
        assert changed.encode() in kept[3]
        checkpoint.write_bytes(b"\n".join([header, *kept]) + b"\n")
    with box.client(retry=False) as client:
        again = cn.fetch_frame(
            client, "trade_page", page_size=20, progress=False, checkpoint=checkpoint
        )
    pd.testing.assert_frame_equal(again, expected)


# -- 7. a null total -------------------------------------------------------------------------------


def test_item07_a_null_total_is_unknown_not_a_crash(small_box: Sandbox) -> None:
    df = cn.to_frame(_envelope([{"cid": 1, "amount": "1"}], None), "trade_page")
    assert len(df) == 1 and df.attrs["total"] is None
    box = small_box
    with box.client(retry=False) as plain:
        expected = cn.fetch_frame(plain, "trade_page", page_size=20, progress=False)

    class NullTotal(_Spoiling):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            self.page = json.loads(request.content).get("page_num")
            return super().handle_request(request)

    nulled = NullTotal(box, 1, lambda data: {**data, "total": None})
    with Client(
        box.base_url, box.pid, box.api_key, transport=nulled, retry=False, clock=box.clock
    ) as client:
        df = cn.fetch_frame(client, "trade_page", page_size=20, progress=False)
    pd.testing.assert_frame_equal(df, expected, check_like=True)
    assert df.attrs["total"] is None


# -- 8. an overstated total is reported, not obeyed ------------------------------------------------


@pytest.mark.parametrize("total", [10**7, 10**11])
def test_item08_an_overstated_total_is_not_obeyed(small_box: Sandbox, total: int) -> None:
    box = small_box
    with box.client(retry=False) as plain:
        expected = cn.fetch_frame(plain, "trade_page", page_size=100, progress=False)
    real_rows = len(expected)
    assert 400 < real_rows < 500

    class Overstated(_Spoiling):
        asked = 0

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            type(self).asked += 1
            self.page = json.loads(request.content).get("page_num")
            return super().handle_request(request)

    lying = Overstated(box, 1, lambda data: {**data, "total": total})
    with (
        Client(
            box.base_url, box.pid, box.api_key, transport=lying, retry=False, clock=box.clock
        ) as client,
        pytest.warns(cn.CregisConsistencyWarning, match=str(total)),
    ):
        df = cn.fetch_frame(
            client,
            "trade_page",
            page_size=100,
            progress=False,
            timing=FetchTiming(backoff=0, max_backoff=0),
        )
    assert Overstated.asked < 40
    assert len(df) == real_rows and not df.attrs["complete"]
    assert df.attrs["mismatch"]["total"] == total and df.attrs["mismatch"]["rows"] == real_rows


# -- 9. validation gaps ----------------------------------------------------------------------------

CHECKOUT = {
    "order_id": "o-1",
    "order_amount": "20",
    "order_currency": "USD",
    "payer_id": "p",
    "payer_email": "p@example.com",
    "valid_time": 10,
    "success_url": "https://shop.example.com/ok",
    "cancel_url": "https://shop.example.com/cancel",
}


def test_item09_huge_int_for_a_float_parameter() -> None:
    with Client(URL, PID, KEY) as client:
        for huge in (10**400, -(10**400), 10**309):
            with pytest.raises(CregisValidationError, match="underpaid_tolerance") as caught:
                client.prepare("checkout_create_v2", **CHECKOUT, underpaid_tolerance=huge)
            _clean(caught.value)


def test_item09_decimals_in_order_details_keep_every_digit() -> None:
    with Client(URL, PID, KEY) as client:
        prepared = client.prepare(
            "checkout_create_v2",
            **CHECKOUT,
            order_details={"items": [{"price": Decimal("12345678901234567.89")}]},
        )
    sent = json.dumps(prepared.body) if not isinstance(prepared.body, bytes) else ""
    assert "12345678901234567.89" in (sent + str(prepared.body))
    assert "1.2345678901234568e+16" not in sent + str(prepared.body)


@pytest.mark.parametrize("amount", ["1_000", "١٢٣"])
def test_item09_amounts_must_be_plain_ascii_decimals(amount: str, box: Sandbox) -> None:
    with (
        box.client(retry=False) as client,
        pytest.raises(CregisValidationError, match="amount"),
    ):
        client.prepare(
            "payout_create_v2",
            wallet_id=1,
            currency="195@195",
            to_address="TXyz",
            amount=amount,
            third_party_id="t-1",
        )
    params = {"currency": "195@195", "to_address": "TXyz", "amount": amount, "third_party_id": "t9"}
    answer = call(box, "payout_create_v1", params)
    assert answer["code"] != "00000", answer
    answer = call(box, "order_create_v1", {**CHECKOUT, "order_amount": amount, "order_id": "x9"})
    assert answer["code"] != "00000", answer


def test_item09_lone_surrogate_in_sign_is_not_verified() -> None:
    payload = '{"cid":1,"status":2,"sign":"\\ud800"}'
    assert cn.verify_signature(payload, KEY) is False
    assert cn.verify_signature(payload.encode(), KEY) is False
    assert cn.verify_signature(json.loads(payload), KEY) is False
    parsed = cn.parse_callback(payload, kind="payout", api_key=KEY)
    assert parsed.verified is False


# -- 10. Parquet and decimals of more than 38 digits -----------------------------------------------


def test_item10_parquet_says_which_column_and_value(tmp_path: Path) -> None:
    huge = "1" * 40 + ".5"
    df = cn.to_frame(
        _envelope([{"cid": 1, "amount": huge}, {"cid": 2, "amount": "1"}], 2), "trade_page"
    )
    try:
        cn.to_parquet(df, tmp_path / "t.parquet")
    except CregisError as exc:
        assert "amount" in str(exc) and huge in str(exc)
        assert "csv" in str(exc).lower() or "text" in str(exc).lower()
    else:
        back = cn.read_parquet(tmp_path / "t.parquet")
        pd.testing.assert_frame_equal(back, df)
        assert back["amount"].iloc[0] == Decimal(huge)


# -- 11. the key leaks through nothing -------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::cregis_notebook.errors.CregisUnknownParamWarning")
def test_item11_the_key_leaks_through_no_exception(monkeypatch: pytest.MonkeyPatch) -> None:
    with Client(URL, PID, KEY) as client:
        with pytest.raises(CregisError) as caught:
            client.request("trade_page", tx_id="\ud800")
        _clean(caught.value)
        with pytest.raises(CregisError) as caught:
            client.request("trade_page", remark=b"x")
        _clean(caught.value)
    with pytest.raises(CregisConfigError) as caught:
        Client(URL, KEY, PID)  # type: ignore[arg-type]
    _clean(caught.value)
    for name in ("CREGIS_PID", "CREGIS_BASE_URL"):
        monkeypatch.setenv("CREGIS_BASE_URL", URL)
        monkeypatch.setenv("CREGIS_PID", str(PID))
        monkeypatch.setenv("CREGIS_API_KEY", KEY)
        monkeypatch.setenv(name, KEY)
        with pytest.raises(CregisConfigError) as caught:
            Client.from_env(env_file=None)
        _clean(caught.value)


# -- 12. the demo and money-moving calls -----------------------------------------------------------

WRITES = (
    "/api/v1/payout",
    "/api/v2/payout",
    "/api/v1/sub_address_withdrawal",
    "/api/v2/checkout",
    "/api/v1/order",
    "/api/v1/address/create",
    "/api/v1/deposit",
)


def test_item12_demo_writes_nothing_through_a_loopback_forwarder(
    served: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _Forwarder(served.base_url) as forwarder:
        monkeypatch.setenv("CREGIS_BASE_URL", forwarder.url)
        monkeypatch.setenv("CREGIS_PID", str(served.pid))
        monkeypatch.setenv("CREGIS_API_KEY", served.api_key)
        monkeypatch.setenv("CREGIS_ALLOW_WRITES", "1")
        monkeypatch.chdir(tmp_path)
        status = cli_main(["demo", "--out", str(tmp_path / "out")])
    assert forwarder.paths, "the demo never reached the forwarder"
    assert not [p for p in forwarder.paths if p.split("?")[0] in WRITES], forwarder.paths
    assert status == 0


@pytest.mark.parametrize("use_async", [False, True])
@pytest.mark.parametrize("answer", ["500", "502 html", "malformed", "no envelope"])
def test_item12_a_money_call_with_a_bad_answer_may_have_taken_effect(
    answer: str, use_async: bool
) -> None:
    sent: list[str] = []

    def reply(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path)
        if answer == "500":
            return httpx.Response(500, json={"code": "00000", "msg": "ok", "data": None})
        if answer == "502 html":
            return httpx.Response(502, text="<html>Bad gateway</html>")
        if answer == "malformed":
            return httpx.Response(200, text='{"code":"00000","msg":')
        return httpx.Response(200, json={"ok": True})

    payout = {"currency": "195@195", "address": "TXyz", "amount": "1.5", "third_party_id": "t-1"}

    async def in_async() -> None:
        transport = httpx.MockTransport(reply)
        async with cn.AsyncClient(URL, PID, KEY, transport=transport, allow_writes=True) as client:
            await client.request("payout_create_v1", **payout)

    with pytest.raises((CregisTransportError, CregisResponseError)) as caught:
        if use_async:
            asyncio.run(in_async())
        else:
            transport = httpx.MockTransport(reply)
            with Client(URL, PID, KEY, transport=transport, allow_writes=True) as client:
                client.request("payout_create_v1", **payout)
    assert "may have taken effect" in str(caught.value)
    assert sent == ["/api/v1/payout"]  # sent once, never retried
    _clean(caught.value)


# -- 13. the sandbox's refunded orders keep a documented status ------------------------------------

ORDER_STATUSES = {"new", "paid", "expired", "paid_over", "paid_partial", "canceled"}


def test_item13_a_refunded_order_keeps_its_paid_status() -> None:
    clock = FakeClock()
    box = Sandbox(clock=clock, transactions=100, settle_seconds=30)
    with box.client() as client:
        cregis_id = client.request("checkout_create_v2", **CHECKOUT).data["cregis_id"]
        box.simulate_payment(cregis_id)
        clock.advance(120)
        box.deliver_callbacks()
        box.simulate_refund(cregis_id)
        clock.advance(3600)
        box.deliver_callbacks()
        order = client.request("order_info_v2", cregis_id=cregis_id).data
        assert order["status"] == "paid"
        assert order.get("refund_data"), order
        for other in box.order_ids():
            status = client.request("order_info_v2", cregis_id=other).data["status"]
            assert status in ORDER_STATUSES, (other, status)
    box.close()
    status_field = cn.registry().endpoint("order_info_v2").field("status")
    assert status_field is not None
    assert {e.value for e in status_field.enum} <= ORDER_STATUSES


# -- what was left over: one way to read a total, validation errors only, CLI numbers ------------

_deep: list[Any] = []
_cursor = _deep
for _ in range(50_000):
    _cursor.append([])
    _cursor = _cursor[0]
_loop: dict[str, Any] = {}
_loop["self"] = _loop

BAD_PARAMS: dict[str, tuple[str, dict[str, Any]]] = {
    "deep list for a JSON array": ("checkout_create_v2", {**CHECKOUT, "tokens": _deep}),
    "deep JSON text": ("checkout_create_v2", {**CHECKOUT, "tokens": "[" * 50_000 + "]" * 50_000}),
    "deep object text": (
        "checkout_create_v2",
        {**CHECKOUT, "order_details": '{"a":' * 50_000 + "1" + "}" * 50_000},
    ),
    "an object holding itself": ("checkout_create_v2", {**CHECKOUT, "order_details": _loop}),
    "huge int inside JSON": ("checkout_create_v2", {**CHECKOUT, "order_details": {"a": 10**5000}}),
    "huge int for a float": ("checkout_create_v2", {**CHECKOUT, "underpaid_tolerance": 10**5000}),
    "huge int for an int": ("trade_page", {"cid": 10**5000}),
    "huge int text for an int": ("address_batch_create", {"chain_id": "195", "number": "9" * 5000}),
    "deep list for text": ("trade_page", {"tx_id": _deep}),
    "huge int, undocumented": ("trade_page", {"extra": 10**5000}),
    "deep list, undocumented": ("trade_page", {"extra": _deep}),
}


@pytest.mark.parametrize("case", sorted(BAD_PARAMS))
@pytest.mark.filterwarnings("ignore::cregis_notebook.errors.CregisUnknownParamWarning")
def test_leftover_prepare_raises_only_validation_errors(case: str) -> None:
    endpoint, params = BAD_PARAMS[case]
    with Client(URL, PID, KEY) as client, pytest.raises(CregisValidationError) as caught:
        client.prepare(endpoint, **params)
    assert len(str(caught.value)) < 2_000
    _clean(caught.value)


def test_leftover_sign_refuses_an_integer_too_long_to_write() -> None:
    with pytest.raises(CregisValidationError, match="too many digits") as caught:
        cn.sign({"cid": 10**5000}, KEY)
    _clean(caught.value)


@pytest.mark.parametrize("text", ["١٢٣", "1_000", "nan", "inf", "1e5"])
def test_leftover_cli_numbers_follow_the_value_contract(text: str) -> None:
    from cregis_notebook.cli.fetch import parse_value

    param = cn.registry().endpoint("checkout_create_v2").param("underpaid_tolerance")
    assert param is not None
    with pytest.raises(CliError, match="plain ASCII"):
        parse_value(param, text)
    assert parse_value(param, "0.123456789012345678901234567890") == Decimal(
        "0.123456789012345678901234567890"
    )


class _AsyncInterrupting(httpx.AsyncBaseTransport):
    """The async sandbox, but ``KeyboardInterrupt`` when page ``page`` is asked for (once)."""

    def __init__(self, box: Sandbox, page: int | None) -> None:
        self.inner = box.async_transport()
        self.sandbox = box
        self.page = page

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.page is not None and json.loads(request.content).get("page_num") == self.page:
            self.page = None
            raise KeyboardInterrupt
        return await self.inner.handle_async_request(request)


@pytest.mark.parametrize("page", [1, 3, 9])
def test_item02_an_async_interrupt_is_this_fetchs_too(small_box: Sandbox, page: int) -> None:
    box = small_box
    with box.client(retry=False) as plain:
        expected = cn.fetch_frame(plain, "trade_page", page_size=20, progress=False)
    stale = _stale_error(box)

    async def main() -> pd.DataFrame:
        transport = _AsyncInterrupting(box, page)
        async with cn.AsyncClient(
            box.base_url, box.pid, box.api_key, transport=transport, retry=False, clock=box.clock
        ) as client:
            with pytest.raises(CregisFetchInterrupted) as caught:
                await cn.afetch_frame(
                    client, "trade_page", page_size=20, progress=False, concurrency=3
                )
            assert cn.last_fetch_error() is caught.value and caught.value is not stale
            df: pd.DataFrame = await caught.value.resume()
            return df

    df = asyncio.run(main())  # nothing escapes the event loop afterwards
    pd.testing.assert_frame_equal(df, expected)
    assert cn.last_fetch_error() is None


@pytest.mark.parametrize("number", ["NaN", "1.5", "7"])
def test_item01_text_beside_a_number_round_trips(tmp_path: Path, number: str) -> None:
    """An undocumented column of text and a number (even JSON's non-standard NaN) stays an
    ``object`` column that CSV and Parquet give back exactly."""
    rows = '[{"cid":1,"extra":' + number + '},{"cid":2,"extra":"a"},{"cid":3,"extra":null}]'
    text = '{"code":"00000","msg":"ok","data":{"total":3,"rows":' + rows + "}}"
    mock = httpx.MockTransport(lambda request: httpx.Response(200, text=text))
    with Client(URL, PID, KEY, transport=mock, retry=False) as client:
        df = cn.to_frame(client.request("trade_page"))
    assert df["extra"].dtype == object
    cn.to_csv(df, tmp_path / "t.csv")
    pd.testing.assert_frame_equal(cn.read_csv(tmp_path / "t.csv"), df)
    cn.to_parquet(df, tmp_path / "t.parquet")
    pd.testing.assert_frame_equal(cn.read_parquet(tmp_path / "t.parquet"), df)
