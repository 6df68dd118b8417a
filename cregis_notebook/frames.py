"""Envelopes to typed DataFrames: one row per record of ``data``, exact dtypes from the registry.

:func:`to_frame` and :class:`FrameBuilder` are the one place where API answers become tables
(the fetch of :mod:`cregis_notebook.fetch` adds its pages to a builder as they arrive):

* a page gives one row per entry of ``rows``; a list one row per item; an object one row (the
  coins answer one row per coin, with a ``usage`` column); ``null`` data one row of nothing;
* nested objects become ``parent.child`` columns; lists of objects become indexed columns
  ``payment_detail.0.tx_id`` (or companion frames: :func:`to_frames`);
* ``code`` and ``msg`` of the envelope are columns on every row, and an error envelope is one
  row with its ``code`` and ``msg`` and empty data columns, so failures show in the table;
* every documented column is present even when no record has it (a stable schema), typed by
  the contract in :mod:`cregis_notebook._dtypes`.

Records become columns in :mod:`cregis_notebook._flatten`; this module turns answers into
records, keeps runs of them and puts the typed columns, ``code``/``msg`` and ``attrs`` together.

Export (:func:`~cregis_notebook.export.to_csv`, ``read_csv``, ``to_parquet``, ``read_parquet``)
lives in :mod:`cregis_notebook.export`, which builds on this module.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from . import _dtypes
from ._dtypes import Schema
from ._flatten import EMPTY, MISSING, flatten, merge_column, typed_columns
from ._values import exact_count
from .envelope import SUCCESS, Envelope
from .spec import Endpoint, Field, registry

__all__ = [
    "CregisDataWarning",
    "FrameBuilder",
    "frame_records",
    "record_schema",
    "to_frame",
    "to_frames",
]

CregisDataWarning = _dtypes.CregisDataWarning
ENVELOPE_COLUMNS = ("code", "msg")
_COIN_LISTS = ("payout_coins", "address_coins", "order_coins")


@dataclass
class _Answer:
    code: str
    msg: str
    data: Any
    endpoint: str | None


def _answers(envelopes: Any) -> list[_Answer]:
    if isinstance(envelopes, (Envelope, Mapping)):
        envelopes = [envelopes]
    out: list[_Answer] = []
    for env in envelopes:
        if isinstance(env, Envelope):
            out.append(_Answer(env.code, env.msg, env.data, env.endpoint))
        elif isinstance(env, Mapping):
            if "code" not in env:
                raise TypeError("a parsed envelope must be a dict with 'code', 'msg' and 'data'")
            code = env["code"]
            msg = env.get("msg")
            out.append(_Answer(str(code), "" if msg is None else str(msg), env.get("data"), None))
        else:
            raise TypeError(f"not an envelope: {type(env).__name__}")
    return out


def _resolve(endpoint: str | Endpoint | None, answers: Sequence[_Answer]) -> Endpoint | None:
    if isinstance(endpoint, Endpoint):
        return endpoint
    name = endpoint or next((a.endpoint for a in answers if a.endpoint), None)
    if name is None:
        return None
    found = registry().get_endpoint(name)
    if found is None and endpoint is not None:
        return registry().endpoint(endpoint)  # raises UnknownEndpoint with suggestions
    return found


def _kind_of(data: Any) -> str:
    if data is None:
        return "null"
    if isinstance(data, list):
        return "list"
    if isinstance(data, Mapping) and "rows" in data and "total" in data:
        return "page"
    return "object"


def _is_coins(ep: Endpoint | None) -> bool:
    return ep is not None and ep.name == "project_coins"


def frame_records(data: Any, endpoint: Endpoint | None = None) -> list[Mapping[str, Any]]:
    """The records of one envelope's ``data``: page rows, list items, the object, or coins."""
    return _as_records(_raw_records(data, endpoint))


def _raw_records(data: Any, endpoint: Endpoint | None) -> list[Any]:
    """:func:`frame_records` without the check that every record is a dict (done once later)."""
    records = _data_records(data, endpoint)
    aliases = _aliases(endpoint)
    return _unaliased(records, endpoint, aliases) if aliases and records else records


def _aliases(ep: Endpoint | None) -> tuple[tuple[str, str], ...]:
    """``(alias, field)`` of the top-level fields that another key may carry (``alias_of``)."""
    if ep is None:
        return ()
    return tuple((f.name, f.alias_of) for f in ep.response_fields if f.alias_of is not None)


def _unaliased(
    records: list[Any], ep: Endpoint | None, aliases: tuple[tuple[str, str], ...]
) -> list[Any]:
    """Records with each alias key read into its field: one column, whichever key came.

    When a record carries both keys with different values, both are kept (the alias as its own
    column) and a :class:`CregisDataWarning` says so: neither is silently preferred.
    """
    out: list[Any] = []
    for record in records:
        if not isinstance(record, Mapping) or not any(a in record for a, _ in aliases):
            out.append(record)
            continue
        record = dict(record)
        for alias, name in aliases:
            if alias not in record:
                continue
            if record.get(name) is None:
                record[name] = record.pop(alias)
            elif str(record[name]) == str(record[alias]):
                del record[alias]
            else:
                where = ep.name if ep is not None else "a record"
                warnings.warn(
                    f"{where}: {name} {record[name]!r} and {alias} {record[alias]!r} disagree "
                    f"in one row; both columns are kept",
                    CregisDataWarning,
                    stacklevel=2,
                )
        out.append(record)
    return out


def _data_records(data: Any, endpoint: Endpoint | None) -> list[Any]:
    """The raw records of ``data``, as the answer holds them."""
    if data is None:
        return []
    if _is_coins(endpoint) and isinstance(data, Mapping):
        records: list[Mapping[str, Any]] = []
        lists = [k for k in data if isinstance(data[k], list)]
        for key in sorted(
            lists,
            key=lambda k: (k not in _COIN_LISTS, _COIN_LISTS.index(k) if k in _COIN_LISTS else 0),
        ):
            usage = key[: -len("_coins")] if key.endswith("_coins") else key
            for coin in data[key]:
                records.append(
                    {"usage": usage, **coin}
                    if isinstance(coin, Mapping)
                    else {"usage": usage, "value": coin}
                )
        return records
    kind = endpoint.data_kind if endpoint is not None else _kind_of(data)
    if kind == "page" and isinstance(data, Mapping):
        rows = data.get("rows") or []
        return rows if isinstance(rows, list) else [rows]
    if isinstance(data, list):
        return data
    if isinstance(data, Mapping):
        return [data]
    return [{"value": data}]


def _as_records(items: list[Any]) -> list[Mapping[str, Any]]:
    if set(map(type, items)) <= {dict}:
        return items  # the usual case: parsed JSON objects, used as they are
    return [r if isinstance(r, dict) else _record(r) for r in items]


def _record(item: Any) -> dict[str, Any]:
    return dict(item) if isinstance(item, Mapping) else {"value": item}


def record_schema(ep: Endpoint | None) -> Schema:
    """The documented fields of ``ep``'s records by column name: what types a frame's columns."""
    return _schema(ep)


def _schema(ep: Endpoint | None) -> Schema:
    if ep is None:
        return Schema({})
    if _is_coins(ep):
        fields: dict[str, Field] = {"usage": Field("usage", "string")}
        for f in ep.response_fields:
            if "[]." in f.name:
                child = f.name.split("[].", 1)[1]
                fields.setdefault(child, Field(child, f.type, f.unit, f.description, f.enum, True))
        return Schema(fields)
    return Schema.of([f for f in ep.response_fields if f.alias_of is None])


def _repeat_or_take(values: list[str], owners: np.ndarray) -> Any:
    if len(set(values)) == 1:  # the usual case: one code and msg for every page
        return _dtypes.string_array(pa.repeat(pa.scalar(values[0], pa.string()), len(owners)))
    return _dtypes.string_array(pa.array(values, type=pa.string()).take(pa.array(owners)))


def _envelope_columns(answers: Sequence[_Answer], owners: np.ndarray) -> dict[str, Any]:
    if not answers:
        return {"code": _dtypes.as_string([]), "msg": _dtypes.as_string([])}
    return {
        "code": _repeat_or_take([a.code for a in answers], owners),
        "msg": _repeat_or_take([a.msg for a in answers], owners),
    }


@dataclass
class _Flat:
    """The flattened, not yet typed columns of a run of answers: the first half of a frame.

    :class:`FrameBuilder` flattens runs of answers (:func:`_flatten_answers`), joins the runs
    with :func:`_merge` and types everything once (:func:`_typed_frame`).
    """

    answers: list[_Answer]
    counts: np.ndarray  # records of each answer
    columns: dict[str, Any]  # name -> pa.ChunkedArray | Decimals | list of raw values
    lists: dict[str, list[Any]]  # nested lists of objects, for companion frames

    @property
    def rows(self) -> int:
        return int(self.counts.sum())


def _flatten_answers(answers: Sequence[_Answer], ep: Endpoint | None, *, explode: bool) -> _Flat:
    records: list[Mapping[str, Any]] = []
    counts = np.zeros(len(answers), dtype=np.int64)
    for i, a in enumerate(answers):
        if a.code != SUCCESS:
            recs: list[Mapping[str, Any]] = [EMPTY]
        else:
            recs = _raw_records(a.data, ep)
            if not recs and ((ep is not None and ep.data_kind == "null") or a.data is None):
                recs = [EMPTY]
        counts[i] = len(recs)
        records.extend(recs)
    records = _as_records(records)
    schema = _schema(ep)
    columns: dict[str, Any] = {}
    lists: dict[str, list[Any]] = {}
    if records:
        flatten(records, schema, "", columns, explode, lists)
    else:
        for key in schema.children(""):
            f = schema.field(key)
            if f is None or f.type not in ("object", "array"):
                columns[key] = []
    clashes = [c for c in ENVELOPE_COLUMNS if c in columns]
    for c in clashes:
        columns["data." + c] = columns.pop(c)
    return _Flat(list(answers), counts, columns, lists)


def _merge(parts: Sequence[_Flat]) -> _Flat | None:
    """The parts as one run, or ``None`` when their columns differ (then flatten them together).

    A column joins as Arrow when every part holds it as Arrow of one type, as Decimals when
    every part parsed it already, and as raw values otherwise (what flattening all the records
    at once would have found). Decimals beside raw values are not joined: the raw text is gone.
    """
    if not parts:
        return None
    first = parts[0]
    names, nested = list(first.columns), list(first.lists)
    if any(list(p.columns) != names or list(p.lists) != nested for p in parts[1:]):
        return None
    columns: dict[str, Any] = {}
    for name in names:
        joined = merge_column([p.columns[name] for p in parts])
        if joined is MISSING:
            return None
        columns[name] = joined
    return _Flat(
        [a for p in parts for a in p.answers],
        np.concatenate([p.counts for p in parts]),
        columns,
        {k: list(chain.from_iterable(p.lists[k] for p in parts)) for k in nested},
    )


def _typed_frame(flat: _Flat, ep: Endpoint | None, *, labels: bool) -> pd.DataFrame:
    """The second half of a frame: every column typed, ``code`` and ``msg`` added, attrs set."""
    typed = typed_columns(flat.columns, _schema(ep), labels)
    owners = np.repeat(np.arange(len(flat.answers), dtype=np.int64), flat.counts)
    typed.update(_envelope_columns(flat.answers, owners))
    frame = pd.DataFrame(typed, copy=False) if typed else pd.DataFrame(index=range(flat.rows))
    frame.attrs.update(_attrs(flat.answers, ep))
    return frame


def _attrs(answers: Sequence[_Answer], ep: Endpoint | None) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    if ep is not None:
        attrs["endpoint"] = ep.name
        attrs["path"] = ep.path
    pages = [
        a.data
        for a in answers
        if a.code == SUCCESS and isinstance(a.data, Mapping) and "rows" in a.data
    ]
    if pages:
        # a total that is missing, null or not a whole number >= 0 is unknown (None), never a crash
        totals = [t for t in (exact_count(p.get("total")) for p in pages) if t is not None]
        attrs["total"] = max(totals) if totals else None
        attrs["pages"] = len(pages)
    errors = sum(a.code != SUCCESS for a in answers)
    if errors:
        attrs["errors"] = errors
    return attrs


class FrameBuilder:
    """Answers in, one typed frame out: the one way envelopes become a DataFrame.

    ``add`` / ``extend`` keep answers for later; ``add_run`` flattens a run of answers at once
    (a fetch does this while other pages are still in flight, so little is left for the end);
    ``finish`` joins the runs and the kept answers, in the order they were added, and types
    every column once. ``finish`` does not consume anything: more answers may follow and a
    later ``finish`` includes them; ``copy`` gives an independent builder of the same answers.

    ``endpoint`` (a registry name, alias, path or :class:`Endpoint`) types the columns; without
    it the endpoint is taken from the first answer that names one (an :class:`Envelope`).
    ``labels=False`` leaves out the ``*_label`` columns of enums; ``explode=False`` keeps
    nested lists of objects out of the frame (they are in :attr:`lists` after ``finish``).
    """

    def __init__(
        self, endpoint: str | Endpoint | None = None, *, labels: bool = True, explode: bool = True
    ) -> None:
        self._named = endpoint
        self.endpoint: Endpoint | None = endpoint if isinstance(endpoint, Endpoint) else None
        self.labels = labels
        self.explode = explode
        self._runs: list[_Flat] = []
        self._pending: list[_Answer] = []
        self.lists: dict[str, list[Any]] = {}

    def _resolved(self, answers: Sequence[_Answer]) -> Endpoint | None:
        if self.endpoint is None and (self._named is not None or answers):
            self.endpoint = _resolve(self._named, answers)
        return self.endpoint

    def add(self, envelope: Envelope | Mapping[str, Any]) -> FrameBuilder:
        """Keep one answer (an :class:`Envelope` or a parsed ``{"code", "msg", "data"}``)."""
        return self.extend([envelope])

    def extend(self, envelopes: Iterable[Envelope | Mapping[str, Any]]) -> FrameBuilder:
        """Keep several answers, in order."""
        answers = _answers(envelopes)
        self._resolved(answers)
        self._pending.extend(answers)
        return self

    def add_run(self, envelopes: Iterable[Envelope | Mapping[str, Any]]) -> FrameBuilder:
        """Flatten a run of answers now (after the answers kept so far)."""
        self.extend(envelopes)
        self._flush()
        return self

    def _flush(self) -> None:
        if self._pending:
            self._runs.append(self._flat(self._pending))
            self._pending = []

    def _flat(self, answers: Sequence[_Answer]) -> _Flat:
        return _flatten_answers(answers, self._resolved(answers), explode=self.explode)

    @property
    def answers(self) -> int:
        """How many answers were added."""
        return sum(len(r.answers) for r in self._runs) + len(self._pending)

    def copy(self) -> FrameBuilder:
        """An independent builder holding the same answers (runs are shared, never changed)."""
        twin = FrameBuilder(self._named, labels=self.labels, explode=self.explode)
        twin.endpoint = self.endpoint
        twin._runs = list(self._runs)
        twin._pending = list(self._pending)
        return twin

    def finish(self) -> pd.DataFrame:
        """The typed frame of every answer added so far (``code``/``msg`` columns, attrs)."""
        parts = [*self._runs, self._flat(self._pending)] if self._pending else list(self._runs)
        merged = _merge(parts) if parts else self._flat([])
        if merged is None:  # the runs disagree (an undocumented key in some): all at once
            merged = self._flat([a for p in parts for a in p.answers])
        if len(parts) > 1:
            self._runs, self._pending = [merged], []  # joined once, not again at the next finish
        self.lists = merged.lists
        return _typed_frame(merged, self.endpoint, labels=self.labels)


def to_frame(
    envelopes: Envelope | Mapping[str, Any] | Iterable[Envelope | Mapping[str, Any]],
    endpoint: str | Endpoint | None = None,
    *,
    labels: bool = True,
) -> pd.DataFrame:
    """One typed row per record of ``data``, with the envelope's ``code`` and ``msg`` on each.

    ``envelopes`` is an :class:`Envelope`, a parsed envelope dict, or an iterable of them;
    ``endpoint`` (a registry name, alias or path) types the columns; by default it is taken
    from the envelopes. ``labels=False`` leaves out the ``*_label`` columns of enums.
    """
    return FrameBuilder(endpoint, labels=labels).extend(_iterable(envelopes)).finish()


def _iterable(
    envelopes: Envelope | Mapping[str, Any] | Iterable[Envelope | Mapping[str, Any]],
) -> Iterable[Envelope | Mapping[str, Any]]:
    return [envelopes] if isinstance(envelopes, (Envelope, Mapping)) else envelopes


def _parent_key(ep: Endpoint | None, frame: pd.DataFrame) -> list[str]:
    if ep is not None and ep.row_key:
        return [k for k in ep.row_key if k in frame.columns]
    for candidate in ("cregis_id", "cid", "id", "order_id", "address"):
        if candidate in frame.columns:
            return [candidate]
    return []


def to_frames(
    envelopes: Envelope | Mapping[str, Any] | Iterable[Envelope | Mapping[str, Any]],
    endpoint: str | Endpoint | None = None,
    *,
    labels: bool = True,
) -> dict[str, pd.DataFrame]:
    """The main frame plus one companion frame per nested list of objects.

    Returns ``{"main": ..., "payment_info": ..., "payment_detail": ...}`` (keys are the list
    fields' dotted names). The main frame has no indexed list columns; each companion frame has
    one row per list element, keyed by the parent's id columns (e.g. ``cregis_id``) and a
    ``<list>.index`` column, typed by the same contract.
    """
    builder = FrameBuilder(endpoint, labels=labels, explode=False).extend(_iterable(envelopes))
    main = builder.finish()
    ep, lists = builder.endpoint, builder.lists
    frames = {"main": main}
    key = _parent_key(ep, main)
    schema = _schema(ep)
    for name, items in lists.items():
        if "." in name and name.split(".", 1)[0] in lists:
            continue  # a list inside a list element: not flattened further
        parent_rows: list[int] = []
        positions: list[int] = []
        children: list[Mapping[str, Any]] = []
        for row, value in enumerate(items):
            for pos, element in enumerate(value or ()):
                parent_rows.append(row)
                positions.append(pos)
                children.append(element if isinstance(element, Mapping) else {"value": element})
        columns: dict[str, list[Any]] = {}
        nested: dict[str, list[Any]] = {}
        sub = Schema(
            {
                f[len(name) + 3 :]: field
                for f, field in schema.fields.items()
                if f.startswith(name + "[].")
            }
        )
        if children:
            flatten(children, sub, "", columns, True, nested)
        else:
            columns = {k: [] for k in sub.children("")}
        typed = typed_columns(columns, sub, labels)
        take = np.asarray(parent_rows, dtype=np.int64)
        head = {k: main[k].take(take).reset_index(drop=True).array for k in key}
        head[name + ".index"] = pd.array(positions, dtype=_dtypes.INT)
        child = pd.DataFrame({**head, **typed}, copy=False)
        child.attrs.update({**main.attrs, "list": name})
        frames[name] = child
    return frames
