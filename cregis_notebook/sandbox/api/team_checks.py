"""The Team API's header checks, in the order the sandbox applies them.

1. **Headers present and well formed**: ``Access-Key``, ``Access-Timestamp``, ``Access-Nonce``
   and ``Access-Signature``, in that order, each non-blank (A0001 naming it); the timestamp
   plain decimal digits, the nonce 16 to 64 characters (A0002).
2. **The key**: not the team's Access Key -> ``O0015``.
3. **The signature**: the lowercase hex HMAC-SHA256, keyed with the team's Access Secret, of
   ``path LF timestamp LF nonce LF body``, where ``body`` is the raw bytes received, not a
   re-canonicalised copy (so the bytes sent must be the bytes signed); hex letter case is
   ignored -> ``B0001`` when it differs.
4. **The timestamp** must lie within the window (``team_window_seconds``, 300 s by default) of
   the sandbox clock, either way -> ``S0401``.
5. **The nonce** must not have been used, by a request that passed checks 1-4, within the
   window -> ``S0402``. A nonce is the exact ``Access-Nonce`` text (letter case counts); it is
   remembered until its own timestamp plus the window, after which that request would be
   stale anyway. A request that fails checks 1-4 does not use up its nonce.

This is the sandbox's own code: it shares nothing with the client's signing, so that one
mistake cannot pass on both sides unseen.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from ...errors import SandboxRefusal
from ...spec import registry
from ..engine.codes import (
    A_MISSING,
    A_TYPE,
    O_KEY,
    S_NONCE,
    S_STALE,
    TEAM_MESSAGES,
    documented,
    param_error,
)
from ..engine.team import Team

__all__ = ["check_team_headers"]


def _refusal(code: str, detail: str = "") -> SandboxRefusal:
    msg = TEAM_MESSAGES[code]
    return SandboxRefusal(code, f"{msg}: {detail}" if detail else msg)


def check_team_headers(
    team: Team,
    path: str,
    headers: Mapping[str, str],
    body: bytes,
    now: float,
    window: float,
) -> None:
    """Apply checks 1-5 to one request; raises the first refusal, records the nonce."""
    auth = registry().team_auth
    lowered = {k.lower(): v for k, v in headers.items()}
    values = []
    for name in auth.headers:
        value = lowered.get(name.lower(), "")
        if not value.strip():
            raise param_error(A_MISSING, f"header {name}", "is required")
        values.append(value)
    key, stamp, nonce, signature = values
    if not (stamp.isascii() and stamp.isdigit()):
        raise param_error(
            A_TYPE, f"header {auth.timestamp_header}", f"must be epoch milliseconds, got {stamp!r}"
        )
    low, high = auth.nonce_min_length, auth.nonce_max_length
    if not low <= len(nonce) <= high:
        raise param_error(
            A_TYPE, f"header {auth.nonce_header}", f"must be {low} to {high} characters"
        )
    if not hmac.compare_digest(key.encode("utf-8"), team.access_key.encode("utf-8")):
        raise _refusal(O_KEY)
    message = f"{path}\n{stamp}\n{nonce}\n".encode() + body
    expected = hmac.new(team.access_secret.encode("utf-8"), message, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode("ascii"), signature.lower().encode("utf-8")):
        raise documented("B0001")
    sent = int(stamp) / 1000
    if abs(now - sent) > window:
        raise _refusal(
            S_STALE,
            f"{auth.timestamp_header} is {now - sent:.0f} s from the server clock; "
            f"at most {window:g} s either way",
        )
    if not team.remember_nonce(nonce, sent + window, now):
        raise _refusal(S_NONCE, f"this {auth.nonce_header} was used within {window:g} s")
