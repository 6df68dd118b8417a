"""Exact amounts as integers of smallest units, and their decimal text."""

from __future__ import annotations

from decimal import Decimal

from ..._values import exact_decimal
from ...errors import AmountError, UnfitValue

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

    Text must be plain ASCII decimal notation (the package's value contract): ``1_000``,
    other scripts' digits, exponent forms (``1e5``), blanks, ``NaN`` and infinities are refused.
    """
    if isinstance(value, str) and value != value.strip():
        raise AmountError(f"not a plain decimal number: {value!r}")
    try:
        return exact_decimal(value)
    except UnfitValue as exc:
        raise AmountError(str(exc)) from None


def decimal_places(number: Decimal) -> int:
    """How many digits ``number`` has after the point, trailing zeros ignored."""
    exponent = number.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def to_units(number: Decimal, scale: int) -> int:
    """``number`` in units of ``10**-scale`` (it must not have more decimals than ``scale``)."""
    return int(number.scaleb(scale).to_integral_value())
