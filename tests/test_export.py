"""CSV and Parquet round trips are exact; the plain CSV reads right without our reader."""

from __future__ import annotations

import copy
import csv
import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from cregis_notebook import (
    CregisDataWarning,
    CregisExportError,
    read_csv,
    read_parquet,
    registry,
    to_csv,
    to_frame,
    to_parquet,
)

ROWS = [
    {
        "pid": 1409650233999360,
        "cid": 1410580986806272,
        "chain_id": "2610",
        "token_id": "0x33",
        "to_address": "0x2d",
        "amount": "0.00000001",
        "status": 1,
        "txid": "0xa7",
        "block_height": "42393516",
        "block_time": 1721900581,
        "fee": "0.00258015",
        "from_address": "0xbd",
        "memo": "",
        "remark": '地址更新操作, "quoted"\nnext line',
    },
    {"cid": 7, "amount": "12345678901234.123456789012345678", "status": 9, "memo": None},
]


def frame() -> pd.DataFrame:
    env = {"code": "00000", "msg": "ok", "data": {"total": 2, "rows": ROWS}}
    df = to_frame([env, {"code": "E0015", "msg": "not found", "data": None}], "trade_page")
    df.attrs["filters"] = {"blocktime_end": 1721900600}
    return df


def assert_same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    for col in a.columns:
        assert a[col].dtype == b[col].dtype, col
        left, right = a[col].tolist(), b[col].tolist()
        for x, y in zip(left, right, strict=True):
            if pd.isna(x) if not isinstance(x, list) else False:
                assert pd.isna(y), (col, x, y)
            else:
                assert x == y and type(x) is type(y), (col, x, y)
                if isinstance(x, Decimal):
                    assert x.as_tuple().exponent <= 0 or y == x


def test_csv_round_trip_is_exact(tmp_path: Path) -> None:
    df = frame()
    path = to_csv(df, tmp_path / "trades.csv")
    back = read_csv(path)
    assert_same(df, back)
    assert back.attrs["endpoint"] == "trade_page"
    assert back.attrs["filters"] == {"blocktime_end": 1721900600}
    assert back["memo"].iloc[0] == "" and pd.isna(back["memo"].iloc[1])
    assert str(back["amount"].iloc[1]) == "12345678901234.123456789012345678"


def test_plain_csv_text(tmp_path: Path) -> None:
    path = to_csv(frame(), tmp_path / "t.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens it as UTF-8
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["amount"] == "0.00000001"  # never 1E-8
    assert rows[0]["cid"] == "1410580986806272"
    assert rows[0]["code"] == "00000"
    assert rows[0]["block_time"] == "2024-07-25T09:43:01Z"
    assert rows[0]["status_label"] == "success"
    assert rows[2]["code"] == "E0015" and rows[2]["cid"] == ""
    plain = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert plain["code"].tolist()[0] == "00000"
    assert plain["remark"].iloc[0] == ROWS[0]["remark"]
    loose = pd.read_csv(path)  # no options at all: ids stay exact integers
    assert int(loose["pid"].iloc[0]) == 1409650233999360 or loose["pid"].dtype == object


def test_read_csv_without_schema_uses_the_registry(tmp_path: Path) -> None:
    path = to_csv(frame(), tmp_path / "t.csv", schema=False)
    assert not Path(str(path) + ".schema.json").exists()
    df = read_csv(path, endpoint="trade_page")
    assert df["cid"].dtype == "Int64" and df["cid"].iloc[0] == 1410580986806272
    assert df["amount"].iloc[0] == Decimal("0.00000001")
    assert df["code"].iloc[0] == "00000"
    assert str(df["block_time"].dtype) == "datetime64[ms, UTC]"
    text = read_csv(path)
    assert text["cid"].iloc[0] == "1410580986806272"


def test_parquet_round_trip_is_exact(tmp_path: Path) -> None:
    df = frame()
    path = to_parquet(df, tmp_path / "t.parquet")
    schema = pq.read_schema(path)
    assert str(schema.field("amount").type).startswith("decimal128")
    assert str(schema.field("cid").type) == "int64"
    assert str(schema.field("block_time").type) == "timestamp[ms, tz=UTC]"
    back = read_parquet(path)
    assert_same(df, back)
    assert back.attrs["total"] == 2


def test_order_info_round_trips(tmp_path: Path) -> None:
    env = copy.deepcopy(registry().endpoint("order_info").response_example)
    df = to_frame(env, "order_info")
    assert_same(df, read_csv(to_csv(df, tmp_path / "o.csv")))
    assert_same(df, read_parquet(to_parquet(df, tmp_path / "o.parquet")))


def test_coins_round_trip(tmp_path: Path) -> None:
    df = to_frame(copy.deepcopy(registry().endpoint("coins").response_example), "coins")
    assert_same(df, read_csv(to_csv(df, tmp_path / "c.csv")))
    assert_same(df, read_parquet(to_parquet(df, tmp_path / "c.parquet")))


def test_schema_sidecar_is_json(tmp_path: Path) -> None:
    path = to_csv(frame(), tmp_path / "t.csv")
    doc = json.loads(Path(str(path) + ".schema.json").read_text())
    assert doc["columns"]["amount"]["kind"] == "decimal"
    assert doc["columns"]["status_label"]["kind"] == "category"


@pytest.mark.parametrize("writer", ["csv", "parquet"])
def test_empty_frame_round_trips(tmp_path: Path, writer: str) -> None:
    df = to_frame({"code": "00000", "msg": "ok", "data": {"total": 0, "rows": []}}, "trade_page")
    if writer == "csv":
        back = read_csv(to_csv(df, tmp_path / "e.csv"))
    else:
        back = read_parquet(to_parquet(df, tmp_path / "e.parquet"))
    assert list(back.columns) == list(df.columns) and len(back) == 0


def test_api_key_never_in_frames_attrs_or_files(tmp_path: Path) -> None:
    """Frames, attrs, CSV, schema, Parquet, checkpoints and errors never hold the API key."""
    from cregis_notebook import CregisFetchError
    from cregis_notebook.fetch import fetch_frame
    from cregis_notebook.sandbox import FakeClock, Sandbox

    box = Sandbox(seed=2, transactions=1_500, clock=FakeClock(), failure_rate=0.0)
    key = box.api_key
    client = box.client(retry=False)
    frames = [
        fetch_frame(client, "trade_page", progress=False),
        fetch_frame(client, "coins"),
        fetch_frame(client, "sub_address_balance", currency="195@195", progress=False),
    ]
    ckpt = tmp_path / "ck.jsonl"
    flaky = Sandbox(seed=2, transactions=1_500, clock=FakeClock(), failure_rate=0.5)
    with pytest.raises(CregisFetchError) as info:
        fetch_frame(
            flaky.client(retry=False),
            "trade_page",
            progress=False,
            checkpoint=ckpt,
            page_attempts=1,
        )
    frames.append(info.value.partial)
    texts = [str(info.value), repr(info.value), ckpt.read_text()]
    for i, df in enumerate(frames):
        texts.append(json.dumps(df.attrs, default=str))
        texts.append(df.astype(str).to_csv())
        csv_path = to_csv(df, tmp_path / f"f{i}.csv")
        texts.append(csv_path.read_text(encoding="utf-8-sig"))
        texts.append(Path(str(csv_path) + ".schema.json").read_text())
        texts.append(to_parquet(df, tmp_path / f"f{i}.parquet").read_bytes().decode("latin-1"))
    assert all(key not in text for text in texts)
    assert all("sign" not in json.dumps(df.attrs) for df in frames)


# -- every value a frame holds comes back (issue: lone CR, mixed columns, "", huge decimals) -------


def test_a_lone_carriage_return_in_text_keeps_rows_and_columns(tmp_path: Path) -> None:
    env = {
        "code": "00000",
        "msg": "ok",
        "data": {
            "total": 2,
            "rows": [{"cid": 1, "amount": "1.5", "remark": "a\rb"}, {"cid": 2, "amount": "2"}],
        },
    }
    df = to_frame(env, "trade_page")
    for name in ("with.csv", "bare.csv"):
        to_csv(df, tmp_path / name, schema=name == "with.csv")
    back = read_csv(tmp_path / "with.csv")
    assert len(back) == 2 and back["cid"].tolist() == [1, 2]
    assert back["remark"].tolist()[0] == "a\rb"
    assert_same(df, back)
    plain = pd.read_csv(tmp_path / "bare.csv", dtype=str, encoding="utf-8-sig")
    assert len(plain) == 2 and plain["remark"][0] == "a\rb"


def test_a_mixed_undocumented_column_round_trips_with_its_types(tmp_path: Path) -> None:
    rows = [
        {"cid": 1, "extra": "abc"},
        {"cid": 2, "extra": 5},
        {"cid": 3, "extra": Decimal("1.50")},
        {"cid": 4, "extra": {"a": [Decimal("5"), "", None, True]}},
        {"cid": 5, "extra": ""},
        {"cid": 6},
    ]
    df = to_frame({"code": "00000", "msg": "ok", "data": {"total": 6, "rows": rows}}, "trade_page")
    assert df["extra"].dtype == object
    to_csv(df, tmp_path / "t.csv")
    to_parquet(df, tmp_path / "t.parquet")
    for back in (read_csv(tmp_path / "t.csv"), read_parquet(tmp_path / "t.parquet")):
        assert_same(df, back)
        assert str(back["extra"][2]) == "1.50" and str(back["extra"][3]["a"][0]) == "5"


def test_empty_text_stays_empty_in_object_and_category_columns(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {
            "words": pd.Series(["", None, "a"], dtype=object),
            "mixed": pd.Series(["", None, 5], dtype=object),
            "cat": pd.Categorical(["", None, "a"], categories=["a", ""]),
            "one": pd.Series([None, "", "x"], dtype="string"),
        }
    )
    to_csv(df, tmp_path / "t.csv")
    back = read_csv(tmp_path / "t.csv")
    assert back["words"].tolist()[0] == "" and pd.isna(back["words"][1])
    assert back["mixed"].tolist()[:2] == ["", None]
    assert back["cat"].tolist()[0] == "" and pd.isna(back["cat"][1])
    assert list(back["cat"].cat.categories) == ["a", ""]
    assert pd.isna(back["one"][0]) and back["one"][1] == ""


def test_parquet_keeps_up_to_76_digits_and_names_the_value_beyond(tmp_path: Path) -> None:
    wide = Decimal("1" * 40 + "." + "2" * 30)
    tiny = Decimal("1E-100")
    df = pd.DataFrame({"amount": pd.Series([wide, None], dtype=object)})
    to_parquet(df, tmp_path / "ok.parquet")
    assert read_parquet(tmp_path / "ok.parquet")["amount"].tolist() == [wide, None]
    for value in (tiny, Decimal("9" * 77)):
        df = pd.DataFrame({"fee": pd.Series([Decimal("1"), value], dtype=object)})
        with pytest.raises(CregisExportError, match=r"column 'fee'.*to_csv") as info:
            to_parquet(df, tmp_path / "bad.parquet")
        assert str(value) in str(info.value) or format(value, "f") in str(info.value)
        assert not (tmp_path / "bad.parquet").exists()
        to_csv(df, tmp_path / "bad.csv")
        assert read_csv(tmp_path / "bad.csv")["fee"].tolist() == [Decimal("1"), value]


def test_a_column_mixing_floats_and_decimals_is_refused(tmp_path: Path) -> None:
    df = pd.DataFrame({"x": pd.Series([0.5, Decimal("0.5"), "a"], dtype=object)})
    with pytest.raises(CregisExportError, match="floats and Decimals"):
        to_csv(df, tmp_path / "t.csv")
    floats = pd.DataFrame({"x": pd.Series([0.1, 2.0, "a"], dtype=object)})
    to_csv(floats, tmp_path / "f.csv")
    back = read_csv(tmp_path / "f.csv")["x"].tolist()
    assert back == [0.1, 2.0, "a"] and [type(v) for v in back] == [float, float, str]


def test_lone_surrogates_from_json_escapes_warn_and_round_trip(tmp_path: Path) -> None:
    text = '{"code": "00000", "msg": "ok", "data": {"total": 1, "rows": [{"cid": 1,'
    text += ' "remark": "a\\ud800b", "currency": "195@\\udc00", "extra": "\\udfff"}]}}'
    with pytest.warns(CregisDataWarning) as record:
        df = to_frame(json.loads(text), "trade_page")
    said = " ".join(str(w.message) for w in record)
    assert all(f"'{name}'" in said for name in ("remark", "currency", "extra"))
    assert df["remark"][0] == "a\ud800b" and df["extra"][0] == "\udfff"
    to_csv(df, tmp_path / "t.csv")
    to_parquet(df, tmp_path / "t.parquet")
    for back in (read_csv(tmp_path / "t.csv"), read_parquet(tmp_path / "t.parquet")):
        assert_same(df, back)


def test_files_of_the_first_format_still_read(tmp_path: Path) -> None:
    path = tmp_path / "old.csv"
    path.write_text("cid,extra\n1,abc\n2,5\n3,\n", encoding="utf-8-sig")
    columns = {"cid": {"kind": "int"}, "extra": {"kind": "json"}}
    doc = {"format": 1, "columns": columns, "attrs": {}}
    Path(str(path) + ".schema.json").write_text(json.dumps(doc), encoding="utf-8")
    back = read_csv(path)
    assert back["cid"].tolist() == [1, 2, 3]
    assert back["extra"].tolist() == ["abc", 5, None]
