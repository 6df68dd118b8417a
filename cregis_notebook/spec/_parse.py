"""Read the registry's JSON documents into frozen records, checking them against their schema.

Every object is read with the keys it must and may have; an error (:class:`RegistryDataError`)
says where in the data it is (``endpoints.json: endpoints[3].params[1]: ...``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from ..errors import RegistryDataError
from ._model import (
    ADDRESS_STYLES,
    API_PATH_PREFIXES,
    AREAS,
    CODE_CATEGORIES,
    DATA_KINDS,
    EFFECTS,
    EMPTY_MAPPING,
    FIELD_TYPES,
    PAGE_PARAMS,
    PARAM_TYPES,
    ROLES,
    STATUSES,
    SYSTEM_PARAMS,
    UNITS,
    Callback,
    Chain,
    Currency,
    Endpoint,
    EnumValue,
    Field,
    OrderCurrency,
    Param,
    PayCurrency,
    ReturnCode,
    TeamAuth,
    freeze,
)

__all__ = ["Parsed", "check_unique", "parse_documents"]


class Parsed(NamedTuple):
    """The records of the documents, in the order :class:`Registry` takes them."""

    endpoints: list[Endpoint]
    callbacks: list[Callback]
    return_codes: list[ReturnCode]
    currencies: list[Currency]
    chains: list[Chain]
    order_currencies: list[OrderCurrency]
    pay_currencies: list[PayCurrency]
    testnets: list[Any]
    team_endpoints: list[Endpoint]
    team_auth: TeamAuth | None


class _Reader:
    """Typed access to one JSON object, with errors that say where in the data they are."""

    def __init__(self, obj: Any, where: str, required: Iterable[str], optional: Iterable[str] = ()):
        if not isinstance(obj, dict):
            raise RegistryDataError(f"{where}: expected an object, got {type(obj).__name__}")
        self.obj = obj
        self.where = where
        required = tuple(required)
        missing = [key for key in required if key not in obj]
        if missing:
            raise RegistryDataError(f"{where}: missing key(s) {', '.join(missing)}")
        unknown = sorted(set(obj) - set(required) - set(optional))
        if unknown:
            raise RegistryDataError(f"{where}: unknown key(s) {', '.join(unknown)}")

    def fail(self, message: str) -> RegistryDataError:
        return RegistryDataError(f"{self.where}: {message}")

    def get(self, key: str, kinds: type | tuple[type, ...], *, nullable: bool = False) -> Any:
        value = self.obj.get(key)
        if value is None and nullable:
            return None
        allowed = kinds if isinstance(kinds, tuple) else (kinds,)
        if isinstance(value, bool) and bool not in allowed:
            raise self.fail(f"{key!r} must not be a boolean")
        if not isinstance(value, kinds):
            raise self.fail(f"{key!r} has the wrong type {type(value).__name__}")
        return value

    def text(self, key: str, *, nullable: bool = False, choices: Sequence[str] = ()) -> Any:
        value = self.get(key, str, nullable=nullable)
        if choices and value is not None and value not in choices:
            raise self.fail(f"{key!r} is {value!r}, not one of {', '.join(choices)}")
        return value

    def texts(self, key: str, *, nullable: bool = False) -> tuple[str, ...] | None:
        value = self.get(key, list, nullable=nullable)
        if value is None:
            return None
        if not all(isinstance(item, str) and item for item in value):
            raise self.fail(f"{key!r} must be a list of non-empty strings")
        return tuple(value)

    def integer(self, key: str, *, nullable: bool = False) -> Any:
        return self.get(key, int, nullable=nullable)

    def number(self, key: str) -> int | float | None:
        value = self.get(key, (int, float), nullable=True)
        return value

    def example(self, key: str) -> Mapping[str, Any]:
        value = self.get(key, dict, nullable=True)
        return EMPTY_MAPPING if value is None else freeze(value)


def _enum(r: _Reader, value_type: type | None) -> tuple[EnumValue, ...] | None:
    raw = r.get("enum", list, nullable=True)
    if raw is None:
        return None
    if not raw:
        raise r.fail("'enum' is empty; use null")
    out: list[EnumValue] = []
    for i, item in enumerate(raw):
        e = _Reader(item, f"{r.where}.enum[{i}]", ("value", "label"))
        value = e.get("value", (int, str))
        label = e.text("label")
        if not label:
            raise e.fail("empty label")
        if value_type is not None and not isinstance(value, value_type):
            raise e.fail(f"value {value!r} should be {value_type.__name__}")
        out.append(EnumValue(value, label))
    values = [choice.value for choice in out]
    if len(set(values)) != len(values):
        raise r.fail("duplicate enum values")
    return tuple(out)


_PARAM_KEYS = (
    "name",
    "type",
    "required",
    "description",
    "bits",
    "enum",
    "default",
    "min_length",
    "max_length",
    "minimum",
    "maximum",
    "unit",
    "role",
)
_ENUM_VALUE_TYPE: dict[str, type] = {"int": int, "string": str, "bool_string": str}


def _param(obj: Any, where: str) -> Param:
    r = _Reader(obj, where, _PARAM_KEYS)
    name = r.text("name")
    r.where = f"{where} ({name})"
    kind = r.text("type", choices=PARAM_TYPES)
    bits = r.integer("bits", nullable=True)
    if (kind == "int") != (bits is not None) or bits not in (None, 32, 64):
        raise r.fail("'bits' must be 32 or 64 for an int parameter and null otherwise")
    if r.obj["enum"] is not None and kind not in _ENUM_VALUE_TYPE:
        raise r.fail(f"a {kind} parameter cannot be an enum")
    enum = _enum(r, _ENUM_VALUE_TYPE.get(kind))
    if kind == "bool_string" and {e.value for e in enum or ()} != {"true", "false"}:
        raise r.fail("a bool_string parameter lists exactly 'true' and 'false' as its enum")
    unit = r.text("unit", nullable=True, choices=UNITS)
    role = r.text("role", nullable=True, choices=ROLES)
    if role == "time" and unit is None:
        raise r.fail("a time parameter needs a unit")
    default = r.obj["default"]
    if isinstance(default, (dict, list)):
        raise r.fail("'default' must be a scalar")
    if enum is not None and default is not None and default not in [e.value for e in enum]:
        raise r.fail(f"default {default!r} is not one of the enum values")
    minimum, maximum = r.number("minimum"), r.number("maximum")
    if minimum is not None and maximum is not None and minimum > maximum:
        raise r.fail("minimum exceeds maximum")
    return Param(
        name=name,
        type=kind,
        required=r.get("required", bool),
        description=r.text("description"),
        bits=bits,
        enum=enum,
        default=default,
        min_length=r.integer("min_length", nullable=True),
        max_length=r.integer("max_length", nullable=True),
        minimum=minimum,
        maximum=maximum,
        unit=unit,
        role=role,
    )


def _field(obj: Any, where: str) -> Field:
    r = _Reader(
        obj,
        where,
        ("name", "type", "unit", "description", "enum", "optional"),
        ("events", "alias_of"),
    )
    name = r.text("name")
    r.where = f"{where} ({name})"
    kind = r.text("type", choices=FIELD_TYPES)
    unit = r.text("unit", nullable=True, choices=UNITS)
    if kind == "timestamp" and unit not in ("s", "ms"):
        raise r.fail("a timestamp field needs unit 's' or 'ms'")
    if kind in ("enum_int", "enum_string"):
        enum = _enum(r, int if kind == "enum_int" else str)
        if enum is None:
            raise r.fail(f"an {kind} field needs an enum")
    elif r.obj["enum"] is not None:
        raise r.fail(f"a {kind} field cannot carry an enum; use enum_int or enum_string")
    else:
        enum = None
    events = r.texts("events", nullable=True)
    return Field(
        name=name,
        type=kind,
        unit=unit,
        description=r.text("description"),
        enum=enum,
        optional=r.get("optional", bool),
        events=events,
        alias_of=r.text("alias_of", nullable=True),
    )


def check_unique(names: Iterable[str], where: str, what: str) -> None:
    """Raise :class:`RegistryDataError` when a name repeats among ``names``."""
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise RegistryDataError(f"{where}: duplicate {what} {name!r}")
        seen.add(name)


_ENDPOINT_KEYS = (
    "name",
    "helper",
    "path",
    "group",
    "area",
    "status",
    "summary",
    "description",
    "data_kind",
    "effect",
    "row_key",
    "params",
    "response_fields",
    "request_example",
    "response_example",
    "notes",
)


_TEAM_AREA = "Team"


def _endpoint(obj: Any, where: str, api: str = "project") -> Endpoint:
    r = _Reader(obj, where, _ENDPOINT_KEYS)
    name = r.text("name")
    r.where = where = f"{where} ({name})"
    path = r.text("path")
    prefix = API_PATH_PREFIXES[api]
    if not path.startswith(prefix) or path.endswith("/"):
        raise r.fail(f"path {path!r} should look like {prefix}v1/...")
    area = r.text("area", choices=AREAS)
    if (area == _TEAM_AREA) != (api == "team"):
        raise r.fail(f"the {_TEAM_AREA!r} area holds the Team API's endpoints, and only those")
    params = tuple(_param(p, f"{where}.params[{i}]") for i, p in enumerate(r.get("params", list)))
    check_unique((p.name for p in params), where, "parameter")
    clash = [p.name for p in params if p.name in SYSTEM_PARAMS]
    if clash:
        raise r.fail(f"system parameters are implicit, do not list {', '.join(clash)}")
    fields = tuple(
        _field(f, f"{where}.response_fields[{i}]")
        for i, f in enumerate(r.get("response_fields", list))
    )
    check_unique((f.name for f in fields), where, "field")
    data_kind = r.text("data_kind", choices=DATA_KINDS)
    row_key = r.texts("row_key") or ()
    if data_kind == "page":
        if not row_key:
            raise r.fail("a page endpoint needs a row_key")
        missing = [k for k in row_key if k not in {f.name for f in fields}]
        if missing:
            raise r.fail(f"row_key names unknown fields {missing}")
        for page_param in PAGE_PARAMS:
            if page_param not in {p.name for p in params}:
                raise r.fail(f"a page endpoint needs the {page_param} parameter")
    elif row_key:
        raise r.fail("only page endpoints have a row_key")
    if data_kind == "null" and fields:
        raise r.fail("an endpoint whose data is null has no response fields")
    if any(f.events is not None for f in fields):
        raise r.fail("'events' belongs on callback fields only")
    names = {f.name: f for f in fields}
    for f in fields:
        target = names.get(f.alias_of or "")
        if f.alias_of is not None and (target is None or target.alias_of or target.type != f.type):
            raise r.fail(f"{f.name}: alias_of must name another field of the same type")
    return Endpoint(
        name=name,
        helper=r.text("helper"),
        path=path,
        group=r.text("group"),
        area=area,
        status=r.text("status", choices=STATUSES),
        summary=r.text("summary"),
        description=r.text("description"),
        data_kind=data_kind,
        effect=r.text("effect", choices=EFFECTS),
        row_key=row_key,
        params=params,
        response_fields=fields,
        request_example=r.example("request_example"),
        response_example=r.example("response_example"),
        notes=r.texts("notes") or (),
        api=api,
    )


def _team_auth(obj: Any, where: str) -> TeamAuth:
    keys = ("headers", "nonce_min_length", "nonce_max_length", "timestamp_unit", "max_safe_integer")
    r = _Reader(obj, where, keys)
    headers = r.texts("headers") or ()
    if len(headers) != 4:
        raise r.fail("'headers' names the key, timestamp, nonce and signature headers, in order")
    low, high = r.integer("nonce_min_length"), r.integer("nonce_max_length")
    if not 0 < low <= high:
        raise r.fail("the nonce length limits are not 0 < min <= max")
    safe = r.integer("max_safe_integer")
    if safe <= 0:
        raise r.fail("'max_safe_integer' must be positive")
    return TeamAuth(
        headers=(headers[0], headers[1], headers[2], headers[3]),
        nonce_min_length=low,
        nonce_max_length=high,
        timestamp_unit=r.text("timestamp_unit", choices=UNITS),
        max_safe_integer=safe,
    )


def _team(doc: Mapping[str, Any], where: str) -> tuple[list[Endpoint], TeamAuth]:
    _Reader(doc, where, ("api", "auth", "endpoints"))
    auth = _team_auth(doc["auth"], f"{where}: auth")
    endpoints = [
        _endpoint(e, f"{where}: endpoints[{i}]", "team")
        for i, e in enumerate(_items(doc, "endpoints", where))
    ]
    for ep in endpoints:
        if not (ep.is_paged and ep.is_read_only):
            raise RegistryDataError(f"{where}: {ep.name}: every Team call reads and pages")
    return endpoints, auth


_CALLBACK_KEYS = (
    "name",
    "group",
    "status",
    "summary",
    "description",
    "sent_to",
    "triggered_by",
    "fields",
    "example",
    "ack",
    "notes",
)


def _callback(obj: Any, where: str) -> Callback:
    r = _Reader(obj, where, _CALLBACK_KEYS)
    name = r.text("name")
    r.where = where = f"{where} ({name})"
    fields = tuple(_field(f, f"{where}.fields[{i}]") for i, f in enumerate(r.get("fields", list)))
    check_unique((f.name for f in fields), where, "field")
    ack = r.text("ack")
    if not ack:
        raise r.fail("empty ack")
    return Callback(
        name=name,
        status=r.text("status", choices=STATUSES),
        summary=r.text("summary"),
        description=r.text("description"),
        sent_to=r.text("sent_to"),
        triggered_by=r.texts("triggered_by") or (),
        fields=fields,
        example=r.example("example"),
        ack=ack,
        notes=r.texts("notes") or (),
        group=r.text("group"),
    )


def _return_code(obj: Any, where: str) -> ReturnCode:
    keys = ("code", "msg", "zh", "meaning", "hint", "category", "status")
    r = _Reader(obj, where, keys)
    return ReturnCode(
        code=r.text("code"),
        msg=r.text("msg", nullable=True),
        zh=r.text("zh"),
        meaning=r.text("meaning"),
        hint=r.text("hint"),
        category=r.text("category", choices=CODE_CATEGORIES),
        status=r.text("status", choices=("current", "legacy-2023")),
    )


def _currency(obj: Any, where: str) -> Currency:
    keys = ("name", "chain_id", "token_id", "decimals", "identifier", "native", "chain_name")
    r = _Reader(obj, where, (*keys, "symbol"))
    currency = Currency(
        name=r.text("name"),
        chain_id=r.text("chain_id"),
        token_id=r.text("token_id"),
        decimals=r.integer("decimals"),
        identifier=r.text("identifier"),
        native=r.get("native", bool),
        chain_name=r.text("chain_name"),
        symbol=r.text("symbol"),
    )
    if currency.identifier != f"{currency.chain_id}@{currency.token_id}":
        raise r.fail("identifier is not chain_id@token_id")
    if currency.native != (currency.token_id == currency.chain_id):
        raise r.fail("a native coin's token_id equals its chain_id, and only a native coin's")
    if currency.decimals < 0:
        raise r.fail("negative decimals")
    return currency


def _chain(obj: Any, where: str) -> Chain:
    keys = ("chain_id", "name", "native_symbol", "native_decimals", "address_style")
    r = _Reader(obj, where, keys)
    return Chain(
        chain_id=r.text("chain_id"),
        name=r.text("name"),
        native_symbol=r.text("native_symbol"),
        native_decimals=r.integer("native_decimals"),
        address_style=r.text("address_style", choices=ADDRESS_STYLES),
    )


def _pay_currency(obj: Any, where: str) -> PayCurrency:
    keys = ("token_name", "blockchain", "chain_id", "token_id", "symbol", "decimals")
    r = _Reader(obj, where, keys)
    return PayCurrency(
        token_name=r.text("token_name"),
        blockchain=r.text("blockchain"),
        chain_id=r.text("chain_id"),
        token_id=r.text("token_id"),
        symbol=r.text("symbol"),
        decimals=r.integer("decimals"),
    )


def _order_currency(obj: Any, where: str, kind: str) -> OrderCurrency:
    r = _Reader(obj, where, ("code", "decimals"), ("name", "zh"))
    return OrderCurrency(
        code=r.text("code"),
        decimals=r.integer("decimals"),
        kind=kind,
        name=r.obj.get("name") or "",
    )


def _items(doc: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = doc.get(key)
    if not isinstance(value, list):
        raise RegistryDataError(f"{where}: {key!r} must be a list")
    return value


def parse_documents(
    endpoints_doc: Mapping[str, Any],
    return_codes_doc: Mapping[str, Any],
    currencies_doc: Mapping[str, Any],
    team_doc: Mapping[str, Any] | None = None,
) -> Parsed:
    """The records of the parsed JSON documents, each checked against its schema.

    ``team_doc`` (``team_endpoints.json``) adds the Team API; without it there is none.
    """
    where = "endpoints.json"
    endpoints = [
        _endpoint(e, f"{where}: endpoints[{i}]")
        for i, e in enumerate(_items(endpoints_doc, "endpoints", where))
    ]
    callbacks = [
        _callback(c, f"{where}: callbacks[{i}]")
        for i, c in enumerate(_items(endpoints_doc, "callbacks", where))
    ]
    where = "return_codes.json"
    codes = [
        _return_code(c, f"{where}: codes[{i}]")
        for i, c in enumerate(_items(return_codes_doc, "codes", where))
    ]
    where = "currencies.json"
    currencies = [
        _currency(c, f"{where}: waas[{i}]")
        for i, c in enumerate(_items(currencies_doc, "waas", where))
    ]
    chains = [
        _chain(c, f"{where}: chains[{i}]")
        for i, c in enumerate(_items(currencies_doc, "chains", where))
    ]
    order_doc = currencies_doc.get("order_currencies")
    if not isinstance(order_doc, Mapping):
        raise RegistryDataError(f"{where}: 'order_currencies' must be an object")
    orders = [
        _order_currency(c, f"{where}: order_currencies.{kind}[{i}]", kind)
        for kind in ("fiat", "crypto")
        for i, c in enumerate(_items(order_doc, kind, where))
    ]
    pays = [
        _pay_currency(c, f"{where}: pay_currencies[{i}]")
        for i, c in enumerate(_items(currencies_doc, "pay_currencies", where))
    ]
    testnets = _items(currencies_doc, "testnets", where)
    team, auth = ([], None) if team_doc is None else _team(team_doc, "team_endpoints.json")
    return Parsed(
        endpoints, callbacks, codes, currencies, chains, orders, pays, testnets, team, auth
    )
