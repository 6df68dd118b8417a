"""Write typed frames to CSV and Parquet, and read them back with the exact same values and dtypes.

CSV (:func:`to_csv`): a plain, comma-separated UTF-8 file with a byte-order mark (so Excel
opens non-ASCII text such as Chinese aliases correctly; ``pandas.read_csv`` skips the mark),
rows ended by CRLF as RFC 4180 has it, so a field holding a line break or a lone carriage
return is quoted and reads back as one field. Amounts are plain decimal text (``0.00000001``,
never ``1E-8``, any number of digits), ids plain digits, ``code`` keeps its leading zeros
(``00000``), times are ISO 8601 UTC (``2024-07-25T09:43:01Z``), booleans ``True``/``False``,
missing values empty. A column of mixed values (an undocumented field holding text and numbers,
objects or lists) holds one JSON text per cell, written so that each value reads back with its
type (a Decimal with all its digits, a float as itself). Beside the CSV, ``<path>.schema.json``
records each column's kind, the enum categories, ``df.attrs`` and which empty fields were
``""`` rather than missing, so :func:`read_csv` restores the frame exactly. Without that file
``read_csv`` can type the columns from the registry (``endpoint=``) or leave them as text (then
``""`` and missing both read as missing).

Parquet (:func:`to_parquet`): amounts as ``decimal128`` (``decimal256`` past 38 digits; past
76 digits, Parquet's limit, :class:`~cregis_notebook.errors.CregisExportError` names the column
and value: CSV keeps any number of digits), ids as ``int64``, times as ``timestamp[ms, UTC]``,
labels as dictionaries, mixed columns as the same JSON text as in CSV; the schema is stored in
the file's metadata under ``cregis_notebook``. Decimals read back equal in value; a Parquet
column has one scale, so trailing zeros (``1.50``) come back as ``1.5``.

A value neither format can keep exactly (a column mixing floats and Decimals, an object that
is not JSON) raises :class:`~cregis_notebook.errors.CregisExportError` before anything is
written.
"""

from __future__ import annotations

import csv
import decimal
import json
import os
import re
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ._dtypes import BOOL, FLOAT, INT, LABEL_SUFFIX, as_int, as_string, int64_array, string_array
from ._values import dumps_exact, loads_exact
from .errors import CregisExportError, UnfitValue
from .frames import record_schema
from .spec import registry

__all__ = [
    "arrow_table",
    "column_kinds",
    "frame_from_arrow",
    "frame_from_text",
    "frame_schema",
    "read_csv",
    "read_parquet",
    "text_frame",
    "to_csv",
    "to_parquet",
]

SCHEMA_SUFFIX = ".schema.json"
_META_KEY = b"cregis_notebook"
_FORMAT = 2
"""2: CSV rows end in CRLF, every cell of a ``json`` column is JSON text (format 1 wrote text
cells as they were), blank positions are kept for ``category`` columns too."""
_PARQUET_DIGITS = 76


# -- column kinds ------------------------------------------------------------------------------


def _kind(series: pd.Series) -> str:
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return "category"
    if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(dtype):
        return "timestamp"
    if isinstance(dtype, pd.StringDtype):
        return "string"
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_integer_dtype(dtype):
        return "int"
    if pd.api.types.is_float_dtype(dtype):
        return "float"
    values = series.dropna()
    if len(values) and all(isinstance(v, Decimal) for v in values):
        return "decimal"
    if len(values) and all(isinstance(v, str) for v in values):
        # text UTF-8 cannot hold (a lone surrogate) goes as JSON text, which escapes it
        return "string" if _is_unicode("".join(values)) else "json"
    return "json"


def _is_unicode(text: str) -> bool:
    """Whether UTF-8 can hold ``text`` (it cannot hold a lone surrogate such as ``"\\ud800"``)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape_surrogates(json_text: str) -> str:
    """JSON text with each lone surrogate written as its ``\\uXXXX`` escape (read back as is)."""
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", json_text)


def column_kinds(df: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Each column's kind (``int``, ``decimal``, ``string``, ``timestamp``, ...) and details."""
    kinds: dict[str, dict[str, Any]] = {}
    for name in df.columns:
        series = df[name]
        kind = _kind(series)
        info: dict[str, Any] = {"kind": kind}
        if kind == "category":
            info["categories"] = [str(c) for c in series.cat.categories]
        if kind == "timestamp":
            tz = getattr(series.dtype, "tz", None)
            info["tz"] = str(tz) if tz is not None else None
        if kind == "json" and _number_types(series.dropna()) == {float}:
            info["numbers"] = "float"
        if kind == "string" and series.dtype == object:
            info["dtype"] = "object"  # Python strings, read back as such (not Arrow text)
        kinds[str(name)] = info
    return kinds


def _number_types(values: Any) -> set[type]:
    """Which of float and Decimal occur in ``values``, nested containers included."""
    found: set[type] = set()
    stack = list(values)
    while stack:
        v = stack.pop()
        if isinstance(v, (float, Decimal)):
            found.add(float if isinstance(v, float) else Decimal)
        elif isinstance(v, Mapping):
            stack.extend(v.values())
        elif isinstance(v, (list, tuple)):
            stack.extend(v)
    return found


def _json_cells(series: pd.Series, name: str) -> list[str | None]:
    """Each value of a mixed column as JSON text that reads back to the same value and type."""
    values = series.astype(object).where(series.notna(), None).tolist()
    if _number_types(v for v in values if v is not None) == {float, Decimal}:
        raise CregisExportError(
            f"column {name!r} holds both floats and Decimals, which JSON text cannot tell "
            "apart; convert the floats (Decimal(repr(x))) or the Decimals before exporting"
        )
    out: list[str | None] = []
    for row, value in enumerate(values):
        try:
            text = None if value is None else dumps_exact(value, keep_types=True)
        except UnfitValue as exc:
            raise CregisExportError(
                f"column {name!r}, row {row}: {value!r} cannot be written exactly ({exc}); "
                "convert it to text or a number first"
            ) from None
        out.append(text if text is None or _is_unicode(text) else _escape_surrogates(text))
    return out


def _json_values(texts: list[Any], info: Mapping[str, Any], fmt: int) -> pd.Series:
    """The values of a ``json`` column from their JSON texts (see :func:`_json_cells`).

    A Series of ``object`` dtype: pandas would infer a plain array of text as Arrow text.
    """
    read = json.loads if info.get("numbers") == "float" else loads_exact
    values: list[Any] = []
    for text in texts:
        if text is None:
            values.append(None)
            continue
        try:
            values.append(read(text))
        except ValueError:
            if fmt >= 2:
                raise
            values.append(text)  # format 1 wrote text cells as they were
    return pd.Series(values, dtype=object)


def _json_safe(value: Any) -> Any:
    """``df.attrs`` as JSON: Timestamps as ISO text, Decimals as text, containers recursed."""
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, pd.DataFrame):
        return None
    return str(value)


def frame_schema(df: pd.DataFrame, *, blanks: bool = True) -> dict[str, Any]:
    """What a file needs beside its values to give back ``df`` exactly, as JSON-ready data.

    ``format``, ``columns`` (:func:`column_kinds`, plus, with ``blanks``, where ``""`` and
    missing both occur in a text or category column) and ``attrs``.
    """
    kinds = column_kinds(df)
    if blanks:
        for name, info in kinds.items():
            if info["kind"] in ("string", "category"):
                empties = _empties(df[name])
                if empties:
                    info.update(empties)
    return {"format": _FORMAT, "columns": kinds, "attrs": _json_safe(dict(df.attrs))}


# -- CSV -----------------------------------------------------------------------------------------


def _decimal_text(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def _time_text(series: pd.Series) -> pd.Series:
    s = series
    if getattr(s.dtype, "tz", None) is not None:
        s = s.dt.tz_convert("UTC")
    whole = s.dropna()
    has_ms = bool(len(whole)) and bool((whole.dt.microsecond != 0).any())
    fmt = "%Y-%m-%dT%H:%M:%S.%fZ" if has_ms else "%Y-%m-%dT%H:%M:%SZ"
    text = s.dt.strftime(fmt)
    if has_ms:
        text = text.str.replace(r"(\.\d{3})\d{3}Z$", r"\1Z", regex=True)
    return text.astype(object).where(s.notna(), None)


def _empties(series: pd.Series) -> dict[str, Any] | None:
    """Where ``""`` and missing both occur in a text column, the rows holding ``""``."""
    values = series.astype(object)
    missing = values.isna().to_numpy()
    blank = (values == "").fillna(False).to_numpy(dtype=bool) & ~missing
    if not blank.any():
        return None
    if not missing.any():
        return {"blank": "all"}
    return {"blank": np.flatnonzero(blank).tolist()}


def text_frame(df: pd.DataFrame, kinds: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """``df`` as the CSV holds it: decimals as plain text, times as ISO 8601 UTC text, mixed
    columns as JSON text; the other columns as their values (missing: ``None``)."""
    out: dict[str, Any] = {}
    for name in df.columns:
        kind = kinds[str(name)]["kind"]
        series = df[name]
        if kind == "decimal":
            out[name] = series.map(_decimal_text, na_action="ignore").astype(object)
        elif kind == "timestamp":
            out[name] = _time_text(series)
        elif kind == "int":
            out[name] = series.astype(object).where(series.notna(), None)
        elif kind == "json":
            out[name] = pd.Series(_json_cells(series, str(name)), dtype=object)
        else:
            out[name] = series.astype(object).where(series.notna(), None)
    return pd.DataFrame(out, index=range(len(df)))


def to_csv(df: pd.DataFrame, path: str | os.PathLike[str], *, schema: bool = True) -> Path:
    """Write ``df`` as a plain UTF-8 CSV (with BOM) and, unless ``schema=False``, its schema.

    Returns the CSV's path. The schema file is ``<path>.schema.json``.
    """
    path = Path(path)
    doc = frame_schema(df)
    plain = text_frame(df, doc["columns"])
    # CRLF rows: the writer then quotes any field holding "\r" or "\n", so none splits a row
    plain.to_csv(
        path, index=False, encoding="utf-8-sig", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL
    )
    sidecar = Path(str(path) + SCHEMA_SUFFIX)
    if schema:
        sidecar.write_text(json.dumps(doc, indent=1, ensure_ascii=False), encoding="utf-8")
    return path


def _parse_decimal(text: Any) -> Decimal | None:
    if text is None or text == "":
        return None
    return Decimal(text)


def _from_text(values: pd.Series, info: Mapping[str, Any], name: str, fmt: int) -> Any:
    kind = info.get("kind", "string")
    raw = values.to_numpy(dtype=object)
    texts: list[Any] = [v if isinstance(v, str) else None for v in raw]
    blank = info.get("blank")
    if blank == "all":
        texts = ["" if v is None else v for v in texts]
    elif isinstance(blank, list):
        for i in blank:
            texts[i] = ""
    if kind == "int":
        return as_int(texts, name)
    if kind == "decimal":
        out = np.empty(len(texts), dtype=object)
        out[:] = [_parse_decimal(v) for v in texts]
        return out
    if kind == "timestamp":
        times = pd.to_datetime(pd.Series(texts, dtype=object), utc=True, format="ISO8601")
        return _in_zone(times, info)
    if kind == "bool":
        table = {"True": True, "False": False, "true": True, "false": False, None: None}
        return pd.array([table[v] for v in texts], dtype=BOOL)
    if kind == "float":
        return pd.array([None if v is None else float(v) for v in texts], dtype=FLOAT)
    if kind == "category":
        return pd.Categorical(texts, categories=info.get("categories") or [])
    if kind == "json":
        return _json_values(texts, info, fmt)
    return _text_column(texts, info)


def _text_column(texts: list[Any], info: Mapping[str, Any]) -> Any:
    """A ``string`` kind column: Arrow text, or Python strings when the frame had ``object``."""
    if info.get("dtype") == "object":
        return pd.Series(texts, dtype=object)
    return as_string(texts)


def _in_zone(times: pd.Series, info: Mapping[str, Any]) -> Any:
    """UTC times (ms) back in the zone the frame had (``tz`` of its kind; none: naive)."""
    tz = info.get("tz", "UTC")
    if tz is None:
        times = times.dt.tz_convert("UTC").dt.tz_localize(None)
    elif tz != "UTC":
        times = times.dt.tz_convert(tz)
    return times.dt.as_unit("ms").array


def _registry_kinds(columns: list[str], endpoint: str) -> dict[str, dict[str, Any]]:
    schema = record_schema(registry().endpoint(endpoint))
    kinds: dict[str, dict[str, Any]] = {}
    for name in columns:
        field = schema.field(name)
        kind = "string"
        if name.endswith(LABEL_SUFFIX) and schema.field(name[: -len(LABEL_SUFFIX)]):
            kind = "string"
        elif field is not None:
            kind = {
                "int": "int",
                "enum_int": "int",
                "decimal": "decimal",
                "timestamp": "timestamp",
                "bool": "bool",
            }.get(field.type, "string")
            if field.type == "int" and field.unit in ("s", "ms"):
                kind = "timestamp"
        kinds[name] = {"kind": kind}
    return kinds


def read_csv(path: str | os.PathLike[str], *, endpoint: str | None = None) -> pd.DataFrame:
    """Read a CSV written by :func:`to_csv` back into the exact frame (dtypes and attrs).

    Uses ``<path>.schema.json`` when it exists; otherwise types the columns from the registry
    fields of ``endpoint`` (text for the rest), or leaves every column as text.
    """
    path = Path(path)
    raw = pd.read_csv(
        path,
        dtype=str,
        keep_default_na=False,
        na_values=[""],
        encoding="utf-8-sig",
    )
    sidecar = Path(str(path) + SCHEMA_SUFFIX)
    attrs: dict[str, Any] = {}
    fmt = _FORMAT
    if sidecar.exists():
        doc = json.loads(sidecar.read_text(encoding="utf-8"))
        kinds = doc.get("columns", {})
        attrs = doc.get("attrs") or {}
        fmt = int(doc.get("format", 1))
    elif endpoint is not None:
        kinds = _registry_kinds([str(c) for c in raw.columns], endpoint)
    else:
        kinds = {str(c): {"kind": "string"} for c in raw.columns}
    return frame_from_text(raw, kinds, attrs=attrs, fmt=fmt)


def frame_from_text(
    raw: pd.DataFrame,
    kinds: Mapping[str, Mapping[str, Any]],
    *,
    attrs: Mapping[str, Any] | None = None,
    fmt: int = _FORMAT,
) -> pd.DataFrame:
    """The typed frame from ``raw``'s text cells (``None`` when empty), as a CSV holds them.

    ``kinds`` is the ``columns`` part of :func:`frame_schema` (a column not in it stays text),
    ``attrs`` and ``fmt`` the rest of it.
    """
    data = {
        name: _from_text(raw[name], kinds.get(str(name), {"kind": "string"}), str(name), fmt)
        for name in raw.columns
    }
    frame = pd.DataFrame(data, index=range(len(raw)), copy=False)
    frame.attrs.update(attrs or {})
    return frame


# -- Parquet -------------------------------------------------------------------------------------


def _decimal_type(values: Any, name: str) -> pa.DataType:
    """The narrowest Arrow decimal holding every value exactly, or a clear refusal."""
    whole = scale = 0
    for v in values:
        if v is None:
            continue
        t = v.as_tuple()
        if not isinstance(t.exponent, int):
            raise CregisExportError(
                f"column {name!r}: {v!r} is not a finite number; Parquet decimals hold numbers only"
            )
        whole = max(whole, len(t.digits) + t.exponent)  # digits left of the point
        scale = max(scale, -t.exponent)
    precision = max(1, whole + scale)
    if precision > _PARQUET_DIGITS:
        worst = max(
            (v for v in values if v is not None),
            key=lambda v: (
                max(0, len(v.as_tuple().digits) + v.as_tuple().exponent)
                + max(0, -v.as_tuple().exponent)
            ),
        )
        raise CregisExportError(
            f"column {name!r} needs {precision} decimal digits (for example {worst}), but a "
            f"Parquet decimal holds at most {_PARQUET_DIGITS}; export it with to_csv, which "
            "keeps any number of digits, or round the column first"
        )
    if precision <= 38:
        return pa.decimal128(precision, scale)
    return pa.decimal256(precision, scale)


def _arrow_column(
    series: pd.Series, kind: str, name: str, decimal_type: pa.DataType | None = None
) -> pa.Array | pa.ChunkedArray:
    if kind == "decimal":
        values = [None if v is None or (isinstance(v, float) and v != v) else v for v in series]
        if decimal_type is None:
            return pa.array(values, type=_decimal_type(values, name))
        try:
            return pa.array(values, type=decimal_type)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise CregisExportError(
                f"column {name!r}: a value does not fit {decimal_type} exactly ({exc})"
            ) from exc
    if kind == "int":
        return pa.array(series.astype(INT).array, type=pa.int64())
    if kind == "string":
        if isinstance(series.dtype, pd.StringDtype) and series.dtype.storage != "python":
            return pa.array(series.array).cast(pa.string())  # already Arrow text: no copy out
        return pa.array(
            series.astype(object).where(series.notna(), None).tolist(), type=pa.string()
        )
    if kind == "json":
        return pa.array(_json_cells(series, name), type=pa.string())
    if kind == "timestamp":
        s = series
        if getattr(s.dtype, "tz", None) is None:
            s = s.dt.tz_localize("UTC")
        return pa.array(s.dt.tz_convert("UTC").dt.as_unit("ms"), type=pa.timestamp("ms", tz="UTC"))
    return pa.array(series, from_pandas=True)


def arrow_table(
    df: pd.DataFrame, *, decimal_type: pa.DataType | None = None
) -> tuple[pa.Table, dict[str, Any]]:
    """``df`` as an Arrow table with exact types (as :func:`to_parquet` writes it), and the
    :func:`frame_schema` that :func:`frame_from_arrow` needs to give ``df`` back.

    Amounts take the narrowest decimal type holding them, or ``decimal_type`` (a value it
    cannot hold exactly raises :class:`CregisExportError`)."""
    doc = frame_schema(df, blanks=False)  # Arrow keeps "" apart from missing itself
    kinds = doc["columns"]
    arrays = [
        _arrow_column(df[name], kinds[str(name)]["kind"], str(name), decimal_type)
        for name in df.columns
    ]
    return pa.Table.from_arrays(arrays, names=[str(c) for c in df.columns]), doc


def to_parquet(df: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write ``df`` to Parquet with exact decimal and integer types and its schema in metadata."""
    path = Path(path)
    table, doc = arrow_table(df)
    table = table.replace_schema_metadata({_META_KEY: json.dumps(doc, ensure_ascii=False).encode()})
    pq.write_table(table, path)
    return path


_WIDE = decimal.Context(prec=200)  # wider than any Arrow decimal: normalize() stays exact
_ONE = Decimal(1)


def _trimmed(value: Decimal) -> Decimal:
    """:func:`_normal`'s result, by the C library's ``normalize`` (quick for whole columns)."""
    if not value:
        return value  # a zero keeps its scale, as _normal leaves it
    short = value.normalize(_WIDE)
    if short.as_integer_ratio()[1] == 1:  # whole: plain digits, never 1E+2
        return short.quantize(_ONE, context=_WIDE)
    return short


def _exact_decimals(column: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A decimal column as ``Decimal`` objects without the trailing zeros of their scale."""
    values = column.to_pylist()
    out = np.empty(len(values), dtype=object)
    out[:] = [None if v is None else _trimmed(v) for v in values]
    return out


def _normal(value: Decimal) -> Decimal:
    """``Decimal("0.100000")`` -> ``Decimal("0.1")``: trailing zeros of the scale dropped, exactly.

    (``Decimal.normalize`` would round to the context's 28 digits and use exponents.)
    """
    sign, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int) or exponent >= 0:
        return value
    cut = 0
    while cut < -exponent and len(digits) - cut > 1 and digits[len(digits) - 1 - cut] == 0:
        cut += 1
    if cut == 0:
        return value
    return Decimal((sign, digits[: len(digits) - cut], exponent + cut))


def read_parquet(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a Parquet file written by :func:`to_parquet` back into the exact frame."""
    table = pq.read_table(path)
    meta = table.schema.metadata or {}
    doc = json.loads(meta[_META_KEY]) if _META_KEY in meta else {}
    return frame_from_arrow(table, doc)


def frame_from_arrow(table: pa.Table, doc: Mapping[str, Any]) -> pd.DataFrame:
    """The exact frame from an Arrow table written by :func:`arrow_table` (``doc`` is its
    :func:`frame_schema`; a column it does not name is typed by its Arrow type)."""
    kinds: Mapping[str, Mapping[str, Any]] = doc.get("columns", {})
    data: dict[str, Any] = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        kind = kinds.get(name, {}).get("kind")
        typ = column.type
        if kind == "decimal" or pa.types.is_decimal(typ):
            data[name] = _exact_decimals(column)
        elif kind == "int" or (kind is None and pa.types.is_integer(typ)):
            data[name] = int64_array(column.combine_chunks().cast(pa.int64()))
        elif kind == "string" and kinds[name].get("dtype") == "object":
            data[name] = _text_column(column.to_pylist(), kinds[name])
        elif kind == "string" or (kind is None and pa.types.is_string(typ)):
            data[name] = string_array(column.cast(pa.string()))
        elif kind == "timestamp" or pa.types.is_timestamp(typ):
            data[name] = _in_zone(column.to_pandas(), kinds.get(name, {}))
        elif kind == "category":
            cats = kinds[name].get("categories") or []
            data[name] = pd.Categorical(column.cast(pa.string()).to_pylist(), categories=cats)
        elif kind == "bool":
            data[name] = pd.array(column.to_pylist(), dtype=BOOL)
        elif kind == "float":
            data[name] = pd.array(column.to_pylist(), dtype=FLOAT)
        elif kind == "json":
            info = kinds.get(name, {})
            data[name] = _json_values(column.to_pylist(), info, int(doc.get("format", 1)))
        else:
            data[name] = column.to_pandas()
    frame = pd.DataFrame(data, index=range(table.num_rows), copy=False)
    frame.attrs.update(doc.get("attrs") or {})
    return frame
