"""Properties: CSV and Parquet round trips give back every value a frame can hold, or refuse."""

from __future__ import annotations

import tempfile
import warnings
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cregis_notebook import (
    CregisExportError,
    read_csv,
    read_excel,
    read_parquet,
    to_csv,
    to_excel,
    to_frame,
    to_parquet,
)

FAST = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)

any_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=8)  # \r, \n, quotes, BOM...
tricky_text = st.sampled_from(["", "\r", "\n", "\r\n", '"', ",", "a\rb", " ", "\ufeff", "NA"])
texts = any_text | tricky_text
decimals = st.decimals(allow_nan=False, allow_infinity=False)
int64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
times = st.datetimes(
    min_value=pd.Timestamp("1678-01-01").to_pydatetime(),
    max_value=pd.Timestamp("2261-12-31").to_pydatetime(),
)
json_values = st.recursive(
    st.none() | st.booleans() | int64 | decimals | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=5,
)


def _objects(values: list[Any]) -> pd.Series:
    return pd.Series(values, dtype=object)


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    """A frame with a column of every kind the dtype contract makes, NA included."""
    n = draw(st.integers(min_value=0, max_value=6))

    def column(values: st.SearchStrategy[Any], na: bool = True) -> list[Any]:
        return draw(st.lists(st.none() | values if na else values, min_size=n, max_size=n))

    labels = draw(st.lists(texts, min_size=1, max_size=4, unique=True))
    stamps = [None if t is None else pd.Timestamp(t, tz="UTC") for t in column(times)]
    return pd.DataFrame(
        {
            "text": pd.Series(column(texts), dtype="string"),
            "words": _objects(column(texts)),
            "amount": _objects(column(decimals)),
            "id": pd.Series(column(int64), dtype="Int64"),
            "when": pd.Series(stamps, dtype="datetime64[ms, UTC]"),
            "flag": pd.Series(column(st.booleans()), dtype="boolean"),
            "label": pd.Categorical(column(st.sampled_from(labels)), categories=labels),
            "mixed": _objects(column(json_values)),
            "ratio": pd.Series(column(st.floats(allow_nan=False)), dtype="Float64"),
        }
    )


def _na(value: Any) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (value != value)


def _equal(a: Any, b: Any) -> bool:
    """Same value and type, recursively; decimals equal in value (Parquet has one scale)."""
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_equal, a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if a is None or b is None:
        return a is b
    return type(a) is type(b) and a == b


def assert_exact(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    assert len(a) == len(b)
    for name in a.columns:
        assert a[name].dtype == b[name].dtype, (name, a[name].dtype, b[name].dtype)
        if isinstance(a[name].dtype, pd.CategoricalDtype):
            assert list(a[name].cat.categories) == list(b[name].cat.categories)
        for x, y in zip(a[name].tolist(), b[name].tolist(), strict=True):
            if not isinstance(x, (list, dict)) and _na(x):
                assert not isinstance(y, (list, dict)) and _na(y), (name, x, y)
            else:
                assert _equal(x, y), (name, x, y)


def round_trips(df: pd.DataFrame) -> None:
    with tempfile.TemporaryDirectory() as folder:
        csv_path, parquet_path = Path(folder) / "t.csv", Path(folder) / "t.parquet"
        to_csv(df, csv_path)
        assert_exact(df, read_csv(csv_path))
        decimals = [v for v in df.get("amount", []) if isinstance(v, Decimal)]
        whole = max(
            (len(v.as_tuple().digits) + int(v.as_tuple().exponent) for v in decimals), default=0
        )
        whole = max(whole, 0)
        scale = max((max(0, -int(v.as_tuple().exponent)) for v in decimals), default=0)
        if whole + scale > 76:
            with pytest.raises(CregisExportError, match=r"'amount'.*to_csv"):
                to_parquet(df, parquet_path)
            return
        to_parquet(df, parquet_path)
        assert_exact(df, read_parquet(parquet_path))


@FAST
@given(df=frames())
def test_every_kind_of_column_round_trips_exactly(df: pd.DataFrame) -> None:
    round_trips(df)


received = st.one_of(
    st.none(),
    st.just(float("nan")),  # JSON's non-standard NaN, which the parser accepts
    st.booleans(),
    int64,
    decimals,
    texts,
    st.from_regex(r"-?[0-9]{1,30}(\.[0-9]{1,30})?", fullmatch=True),
    st.lists(st.fixed_dictionaries({"tx_id": texts, "amount": decimals}), max_size=2),
)


@FAST
@given(
    records=st.lists(
        st.fixed_dictionaries(
            {},
            optional={
                "cid": received,
                "amount": received,
                "status": received,
                "block_time": received,
                "remark": received,
                "extra": received,
                "nested": st.dictionaries(st.sampled_from("ab"), received, max_size=2),
            },
        ),
        max_size=8,
    )
)
def test_frames_of_any_answer_round_trip_exactly(records: list[dict[str, Any]]) -> None:
    envelope = {"code": "00000", "msg": "ok", "data": {"total": len(records), "rows": records}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # values that do not fit warn: they are kept as text
        df = to_frame([envelope, {"code": "E1", "msg": "no\r\n", "data": None}], "trade_page")
    round_trips(df)


def test_floats_beside_decimals_in_one_column_are_refused_not_changed(tmp_path: Path) -> None:
    df = pd.DataFrame({"mixed": _objects([[0.5], {"a": Decimal("0.5")}])})
    for write in (to_csv, to_parquet):
        with pytest.raises(CregisExportError, match="'mixed'"):
            write(df, tmp_path / "t")


def test_an_empty_frame_round_trips(tmp_path: Path) -> None:
    df = pd.DataFrame({"text": pd.Series([], dtype="string"), "n": np.array([], dtype=object)})
    to_csv(df, tmp_path / "t.csv")
    assert read_csv(tmp_path / "t.csv")["text"].dtype == "string"


def excel_round_trips(df: pd.DataFrame) -> None:
    """The Excel workbook gives back the frame, decimals with their scale."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t.xlsx"
        to_excel({"frame": df}, path)
        back = read_excel(path, "frame")
    assert_exact(df, back)
    for name in df.columns:
        for x, y in zip(df[name].tolist(), back[name].tolist(), strict=True):
            if isinstance(x, Decimal) and int(x.as_tuple().exponent) <= 0:
                assert str(x) == str(y), (name, x, y)


@FAST
@given(df=frames())
def test_every_kind_of_column_round_trips_through_excel(df: pd.DataFrame) -> None:
    excel_round_trips(df)


@FAST
@given(
    records=st.lists(
        st.fixed_dictionaries(
            {}, optional={"cid": received, "amount": received, "remark": received}
        ),
        max_size=6,
    )
)
def test_frames_of_any_answer_round_trip_through_excel(records: list[dict[str, Any]]) -> None:
    envelope = {"code": "00000", "msg": "ok", "data": {"total": len(records), "rows": records}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # values that do not fit warn: they are kept as text
        df = to_frame([envelope, {"code": "E1", "msg": "no\r\n", "data": None}], "trade_page")
    excel_round_trips(df)
