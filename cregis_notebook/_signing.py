"""Request and callback signatures (SPEC section 4): pure functions, no I/O.

The signature is the lowercase hex MD5 of the UTF-8 bytes of::

    api_key + key1 + value1 + key2 + value2 + ...

over every parameter except ``sign`` whose value is neither ``None`` nor ``""``, keys sorted
by plain code point order (which is also the dictionary order the docs describe: a key that is
a prefix of another sorts first).

How values become text is not documented by the vendor. This module decides it once, and the
client sends exactly the same text in the JSON body (see :func:`wire_value`), so the body and
the signed string can never disagree:

* ``str`` -- verbatim, including JSON text parameters such as ``order_details``;
* ``bool`` -- ``true`` / ``false`` (as the official Java SDK renders them);
* ``int`` -- plain decimal digits;
* ``Decimal`` -- fixed-point text without exponent (``Decimal("1E-7")`` -> ``0.0000001``);
* ``float`` -- an integral float is rendered as an integer (``10.0`` -> ``10``), any other as
  Python's shortest round-trip text (``0.5``); NaN and infinities are refused;
* ``dict`` / ``list`` -- canonical compact JSON (sorted keys, no spaces, UTF-8 kept), the
  rendering third-party SDKs use for a callback's nested ``data``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

__all__ = ["canonical_string", "render_value", "sign", "verify_signature", "wire_value"]


def render_value(value: Any) -> str:
    """Render one parameter value as the text that goes into the signed string."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot sign a non-finite Decimal: {value!r}")
        text = format(value, "f")
        return text
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot sign a non-finite float: {value!r}")
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (Mapping, list, tuple)):
        return json.dumps(_plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    raise TypeError(f"cannot sign a value of type {type(value).__name__}: {value!r}")


def wire_value(value: Any) -> Any:
    """Return the JSON value to send for ``value`` so that it renders like :func:`render_value`.

    Decimals become strings, integral floats become ints; everything else is sent as it is.
    """
    if isinstance(value, Decimal):
        return render_value(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot send a non-finite float: {value!r}")
        return int(value) if value.is_integer() else value
    return value


def _plain(value: Any) -> Any:
    """Convert nested containers to JSON-ready values with the rendering rules above."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return render_value(value)
    if isinstance(value, float):
        return wire_value(value)
    return value


def _skipped(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value == "")


def canonical_string(params: Mapping[str, Any], api_key: str) -> str:
    """The exact text that is hashed: the API key followed by the sorted key/value pairs."""
    pairs = sorted(
        (str(k), render_value(v)) for k, v in params.items() if k != "sign" and not _skipped(v)
    )
    return api_key + "".join(k + v for k, v in pairs)


def sign(params: Mapping[str, Any], api_key: str) -> str:
    """Compute the lowercase hex MD5 ``sign`` of ``params`` with the project ``api_key``."""
    if not api_key:
        raise ValueError("an API key is needed to sign a request")
    text = canonical_string(params, api_key)
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def verify_signature(payload: Mapping[str, Any] | str | bytes, api_key: str) -> bool:
    """Check the ``sign`` of a request or callback payload in constant time.

    ``payload`` may be a mapping, or the raw JSON body as ``str`` or ``bytes``. A payload that is
    not a JSON object, or has no ``sign``, is ``False``. Letter case of ``sign`` is ignored.
    """
    if isinstance(payload, (bytes, bytearray)):
        try:
            payload = payload.decode("utf-8")
        except UnicodeDecodeError:
            return False
    if isinstance(payload, str):
        try:
            payload = json.loads(payload)
        except ValueError:
            return False
    if not isinstance(payload, Mapping):
        return False
    given = payload.get("sign")
    if not isinstance(given, str) or not given:
        return False
    try:
        expected = sign(payload, api_key)
    except (TypeError, ValueError):
        return False
    return hmac.compare_digest(expected.encode("ascii"), given.lower().encode("utf-8"))
