"""Plain functions behind the widgets: confirmation rule, history rows, HTML for answers and
tables, the CSV download link. No widget is created here, so all of it is unit-tested directly.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import os
import tempfile
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from ..envelope import Envelope
from ..errors import ConfirmationRequired, CregisError
from ..spec import Endpoint

__all__ = [
    "HISTORY_COLUMNS",
    "ConfirmationRequired",
    "badge_html",
    "csv_link_html",
    "endpoint_label",
    "envelope_html",
    "frame_html",
    "history_row",
    "needs_confirmation",
    "project_coins",
    "team_coins",
    "team_headers_html",
]

HISTORY_COLUMNS = ("endpoint", "code", "msg", "elapsed_ms", "rows", "sent_at")
TABLE_ROWS = 200
CSV_LINK_LIMIT = 25_000_000  # bytes; bigger tables are saved with to_csv() instead

_EFFECT_TEXT = {
    "read": ("read-only", "#57606a"),
    "creates_state": ("creates state", "#9a6700"),
    "moves_money": ("moves money", "#cf222e"),
}


def needs_confirmation(endpoint: Endpoint, client: Any) -> bool:
    """True when the client would refuse ``endpoint`` unless the call is confirmed.

    The rule is the client's live-write guard (:meth:`~cregis_notebook.Client.writes_allowed`):
    a read, a sandbox, or a client made with ``allow_writes=True`` needs no confirmation.
    """
    return not client.writes_allowed(endpoint)


def confirmation_refused(endpoint: Endpoint) -> ConfirmationRequired:
    """The error for a live write whose confirmation box is not ticked (nothing is sent)."""
    what = "moves money" if endpoint.moves_money else "creates state"
    return ConfirmationRequired(
        f"{endpoint.name} {what} on the LIVE project: tick the confirmation box first. "
        "Nothing was sent."
    )


def confirmation_text(endpoint: Endpoint) -> str:
    """The label of the confirmation checkbox for ``endpoint``."""
    what = "moves money" if endpoint.moves_money else "creates state"
    return f"I understand this {what} on the LIVE project"


def endpoint_label(endpoint: Endpoint) -> str:
    """The picker's label: area, name and a mark for legacy or SDK-only endpoints."""
    mark = ""
    if endpoint.is_legacy:
        mark = f" ({endpoint.status})"
    elif endpoint.status == "sdk-only":
        mark = " (SDK only)"
    return f"{endpoint.area} › {endpoint.name}{mark}"


def endpoint_html(endpoint: Endpoint) -> str:
    """Summary, path and effect of an endpoint, for the line under the picker."""
    text, colour = _EFFECT_TEXT.get(endpoint.effect, (endpoint.effect, "#57606a"))
    status = ""
    if endpoint.status != "current":
        status = f" <span style='color:#9a6700'>[{html.escape(endpoint.status)}]</span>"
    paged = " · paged" if endpoint.is_paged else ""
    return (
        f"<div><b>{html.escape(endpoint.summary)}</b>{status}<br>"
        f"<code>POST {html.escape(endpoint.path)}</code> · "
        f"<span style='color:{colour}'>{text}</span>{paged}</div>"
    )


def badge_html(client: Any) -> str:
    """A SANDBOX (green) or LIVE (red) badge with the project id (or the team's Access Key)
    and host."""
    from urllib.parse import urlsplit

    host = urlsplit(client.base_url).netloc or client.base_url
    if client.probe_sandbox():  # a server on this machine is a sandbox only once it proves it
        colour, word = "#1a7f37", "SANDBOX"
    else:
        colour, word = "#cf222e", "LIVE"
    if getattr(client, "api", "project") == "team":
        who = f"team {html.escape(client.access_key)}"
    else:
        who = f"project {html.escape(str(client.pid))}"
    return (
        f"<span class='cregis-badge cregis-badge-{word.lower()}' style='background:{colour};"
        "color:white;font-weight:bold;padding:2px 8px;border-radius:4px'>"
        f"{word}</span> <span style='color:#57606a'>{who} at {html.escape(host)}</span>"
    )


def team_headers_html(headers: Mapping[str, str]) -> str:
    """The headers of a Team request as a small table (none of them holds the secret)."""
    rows = "".join(
        f"<tr><th style='text-align:left;padding-right:8px'>{html.escape(name)}</th>"
        f"<td><code>{html.escape(value)}</code></td></tr>"
        for name, value in headers.items()
    )
    return f"<table class='cregis-headers' style='font-size:12px'>{rows}</table>"


def envelope_html(envelope: Envelope) -> str:
    """Code and msg of an answer; for an error code also its documented meaning and hint."""
    colour = "#1a7f37" if envelope.ok else "#cf222e"
    head = (
        f"<div class='cregis-envelope'><b>{html.escape(envelope.endpoint)}</b> → "
        f"<code style='color:{colour}'>{html.escape(envelope.code)}</code> "
        f"<span style='color:{colour}'>{html.escape(envelope.msg)}</span> "
        f"<small style='color:#57606a'>({envelope.elapsed * 1000:.0f} ms)</small>"
    )
    if envelope.ok:
        return head + "</div>"
    doc = envelope.return_code
    if doc is None:
        return head + "<br>An undocumented return code.</div>"
    zh = f" <small>({html.escape(doc.zh)})</small>" if doc.zh else ""
    return (
        f"{head}<br><b>Meaning:</b> {html.escape(doc.meaning)}{zh}"
        f"<br><b>What to do:</b> {html.escape(doc.hint)}</div>"
    )


def error_html(exc: BaseException) -> str:
    """An exception, as one red line naming its type."""
    return (
        f"<div style='color:#cf222e'><b>{html.escape(type(exc).__name__)}</b>: "
        f"{html.escape(str(exc))}</div>"
    )


def frame_html(frame: pd.DataFrame | None, limit: int = TABLE_ROWS) -> str:
    """The table as HTML (at most ``limit`` rows, saying so when cut)."""
    if frame is None:
        return ""
    first = [c for c in ("code", "msg") if c in frame.columns]  # the answer first, then data
    shown = frame.head(limit)[first + [c for c in frame.columns if c not in first]]
    shown = shown.astype(object)
    shown = shown.where(shown.notna(), "")
    note = f"{len(frame)} row{'s' if len(frame) != 1 else ''}"
    if len(frame) > limit:
        note = f"first {limit} of {len(frame)} rows (all of them are in <code>.frame</code>)"
    table = shown.to_html(
        index=False, border=0, classes="cregis-table", na_rep="", max_cols=60, escape=True
    )
    return (
        "<style>.cregis-table{border-collapse:collapse;font-size:12px}"
        ".cregis-table th,.cregis-table td{border:1px solid #d0d7de;padding:2px 6px;"
        "text-align:left;white-space:nowrap}.cregis-table th{background:#f6f8fa}</style>"
        f"<div style='color:#57606a;font-size:0.9em'>{note}</div>"
        f"<div style='max-height:420px;overflow:auto'>{table}</div>"
    )


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The frame as CSV, written by :func:`cregis_notebook.export.to_csv`."""
    from ..export import to_csv

    with tempfile.TemporaryDirectory(prefix="cregis-csv-") as folder:
        path = to_csv(frame, os.path.join(folder, "table.csv"), schema=False)
        with open(path, "rb") as handle:
            return handle.read()


def csv_link_html(frame: pd.DataFrame | None, filename: str) -> str:
    """A ``<a download>`` link holding the CSV as a data URI (nothing touches the disk)."""
    if frame is None or frame.empty:
        return ""
    data = csv_bytes(frame)
    if len(data) > CSV_LINK_LIMIT:
        return (
            f"<span>The CSV is {len(data) / 1e6:.0f} MB, too big for a link: save it with "
            f"<code>cregis_notebook.to_csv(builder.frame, '{html.escape(filename)}')</code>."
            "</span>"
        )
    encoded = base64.b64encode(data).decode("ascii")
    name = html.escape(filename, quote=True)
    return (
        f"<a class='cregis-csv' download='{name}' href='data:text/csv;base64,{encoded}' "
        "style='padding:3px 10px;border:1px solid #d0d7de;border-radius:4px;"
        "text-decoration:none'>⬇ Download CSV</a> "
        f"<small style='color:#57606a'>{name}, {len(frame)} rows</small>"
    )


def to_table(envelopes: Envelope | Sequence[Envelope], endpoint: Endpoint) -> pd.DataFrame:
    """The data of one answer (or several) as a typed DataFrame with ``code`` and ``msg``."""
    from ..frames import to_frame

    return to_frame(envelopes, endpoint=endpoint)


def history_row(
    endpoint: str,
    code: str | None,
    msg: str,
    elapsed: float,
    rows: int | None,
    sent_at: _dt.datetime | None = None,
) -> dict[str, Any]:
    """One row of the session history (``elapsed`` in seconds, ``sent_at`` in UTC)."""
    return {
        "endpoint": endpoint,
        "code": code,
        "msg": msg,
        "elapsed_ms": round(elapsed * 1000, 1),
        "rows": rows,
        "sent_at": sent_at or _dt.datetime.now(_dt.timezone.utc),
    }


def history_frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The session history as a DataFrame with :data:`HISTORY_COLUMNS`."""
    frame = pd.DataFrame(list(rows), columns=list(HISTORY_COLUMNS))
    frame["rows"] = frame["rows"].astype("Int64")
    frame["elapsed_ms"] = frame["elapsed_ms"].astype("float64")
    frame["sent_at"] = pd.to_datetime(frame["sent_at"], utc=True)
    return frame


def project_coins(client: Any) -> tuple[list[dict[str, Any]] | None, str]:
    """The project's coins (every list of ``project_coins`` merged) and a note on where from.

    Returns ``(None, reason)`` when they cannot be read; the forms then offer the registry's
    currency table.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            envelope = client.request("project_coins")
    except CregisError as exc:
        return None, f"the project's coins could not be read ({type(exc).__name__})"
    if not envelope.ok or not isinstance(envelope.data, Mapping):
        return None, f"the project's coins could not be read ({envelope.code} {envelope.msg})"
    coins: list[dict[str, Any]] = []
    for value in envelope.data.values():
        if isinstance(value, list):
            coins.extend(dict(item) for item in value if isinstance(item, Mapping))
    if not coins:
        return None, "the project lists no coins"
    return coins, "currencies offered: the project's coins"


def team_coins(team: Any) -> tuple[list[dict[str, Any]] | None, str]:
    """The coins configured on the team's wallets (first 100 wallets) and a note on where from.

    Records with ``chain_id``, ``token_id`` and ``coin_name`` (the chain's name), like
    :func:`project_coins`; ``(None, reason)`` when they cannot be read.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            envelope = team.request("list_wallets", page_size=100)
    except CregisError as exc:
        return None, f"the team's wallets could not be read ({type(exc).__name__})"
    rows = envelope.data.get("rows") if isinstance(envelope.data, Mapping) else None
    if not envelope.ok or not isinstance(rows, list):
        return None, f"the team's wallets could not be read ({envelope.code} {envelope.msg})"
    coins: list[dict[str, Any]] = []
    for wallet in rows:
        tokens = wallet.get("tokens") if isinstance(wallet, Mapping) else None
        for token in tokens if isinstance(tokens, list) else ():
            if isinstance(token, Mapping):
                name = token.get("chain_name") or token.get("token_name")
                coins.append({**token, "coin_name": name})
    if not coins:
        return None, "the team's wallets list no coins"
    return coins, "chains offered: those of the team's wallets"
