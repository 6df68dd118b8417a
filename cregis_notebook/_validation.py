"""Check and normalise request parameters against the endpoint registry, before anything is sent.

The output of :func:`prepare_params` is the business part of the JSON body, with every value in
the exact form that is both sent and signed (see :mod:`cregis_notebook._signing`). Conversions it
makes, so that notebook users can pass natural Python values:

* ``datetime`` / ``date`` / ``pandas.Timestamp`` for time parameters, converted to the documented
  unit (naive datetimes are taken as UTC);
* enum labels for enum values (``status="success"`` -> ``1``);
* ``Decimal`` or ``int`` amounts -> decimal text; floats are refused for amounts (not exact), and
  amount text must be plain ASCII decimal notation (no ``_``, exponent or other scripts' digits);
* ``bool`` -> ``"true"``/``"false"`` for the string booleans of the payment engine;
* ``dict`` / ``list`` -> compact JSON text for JSON-string parameters, a ``Decimal`` inside
  written as a JSON number with every digit (the documented examples write prices as numbers);
* ASCII digit strings for integer parameters, integers for string parameters.

Every rule about a single value (integers, amounts, epoch units, booleans) is the value contract
of :mod:`cregis_notebook._values`. Anything refused raises :class:`CregisValidationError`, and
text that cannot be sent as UTF-8 (a lone surrogate) is refused too.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import math
import operator
import reprlib
import warnings
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ._values import (
    PLAIN_DECIMAL,
    PLAIN_INT,
    dumps_exact,
    epoch_unit,
    exact_bool,
    exact_decimal,
    exact_int,
    loads_exact,
    to_epoch,
)
from .errors import CregisUnknownParamWarning, CregisValidationError, UnfitValue
from .spec import SYSTEM_PARAMS, Endpoint, Param

__all__ = ["CregisUnknownParamWarning", "prepare_params"]


_SHOWN = reprlib.Repr()
_SHOWN.maxstring = _SHOWN.maxother = 80


def _shown(value: Any) -> str:
    """A short picture of ``value`` for an error message; never fails (a huge or deeply nested
    value is cut, an integer too long to write is named by its size)."""
    try:
        return _SHOWN.repr(value)
    except (ValueError, RecursionError):
        if isinstance(value, int):
            return f"<an integer of {value.bit_length()} bits>"
        return f"<a {type(value).__name__}>"


def _fail(endpoint: Endpoint, param: Param | str, problem: str) -> CregisValidationError:
    name = param if isinstance(param, str) else param.name
    return CregisValidationError(
        f"{endpoint.name}: parameter {name!r} {problem}", endpoint=endpoint.name, param=name
    )


def _describe(param: Param) -> str:
    text = param.type
    if param.enum:
        text = "one of " + ", ".join(f"{e.value!r} ({e.label})" for e in param.enum)
    return text


def _as_int(endpoint: Endpoint, param: Param, value: Any) -> int:
    if param.unit in ("s", "ms") and (
        isinstance(value, (_dt.date, _dt.datetime)) or hasattr(value, "to_pydatetime")
    ):
        try:
            return to_epoch(value, param.unit)
        except UnfitValue as exc:
            raise _fail(endpoint, param, f"is not a time that can be sent: {exc}") from None
    if isinstance(value, bool):
        raise _fail(endpoint, param, f"must be an integer, not the bool {_shown(value)}")
    if hasattr(value, "__index__") and not isinstance(value, int):
        value = operator.index(value)  # numpy integers
    try:
        number = exact_int(value)
    except UnfitValue:
        raise _fail(
            endpoint, param, f"must be an integer, got {type(value).__name__} {_shown(value)}"
        ) from None
    if param.bits == 32 and not -(2**31) <= number < 2**31:
        raise _fail(endpoint, param, f"must fit in 32 bits, got {_shown(number)}")
    if param.bits == 64 and not -(2**63) <= number < 2**63:
        raise _fail(endpoint, param, f"must fit in 64 bits, got {_shown(number)}")
    return number


def _check_time_unit(endpoint: Endpoint, param: Param, value: int) -> None:
    if param.unit == "s" and epoch_unit(value) == "ms":
        raise _fail(
            endpoint,
            param,
            f"takes 10-digit epoch seconds, but {value} looks like milliseconds; "
            f"use {value // 1000} or pass a datetime",
        )
    if param.unit == "ms" and value != 0 and epoch_unit(value) == "s":
        raise _fail(
            endpoint,
            param,
            f"takes 13-digit epoch milliseconds, but {value} looks like seconds; "
            f"use {value * 1000} or pass a datetime",
        )


def _as_decimal_text(endpoint: Endpoint, param: Param, value: Any) -> str:
    if isinstance(value, float):
        raise _fail(
            endpoint,
            param,
            f"is an amount and must be exact: pass {str(value)!r} or Decimal({str(value)!r}), "
            "not a float",
        )
    if isinstance(value, bool):
        raise _fail(endpoint, param, f"must be a decimal amount, not the bool {_shown(value)}")
    if isinstance(value, str) and value.strip() != value:
        raise _fail(endpoint, param, f"has surrounding spaces: {_shown(value)}")
    if not isinstance(value, (str, int, Decimal)):
        raise _fail(endpoint, param, f"must be a decimal amount, got {type(value).__name__}")
    try:
        number = exact_decimal(value)
    except UnfitValue:
        raise _fail(
            endpoint,
            param,
            "must be a finite decimal number in plain ASCII digits such as '1.5' "
            f"(no exponent, '_' or other scripts' digits), got {_shown(value)}",
        ) from None
    return value if isinstance(value, str) else format(number, "f")


def _as_float(endpoint: Endpoint, param: Param, value: Any) -> int | float:
    if isinstance(value, bool):
        raise _fail(endpoint, param, f"must be a number, not the bool {_shown(value)}")
    if isinstance(value, int):
        try:
            float(value)
        except OverflowError:
            raise _fail(endpoint, param, f"is too large for a number: {_shown(value)}") from None
        return value  # exact as it is; the limits below bound it
    if isinstance(value, str) and not PLAIN_DECIMAL.fullmatch(value.strip()):
        raise _fail(endpoint, param, f"must be a number in plain ASCII digits, got {_shown(value)}")
    try:
        number = float(Decimal(value.strip()) if isinstance(value, str) else value)
    except (TypeError, ValueError, ArithmeticError):
        raise _fail(endpoint, param, f"must be a number, got {_shown(value)}") from None
    if not math.isfinite(number):
        raise _fail(endpoint, param, f"must be a finite number, got {_shown(value)}")
    return int(number) if number.is_integer() else number


def _as_json_text(endpoint: Endpoint, param: Param, value: Any, kind: type) -> str:
    want = "a JSON object" if kind is dict else "a JSON array"
    if isinstance(value, str):
        try:
            parsed = loads_exact(value)
        except ValueError as exc:
            raise _fail(endpoint, param, f"must be {want} as text; it is not JSON: {exc}") from None
        if not isinstance(parsed, kind):
            raise _fail(endpoint, param, f"must be {want}, got {type(parsed).__name__}")
        return value
    if kind is dict and isinstance(value, Mapping):
        value = dict(value)
    if kind is list and isinstance(value, tuple):
        value = list(value)
    if not isinstance(value, kind):
        raise _fail(endpoint, param, f"must be {want} (a {kind.__name__} or JSON text)")
    try:
        return dumps_exact(value)
    except UnfitValue as exc:
        raise _fail(endpoint, param, f"cannot be written as JSON: {exc}") from None


def _convert(endpoint: Endpoint, param: Param, value: Any) -> Any:
    if param.enum and isinstance(value, str) and param.type in ("int", "string", "bool_string"):
        for choice in param.enum:
            if value == choice.label and value not in param.enum_values:
                value = choice.value
                break
    kind = param.type
    if kind == "int":
        number = _as_int(endpoint, param, value)
        _check_time_unit(endpoint, param, number)
        return number
    if kind == "string":
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise _fail(
                endpoint, param, f"must be text, got {type(value).__name__} {_shown(value)}"
            )
        return str(value)
    if kind == "decimal":
        return _as_decimal_text(endpoint, param, value)
    if kind == "float":
        return _as_float(endpoint, param, value)
    if kind == "bool_string":
        try:
            return "true" if exact_bool(value) else "false"
        except UnfitValue:
            raise _fail(
                endpoint, param, f"must be True/False or 'true'/'false', got {_shown(value)}"
            ) from None
    if kind == "json_object":
        return _as_json_text(endpoint, param, value, dict)
    if kind == "json_array":
        return _as_json_text(endpoint, param, value, list)
    if kind == "int_string":
        if isinstance(value, bool):
            raise _fail(endpoint, param, f"must be a whole number, not the bool {_shown(value)}")
        if isinstance(value, int):
            return value
        if isinstance(value, str) and PLAIN_INT.fullmatch(value) and not value.startswith("-"):
            return value
        raise _fail(endpoint, param, f"must be a whole number (int or digits), got {_shown(value)}")
    raise _fail(endpoint, param, f"has an unknown registry type {kind!r}")


def _check_limits(endpoint: Endpoint, param: Param, value: Any) -> None:
    if param.enum and value not in param.enum_values:
        raise _fail(endpoint, param, f"must be {_describe(param)}; got {_shown(value)}")
    if isinstance(value, str) and param.type in ("string", "decimal"):
        if param.max_length is not None and len(value) > param.max_length:
            raise _fail(
                endpoint,
                param,
                f"is {len(value)} characters long; at most {param.max_length} are allowed",
            )
        if param.min_length is not None and len(value) < param.min_length:
            raise _fail(endpoint, param, f"needs at least {param.min_length} characters")
    number: Any = value
    if param.type == "int_string":
        number = int(value)
    if isinstance(number, (int, float)) and not isinstance(number, bool):
        if param.maximum is not None and number > param.maximum:
            raise _fail(endpoint, param, f"must be at most {param.maximum}, got {_shown(number)}")
        if param.minimum is not None and number < param.minimum:
            raise _fail(endpoint, param, f"must be at least {param.minimum}, got {_shown(number)}")


def _check_text(endpoint: Endpoint, param: Param, value: Any) -> None:
    """Text is sent as UTF-8: a lone surrogate (``"\\ud800"``) cannot be, so it is refused here."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            bad = value[exc.start : exc.end]
            raise _fail(
                endpoint,
                param,
                f"holds {bad!r} at position {exc.start}, which cannot be sent as UTF-8 text",
            ) from None


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value == "")


def _checked(endpoint: Endpoint, param: Param, value: Any) -> Any:
    """``value`` converted and checked; any failure is a :class:`CregisValidationError`."""
    try:
        converted = _convert(endpoint, param, value)
        _check_text(endpoint, param, converted)
        _check_limits(endpoint, param, converted)
        return converted
    except CregisValidationError:
        raise
    except (ArithmeticError, TypeError, ValueError, RecursionError) as exc:
        problem = f"cannot be read as {param.type} ({type(exc).__name__}: {_shown(value)})"
    raise _fail(endpoint, param, problem)  # outside the except block: no context to carry


def prepare_params(
    endpoint: Endpoint, params: Mapping[str, Any], *, strict: bool = False
) -> dict[str, Any]:
    """Validate ``params`` for ``endpoint`` and return the business body to send and sign.

    Raises :class:`CregisValidationError` naming the parameter and what is allowed. Unknown
    parameters give a :class:`CregisUnknownParamWarning` naming the closest documented one, or
    an error when ``strict`` is true. ``None`` values are dropped (an unset optional parameter).
    """
    body: dict[str, Any] = {}
    known = endpoint.param_names
    for name, value in params.items():
        if name in SYSTEM_PARAMS:
            raise _fail(
                endpoint,
                name,
                "is added by the client (pid, nonce, timestamp and sign); leave it out",
            )
        param = endpoint.param(name)
        if param is None:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            allowed = ", ".join(known) or "none"
            text = f"is not documented for {endpoint.name} (documented: {allowed}){hint}."
            if strict:
                raise _fail(endpoint, name, text)
            warnings.warn(
                f"{endpoint.name}: parameter {name!r} {text} It is sent anyway.",
                CregisUnknownParamWarning,
                stacklevel=4,
            )
            if not _is_empty(value):
                body[name] = value
            continue
        if _is_empty(value):
            continue
        body[name] = _checked(endpoint, param, value)
    missing = [p.name for p in endpoint.params if p.required and p.name not in body]
    if missing:
        names = ", ".join(repr(m) for m in missing)
        raise CregisValidationError(
            f"{endpoint.name}: required parameter{'s' if len(missing) > 1 else ''} {names} missing",
            endpoint=endpoint.name,
            param=missing[0],
        )
    return body
