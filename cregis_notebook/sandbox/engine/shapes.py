"""Turn the sandbox's records into response and callback JSON shaped as the registry says.

Field names, their order and nesting come from the registry's ``response_fields`` (or a
callback's ``fields``). The JSON type of each value comes from the documented example when the
example shows the field (``block_height`` is text in every example, ``block_time`` a number in
some and text in others); otherwise from the field's registry type (amounts and decimals as
text, ids and timestamps as numbers). :data:`WIRE_OVERRIDES` holds the few places where SPEC.md
states a type that no example shows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ...spec import Callback, Endpoint, Field
from .amounts import format_units

__all__ = ["WIRE_OVERRIDES", "Shape", "callback_shape", "endpoint_shape"]

_SEMANTIC = {
    "int": "int",
    "string": "str",
    "decimal": "str",
    "timestamp": "int",
    "bool": "bool",
    "object": "obj",
    "array": "list",
    "enum_int": "int",
    "enum_string": "str",
    "currency": "str",
}

WIRE_OVERRIDES: dict[str, dict[str, str]] = {
    # SPEC 8.2: business_type, trade_type, memo, remark are SDK-only strings.
    "trade_page": {"business_type": "str", "trade_type": "str"},
    # SPEC 10.2: refund_created_time and refund_transact_time are strings holding ms.
    "order_info_v2": {
        "refund_data.refund_created_time": "str",
        "refund_data.refund_transact_time": "str",
    },
    # SPEC 10.3 / endpoints.json: the refunded callback's times are typed string.
    "callback_payment_order": {
        "data.refund_created_time": "str",
        "data.refund_transact_time": "str",
    },
}
"""Per endpoint or callback name: dotted field -> JSON type, where no example shows it."""

PASSTHROUGH = frozenset({"order_details", "sub_merchant"})
"""Objects the merchant sent as JSON text: echoed back as parsed, not reshaped."""


@dataclass
class _Node:
    spec: Field
    wire: str
    children: list[_Node] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.spec.name.rpartition(".")[2].removesuffix("[]")


def _example_value(example: Any, dotted: str) -> Any:
    """The example's value at ``dotted`` (``a[].b``: the first element), or None."""
    value = example
    for part in dotted.split("."):
        many = part.endswith("[]")
        key = part[:-2] if many else part
        if not isinstance(value, Mapping) or key not in value:
            return None
        value = value[key]
        if many:
            if not isinstance(value, Sequence) or isinstance(value, str) or not value:
                return None
            value = value[0]
    return value


def _wire_of(value: Any, fallback: str) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, str):
        return "str"
    if isinstance(value, float):
        return "num"
    return fallback


class Shape:
    """How one record is written: the registry's fields with their JSON types."""

    def __init__(self, name: str, fields: Sequence[Field], example: Any) -> None:
        self.name = name
        overrides = WIRE_OVERRIDES.get(name, {})
        nodes: dict[str, _Node] = {}
        self.roots: list[_Node] = []
        for f in fields:
            semantic = _SEMANTIC[f.type]
            wire = overrides.get(f.name) or _wire_of(_example_value(example, f.name), semantic)
            if semantic in ("obj", "list"):
                wire = semantic
            node = _Node(f, wire)
            parent_name = f.name.rpartition(".")[0]
            nodes[f.name] = node
            if not parent_name:
                self.roots.append(node)
                continue
            parent = nodes.get(parent_name) or nodes.get(parent_name.removesuffix("[]"))
            if parent is None:
                raise ValueError(f"{name}: field {f.name} has no parent field")
            parent.children.append(node)
        self.wire = {name_: node.wire for name_, node in nodes.items()}

    def __repr__(self) -> str:
        return f"Shape({self.name!r}, {[n.key for n in self.roots]})"

    @property
    def keys(self) -> list[str]:
        """Top-level keys in registry order."""
        return [n.key for n in self.roots]

    def render(self, record: Mapping[str, Any], event: str | None = None) -> dict[str, Any]:
        """The JSON-ready dict for ``record`` (values converted to their JSON types).

        A field the record lacks is left out when the registry marks it optional (or when it
        belongs to other callback events); a missing required field is an error.
        """
        return _render(self.roots, record, event, self.name)


def _render(
    nodes: list[_Node], record: Mapping[str, Any], event: str | None, where: str
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for node in nodes:
        key = node.key
        if not node.spec.applies_to(event):
            continue
        if key not in record:
            if node.spec.optional or node.spec.events is not None:
                continue
            raise KeyError(f"{where}: the record has no {node.spec.name!r}")
        out[key] = _convert(node, record[key], event, where)
    return out


def _convert(node: _Node, value: Any, event: str | None, where: str) -> Any:
    if value is None:
        return None
    wire = node.wire
    if wire == "obj":
        if node.key in PASSTHROUGH or not node.children or not isinstance(value, Mapping):
            return value
        return _render(node.children, value, event, where)
    if wire == "list":
        if not node.children:
            return list(value)
        return [
            _render(node.children, item, event, where) if isinstance(item, Mapping) else item
            for item in value
        ]
    if wire == "str":
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, Decimal):
            return format(value, "f")
        if isinstance(value, tuple):  # (units, scale)
            return format_units(*value)
        return str(value)
    if wire == "int":
        if isinstance(value, str) and value.lstrip("-").isdigit():
            return int(value)
        if isinstance(value, Decimal):
            return int(value)
        return value
    if wire == "bool":
        return value if isinstance(value, bool) else str(value).lower() == "true"
    return value


def endpoint_shape(ep: Endpoint) -> Shape:
    """The shape of one record of ``ep``'s ``data`` (the object, a list item or a page row)."""
    data = ep.response_example.get("data") if ep.response_example else None
    if ep.data_kind == "page" and isinstance(data, Mapping):
        rows = data.get("rows") or [None]
        data = rows[0]
    elif ep.data_kind == "list" and isinstance(data, Sequence) and data:
        data = data[0]
    return Shape(ep.name, ep.response_fields, data)


def callback_shape(cb: Callback) -> Shape:
    """The shape of a callback body (system fields included)."""
    return Shape(cb.name, cb.fields, cb.example)
