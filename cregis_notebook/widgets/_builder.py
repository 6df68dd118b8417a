"""``RequestBuilder``: pick an endpoint, fill a form generated from the registry, preview the
signed request, send it and read the answer as an envelope and a table.

It serves a project (a :class:`~cregis_notebook.Client`), a team (a
:class:`~cregis_notebook.TeamClient`, whose endpoints form the area "Team"), or both at once.

The widget is a thin shell: validation and signing are the client's (``client.prepare``),
tables are :func:`cregis_notebook.frames.to_frame`'s, paging is
:func:`cregis_notebook.fetch.fetch_frame`'s. Everything the form does can be done from
Python (``.endpoint``, ``.set()``, ``.send()``, ``.fetch_all()``, ...), which is how it is tested.
"""

from __future__ import annotations

import contextlib
import html
import json
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from typing import Any, overload

import ipywidgets as W
import pandas as pd

from ..client import Client, PreparedRequest, TeamClient
from ..envelope import Envelope
from ..errors import CregisError, CregisFetchError, CregisValidationError, UnknownEndpoint
from ..spec import PAGE_PARAMS, SYSTEM_PARAMS, Endpoint, registry
from . import _logic as L
from ._codegen import curl_text, python_text, team_curl_text
from ._form import ParamField, build_fields, dispose, field_kind

__all__ = ["RequestBuilder"]


def _picker_options(apis: set[str]) -> list[tuple[str, str]]:
    """The project's endpoints by area, then the Team API's (area "Team"), as each is offered."""
    reg = registry()
    project = [ep for eps in reg.by_area().values() for ep in eps] if "project" in apis else []
    team = list(reg.team_endpoints) if "team" in apis else []
    return [(L.endpoint_label(ep), ep.name) for ep in (*project, *team)]


class RequestBuilder(W.VBox):
    """Build, preview, send and page through one Cregis request; display it as a cell's value.

    Args:
        client: the :class:`~cregis_notebook.Client` that signs and sends (sandbox or live); a
            :class:`~cregis_notebook.TeamClient` here stands for ``team=`` with no project.
        endpoint: the endpoint to start with (registry name, helper name or path); the first
            one when ``None``.
        team: a :class:`~cregis_notebook.TeamClient`: the picker then also lists the Team API
            (area "Team"), whose calls this client signs and sends.
        page_size: rows per page for "Fetch all pages" (at most 100).
        concurrency: pages fetched at once by "Fetch all pages".
    """

    def __init__(
        self,
        client: Client | TeamClient | None = None,
        endpoint: str | Endpoint | None = None,
        *,
        team: TeamClient | None = None,
        page_size: int = 100,
        concurrency: int = 8,
    ) -> None:
        if isinstance(client, TeamClient):
            if team is not None:
                raise TypeError("pass the project's Client first and the TeamClient as team=")
            client, team = None, client
        if client is None and team is None:
            raise TypeError("RequestBuilder needs a Client, a TeamClient (team=), or both")
        self.project: Client | None = client
        self.team: TeamClient | None = team
        chosen = client if client is not None else team
        assert chosen is not None
        self.client: Client | TeamClient = chosen  # the project's, else the team's
        self.page_size = page_size
        self.concurrency = concurrency
        self._fields: dict[str, ParamField] = {}
        self._result: Envelope | None = None
        self._frame: pd.DataFrame | None = None
        self._history: list[dict[str, Any]] = []
        self._frame_listeners: list[Callable[[pd.DataFrame | None], None]] = []
        self._coins: dict[str, tuple[list[dict[str, Any]] | None, str]] = {}
        self._apis = apis = {c.api for c in (client, team) if c is not None}
        if endpoint is not None:
            first = self._offered(endpoint, apis)
        else:
            first = registry().endpoints_of("project" if client is not None else "team")[0]
        self._endpoint = first

        self.badge = W.HTML(L.badge_html(self.client_for(first)))
        self.picker = W.Dropdown(
            options=_picker_options(apis),
            value=first.name,
            description="Endpoint",
            layout=W.Layout(width="36em"),
        )
        self.summary = W.HTML()
        self.form = W.VBox(layout=W.Layout(margin="6px 0"))
        self.coins_note = W.HTML()
        self.status = W.HTML()
        self.preview_html = W.HTML()
        self.curl_area = W.Textarea(rows=10, layout=W.Layout(width="100%"))
        self.python_area = W.Textarea(rows=10, layout=W.Layout(width="100%"))
        self.code_tabs = W.Tab(children=[self.preview_html, self.curl_area, self.python_area])
        for i, title in enumerate(("Preview", "Copy as curl", "Copy as Python")):
            self.code_tabs.set_title(i, title)
        self.confirm = W.Checkbox(value=False, indent=False, layout=W.Layout(width="auto"))
        self.send_button = W.Button(description="Send", button_style="primary", icon="paper-plane")
        self.fetch_button = W.Button(description="Fetch all pages", icon="download")
        self.answer = W.HTML()
        self.progress = W.Output()
        self.table = W.HTML()
        self.download = W.HTML()
        self.output = W.Output()
        self.history_html = W.HTML()
        self.history_box = W.Accordion(children=[self.history_html])
        self.history_box.set_title(0, "History of this session")

        for widget, name in (
            (self.picker, "endpoint"),
            (self.send_button, "send"),
            (self.fetch_button, "fetch-all"),
            (self.confirm, "confirm"),
            (self.answer, "answer"),
            (self.table, "table"),
            (self.download, "download"),
            (self.status, "status"),
        ):
            widget.add_class(f"cregis-{name}")  # stable hooks for browser tests and styling
        self.send_button.on_click(self._on_send)
        self.fetch_button.on_click(self._on_fetch)
        self.picker.observe(self._on_pick, names="value")

        super().__init__(
            [
                self.badge,
                W.HBox([self.picker]),
                self.summary,
                self.coins_note,
                self.form,
                self.status,
                self.code_tabs,
                W.HBox([self.send_button, self.fetch_button, self.confirm]),
                self.answer,
                self.progress,
                self.table,
                self.download,
                self.output,
                self.history_box,
            ],
            layout=W.Layout(border="1px solid #d0d7de", padding="8px"),
        )
        self.add_class("cregis-request-builder")
        self._show_endpoint()
        self._render_history()

    # -- endpoint and form ---------------------------------------------------------------------

    @property
    def endpoint(self) -> Endpoint:
        """The selected endpoint; set it to a registry name, helper name, path or Endpoint."""
        return self._endpoint

    @endpoint.setter
    def endpoint(self, key: str | Endpoint) -> None:
        ep = self._offered(key, self._apis)
        if ep.name == self.picker.value:
            return
        self.picker.value = ep.name  # _on_pick rebuilds the form

    @staticmethod
    def _offered(key: str | Endpoint, apis: set[str]) -> Endpoint:
        """The endpoint ``key`` names, refused when no client of this builder can send it."""
        try:
            ep = key if isinstance(key, Endpoint) else registry().endpoint(key)
        except UnknownEndpoint as exc:
            raise CregisValidationError(str(exc), endpoint=str(key)) from None
        if ep.api not in apis:
            needed = "a TeamClient (team=)" if ep.is_team else "a project Client"
            raise CregisValidationError(
                f"{ep.name} belongs to the {'Team' if ep.is_team else 'project'} API: this "
                f"builder has no client for it; build it with {needed}",
                endpoint=ep.name,
            )
        return ep

    def client_for(self, endpoint: str | Endpoint | None = None) -> Client | TeamClient:
        """The client that signs and sends ``endpoint`` (the selected one when ``None``)."""
        ep = self._endpoint if endpoint is None else self._offered(endpoint, self._apis)
        client = self.team if ep.is_team else self.project
        assert client is not None  # _offered let through only endpoints with a client
        return client

    @property
    def fields(self) -> dict[str, W.ValueWidget]:
        """The editor of each business parameter, by parameter name."""
        return {name: field.widget for name, field in self._fields.items()}

    @property
    def params(self) -> dict[str, Any]:
        """The parameters as filled in (left-out ones omitted), before validation."""
        values = {name: field.get() for name, field in self._fields.items()}
        return {name: value for name, value in values.items() if value is not None}

    def set(self, **params: Any) -> RequestBuilder:
        """Fill the form from Python values (``None`` clears a field); returns the builder."""
        ep = self._endpoint
        unknown = [name for name in params if name not in self._fields]
        if unknown:
            allowed = ", ".join(self._fields) or "none"
            raise CregisValidationError(
                f"{ep.name}: {', '.join(map(repr, unknown))} not a parameter of this endpoint "
                f"(its parameters: {allowed})",
                endpoint=ep.name,
                param=unknown[0],
            )
        self._quiet = True
        try:
            for name, value in params.items():
                self._fields[name].set(value)
        finally:
            self._quiet = False
            self._refresh()
        return self

    def clear(self) -> RequestBuilder:
        """Empty every field."""
        return self.set(**dict.fromkeys(self._fields))

    _quiet = False

    def _on_pick(self, change: dict[str, Any]) -> None:
        with self._shown_errors(reraise=False):
            self._endpoint = registry().endpoint(str(change["new"]))
            self._result = None
            self._set_frame(None)
            self.answer.value = ""
            self.progress.outputs = ()
            self._show_endpoint()

    def _needs_coins(self, ep: Endpoint) -> bool:
        kinds = {(field_kind(p), p.name) for p in ep.params}
        return any(k == "chain" or (k == "currency" and n != "order_currency") for k, n in kinds)

    def _show_endpoint(self) -> None:
        ep = self._endpoint
        client = self.client_for(ep)
        coins: list[dict[str, Any]] | None = None
        if self._needs_coins(ep):
            if ep.api not in self._coins:
                reader = L.team_coins if ep.is_team else L.project_coins
                self._coins[ep.api] = reader(client)
            coins, note = self._coins[ep.api]
            self.coins_note.value = f"<small style='color:#57606a'>{html.escape(note)}</small>"
        else:
            self.coins_note.value = ""
        self.badge.value = L.badge_html(client)
        self.summary.value = L.endpoint_html(ep)
        old_fields, old_rows = self._fields, self.form.children
        self._fields = build_fields(ep, coins)
        rows = [field.row for field in self._fields.values()]
        if not rows:
            rows = [W.HTML("<i>This endpoint takes no business parameters.</i>")]
        self.form.children = rows
        for old in old_fields.values():  # only once nothing shows them any more
            old.close()
        for child in old_rows:
            dispose(child)
        for field in self._fields.values():
            field.observe(self._on_change)
        self.fetch_button.layout.display = "" if ep.is_paged else "none"
        live_write = L.needs_confirmation(ep, client)
        self.confirm.value = False
        self.confirm.description = L.confirmation_text(ep) if live_write else ""
        self.confirm.layout.display = "" if live_write else "none"
        self.send_button.button_style = "danger" if live_write else "primary"
        self._refresh()

    def _on_change(self, change: Any) -> None:
        if not self._quiet:
            self._refresh()

    # -- validation, preview and code ---------------------------------------------------------

    def _prepare(self) -> PreparedRequest:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return self.client_for().prepare(self._endpoint, **self.params)

    def _refresh(self) -> None:
        """Validate the form and update the status line, the preview and the code texts."""
        with self._shown_errors(reraise=False):
            for field in self._fields.values():
                field.mark(None)
            try:
                prepared = self._prepare()
            except CregisValidationError as exc:
                culprit = self._fields.get(exc.param or "")
                if culprit is not None:
                    culprit.mark(str(exc))
                what = f"<code>{html.escape(exc.param)}</code>: " if exc.param else ""
                self.status.value = (
                    f"<div class='cregis-invalid' style='color:#cf222e'>✘ Fix {what}"
                    f"{html.escape(str(exc))}</div>"
                )
                message = f"Fix the form first: {exc}"
                self.preview_html.value = f"<i>{html.escape(message)}</i>"
                self.curl_area.value = self.python_area.value = f"# {message}\n"
                return
            business = {k: v for k, v in prepared.body.items() if k not in SYSTEM_PARAMS}
            count = len(business)
            self.status.value = (
                "<div class='cregis-valid' style='color:#1a7f37'>✔ Ready to send "
                f"({count} parameter{'s' if count != 1 else ''} set)</div>"
            )
            self.preview_html.value = self._preview_markup(prepared)
            self.curl_area.value = self._curl(business)
            self.python_area.value = python_text(self._endpoint, business)

    @staticmethod
    def _preview_markup(prepared: PreparedRequest) -> str:
        if prepared.endpoint.is_team:
            return RequestBuilder._team_preview_markup(prepared)
        body = json.dumps(prepared.body, indent=2, ensure_ascii=False)
        return (
            f"<div><code>POST {html.escape(prepared.url)}</code></div>"
            "<div><b>Body</b> <small>(nonce, timestamp and sign are made fresh for every send; "
            "this body is valid only with exactly these three)</small></div>"
            f"<pre class='cregis-body' style='margin:2px 0'>{html.escape(body)}</pre>"
            "<div><b>Signed string</b> <small>(MD5 of this, with the API key in place of "
            "&lt;API_KEY&gt;, is the sign)</small></div>"
            "<pre class='cregis-canonical' style='white-space:pre-wrap;word-break:break-all;"
            f"margin:2px 0'>{html.escape(prepared.canonical)}</pre>"
        )

    @staticmethod
    def _team_preview_markup(prepared: PreparedRequest) -> str:
        body = (prepared.content or b"").decode("utf-8")
        return (
            f"<div><code>POST {html.escape(prepared.url)}</code></div>"
            "<div><b>Headers</b> <small>(timestamp, nonce and signature are made fresh for "
            "every send)</small></div>"
            f"{L.team_headers_html(prepared.headers)}"
            "<div><b>Body</b> <small>(RFC 8785 canonical JSON: exactly the bytes signed and "
            "sent)</small></div>"
            f"<pre class='cregis-body' style='margin:2px 0'>{html.escape(body)}</pre>"
            "<div><b>String to sign</b> <small>(path, timestamp, nonce and body, one per line; "
            "Access-Signature is its HMAC-SHA256 keyed with the Access Secret "
            "<code>********</code>)</small></div>"
            "<pre class='cregis-canonical' style='white-space:pre-wrap;word-break:break-all;"
            f"margin:2px 0'>{html.escape(prepared.canonical)}</pre>"
        )

    def _curl(self, business: dict[str, Any]) -> str:
        client = self.client_for()
        if self._endpoint.is_team:
            return team_curl_text(self._endpoint, business, base_url=client.base_url)
        assert isinstance(client, Client)
        return curl_text(self._endpoint, business, base_url=client.base_url, pid=client.pid)

    def preview(self) -> PreparedRequest:
        """Validate and sign the form's request without sending it; refreshes the preview."""
        with self._shown_errors():
            prepared = self._prepare()
            self.preview_html.value = self._preview_markup(prepared)
            return prepared

    def _business(self) -> dict[str, Any]:
        prepared = self._prepare()
        return {k: v for k, v in prepared.body.items() if k not in SYSTEM_PARAMS}

    def to_python(self) -> str:
        """Python that makes this call with ``Client.from_env()`` (``TeamClient.from_env()``
        for a Team call); the key and the secret stay in the environment."""
        return python_text(self._endpoint, self._business())

    def to_curl(self) -> str:
        """A shell snippet that signs this call with ``$CREGIS_API_KEY`` (a Team call with
        ``$CREGIS_ACCESS_SECRET``, by ``openssl dgst -sha256 -hmac``) and sends it by curl."""
        return self._curl(self._business())

    # -- sending -------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _shown_errors(self, *, reraise: bool = True) -> Iterator[None]:
        """Show any error in the widget (traceback in the log for unexpected ones)."""
        try:
            yield
        except Exception as exc:
            self.answer.value = L.error_html(exc)
            if not isinstance(exc, CregisError):
                self.output.append_stderr(traceback.format_exc())
            if reraise:
                raise

    @overload
    def send(self) -> Envelope: ...

    @overload
    def send(self, content: dict[str, Any], buffers: Any = None) -> None: ...

    def send(self, content: dict[str, Any] | None = None, buffers: Any = None) -> Envelope | None:
        """Validate, sign and send the form's request; returns the :class:`Envelope`.

        Raises :class:`CregisValidationError` (nothing sent) for invalid input, and
        :class:`ConfirmationRequired` (nothing sent) for a write on a LIVE project whose
        confirmation box is not ticked. The box is cleared after every send.

        (Called with a message ``content``, this is ipywidgets' own ``Widget.send``, which
        sends a custom message to the browser.)
        """
        if content is not None:
            super().send(content, buffers)
            return None
        return self._send_request()

    def _send_request(self) -> Envelope:
        ep = self._endpoint
        with self._shown_errors():
            try:
                prepared = self._prepare()
                confirmed = bool(self.confirm.value)
                client = self.client_for(ep)
                if not confirmed and L.needs_confirmation(ep, client):
                    raise L.confirmation_refused(ep)
                started = time.perf_counter()
                try:
                    envelope = client.send(prepared, confirmed=confirmed)
                except CregisError as exc:
                    self._remember(ep.name, None, str(exc), time.perf_counter() - started, None)
                    raise
            finally:
                self.confirm.value = False
            self._result = envelope
            self.answer.value = L.envelope_html(envelope)
            frame: pd.DataFrame | None = None
            try:
                frame = L.to_table(envelope, ep)
            finally:
                rows = None if frame is None else len(frame)
                self._remember(ep.name, envelope.code, envelope.msg, envelope.elapsed, rows)
                self._set_frame(frame)
            return envelope

    def fetch_all(self) -> pd.DataFrame:
        """Every page of a paged endpoint for the form's filters, as one DataFrame."""
        ep = self._endpoint
        with self._shown_errors():
            if not ep.is_paged:
                raise CregisValidationError(f"{ep.name} is not paged; use send()", endpoint=ep.name)
            filters = {k: v for k, v in self._business().items() if k not in PAGE_PARAMS}
            from ..fetch import fetch_frame

            self.progress.outputs = ()
            started = time.perf_counter()
            try:
                with self.progress:
                    frame = fetch_frame(
                        self.client_for(ep),
                        ep.name,
                        **filters,
                        page_size=self.page_size,
                        concurrency=self.concurrency,
                        progress=True,
                    )
            except CregisFetchError as exc:
                self._remember(ep.name, None, str(exc), time.perf_counter() - started, None)
                partial = exc.partial
                if isinstance(partial, pd.DataFrame):
                    self._set_frame(partial)
                raise
            except CregisError as exc:
                self._remember(ep.name, None, str(exc), time.perf_counter() - started, None)
                raise
            elapsed = time.perf_counter() - started
            code, msg = "00000", "ok"
            if "code" in frame.columns and len(frame):
                code, msg = str(frame["code"].iloc[-1]), str(frame["msg"].iloc[-1])
            self._remember(f"{ep.name} (all pages)", code, msg, elapsed, len(frame))
            self.answer.value = (
                f"<div><b>{html.escape(ep.name)}</b>: fetched every page, {len(frame)} rows in "
                f"{elapsed:.1f} s</div>"
            )
            self._set_frame(frame)
            return frame

    def _on_send(self, _button: W.Button) -> None:
        with contextlib.suppress(Exception):  # already shown in the widget by send()
            self.send()

    def _on_fetch(self, _button: W.Button) -> None:
        with contextlib.suppress(Exception):  # already shown in the widget by fetch_all()
            self.fetch_all()

    # -- results and history ------------------------------------------------------------------

    @property
    def result(self) -> Envelope | None:
        """The last answer received by :meth:`send`."""
        return self._result

    @property
    def frame(self) -> pd.DataFrame | None:
        """The table of the last :meth:`send` or :meth:`fetch_all`."""
        return self._frame

    @property
    def history(self) -> pd.DataFrame:
        """Requests sent in this session: endpoint, code, msg, elapsed_ms, rows, sent_at."""
        return L.history_frame(self._history)

    def on_frame(self, callback: Callable[[pd.DataFrame | None], None]) -> None:
        """Call ``callback(frame)`` whenever the table changes (a plot, an export panel)."""
        self._frame_listeners.append(callback)

    def _set_frame(self, frame: pd.DataFrame | None) -> None:
        self._frame = frame
        self.table.value = L.frame_html(frame)
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        self.download.value = L.csv_link_html(frame, f"{self._endpoint.name}-{stamp}.csv")
        for listener in self._frame_listeners:
            with self._shown_errors(reraise=False):
                listener(frame)

    def _remember(
        self, endpoint: str, code: str | None, msg: str, elapsed: float, rows: int | None
    ) -> None:
        self._history.append(L.history_row(endpoint, code, msg, elapsed, rows))
        self._render_history()

    def _render_history(self) -> None:
        if not self._history:
            self.history_html.value = "<i>Nothing sent yet.</i>"
            return
        frame = self.history.iloc[::-1]
        self.history_html.value = frame.to_html(index=False, border=0, classes="cregis-table")
