"""``explore()``: the request builder plus a quick plot of amounts over time and file exports;
it offers the Team API too when a team is configured or given."""

from __future__ import annotations

import html
import io
import os
from decimal import Decimal, InvalidOperation
from typing import Any

import ipywidgets as W
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .._config import is_configured, is_team_configured
from ..client import Client, TeamClient
from ..spec import Endpoint
from ._builder import RequestBuilder
from ._logic import error_html

__all__ = ["Explorer", "amount_columns", "explore", "plot_amounts", "time_column"]

_AMOUNT_NAMES = ("amount", "order_amount", "balance", "real_amount", "receive_amount", "fee")


def time_column(frame: pd.DataFrame, endpoint: Endpoint | None = None) -> str | None:
    """The first date-time column of ``frame`` (documented timestamps first), or ``None``."""
    documented = (
        [f.name for f in endpoint.response_fields if f.type == "timestamp"] if endpoint else []
    )
    for name in [*documented, *frame.columns]:
        if name in frame.columns and pd.api.types.is_datetime64_any_dtype(frame[name]):
            return str(name)
    return None


def _as_float(value: Any) -> float | None:
    """An amount as a float, for drawing only (the frame keeps its exact values)."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    try:
        return float(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return None


def amount_columns(frame: pd.DataFrame, endpoint: Endpoint | None = None) -> list[str]:
    """Columns holding amounts: documented decimal fields, else the usual amount names."""
    names: list[str] = []
    if endpoint is not None:
        names = [f.name for f in endpoint.top_level_fields if f.type == "decimal"]
    names += [n for n in _AMOUNT_NAMES if n not in names]
    return [n for n in names if n in frame.columns and frame[n].notna().any()]


def plot_amounts(
    frame: pd.DataFrame, endpoint: Endpoint | None = None, ax: Axes | None = None
) -> Axes:
    """Plot the frame's first amount column over its time column, one series per currency."""
    if ax is None:
        ax = Figure(figsize=(7.5, 3.2), layout="constrained").add_subplot()
    when = time_column(frame, endpoint) if frame is not None else None
    amounts = amount_columns(frame, endpoint) if frame is not None else []
    if frame is None or frame.empty or when is None or not amounts:
        ax.text(0.5, 0.5, "no amounts over time to plot", ha="center", va="center")
        ax.set_axis_off()
        return ax
    column = amounts[0]
    data = pd.DataFrame(
        {"t": frame[when], "y": [_as_float(v) for v in frame[column]]},
        index=frame.index,
    )
    group = next(
        (c for c in ("currency", "token_id", "order_currency") if c in frame.columns), None
    )
    data["g"] = frame[group].astype("string").fillna("?") if group else column
    data = data.dropna(subset=["t", "y"]).sort_values("t")
    for name, part in data.groupby("g", sort=True):
        ax.plot(part["t"], part["y"], marker="o", markersize=3, linewidth=1, label=str(name))
    if data["g"].nunique() > 1:
        ax.legend(fontsize="small", ncols=2)
    ax.set_xlabel(f"{when} (UTC)")
    ax.set_ylabel(column)
    ax.set_title(f"{column} over time", fontsize="medium")
    ax.grid(True, alpha=0.3)
    return ax


def _png(frame: pd.DataFrame | None, endpoint: Endpoint | None) -> bytes:
    fig = Figure(figsize=(7.5, 3.2), layout="constrained")
    plot_amounts(frame if frame is not None else pd.DataFrame(), endpoint, fig.add_subplot())
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    return buffer.getvalue()


class Explorer(W.VBox):
    """The dashboard :func:`explore` returns: ``.builder``, ``.client``, ``.team`` (a
    :class:`~cregis_notebook.TeamClient` or ``None``), a plot and exports."""

    def __init__(self, client: Client, note: str = "", *, team: TeamClient | None = None) -> None:
        self.client = client
        self.team = team
        self.builder = RequestBuilder(client, "trade_page", team=team)
        self.note = W.HTML(f"<div style='margin-bottom:4px'>{html.escape(note)}</div>")
        self.plot = W.Image(format="png", layout=W.Layout(max_width="760px"))
        self.filename = W.Text(value="cregis-export", description="File name")
        self.csv_button = W.Button(description="Save CSV", icon="save")
        self.parquet_button = W.Button(description="Save Parquet", icon="save")
        self.export_log = W.Output()
        self.csv_button.on_click(lambda _b: self._export("csv"))
        self.parquet_button.on_click(lambda _b: self._export("parquet"))
        export = W.VBox(
            [
                W.HTML(
                    "Save the table shown above next to this notebook "
                    "(the builder also offers a one-click CSV download)."
                ),
                W.HBox([self.filename, self.csv_button, self.parquet_button]),
                self.export_log,
            ]
        )
        self.tabs = W.Tab(children=[self.plot, export])
        self.tabs.set_title(0, "Quick plot")
        self.tabs.set_title(1, "Export")
        self.builder.on_frame(self._on_frame)
        self._on_frame(None)
        super().__init__([self.note, self.builder, self.tabs])
        self.add_class("cregis-explorer")

    def _on_frame(self, frame: pd.DataFrame | None) -> None:
        self.plot.value = _png(frame, self.builder.endpoint)

    def save(self, kind: str = "csv", path: str | os.PathLike[str] | None = None) -> str:
        """Write the current table as ``csv`` or ``parquet``; returns the absolute path."""
        from .. import export

        frame = self.builder.frame
        if frame is None:
            raise ValueError("nothing to save yet: send a request or fetch all pages first")
        name = os.fspath(path) if path is not None else f"{self.filename.value or 'export'}.{kind}"
        if not name.endswith(f".{kind}"):
            name += f".{kind}"
        writer = export.to_csv if kind == "csv" else export.to_parquet
        writer(frame, name)
        return os.path.abspath(name)

    def _export(self, kind: str) -> None:
        try:
            where = self.save(kind)
        except Exception as exc:
            self.export_log.append_display_data(W.HTML(error_html(exc)))
            return
        rows = 0 if self.builder.frame is None else len(self.builder.frame)
        self.export_log.append_stdout(f"Saved {rows} rows to {where}\n")


def _team_note(team: TeamClient, where: str) -> str:
    return f" Team API: {where} ({'sandbox' if team.probe_sandbox() else 'LIVE'})."


def explore(client: Client | None = None, *, team: TeamClient | None = None) -> Explorer:
    """A one-call dashboard: request builder, results table, quick plot and export.

    With no ``client`` it uses ``Client.from_env()`` when ``CREGIS_*`` is configured and the
    built-in sandbox otherwise, and says which. The builder also offers the Team API (area
    "Team") with ``team``, or else with ``TeamClient.from_env()`` when ``CREGIS_TEAM_BASE_URL``,
    ``CREGIS_ACCESS_KEY`` and ``CREGIS_ACCESS_SECRET`` are configured, or else, on the built-in
    sandbox, with the sandbox's team.
    """
    built_in = False
    if client is not None:
        kind = "the sandbox" if client.probe_sandbox() else "a LIVE project"
        note = f"Using the client you passed ({kind})."
    elif is_configured():
        client = Client.from_env()
        note = (
            "Using the project configured in CREGIS_BASE_URL / CREGIS_PID / CREGIS_API_KEY "
            f"({'sandbox' if client.probe_sandbox() else 'LIVE'})."
        )
    else:
        client = Client.sandbox()
        built_in = True
        note = (
            "CREGIS_BASE_URL, CREGIS_PID and CREGIS_API_KEY are not set: using the built-in "
            "sandbox (made-up data, nothing leaves this machine)."
        )
    if team is not None:
        note += _team_note(team, "the TeamClient you passed")
    elif is_team_configured():
        team = TeamClient.from_env()
        where = "the team in CREGIS_TEAM_BASE_URL / CREGIS_ACCESS_KEY / CREGIS_ACCESS_SECRET"
        note += _team_note(team, where)
    elif built_in:
        team = client.sandbox_app.client(client_class=TeamClient)
        note += " Team API: the built-in sandbox's team."
    return Explorer(client, note, team=team)
