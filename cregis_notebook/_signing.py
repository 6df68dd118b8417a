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

The key is kept apart from everything that can fail. :func:`signed_text` renders and checks the
parameters without the key (a value that cannot be signed raises
:class:`~cregis_notebook.errors.CregisValidationError` naming the parameter), and only then does
a :class:`Secret`, whose ``repr`` is masked, add its key and hash. So no error raised while
signing carries the key, in its message or in the local variables of its traceback.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .errors import CregisValidationError

__all__ = [
    "Secret",
    "canonical_string",
    "render_value",
    "sign",
    "signed_bytes",
    "signed_text",
    "verify_signature",
    "wire_value",
]


class Secret:
    """Holds an API key; its ``repr`` and ``str`` never show it, and it is never pickled.

    Building one never raises, whatever it is given; :meth:`digest` is the only place the key
    meets the signed text.
    """

    __slots__ = ("_bytes",)

    def __init__(self, value: str | bytes | Secret) -> None:
        if isinstance(value, Secret):
            self._bytes: bytes = value._bytes
        elif isinstance(value, str):
            self._bytes = value.encode("utf-8", "surrogatepass")
        elif isinstance(value, bytes):
            self._bytes = bytes(value)
        else:
            self._bytes = b""

    def __bool__(self) -> bool:
        return bool(self._bytes)

    def reveal(self) -> str:
        """The key itself (for a test that proves it is nowhere, or for copying it once)."""
        return self._bytes.decode("utf-8", "surrogatepass")

    def digest(self, payload: bytes) -> str:
        """Lowercase hex MD5 of the key's UTF-8 bytes followed by ``payload``."""
        return hashlib.md5(self._bytes + payload).hexdigest()

    def hmac_sha256(self, message: bytes) -> str:
        """Lowercase hex HMAC-SHA256 of ``message`` keyed with the secret's UTF-8 bytes."""
        return hmac.new(self._bytes, message, hashlib.sha256).hexdigest()

    def is_key(self, text: object) -> bool:
        """True when ``text`` is this key (spaces around it ignored), in constant time."""
        if not isinstance(text, str) or not self._bytes:
            return False
        return hmac.compare_digest(self._bytes, text.strip().encode("utf-8", "surrogatepass"))

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("the API key is not pickled")


def _refuse(what: str, name: str | None) -> CregisValidationError:
    where = f"parameter {name!r}: " if name is not None else ""
    return CregisValidationError(f"{where}{what}", param=name)


def render_value(value: Any, name: str | None = None) -> str:
    """Render one parameter value as the text that goes into the signed string.

    A value that cannot be signed raises :class:`CregisValidationError` (``name``, when given,
    says which parameter).
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        try:
            return str(value)
        except ValueError:  # more digits than Python writes (sys.get_int_max_str_digits)
            problem = f"cannot sign an integer of {value.bit_length()} bits: too many digits"
        raise _refuse(problem, name)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise _refuse(f"cannot sign the non-finite Decimal {value}", name)
        return format(value, "f")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _refuse(f"cannot sign the non-finite float {value}", name)
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (Mapping, list, tuple)):
        return _compact_json(value, name)
    raise _refuse(
        f"cannot sign a value of type {type(value).__name__} (pass text, a number, a bool, "
        "a Decimal, or a dict or list of those)",
        name,
    )


def _compact_json(value: Mapping[str, Any] | list[Any] | tuple[Any, ...], name: str | None) -> str:
    problem = None
    try:
        return json.dumps(
            _plain(value, name),
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
            allow_nan=False,
        )
    except (TypeError, ValueError, RecursionError) as exc:
        if isinstance(exc, CregisValidationError):
            raise
        problem = type(exc).__name__
    # raised outside the except block, so the error carries no context
    raise _refuse(f"cannot be written as JSON ({problem})", name)


def wire_value(value: Any, name: str | None = None) -> Any:
    """Return the JSON value to send for ``value`` so that it renders like :func:`render_value`.

    Decimals become strings, integral floats become ints, inside lists and dicts too;
    everything else is sent as it is.
    """
    if isinstance(value, Decimal):
        return render_value(value, name)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _refuse(f"cannot send the non-finite float {value}", name)
        return int(value) if value.is_integer() else value
    if isinstance(value, (Mapping, list, tuple)):
        try:
            return _plain(value, name)
        except RecursionError:
            pass
        raise _refuse("is nested too deeply (or holds itself) to be sent as JSON", name)
    return value


def _plain(value: Any, name: str | None) -> Any:
    """Convert nested containers to JSON-ready values with the rendering rules above."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v, name) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, name) for v in value]
    if isinstance(value, Decimal):
        return render_value(value, name)
    if isinstance(value, float):
        return wire_value(value, name)
    return value


def _skipped(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value == "")


def signed_text(params: Mapping[str, Any]) -> str:
    """The signed string without the key: the sorted ``key + value`` pairs, ``sign`` and empty
    values left out."""
    pairs = sorted(
        (str(k), render_value(v, str(k)))
        for k, v in params.items()
        if k != "sign" and not _skipped(v)
    )
    return "".join(k + v for k, v in pairs)


def signed_bytes(params: Mapping[str, Any]) -> bytes:
    """:func:`signed_text` as UTF-8 bytes; text that is not valid Unicode (a lone surrogate
    such as ``"\\ud800"``) raises :class:`CregisValidationError` naming the parameter."""
    text = signed_text(params)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        pass
    # outside the except block: find the parameter, and raise without the encoder's error
    for key, value in params.items():
        for part in (str(key), render_value(value, str(key)) if not _skipped(value) else ""):
            bad = next((c for c in part if 0xD800 <= ord(c) <= 0xDFFF), None)
            if bad is not None:
                raise _refuse(
                    f"holds the lone surrogate \\u{ord(bad):04x}, which is not valid Unicode "
                    "and cannot be sent as UTF-8",
                    str(key),
                )
    raise _refuse("the parameters hold text that is not UTF-8", None)  # pragma: no cover


def canonical_string(params: Mapping[str, Any], api_key: str) -> str:
    """The exact text that is hashed: the API key followed by the sorted key/value pairs."""
    return api_key + signed_text(params)


def sign(params: Mapping[str, Any], api_key: str | Secret) -> str:
    """Compute the lowercase hex MD5 ``sign`` of ``params`` with the project ``api_key``.

    Raises :class:`CregisValidationError` (a ``ValueError``) for an empty key or a value that
    cannot be signed; the error never carries the key.
    """
    secret = Secret(api_key)
    del api_key  # from here on the key is only inside the Secret
    if not secret:
        raise CregisValidationError("an API key is needed to sign a request")
    if not isinstance(params, Mapping):
        raise CregisValidationError(
            f"sign takes the parameters as a mapping (a dict), got {type(params).__name__}"
        )
    return secret.digest(signed_bytes(params))


def verify_signature(payload: Mapping[str, Any] | str | bytes, api_key: str | Secret) -> bool:
    """Check the ``sign`` of a request or callback payload in constant time.

    ``payload`` may be a mapping, or the raw JSON body as ``str`` or ``bytes``. A payload that is
    not a JSON object, has no ``sign``, or holds a value that cannot be signed (text that is not
    valid Unicode, say) is ``False``. Letter case of ``sign`` is ignored.
    """
    secret = Secret(api_key)
    del api_key
    if isinstance(payload, (bytes, bytearray)):
        try:
            payload = payload.decode("utf-8")
        except UnicodeDecodeError:
            return False
    if isinstance(payload, str):
        try:
            payload = json.loads(payload)
        except (ValueError, RecursionError):
            return False
    if not isinstance(payload, Mapping):
        return False
    given = payload.get("sign")
    if not isinstance(given, str) or not given or not given.isascii():
        return False
    try:
        expected = sign(payload, secret)
    except CregisValidationError:
        return False
    return hmac.compare_digest(expected.encode("ascii"), given.lower().encode("ascii"))
