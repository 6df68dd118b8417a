"""Team API signatures (``/openapi/v1``): pure functions, no I/O.

A Team request carries its credentials in four headers (named in
``registry().team_auth.headers``); the signature is the lowercase hex HMAC-SHA256, keyed with
the Access Secret, of::

    path + "\\n" + timestamp + "\\n" + nonce + "\\n" + canonical_body

``canonical_body`` is the RFC 8785 (JSON Canonicalization Scheme) text of the JSON body, made by
the ``rfc8785`` package, never by hand; it is also the exact body that goes on the wire, so the
bytes signed and the bytes sent cannot differ. RFC 8785 writes integers exactly only within
+/-(2**53 - 1): a larger one (a ``wallet_id``, say) is refused here, before anything is signed
or sent, with a :class:`~cregis_notebook.errors.CregisValidationError` naming the parameter.

As in :mod:`cregis_notebook._signing`, everything that can fail is checked before the secret
(kept in a :class:`~cregis_notebook._signing.Secret`) is touched, so no error carries it.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from typing import Any

import rfc8785

from ._signing import Secret
from .errors import CregisValidationError
from .spec import registry

__all__ = [
    "canonical_team_body",
    "sign_team",
    "team_string_to_sign",
    "verify_team_signature",
]

_HEX = frozenset("0123456789abcdef")


def _refuse(message: str, name: str | None = None) -> CregisValidationError:
    return CregisValidationError(message if name is None else f"{name} {message}", param=name)


def _check_integers(value: Any, name: str | None) -> None:
    """Refuse an integer RFC 8785 cannot write exactly, naming where it sits."""
    limit = registry().team_auth.max_safe_integer
    if isinstance(value, Mapping):
        for key, item in value.items():
            _check_integers(item, str(key) if name is None else f"{name}.{key}")
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check_integers(item, f"{name}[{i}]")
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > limit:
        raise _refuse(
            f"is {value}, beyond +/-{limit} (2**53 - 1), the largest integer RFC 8785 "
            "canonical JSON writes exactly; a Team API request cannot carry it, so nothing "
            "was signed or sent",
            name,
        )


def canonical_team_body(body: Mapping[str, Any] | str | bytes) -> str:
    """The RFC 8785 canonical JSON text of a Team request body.

    ``body`` is a mapping of JSON values (``{}`` for a call without parameters), or JSON text
    holding an object, which is canonicalised in turn. Raises :class:`CregisValidationError` for
    anything that is not a JSON object of JSON values or holds an integer beyond 2**53 - 1.
    """
    if isinstance(body, (bytes, bytearray)):
        try:
            body = bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            raise _refuse("the body is not UTF-8 text") from None
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except (ValueError, RecursionError):
            raise _refuse("the body is not JSON text") from None
    if not isinstance(body, Mapping):
        raise _refuse(f"the body must be a JSON object, not {type(body).__name__}")
    _check_integers(body, None)
    try:
        return rfc8785.dumps(dict(body)).decode("utf-8")
    except rfc8785.CanonicalizationError as exc:
        raise _refuse(f"the body cannot be written as RFC 8785 JSON: {exc}") from None


def _canonical_text(body: Mapping[str, Any] | str) -> str:
    """``body`` as canonical text: a mapping is canonicalised; text must already be canonical."""
    if not isinstance(body, str):
        return canonical_team_body(body)
    if canonical_team_body(body) != body:
        raise _refuse(
            "the body text is not RFC 8785 canonical JSON (sorted keys, no spaces); pass the "
            "mapping, or canonical_team_body()'s text, so that the bytes signed are the bytes sent"
        )
    return body


def _header_parts(path: str, timestamp: int | str, nonce: str) -> tuple[str, str, str]:
    auth = registry().team_auth
    if not isinstance(path, str) or not path.startswith("/") or "?" in path:
        raise _refuse(f"the path {path!r} must start with '/' and carry no query string")
    if isinstance(timestamp, bool) or not isinstance(timestamp, (int, str)):
        raise _refuse(f"the timestamp must be an int of milliseconds, not {timestamp!r}")
    stamp = str(timestamp)
    if not (stamp.isascii() and stamp.isdigit()) or int(stamp) <= 0:
        raise _refuse(f"the timestamp {stamp!r} must be positive milliseconds, plain digits")
    low, high = auth.nonce_min_length, auth.nonce_max_length
    if not isinstance(nonce, str) or not low <= len(nonce) <= high or not nonce.isprintable():
        raise _refuse(f"the nonce must be {low} to {high} printable characters")
    return path, stamp, nonce


def team_string_to_sign(
    path: str, timestamp: int | str, nonce: str, body: Mapping[str, Any] | str
) -> str:
    """The exact text that is signed: path, timestamp, nonce and canonical body, LF-separated."""
    path, stamp, nonce = _header_parts(path, timestamp, nonce)
    return "\n".join((path, stamp, nonce, _canonical_text(body)))


def sign_team(
    path: str,
    timestamp: int | str,
    nonce: str,
    body: Mapping[str, Any] | str,
    secret: str | Secret,
) -> str:
    """The lowercase hex HMAC-SHA256 ``Access-Signature`` of a Team API request.

    ``path`` is the operation path (``/openapi/v1/wallets``), ``timestamp`` the milliseconds sent
    in ``Access-Timestamp``, ``nonce`` the ``Access-Nonce`` text, ``body`` a mapping or its RFC
    8785 canonical JSON text (the body sent), ``secret`` the Access Secret. Raises
    :class:`CregisValidationError` for a blank secret or an input that cannot be signed (an
    integer beyond 2**53 - 1, say); the error never carries the secret.
    """
    key = Secret(secret)
    del secret  # from here on the secret is only inside the Secret
    message = team_string_to_sign(path, timestamp, nonce, body)
    if not key or not key.reveal().strip():
        raise _refuse("an Access Secret is needed to sign a Team request")
    return key.hmac_sha256(message.encode("utf-8"))


def verify_team_signature(
    path: str,
    timestamp: int | str,
    nonce: str,
    body: Mapping[str, Any] | str | bytes,
    signature: str,
    secret: str | Secret,
) -> bool:
    """Check an ``Access-Signature`` in constant time, as a server would.

    ``body`` (a mapping, or the raw JSON body as text or bytes) is re-canonicalised first, so a
    body that is JSON but not canonical still verifies; letter case of ``signature`` is
    ignored. Anything that cannot be signed, or a signature that is not 64 hex digits, is
    ``False``.
    """
    key = Secret(secret)
    del secret
    if not isinstance(signature, str) or len(signature) != 64:
        return False
    given = signature.lower()
    if not set(given) <= _HEX:
        return False
    try:
        expected = sign_team(path, timestamp, nonce, canonical_team_body(body), key)
    except CregisValidationError:
        return False
    return hmac.compare_digest(expected.encode("ascii"), given.encode("ascii"))
