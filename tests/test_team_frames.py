"""The Team tables type like the others: times in seconds to UTC, exact amounts, int64 ids,
enum labels, ``code``/``msg`` kept, and CSV/Parquet round trips without losing a digit."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from cregis_notebook import read_csv, read_parquet, registry, to_csv, to_frame, to_parquet

TEAM = registry().team_endpoints
BIG_ID = 11434198045401088  # above 2**53: exact in a frame, though no request may carry it


def _page(rows: list[dict[str, Any]]) -> dict[str, Any]:
    data = {"total": len(rows), "rows": rows, "pageNum": 1, "pageSize": 10}
    return {"code": "00000", "msg": "ok", "data": data}


HISTORY = [
    {
        "wallet_id": BIG_ID,
        "chain_id": "60",
        "token_id": "60",
        "amount": "123456789012345678901234.123456789012345678",
        "fee": "0.000000000000000001",
        "transaction_type": 2,
        "status": 2,  # the newer models' key alone
        "block_height": "68412345",  # a decimal string, as documented
        "block_time": 1767180000,
        "txid": "ab",
    },
    {
        "wallet_id": 1385412968038400,
        "chain_id": "195",
        "token_id": "195",
        "amount": "1",
        "transaction_type": 1,
        "transaction_status": 1,
        "status": 1,
        "block_height": 68412346,
        "block_time": 1767180001,
        "txid": "cd",
    },
]


def test_the_history_is_typed_exactly() -> None:
    df = to_frame(_page(HISTORY), "query_history_transactions")
    assert str(df["wallet_id"].dtype) == "Int64" and int(df["wallet_id"][0]) == BIG_ID
    assert df["amount"][0] == Decimal("123456789012345678901234.123456789012345678")
    assert df["fee"][0] == Decimal("0.000000000000000001")
    assert str(df["block_height"].dtype) == "Int64"
    assert df["block_height"].tolist() == [68412345, 68412346]
    assert str(df["block_time"].dtype) == "datetime64[ms, UTC]"
    assert str(df["block_time"][0]) == "2025-12-31 11:20:00+00:00"  # seconds, not ms
    assert df["transaction_type_label"].tolist() == ["send", "receive"]
    # either status key fills the one outcome column
    assert df["transaction_status_label"].tolist() == ["failed", "success"]
    assert "status" not in df.columns
    assert set(df["code"]) == {"00000"} and set(df["msg"]) == {"ok"}


@pytest.mark.parametrize("ep", TEAM, ids=lambda ep: ep.name)
def test_every_team_example_types_by_the_registry(ep: Any, tmp_path: Path) -> None:
    df = to_frame(ep.response_example, ep.name)
    assert len(df) == len(ep.response_example["data"]["rows"])
    for field in ep.top_level_fields:
        if field.name not in df.columns:
            continue
        dtype = str(df[field.name].dtype)
        if field.type == "timestamp":
            assert dtype == "datetime64[ms, UTC]", field.name
            assert df[field.name].dropna().dt.year.between(2024, 2027).all(), field.name
        elif field.type == "int" or field.type == "enum_int":
            assert dtype == "Int64", field.name
        elif field.type == "decimal":
            values = df[field.name].dropna().tolist()
            assert values and all(isinstance(v, Decimal) for v in values), field.name
    for write, read, ext in ((to_csv, read_csv, "csv"), (to_parquet, read_parquet, "parquet")):
        back = read(write(df, tmp_path / f"{ep.name}.{ext}"))
        pd.testing.assert_frame_equal(back, df)
    empty = to_frame(_page([]), ep.name)
    assert empty.empty
    assert {c: str(t) for c, t in empty.dtypes.items() if c in df.columns} == {
        c: str(t) for c, t in df[empty.columns].dtypes.items()
    }
