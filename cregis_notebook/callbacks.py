"""Callbacks (webhooks) Cregis posts to your URLs: parse, verify and tabulate them.

* :func:`parse_callback` turns one body (a dict, JSON text or raw bytes) into a
  :class:`ParsedCallback` with the documented types: amounts as :class:`~decimal.Decimal`, ids
  and status codes as ``int`` (with a readable label), times as tz-aware UTC ``datetime``.
* :func:`callbacks_frame` builds one DataFrame from many bodies (JSON lines, a list of dicts or
  raw bodies, or what a :class:`CallbackReceiver` collected), with a ``verified`` column when
  the project API key is given.
* :class:`ReceivedCallback` is one body as an HTTP endpoint received it; the loopback server
  that collects them in notebooks, ``cregis_notebook.CallbackReceiver``, sits above this module
  (it parses with :func:`load_body` and :func:`detect_kind`) and is accepted here as anything
  with a ``received`` list.

Choices made where the vendor documents are ambiguous (SPEC section 13):

* a payment callback's ``data`` may arrive as a JSON object or as JSON text; both are parsed,
  and the signature is checked over the body exactly as received (text verbatim, an object as
  canonical compact JSON, see :mod:`cregis_notebook._signing`);
* the event names ``partial_paid`` and ``overpaid`` of one English page are read as
  ``paid_partial`` and ``paid_over``;
* a refund's ``type`` is labelled with the callback's own codes (0 partial, 1 full), not the
  order query's (1 partial, 2 full);
* a deposit's ``status`` and ``block_time`` may be text (current docs) or numbers (2023 docs);
  every status becomes an ``int``, and an epoch time with 13 digits is read as milliseconds, one
  with 10 digits as seconds, whatever unit the docs give.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._signing import Secret, verify_signature
from ._values import exact_bool, exact_decimal, exact_int, loads_exact, utc_from_epoch
from .errors import CallbackError, UnfitValue
from .spec import Callback, Field, registry

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "KINDS",
    "CallbackError",
    "ParsedCallback",
    "ReceivedCallback",
    "callbacks_frame",
    "detect_kind",
    "load_body",
    "parse_callback",
]

KINDS: dict[str, str] = {
    "deposit": "callback_address_deposit",
    "address_deposit": "callback_address_deposit",
    "payout": "callback_payout",
    "withdrawal": "callback_sub_address_withdrawal",
    "sub_address_withdrawal": "callback_sub_address_withdrawal",
    "external_verification": "callback_payout_external_verification",
    "payout_external_verification": "callback_payout_external_verification",
    "order": "callback_payment_order",
    "payment_order": "callback_payment_order",
    "order_v1": "callback_payment_v1",
    "payment_v1": "callback_payment_v1",
    "order_deposit": "callback_order_deposit",
}
"""Short names accepted by ``kind=``, mapped to the registry's callback names."""

EVENT_ALIASES = {"partial_paid": "paid_partial", "overpaid": "paid_over"}
"""Event names of one English rendering, mapped to the documented table's names."""

DATA_RENAMES = {"status": "order_status", "type": "refund_type"}
"""Fields of a payment callback's ``data`` renamed in frames, so they never share a column with
the integer ``status`` of the WaaS callbacks."""


@dataclass(frozen=True)
class ReceivedCallback:
    """One POST an HTTP endpoint got: where, when, the raw body and what it answered."""

    path: str
    body: bytes = field(repr=False)
    received_at: dt.datetime
    reply: str
    status: int = 200

    def json(self) -> Any:
        """The body parsed as JSON (fractional numbers as exact ``Decimal``)."""
        return loads_exact(self.body.decode("utf-8"))

    def parse(self, api_key: str | Secret | None = None) -> ParsedCallback:
        """The body as a :class:`ParsedCallback`."""
        secret = _secret(api_key)
        del api_key  # from here on the key is only inside the Secret
        return parse_callback(self.body, api_key=secret)


@dataclass(frozen=True)
class ParsedCallback:
    """One callback body with its documented types.

    Attributes:
        kind: the registry name, e.g. ``"callback_payout"`` (``registry().callback(kind)``).
        event_type: for payment-order callbacks, ``paid``, ``expired``, ...; else ``None``.
        values: top-level fields, typed; a payment callback's ``data`` is a typed dict here.
        labels: readable labels of enum fields, e.g. ``{"status": "success"}`` (dotted names
            for ``data`` fields: ``"data.refund_status"``).
        raw: the body as received (``data`` kept as it came, object or text).
        verified: the signature check, or ``None`` when no API key was given.
        data_format: ``"object"`` or ``"string"`` when the body has ``data``, else ``None``.
        problems: values that did not fit their documented type (kept as received).
    """

    kind: str
    event_type: str | None
    values: Mapping[str, Any]
    labels: Mapping[str, str]
    raw: Mapping[str, Any] = field(repr=False)
    verified: bool | None = None
    data_format: str | None = None
    problems: tuple[str, ...] = ()

    @property
    def callback(self) -> Callback:
        """The registry entry of this kind (fields, summary, expected reply)."""
        return registry().callback(self.kind)

    @property
    def ack(self) -> str:
        """The reply Cregis expects: ``success`` (``ok`` to approve an external verification)."""
        return self.callback.ack

    @property
    def data(self) -> Mapping[str, Any]:
        """The typed ``data`` of a payment callback (empty for the others)."""
        value = self.values.get("data")
        return value if isinstance(value, Mapping) else {}

    def __getitem__(self, name: str) -> Any:
        """A typed value: top-level name, or a ``data`` field by its own name."""
        if name in self.values:
            return self.values[name]
        if name in self.data:
            return self.data[name]
        raise KeyError(name)

    def record(self) -> dict[str, Any]:
        """A flat dict for a table: ``data`` fields lifted to the top (see ``DATA_RENAMES``)."""
        out: dict[str, Any] = {"kind": _short_kind(self.kind), "event_type": self.event_type}
        if self.verified is not None:
            out["verified"] = self.verified
        for name, value in self.values.items():
            if name == "data" and isinstance(value, Mapping):
                for key, item in value.items():
                    column = DATA_RENAMES.get(str(key), str(key))
                    out[column] = item
                    label = self.labels.get(f"data.{key}")
                    if label is not None:
                        out[f"{column}_label"] = label
                continue
            if name in ("event_name", "event_type"):
                if name == "event_name":
                    out[name] = value
                continue
            out[name] = value
            label = self.labels.get(name)
            if label is not None:
                out[f"{name}_label"] = label
        if self.data_format is not None:
            out["data_format"] = self.data_format
        return out


def _short_kind(kind: str) -> str:
    return kind.removeprefix("callback_")


# -- reading bodies ----------------------------------------------------------------------------


def load_body(payload: Mapping[str, Any] | str | bytes | bytearray) -> dict[str, Any]:
    """One callback body as a dict, from a mapping, JSON text or the raw bytes of a request.

    JSON numbers with a fraction become exact :class:`~decimal.Decimal` values. Raises
    :class:`CallbackError` when the body is not UTF-8 JSON holding an object.
    """
    if isinstance(payload, (bytes, bytearray)):
        try:
            payload = bytes(payload).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CallbackError(f"a callback body must be UTF-8 JSON: {exc}") from None
    if isinstance(payload, str):
        try:
            payload = loads_exact(payload)
        except ValueError as exc:
            raise CallbackError(f"a callback body must be a JSON object: {exc}") from None
    if not isinstance(payload, Mapping):
        raise CallbackError(f"a callback body must be a JSON object, got {type(payload).__name__}")
    return dict(payload)


def detect_kind(body: Mapping[str, Any]) -> str:
    """The registry name of the callback a body most likely is, from its fields.

    ``event_name``/``event_type`` mean a payment order (v2; pass ``kind="order_v1"`` for the
    legacy one); ``real_amount`` the 2023 order deposit; ``from_address`` and ``to_address`` a
    sub-address withdrawal (or, without ``status``, a payout external verification); ``address``
    with ``third_party_id`` a payout; ``address`` alone an address deposit.
    """
    keys = set(body)
    if "event_type" in keys or "event_name" in keys:
        return "callback_payment_order"
    if "real_amount" in keys:
        return "callback_order_deposit"
    if {"from_address", "to_address"} <= keys:
        if "status" in keys:
            return "callback_sub_address_withdrawal"
        return "callback_payout_external_verification"
    if "address" in keys and "third_party_id" in keys:
        return "callback_payout"
    if "address" in keys:
        return "callback_address_deposit"
    raise CallbackError(
        "cannot tell which callback this is (fields: "
        + ", ".join(sorted(keys)[:12])
        + "); pass kind= one of: "
        + ", ".join(sorted(set(KINDS)))
    )


def _resolve_kind(kind: str) -> str:
    text = kind.strip().lower()
    if text in KINDS:
        return KINDS[text]
    return registry().callback(text).name  # raises with suggestions when unknown


# -- typing values -----------------------------------------------------------------------------


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _digit_enum(f: Field) -> bool:
    return bool(f.enum) and all(str(e.value).lstrip("-").isdigit() for e in f.enum or ())


def _typed(f: Field, value: Any) -> Any:
    """``value`` converted to the field's documented type (``None`` for empty values)."""
    if f.type == "string":
        return value if isinstance(value, str) or value is None else str(value)
    if f.type in ("object", "array"):
        if isinstance(value, str):
            if not value.strip():
                return None
            try:
                return loads_exact(value)
            except ValueError:
                raise UnfitValue(f"{value!r} is not JSON text") from None
        return value
    if _blank(value):
        return None
    if f.type == "int":
        return exact_int(value)
    if f.type == "decimal":
        return exact_decimal(value, exponent=True)
    if f.type == "timestamp":
        return utc_from_epoch(value)
    if f.type == "bool":
        return exact_bool(value)
    if f.type == "enum_int" or (f.type == "enum_string" and _digit_enum(f)):
        return exact_int(value)
    if f.type in ("enum_string", "currency"):
        return str(value)
    return value


def _convert(
    values: Mapping[str, Any],
    fields: Mapping[str, Field],
    prefix: str,
    labels: dict[str, str],
    problems: list[str],
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in values.items():
        f = fields.get(prefix + name)
        if f is None:
            out[name] = value
            continue
        try:
            typed = _typed(f, value)
        except UnfitValue as exc:
            problems.append(f"{prefix}{name}: {exc}")
            typed = value
        out[name] = typed
        if f.enum and typed is not None:
            label = f.label_for(typed)
            labels[prefix + name] = label if label is not None else str(typed)
    return out


def _secret(api_key: str | Secret | None) -> Secret | None:
    """The key kept as a :class:`Secret`, so that no frame of an error's traceback shows it."""
    return None if api_key is None else Secret(api_key)


def parse_callback(
    payload: Mapping[str, Any] | str | bytes | bytearray,
    *,
    kind: str | None = None,
    api_key: str | Secret | None = None,
) -> ParsedCallback:
    """Read one callback body and type its fields as the registry documents them.

    Args:
        payload: the body as a dict, JSON text or the raw bytes of the request.
        kind: which callback it is (``"deposit"``, ``"payout"``, ``"withdrawal"``,
            ``"external_verification"``, ``"order"``, ``"order_v1"``, ``"order_deposit"`` or a
            registry name); guessed from the fields when left out (see :func:`detect_kind`).
        api_key: the project API key; when given, ``verified`` tells whether ``sign`` matches.

    Raises:
        CallbackError: the body is not a JSON object, or its kind cannot be told.
    """
    secret = _secret(api_key)
    del api_key  # from here on the key is only inside the Secret
    body = load_body(payload)
    name = _resolve_kind(kind) if kind is not None else detect_kind(body)
    spec = registry().callback(name)
    fields = {f.name: f for f in spec.fields}
    labels: dict[str, str] = {}
    problems: list[str] = []

    top = {k: v for k, v in body.items() if k != "data"}
    values = _convert(top, fields, "", labels, problems)
    data_format: str | None = None
    if "data" in body:
        data = body["data"]
        data_format = "string" if isinstance(data, str) else "object"
        if isinstance(data, str):
            try:
                data = loads_exact(data) if data.strip() else {}
            except ValueError:
                problems.append("data: is neither a JSON object nor JSON text")
        if isinstance(data, Mapping):
            values["data"] = _convert(data, fields, "data.", labels, problems)
        else:
            values["data"] = data
    event = values.get("event_type")
    if isinstance(event, str):
        event = EVENT_ALIASES.get(event, event)
        values["event_type"] = event
        labels["event_type"] = event
    # the signature is checked over the body as received: raw text as the signer reads it
    signed: Mapping[str, Any] | str | bytes = body
    if isinstance(payload, (str, bytes, bytearray)):
        signed = bytes(payload) if isinstance(payload, bytearray) else payload
    verified = None if secret is None else verify_signature(signed, secret)
    return ParsedCallback(
        kind=name,
        event_type=event if isinstance(event, str) else None,
        values=values,
        labels=labels,
        raw=body,
        verified=verified,
        data_format=data_format,
        problems=tuple(problems),
    )


# -- many bodies -> one frame ------------------------------------------------------------------


def _json_lines(text: str) -> list[Any]:
    stripped = text.strip()
    if not stripped:
        return []
    if stripped.startswith("["):
        try:
            items = loads_exact(stripped)
        except ValueError:
            pass
        else:
            if isinstance(items, list):
                return items
    return [line for line in (raw.strip() for raw in text.splitlines()) if line]


def _items(payloads: Any) -> list[Any]:
    """Flatten the accepted inputs into a list of single bodies (or received callbacks)."""
    if isinstance(payloads, os.PathLike):
        return _json_lines(Path(payloads).read_text(encoding="utf-8"))
    if isinstance(payloads, (bytes, bytearray)):
        return _json_lines(bytes(payloads).decode("utf-8"))
    if isinstance(payloads, str):
        text = payloads.strip()
        if text and text[0] not in "{[" and "\n" not in text and Path(text).is_file():
            return _json_lines(Path(text).read_text(encoding="utf-8"))
        return _json_lines(payloads)
    if isinstance(payloads, Mapping):
        return [payloads]
    received = getattr(payloads, "received", None)
    if isinstance(received, list):  # a CallbackReceiver (or anything that collects bodies)
        return list(received)
    if isinstance(payloads, Iterable):
        return list(payloads)
    raise TypeError(
        "payloads must be JSON lines (text, bytes or a path), a list of dicts or raw bodies, "
        f"or a CallbackReceiver; got {type(payloads).__name__}"
    )


_DTYPE_BY_TYPE = {
    "int": "Int64",
    "enum_int": "Int64",
    "timestamp": "datetime64[ms, UTC]",
    "string": "string",
    "currency": "string",
    "bool": "boolean",
}


def _column_types() -> dict[str, str]:
    """Frame column -> pandas dtype, from every callback's documented fields."""
    types: dict[str, str] = {}
    for cb in registry().callbacks:
        for f in cb.fields:
            if f.name == "data" or "[]" in f.name or f.name.count(".") > 1:
                continue
            name = f.name.removeprefix("data.")
            column = DATA_RENAMES.get(name, name) if f.name.startswith("data.") else name
            kind = f.type
            if kind == "enum_string":
                kind = "enum_int" if _digit_enum(f) else "string"
            if kind == "decimal":
                types.setdefault(column, "decimal")
            elif kind in _DTYPE_BY_TYPE:
                types.setdefault(column, _DTYPE_BY_TYPE[kind])
    return types


def callbacks_frame(
    payloads: Any,
    api_key: str | Secret | None = None,
    *,
    kind: str | None = None,
) -> pd.DataFrame:
    """One row per callback, typed, with a ``verified`` column when ``api_key`` is given.

    ``payloads`` may be JSON lines (text, bytes, or a path to a ``.jsonl`` file), a JSON array,
    a list of dicts, JSON texts or raw bodies, :class:`ReceivedCallback` records or a
    :class:`CallbackReceiver`. Columns: ``kind`` (``deposit``, ``payout``, ``payment_order``,
    ...), ``event_type``, ``verified``, then the documented fields (a payment callback's ``data``
    fields lifted to the top: ``order_status``, ``refund_type``), ``<field>_label`` beside enum
    codes, ``received_at``/``path`` for received ones, and ``problems`` when a value did not fit.
    A body that cannot be read at all is a row with ``kind`` ``"unreadable"`` and the reason in
    ``problems``, so nothing is silently dropped.
    """
    import pandas as pd

    secret = _secret(api_key)
    del api_key  # from here on the key is only inside the Secret
    rows: list[dict[str, Any]] = []
    for item in _items(payloads):
        extra: dict[str, Any] = {}
        body: Any = item
        if isinstance(item, ParsedCallback):
            parsed: ParsedCallback | None = item
            if secret is not None and item.verified is None:
                parsed = parse_callback(item.raw, kind=item.kind, api_key=secret)
        else:
            if isinstance(item, ReceivedCallback):
                extra = {"received_at": item.received_at, "path": item.path}
                body = item.body
            try:
                parsed = parse_callback(body, kind=kind, api_key=secret)
            except CallbackError as exc:
                parsed = None
                rows.append({"kind": "unreadable", "problems": str(exc), **extra})
        if parsed is None:
            continue
        row = parsed.record()
        if secret is not None:
            row["verified"] = parsed.verified
        if parsed.problems:
            row["problems"] = "; ".join(parsed.problems)
        row.update(extra)
        rows.append(row)

    leading = ["kind", "event_type"] + (["verified"] if secret is not None else [])
    frame = pd.DataFrame(rows)
    for column in leading:
        if column not in frame.columns:
            frame[column] = pd.Series([None] * len(frame), dtype=object)
    rest = [c for c in frame.columns if c not in leading]
    frame = frame[leading + rest]
    types = _column_types()
    for column in frame.columns:
        target = types.get(column)
        if column == "verified":
            target = "boolean"
        elif column in ("kind", "event_type", "problems", "path", "data_format"):
            target = "string"
        elif column == "received_at":
            target = "datetime64[ms, UTC]"
        elif column.endswith("_label"):
            target = "string"
        if target == "decimal":  # exact Decimal objects; a missing value is None, never NaN
            values = frame[column].astype(object)
            frame[column] = values.where(values.notna(), None)
            continue
        if target is None:
            continue
        try:
            frame[column] = frame[column].astype(pd.api.types.pandas_dtype(target))
        except (TypeError, ValueError):
            continue  # a value that did not fit its type: the column stays as received
    return frame
