"""Records to columns: what :mod:`cregis_notebook.frames` builds its frames from.

:func:`flatten` turns a list of JSON records into columns: nested objects become
``parent.child`` columns, lists of objects indexed columns (or companion lists), and many flat
records take a fast path where Arrow converts the scalar columns in one pass and one count
proves nothing was missed. :func:`typed_columns` types them by the dtype contract
(:mod:`cregis_notebook._dtypes`), adding enum labels and the parts of a ``currency``;
:func:`merge_column` joins the same column of two runs of records.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from itertools import chain, repeat
from operator import itemgetter
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import _dtypes
from ._dtypes import LABEL_SUFFIX, Schema, convert, labels_for, wants_label, wire_type
from .spec import Field

__all__ = ["EMPTY", "MISSING", "flatten", "merge_column", "typed_columns"]

EMPTY: Mapping[str, Any] = {}
"""The record of an answer without one (an error envelope, ``null`` data)."""
MISSING: Any = object()
"""Not found (a column that two runs cannot join)."""


def _extract(records: Sequence[Mapping[str, Any]], key: str) -> list[Any]:
    return list(map(dict.get, records, repeat(key)))  # type: ignore[arg-type]


def _keys(records: Sequence[Mapping[str, Any]], documented: list[str]) -> list[str]:
    seen = dict.fromkeys(documented)
    seen.update(dict.fromkeys(chain.from_iterable(records)))
    return list(seen)


def _kinds(values: Sequence[Any]) -> set[type]:
    """The value types of a column, with dict and list subclasses counted as dict and list."""
    kinds = set(map(type, values))
    for k in list(kinds):
        if k not in (dict, list) and issubclass(k, (dict, list)):
            kinds.add(dict if issubclass(k, dict) else list)
    return kinds


def _as_dicts(values: Sequence[Any]) -> tuple[list[Mapping[str, Any]], bool]:
    """Values as dicts (missing -> empty) and whether anything else than dicts/None was seen."""
    other = False
    out: list[Mapping[str, Any]] = []
    for v in values:
        if isinstance(v, dict):
            out.append(v)
        else:
            out.append(EMPTY)
            other = other or v is not None
    return out, other


_SAMPLE = 32
"""Records from each end whose value types choose the Arrow types (fewer than twice as many
records take the Python path: setting Arrow up would cost more than it saves)."""
_CHUNK = 65_536
_STRUCT_SKIP: tuple[str, ...] = ("object", "array", "decimal")


def _only_ints(records: Sequence[Mapping[str, Any]], keys: list[str]) -> bool:
    """Whether every value of ``keys`` is an int or missing (one pass over the records).

    Arrow truncates a float or a Decimal it is told is an int64 (1.9 -> 1), so this is checked
    before a column is declared int64 (see :func:`_struct_columns`).
    """
    if not keys:
        return True
    try:  # KeyError when a record lacks a key
        if len(keys) == 1:
            values: Iterable[Any] = map(itemgetter(keys[0]), records)
        else:  # a tuple of the keys' values per record
            values = chain.from_iterable(map(itemgetter(*keys), records))
        return set(map(type, values)) <= {int}
    except KeyError:
        found = set(chain.from_iterable(map(type, _extract(records, k)) for k in keys))
        return found <= {int, type(None)}


_FLOAT_EXACT = 2**53
"""Every integer up to this size is a float64 exactly; Arrow refuses to read a bigger one as one."""


def _converted(
    records: Sequence[Mapping[str, Any]], fields: list[tuple[str, pa.DataType]]
) -> list[pa.StructArray] | None:
    """The records as Arrow structs of ``fields`` (in chunks), or ``None`` when one does not fit."""
    typ = pa.struct(fields)
    chunks: list[pa.StructArray] = []
    try:  # in chunks: small builders grow without big copies
        for start in range(0, len(records), _CHUNK):
            part = pa.array(records[start : start + _CHUNK], type=typ)
            chunks.extend(part.chunks if isinstance(part, pa.ChunkedArray) else [part])
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, UnicodeEncodeError):
        return None
    return chunks


def _whole_numbers(
    records: Sequence[Mapping[str, Any]], key: str, column: pa.ChunkedArray, twin: bool
) -> pa.ChunkedArray | None:
    """int64 of an int column Arrow read as float64, or ``None`` when a value was not an int.

    Reading into float64, Arrow keeps an int exactly (or refuses it beyond 2**53 or when it is a
    Decimal) and keeps a float as it is: a safe cast to int64 then refuses 1.9, NaN and inf. A
    bool reads as 0.0 or 1.0: a ``twin`` read as int64 in the same pass refused bools already;
    without one, a column holding 0 or 1 has its value types looked at.
    """
    try:
        ints = pc.cast(column, pa.int64())
    except pa.ArrowInvalid:
        return None
    if twin:
        return ints
    zero_or_one = pc.less_equal(pc.cast(ints, pa.uint64(), safe=False), 1)  # -1: 2**64 - 1
    if pc.any(zero_or_one).as_py() and not _only_ints(records, [key]):
        return None
    return ints


def _struct_columns(
    records: Sequence[Mapping[str, Any]],
    keys: list[str],
    sample: Sequence[Mapping[str, Any]],
    schema: Schema,
    prefix: str,
) -> dict[str, pa.ChunkedArray]:
    """Scalar columns converted by Arrow in one pass over the records (the fast path).

    A key is taken when its sampled values are all one JSON scalar type and its field is not
    an object or list; when a later record disagrees, Arrow refuses and the Python path takes
    every column. Int columns are read as float64 and checked by :func:`_whole_numbers`, with
    no pass of their own (one whose sample holds 0 or 1 also as an int64 twin, which refuses
    bools); an int column with a sampled value beyond 2**53 is read as int64 after
    :func:`_only_ints`, and so is every int column when float64 was refused.
    """
    fields: list[tuple[str, pa.DataType]] = []
    for key in keys:
        field = schema.field(prefix + key)
        if field is not None and field.type in _STRUCT_SKIP:
            continue  # decimals: the Python text objects are parsed as they are
        types = {wire_type(r[key]) for r in sample if r.get(key) is not None}
        if len(types) == 1 and None not in types:
            fields.append((key, types.pop()))
    ints = [key for key, typ in fields if typ == pa.int64()]
    sampled = {k: [v for v in (r.get(k) for r in sample) if type(v) is int] for k in ints}
    wide = {k for k in ints if any(abs(v) > _FLOAT_EXACT for v in sampled[k])}
    bits = {k for k in ints if 0 in sampled[k] or 1 in sampled[k]}  # where a bool would hide
    chunks = None
    for as_int64 in (wide, set(ints)):
        guarded = [k for k in ints if k in as_int64]
        if not _only_ints(records, guarded):
            fields = [(key, typ) for key, typ in fields if key not in guarded]
        floats = {k for k, _ in fields if k in ints and k not in as_int64}
        declared = [(k, pa.float64() if k in floats else t) for k, t in fields]
        twins = [(k, pa.int64()) for k, _ in declared if k in floats and k in bits]
        if declared:  # twins last: int64 refuses a bool, which float64 reads as 0.0 or 1.0
            chunks = _converted(records, declared + twins)
        if chunks is not None or len(as_int64) == len(ints):
            break
    out: dict[str, Any] = {}
    if chunks is None:
        return out
    twinned = {k for k, _ in twins}
    for i, (key, t) in enumerate(declared):
        column = pa.chunked_array([c.field(i) for c in chunks], type=t)
        if key in floats:  # an int column: the Python path reads it when not whole
            whole = _whole_numbers(records, key, column, key in twinned)
            if whole is not None:
                out[key] = whole
        else:
            out[key] = column
    return out


class _Ready(np.ndarray):
    """A column already typed by the fast path (an object array of Decimals)."""


_BLOCK = 2_048
"""Records whose decimal texts are checked and parsed together, while they are in the cache."""


def _decimals_in_one_pass(records: Sequence[Mapping[str, Any]], key: str) -> Any:
    """Decimals of ``key`` when every record has it as plain text, else ``None``.

    ``Decimal`` also reads ``"1_000"`` and other scripts' digits, which the value contract
    refuses: each block's texts, joined, must be ASCII without ``_``. (``Decimal`` strips the
    spaces around a number, as the value contract does.)
    """
    get = itemgetter(key)
    parsed: list[Decimal] = []
    try:  # KeyError when a record lacks the key; TypeError when a value is not text
        for start in range(0, len(records), _BLOCK):
            texts = list(map(get, records[start : start + _BLOCK]))
            joined = "".join(texts)
            if not joined.isascii() or "_" in joined:
                return None
            parsed.extend(map(Decimal, texts))
    except (KeyError, TypeError, ValueError, InvalidOperation):
        return None
    if not all(map(Decimal.is_finite, parsed)):
        return None
    out = np.empty(len(parsed), dtype=object)
    out[:] = parsed
    return out.view(_Ready)


def _fast_columns(
    records: Sequence[Mapping[str, Any]], documented: list[str], schema: Schema, prefix: str
) -> tuple[list[str], dict[str, Any]] | None:
    """The keys and columns of many flat records, without visiting every key of every record.

    Keys come from the registry and a sample; Arrow converts the scalar ones; then one count
    proves nothing was missed: the keys of all records (``sum(map(len, records))``) must equal
    the non-null values found. Otherwise ``None``: the caller discovers keys the slow way.
    """
    n = len(records)
    if n < 2 * _SAMPLE or not set(map(type, records)) <= {dict}:
        return None
    sample = list(records[:_SAMPLE]) + list(records[-_SAMPLE:])
    keys = list(dict.fromkeys(documented) | dict.fromkeys(chain.from_iterable(sample)))
    columns: dict[str, Any] = _struct_columns(records, keys, sample, schema, prefix)
    if not columns:
        return None
    counted = sum(n - col.null_count for col in columns.values())
    seen = set(chain.from_iterable(sample))
    for key in keys:
        if key in columns:
            continue
        field = schema.field(prefix + key)
        if key in seen and field is not None and field.type == "decimal":
            ready = _decimals_in_one_pass(records, key)
            if ready is not None:  # present in every record, plain text: parsed already
                columns[key] = ready
                counted += n
                continue
        if key in seen:  # decimals, objects, lists, mixed: the Python path below
            values = _extract(records, key)
            columns[key] = values
            counted += n - values.count(None)
        else:
            columns[key] = None  # documented, absent from the sample: verified absent below
    if sum(map(len, records)) != counted:
        return None  # an undocumented key, or explicit nulls: look at every record
    return keys, columns


_NULLS = {kind: pa.int64() for kind in ("int", "enum_int", "timestamp")} | {
    kind: pa.string() for kind in ("string", "enum_string", "currency")
}
"""The Arrow type of a column of nulls that types as the Python path types ``None`` values."""


def _absent(field: Field | None, n: int) -> Any:
    """The values of a column no record holds: nulls made by Arrow at once, or ``None`` values."""
    typ = _NULLS.get(field.type) if field is not None else None
    return [None] * n if typ is None else pa.chunked_array([pa.nulls(n, typ)])


def flatten(
    records: Sequence[Mapping[str, Any]],
    schema: Schema,
    prefix: str,
    out: dict[str, Any],
    explode: bool,
    lists: dict[str, list[Any]],
) -> None:
    """Add the columns of ``records`` to ``out`` (names under ``prefix``), nested ones too.

    Lists of objects are kept in ``lists`` by name, and also exploded into indexed columns
    when ``explode``.
    """
    documented = schema.children(prefix)
    found = _fast_columns(records, documented, schema, prefix)
    known: dict[str, Any]
    if found is None:
        keys, known = _keys(records, documented), {}
    else:
        keys, known = found
    for key in keys:
        name = prefix + key
        values = known.get(key, MISSING)
        field = schema.field(name)
        if values is None:  # documented, held by no record
            values = _absent(field, len(records))
        if isinstance(values, pa.ChunkedArray):
            out[name] = values
            continue
        if values is MISSING:
            values = _extract(records, key)
        kinds = _kinds(values) if field is None or field.type in ("object", "array") else None
        documented_object = field is not None and field.type == "object"
        if (
            kinds is not None
            and (dict in kinds or documented_object)
            and (field is None or documented_object)
        ):
            dicts, other = _as_dicts(values)
            if other:  # a mix of objects and scalars: keep the raw values too
                out[name] = values
            flatten(dicts, schema, name + ".", out, explode, lists)
        elif kinds is not None and (list in kinds or (field is not None and field.type == "array")):
            items = [v if isinstance(v, list) else None for v in values]
            element_dicts = any(isinstance(e, dict) for v in items if v for e in v) or bool(
                schema.children(name + ".0")
            )
            if not element_dicts:
                out[name] = values
                continue
            lists[name] = items
            if not explode:
                continue
            width = max((len(v) for v in items if v), default=0)
            for i in range(width):
                column = [v[i] if v is not None and len(v) > i else None for v in items]
                dicts, _ = _as_dicts(column)
                flatten(dicts, schema, f"{name}.{i}.", out, explode, lists)
        else:
            out[name] = values


def typed_columns(columns: Mapping[str, list[Any]], schema: Schema, labels: bool) -> dict[str, Any]:
    """Each column typed by its field; enum labels and a currency's chain and token added."""
    typed: dict[str, Any] = {}
    names = set(columns)
    for name, values in columns.items():
        field = schema.field(name)
        if isinstance(values, _Ready):
            typed[name] = values.view(np.ndarray)
        else:
            typed[name] = convert(values, field, name)
        if labels and wants_label(field) and field is not None and field.enum:
            label = name + LABEL_SUFFIX
            if label not in names:
                typed[label] = labels_for(typed[name], field.enum)
        if field is not None and field.type == "currency" and name.rsplit(".", 1)[-1] == "currency":
            base = name[: -len("currency")]
            chain_col, token_col = base + "chain_id", base + "token_id"
            if not schema.has(chain_col) and chain_col not in names:
                chains, tokens = _split_currency(typed[name])
                typed[chain_col] = chains
                typed[token_col] = tokens
    return typed


def _split_currency(values: Any) -> tuple[Any, Any]:
    texts = pd.Series(values, dtype=object).where(pd.notna(values), None)
    try:
        arr = pa.array(texts, type=pa.string())
    except UnicodeEncodeError:  # text that is not Unicode (warned about): no parts to tell
        arr = pa.array([None] * len(texts), type=pa.string())
    has_at = pa.compute.match_substring(arr, "@")
    parts = pa.compute.split_pattern(arr, "@", max_splits=1)
    first = pa.compute.list_element(pa.compute.if_else(has_at, parts, None), 0)
    second = pa.compute.list_element(pa.compute.if_else(has_at, parts, None), 1)
    return _dtypes.string_array(first), _dtypes.string_array(second)


def merge_column(values: list[Any]) -> Any:
    """One column of several runs joined (Arrow, Decimals or raw values), or :data:`MISSING`."""
    if len(values) == 1:
        return values[0]
    ready = [isinstance(v, _Ready) for v in values]
    if all(ready):
        return np.concatenate(values).view(_Ready)
    if any(ready):
        return MISSING
    types = {v.type for v in values if isinstance(v, pa.ChunkedArray)}
    if len(types) == 1 and all(isinstance(v, pa.ChunkedArray) for v in values):
        whole = pa.chunked_array([c for v in values for c in v.chunks], type=types.pop())
        return pa.chunked_array([whole.combine_chunks()])
    return list(
        chain.from_iterable(v.to_pylist() if isinstance(v, pa.ChunkedArray) else v for v in values)
    )
