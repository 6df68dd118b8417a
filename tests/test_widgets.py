"""The widgets driven from Python: forms from the registry, validation, sending, history, safety."""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import ipywidgets as W
import pandas as pd
import pytest

from cregis_notebook import Client, CregisConnectError, CregisValidationError, registry
from cregis_notebook.spec import Endpoint
from cregis_notebook.widgets import ConfirmationRequired, RequestBuilder
from cregis_notebook.widgets._form import check_json, currency_options, field_kind
from cregis_notebook.widgets._logic import csv_link_html, needs_confirmation

LIVE_KEY = "live-secret-key-0123456789abcdef"
EDITORS = {
    "enum": W.Dropdown,
    "datetime": W.NaiveDatetimePicker,
    "integer": W.IntText,
    "decimal": W.Text,
    "number": W.Text,
    "json": W.Textarea,
    "currency": W.Dropdown,
    "chain": W.Dropdown,
    "text": W.Text,
}
COINS = {
    "payout_coins": [{"coin_name": "TRON", "chain_id": "195", "token_id": "195"}],
    "address_coins": [
        {
            "coin_name": "USDT-TRC20",
            "chain_id": "195",
            "token_id": "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
        }
    ],
}


class Recorder:
    """An httpx transport that answers like Cregis and records every request body by path."""

    def __init__(self, answer: Callable[[str, dict[str, Any]], dict[str, Any]] | None = None):
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.answer = answer

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.calls.append((request.url.path, body))
        if self.answer is not None:
            return httpx.Response(200, json=self.answer(request.url.path, body))
        if request.url.path == "/api/v1/coins":
            return httpx.Response(200, json={"code": "00000", "msg": "ok", "data": COINS})
        return httpx.Response(200, json={"code": "00000", "msg": "ok", "data": {"cid": 1}})

    def paths(self) -> list[str]:
        return [path for path, _ in self.calls]


def live_client(recorder: Recorder) -> Client:
    client = Client(
        "https://t-xxx.cregis.io",
        1382528827416576,
        LIVE_KEY,
        transport=httpx.MockTransport(recorder),
    )
    assert not client.is_sandbox
    return client


@pytest.fixture
def sandbox() -> Client:
    return Client.sandbox(seed=7)


def sandbox_key(client: Client) -> str:
    return client._key.reveal()  # the test needs the key to prove it is nowhere


def all_widget_state() -> str:
    return json.dumps(W.Widget.get_manager_state(), default=str)


# -- the form --------------------------------------------------------------------------------


@pytest.mark.parametrize("ep", registry().endpoints, ids=lambda ep: ep.name)
def test_every_endpoint_renders_one_editor_per_documented_parameter(ep: Endpoint) -> None:
    builder = RequestBuilder(live_client(Recorder()), ep.name)
    assert builder.endpoint is ep
    assert list(builder.fields) == list(ep.param_names)
    for param in ep.params:
        editor = builder.fields[param.name]
        assert isinstance(editor, EDITORS[field_kind(param)]), param.name
        label = builder._fields[param.name].label.value
        assert param.name in label
        assert ("title='required'" in label) is param.required
    picked = dict((value, label) for label, value in builder.picker.options)
    assert ep.area in picked[ep.name]
    assert html.escape(ep.summary) in builder.summary.value


def test_picker_is_grouped_by_area_and_marks_legacy() -> None:
    builder = RequestBuilder(live_client(Recorder()))
    labels = [label for label, _ in builder.picker.options]
    areas = [label.split(" › ")[0] for label in labels]
    order = list(registry().by_area())
    assert areas == sorted(areas, key=order.index)
    assert "Legacy › order_create_v1 (legacy)" in labels
    assert "Legacy › deposit_create (legacy-2023)" in labels
    assert any(label.endswith("(SDK only)") for label in labels)


def test_editor_kinds_follow_the_registry() -> None:
    reg = registry()
    trade = reg.endpoint("trade_page")
    checkout = reg.endpoint("checkout_create_v2")
    payout = reg.endpoint("payout_create_v2")
    assert field_kind(trade.param("blocktime_start")) == "datetime"  # type: ignore[arg-type]
    assert field_kind(trade.param("status")) == "enum"  # type: ignore[arg-type]
    assert field_kind(trade.param("page_size")) == "integer"  # type: ignore[arg-type]
    assert field_kind(trade.param("chain_id")) == "chain"  # type: ignore[arg-type]
    assert field_kind(payout.param("amount")) == "decimal"  # type: ignore[arg-type]
    assert field_kind(payout.param("currency")) == "currency"  # type: ignore[arg-type]
    for name in ("order_details", "tokens", "sub_merchant"):
        assert field_kind(checkout.param(name)) == "json"  # type: ignore[arg-type]
    assert field_kind(checkout.param("underpaid_tolerance")) == "number"  # type: ignore[arg-type]
    order = currency_options(checkout.param("order_currency"))  # type: ignore[arg-type]
    assert ("USD (fiat)", "USD") in order and ("USDT (crypto)", "USDT") in order


def test_enums_are_dropdowns_with_labels() -> None:
    builder = RequestBuilder(live_client(Recorder()), "trade_page")
    status = builder.fields["status"]
    assert [label for label, _ in status.options] == [
        "(not set)",
        "pending (0)",
        "success (1)",
        "failed (2)",
    ]
    builder.set(status="failed")
    assert status.value == 2
    assert builder.params == {"status": 2}
    language = RequestBuilder(live_client(Recorder()), "checkout_create_v2").fields["language"]
    assert language.options[0][0] == "(not set): default English"


def test_currency_dropdown_offers_the_projects_coins() -> None:
    recorder = Recorder()
    builder = RequestBuilder(live_client(recorder), "payout_create_v2")
    values = [value for _, value in builder.fields["currency"].options]
    assert values == ["", "195@195", "195@TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"]
    assert html.escape("project's coins") in builder.coins_note.value
    assert recorder.paths() == ["/api/v1/coins"]  # read once, on first need
    builder.endpoint = "sub_address_withdrawal_create"
    assert recorder.paths() == ["/api/v1/coins"]
    builder.set(currency="60@60")  # not a project coin: offered rather than refused
    assert builder.params["currency"] == "60@60"


def test_currency_dropdown_falls_back_to_the_registry_table() -> None:
    recorder = Recorder(lambda path, body: {"code": "E0003", "msg": "project error", "data": None})
    builder = RequestBuilder(live_client(recorder), "address_collection")
    values = [value for _, value in builder.fields["currency"].options]
    assert len(values) == 1 + len(registry().currencies)
    assert "could not be read" in builder.coins_note.value


def test_time_filters_are_pickers_converted_to_the_documented_unit() -> None:
    builder = RequestBuilder(live_client(Recorder()), "trade_page")
    builder.set(blocktime_start=dt.datetime(2024, 1, 1), blocktime_end=1704153600)
    assert builder.fields["blocktime_end"].value == dt.datetime(2024, 1, 2)
    body = builder.preview().body
    assert body["blocktime_start"] == 1704067200  # seconds, as documented for trade_page
    assert body["blocktime_end"] == 1704153600
    aware = dt.datetime(2024, 1, 1, 8, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    builder.set(blocktime_start=aware)
    assert builder.preview().body["blocktime_start"] == 1704067200


def test_integer_fields_send_only_when_set() -> None:
    builder = RequestBuilder(live_client(Recorder()), "trade_page")
    assert builder.params == {}
    builder.fields["page_size"].value = 50  # editing the number ticks its "send" box
    assert builder.params == {"page_size": 50}
    builder.set(page_size=None)
    assert builder.params == {}
    builder.set(status="success", tx_id="0xabc", blocktime_start=dt.datetime(2024, 1, 1))
    assert len(builder.params) == 3
    builder.clear()
    assert builder.params == {}


def test_json_editors_check_the_json_and_offer_the_documented_example() -> None:
    builder = RequestBuilder(live_client(Recorder()), "checkout_create_v2")
    field = builder._fields["order_details"]
    builder.fields["order_details"].value = '{"items": ['
    assert "not valid JSON" in field.note.value
    builder.fields["order_details"].value = "[1, 2]"
    assert "must be an object" in field.note.value
    insert = next(w for w in field.row.children[0].children if isinstance(w, W.Button))
    insert.click()
    assert json.loads(builder.fields["order_details"].value)["items"]
    assert field.note.value.endswith("valid JSON</span>")
    tokens = builder._fields["tokens"].picker
    assert tokens is not None
    tokens.value = ("USDT-TRC20", "USDT-BEP20")  # no JSON typed
    assert json.loads(builder.params["tokens"]) == ["USDT-TRC20", "USDT-BEP20"]
    builder.set(accept_partial_payment=False, stablecoin_realtime_rate="true")
    assert builder.params["accept_partial_payment"] == "false"
    builder.set(tokens=["USDT-TRC20"], sub_merchant={"sub_merchant_id": "m1"})
    assert json.loads(builder.params["tokens"]) == ["USDT-TRC20"]
    assert check_json("", "json_array") is None
    assert check_json("{}", "json_array") == "must be an array [...], not dict"


# -- validation before sending ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "params", "culprit"),
    [
        ("trade_page", {"page_size": 500}, "page_size"),
        ("payout_create_v2", {"amount": "1,5"}, "amount"),
        ("checkout_create_v2", {"order_details": '{"items": '}, "order_details"),
        ("payout_query", {}, "cid"),
        ("checkout_create_v2", {"valid_time": 5}, "valid_time"),
    ],
)
def test_invalid_input_is_refused_before_sending(
    endpoint: str, params: dict[str, Any], culprit: str
) -> None:
    recorder = Recorder()
    builder = RequestBuilder(live_client(recorder), endpoint)
    builder.set(**params)
    assert "Fix" in builder.status.value and culprit in builder.status.value
    assert "⚠" in builder._fields[culprit].label.value
    before = len(recorder.calls)
    builder.confirm.value = True  # even when confirmed
    with pytest.raises(CregisValidationError) as info:
        builder.send()
    assert len(recorder.calls) == before
    assert builder.history.empty
    assert "CregisValidationError" in builder.answer.value
    if info.value.param is not None and culprit != "cid":
        assert info.value.param == culprit


def test_set_refuses_unknown_names_and_float_amounts() -> None:
    builder = RequestBuilder(live_client(Recorder()), "payout_create_v2")
    with pytest.raises(CregisValidationError, match="to_adress"):
        builder.set(to_adress="T...")
    with pytest.raises(CregisValidationError, match="must be exact"):
        builder.set(amount=1.5)
    builder.set(amount=Decimal("1.50"))
    assert builder.params["amount"] == "1.50"


def test_a_click_with_invalid_input_shows_the_problem_and_raises_nothing() -> None:
    recorder = Recorder()
    builder = RequestBuilder(live_client(recorder), "trade_page")
    builder.set(page_size=0)
    builder.send_button.click()
    assert "page_size" in builder.answer.value
    assert "/api/v1/trade/page" not in recorder.paths()


# -- live writes need a confirmation ---------------------------------------------------------


def test_a_live_write_without_confirmation_sends_nothing() -> None:
    recorder = Recorder()
    client = live_client(recorder)
    builder = RequestBuilder(client, "payout_create_v2")
    assert "LIVE" in builder.badge.value
    assert builder.confirm.layout.display == ""
    assert "moves money" in builder.confirm.description
    builder.set(
        currency="195@195",
        to_address="TXsmKpEuW7qWnXzJLGP9eDLvWPR2GRn1FS",
        amount="1.1",
        third_party_id="t-1",
    )
    writes = lambda: [p for p in recorder.paths() if p == "/api/v2/payout"]  # noqa: E731
    with pytest.raises(ConfirmationRequired):
        builder.send()
    builder.send_button.click()
    assert writes() == []
    assert "Nothing was sent" in builder.answer.value

    builder.confirm.value = True
    envelope = builder.send()
    assert envelope.ok and writes() == ["/api/v2/payout"]
    assert builder.confirm.value is False  # reset after each send
    with pytest.raises(ConfirmationRequired):
        builder.send()
    assert writes() == ["/api/v2/payout"]


def test_confirmation_rule() -> None:
    live = live_client(Recorder())
    reg = registry()
    assert needs_confirmation(reg.endpoint("payout_create_v2"), live)
    assert needs_confirmation(reg.endpoint("address_create"), live)
    assert not needs_confirmation(reg.endpoint("trade_page"), live)
    builder = RequestBuilder(live, "trade_page")
    assert builder.confirm.layout.display == "none"
    builder.send()  # a live read needs no confirmation


def test_the_confirmation_is_the_clients_guard() -> None:
    """A client allowed to write needs no box; a confirmed send is the client's opt-in."""
    from cregis_notebook.errors import CregisWriteRefused

    assert issubclass(ConfirmationRequired, CregisWriteRefused)
    recorder = Recorder()
    allowed = Client(
        "https://t-xxx.cregis.io",
        1382528827416576,
        LIVE_KEY,
        transport=httpx.MockTransport(recorder),
        allow_writes=True,
    )
    assert not needs_confirmation(registry().endpoint("payout_create_v2"), allowed)
    builder = RequestBuilder(allowed, "address_create")
    assert builder.confirm.layout.display == "none"
    builder.set(chain_id="195")
    assert builder.send().ok and recorder.paths()[-1] == "/api/v1/address/create"


def test_a_loopback_server_that_does_not_prove_itself_needs_confirmation() -> None:
    recorder = Recorder()

    def forwarder(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/_sandbox/info":
            return httpx.Response(404, text="Not Found")
        return recorder(request)

    client = Client(
        "http://127.0.0.1:8765",
        1382528827416576,
        LIVE_KEY,
        transport=httpx.MockTransport(forwarder),
    )
    builder = RequestBuilder(client, "address_create")
    assert "LIVE" in builder.badge.value and builder.confirm.layout.display == ""
    builder.set(chain_id="195")
    with pytest.raises(ConfirmationRequired):
        builder.send()
    assert "/api/v1/address/create" not in recorder.paths()
    builder.confirm.value = True
    assert builder.send().ok  # the ticked box confirms this one call to the client's guard
    assert recorder.paths().count("/api/v1/address/create") == 1


def test_sandbox_writes_need_no_confirmation(sandbox: Client) -> None:
    builder = RequestBuilder(sandbox, "address_create")
    assert "SANDBOX" in builder.badge.value
    assert builder.confirm.layout.display == "none"
    assert not needs_confirmation(builder.endpoint, sandbox)


# -- answers, tables and history -------------------------------------------------------------


def test_sending_to_the_sandbox_gives_envelope_table_and_history(sandbox: Client) -> None:
    builder = RequestBuilder(sandbox, "trade_page")
    builder.set(status="success", page_size=20)
    envelope = builder.send()
    assert envelope.ok and builder.result is envelope
    frame = builder.frame
    assert isinstance(frame, pd.DataFrame)
    assert 0 < len(frame) <= 20
    assert set(frame["code"]) == {"00000"}
    assert set(frame["status"].astype(str)) <= {"1", "success"}
    assert "00000" in builder.answer.value
    assert "<table" in builder.table.value and "00000" in builder.table.value
    assert "Download CSV" in builder.download.value
    history = builder.history
    assert list(history.columns) == ["endpoint", "code", "msg", "elapsed_ms", "rows", "sent_at"]
    assert history.iloc[0]["endpoint"] == "trade_page"
    assert history.iloc[0]["code"] == "00000"
    assert history.iloc[0]["rows"] == len(frame)
    assert str(history["sent_at"].dt.tz) == "UTC"


def test_fetch_all_pages_from_the_sandbox(sandbox: Client) -> None:
    builder = RequestBuilder(sandbox, "trade_page")
    builder.set(trade_type="in")
    first = builder.send()
    frame = builder.fetch_all()
    assert len(frame) == first.data["total"]
    assert builder.frame is frame
    assert builder.history["endpoint"].tolist() == ["trade_page", "trade_page (all pages)"]
    assert builder.history.iloc[-1]["rows"] == len(frame)
    builder.endpoint = "address_create"
    assert builder.fetch_button.layout.display == "none"
    with pytest.raises(CregisValidationError, match="not paged"):
        builder.fetch_all()


def test_an_error_code_is_shown_with_its_meaning_and_hint() -> None:
    recorder = Recorder(
        lambda path, body: {"code": "B0001", "msg": "Signature Error", "data": None}
    )
    builder = RequestBuilder(live_client(recorder), "payout_query")
    builder.set(cid=1410580986806272)
    envelope = builder.send()
    assert envelope.code == "B0001"
    doc = registry().return_code("B0001")
    assert doc is not None
    assert doc.meaning.split()[0] in builder.answer.value
    assert "What to do" in builder.answer.value
    assert builder.history.iloc[0]["code"] == "B0001"


def test_transport_errors_are_shown_recorded_and_raised() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = Client("https://t-xxx.cregis.io", 1, LIVE_KEY, transport=httpx.MockTransport(refuse))
    client.retry = client.retry.__class__(attempts=1)
    builder = RequestBuilder(client, "trade_page")
    with pytest.raises(CregisConnectError):
        builder.send()
    assert "CregisConnectError" in builder.answer.value
    row = builder.history.iloc[0]
    assert row["code"] is None and "could not reach" in row["msg"]


def test_unexpected_errors_in_callbacks_go_to_the_output_widget() -> None:
    builder = RequestBuilder(live_client(Recorder()), "trade_page")

    def broken(frame: pd.DataFrame | None) -> None:
        raise RuntimeError("listener failed")

    builder.on_frame(broken)
    builder.send_button.click()
    assert builder.result is not None and builder.result.ok
    text = "".join(o.get("text", "") for o in builder.output.outputs)
    assert "RuntimeError: listener failed" in text


# -- code generation -------------------------------------------------------------------------


def test_copy_as_python_runs_against_the_sandbox(
    sandbox: Client, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    builder = RequestBuilder(sandbox, "trade_page")
    builder.set(status="success", blocktime_start=dt.datetime(2020, 1, 1), page_size=5)
    text = builder.to_python()
    assert "Client.from_env()" in text and "client.trade_page(" in text
    assert "# 2020-01-01 00:00:00 UTC" in text
    monkeypatch.setattr(Client, "from_env", classmethod(lambda cls, **kw: sandbox))
    namespace: dict[str, Any] = {}
    exec(compile(text, "<copied>", "exec"), namespace)
    assert namespace["data"]["rows"]
    assert all(row["status"] == 1 for row in namespace["data"]["rows"])
    assert builder.python_area.value == text


def test_generated_code_never_contains_the_key(sandbox: Client) -> None:
    key = sandbox_key(sandbox)
    for ep in registry().endpoints:
        builder = RequestBuilder(sandbox, ep.name)
        for text in (builder.curl_area.value, builder.python_area.value):
            assert key not in text
    builder = RequestBuilder(live_client(Recorder()), "payout_create_v2")
    builder.set(currency="195@195", to_address="T1", amount="1", third_party_id="x")
    for text in (builder.to_curl(), builder.to_python(), builder.preview_html.value):
        assert LIVE_KEY not in text
    assert "$CREGIS_API_KEY" in builder.to_curl()


# -- the key is nowhere ----------------------------------------------------------------------


def test_the_api_key_is_absent_from_widget_state_preview_exports_and_history(
    sandbox: Client,
) -> None:
    key = sandbox_key(sandbox)
    builder = RequestBuilder(sandbox, "trade_page")
    builder.set(status="success")
    prepared = builder.preview()
    assert "<API_KEY>" in prepared.canonical and key not in prepared.canonical
    assert "&lt;API_KEY&gt;" in builder.preview_html.value
    builder.send()
    builder.fetch_all()
    builder.endpoint = "address_create"
    builder.set(chain_id="195")
    builder.send()

    live = RequestBuilder(live_client(Recorder()), "payout_create_v2")
    live.set(currency="195@195", to_address="T1", amount="1", third_party_id="x")
    live.confirm.value = True
    live.send()

    state = all_widget_state()
    assert key not in state and LIVE_KEY not in state
    for b in (builder, live):
        assert key not in b.history.to_csv() and LIVE_KEY not in b.history.to_csv()
        assert key not in b.to_curl() + b.to_python()
    encoded = re.search(r"base64,([A-Za-z0-9+/=]+)", csv_link_html(builder.frame, "x.csv"))
    assert encoded is not None
    assert key not in base64.b64decode(encoded.group(1)).decode("utf-8")


def _sample(builder: RequestBuilder, name: str) -> Any:
    """A value for a required parameter: the documented example, else one the editor offers."""
    ep = builder.endpoint
    example = ep.request_example.get(name)
    if example not in (None, ""):
        return example
    field = builder._fields[name]
    if isinstance(field.widget, W.Dropdown):
        return field.widget.options[1][1]
    param = field.param
    if field.kind == "integer":
        return int(param.minimum) if param.minimum is not None else 1
    if field.kind == "decimal":
        return "1"
    return {"url": "https://example.com/cb", "email": "a@example.com"}.get(param.role or "", "x1")


@pytest.mark.parametrize("ep", registry().endpoints, ids=lambda ep: ep.name)
def test_any_endpoint_can_be_filled_and_sent_from_the_form(sandbox: Client, ep: Endpoint) -> None:
    builder = RequestBuilder(sandbox, ep.name)
    builder.set(**{p.name: _sample(builder, p.name) for p in ep.required_params})
    assert "Ready to send" in builder.status.value, builder.status.value
    envelope = builder.send()
    assert envelope.endpoint == ep.name and envelope.code
    assert isinstance(builder.frame, pd.DataFrame)
    assert builder.history["code"].tolist() == [envelope.code]
    assert envelope.code in builder.answer.value
