"""Copy-as-Python and copy-as-curl text for a request: the key or secret is read from the
environment.

Both take the *validated* business parameters (the output of ``prepare_params``: every value
already in the exact form that is sent and signed), never a signed body, so neither can carry
the key, the secret or a stale signature:

* the Python text builds ``Client.from_env()`` (``TeamClient.from_env()`` for a Team call) and
  calls the endpoint's helper;
* the shell text computes a fresh ``nonce``, ``timestamp`` and MD5 ``sign`` from
  ``$CREGIS_API_KEY`` (with ``openssl``) before calling ``curl``; for a Team call, a fresh
  ``Access-Nonce``, ``Access-Timestamp`` and the HMAC-SHA256 ``Access-Signature`` from
  ``$CREGIS_ACCESS_SECRET`` (``openssl dgst -sha256 -hmac``) over the RFC 8785 body it sends.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Mapping
from typing import Any

from .._signing import render_value
from .._team_signing import canonical_team_body
from ..spec import SYSTEM_PARAMS, Endpoint, registry

__all__ = ["curl_text", "python_text", "team_curl_text"]

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


def _when(endpoint: Endpoint, name: str, value: Any) -> str:
    """`` # 2024-01-01 00:00:00 UTC`` for an epoch time parameter, else ``""``."""
    param = endpoint.param(name)
    if param is None or param.unit not in ("s", "ms") or not isinstance(value, int):
        return ""
    seconds = value / 1000 if param.unit == "ms" else value
    try:
        moment = _EPOCH + _dt.timedelta(seconds=seconds)
    except OverflowError:
        return ""
    return f"  # {moment:%Y-%m-%d %H:%M:%S} UTC"


_PYTHON_SETUP = {
    "project": ("Client", "client", "CREGIS_BASE_URL, CREGIS_PID and CREGIS_API_KEY"),
    "team": (
        "TeamClient",
        "team",
        "CREGIS_TEAM_BASE_URL, CREGIS_ACCESS_KEY and CREGIS_ACCESS_SECRET",
    ),
}


def python_text(endpoint: Endpoint, params: Mapping[str, Any]) -> str:
    """Python that sends the same call with ``Client.from_env()`` (``TeamClient.from_env()``
    for a Team call) and the endpoint's helper."""
    cls, var, needs = _PYTHON_SETUP[endpoint.api]
    lines = [
        f"# Needs {needs} in the environment (or .env).",
        f"from cregis_notebook import {cls}",
        "",
        f"{var} = {cls}.from_env()",
    ]
    if endpoint.moves_money:
        lines.append("# This call moves money: run it once, then check the result before retrying.")
    elif endpoint.creates_state:
        lines.append("# This call creates state on the project.")
    if not endpoint.is_read_only:
        lines.append(
            "# A live project takes it only with CREGIS_ALLOW_WRITES=1 (or "
            "Client.from_env(allow_writes=True)); a sandbox always does."
        )
    if params:
        lines.append(f"data = {var}.{endpoint.helper}(")
        for name, value in params.items():
            lines.append(f"    {name}={value!r},{_when(endpoint, name, value)}")
        lines.append(")")
    else:
        lines.append(f"data = {var}.{endpoint.helper}()")
    lines.append("print(data)")
    if endpoint.is_paged:
        filters = {k: v for k, v in params.items() if k not in ("page_num", "page_size")}
        args = "".join(f", {k}={v!r}" for k, v in filters.items())
        lines += [
            "",
            "# every page as one DataFrame:",
            "# from cregis_notebook import fetch_frame",
            f"# frame = fetch_frame({var}, {endpoint.name!r}{args})",
        ]
    return "\n".join(lines) + "\n"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _printf_literal(text: str) -> str:
    """``text`` escaped for use inside a ``printf`` format (backslashes and percent signs)."""
    return text.replace("\\", "\\\\").replace("%", "%%")


def _sq(text: str) -> str:
    """``text`` as one single-quoted shell word."""
    return "'" + text.replace("'", "'\\''") + "'"


_SHELL_VARS = {
    "pid": "$CREGIS_PID",
    "nonce": "$NONCE",
    "timestamp": "$TIMESTAMP",
}


def curl_text(
    endpoint: Endpoint,
    params: Mapping[str, Any],
    *,
    base_url: str = "https://t-xxxx.cregis.io",
    pid: int | None = None,
) -> str:
    """A shell snippet that signs a fresh request with ``$CREGIS_API_KEY`` and POSTs it.

    ``base_url`` and ``pid`` are only defaults for unset ``CREGIS_BASE_URL`` / ``CREGIS_PID``.
    """
    wire = {k: v for k, v in params.items() if k not in SYSTEM_PARAMS}
    keys = sorted([*wire, "pid", "nonce", "timestamp"])
    words = ['"$CREGIS_API_KEY"']
    for key in keys:
        words.append(_sq(key))
        words.append(
            f'"{_SHELL_VARS[key]}"' if key in _SHELL_VARS else _sq(render_value(wire[key]))
        )
    fixed = [_json(k) + ":" + _json(v) for k, v in wire.items()]
    body_format = "{" + ",".join(_printf_literal(part) for part in fixed)
    body_format += ("," if fixed else "") + '"pid":%s,"nonce":"%s","timestamp":%s,"sign":"%s"}'
    default_pid = str(pid) if pid is not None else ""
    lines = [
        f"# {endpoint.name}: POST {endpoint.path}",
        "# Signs a fresh request with the key in $CREGIS_API_KEY (never written here) and sends it",
        "# (needs bash, openssl and curl).",
        ': "${CREGIS_API_KEY:?set CREGIS_API_KEY to the project API key}"',
        f'CREGIS_BASE_URL="${{CREGIS_BASE_URL:-{base_url}}}"',
        f'CREGIS_PID="${{CREGIS_PID:-{default_pid}}}"',
        "NONCE=$(LC_ALL=C tr -dc 'a-z0-9' </dev/urandom | head -c 6)",
        "TIMESTAMP=$(( $(date +%s) * 1000 ))",
        "SIGN=$(printf '%s' " + " ".join(words) + " | openssl dgst -md5 -r | cut -c1-32)",
        "BODY=$(printf " + _sq(body_format) + ' "$CREGIS_PID" "$NONCE" "$TIMESTAMP" "$SIGN")',
        'curl -sS -X POST "${CREGIS_BASE_URL%/}' + endpoint.path + '" '
        "-H 'Content-Type: application/json' --data-binary \"$BODY\"",
    ]
    return "\n".join(lines) + "\n"


def team_curl_text(
    endpoint: Endpoint,
    params: Mapping[str, Any],
    *,
    base_url: str = "https://t-xxxx.cregis.dev",
) -> str:
    """A shell snippet that signs a fresh Team request with ``$CREGIS_ACCESS_SECRET`` and POSTs it.

    The body is the RFC 8785 canonical text of ``params``, written once and both signed and
    sent; the signature is computed at run time by ``openssl dgst -sha256 -hmac``, so the text
    holds neither the secret nor a signature. ``base_url`` is only the default for an unset
    ``CREGIS_TEAM_BASE_URL``.
    """
    auth = registry().team_auth
    body = canonical_team_body(dict(params))
    lines = [
        f"# {endpoint.name}: POST {endpoint.path} (Team API)",
        "# Signs a fresh request with the Access Secret in $CREGIS_ACCESS_SECRET (never written",
        "# here) and sends it (needs bash, openssl and curl).",
        ': "${CREGIS_ACCESS_KEY:?set CREGIS_ACCESS_KEY to the team Access Key}"',
        ': "${CREGIS_ACCESS_SECRET:?set CREGIS_ACCESS_SECRET to the team Access Secret}"',
        f'CREGIS_TEAM_BASE_URL="${{CREGIS_TEAM_BASE_URL:-{base_url}}}"',
        f"BODY={_sq(body)}",
        "NONCE=$(openssl rand -hex 16)",
        "TIMESTAMP=$(( $(date +%s) * 1000 ))",
        "SIGNATURE=$(printf '%s\\n%s\\n%s\\n%s' "
        + _sq(endpoint.path)
        + ' "$TIMESTAMP" "$NONCE" "$BODY" \\',
        '  | openssl dgst -sha256 -hmac "$CREGIS_ACCESS_SECRET" -r | cut -c1-64)',
        'curl -sS -X POST "${CREGIS_TEAM_BASE_URL%/}' + endpoint.path + '" \\',
        "  -H 'Content-Type: application/json; charset=utf-8' -H 'Accept: application/json' \\",
        f'  -H "{auth.key_header}: $CREGIS_ACCESS_KEY" -H "{auth.timestamp_header}: $TIMESTAMP" \\',
        f'  -H "{auth.nonce_header}: $NONCE" -H "{auth.signature_header}: $SIGNATURE" \\',
        '  --data-binary "$BODY"',
    ]
    return "\n".join(lines) + "\n"
