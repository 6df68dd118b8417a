"""to_frame / to_frames and the dtype contract, column by column."""

from __future__ import annotations

import copy
import warnings
from collections import OrderedDict
from decimal import Decimal

import pandas as pd
import pytest

from cregis_notebook import Envelope, registry, to_frame
from cregis_notebook._dtypes import field_pattern
from cregis_notebook._values import loads_exact
from cregis_notebook.errors import CregisDataWarning
from cregis_notebook.frames import to_frames

ROW = {
    "pid": 1409650233999360,
    "cid": 1410580986806272,
    "chain_id": "2610",
    "token_id": "0x337610d27c682e347c9cd60bd4b3b107c9d34ddd",
    "to_address": "0x2d4124dcf3ca13acaff5579e1aa962c968df9092",
    "amount": "0.1",
    "status": 1,
    "txid": "0xa795af0324b1e3b862ae0c271bc8b3d99c7a1b72a6a0088a10c84403d0e6f27d",
    "block_height": "42393516",
    "block_time": 1721900581,
    "fee": "0.00258015",
    "from_address": "0xbd5ba5a08849c8a2c8ef188778ec383682b0063b",
}


def page(rows: list[dict], total: int | None = None, num: int = 1, size: int = 10) -> dict:
    data = {"total": len(rows) if total is None else total, "rows": rows}
    return {"code": "00000", "msg": "ok", "data": {**data, "pageNum": num, "pageSize": size}}


def example(name: str) -> dict:
    return copy.deepcopy(registry().endpoint(name).response_example)


# -- shapes ----------------------------------------------------------------------------------------


def test_page_rows_become_rows_with_code_and_msg_on_each() -> None:
    rows = [dict(ROW, cid=ROW["cid"] + i) for i in range(3)]
    df = to_frame(page(rows), "trade_page")
    assert len(df) == 3
    assert df["code"].tolist() == ["00000"] * 3
    assert df["msg"].tolist() == ["ok"] * 3
    assert df.attrs["endpoint"] == "trade_page"
    assert df.attrs["total"] == 3


def test_several_pages_and_envelope_objects() -> None:
    a = page([ROW], total=2)
    b = page([dict(ROW, cid=1)], total=2, num=2)
    env = Envelope(code="00000", msg="ok", data=b["data"], endpoint="trade_page")
    df = to_frame([a, env])  # the endpoint comes from the Envelope
    assert df["cid"].tolist() == [ROW["cid"], 1]
    assert df.attrs["pages"] == 2


def test_error_envelope_is_one_row_with_empty_data_columns() -> None:
    error = {"code": "B0001", "msg": "Signature Error", "data": None}
    df = to_frame([page([ROW]), error], "trade_page")
    assert len(df) == 2
    bad = df.iloc[1]
    assert bad["code"] == "B0001" and bad["msg"] == "Signature Error"
    assert pd.isna(bad["cid"]) and pd.isna(bad["amount"]) and pd.isna(bad["block_time"])
    alone = to_frame(error, "trade_page")
    assert len(alone) == 1 and "cid" in alone.columns and alone.attrs["errors"] == 1


def test_documented_columns_exist_even_when_absent() -> None:
    df = to_frame(page([]), "trade_page")
    assert len(df) == 0
    for col in ("cid", "amount", "memo", "status_label", "code", "msg"):
        assert col in df.columns
    assert df["cid"].dtype == "Int64"


def test_coins_are_one_row_per_coin_with_usage() -> None:
    data = {
        "payout_coins": [{"coin_name": "Dogecoin", "chain_id": "3", "token_id": "3"}],
        "address_coins": [
            {"coin_name": "TRON#Shasta", "chain_id": "195", "token_id": "195", "decimals": 6},
            {"coin_name": "Dogecoin", "chain_id": "3", "token_id": "3"},
        ],
    }
    df = to_frame({"code": "00000", "msg": "ok", "data": data}, "coins")
    assert df["usage"].tolist() == ["payout", "address", "address"]
    assert df["coin_name"].tolist() == ["Dogecoin", "TRON#Shasta", "Dogecoin"]
    assert df["decimals"].dtype == "Int64"
    assert df["decimals"].tolist()[1] == 6 and pd.isna(df["decimals"].iloc[0])


def test_list_and_null_data() -> None:
    batch = to_frame(example("address_batch_create"), "address_batch_create")
    assert len(batch) == 10 and batch["address"].dtype == "string"
    null = to_frame({"code": "00000", "msg": "ok", "data": None}, "address_update")
    assert len(null) == 1 and list(null.columns) == ["code", "msg"]


def test_unknown_endpoint_shapes_are_inferred() -> None:
    df = to_frame({"code": "00000", "msg": "ok", "data": {"total": 1, "rows": [{"x": 1}]}})
    assert df["x"].tolist() == [1] and df["x"].dtype == "Int64"
    obj = to_frame({"code": "00000", "msg": "ok", "data": {"a": {"b": "t"}}})
    assert obj["a.b"].tolist() == ["t"]


def test_order_info_nested_objects_and_lists() -> None:
    env = example("order_info")
    df = to_frame(env, "order_info")
    assert len(df) == 1
    assert "payment_detail.0.tx_id" in df.columns
    assert df["payment_detail.0.pay_amount"].iloc[0] == Decimal(
        env["data"]["payment_detail"][0]["pay_amount"]
    )
    assert df["payment_info.0.token_decimals"].dtype == "Int64"
    assert "refund_data.refund_id" in df.columns and df["refund_data.refund_id"].dtype == "Int64"
    assert str(df["created_time"].dtype) == "datetime64[ms, UTC]"
    frames = to_frames(env, "order_info")
    assert set(frames) >= {"main", "payment_detail", "payment_info"}
    assert not any(c.startswith("payment_info.") for c in frames["main"].columns)
    info = frames["payment_info"]
    assert len(info) == len(env["data"]["payment_info"])
    assert info["cregis_id"].tolist() == [env["data"]["cregis_id"]] * len(info)
    assert info["payment_info.index"].tolist() == list(range(len(info)))
    assert info["token_decimals"].dtype == "Int64"


def test_to_frames_of_many_orders_keys_children_by_parent() -> None:
    a, b = example("order_info"), example("order_info")
    b["data"]["cregis_id"] = "po2"
    b["data"]["payment_info"] = b["data"]["payment_info"][:1]
    frames = to_frames([a, b], "order_info")
    info = frames["payment_info"]
    n = len(a["data"]["payment_info"])
    assert info["cregis_id"].tolist() == [a["data"]["cregis_id"]] * n + ["po2"]


# -- the dtype contract ----------------------------------------------------------------------------


def test_dtype_contract_trade_page() -> None:
    rows = [ROW, {"cid": 5, "amount": "12345678901234.123456789012345678"}]  # second row sparse
    df = to_frame(page(rows), "trade_page")
    assert df["cid"].dtype == "Int64" and df["pid"].dtype == "Int64"
    assert df["pid"].tolist()[0] == 1409650233999360 and pd.isna(df["pid"].iloc[1])
    assert df["cid"].tolist() == [1410580986806272, 5]  # exact: no float round trip
    assert df["amount"].dtype == object
    assert df["amount"].tolist() == [Decimal("0.1"), Decimal("12345678901234.123456789012345678")]
    assert df["fee"].iloc[1] is None
    assert str(df["block_time"].dtype) == "datetime64[ms, UTC]"
    assert df["block_time"].iloc[0] == pd.Timestamp("2024-07-25 09:43:01", tz="UTC")
    assert pd.isna(df["block_time"].iloc[1])
    assert df["status"].dtype == "Int64"
    assert isinstance(df["status_label"].dtype, pd.CategoricalDtype)
    assert df["status_label"].iloc[0] == "success"
    assert list(df["status_label"].cat.categories)[:3] == ["pending", "success", "failed"]
    assert df["block_height"].dtype == "Int64"
    assert df["txid"].dtype == "string" and df["code"].dtype == "string"
    assert df["chain_id"].iloc[0] == "2610"


def test_code_keeps_leading_zeros() -> None:
    df = to_frame(page([ROW]), "trade_page")
    assert df["code"].iloc[0] == "00000"
    assert isinstance(df["code"].iloc[0], str)


def test_decimal_sums_and_groupbys_are_exact() -> None:
    rows = [dict(ROW, cid=i, amount="0.1", status=i % 2) for i in range(10)]
    rows.append(dict(ROW, cid=99, amount="0.000000000000000001", status=0))
    df = to_frame(page(rows), "trade_page")
    assert df["amount"].sum() == Decimal("1.000000000000000001")
    sums = df.groupby("status_label", observed=True)["amount"].sum()
    assert sums["pending"] == Decimal("0.500000000000000001")
    assert sums["success"] == Decimal("0.5")


def test_amount_text_forms() -> None:
    rows = [dict(ROW, cid=i, amount=a) for i, a in enumerate(["1e-8", "", "7", 3, 0.1])]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        df = to_frame(page(rows), "trade_page")
    assert df["amount"].tolist() == [Decimal("1e-8"), None, Decimal(7), Decimal(3), Decimal("0.1")]


def test_ids_from_digit_text_and_bad_ids_fall_back_to_text() -> None:
    df = to_frame(page([dict(ROW, cid="1410580986806272")]), "trade_page")
    assert df["cid"].tolist() == [1410580986806272] and df["cid"].dtype == "Int64"
    with pytest.warns(CregisDataWarning, match="cid"):
        bad = to_frame(page([dict(ROW, cid="x1")]), "trade_page")
    assert bad["cid"].tolist() == ["x1"]


def test_unknown_status_keeps_its_text_as_label() -> None:
    df = to_frame(page([dict(ROW, status=9)]), "trade_page")
    assert df["status"].iloc[0] == 9 and df["status_label"].iloc[0] == "9"


def test_time_units_follow_the_registry_and_evident_magnitude() -> None:
    env = example("payout_query")
    df = to_frame(env, "payout_query")  # block_time in ms
    ms = env["data"]["block_time"]
    assert df["block_time"].iloc[0] == pd.Timestamp(ms, unit="ms", tz="UTC")
    with pytest.warns(CregisDataWarning, match="milliseconds"):
        odd = to_frame(page([dict(ROW, block_time=1721900581123)]), "trade_page")
    assert odd["block_time"].iloc[0] == pd.Timestamp(1721900581123, unit="ms", tz="UTC")


def test_balance_currency_is_split_into_chain_and_token() -> None:
    env = example("sub_address_balance")
    env["data"]["rows"].append({"address": "x", "currency": "TRX", "total": "1"})
    df = to_frame(env, "sub_address_balance")
    assert df["chain_id"].iloc[0] == "198"
    assert df["token_id"].iloc[0] == "TG3XXyExBkPp9nzdajDZsozEu4BkaSJozs"
    assert pd.isna(df["chain_id"].iloc[1])  # a symbol, not chain@token
    assert df["total"].iloc[0] == Decimal("7")
    cols = list(df.columns)
    assert cols.index("chain_id") == cols.index("currency") + 1


def test_trade_page_currency_is_not_split() -> None:
    df = to_frame(page([dict(ROW, currency="60@60")]), "trade_page")
    assert df["chain_id"].iloc[0] == "2610"  # the row's own chain_id wins


def test_undocumented_fields_are_inferred_conservatively() -> None:
    extra = dict(ROW, new_id=12345678901234567, note="007", flag=True, rate=1.5, mix=[1, "a"])
    df = to_frame(page([extra, ROW]), "trade_page")
    assert df["new_id"].dtype == "Int64" and df["new_id"].iloc[0] == 12345678901234567
    assert df["note"].dtype == "string" and df["note"].iloc[0] == "007"
    assert df["flag"].dtype == "boolean"
    assert df["rate"].dtype == "Float64"
    assert df["mix"].iloc[0] == [1, "a"]


def test_enum_string_label_only_when_it_differs() -> None:
    df = to_frame(example("order_info"), "order_info")
    assert "status_label" not in df.columns  # "paid" is already readable
    assert "settlement_type_label" in df.columns


def test_labels_can_be_left_out() -> None:
    df = to_frame(page([ROW]), "trade_page", labels=False)
    assert not any(c.endswith("_label") for c in df.columns)


def test_field_pattern() -> None:
    assert field_pattern("payment_detail.0.tx_id") == "payment_detail[].tx_id"
    assert field_pattern("order_details.items.1.item_id") == "order_details.items[].item_id"
    assert field_pattern("cid") == "cid"


def test_data_fields_named_like_envelope_columns_do_not_clash() -> None:
    df = to_frame({"code": "00000", "msg": "ok", "data": {"code": "x1", "v": 1}})
    assert df["code"].iloc[0] == "00000" and df["data.code"].iloc[0] == "x1"


def test_bad_input() -> None:
    with pytest.raises(TypeError):
        to_frame([1])
    with pytest.raises(TypeError):
        to_frame({"data": 1})


# -- the Arrow fast path gives the same frame as the Python path -----------------------------------


def _many(n: int) -> list[dict]:
    rows = []
    for i in range(n):
        row = dict(ROW, cid=ROW["cid"] + i, amount=f"{i}.{i % 9}", status=i % 3)
        if i % 5 == 0:
            row["memo"] = f"m{i}"
        rows.append(row)
    return rows


@pytest.mark.parametrize(
    "tweak",
    [
        None,
        lambda rows: rows[150].update(extra_field=7),  # undocumented key outside the sample
        lambda rows: rows[150].update(memo=None),  # an explicit null
        lambda rows: rows[150].update(cid="1410580986806422"),  # one id as text
        lambda rows: rows[150].update(business_type=3),  # documented key outside the sample
        lambda rows: rows[150].update(amount=""),  # an empty amount
        lambda rows: rows[150].pop("fee"),  # a missing amount
        lambda rows: rows[150].update(fee=0.5),  # a JSON number as amount
    ],
)
def test_fast_path_matches_python_path(tweak: object) -> None:
    rows = _many(300)
    if tweak is not None:
        tweak(rows)  # type: ignore[operator]
    env = page(rows)
    fast = to_frame(env, "trade_page")
    # records that are a dict subclass are read one by one: the Python path runs
    slow_env = page([OrderedDict(r) for r in rows])
    slow = to_frame(slow_env, "trade_page")
    pd.testing.assert_frame_equal(fast, slow)
    assert len(fast) == 300
    if tweak is not None:
        assert fast.iloc[150].notna().sum() >= slow.iloc[150].notna().sum()


# -- the fast path reads int columns as float64: what it cannot read exactly goes the Python way ---


def _fast_and_slow(rows: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The frame of ``rows`` by the fast path and by the Python path (a dict subclass)."""
    fast = to_frame(page(rows), "trade_page")
    slow = to_frame(page([OrderedDict(r) for r in rows]), "trade_page")
    return fast, slow


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("cid", True, "true"),  # a bool reads as 1.0 in float64
        ("status", False, "false"),  # ... and as 0.0, in a column that holds 0 and 1 anyway
        ("cid", 12.5, "12.5"),  # a float is kept as float64: the cast to int64 refuses it
        ("cid", float("nan"), "nan"),
        ("cid", Decimal("1.0000000000000000000001"), "1.0000000000000000000001"),  # ~1.0
        ("block_time", 10**17, str(10**17)),  # beyond float64: int64, then past the year 9999
        ("cid", 2**63, str(2**63)),  # beyond int64
    ],
)
def test_an_unsampled_value_that_is_no_int_is_not_read_as_one(
    key: str, value: object, expected: str
) -> None:
    rows = _many(300)  # the Arrow fast path; the 150th record is outside its sample
    rows[150][key] = value
    with pytest.warns(CregisDataWarning, match=key):
        fast, slow = _fast_and_slow(rows)
    pd.testing.assert_frame_equal(fast, slow)
    assert fast[key].tolist()[150] == expected
    assert fast[key].tolist()[149] == str(rows[149][key])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("7"), 7),  # a whole Decimal: Arrow refuses it as float64, int64 reads it exactly
        (Decimal("1E+2"), 100),
        (1.0, 1),  # a whole float is the int it says (as the value contract reads it)
        (2**53 + 1, 2**53 + 1),  # float64 cannot hold it: never rounded to 2**53
        (-(2**63), -(2**63)),
    ],
)
def test_an_unsampled_whole_number_is_read_exactly(value: object, expected: int) -> None:
    rows = _many(300)
    rows[150]["cid"] = value
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fast, slow = _fast_and_slow(rows)
    pd.testing.assert_frame_equal(fast, slow)
    assert fast["cid"].dtype == "Int64"
    assert fast["cid"].tolist()[150] == expected
    assert fast["cid"].tolist()[149] == rows[149]["cid"]


def test_a_column_of_ints_beyond_float64_is_exact_and_still_guarded() -> None:
    rows = [dict(r, cid=2**60 + i) for i, r in enumerate(_many(300))]  # sampled: read as int64
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fast, slow = _fast_and_slow(rows)
    pd.testing.assert_frame_equal(fast, slow)
    assert fast["cid"].tolist() == [2**60 + i for i in range(300)]
    rows[150]["cid"] = 1.9  # Arrow would truncate it into int64: the value types are looked at
    with pytest.warns(CregisDataWarning, match="cid"):
        fast, slow = _fast_and_slow(rows)
    pd.testing.assert_frame_equal(fast, slow)
    assert fast["cid"].tolist()[150] == "1.9"


@pytest.mark.parametrize(
    "amount", [" 1.5 ", "\t2\n", "1e-8", "-0.0", Decimal("0.123456789012345678901234567890")]
)
def test_an_unsampled_amount_is_read_as_the_python_path_reads_it(amount: object) -> None:
    rows = _many(300)
    rows[150]["amount"] = amount
    fast, slow = _fast_and_slow(rows)
    pd.testing.assert_frame_equal(fast, slow)
    assert fast["amount"][150] == Decimal(str(amount).strip())
    assert str(fast["amount"][150]) == str(Decimal(str(amount).strip()))


# -- nothing truncated, nothing overflowed, every digit kept ---------------------------------------


@pytest.mark.parametrize("count", [1, 100])  # 100: the Arrow fast path, the odd one unsampled
def test_fractional_numbers_in_integer_columns_keep_their_text_and_warn(count: int) -> None:
    rows = [dict(ROW, cid=i, status=1) for i in range(count)]
    odd = count // 2
    rows[odd] = dict(ROW, cid=1.9, status=Decimal("2.5"))
    with pytest.warns(CregisDataWarning) as record:
        df = to_frame(page(rows), "trade_page")
    said = " ".join(str(w.message) for w in record)
    assert "'cid'" in said and "'status'" in said
    assert df["cid"].tolist()[odd] == "1.9" and df["status"].tolist()[odd] == "2.5"


def test_an_epoch_past_the_year_9999_keeps_its_text_and_warns() -> None:
    with pytest.warns(CregisDataWarning, match="block_time"):
        df = to_frame(page([dict(ROW, block_time=10**17)]), "trade_page")
    assert df["block_time"].tolist() == [str(10**17)]
    rows = [dict(ROW, block_time=1721900581), dict(ROW, block_time=10**15)]
    with pytest.warns(CregisDataWarning, match="block_time"):
        mixed = to_frame(page(rows), "trade_page")  # seconds: 10**15 s would overflow
    assert mixed["block_time"].tolist() == ["1721900581", str(10**15)]


def test_numbers_parsed_exactly_keep_every_digit() -> None:
    text = (
        '{"code": "00000", "msg": "ok", "data": {"total": 1, "rows": [{"cid": 5,'
        ' "amount": 0.123456789012345678901234567890, "fee": 1.10, "extra": 2.5,'
        ' "nested": {"x": 12345678901234567.89}}]}}'
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        df = to_frame(loads_exact(text), "trade_page")
    assert df["amount"][0] == Decimal("0.123456789012345678901234567890")
    assert str(df["fee"][0]) == "1.10"
    assert df["extra"][0] == Decimal("2.5") and df["extra"].dtype == object
    assert df["nested.x"][0] == Decimal("12345678901234567.89")


def test_an_undocumented_column_of_big_ints_and_floats_stays_exact() -> None:
    rows = [dict(ROW, extra=2**60 + 1), dict(ROW, extra=0.5)]
    df = to_frame(page(rows), "trade_page")
    assert df["extra"].tolist() == [2**60 + 1, 0.5]


@pytest.mark.parametrize("count", [1, 100, 5_000])  # 5,000: the odd one in a later block
@pytest.mark.parametrize("amount", ["١٢٣", "1_000", "１"])
def test_amount_text_in_other_digits_is_not_read_as_a_number(count: int, amount: str) -> None:
    rows = [dict(ROW, cid=i) for i in range(count)]
    rows[count // 2] = dict(ROW, amount=amount)
    with pytest.warns(CregisDataWarning, match="amount"):
        df = to_frame(page(rows), "trade_page")
    assert df["amount"].tolist()[count // 2] == amount
