"""The dtype contract: how every value of a Cregis record becomes a typed pandas column.

One module decides it, from the registry's field types, units and enums:

============== ==================================================================================
registry type  column
============== ==================================================================================
``int``        ``Int64`` (nullable, exact; digit strings accepted; never float)
``decimal``    ``object`` holding :class:`decimal.Decimal` (exact; ``None`` when missing)
``timestamp``  ``datetime64[ms, UTC]`` from epoch seconds or milliseconds (the field's unit)
``enum_int``   ``Int64`` raw value, plus ``<name>_label``: a ``category`` of readable labels
``enum_string````string`` raw value, plus ``<name>_label`` only when a label differs from its value
``currency``   ``string``; a ``currency`` ``chain@token`` with no documented ``chain_id`` beside it
               also gets ``chain_id`` / ``token_id`` columns
``bool``       ``boolean`` (nullable)
``string``     ``string`` (``string[pyarrow]``; ``""`` stays ``""``, missing is ``<NA>``)
(undocumented) inferred conservatively: all ints -> ``Int64``, all bools -> ``boolean``, all
               floats -> ``Float64``, anything with text -> ``string``, mixed -> ``object``
============== ==================================================================================

A value that does not fit its documented type is never dropped, rounded or wrapped: the column
falls back to ``string`` (or ``object``) and a :class:`CregisDataWarning` says which column and
why. What fits is decided by the value contract (:mod:`cregis_notebook._values`): whole numbers
for integers (``1.9`` does not fit), ASCII number text for decimals, epoch times within the
years 1 to 9999 read by its seconds-or-milliseconds rule. The vectorised paths here apply the
same rules to whole columns.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ._values import (
    EPOCH_MS_MAX,
    EPOCH_MS_MIN,
    NUMBER_TEXT,
    dumps_exact,
    epoch_unit,
    exact_decimal,
    exact_int,
)
from .errors import CregisDataWarning, UnfitValue
from .spec import EnumValue, Field

__all__ = [
    "BOOL",
    "DECIMAL",
    "FLOAT",
    "INT",
    "LABEL_SUFFIX",
    "STRING",
    "TIME",
    "CregisDataWarning",
    "Schema",
    "convert",
    "dtype_name",
    "field_pattern",
    "int64_array",
    "string_array",
]

STRING = pd.StringDtype("pyarrow")
INT = pd.Int64Dtype()
BOOL = pd.BooleanDtype()
FLOAT = pd.Float64Dtype()
TIME = pd.DatetimeTZDtype(unit="ms", tz="UTC")
DECIMAL = np.dtype(object)
LABEL_SUFFIX = "_label"

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_NAT = np.iinfo(np.int64).min
_ARROW = (pa.Array, pa.ChunkedArray)


def field_pattern(column: str) -> str:
    """The registry name of a flattened column: ``payment_detail.0.tx_id`` -> ``a[].tx_id``.

    (``payment_detail.0.tx_id`` gives ``payment_detail[].tx_id``.)
    """
    parts = column.split(".")
    out: list[str] = []
    for part in parts:
        if part.isdigit() and out:
            out[-1] += "[]"
        else:
            out.append(part)
    return ".".join(out)


@dataclass(frozen=True)
class Schema:
    """The documented fields of one record kind, by registry name (``a.b``, ``a[].b``)."""

    fields: Mapping[str, Field]

    @classmethod
    def of(cls, fields: Iterable[Field]) -> Schema:
        return cls({f.name: f for f in fields})

    def field(self, column: str) -> Field | None:
        """The documented field behind a flattened column name, if any."""
        f = self.fields.get(column)
        if f is None and "." in column:
            f = self.fields.get(field_pattern(column))
        return f

    def children(self, prefix: str) -> list[str]:
        """Documented direct children of ``prefix`` ("" for the record itself), in order."""
        prefix = prefix.rstrip(".")
        pat = field_pattern(prefix) if prefix else ""
        start = pat + "." if pat else ""
        names: list[str] = []
        for name in self.fields:
            if not name.startswith(start):
                continue
            rest = name[len(start) :]
            if rest and "." not in rest and "[]" not in rest:
                names.append(rest)
            elif rest.endswith("[]") and "." not in rest:
                names.append(rest[:-2])
        return list(dict.fromkeys(names))

    def has(self, column: str) -> bool:
        return self.field(column) is not None


# -- converters: a list of JSON values -> a pandas array ------------------------------------------


def _warn(column: str, problem: str) -> None:
    warnings.warn(f"column {column!r}: {problem}", CregisDataWarning, stacklevel=4)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return dumps_exact(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Decimal) and value.is_finite():
        return format(value, "f")
    return str(value)


def as_string(values: Sequence[Any], column: str = "") -> Any:
    """``string[pyarrow]``; non-text values become their JSON text (``True`` -> ``"true"``).

    Text Arrow cannot hold (a lone surrogate such as ``"\\ud800"``, which JSON can escape) keeps
    the column as ``object`` holding the Python strings, with a warning.
    """
    try:
        try:
            arr = pa.array(values, type=pa.string())
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            arr = pa.array([None if v is None else _text(v) for v in values], type=pa.string())
    except UnicodeEncodeError:
        _warn(column, "holds text that is not valid Unicode (a lone surrogate); kept as object")
        # a Series: pandas would infer a plain object array of text as Arrow text again
        return pd.Series([None if v is None else _text(v) for v in values], dtype=object)
    return string_array(arr)


def string_array(arr: pa.Array | pa.ChunkedArray) -> pd.api.extensions.ExtensionArray:
    """``string[pyarrow]`` over an Arrow string array, without copying it."""
    if isinstance(arr, pa.Array):
        arr = pa.chunked_array([arr], type=arr.type)
    return pd.arrays.ArrowStringArray(arr)


def _int_or_none(value: Any) -> int | None:
    """An exact integer (the value contract's ``exact_int``); ``None`` for missing or ``""``."""
    if value is None or value == "":
        return None
    return exact_int(value)


def _digits_arrow(text: Any) -> Any:
    """Digit text -> int64 (``""`` -> null), parsed by Arrow; raises when one is not digits."""
    try:
        return pc.cast(text, pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
        return pc.cast(pc.utf8_trim_whitespace(text), pa.int64())


def _int_arrow(values: Any) -> Any:
    """int64 Arrow array of ``values`` (ints or digit text), or ``None`` when one does not fit."""
    if isinstance(values, _ARROW):
        if pa.types.is_integer(values.type):
            return values.cast(pa.int64())
        if pa.types.is_string(values.type):
            try:
                return _digits_arrow(values)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                pass
        values = values.to_pylist()
    kinds = set(map(type, values))
    kinds.discard(type(None))
    if kinds <= {int}:  # Arrow would truncate floats (1.9 -> 1): only ints go this way
        try:
            return pa.array(values, type=pa.int64())
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            pass
    if kinds <= {str}:
        try:  # all digit text (block_height): parsed by Arrow
            return _digits_arrow(pa.array(values, type=pa.string()))
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            pass
    try:
        ints = [_int_or_none(v) for v in values]
    except UnfitValue:
        return None
    if any(v is not None and not _INT64_MIN <= v <= _INT64_MAX for v in ints):
        return None
    return pa.array(ints, type=pa.int64())


def int64_array(arr: Any) -> pd.arrays.IntegerArray:
    """``Int64`` from an Arrow int64 array (nulls become ``<NA>``)."""
    if arr.null_count == 0:
        data = arr.to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
        return pd.arrays.IntegerArray(data, np.zeros(len(data), dtype=bool))
    data = arr.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    mask = arr.is_null().to_numpy(zero_copy_only=False)
    return pd.arrays.IntegerArray(data, mask)


def as_int(values: Sequence[Any], column: str = "") -> pd.api.extensions.ExtensionArray:
    """``Int64``: ints or digit text, exact; other values keep the column as ``string``."""
    arr = _int_arrow(values)
    if arr is None:
        _warn(column, "holds values that are not whole numbers; kept as text")
        return as_string(values, column)
    return int64_array(arr)


def _decimal_or_none(value: Any) -> Decimal | None:
    """An exact decimal (the value contract's ``exact_decimal``); ``None`` for missing or ``""``."""
    if value is None or value == "":
        return None
    return exact_decimal(value, exponent=True)


def as_decimal(values: Sequence[Any], column: str = "") -> Any:
    """``object`` column of exact :class:`~decimal.Decimal` (``None`` when missing).

    Repeated texts share one ``Decimal`` (less memory, faster); a value that is not a plain
    decimal keeps the column as ``string`` with a warning.
    """
    n = len(values)
    out: list[Decimal | None]
    kinds = set(map(type, values))
    try:
        if kinds <= {str, type(None)} and n > 256 and len(set(values[:256])) < 128:
            # repeated texts (fees): parse each once (only text: 1 and True are equal keys)
            table = {k: _decimal_or_none(k) for k in dict.fromkeys(values)}
            out = list(map(table.__getitem__, values))
        elif kinds <= {str} and all(map(NUMBER_TEXT.fullmatch, values)):
            out = list(map(Decimal, values))  # ASCII number text: Decimal reads it exactly
        else:
            out = [_decimal_or_none(v) for v in values]
    except UnfitValue:
        _warn(column, "holds values that are not decimal numbers; kept as text")
        return as_string(values, column)
    result = np.empty(n, dtype=object)
    result[:] = out
    return result


def as_timestamp(values: Any, unit: str | None, column: str = "") -> Any:
    """``datetime64[ms, UTC]`` from epoch numbers (or digit text) in ``unit`` ("s" or "ms")."""
    arr = _int_arrow(values)
    if arr is None:
        _warn(column, "holds values that are not epoch numbers; kept as text")
        return as_string(values.to_pylist() if isinstance(values, _ARROW) else values, column)
    data = arr.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64, copy=True)
    mask = arr.is_null().to_numpy(zero_copy_only=False)
    present = data[~mask]
    unit = _choose_unit(present, unit, column)
    per = 1000 if unit == "s" else 1
    if present.size and (
        int(present.min()) < EPOCH_MS_MIN // per or int(present.max()) > EPOCH_MS_MAX // per
    ):
        _warn(column, f"holds epoch {unit} outside the years 1 to 9999; kept as text")
        return as_string(values.to_pylist() if isinstance(values, _ARROW) else values, column)
    scaled = data * per
    scaled[mask] = _NAT
    return pd.array(scaled.view("M8[ms]"), dtype="M8[ms]").tz_localize("UTC")


def _choose_unit(present: np.ndarray, unit: str | None, column: str) -> str:
    if present.size == 0:
        return unit or "ms"
    biggest = epoch_unit(int(np.abs(present).max()))
    smallest = epoch_unit(int(np.abs(present).min()))
    if unit is None:
        return biggest
    if unit == "s" and smallest == "ms":
        _warn(column, "is documented in seconds but every value is in milliseconds; read as ms")
        return "ms"
    if unit == "ms" and biggest == "s" and int(np.abs(present).min()) > 0:
        _warn(column, "is documented in milliseconds but every value is in seconds; read as s")
        return "s"
    return unit


def as_bool(values: Sequence[Any], column: str = "") -> Any:
    """``boolean``; the texts ``"true"``/``"false"`` are accepted."""
    table = {True: True, False: False, None: None, "true": True, "false": False, "": None}
    try:
        return pd.array([table[v] for v in values], dtype=BOOL)
    except (KeyError, TypeError):
        _warn(column, "holds values that are not booleans; kept as text")
        return as_string(values, column)


def labels_for(raw: pd.api.extensions.ExtensionArray, enum: Sequence[EnumValue]) -> Any:
    """A categorical of the documented labels of ``raw``; undocumented values keep their text."""
    documented = {str(e.value): e.label for e in enum}
    cats = list(dict.fromkeys(e.label for e in enum))
    codes, uniques = pd.factorize(pd.Series(raw), use_na_sentinel=True)
    position: list[int] = []
    for value in uniques:
        label = documented.get(str(value), str(value))
        if label not in cats:
            cats.append(label)
        position.append(cats.index(label))
    table = np.asarray([*position, -1], dtype=np.int64)  # codes of -1 (missing) stay -1
    return pd.Categorical.from_codes(table[codes], categories=pd.Index(cats))


def infer(values: Sequence[Any], column: str = "") -> Any:
    """The conservative type of an undocumented column (see the module docstring)."""
    kinds = set(map(type, values))
    kinds.discard(type(None))
    if not kinds:
        return as_string(values)
    if kinds == {int}:
        arr = _int_arrow(values)
        return int64_array(arr) if arr is not None else _objects(values)
    if kinds == {bool}:
        return pd.array(values, dtype=BOOL)
    if kinds <= {float, int} and all(
        v is None or type(v) is float or float(v) == v for v in values
    ):  # ints that a float holds exactly
        return pd.array(values, dtype=FLOAT)
    if kinds == {str}:
        return as_string(values, column)
    return _objects(values)


def _objects(values: Sequence[Any]) -> Any:
    """An ``object`` column of ``values`` as they are, a NaN (JSON's non-standard ``NaN``) as
    missing, like ``null``.

    A Series, not a bare array: pandas would read an object array of text and NaN as its own
    ``str`` dtype, which a CSV or Parquet file gives back as ``string[pyarrow]``.
    """
    result = np.empty(len(values), dtype=object)
    result[:] = [None if isinstance(v, float) and v != v else v for v in values]
    return pd.Series(result, dtype=object, copy=False)


def wire_type(value: Any) -> pa.DataType | None:
    """The Arrow type a JSON scalar converts to exactly, or ``None`` (objects, lists, floats)."""
    kind = type(value)
    if kind is str:
        return pa.string()
    if kind is int:
        return pa.int64()
    if kind is bool:
        return pa.bool_()
    return None


def _convert_arrow(arr: Any, field: Field | None, column: str) -> Any:
    """:func:`convert` for a column Arrow already holds (the fast path of whole pages)."""
    kind = field.type if field is not None else None
    typ = arr.type
    if pa.types.is_string(typ) and kind in (None, "string", "enum_string", "currency"):
        return string_array(arr)
    if kind in ("int", "enum_int") and not (kind == "int" and field and field.unit):
        ints = _int_arrow(arr)
        if ints is not None:
            return int64_array(ints)
    if kind is None and pa.types.is_integer(typ):
        return int64_array(arr)
    if kind is None and pa.types.is_boolean(typ):
        return pd.array(arr.to_pylist(), dtype=BOOL)
    if kind == "decimal" and pa.types.is_string(typ):
        return as_decimal(arr.to_numpy(zero_copy_only=False).tolist(), column)
    if kind == "timestamp" or (kind == "int" and field and field.unit in ("s", "ms")):
        return as_timestamp(arr, field.unit if field else None, column)
    return convert(arr.to_pylist(), field, column)


def convert(values: Any, field: Field | None, column: str = "") -> Any:
    """The typed pandas array of one column (a list of JSON values or an Arrow array)."""
    if isinstance(values, _ARROW):
        return _convert_arrow(values, field, column)
    if field is None:
        return infer(values, column)
    kind = field.type
    if kind in ("int", "enum_int"):
        if kind == "int" and field.unit in ("s", "ms"):
            return as_timestamp(values, field.unit, column)
        return as_int(values, column)
    if kind == "decimal":
        return as_decimal(values, column)
    if kind == "timestamp":
        return as_timestamp(values, field.unit, column)
    if kind == "bool":
        return as_bool(values, column)
    if kind in ("string", "enum_string", "currency"):
        return as_string(values, column)
    return infer(values, column)


def wants_label(field: Field | None) -> bool:
    """Whether a ``<name>_label`` column goes beside this field's column."""
    if field is None or not field.enum:
        return False
    if field.type == "enum_int":
        return True
    return any(str(e.value) != e.label for e in field.enum)


def dtype_name(dtype: Any) -> str:
    """A stable text name of a contract dtype (for schemas stored beside exported files)."""
    if isinstance(dtype, pd.CategoricalDtype):
        return "category"
    if isinstance(dtype, pd.DatetimeTZDtype):
        return f"datetime64[{dtype.unit}, {dtype.tz}]"
    if isinstance(dtype, pd.StringDtype):
        return "string"
    return str(dtype)
