"""Form fields generated from the endpoint registry: one small widget row per business parameter.

The choice of widget is a plain function of the :class:`~cregis_notebook.spec.Param`
(:func:`field_kind`), so it is tested without a browser. Each :class:`ParamField` turns its
widget's value into the Python value the client's validation accepts (``None`` = not sent);
the rules themselves live in :func:`cregis_notebook._validation.prepare_params`.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import ipywidgets as W

from ..errors import CregisValidationError
from ..spec import Endpoint, Param, registry

__all__ = [
    "ParamField",
    "chain_options",
    "check_json",
    "currency_options",
    "field_kind",
    "param_hint",
]

_NOT_SET = "(not set)"
_UNSET = ""  # the dropdowns' "not set" value: never a documented value, and shown by browsers
_LABEL_WIDTH = "16em"
_FIELD_WIDTH = "22em"
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


def field_kind(param: Param) -> str:
    """Which editor a parameter gets.

    One of ``enum`` (dropdown with labels), ``datetime`` (a UTC date-time picker for epoch
    seconds or milliseconds), ``integer``, ``decimal`` (text checked as an exact decimal),
    ``number`` (text checked as a number), ``json`` (a text editor that checks the JSON),
    ``currency`` and ``chain`` (dropdowns) or ``text``.
    """
    if param.enum:
        return "enum"
    if param.type == "int" and param.unit in ("s", "ms"):
        return "datetime"
    if param.type in ("int", "int_string"):
        return "integer"
    if param.type == "decimal":
        return "decimal"
    if param.type == "float":
        return "number"
    if param.type in ("json_object", "json_array"):
        return "json"
    if param.role == "currency":
        return "currency"
    if param.role == "chain_id":
        return "chain"
    return "text"


def param_hint(param: Param) -> str:
    """A one-line description of what a parameter takes (type, unit, limits, default)."""
    parts: list[str] = []
    kind = field_kind(param)
    if kind == "datetime":
        parts.append(f"UTC; sent as Unix {'seconds' if param.unit == 's' else 'milliseconds'}")
    elif kind == "decimal":
        parts.append("exact decimal, e.g. 1.5")
    elif kind == "json":
        parts.append("JSON object" if param.type == "json_object" else "JSON array")
    elif param.unit == "min":
        parts.append("minutes")
    if param.minimum is not None and param.maximum is not None:
        parts.append(f"{param.minimum} to {param.maximum}")
    elif param.minimum is not None:
        parts.append(f"at least {param.minimum}")
    elif param.maximum is not None:
        parts.append(f"at most {param.maximum}")
    if param.max_length is not None:
        parts.append(f"up to {param.max_length} characters")
    if param.default is not None:
        parts.append(f"default {param.default}")
    return "; ".join(parts)


def check_json(text: str, kind: str) -> str | None:
    """``None`` when ``text`` is empty or JSON of the wanted kind, else what to fix."""
    if not text.strip():
        return None
    want, cls = ("an object {...}", dict) if kind == "json_object" else ("an array [...]", list)
    try:
        value = json.loads(text)
    except ValueError as exc:
        return f"not valid JSON: {exc}"
    if not isinstance(value, cls):
        return f"must be {want}, not {type(value).__name__}"
    return None


def _coin_identifier(coin: Mapping[str, Any]) -> str | None:
    chain, token = coin.get("chain_id"), coin.get("token_id")
    if chain in (None, "") or token in (None, ""):
        return None
    return f"{chain}@{token}"


def currency_options(
    param: Param, coins: Sequence[Mapping[str, Any]] | None = None
) -> list[tuple[str, str]]:
    """``(label, value)`` choices for a currency parameter.

    Order currencies (``order_currency``) come from the registry's fiat and crypto lists. Coin
    parameters use the project's coins (``coins``: records of ``project_coins`` with
    ``coin_name``, ``chain_id``, ``token_id``) when given, else the registry's WaaS table; the
    value is ``chain_id@token_id``.
    """
    reg = registry()
    if param.name == "order_currency":
        fiat = [(f"{code} (fiat)", code) for code in reg.fiat_currencies]
        return fiat + [(f"{code} (crypto)", code) for code in reg.crypto_order_currencies]
    options: list[tuple[str, str]] = []
    seen: set[str] = set()
    if coins:
        for coin in coins:
            ident = _coin_identifier(coin)
            if ident is None or ident in seen:
                continue
            seen.add(ident)
            options.append((f"{coin.get('coin_name') or ident} · {ident}", ident))
        if options:
            return options
    for cur in reg.currencies:
        if cur.identifier not in seen:
            seen.add(cur.identifier)
            options.append((f"{cur.name} ({cur.symbol}) · {cur.identifier}", cur.identifier))
    return options


def chain_options(coins: Sequence[Mapping[str, Any]] | None = None) -> list[tuple[str, str]]:
    """``(label, chain_id)`` choices: the registry's chains, its test networks, the project's."""
    reg = registry()
    options = [(f"{chain.name} · {chain.chain_id}", chain.chain_id) for chain in reg.chains]
    options += [
        (f"{t['name']} · {t['chain_id']} (testnet)", str(t["chain_id"])) for t in reg.testnets
    ]
    seen = {value for _, value in options}
    for coin in coins or ():
        chain = str(coin.get("chain_id") or "")
        if chain and chain not in seen:
            seen.add(chain)
            options.append((f"{coin.get('coin_name') or chain} · {chain}", chain))
    return options


def _to_naive_utc(value: Any, param: Param) -> _dt.datetime | None:
    """A naive UTC datetime for the picker from a datetime, date, Timestamp or epoch number."""
    if value is None:
        return None
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if isinstance(value, _dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(_dt.timezone.utc).replace(tzinfo=None)
        return value
    if isinstance(value, _dt.date):
        return _dt.datetime(value.year, value.month, value.day)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool):
        seconds = value / 1000 if param.unit == "ms" else value
        moment = _EPOCH + _dt.timedelta(seconds=seconds)
        return moment.replace(tzinfo=None)
    raise CregisValidationError(
        f"parameter {param.name!r} takes a datetime, a date or epoch "
        f"{'seconds' if param.unit == 's' else 'milliseconds'}, got {value!r}",
        param=param.name,
    )


class ParamField:
    """One parameter's row: a label (``*`` when required), the editor and a hint.

    ``widget`` is the editor itself; ``get()`` returns the value to validate and send (``None``
    when the parameter is left out) and ``set()`` fills the editor from a Python value.
    Integer editors cannot be empty, so an optional one (or one without a default) has a
    "send" checkbox that ticks itself when the number is edited.
    """

    def __init__(
        self,
        param: Param,
        *,
        coins: Sequence[Mapping[str, Any]] | None = None,
        example: Any = None,
    ) -> None:
        self.param = param
        self.kind = field_kind(param)
        self.send: W.Checkbox | None = None
        self.picker: W.SelectMultiple | None = None  # pay currencies, for ``tokens``
        self.note = W.HTML(layout=W.Layout(margin="0 0 0 6px"))
        self._example = example
        extras: list[W.Widget] = []
        self.widget: W.ValueWidget = self._make(coins, extras)
        self.widget.layout.width = _FIELD_WIDTH
        self.widget.layout.flex = f"0 0 {_FIELD_WIDTH}"
        self.widget.add_class(f"cregis-param-{param.name}")
        self.label = W.HTML(layout=W.Layout(width=_LABEL_WIDTH, min_width=_LABEL_WIDTH))
        hint = param_hint(param)
        description = param.description
        text = html.escape(description + (f" ({hint})" if hint and description else hint))
        self.help = W.HTML(
            f"<span style='color:#57606a;font-size:0.9em'>{text}</span>",
            layout=W.Layout(flex="1 1 auto", margin="0 0 0 8px"),
        )
        self.mark(None)
        head = W.HBox([self.label, self.widget, *extras, self.help])
        self.note.layout.margin = f"0 0 0 {_LABEL_WIDTH}"
        below: list[W.Widget] = []
        if self.picker is not None:
            self.picker.layout.margin = f"2px 0 0 {_LABEL_WIDTH}"
            below.append(self.picker)
        self.row = W.VBox([head, *below, self.note]) if self.kind == "json" else head
        self._owned = [self.row, head, self.label, self.widget, *extras, *below, self.help]
        self._owned.append(self.note)

    def close(self) -> None:
        """Close every widget of this row (the form is being replaced)."""
        for widget in self._owned:
            dispose(widget)

    # -- building ------------------------------------------------------------------------------

    def _make(self, coins: Sequence[Mapping[str, Any]] | None, extras: list[W.Widget]) -> Any:
        param, kind = self.param, self.kind
        if kind == "enum":
            default = param.label_for(param.default) if param.default is not None else None
            blank = _NOT_SET + (f": default {default}" if default else "")
            options: list[tuple[str, Any]] = [(blank, _UNSET)]
            options += [
                (f"{choice.label} ({choice.value})", choice.value) for choice in param.enum or ()
            ]
            return W.Dropdown(options=options, value=_UNSET)
        if kind == "datetime":
            return W.NaiveDatetimePicker(value=None)
        if kind == "integer":
            start = param.default if isinstance(param.default, int) else param.minimum
            box = W.IntText(value=int(start) if start is not None else 0)
            if not param.required or start is None:
                self.send = W.Checkbox(
                    value=False, description="send", indent=False, layout=W.Layout(width="5em")
                )
                extras.append(self.send)
                box.observe(self._tick, names="value")
            return box
        if kind in ("decimal", "number"):
            placeholder = "e.g. 1.5" if kind == "decimal" else "e.g. 0.5"
            return W.Text(value="", placeholder=placeholder, continuous_update=True)
        if kind == "json":
            placeholder = "{...}" if param.type == "json_object" else "[...]"
            area = W.Textarea(value="", placeholder=placeholder, rows=3, continuous_update=True)
            area.observe(self._check_json, names="value")
            if self._example not in (None, ""):
                button = W.Button(
                    description="Example", layout=W.Layout(width="auto", flex="0 0 auto")
                )
                button.tooltip = "Fill in the example body from the API documentation"
                button.on_click(lambda _b: self.set(self._example))
                extras.append(button)
            if param.name == "tokens":
                self.picker = W.SelectMultiple(
                    options=[pay.token_name for pay in registry().pay_currencies],
                    rows=4,
                    description="",
                    tooltip="Pick pay currencies instead of typing the JSON (Ctrl/Cmd-click)",
                    layout=W.Layout(width="20em", flex="0 0 auto"),
                )
                self.picker.observe(self._picked, names="value")
                # shown on a line of its own, under the editor (see __init__)
            return area
        if kind == "currency":
            coin_choices: list[tuple[str, Any]] = [(_NOT_SET, _UNSET)]
            coin_choices += currency_options(param, coins)
            return W.Dropdown(options=coin_choices, value=_UNSET)
        if kind == "chain":
            chains: list[tuple[str, Any]] = [(_NOT_SET, _UNSET), *chain_options(coins)]
            return W.Dropdown(options=chains, value=_UNSET)
        placeholder = {"url": "https://...", "email": "name@example.com"}.get(param.role or "", "")
        return W.Text(value="", placeholder=placeholder, continuous_update=True)

    def _picked(self, change: Mapping[str, Any]) -> None:
        chosen = list(change["new"])
        self.widget.value = json.dumps(chosen) if chosen else ""

    def _tick(self, change: Mapping[str, Any]) -> None:
        if self.send is not None:
            self.send.value = True

    def _check_json(self, change: Mapping[str, Any]) -> None:
        problem = check_json(str(change["new"]), self.param.type)
        if problem:
            self.note.value = f"<span style='color:#cf222e'>JSON: {html.escape(problem)}</span>"
        elif str(change["new"]).strip():
            self.note.value = "<span style='color:#1a7f37'>valid JSON</span>"
        else:
            self.note.value = ""

    # -- values --------------------------------------------------------------------------------

    def get(self) -> Any:
        """The value to validate and send, or ``None`` when the parameter is left out."""
        if self.send is not None and not self.send.value:
            return None
        value = self.widget.value
        if isinstance(value, str) and value == "":
            return None
        return value

    def set(self, value: Any) -> None:
        """Fill the editor from a Python value (``None`` clears it)."""
        param, kind = self.param, self.kind
        if kind == "datetime":
            self.widget.value = _to_naive_utc(value, param)
            return
        if kind == "integer":
            if value is None:
                if self.send is not None:
                    self.send.value = False
                return
            if isinstance(value, bool) or not isinstance(value, (int, str)):
                raise CregisValidationError(
                    f"parameter {param.name!r} takes a whole number, got {value!r}",
                    param=param.name,
                )
            text = str(value).strip()
            if not text.lstrip("-").isdigit():
                raise CregisValidationError(
                    f"parameter {param.name!r} takes a whole number, got {value!r}",
                    param=param.name,
                )
            self.widget.value = int(text)
            if self.send is not None:
                self.send.value = True
            return
        if kind in ("enum", "currency", "chain"):
            self._select(value)
            return
        if value is None:
            self.widget.value = ""
            return
        if kind == "decimal" and isinstance(value, float):
            raise CregisValidationError(
                f"parameter {param.name!r} is an amount and must be exact: pass "
                f"{str(value)!r} or Decimal({str(value)!r}), not a float",
                param=param.name,
            )
        if kind == "json" and not isinstance(value, str):
            value = json.dumps(value, ensure_ascii=False, default=_json_default)
        if isinstance(value, Decimal):
            value = format(value, "f")
        self.widget.value = str(value)

    def _select(self, value: Any) -> None:
        widget = self.widget
        if value is None or value == _UNSET:
            widget.value = _UNSET
            return
        values = [v for _, v in widget.options]
        if self.kind == "enum":
            param = self.param
            if isinstance(value, bool) and param.type == "bool_string":
                value = "true" if value else "false"
            for choice in param.enum or ():
                if value == choice.label or str(value) == str(choice.value):
                    widget.value = choice.value
                    return
            allowed = ", ".join(f"{c.value!r} ({c.label})" for c in param.enum or ())
            raise CregisValidationError(
                f"parameter {param.name!r} must be one of {allowed}; got {value!r}",
                param=param.name,
            )
        text = str(value)
        if text not in values:
            # a coin or chain the lists do not know: offer it rather than refuse it here
            widget.options = [*widget.options, (text, text)]
        widget.value = text

    def observe(self, callback: Callable[[Any], None]) -> None:
        """Call ``callback`` whenever the value (or the "send" box) changes."""
        self.widget.observe(callback, names="value")
        if self.send is not None:
            self.send.observe(callback, names="value")

    def mark(self, problem: str | None) -> None:
        """Show the label plainly, or in red with ``problem`` as its tooltip."""
        name = html.escape(self.param.name)
        star = " <b style='color:#cf222e' title='required'>*</b>" if self.param.required else ""
        if problem:
            self.label.value = (
                f"<span style='color:#cf222e' title='{html.escape(problem, quote=True)}'>"
                f"⚠ <code>{name}</code></span>{star}"
            )
        else:
            self.label.value = f"<code>{name}</code>{star}"


def dispose(widget: W.Widget) -> None:
    """Close a widget together with its layout and style (which ``close`` leaves open)."""
    for part in ("layout", "style"):
        inner = getattr(widget, part, None)
        if isinstance(inner, W.Widget):
            inner.close()
    widget.close()


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def build_fields(
    endpoint: Endpoint, coins: Sequence[Mapping[str, Any]] | None = None
) -> dict[str, ParamField]:
    """One :class:`ParamField` per documented business parameter of ``endpoint``, in order."""
    examples = endpoint.request_example
    return {
        param.name: ParamField(param, coins=coins, example=examples.get(param.name))
        for param in endpoint.params
    }
