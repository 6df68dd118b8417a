"""The accounting workbook: exact round trips, and cells an accountant can trust in Excel."""

from __future__ import annotations

import datetime as dt
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from cregis_notebook import Client, CregisExportError, read_excel, to_excel
from cregis_notebook.fetch import fetch_frame

HUGE = Decimal("123456789012345678901234567890.123456789012345678901234567890")
TINY = Decimal("0.000000000000000000000000000001")  # 30 places, one digit: a number cell
PAST_30 = Decimal("1E-31")  # 31 places: no number format shows it
SIXTEEN = Decimal("1234567890.123456")  # 16 significant digits


def decimals(values: list[Any]) -> pd.Series:
    return pd.Series(values, dtype=object)


def edge_frame() -> pd.DataFrame:
    """Every value an accounting sheet is likely to mangle, in typed columns."""
    times = [
        "2024-07-25 09:43:01.123",
        "2024-07-25 09:43:02",
        None,
        "1899-12-31 23:59:59.999",  # before Excel's dates: text
        "2024-12-31 23:59:59.999",
        "1970-01-01 00:00:00.001",
    ]
    df = pd.DataFrame(
        {
            "cid": pd.Series(
                [1234567890123456789, 9223372036854775807, None, 7, -1, 0], dtype="Int64"
            ),
            "amount": decimals(
                [Decimal("1.50000000"), HUGE, None, Decimal("-0.00000001"), TINY, SIXTEEN]
            ),
            "fee": decimals(
                [Decimal("0E-8"), Decimal("-0.00"), PAST_30, Decimal("0"), Decimal("-12.5"), None]
            ),
            "block_height": pd.Series([42393516, 10**16, None, 0, 1, 2], dtype="Int64"),
            "block_time": pd.Series(
                pd.to_datetime(times, utc=True, format="ISO8601"), dtype="datetime64[ms, UTC]"
            ),
            "code": pd.Series(["00000", "00000", "10001", "00000", "", None], dtype="string"),
            "msg": pd.Series(["ok", "", None, "中文 ✓ 🚀", "a\r\nb", "x\ry"], dtype="string"),
            "remark": pd.Series(
                ["_x0041_", "=SUM(A1:A2)", "\t lead", "é\u2028", "\x01bell", "'quoted"],
                dtype="string",
            ),
            "status_label": pd.Categorical(
                ["success", "", None, "failed", "success", "pending"],
                categories=["pending", "success", "failed", ""],
            ),
            "ratio": pd.Series([0.1, 1 / 3, None, 1e300, -2.5, 0.0], dtype="Float64"),
            "ok": pd.Series([True, False, None, True, True, False], dtype="boolean"),
        }
    )
    df.attrs.update({"endpoint": "trade_page", "total": 6, "filters": {"status": 1}})
    return df


def assert_exact(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Same columns, dtypes, values (Decimals with their scale), missing values and attrs."""
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert a.attrs == b.attrs
    for name in a.columns:
        for x, y in zip(a[name].tolist(), b[name].tolist(), strict=True):
            if isinstance(x, Decimal):
                assert isinstance(y, Decimal) and str(x) == str(y), (name, x, y)
            elif isinstance(x, str):
                assert x == y, (name, x, y)


@pytest.fixture(scope="module")
def sandbox_frames() -> dict[str, pd.DataFrame]:
    client = Client.sandbox(seed=0)
    order_ids = list(client.sandbox_app.examples()["order_by_status"].values())
    return {
        "trades": fetch_frame(client, "trade_page", progress=False),
        "balances": fetch_frame(client, "sub_address_balance", currency="195@195", progress=False),
        "orders": fetch_frame(client, "order_info", cregis_id=order_ids, progress=False),
    }


def test_sandbox_frames_round_trip_exactly(
    sandbox_frames: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    path = to_excel(sandbox_frames, tmp_path / "books.xlsx")
    back = read_excel(path)
    assert list(back) == ["trades", "balances", "orders"]
    for name, df in sandbox_frames.items():
        assert len(df) > 0
        assert_exact(df, back[name])
    assert back["trades"].attrs["endpoint"] == "trade_page"
    assert str(back["trades"]["block_time"].dtype) == "datetime64[ms, UTC]"
    assert back["trades"]["code"].eq("00000").all()


def test_edge_values_round_trip_exactly(tmp_path: Path) -> None:
    df = edge_frame()
    back = read_excel(to_excel(df, tmp_path / "edge.xlsx"), "trade_page")
    assert_exact(df, back)
    assert back["code"].tolist()[4] == "" and back["code"].isna().tolist()[5]
    assert back["msg"].tolist()[4] == "a\r\nb"


def test_cells_are_what_an_accountant_needs(tmp_path: Path) -> None:
    path = to_excel(edge_frame(), tmp_path / "edge.xlsx")
    ws = openpyxl.load_workbook(path)["trade_page"]
    header = [c.value for c in ws[1]]
    assert header[:11] == [
        "cid",
        "amount",
        "fee",
        "block_height",
        "block_time (UTC)",
        "code",
        "msg",
        "remark",
        "status_label",
        "ratio",
        "ok",
    ]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:K7"
    assert all(ws.column_dimensions[c].width >= 8 for c in "ABCDEFGHIJK")
    # ids and codes: text, kept whole
    assert ws["A2"].data_type == "s" and ws["A2"].value == "1234567890123456789"
    assert ws["A3"].value == "9223372036854775807"
    assert ws["F2"].data_type == "s" and ws["F2"].value == "00000"
    assert ws["F2"].number_format == "@"
    # amounts: a number showing its scale when a double holds it, else exact text
    assert ws["B2"].data_type == "n" and ws["B2"].value == 1.5
    assert ws["B2"].number_format == "#,##0.00000000"
    assert ws["B3"].data_type == "s" and ws["B3"].value == format(HUGE, "f")
    assert ws["B6"].data_type == "n" and ws["B6"].number_format.endswith("." + "0" * 30)
    assert ws["B7"].value == "1234567890.123456"  # 16 digits: text, not 1234567890.12346
    assert ws["C4"].value == format(PAST_30, "f")
    assert ws["D2"].data_type == "n" and ws["D3"].value == str(10**16)
    assert ws["J2"].value == 0.1 and ws["J2"].number_format == "#,##0.0"
    assert ws["J3"].data_type == "s" and ws["J3"].value == repr(1 / 3)  # 16 digits
    # times: Excel date-times in UTC, to the millisecond; before 1900 as ISO text
    assert ws["E2"].is_date and ws["E2"].value == dt.datetime(2024, 7, 25, 9, 43, 1, 123000)
    assert ws["E2"].number_format == "yyyy-mm-dd hh:mm:ss.000"
    assert ws["E5"].data_type == "s" and ws["E5"].value.startswith("1899-12-31T23:59:59.999")
    # text is never a formula; what XML cannot carry is escaped the way Excel reads it
    assert ws["H3"].data_type == "s" and ws["H3"].value == "=SUM(A1:A2)"
    assert ws["G6"].value == "a_x000D_\nb"
    assert ws["H2"].value == "_x005F_x0041_"
    # the note: beside the table (one blank column apart) and on the header of each column
    note = " ".join(str(c.value) for c in ws["M"] if c.value)
    assert "B3" in note and "B7" in note and "C3" in note and "C4" in note
    assert "amount (" not in note and "block_time (UTC): E5" in note
    assert "not rounded" in note and "J3" in note  # 1/3 has 16 digits
    assert ws["B1"].comment is not None and "2 cell(s) are text" in ws["B1"].comment.text
    assert ws["A1"].comment is None  # ids are text by design, nothing to explain
    assert ws.parent["cregis_notebook"].sheet_state == "hidden"


def test_only_amounts_a_number_cannot_hold_are_text(
    sandbox_frames: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    trades, balances = sandbox_frames["trades"], sandbox_frames["balances"]
    path = to_excel([trades, balances], tmp_path / "t.xlsx")
    book = openpyxl.load_workbook(path)
    ws = book["trade_page"]
    column = list(trades.columns).index("amount") + 1
    cells = [row[0] for row in ws.iter_rows(min_row=2, min_col=column, max_col=column)]
    digits = [len(a.as_tuple().digits) for a in trades["amount"]]
    as_text = [c.coordinate for c, n in zip(cells, digits, strict=True) if n > 15]
    assert as_text, "the sandbox has 16-digit amounts"
    assert [c.coordinate for c in cells if c.data_type == "s"] == as_text
    note = ws.cell(2, len(trades.columns) + 2).value
    assert note.startswith("amount: " + ", ".join(as_text[:12]))
    assert ws.cell(1, column).comment is not None
    quiet = book["sub_address_balance"]  # every balance fits: no note, no comment
    assert quiet.max_column == len(balances.columns)
    assert all(cell.comment is None for cell in quiet[1])


def test_text_longer_than_a_cell_is_kept_whole(tmp_path: Path) -> None:
    long = "x" * 40_000 + "\r"
    df = pd.DataFrame({"remark": pd.Series([long, "short"], dtype="string")})
    path = to_excel({"long": df}, tmp_path / "l.xlsx")
    ws = openpyxl.load_workbook(path)["long"]
    assert len(ws["A2"].value) == 32_767 and "read_excel gives back" in ws["C2"].value
    assert read_excel(path, "long")["remark"].tolist() == [long, "short"]


def test_sheet_names_follow_excel_rules(tmp_path: Path) -> None:
    df = pd.DataFrame({"a": pd.Series(["1"], dtype="string")})
    named = {"a/b:c*?[d]": df, "x" * 40: df, "X" * 40: df, "cregis_notebook": df, "": df}
    path = to_excel(named, tmp_path / "n.xlsx")
    sheets = openpyxl.load_workbook(path).sheetnames
    assert sheets[:5] == [
        "a_b_c___d_",
        "x" * 31,
        "X" * 27 + " (2)",
        "cregis_notebook (2)",
        "frame 5",
    ]
    assert list(read_excel(path)) == list(named)  # the keys given, not the sheet names
    odd = pd.DataFrame({"odd\x01name": decimals([HUGE])})
    path = to_excel({"bell\x07": odd}, tmp_path / "o.xlsx")
    ws = openpyxl.load_workbook(path)["bell_"]
    assert ws["A1"].value == "odd_x0001_name" and ws["C2"].value.startswith("odd_x0001_name: A2")
    assert_exact(odd, read_excel(path, "bell\x07"))
    plain = [df.assign(b=1), df]
    plain[0].attrs["endpoint"] = plain[1].attrs["endpoint"] = "trade_page"
    assert list(read_excel(to_excel(plain, tmp_path / "p.xlsx"))) == [
        "trade_page",
        "trade_page (2)",
    ]


def test_refusals_write_nothing(tmp_path: Path) -> None:
    mixed = pd.DataFrame({"mixed": pd.Series([[0.5], {"a": Decimal("0.5")}], dtype=object)})
    with pytest.raises(CregisExportError, match="'mixed'"):
        to_excel(mixed, tmp_path / "m.xlsx")
    assert not (tmp_path / "m.xlsx").exists()
    with pytest.raises(CregisExportError, match="at least one sheet"):
        to_excel([], tmp_path / "e.xlsx")
    with pytest.raises(TypeError, match="DataFrame"):
        to_excel("trades", tmp_path / "s.xlsx")  # type: ignore[arg-type]
    other = openpyxl.Workbook()
    other.save(tmp_path / "other.xlsx")
    with pytest.raises(CregisExportError, match="not written by to_excel"):
        read_excel(tmp_path / "other.xlsx")
    with pytest.raises(KeyError, match="nope"):
        read_excel(to_excel(edge_frame(), tmp_path / "k.xlsx"), "nope")


def test_times_in_any_zone_are_written_in_utc_and_read_back_in_theirs(tmp_path: Path) -> None:
    instant = pd.Timestamp("2024-07-25 09:43:01.500", tz="UTC")
    df = pd.DataFrame(
        {
            "local": pd.Series([instant.tz_convert("Asia/Shanghai")]).dt.as_unit("ms"),
            "naive": pd.Series([instant.tz_localize(None)]).dt.as_unit("ms"),
        }
    )
    path = to_excel({"t": df}, tmp_path / "z.xlsx")
    ws = openpyxl.load_workbook(path)["t"]
    assert [ws["A1"].value, ws["B1"].value] == ["local (UTC)", "naive"]
    assert ws["A2"].value == ws["B2"].value == dt.datetime(2024, 7, 25, 9, 43, 1, 500000)
    assert_exact(df, read_excel(path, "t"))


def test_empty_frames_round_trip(tmp_path: Path) -> None:
    no_rows = edge_frame().iloc[:0]
    no_columns = pd.DataFrame(index=range(3))
    back = read_excel(to_excel([no_rows, no_columns], tmp_path / "e.xlsx"))
    assert list(back) == ["trade_page", "frame 2"]
    assert_exact(no_rows, back["trade_page"])
    assert back["frame 2"].shape == (3, 0)


def test_the_api_key_is_not_in_the_workbook(tmp_path: Path) -> None:
    client = Client.sandbox(seed=1)
    key = client.sandbox_app.api_key
    trades = fetch_frame(client, "trade_page", progress=False)
    path = to_excel(trades, tmp_path / "k.xlsx")
    with zipfile.ZipFile(path) as book:
        texts = [book.read(name).decode("utf-8", "replace") for name in book.namelist()]
    assert texts and all(key not in text for text in texts)


def test_attrs_of_any_length_and_text_come_back(tmp_path: Path) -> None:
    df = pd.DataFrame({"a": pd.Series(["x"], dtype="string")})
    df.attrs.update({"endpoint": "coins", "remark": "_x0041_ \r\n" + "y" * 70_000})
    back = read_excel(to_excel(df, tmp_path / "a.xlsx"), "coins")
    assert back.attrs == df.attrs
