"""Write typed frames to an Excel workbook for accounting, and read them back exactly.

:func:`to_excel` writes one sheet per frame (with ``openpyxl``): the header row is frozen and
filtered, the columns are sized to their contents. What each cell holds:

* **Ids and codes are text.** An integer column whose name ends in ``id`` (``cid``, ``pid``,
  ``wallet_id``) and every text column (``code``, ``msg``, addresses, labels) are text cells, so
  ``00000`` and 19-digit ids are shown and kept as they are. Other integer columns (``status``,
  ``block_height``) are numbers while they have at most 15 digits.
* **Times are Excel date-times in UTC**, and the header says so (``block_time (UTC)``), shown to
  the millisecond when the column has milliseconds. A time Excel cannot show as a date (before
  1900-03-01) is ISO 8601 text.
* **Amounts are exact.** A ``Decimal`` is a number cell only when a spreadsheet number holds it
  exactly: it is finite and not a negative zero, it has at most 15 significant digits and at
  most 30 decimal places, and the double nearest to it reads back as the same value. Its
  number format shows exactly its decimal places (``#,##0.00000000`` for ``1.50000000``), so the
  cell shows the amount as it was sent, and :func:`read_excel` restores the scale from it. Any
  other amount is a text cell holding its plain decimal text (``0.000000000000000000000000000001``,
  ``123456789012345678.123456789``): nothing is rounded. Floats and integers follow the same
  15-digit rule.
* **A note says where a value became text.** Whenever a number or a time had to be written as
  text (or a text was too long for a cell), a note beside the table, and a comment on the
  column's header, name the column, the cells and why.

Text is written the way Excel escapes it (a carriage return as ``_x000D_``), so Excel shows it
exactly; a text longer than a cell holds (32,767 characters) shows its beginning and is kept
whole in the hidden sheet. A hidden sheet, ``cregis_notebook``, holds each frame's schema as
JSON (the same schema :mod:`cregis_notebook.export` writes beside a CSV: kinds, categories,
time zones, ``""`` apart from missing, ``df.attrs``); :func:`read_excel` uses it to give back
the same dtypes and values.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, Inexact, localcontext
from pathlib import Path
from typing import Any, overload

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.utils import get_column_letter

from .errors import CregisExportError
from .export import frame_from_text, frame_schema, text_frame

__all__ = ["read_excel", "to_excel"]

SCHEMA_SHEET = "cregis_notebook"
_FORMAT = 1
_CHUNK = 30_000  # characters of schema JSON per cell of the hidden sheet
CELL_LIMIT = 32_767  # characters a cell holds
SHEET_NAME_LIMIT = 31
NUMBER_DIGITS = 15  # significant digits a spreadsheet number shows and keeps
NUMBER_PLACES = 30  # decimal places a number format can show
_TEXT = "@"
_TIME = "yyyy-mm-dd hh:mm:ss"
_TIME_MS = "yyyy-mm-dd hh:mm:ss.000"
_INTEGER = "0"
_FIRST_DAY = dt.datetime(1900, 3, 1)  # before it, Excel's calendar is off by a day
_SHEET_FORBIDDEN = re.compile("[\\[\\]:*?/\\\\\x00-\x1f\ud800-\udfff\ufffe\uffff]")
_ESCAPED = re.compile(r"_x[0-9A-Fa-f]{4}_")
# what XML cannot carry as it is: control characters but tab and line feed, CR (read as LF),
# lone surrogates, and the two non-characters
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff]")
_NOTE_CELLS = 12  # cells named per column in the note

Frames = pd.DataFrame | Mapping[str, pd.DataFrame] | Sequence[pd.DataFrame]


# -- cells -------------------------------------------------------------------------------------


def _escape(text: str) -> str:
    """``text`` as Excel writes a string: ``_xHHHH_`` for what XML cannot carry.

    A literal ``_x0041_`` gets its underscore escaped (``_x005F_x0041_``), so it is not decoded.
    """
    text = _ESCAPED.sub(lambda m: "_x005F" + m.group(), text)
    return _UNSAFE.sub(lambda m: f"_x{ord(m.group()):04X}_", text)


def _unescape(text: str) -> str:
    """The inverse of :func:`_escape`."""
    return _ESCAPED.sub(lambda m: chr(int(m.group()[2:6], 16)), text)


def _significant(digits: tuple[int, ...]) -> int:
    """Significant digits of a coefficient, trailing zeros not counted (at least 1)."""
    text = "".join(map(str, digits)).lstrip("0").rstrip("0")
    return max(1, len(text))


def _decimal_number(value: Decimal) -> tuple[float, str] | None:
    """The number cell and its format that hold ``value`` exactly, or None (write it as text)."""
    if not value.is_finite() or (value.is_zero() and value.is_signed()):
        return None
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    places = max(0, -exponent)
    if _significant(digits) > NUMBER_DIGITS or places > NUMBER_PLACES:
        return None
    number = float(value)
    if abs(number) >= 1e308 or Decimal(repr(number)) != value:
        return None
    return number, "#,##0" + ("." + "0" * places if places else "")


def _places(number_format: str) -> int | None:
    """Decimal places a number format shows (``#,##0.000`` -> 3), None for ``General``."""
    if number_format == "General":
        return None
    _, point, rest = number_format.partition(".")
    return len(rest) - len(rest.lstrip("0")) if point else 0


def _decimal_from_number(number: float | int, number_format: str) -> Decimal:
    """The Decimal a number cell written by :func:`_decimal_number` holds, scale included."""
    value = Decimal(repr(float(number)))
    places = _places(number_format)
    if places is None:
        return value
    with localcontext() as ctx:
        ctx.prec = 400  # a double has at most 309 integer digits, plus 30 places
        ctx.traps[Inexact] = True
        try:
            return value.quantize(Decimal(1).scaleb(-places))
        except Inexact:  # more digits than the format shows: the cell was edited
            return value


def _is_id(name: str) -> bool:
    """An integer column that names something (``cid``, ``pid``, ``wallet_id``): text cells."""
    return name.rsplit(".", 1)[-1].lower().endswith("id")


@dataclass
class _Column:
    """One column's cells, ready to write, and what the note says about it."""

    name: str
    header: str
    cells: list[Any]
    formats: list[str]
    width: int = 10
    as_text: list[int] = field(default_factory=list)  # rows a number or time went as text
    long: dict[int, str] = field(default_factory=dict)  # row -> whole text, too long for a cell
    why: str = ""


def _text_cell(column: _Column, row: int, text: str) -> str:
    shown = _escape(text)
    if len(shown) > CELL_LIMIT:
        column.long[row] = text
        shown = shown[: CELL_LIMIT - 1] + "\u2026"
    return shown


def _column(name: str, series: pd.Series, texts: pd.Series, info: Mapping[str, Any]) -> _Column:
    """The cells of one column: numbers, date-times, booleans or text, by its kind."""
    kind = info["kind"]
    aware = kind == "timestamp" and info.get("tz") is not None
    column = _Column(name, f"{name} (UTC)" if aware else name, [], [])
    text_values = texts.tolist()
    values = series.astype(object).where(series.notna(), None).tolist()
    if kind == "timestamp":
        times = series.dt.tz_convert("UTC").dt.tz_localize(None) if aware else series
        has_ms = bool((times.dropna().dt.microsecond != 0).any())
        values = [None if pd.isna(t) else t.to_pydatetime() for t in times]
        time_format = _TIME_MS if has_ms else _TIME
    for row, (value, text) in enumerate(zip(values, text_values, strict=True)):
        cell: Any = None
        number_format = _TEXT
        if value is None:
            pass
        elif kind == "decimal":
            number = _decimal_number(value)
            if number is None:
                cell = _text_cell(column, row, str(text))
                column.as_text.append(row)
            else:
                cell, number_format = number
        elif kind == "int":
            if not _is_id(name) and abs(value) < 10**NUMBER_DIGITS:
                cell, number_format = int(value), _INTEGER
            else:
                cell = str(value)
                if not _is_id(name):
                    column.as_text.append(row)
        elif kind == "float":
            number = _decimal_number(Decimal(repr(float(value))))  # the float's shortest text
            if number is None:
                cell = repr(float(value))
                column.as_text.append(row)
            else:
                cell, number_format = number
        elif kind == "bool":
            cell, number_format = bool(value), "General"
        elif kind == "timestamp":
            if value >= _FIRST_DAY:
                cell, number_format = value, time_format
            else:
                cell = str(text)
                column.as_text.append(row)
        else:
            cell = _text_cell(column, row, str(text))
        column.cells.append(cell)
        column.formats.append(number_format)
    column.why = _why(kind)
    column.width = _width(column)
    return column


def _why(kind: str) -> str:
    if kind == "timestamp":
        return "times before 1900-03-01 are not Excel dates: written as ISO 8601 UTC text"
    return (
        f"a spreadsheet number cannot hold them exactly (more than {NUMBER_DIGITS} significant "
        f"digits or {NUMBER_PLACES} decimal places): written as exact text, not rounded"
    )


def _width(column: _Column) -> int:
    """A width that shows the header and the first rows' values, within 8 to 60 characters."""
    longest = len(column.header) + 2  # room for the filter button
    for cell, number_format in zip(column.cells[:200], column.formats[:200], strict=False):
        if isinstance(cell, dt.datetime):
            size = len(number_format)
        elif isinstance(cell, float) and number_format.startswith("#,##0"):
            whole = len(str(int(abs(cell))))
            size = whole + whole // 3 + (len(number_format) - 6) + 1
        elif cell is not None:
            size = max(len(line) for line in str(cell).split("\n"))
        else:
            continue
        longest = max(longest, size)
    return min(60, max(8, longest + 1))


# -- sheets ------------------------------------------------------------------------------------


def _frames(frames: Frames) -> list[tuple[str | None, pd.DataFrame]]:
    """``(key, frame)`` pairs: the mapping's keys, or None (named from the frame)."""
    if isinstance(frames, pd.DataFrame):
        pairs: list[tuple[str | None, pd.DataFrame]] = [(None, frames)]
    elif isinstance(frames, Mapping):
        pairs = [(str(key), frame) for key, frame in frames.items()]
    elif isinstance(frames, Sequence) and not isinstance(frames, (str, bytes)):
        pairs = [(None, frame) for frame in frames]
    else:
        raise TypeError(
            f"to_excel takes a DataFrame, a mapping of sheet names to DataFrames or a list of "
            f"DataFrames, not {type(frames).__name__}"
        )
    if not pairs:
        raise CregisExportError("no frames to write: a workbook needs at least one sheet")
    for key, frame in pairs:
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"sheet {key!r}: expected a DataFrame, got {type(frame).__name__}")
    return pairs


def _sheet_names(pairs: list[tuple[str | None, pd.DataFrame]]) -> list[str]:
    """Unique sheet names within Excel's rules: 31 characters, none of ``[]:*?/\\``."""
    taken = {SCHEMA_SHEET.lower(), "history"}  # Excel reserves History
    names: list[str] = []
    for number, (key, frame) in enumerate(pairs, 1):
        wanted = key if key is not None else str(frame.attrs.get("endpoint") or f"frame {number}")
        base = _SHEET_FORBIDDEN.sub("_", wanted).strip("'").strip() or f"frame {number}"
        name, copy = base[:SHEET_NAME_LIMIT], 1
        while name.lower() in taken:
            copy += 1
            suffix = f" ({copy})"
            name = base[: SHEET_NAME_LIMIT - len(suffix)] + suffix
        taken.add(name.lower())
        names.append(name)
    return names


def _note(columns: list[_Column]) -> list[str]:
    """The lines of the note beside a table: which cells went as text, and why."""
    lines: list[str] = []
    for number, column in enumerate(columns, 1):
        letter = get_column_letter(number)
        if column.as_text:
            cells = ", ".join(f"{letter}{row + 2}" for row in column.as_text[:_NOTE_CELLS])
            more = len(column.as_text) - _NOTE_CELLS
            cells += f" and {more} more" if more > 0 else ""
            lines.append(f"{column.header}: {cells} are text; {column.why}.")
        if column.long:
            rows = sorted(column.long)
            cells = ", ".join(f"{letter}{row + 2}" for row in rows[:_NOTE_CELLS])
            lines.append(
                f"{column.header}: {cells} hold more than {CELL_LIMIT:,} characters; each cell "
                "shows the beginning, read_excel gives back the whole text."
            )
    if lines:
        lines.insert(0, "Note: nothing is rounded; these cells are text on purpose.")
    return lines


def _rows(ws: Any, columns: list[_Column], rows: int, note: list[str]) -> Iterator[list[Any]]:
    """The header and data rows, with the note beside the table (one blank column apart)."""
    header: list[Any] = []
    for column in columns:
        cell = WriteOnlyCell(ws, value=_escape(column.header))
        cell.data_type = "s"
        if column.as_text or column.long:
            cell.comment = Comment(_column_comment(column), "cregis-notebook")
        header.append(cell)
    for row in range(max(rows + 1, len(note))):
        line: list[Any] = header if row == 0 else []
        if row:
            for column in columns[: len(columns) if row <= rows else 0]:
                value, number_format = column.cells[row - 1], column.formats[row - 1]
                cell = WriteOnlyCell(ws, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"  # never a formula, whatever it starts with
                cell.number_format = number_format
                line.append(cell)
        if row < len(note):
            line.extend([None] * (len(columns) + 1 - len(line)))
            line.append(_escape(note[row]))
        yield line


def _column_comment(column: _Column) -> str:
    parts = []
    if column.as_text:
        parts.append(f"{len(column.as_text)} cell(s) are text: {column.why}.")
    if column.long:
        parts.append(f"{len(column.long)} text(s) are longer than a cell holds; see the note.")
    return " ".join(parts)


def to_excel(frames: Frames, path: str | os.PathLike[str]) -> Path:
    """Write typed frames to an ``.xlsx`` workbook, one sheet per frame; returns its path.

    ``frames`` is one frame, a mapping of sheet names to frames, or a list of frames (each
    sheet named after its ``attrs["endpoint"]``). Sheet names are made unique and fit Excel's
    rules. Every value is checked before anything is written: a value no file can keep
    exactly raises :class:`~cregis_notebook.errors.CregisExportError`.
    """
    path = Path(path)
    pairs = _frames(frames)
    names = _sheet_names(pairs)
    wb = Workbook(write_only=True)
    sheets: list[dict[str, Any]] = []
    tables: list[tuple[str, list[_Column], int]] = []
    for (key, df), name in zip(pairs, names, strict=True):
        schema = frame_schema(df)
        kinds = schema["columns"]
        texts = text_frame(df, kinds)
        columns = [_column(str(col), df[col], texts[col], kinds[str(col)]) for col in df.columns]
        long = {c.name: {str(r): t for r, t in c.long.items()} for c in columns if c.long}
        sheets.append(
            {"sheet": name, "key": key, "rows": len(df), "schema": schema, "long_texts": long}
        )
        tables.append((name, columns, len(df)))
    for name, columns, rows in tables:
        ws = wb.create_sheet(name)
        for number, column in enumerate(columns, 1):
            ws.column_dimensions[get_column_letter(number)].width = column.width
        ws.freeze_panes = "A2"
        if columns:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{rows + 1}"
        for line in _rows(ws, columns, rows, _note(columns)):
            ws.append(line)
    _write_schema(wb, {"format": _FORMAT, "sheets": sheets})
    wb.save(path)
    return path


def _write_schema(wb: Workbook, doc: Mapping[str, Any]) -> None:
    """The schema as ASCII JSON in column A of a hidden sheet, 30,000 characters a cell."""
    ws = wb.create_sheet(SCHEMA_SHEET)
    ws.sheet_state = "hidden"
    text = json.dumps(doc, ensure_ascii=True, separators=(",", ":"))
    for start in range(0, len(text), _CHUNK):
        cell = WriteOnlyCell(ws, value=_escape(text[start : start + _CHUNK]))
        cell.data_type = "s"
        ws.append([cell])


# -- reading -----------------------------------------------------------------------------------


def _read_schema(wb: Any, path: Path) -> dict[str, Any]:
    if SCHEMA_SHEET not in wb.sheetnames:
        raise CregisExportError(
            f"{path} was not written by to_excel (it has no {SCHEMA_SHEET!r} sheet); read it "
            "with pandas.read_excel(path, dtype=str)"
        )
    ws = wb[SCHEMA_SHEET]
    cells = ws.iter_rows(max_col=1, values_only=True)
    text = "".join(_unescape(str(row[0])) for row in cells if row and row[0])
    doc: dict[str, Any] = json.loads(text)
    return doc


def _cell_text(cell: Any, kind: str) -> str | None:
    """A cell as the CSV text of its kind (what :func:`export.frame_from_text` reads)."""
    value = cell.value
    if value is None:
        return None
    if isinstance(value, str):
        return _unescape(value)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, dt.datetime):
        stamp = pd.Timestamp(value).round("ms")
        return stamp.isoformat() + "Z"
    if kind == "decimal":
        return format(_decimal_from_number(value, cell.number_format), "f")
    if kind == "int":
        return str(int(value))
    return repr(float(value))


def _read_sheet(wb: Any, sheet: Mapping[str, Any]) -> pd.DataFrame:
    schema = sheet["schema"]
    kinds: Mapping[str, Mapping[str, Any]] = schema["columns"]
    names = list(kinds)
    rows = int(sheet["rows"])
    texts: list[list[str | None]] = [[] for _ in names]
    if names and rows:
        ws = wb[sheet["sheet"]]
        for line in ws.iter_rows(min_row=2, max_row=rows + 1, max_col=len(names)):
            for i, cell in enumerate(line[: len(names)]):
                texts[i].append(_cell_text(cell, kinds[names[i]]["kind"]))
            for i in range(len(line), len(names)):
                texts[i].append(None)  # trailing empty cells of a short row
    else:
        texts = [[None] * rows for _ in names]
    for name, long in (sheet.get("long_texts") or {}).items():
        column = texts[names.index(name)]
        for row, text in long.items():
            column[int(row)] = text
    raw = pd.DataFrame(
        {name: pd.Series(column, dtype=object) for name, column in zip(names, texts, strict=True)},
        index=range(rows),
    )
    return frame_from_text(raw, kinds, attrs=schema.get("attrs"), fmt=schema.get("format", 2))


@overload
def read_excel(path: str | os.PathLike[str]) -> dict[str, pd.DataFrame]: ...


@overload
def read_excel(path: str | os.PathLike[str], sheet: str) -> pd.DataFrame: ...


def read_excel(
    path: str | os.PathLike[str], sheet: str | None = None
) -> dict[str, pd.DataFrame] | pd.DataFrame:
    """Read a workbook written by :func:`to_excel` back into the exact frames.

    Returns a dict of every frame, keyed by the mapping keys given to ``to_excel`` (or the
    sheet names), in sheet order; with ``sheet`` (a key or a sheet name), that frame alone.
    """
    path = Path(path)
    wb = load_workbook(path, read_only=True)
    try:
        doc = _read_schema(wb, path)
        frames: dict[str, pd.DataFrame] = {}
        for info in doc["sheets"]:
            key = info["key"] if info.get("key") is not None else info["sheet"]
            if sheet is not None and sheet not in (key, info["sheet"]):
                continue
            frames[key] = _read_sheet(wb, info)
    finally:
        wb.close()
    if sheet is None:
        return frames
    if not frames:
        known = [s["key"] or s["sheet"] for s in doc["sheets"]]
        raise KeyError(f"{path} has no frame {sheet!r}; it has {known}")
    return next(iter(frames.values()))
