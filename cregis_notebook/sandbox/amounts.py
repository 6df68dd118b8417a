"""Exact amounts as integers of smallest units, and their decimal text."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from ..errors import AmountError

__all__ = ["decimal_places", "format_units", "parse_amount", "to_units"]


_POW10 = tuple(10**i for i in range(40))


def format_units(units: int, scale: int) -> str:
    """``units * 10**-scale`` as plain decimal text without trailing zeros (``"1.1"``)."""
    if scale <= 0:
        return str(units * 10**-scale)
    if units < 0:
        return "-" + format_units(-units, scale)
    whole, frac = divmod(units, _POW10[scale])
    if not frac:
        return str(whole)
    return f"{whole}.{str(frac).rjust(scale, '0').rstrip('0')}"


def parse_amount(value: object) -> Decimal:
    """A finite Decimal from amount text (or a JSON number); :class:`AmountError` otherwise.

    Exponent forms (``1e5``), blanks, ``NaN`` and infinities are refused.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal, float)):
        raise AmountError(f"not a number: {value!r}")
    text = value if isinstance(value, str) else format(Decimal(str(value)), "f")
    if not text or text != text.strip() or "e" in text.lower():
        raise AmountError(f"not a plain decimal number: {value!r}")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise AmountError(f"not a decimal number: {value!r}") from None
    if not number.is_finite():
        raise AmountError(f"not a finite number: {value!r}")
    return number


def decimal_places(number: Decimal) -> int:
    """How many digits ``number`` has after the point, trailing zeros ignored."""
    exponent = number.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def to_units(number: Decimal, scale: int) -> int:
    """``number`` in units of ``10**-scale`` (it must not have more decimals than ``scale``)."""
    return int(number.scaleb(scale).to_integral_value())
