"""The endpoint registry: its data against the shared API facts, its schema rules and lookups."""

from __future__ import annotations

import copy
import json
import keyword
import shutil
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pytest

from cregis_notebook import spec
from cregis_notebook.spec import (
    FIELD_TYPES,
    PAGE_DEFAULT_SIZE,
    PAGE_MAX_SIZE,
    PARAM_TYPES,
    SYSTEM_PARAMS,
    UNITS,
    Callback,
    Endpoint,
    Field,
    Param,
    Registry,
    RegistryDataError,
    UnknownEndpoint,
    load_registry,
    registry,
)

SHARED = Path(__file__).parents[1].parent / "shared/cregis-api/endpoints.json"
SHARED_DIR = SHARED.parent
DATA_DIR = Path(spec.__file__).parent / "data"
needs_shared = pytest.mark.skipif(not SHARED.exists(), reason="shared/cregis-api not beside clone")

REG = registry()
ENDPOINTS = {ep.name: ep for ep in REG.endpoints}
CALLBACKS = {cb.name: cb for cb in REG.callbacks}

HELPERS = {
    "project_coins": "coins",
    "trade_page": "trade_page",
    "address_create": "address_create",
    "address_batch_create": "address_batch_create",
    "address_inner": "address_inner",
    "address_update": "address_update",
    "address_collection": "address_collection",
    "sub_address_balance": "sub_address_balance",
    "sub_address_balance_v2": "sub_address_balance_v2",
    "payout_create_v1": "payout_v1",
    "payout_create_v2": "payout",
    "address_legal": "address_legal",
    "payout_query": "payout_query",
    "sub_address_withdrawal_create": "withdrawal",
    "sub_address_withdrawal_query": "withdrawal_query",
    "checkout_create_v2": "checkout",
    "order_info_v2": "order_info",
    "order_create_v1": "order_v1",
    "order_info_v1": "order_info_v1",
    "deposit_create": "deposit",
    "deposit_query": "deposit_query",
    "deposit_cancel": "deposit_cancel",
}

# Example values the docs print although they contradict the documented enum; each must be
# explained in the entry's notes.
KNOWN_BAD_EXAMPLE_VALUES = {
    ("callback_payout", "status"): 0,
    ("callback_order_deposit", "status"): 1,
}


def _shared(name: str) -> Any:
    return json.loads((SHARED_DIR / name).read_text(encoding="utf-8"))


def _shared_entries() -> list[dict[str, Any]]:
    return list(_shared("endpoints.json")["endpoints"]) if SHARED.exists() else []


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted paths of every leaf and container in ``value``, ``[]`` for list elements."""
    out: dict[str, Any] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else key
            out[path] = item
            out.update(_flatten(item, path))
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, (dict, list)):
                out.update(_flatten(item, f"{prefix}[]"))
    return out


def _records(ep: Endpoint) -> list[Any]:
    if not ep.response_example:
        return []
    data = ep.response_example["data"]
    if ep.data_kind == "page":
        return list(data["rows"])
    if ep.data_kind == "list":
        return list(data)
    if ep.data_kind == "object":
        return [data]
    return []


def _values(record: Any, name: str) -> list[Any]:
    """Every value at dotted ``name`` (with ``[]`` steps) inside ``record``."""
    found = [record]
    for step in name.split("."):
        key, is_list = (step[:-2], True) if step.endswith("[]") else (step, False)
        nxt: list[Any] = []
        for item in found:
            if isinstance(item, dict) and key in item:
                value = item[key]
                if is_list and isinstance(value, list):
                    nxt.extend(value)
                elif not is_list:
                    nxt.append(value)
        found = nxt
    return found


def _fits_field(field: Field, value: Any) -> bool:
    if value is None:
        return True  # documented nullable values (cancel_time, merchant_name, ...)
    kind = field.type
    if kind in ("int", "timestamp", "enum_int"):
        if isinstance(value, bool):
            return False
        return isinstance(value, int) or (isinstance(value, str) and value.isdigit())
    if kind == "decimal":
        if isinstance(value, bool):
            return False
        try:
            Decimal(str(value))
        except InvalidOperation:
            return False
        return isinstance(value, (str, int, float))
    if kind in ("string", "currency", "enum_string"):
        return isinstance(value, str)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "object":
        return isinstance(value, dict)
    if kind == "array":
        return isinstance(value, list)
    return False


def _fits_param(param: Param, value: Any) -> bool:
    kind = param.type
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if kind == "decimal":
        return isinstance(value, str) and Decimal(value) == Decimal(value)
    if kind == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "bool_string":
        return value in ("true", "false")
    if kind == "json_object":
        return isinstance(value, str) and isinstance(json.loads(value), dict)
    if kind == "json_array":
        return isinstance(value, str) and isinstance(json.loads(value), list)
    if kind == "int_string":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, str) and value.isdigit()
        )
    return False


# -- against the shared API facts -----------------------------------------------------------------


@needs_shared
def test_every_shared_endpoint_is_present_with_same_path_group_status_and_params() -> None:
    entries = [e for e in _shared_entries() if not e["callback"]]
    assert len(entries) == 22
    assert [e["name"] for e in entries] == [ep.name for ep in REG.endpoints]
    for entry in entries:
        ep = ENDPOINTS[entry["name"]]
        assert (ep.path, ep.group, ep.status) == (entry["path"], entry["group"], entry["status"])
        shared_params = {p["name"]: p["required"] for p in entry["params"]}
        business = {k: v for k, v in shared_params.items() if k not in SYSTEM_PARAMS}
        assert {p.name: p.required for p in ep.params} == business, ep.name
        assert ep.param_names == tuple(business), f"{ep.name}: parameter order"


@needs_shared
def test_every_shared_callback_is_present_with_same_group_status_and_fields() -> None:
    entries = [e for e in _shared_entries() if e["callback"]]
    assert len(entries) == 7
    assert [e["name"] for e in entries] == [cb.name for cb in REG.callbacks]
    for entry in entries:
        cb = CALLBACKS[entry["name"]]
        assert (cb.group, cb.status) == (entry["group"], entry["status"])
        for f in entry["response_fields"]:
            name = f["name"]
            if name.startswith("data("):
                event, _, rest = name[5:].partition(")")
                if not rest:  # "data(expired)": a description of a subset, not a field
                    continue
                mine = cb.field("data" + rest)
                assert mine is not None, f"{cb.name}: {name}"
                assert mine.events == (event,), f"{cb.name}: {name} events"
            else:
                assert cb.field(name) is not None, f"{cb.name}: {name}"
        if entry["request_example"] is None:
            assert dict(cb.example) == {}
        else:
            assert cb.example == entry["request_example"]
        assert cb.ack in str(entry["response_example"]).split(" | ")


@needs_shared
def test_response_fields_cover_the_shared_field_lists() -> None:
    wrappers = {"total", "rows", "pageNum", "pageSize"}
    for entry in _shared_entries():
        if entry["callback"]:
            continue
        ep = ENDPOINTS[entry["name"]]
        for f in entry["response_fields"]:
            name = f["name"]
            if ep.is_paged and name in wrappers:
                continue
            name = name.removeprefix("rows[].").removeprefix("[].")
            if name.startswith("Coin."):
                name = "payout_coins[]." + name[len("Coin.") :]
            assert ep.field(name) is not None, f"{ep.name}: {name}"


@needs_shared
def test_examples_carry_over_exactly() -> None:
    for entry in _shared_entries():
        if entry["callback"]:
            continue
        ep = ENDPOINTS[entry["name"]]
        for mine, theirs in (
            (ep.request_example, entry["request_example"]),
            (ep.response_example, entry["response_example"]),
        ):
            if theirs is None:
                assert dict(mine) == {}, ep.name
            else:
                assert json.dumps(mine, ensure_ascii=False) == json.dumps(
                    theirs, ensure_ascii=False
                ), ep.name


@needs_shared
def test_texts_are_our_own_words() -> None:
    theirs: set[str] = set()
    for entry in _shared_entries():
        theirs.add(entry["summary"].strip())
        for item in entry["params"] + entry["response_fields"]:
            if len(item["description"]) > 25:
                theirs.add(item["description"].strip())
        theirs.update(n.strip() for n in entry.get("notes", []))
    for code in _shared("return_codes.json")["codes"]:
        theirs.add(code["meaning"].strip())
    ours: list[str] = []
    for ep in REG.endpoints:
        ours += [ep.summary, ep.description, *ep.notes]
        ours += [p.description for p in ep.params] + [f.description for f in ep.response_fields]
    for cb in REG.callbacks:
        ours += [cb.summary, cb.description, *cb.notes, *(f.description for f in cb.fields)]
    for rc in REG.return_codes:
        ours += [rc.meaning, rc.hint]
    copied = sorted({text for text in ours if text.strip() in theirs})
    assert copied == []


@needs_shared
def test_return_codes_match_shared() -> None:
    shared = {c["code"]: c for c in _shared("return_codes.json")["codes"]}
    assert set(shared) == {rc.code for rc in REG.return_codes}
    for rc in REG.return_codes:
        theirs = shared[rc.code]
        assert rc.zh == theirs["desc_zh"], rc.code
        assert rc.status == theirs["status"], rc.code
        expected_msg = "ok" if rc.code == "00000" else theirs["msg_en"]
        assert rc.msg == expected_msg, rc.code


@needs_shared
def test_currencies_match_shared() -> None:
    shared = _shared("currencies.json")
    keys = ("name", "chain_id", "token_id", "decimals", "identifier", "native")
    assert [{k: getattr(c, k) for k in keys} for c in REG.currencies] == [
        {k: c[k] for k in keys} for c in shared["waas_currencies"]
    ]
    pays = shared["payment_engine"]["pay_currencies"]
    assert [(p.token_name, p.symbol, p.blockchain) for p in REG.pay_currencies] == [
        (p["token_name"], p["symbol"], p["network"]) for p in pays
    ]
    orders = shared["payment_engine"]["order_currencies"]
    assert REG.fiat_currencies == tuple(c["code"] for c in orders["fiat"])
    assert REG.crypto_order_currencies == tuple(c["code"] for c in orders["crypto"])
    for c in orders["fiat"] + orders["crypto"]:
        assert REG.order_currency_decimals(c["code"]) == c["decimals"]
    seen = {t["chain_id"] for t in shared["testnet_examples_seen_in_docs"] if "chain_id" in t}
    assert seen - {"195"} <= {t["chain_id"] for t in REG.testnets}


# -- the data's own rules ------------------------------------------------------------------------


def test_counts_and_names() -> None:
    assert len(REG.endpoints) == 22
    assert len(REG.callbacks) == 7
    assert {ep.name: ep.helper for ep in REG.endpoints} == HELPERS
    for ep in REG.endpoints:
        assert ep.helper.isidentifier() and not keyword.iskeyword(ep.helper)
        assert ep.method == "POST"
        assert ep.summary and ep.description


def test_request_examples_only_use_documented_params() -> None:
    strays: dict[str, set[str]] = {}
    for ep in REG.endpoints:
        unknown = set(ep.request_example) - set(SYSTEM_PARAMS) - set(ep.param_names)
        if unknown:
            strays[ep.name] = unknown
    assert strays == {"trade_page": {"remark"}}
    assert any("remark" in note for note in ENDPOINTS["trade_page"].notes)


def test_request_example_values_fit_their_params() -> None:
    for ep in REG.endpoints:
        for name, value in ep.request_example.items():
            param = ep.param(name)
            if param is None or value in ("", None):
                continue
            assert _fits_param(param, value), f"{ep.name}.{name}={value!r}"
            if param.enum:
                assert value in param.enum_values, f"{ep.name}.{name}"
            number = int(value) if param.type == "int_string" else value
            if param.maximum is not None:
                assert number <= param.maximum, f"{ep.name}.{name}"
            if param.minimum is not None:
                assert number >= param.minimum, f"{ep.name}.{name}"
            if param.max_length is not None:
                assert len(value) <= param.max_length, f"{ep.name}.{name}"


def test_response_examples_have_the_declared_shape() -> None:
    for ep in REG.endpoints:
        example = ep.response_example
        if not example:
            continue
        assert set(example) == {"code", "msg", "data"}, ep.name
        assert example["code"] == "00000"
        data = example["data"]
        if ep.data_kind == "null":
            assert data is None, ep.name
        elif ep.data_kind == "list":
            assert isinstance(data, list), ep.name
        elif ep.data_kind == "page":
            assert set(data) == {"total", "rows", "pageNum", "pageSize"}, ep.name
        else:
            assert isinstance(data, dict), ep.name


def test_every_example_key_is_a_declared_field_of_the_right_type() -> None:
    checks: list[tuple[str, Any, tuple[Field, ...]]] = []
    for ep in REG.endpoints:
        checks += [(ep.name, record, ep.response_fields) for record in _records(ep)]
    for cb in REG.callbacks:
        if cb.example:
            checks.append((cb.name, cb.example, cb.fields))
    for owner, record, fields in checks:
        declared = {f.name: f for f in fields}
        for path in _flatten(record):
            assert path in declared, f"{owner}: example key {path} is not a declared field"
        for field in fields:
            for value in _values(record, field.name):
                assert _fits_field(field, value), f"{owner}.{field.name}={value!r}"
                bad = KNOWN_BAD_EXAMPLE_VALUES.get((owner, field.name))
                if field.enum and value is not None and value != bad:
                    assert field.label_for(value) is not None, f"{owner}.{field.name}={value!r}"


def test_known_bad_example_values_are_explained() -> None:
    for (owner, name), value in KNOWN_BAD_EXAMPLE_VALUES.items():
        cb = CALLBACKS[owner]
        field = cb.field(name)
        assert field is not None and field.label_for(value) is None
        assert cb.example[name] == value
        assert any(f"status {value}" in note for note in cb.notes), owner


def test_types_are_in_the_closed_vocabularies() -> None:
    for ep in REG.endpoints:
        for p in ep.params:
            assert p.type in PARAM_TYPES, f"{ep.name}.{p.name}"
            assert (p.bits in (32, 64)) == (p.type == "int"), f"{ep.name}.{p.name}"
            assert p.name not in SYSTEM_PARAMS
        for f in ep.response_fields:
            assert f.type in FIELD_TYPES, f"{ep.name}.{f.name}"
            assert f.events is None
    for cb in REG.callbacks:
        for f in cb.fields:
            assert f.type in FIELD_TYPES, f"{cb.name}.{f.name}"


def test_enums_have_labels() -> None:
    items: list[tuple[str, Param | Field]] = [
        (ep.name, p) for ep in REG.endpoints for p in ep.params
    ]
    items += [(ep.name, f) for ep in REG.endpoints for f in ep.response_fields]
    items += [(cb.name, f) for cb in REG.callbacks for f in cb.fields]
    for owner, item in items:
        if item.enum is None:
            assert item.type not in ("enum_int", "enum_string", "bool_string"), owner
            continue
        assert item.enum, owner
        for choice in item.enum:
            assert choice.label.strip(), f"{owner}.{item.name}"
        assert len(set(item.enum_values)) == len(item.enum), f"{owner}.{item.name}"
        want = str if item.type in ("enum_string", "string", "bool_string") else int
        assert all(type(v) is want for v in item.enum_values), f"{owner}.{item.name}"


def test_time_values_have_units() -> None:
    for ep in REG.endpoints:
        for p in ep.params:
            if p.role == "time" or p.name.endswith("_time") or "blocktime" in p.name:
                assert p.unit in UNITS, f"{ep.name}.{p.name}"
    fields = [(ep.name, f) for ep in REG.endpoints for f in ep.response_fields]
    fields += [(cb.name, f) for cb in REG.callbacks for f in cb.fields]
    for owner, f in fields:
        if f.type == "timestamp":
            assert f.unit in ("s", "ms"), f"{owner}.{f.name}"
        leaf = f.name.rsplit(".", 1)[-1]
        if leaf.endswith("_time") or leaf == "timestamp":
            assert f.unit is not None, f"{owner}.{f.name}"
    trade = ENDPOINTS["trade_page"]
    assert trade.param("blocktime_start").unit == "s"  # type: ignore[union-attr]
    assert trade.field("block_time").unit == "s"  # type: ignore[union-attr]
    assert ENDPOINTS["payout_query"].field("block_time").unit == "ms"  # type: ignore[union-attr]
    assert ENDPOINTS["order_info_v2"].field("valid_time").type == "int"  # type: ignore[union-attr]


def test_page_endpoints() -> None:
    paged = [ep for ep in REG.endpoints if ep.is_paged]
    assert {ep.name: ep.row_key for ep in paged} == {
        "trade_page": ("cid",),
        "sub_address_balance": ("address", "currency"),
        "sub_address_balance_v2": ("address", "chain_id", "token_id"),
    }
    for ep in paged:
        num, size = ep.param("page_num"), ep.param("page_size")
        assert num is not None and size is not None
        assert (num.minimum, num.default) == (1, 1)
        assert (size.minimum, size.maximum, size.default) == (1, 100, 10)
        assert all(ep.field(k) is not None for k in ep.row_key)
        rows = [tuple(r[k] for k in ep.row_key) for r in _records(ep)]
        assert len(set(rows)) == len(rows)
    for ep in REG.endpoints:
        if not ep.is_paged:
            assert ep.row_key == ()
    assert (PAGE_MAX_SIZE, PAGE_DEFAULT_SIZE) == (100, 10)


def test_documented_limits() -> None:
    def p(endpoint: str, name: str) -> Param:
        found = ENDPOINTS[endpoint].param(name)
        assert found is not None
        return found

    number = p("address_batch_create", "number")
    assert (number.type, number.minimum, number.maximum) == ("int_string", 1, 100)
    alias = p("address_batch_create", "alias")
    assert (alias.min_length, alias.max_length) == (1, 40)
    assert p("address_create", "alias").max_length == 40
    valid = p("checkout_create_v2", "valid_time")
    assert (valid.minimum, valid.maximum, valid.unit, valid.required) == (10, 60, "min", True)
    assert "1440" in valid.description
    assert any("10..60" in n for n in ENDPOINTS["checkout_create_v2"].notes)
    assert p("checkout_create_v2", "order_id").max_length == 128
    assert p("checkout_create_v2", "remark").max_length == 256
    assert p("payout_create_v2", "remark").max_length == 256
    assert p("sub_address_withdrawal_create", "remark").max_length == 256
    v1 = p("order_create_v1", "valid_time")
    assert (v1.default, v1.minimum, v1.unit) == (30, 10, "min")
    assert p("order_create_v1", "order_id").max_length == 64
    assert p("order_create_v1", "payer_name").max_length == 32
    assert p("deposit_create", "timeout").default == 10
    assert p("checkout_create_v2", "tokens").type == "json_array"
    assert p("checkout_create_v2", "order_details").type == "json_object"
    assert p("checkout_create_v2", "underpaid_tolerance").type == "float"
    assert p("checkout_create_v2", "accept_over_payment").enum_values == ("true", "false")
    assert p("address_update", "status").label_for("1") == "disabled"
    assert p("trade_page", "business_type").label_for(3) == "address_deposit"
    assert p("trade_page", "cid").bits == 64


def test_effects() -> None:
    moves = {ep.name for ep in REG.endpoints if ep.moves_money}
    assert moves == {
        "address_collection",
        "payout_create_v1",
        "payout_create_v2",
        "sub_address_withdrawal_create",
    }
    writes = {ep.name for ep in REG.endpoints if ep.creates_state} - moves
    assert writes == {
        "address_create",
        "address_batch_create",
        "address_update",
        "checkout_create_v2",
        "order_create_v1",
        "deposit_create",
        "deposit_cancel",
    }
    for ep in REG.endpoints:
        assert ep.is_read_only == (ep.effect == "read")
        assert ep.is_legacy == (ep.area == "Legacy"), ep.name


def test_callbacks() -> None:
    for cb in REG.callbacks:
        assert cb.ack and cb.sent_to and cb.triggered_by
        for name in cb.triggered_by:
            assert name in ENDPOINTS
    deposit = CALLBACKS["callback_address_deposit"]
    status, block_time = deposit.field("status"), deposit.field("block_time")
    assert status is not None and status.type == "enum_string"
    assert block_time is not None and (block_time.type, block_time.unit) == ("timestamp", "ms")
    assert CALLBACKS["callback_payout_external_verification"].ack == "ok"
    order = CALLBACKS["callback_payment_order"]
    assert order.field("event_type").enum_values == (  # type: ignore[union-attr]
        "expired",
        "paid",
        "paid_partial",
        "paid_over",
        "refunded",
        "paid_remain",
    )
    refund = order.field("data.refund_id")
    assert refund is not None and refund.events == ("refunded",)
    expired = {f.name for f in order.fields_for("expired")}
    assert "data.order_amount" in expired and "data.tx_id" not in expired
    assert "data.refund_id" not in {f.name for f in order.fields_for("paid")}
    assert {cb.name for cb in REG.callbacks_for("payout")} >= {"callback_payout"}
    assert REG.callback("payout") is CALLBACKS["callback_payout"]
    with pytest.raises(UnknownEndpoint):
        REG.callback("nope")


# -- return codes and currencies -----------------------------------------------------------------


def test_return_codes() -> None:
    statuses = [rc.status for rc in REG.return_codes]
    assert statuses.count("current") == 34 and statuses.count("legacy-2023") == 3
    a = REG.return_code("A0001")
    assert a is not None and (a.code, a.msg, a.category) == ("A0001", "Param Error", "param")
    assert REG.return_code("Axxxx") is not None
    assert REG.return_code("A12345") is None
    assert REG.return_code("Z9999") is None
    assert REG.return_code("E0017") is None
    ok = REG.return_code("00000")
    assert ok is not None and ok.is_success
    sig = REG.return_code("B0001")
    assert sig is not None and (sig.msg, sig.zh) == ("Signature Error", "签名错误")
    assert not sig.is_success and sig.hint and sig.meaning
    assert REG.return_code("e0009") is REG.return_code("E0009")


def test_currencies_and_chains() -> None:
    assert len(REG.currencies) == 42
    assert len({c.identifier for c in REG.currencies}) == 42
    for c in REG.currencies:
        assert isinstance(c.decimals, int) and c.decimals >= 0
        chain = REG.chain(c.chain_id)
        assert chain is not None and chain.name == c.chain_name
        assert c.symbol
    usdt = REG.currency("195@TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t")
    assert usdt is not None and (usdt.name, usdt.decimals, usdt.symbol) == ("USDT-TRC20", 6, "USDT")
    assert REG.currency("ethereum") is REG.currency("60@60")
    assert REG.currency("no such coin") is None
    assert REG.chain(60) is REG.chain("60")
    assert REG.chain("198") is None
    assert len(REG.chains) == 19
    assert len(REG.fiat_currencies) == 18 and len(REG.crypto_order_currencies) == 7
    assert REG.order_currency_decimals("btc") == 8
    assert REG.order_currency_decimals("XYZ") is None
    assert len(REG.pay_currencies) == 23
    bep20 = REG.pay_currency("USDT-BEP20")
    assert bep20 is not None and bep20.decimals == 18 and bep20.chain_id == "2510"


# -- lookups and loading --------------------------------------------------------------------------


def test_registry_is_cached() -> None:
    assert registry() is registry() is REG
    assert isinstance(REG, Registry)


@pytest.mark.parametrize(
    "key",
    [
        "trade_page",
        "/api/v1/trade/page",
        "/api/v1/trade/page/",
        "api/v1/trade/page",
        "https://t-1.cregis.io/api/v1/trade/page",
        " TRADE_PAGE ",
    ],
)
def test_lookup_by_name_and_path(key: str) -> None:
    assert REG.endpoint(key) is ENDPOINTS["trade_page"]


def test_lookup_by_helper_alias() -> None:
    for name, helper in HELPERS.items():
        assert REG.endpoint(helper) is ENDPOINTS[name]
        assert REG.endpoint(name) is ENDPOINTS[name]
        assert REG.endpoint(ENDPOINTS[name].path + "/") is ENDPOINTS[name]
    assert REG.endpoint("payout").path == "/api/v2/payout"
    assert REG.endpoint("payout_v1").path == "/api/v1/payout"
    assert REG.get_endpoint("nope") is None


def test_unknown_endpoint_suggests() -> None:
    with pytest.raises(UnknownEndpoint) as info:
        REG.endpoint("trade_pag")
    err = info.value
    assert isinstance(err, KeyError) and isinstance(err, LookupError)
    assert "trade_page" in err.suggestions
    assert str(err).startswith("unknown endpoint 'trade_pag'")
    assert "trade_page" in str(err)
    with pytest.raises(KeyError):
        REG.endpoint("/api/v9/nothing")
    with pytest.raises(UnknownEndpoint) as balance_info:
        REG.endpoint("balance")
    assert balance_info.value.suggestions[:2] == ["sub_address_balance", "sub_address_balance_v2"]


def test_examples_are_read_only_json() -> None:
    ep = ENDPOINTS["checkout_create_v2"]
    body = ep.response_example
    with pytest.raises(TypeError):
        body["code"] = "x"  # type: ignore[index]
    with pytest.raises(TypeError):
        body["data"]["payment_info"].append({})
    editable = copy.deepcopy(body)
    editable["data"]["payment_info"].append({})
    assert type(editable) is dict and len(body["data"]["payment_info"]) == 2
    assert json.loads(json.dumps(body)) == body
    assert hash(ep) == hash(ENDPOINTS["checkout_create_v2"])


def test_label_for_accepts_text_or_number() -> None:
    status = ENDPOINTS["payout_query"].field("status")
    assert status is not None
    assert status.label_for(6) == status.label_for("6") == "success"
    assert status.label_for(99) is None
    deposit = CALLBACKS["callback_address_deposit"].field("status")
    assert deposit is not None and deposit.label_for(1) == "success"


def test_reprs_are_short() -> None:
    assert (
        repr(ENDPOINTS["trade_page"]) == "Endpoint('trade_page', POST /api/v1/trade/page, current)"
    )
    assert "22 endpoints" in repr(REG)
    assert isinstance(REG.callbacks[0], Callback)


def _copy_data(tmp_path: Path) -> Path:
    for name in ("endpoints.json", "return_codes.json", "currencies.json", "team_endpoints.json"):
        shutil.copy(DATA_DIR / name, tmp_path / name)
    return tmp_path


def _edit(tmp_path: Path, name: str, change: Any) -> Path:
    path = _copy_data(tmp_path) / name
    doc = json.loads(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return tmp_path


def test_load_registry_from_a_directory(tmp_path: Path) -> None:
    other = load_registry(_copy_data(tmp_path))
    assert other is not REG
    assert [ep.name for ep in other.endpoints] == [ep.name for ep in REG.endpoints]


@pytest.mark.parametrize(
    ("name", "change", "message"),
    [
        (
            "endpoints.json",
            lambda d: d["endpoints"][1]["params"][0].update(type="integer"),
            "not one of",
        ),
        ("endpoints.json", lambda d: d["endpoints"][1].update(row_key=[]), "row_key"),
        ("endpoints.json", lambda d: d["endpoints"][1].pop("helper"), "missing key"),
        (
            "endpoints.json",
            lambda d: d["endpoints"][1]["response_fields"][0].update(optinal=True),
            "unknown key",
        ),
        ("endpoints.json", lambda d: d["endpoints"][2].update(helper="coins"), "names both"),
        (
            "endpoints.json",
            lambda d: d["callbacks"][0].update(triggered_by=["nope"]),
            "triggered_by",
        ),
        ("return_codes.json", lambda d: d["codes"][2].update(category="oops"), "not one of"),
        ("currencies.json", lambda d: d["waas"][0].update(identifier="0@1"), "identifier"),
    ],
)
def test_bad_data_is_rejected(tmp_path: Path, name: str, change: Any, message: str) -> None:
    with pytest.raises(RegistryDataError, match=message):
        load_registry(_edit(tmp_path, name, change))
