"""Request checks: the body, the system parameters, the signature and each business parameter.

Every refusal is a :class:`~cregis_notebook.errors.SandboxRefusal` carrying a return code (the
codes and their messages: :mod:`cregis_notebook.sandbox.engine.codes`).

Where the vendor documents a specific code for a limit, that code is used instead of A0003:
``alias`` too long -> E0002, ``order_id`` too long -> E0019, an order's ``remark`` too long ->
E0021, ``valid_time`` out of range -> E0026, batch ``number`` out of range -> E0027, address
``status`` not ``"0"``/``"1"`` -> E0028. Amounts are checked by the endpoints themselves, after
the coin and the address, as SPEC section 12 orders it (E0016 not a number, E0006 not > 0,
E0007 too many decimals; orders: E0016, E0022, E0023).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ..._signing import render_value, sign
from ..._values import exact_decimal, exact_int
from ...errors import AmountError, SandboxRefusal, UnfitValue
from ...spec import Endpoint, Param
from ..engine.amounts import decimal_places, parse_amount
from ..engine.codes import A_MISSING, A_TYPE, A_VALUE, documented, param_error

__all__ = ["check_amount", "check_sign", "check_system", "read_params", "read_pid"]

AMOUNT_PARAMS = frozenset({"amount", "order_amount"})
"""Checked by the endpoint (coin decimals and E codes), not here."""


def _limit_code(ep: Endpoint, name: str) -> str | None:
    """The documented code for a limit on ``name`` in ``ep``, if the vendor has one."""
    if name == "alias":
        return "E0002"
    if name == "order_id":
        return "E0019"
    if name == "remark" and ep.param("order_id") is not None:
        return "E0021"
    if name == "valid_time":
        return "E0026"
    if name == "number":
        return "E0027"
    if name == "status" and ep.name == "address_update":
        return "E0028"
    return None


def _limit(ep: Endpoint, p: Param, problem: str) -> SandboxRefusal:
    code = _limit_code(ep, p.name)
    if code is not None:
        return documented(code)
    return param_error(A_VALUE, p.name, problem)


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value == "")


def _as_int(p: Param, value: Any) -> int:
    if isinstance(value, bool):
        raise param_error(A_TYPE, p.name, f"must be an integer, got {json.dumps(value)}")
    try:
        return exact_int(value)
    except UnfitValue:
        raise param_error(A_TYPE, p.name, f"must be an integer, got {_show(value)}") from None


def _show(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _convert(ep: Endpoint, p: Param, value: Any) -> Any:
    kind = p.type
    if kind == "int":
        number = _as_int(p, value)
        bits = p.bits or 64
        if not -(2 ** (bits - 1)) <= number < 2 ** (bits - 1):
            raise _limit(ep, p, f"must fit in {bits} bits, got {number}")
        return number
    if kind == "int_string":
        return _as_int(p, value)
    if kind == "string":
        if isinstance(value, str):
            return value
        if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
            return render_value(value)  # Jackson-style: a number where text is expected
        raise param_error(A_TYPE, p.name, f"must be text, got {_show(value)}")
    if kind == "decimal":
        if p.name in AMOUNT_PARAMS:
            return value
        try:
            return parse_amount(value)
        except AmountError:
            raise param_error(
                A_TYPE, p.name, f"must be a decimal number, got {_show(value)}"
            ) from None
    if kind == "float":
        try:
            return exact_decimal(value)
        except UnfitValue:
            raise param_error(A_TYPE, p.name, f"must be a number, got {_show(value)}") from None
    if kind == "bool_string":
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower()
        raise _limit(ep, p, f'must be "true" or "false", got {_show(value)}')
    if kind in ("json_object", "json_array"):
        want = dict if kind == "json_object" else list
        parsed = value
        if isinstance(value, str):
            try:
                parsed = json.loads(value)
            except ValueError:
                raise param_error(
                    A_TYPE, p.name, f"must be {_article(want)} as JSON text, got {_show(value)}"
                ) from None
        if not isinstance(parsed, want):
            raise param_error(A_TYPE, p.name, f"must be {_article(want)} as JSON text")
        return parsed
    raise param_error(A_TYPE, p.name, f"has an unsupported type {kind}")


def _article(kind: type) -> str:
    return "a JSON object" if kind is dict else "a JSON array"


def _check_limits(ep: Endpoint, p: Param, value: Any) -> None:
    if p.enum and value not in p.enum_values:
        allowed = ", ".join(json.dumps(v) for v in p.enum_values)
        raise _limit(ep, p, f"must be one of {allowed}, got {_show(value)}")
    if isinstance(value, str):
        if p.max_length is not None and len(value) > p.max_length:
            raise _limit(ep, p, f"is {len(value)} characters long; at most {p.max_length} allowed")
        if p.min_length is not None and len(value) < p.min_length:
            raise _limit(ep, p, f"needs at least {p.min_length} characters")
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        if p.maximum is not None and value > p.maximum:
            raise _limit(ep, p, f"must be at most {p.maximum}, got {_show(value)}")
        if p.minimum is not None and value < p.minimum:
            raise _limit(ep, p, f"must be at least {p.minimum}, got {_show(value)}")


def read_params(ep: Endpoint, body: Mapping[str, Any]) -> dict[str, Any]:
    """The business parameters of ``body`` for ``ep``, converted, with defaults filled in.

    Missing required -> A0001; wrong type -> A0002; out of range -> A0003 or the documented
    code. Parameters the endpoint does not document are ignored, as the service does.
    """
    out: dict[str, Any] = {}
    for p in ep.params:
        raw = body.get(p.name)
        if _is_empty(raw):
            if p.required:
                raise param_error(A_MISSING, p.name, "is required")
            if p.default is not None:
                out[p.name] = p.default
            continue
        value = _convert(ep, p, raw)
        if p.name not in AMOUNT_PARAMS:
            _check_limits(ep, p, value)
        out[p.name] = value
    return out


def check_system(body: Mapping[str, Any]) -> None:
    """``timestamp`` and ``nonce`` (after the signature check): A0001 / A0002."""
    for name in ("timestamp", "nonce"):
        value = body.get(name)
        if _is_empty(value):
            raise param_error(A_MISSING, name, "is required")
    stamp = body["timestamp"]
    if isinstance(stamp, bool) or not isinstance(stamp, (int, str)) or not _is_int(stamp):
        raise param_error(A_TYPE, "timestamp", f"must be epoch milliseconds, got {_show(stamp)}")
    if not isinstance(body["nonce"], (str, int)) or isinstance(body["nonce"], bool):
        raise param_error(A_TYPE, "nonce", f"must be text, got {_show(body['nonce'])}")


def read_pid(body: Mapping[str, Any]) -> int:
    """The ``pid`` of the body (A0001 when missing, A0002 when not an integer)."""
    value = body.get("pid")
    if _is_empty(value):
        raise param_error(A_MISSING, "pid", "is required")
    if isinstance(value, bool):
        raise param_error(A_TYPE, "pid", f"must be the numeric project id, got {_show(value)}")
    if isinstance(value, (int, str)) and _is_int(value):
        return exact_int(value)
    raise param_error(A_TYPE, "pid", f"must be the numeric project id, got {_show(value)}")


def _is_int(value: int | str) -> bool:
    """True for an int or ASCII integer text (no other scripts' digits, no ``_``)."""
    try:
        exact_int(value)
    except UnfitValue:
        return False
    return True


def check_sign(body: Mapping[str, Any], api_key: str, float_params: tuple[str, ...] = ()) -> bool:
    """True when ``body["sign"]`` matches, trying the usual renderings of decimal numbers.

    JSON numbers with a fraction are read as Decimals, so the text that was sent is what is
    checked first (``10.0`` stays ``10.0``). For the values of ``float_params`` and any other
    fractional number, a body sent as ``10.0`` but signed as ``10``, or sent as ``10`` but
    signed as ``10.0``, is accepted too (SPEC section 4.3).
    """
    given = body.get("sign")
    if not isinstance(given, str):
        return False
    given = given.strip().lower()
    if sign(body, api_key) == given:
        return True
    loose = [
        k
        for k, v in body.items()
        if k != "sign" and _is_number(v) and (k in float_params or isinstance(v, Decimal))
    ]
    if not loose or len(loose) > 6:
        return False
    variants: list[dict[str, Any]] = [dict(body)]
    for key in loose:
        value = body[key]
        variants = [{**v, key: s} for v in variants for s in _spellings(value)]
    return any(sign(v, api_key) == given for v in variants)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, Decimal, float)) and not isinstance(value, bool)


def _spellings(value: Any) -> list[str]:
    number = Decimal(str(value)) if not isinstance(value, Decimal) else value
    out = {render_value(value), format(number, "f")}
    if number == number.to_integral_value():
        whole = str(int(number))
        out.update({whole, whole + ".0"})
    else:
        out.add(format(number.normalize(), "f"))
        out.add(repr(float(number)))
    return sorted(out)


def check_amount(value: Any, decimals: int, *, zero: str, precision: str) -> Decimal:
    """An amount for a coin with ``decimals``: E0016 if unreadable, ``zero`` if not > 0,
    ``precision`` if it has too many decimals."""
    try:
        number = parse_amount(value)
    except AmountError:
        raise documented("E0016") from None
    if number <= 0:
        raise documented(zero)
    if decimal_places(number) > decimals:
        raise documented(precision)
    return number
