"""Frozen records of the endpoint registry and the closed vocabularies they use."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

# -- vocabularies --------------------------------------------------------------------------------

SYSTEM_PARAMS: tuple[str, ...] = ("pid", "nonce", "timestamp", "sign")

PAGE_PARAMS: tuple[str, str] = ("page_num", "page_size")
"""The page number and page size parameters every paged endpoint of either API takes."""
"""Parameters every request carries besides its business parameters; never listed per endpoint."""

PARAM_TYPES: tuple[str, ...] = (
    "int",  # JSON integer; Param.bits says 32 or 64
    "string",
    "decimal",  # amount as decimal text, e.g. "1.1"
    "float",  # JSON number (the checkout tolerances)
    "bool_string",  # the text "true" or "false"
    "json_object",  # JSON text holding an object
    "json_array",  # JSON text holding an array
    "int_string",  # whole number sent either as digits text or as a JSON integer
)
"""Closed set of request parameter types; the client validates and converts by these."""

FIELD_TYPES: tuple[str, ...] = (
    "int",  # exact integer (ids, counts, heights); may arrive as numeric text
    "string",
    "decimal",  # amount, fee, balance or rate; exact
    "timestamp",  # epoch time in Field.unit ("s" or "ms"); number or numeric text
    "bool",
    "object",
    "array",
    "enum_int",  # integer code with labels
    "enum_string",  # text code with labels
    "currency",  # chain_id@token_id, a coin name, a ticker or an order-currency code
)
"""Closed set of response/callback field types; the DataFrame dtype contract reads these."""

UNITS: tuple[str, ...] = ("s", "ms", "min")
"""Units of time values: Unix seconds, Unix milliseconds, a duration in minutes."""

ROLES: tuple[str, ...] = (
    "time",
    "amount",
    "currency",
    "chain_id",
    "address",
    "url",
    "email",
    "id",
    "count",
    "page",
    "text",
    "json",
)
"""What a parameter means to a form or generator (widget choice, fake values)."""

STATUSES: tuple[str, ...] = ("current", "legacy", "legacy-2023", "sdk-only")
"""Documentation status: current docs, older still-linked pages, 2023 docs only, SDKs only."""

AREAS: tuple[str, ...] = (
    "WaaS project",
    "Addresses",
    "Payouts",
    "Withdrawals",
    "Payment engine",
    "Legacy",
    "Team",
)
"""UI grouping of endpoints, in display order (``Team`` holds the Team API's endpoints)."""

APIS: tuple[str, ...] = ("project", "team")
"""The two Cregis APIs: the project API (``/api/...``, signed with ``pid`` and the API key in the
body) and the team-level Team API (``/openapi/v1/...``, signed in four ``Access-*`` headers)."""

API_PATH_PREFIXES: dict[str, str] = {"project": "/api/", "team": "/openapi/"}
"""The path every endpoint of an API starts with."""

DATA_KINDS: tuple[str, ...] = ("object", "list", "page", "null")
"""Shape of the envelope's ``data``; a page is ``{total, rows, pageNum, pageSize}``."""

EFFECTS: tuple[str, ...] = ("read", "creates_state", "moves_money")
"""What calling an endpoint does on the service."""

CODE_CATEGORIES: tuple[str, ...] = (
    "success",
    "param",
    "auth",
    "quota",
    "project",
    "coin",
    "amount",
    "address",
    "duplicate",
    "not_found",
    "order",
    "address_update",
    "limit",
    "failure",
)
"""Categories of return codes."""

ADDRESS_STYLES: tuple[str, ...] = (
    "evm",
    "tron",
    "bitcoin",
    "litecoin",
    "dogecoin",
    "bitcoincash",
    "xrp",
    "solana",
    "ton",
    "sui",
    "filecoin",
    "ethereum_classic",
)
"""Address formats of the chains."""


# -- read-only JSON containers -------------------------------------------------------------------

_READ_ONLY = "registry data is shared and read-only; copy.deepcopy() it to get an editable copy"


class FrozenDict(dict[str, Any]):
    """A read-only ``dict``: JSON-serialisable; ``copy``/``deepcopy`` return plain dicts."""

    __slots__ = ()

    def __setitem__(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError(_READ_ONLY)

    def __delitem__(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError(_READ_ONLY)

    def __ior__(self, *args: Any, **kwargs: Any) -> NoReturn:  # type: ignore[misc]
        raise TypeError(_READ_ONLY)

    def clear(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError(_READ_ONLY)

    def pop(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError(_READ_ONLY)

    def popitem(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError(_READ_ONLY)

    def setdefault(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError(_READ_ONLY)

    def update(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError(_READ_ONLY)

    def __copy__(self) -> dict[str, Any]:
        return dict(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, Any]:
        return {key: copy.deepcopy(value, memo) for key, value in self.items()}

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenDict, (dict(self),))


class FrozenList(list[Any]):
    """A read-only ``list``: JSON-serialisable; ``copy``/``deepcopy`` return plain lists."""

    __slots__ = ()

    def __setitem__(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError(_READ_ONLY)

    def __delitem__(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError(_READ_ONLY)

    def __iadd__(self, *args: Any, **kwargs: Any) -> NoReturn:  # type: ignore[misc]
        raise TypeError(_READ_ONLY)

    def __imul__(self, *args: Any, **kwargs: Any) -> NoReturn:  # type: ignore[misc]
        raise TypeError(_READ_ONLY)

    def append(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError(_READ_ONLY)

    def extend(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError(_READ_ONLY)

    def insert(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError(_READ_ONLY)

    def pop(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError(_READ_ONLY)

    def remove(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError(_READ_ONLY)

    def clear(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError(_READ_ONLY)

    def sort(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError(_READ_ONLY)

    def reverse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError(_READ_ONLY)

    def __copy__(self) -> list[Any]:
        return list(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> list[Any]:
        return [copy.deepcopy(value, memo) for value in self]

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenList, (list(self),))


def freeze(value: Any) -> Any:
    """Return ``value`` (parsed JSON) with every dict and list made read-only, recursively."""
    if isinstance(value, dict):
        return FrozenDict({key: freeze(item) for key, item in value.items()})
    if isinstance(value, list):
        return FrozenList(freeze(item) for item in value)
    return value


def thaw(value: Any) -> Any:
    """Return an ordinary, editable deep copy of registry JSON (an example body, say)."""
    return copy.deepcopy(value)


EMPTY_MAPPING: Mapping[str, Any] = FrozenDict()


# -- records -------------------------------------------------------------------------------------


def _label_for(enum: tuple[EnumValue, ...] | None, value: Any) -> str | None:
    if not enum:
        return None
    for choice in enum:
        if choice.value == value and type(choice.value) is type(value):
            return choice.label
    text = str(value)  # "1" for 1 and the other way round: payloads are loose about it
    for choice in enum:
        if str(choice.value) == text:
            return choice.label
    return None


@dataclass(frozen=True)
class EnumValue:
    """One allowed value of an enumerated parameter or field, with a short label."""

    value: int | str
    label: str


@dataclass(frozen=True)
class Param:
    """A business parameter of an endpoint (system parameters are never listed)."""

    name: str
    type: str
    required: bool
    description: str = ""
    bits: int | None = None
    enum: tuple[EnumValue, ...] | None = None
    default: Any = None
    min_length: int | None = None
    max_length: int | None = None
    minimum: int | float | None = None
    maximum: int | float | None = None
    unit: str | None = None
    role: str | None = None

    @property
    def enum_values(self) -> tuple[int | str, ...]:
        """The raw allowed values (empty when the parameter is not an enum)."""
        return tuple(choice.value for choice in self.enum or ())

    def label_for(self, value: Any) -> str | None:
        """The label of ``value`` (``1`` or ``"1"`` alike), or ``None`` if it is not listed."""
        return _label_for(self.enum, value)

    def value_for(self, label: str) -> int | str | None:
        """The raw value whose label is ``label``, or ``None``."""
        for choice in self.enum or ():
            if choice.label == label:
                return choice.value
        return None


@dataclass(frozen=True)
class Field:
    """A field of one response record or callback body.

    Nested fields use dotted names relative to the record, ``[]`` marking list elements
    (``payment_info[].token_decimals``). ``optional`` means the field may be missing from a
    record; ``events`` (callbacks only) lists the event types that carry it, ``None`` = all.
    ``alias_of`` names the field this one is another key for (the same value under the key of
    another revision of the API): a frame reads either and keeps one column, ``alias_of``'s.
    """

    name: str
    type: str
    unit: str | None = None
    description: str = ""
    enum: tuple[EnumValue, ...] | None = None
    optional: bool = False
    events: tuple[str, ...] | None = None
    alias_of: str | None = None

    def label_for(self, value: Any) -> str | None:
        """The label of ``value`` (``1`` or ``"1"`` alike), or ``None`` if it is not listed."""
        return _label_for(self.enum, value)

    @property
    def enum_values(self) -> tuple[int | str, ...]:
        """The raw documented values (empty when the field is not an enum)."""
        return tuple(choice.value for choice in self.enum or ())

    @property
    def is_nested(self) -> bool:
        """True for a field inside a nested object or list (``a.b``, ``a[].b``)."""
        return "." in self.name

    def applies_to(self, event: str | None) -> bool:
        """Whether a callback of event type ``event`` carries this field."""
        return self.events is None or event is None or event in self.events


@dataclass(frozen=True)
class Endpoint:
    """One request endpoint: where it lives, what it takes, what it returns, what it does.

    ``request_example`` / ``response_example`` are the documented bodies, read-only and
    JSON-serialisable (empty when the docs give none); ``copy.deepcopy`` them to edit.
    """

    name: str
    helper: str
    path: str
    group: str
    area: str
    status: str
    summary: str
    description: str
    data_kind: str
    effect: str
    row_key: tuple[str, ...]
    params: tuple[Param, ...]
    response_fields: tuple[Field, ...]
    request_example: Mapping[str, Any] = dataclasses.field(
        default_factory=FrozenDict, compare=False, hash=False, repr=False
    )
    response_example: Mapping[str, Any] = dataclasses.field(
        default_factory=FrozenDict, compare=False, hash=False, repr=False
    )
    notes: tuple[str, ...] = ()
    api: str = "project"

    def __repr__(self) -> str:
        return f"Endpoint({self.name!r}, POST {self.path}, {self.status})"

    @property
    def is_team(self) -> bool:
        """True for an endpoint of the Team API (signed with the ``Access-*`` headers)."""
        return self.api == "team"

    @property
    def method(self) -> str:
        """Always ``POST``: the API has no other verb."""
        return "POST"

    @property
    def is_paged(self) -> bool:
        """True when ``data`` is a page ``{total, rows, pageNum, pageSize}``."""
        return self.data_kind == "page"

    @property
    def is_read_only(self) -> bool:
        """True when calling it changes nothing."""
        return self.effect == "read"

    @property
    def moves_money(self) -> bool:
        """True for payouts, withdrawals and sweeps."""
        return self.effect == "moves_money"

    @property
    def creates_state(self) -> bool:
        """True when a call changes something on the service (money moves included)."""
        return self.effect != "read"

    @property
    def is_legacy(self) -> bool:
        """True for ``legacy`` and ``legacy-2023`` endpoints."""
        return self.status.startswith("legacy")

    @property
    def param_names(self) -> tuple[str, ...]:
        """Business parameter names, in documented order."""
        return tuple(p.name for p in self.params)

    @property
    def required_params(self) -> tuple[Param, ...]:
        """The business parameters that must be given."""
        return tuple(p for p in self.params if p.required)

    @property
    def field_names(self) -> tuple[str, ...]:
        """Names of the record fields, nested ones included."""
        return tuple(f.name for f in self.response_fields)

    @property
    def top_level_fields(self) -> tuple[Field, ...]:
        """Record fields that are not nested inside another field."""
        return tuple(f for f in self.response_fields if not f.is_nested)

    def param(self, name: str) -> Param | None:
        """The business parameter called ``name``, or ``None``."""
        for p in self.params:
            if p.name == name:
                return p
        return None

    def field(self, name: str) -> Field | None:
        """The record field called ``name`` (dotted for nested ones), or ``None``."""
        for f in self.response_fields:
            if f.name == name:
                return f
        return None


@dataclass(frozen=True)
class TeamAuth:
    """How a Team API request is authenticated: its headers and the limits the signature needs.

    ``headers`` are, in order, the key, timestamp, nonce and signature header names; the nonce
    is ``nonce_min_length`` to ``nonce_max_length`` characters; the timestamp is in
    ``timestamp_unit``; integers in a signed body must lie within +/-``max_safe_integer`` (the
    range RFC 8785 can write exactly).
    """

    headers: tuple[str, str, str, str]
    nonce_min_length: int
    nonce_max_length: int
    timestamp_unit: str
    max_safe_integer: int

    @property
    def key_header(self) -> str:
        """The header carrying the Access Key."""
        return self.headers[0]

    @property
    def timestamp_header(self) -> str:
        """The header carrying the timestamp."""
        return self.headers[1]

    @property
    def nonce_header(self) -> str:
        """The header carrying the nonce."""
        return self.headers[2]

    @property
    def signature_header(self) -> str:
        """The header carrying the signature."""
        return self.headers[3]


@dataclass(frozen=True)
class Callback:
    """A notification Cregis posts to a merchant URL, and the reply it expects (``ack``)."""

    name: str
    status: str
    summary: str
    description: str
    sent_to: str
    triggered_by: tuple[str, ...]
    fields: tuple[Field, ...]
    example: Mapping[str, Any] = dataclasses.field(
        default_factory=FrozenDict, compare=False, hash=False, repr=False
    )
    ack: str = "success"
    notes: tuple[str, ...] = ()
    group: str = ""

    def __repr__(self) -> str:
        return f"Callback({self.name!r}, {self.status})"

    @property
    def is_legacy(self) -> bool:
        """True for ``legacy`` and ``legacy-2023`` callbacks."""
        return self.status.startswith("legacy")

    @property
    def field_names(self) -> tuple[str, ...]:
        """Names of the body fields, nested ones included."""
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> Field | None:
        """The body field called ``name`` (dotted for nested ones), or ``None``."""
        for f in self.fields:
            if f.name == name:
                return f
        return None

    def fields_for(self, event: str | None) -> tuple[Field, ...]:
        """The fields a callback of event type ``event`` carries (all when ``None``)."""
        return tuple(f for f in self.fields if f.applies_to(event))


@dataclass(frozen=True)
class ReturnCode:
    """A documented envelope ``code``: its English ``msg``, Chinese text and what to do."""

    code: str
    msg: str | None
    zh: str
    meaning: str
    hint: str
    category: str
    status: str

    @property
    def is_success(self) -> bool:
        """True only for ``00000``."""
        return self.code == "00000"


@dataclass(frozen=True)
class Currency:
    """A WaaS coin: name, ``chain_id@token_id`` identifier and decimals."""

    name: str
    chain_id: str
    token_id: str
    decimals: int
    identifier: str
    native: bool
    chain_name: str
    symbol: str


@dataclass(frozen=True)
class Chain:
    """A chain of the WaaS currency table, with its native coin and address format."""

    chain_id: str
    name: str
    native_symbol: str
    native_decimals: int
    address_style: str


@dataclass(frozen=True)
class PayCurrency:
    """A token a checkout payer can pay with (the ``tokens`` parameter's names)."""

    token_name: str
    blockchain: str
    chain_id: str
    token_id: str
    symbol: str
    decimals: int

    @property
    def identifier(self) -> str:
        """``chain_id@token_id``."""
        return f"{self.chain_id}@{self.token_id}"


@dataclass(frozen=True)
class OrderCurrency:
    """A currency an order may be priced in, with its decimals."""

    code: str
    decimals: int
    kind: str  # "fiat" or "crypto"
    name: str = ""
