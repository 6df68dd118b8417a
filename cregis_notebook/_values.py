"""The value contract: how one scalar from the API becomes a Python value, in one place.

Validation (outgoing parameters), the dtype contract (frames), callbacks and reports all call
these converters, so a rule such as "an epoch value of 10**11 or more is in milliseconds" is
written once. Everything here is pure: no I/O, no pandas.

Each converter raises :class:`~cregis_notebook.errors.UnfitValue` (a ``ValueError``) when the value
does not fit, with a message that says what was wrong.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import operator
import re
from collections.abc import Callable, Iterator, Mapping
from decimal import (
    MAX_EMAX,
    MAX_PREC,
    MIN_EMIN,
    Context,
    Decimal,
    Inexact,
    InvalidOperation,
    Overflow,
    localcontext,
)
from typing import Any, Literal, ParamSpec, TypeVar

from .errors import UnfitValue

__all__ = [
    "EPOCH",
    "EPOCH_MS_MAX",
    "EPOCH_MS_MIN",
    "EPOCH_MS_THRESHOLD",
    "EXACT",
    "NUMBER_TEXT",
    "PLAIN_DECIMAL",
    "PLAIN_INT",
    "dumps_exact",
    "epoch_unit",
    "exact_bool",
    "exact_count",
    "exact_decimal",
    "exact_int",
    "exact_sums",
    "loads_exact",
    "to_epoch",
    "utc_from_epoch",
    "utc_time",
]

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)

EPOCH_MS_THRESHOLD = 100_000_000_000
"""An epoch value whose magnitude is this (1e11) or more is in milliseconds, below it in seconds.

1e11 seconds is the year 5138, and 1e11 milliseconds is March 1973: no real time of the API is
ambiguous under this rule.
"""

EPOCH_MS_MIN = -62_135_596_800_000
"""Epoch milliseconds of 0001-01-01T00:00:00Z, the earliest time a ``datetime`` holds."""

EPOCH_MS_MAX = 253_402_300_799_999
"""Epoch milliseconds of 9999-12-31T23:59:59.999Z, the latest time a ``datetime`` holds."""

PLAIN_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?", re.ASCII)
"""Amount text as the API writes it: ASCII digits, one optional sign and decimal point."""

NUMBER_TEXT = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?", re.ASCII)
"""Numeric text as received: what :class:`~decimal.Decimal` reads as a finite number, in ASCII
digits and without ``_`` (``1e-8``, ``+1``, ``.5`` are read exactly; ``"١٢٣"`` is not a number)."""

PLAIN_INT = re.compile(r"-?[0-9]+", re.ASCII)
"""Integer text as the API writes it: ASCII digits and one optional minus sign."""

EXACT = Context(
    prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[Inexact, InvalidOperation, Overflow]
)
"""Where amounts are added and subtracted: every digit kept, so nothing is rounded (``Inexact``
would say so).

Python's default context keeps 28 significant digits: ``Decimal(0) + amount`` rounds an amount
such as ``12345678901234567890.123456789``, and a sum of 18-decimal amounts past ``10**10``.
"""

_T = TypeVar("_T")
_P = ParamSpec("_P")


def exact_sums(function: Callable[_P, _T]) -> Callable[_P, _T]:
    """Run ``function`` in the :data:`EXACT` context (for additions and subtractions only: a
    division that does not come out exact raises ``Inexact``)."""

    @functools.wraps(function)
    def exact(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        with localcontext(EXACT):
            return function(*args, **kwargs)

    return exact


_MAX_DIGITS = 4300
"""Integers of more digits are refused (Python's own limit for integer text)."""


def epoch_unit(number: int | float | Decimal) -> Literal["s", "ms"]:
    """``"ms"`` for an epoch value in milliseconds, ``"s"`` for one in seconds (the 1e11 rule)."""
    return "ms" if abs(int(number)) >= EPOCH_MS_THRESHOLD else "s"


def exact_int(value: Any) -> int:
    """An integer from an int, an integral float or decimal, or integer text; never rounded."""
    if isinstance(value, bool):
        raise UnfitValue("a boolean is not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise UnfitValue(f"{value!r} is not a whole number")
    if isinstance(value, Decimal):
        if value.is_finite() and value.adjusted() >= _MAX_DIGITS:
            raise UnfitValue(f"{value!r} has more than {_MAX_DIGITS} digits")
        if value.is_finite() and value == value.to_integral_value():
            return int(value)
        raise UnfitValue(f"{value!r} is not a whole number")
    if isinstance(value, str):
        text = value.strip()
        if PLAIN_INT.fullmatch(text) and len(text) <= _MAX_DIGITS:
            return int(text)
    raise UnfitValue(f"{value!r} is not an integer")


def exact_count(value: Any) -> int | None:
    """A count (a whole number >= 0, as :func:`exact_int` reads it), or ``None`` when ``value``
    is missing, null, negative or not a whole number: an answer's ``total``, say."""
    try:
        count = exact_int(value)
    except UnfitValue:
        return None
    return count if count >= 0 else None


def exact_decimal(value: Any, *, exponent: bool = False) -> Decimal:
    """An exact, finite :class:`~decimal.Decimal` from a decimal, an int or plain decimal text.

    A float is read from its shortest repr (``0.1`` gives ``Decimal("0.1")``); text must be plain
    ASCII decimal notation (no ``_``, no exponent, no other scripts' digits). ``exponent=True``
    also reads received text with an exponent (``"1e-8"``, see ``NUMBER_TEXT``); amounts that
    are sent never have one.
    """
    if isinstance(value, bool):
        raise UnfitValue("a boolean is not an amount")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip()
        if not (NUMBER_TEXT if exponent else PLAIN_DECIMAL).fullmatch(text):
            raise UnfitValue(f"{value!r} is not a plain decimal amount")
        try:
            number = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid text
            raise UnfitValue(f"{value!r} is not a decimal amount") from None
    else:
        raise UnfitValue(f"{value!r} is not a decimal amount")
    if not number.is_finite():
        raise UnfitValue(f"{value!r} is not a finite amount")
    return number


def exact_bool(value: Any) -> bool:
    """A boolean from ``True``/``False`` or the text ``"true"``/``"false"`` (any case)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise UnfitValue(f"{value!r} is not a boolean")


def utc_from_epoch(value: Any) -> dt.datetime:
    """A tz-aware UTC datetime from epoch seconds or milliseconds (the 1e11 rule decides)."""
    number = exact_int(value)
    try:
        if epoch_unit(number) == "ms":
            return EPOCH + dt.timedelta(milliseconds=number)
        return EPOCH + dt.timedelta(seconds=number)
    except OverflowError:
        raise UnfitValue(f"{value!r} is not an epoch time this side of the year 9999") from None


def utc_time(value: Any) -> dt.datetime:
    """A tz-aware UTC datetime from a datetime (naive means UTC), a date or an epoch number."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.timezone.utc)
    return utc_from_epoch(value)


def to_epoch(value: Any, unit: Literal["s", "ms"] | str) -> int:
    """Epoch seconds (``unit="s"``) or milliseconds (``"ms"``) from a datetime or date."""
    moment = utc_time(value) if isinstance(value, (dt.datetime, dt.date)) else None
    if moment is None:
        # pandas Timestamps are datetimes; anything else with to_pydatetime() is read through it
        to_py = getattr(value, "to_pydatetime", None)
        if to_py is None:
            raise UnfitValue(f"{value!r} is not a datetime or date")
        moment = utc_time(to_py())
    if moment != moment:  # pandas NaT: not a time
        raise UnfitValue(f"{value!r} is not a time")
    delta = moment - EPOCH
    millis = (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000
    return millis if unit == "ms" else millis // 1000


_TOO_DEEP = "JSON nested too deeply (or a value that holds itself)"


def dumps_exact(value: Any, *, keep_types: bool = False) -> str:
    """Compact JSON text (UTF-8 kept) whose numbers keep every digit.

    A :class:`~decimal.Decimal` is written as a JSON number in plain notation
    (``Decimal("12345678901234567.89")`` -> ``12345678901234567.89``), never through float, and
    an integral float as an integer. NaN and infinities are refused with ``UnfitValue``.

    ``keep_types=True`` writes numbers so that their type survives a reading: a float as its
    ``repr`` (``json.loads`` gives the same float), a Decimal always with a fraction or an
    exponent (``Decimal("5")`` -> ``5E0``), so that ``loads_exact`` gives an equal Decimal with
    the same exponent.
    """
    try:
        if keep_types:
            try:  # the C encoder writes floats as their repr too; it refuses Decimals and NaN
                return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
            except (TypeError, ValueError):
                pass  # a Decimal (or a value to refuse) somewhere: the exact writer decides
        return "".join(_json_parts(value, keep_types))
    except RecursionError:
        raise UnfitValue(_TOO_DEEP) from None


def _number_text(value: float | Decimal, keep_types: bool) -> str:
    if isinstance(value, float):
        if not keep_types and value.is_integer():
            return str(int(value))
        if keep_types and math.isfinite(value):
            return repr(value)
    number = exact_decimal(value)  # refuses NaN and infinities
    exponent = number.as_tuple().exponent
    if keep_types and isinstance(exponent, int) and exponent >= 0:
        return str(number) if exponent else f"{number}E0"
    return format(number, "f")


def _json_parts(value: Any, keep_types: bool) -> Iterator[str]:
    if value is None or isinstance(value, (bool, str)):
        yield json.dumps(value, ensure_ascii=False)
    elif isinstance(value, int) or (hasattr(value, "__index__") and not isinstance(value, float)):
        try:
            yield str(operator.index(value))  # numpy integers too
        except ValueError:  # more digits than Python writes (sys.get_int_max_str_digits)
            raise UnfitValue("an integer with too many digits to write as JSON text") from None
    elif isinstance(value, (float, Decimal)):
        yield _number_text(value, keep_types)
    elif isinstance(value, Mapping):
        yield "{"
        for i, (key, item) in enumerate(value.items()):
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                raise UnfitValue(f"a JSON object key must be text, got {key!r}")
            yield ("," if i else "") + json.dumps(str(key), ensure_ascii=False) + ":"
            yield from _json_parts(item, keep_types)
        yield "}"
    elif isinstance(value, (list, tuple)):
        yield "["
        for i, item in enumerate(value):
            if i:
                yield ","
            yield from _json_parts(item, keep_types)
        yield "]"
    else:
        raise UnfitValue(f"a {type(value).__name__} cannot be written as JSON")


def loads_exact(text: str | bytes) -> Any:
    """JSON text to Python values, with every JSON number that has a fraction as a Decimal.

    ``json.loads`` reads ``0.123456789012345678901234567890`` through a float and keeps 17
    digits; this keeps them all. Integers stay ``int``. Text that is not JSON, or nested too
    deeply to read, raises a ``ValueError`` (``UnfitValue`` for the nesting).
    """
    try:
        return json.loads(text, parse_float=Decimal)
    except RecursionError:
        raise UnfitValue(_TOO_DEEP) from None
