"""A team's report: exact balances per wallet and chain, exact flows, and the chart of both."""

from __future__ import annotations

import warnings
from decimal import Decimal

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from cregis_notebook import reports, to_frame
from cregis_notebook.errors import CregisDataWarning

D = Decimal
USDT = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
MAIN, HOT = 1385412968038400, 1385413372790784
DAY = 86_400
T0 = 1_767_139_200  # 2025-12-31 00:00:00 UTC


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _page(rows: list[dict]) -> dict:
    return {"code": "00000", "msg": "ok", "data": {"total": len(rows), "rows": rows}}


WALLETS = to_frame(
    _page(
        [
            {"wallet_id": MAIN, "walletType": "single_sign", "alias": "Treasury-Main"},
            {"wallet_id": HOT, "walletType": "multi_sign"},
        ]
    ),
    "list_wallets",
)


def _balances(wallet: int, rows: list[tuple[str, str, str, str, str]]) -> pd.DataFrame:
    answer = _page(
        [
            {"chain_id": c, "token_id": t, "total": tot, "available": av, "processing": pr}
            for c, t, tot, av, pr in rows
        ]
    )
    return to_frame(answer, "query_wallet_balance").assign(wallet_id=wallet)


BALANCES = pd.concat(
    [
        _balances(
            MAIN,
            [
                ("195", "195", "1520.5", "1500.5", "20"),
                ("195", USDT, "25000.000000000000000001", "25000.000000000000000001", "0"),
            ],
        ),
        _balances(HOT, [("60", "60", "0.000000000000000001", "0", "0.000000000000000001")]),
        _balances(HOT, [("60", "60", "2", "2", "0")]),  # a second page of the same coin
    ],
    ignore_index=True,
)


def _tx(amount: str, kind: int, when: int, **status: int) -> dict:
    return {
        "wallet_id": MAIN,
        "chain_id": "195",
        "token_id": USDT,
        "amount": amount,
        "transaction_type": kind,
        "block_time": when,
        "txid": f"{amount}-{kind}-{when}",
        **status,
    }


HISTORY = to_frame(
    _page(
        [
            _tx("0.1", 1, T0, transaction_status=1, status=1),
            _tx("0.2", 1, T0 + 60, transaction_status=1),  # the older key alone
            _tx("0.3", 2, T0 + 120, status=1),  # the newer key alone
            _tx("5", 1, T0 + 180, transaction_status=2, status=2),  # failed: moved nothing
            _tx("7", 2, T0 + DAY, status=2),
            _tx("1.000000000000000001", 2, T0 + DAY + 5, transaction_status=1, status=1),
            _tx("9", 1, T0 + DAY + 9),  # no outcome at all: not known to have moved anything
        ]
    ),
    "query_history_transactions",
)


def test_balances_per_wallet_and_chain_are_exact_and_named() -> None:
    table = reports.team_balances_table(BALANCES, WALLETS)
    assert list(table.columns) == [
        "wallet_id",
        "wallet",
        "chain_id",
        "chain",
        "currency",
        "total",
        "available",
        "processing",
    ]
    assert str(table["wallet_id"].dtype) == "Int64"
    rows = [tuple(r) for r in table[["wallet", "chain_id", "currency", "total"]].to_numpy()]
    assert rows == [
        ("Treasury-Main", "195", "TRON", D("1520.5")),
        ("Treasury-Main", "195", "USDT-TRC20", D("25000.000000000000000001")),
        (str(HOT), "60", "Ethereum", D("2.000000000000000001")),  # no alias: the id
    ]
    hot = table[table["wallet_id"] == HOT].iloc[0]
    assert hot["available"] == D("2") and hot["processing"] == D("0.000000000000000001")
    assert table["chain"].tolist()[0].startswith("TRON")


def test_balances_without_wallet_ids_are_one_wallet_and_incomplete_rows_warn() -> None:
    one = BALANCES.drop(columns=["wallet_id"])
    table = reports.team_balances_table(one)
    assert set(table["wallet"]) == {"wallet"} and table["wallet_id"].isna().all()
    eth = table.loc[table["currency"] == "Ethereum", "total"]
    assert eth.tolist() == [D("2.000000000000000001")]
    broken = BALANCES.copy()
    broken.loc[0, "processing"] = None
    with pytest.warns(CregisDataWarning, match="1 balance row"):
        table = reports.team_balances_table(broken)
    assert "TRON" not in set(table["currency"])
    assert reports.team_balances_table(pd.DataFrame()).empty


def test_flows_count_received_and_sent_successes_from_either_status_key() -> None:
    table = reports.team_flows_table(HISTORY)
    assert table[["period", "inflow", "outflow", "net", "count"]].to_dict("records") == [
        {
            "period": pd.Timestamp("2025-12-31", tz="UTC"),
            "inflow": D("0.3"),
            "outflow": D("0.3"),
            "net": D("0"),
            "count": 3,
        },
        {
            "period": pd.Timestamp("2026-01-01", tz="UTC"),
            "inflow": D("0"),
            "outflow": D("1.000000000000000001"),
            "net": D("-1.000000000000000001"),
            "count": 1,
        },
    ]
    assert set(table["currency"]) == {"USDT-TRC20"}
    assert reports.team_flows_table(pd.DataFrame()).empty


def test_the_chart_draws_the_exact_tables() -> None:
    fig = reports.team_chart(BALANCES, HISTORY, wallets=WALLETS, freq="D")
    left, right = fig.axes
    # each bar says its exact total, grouped when too long to read
    assert [t.get_text() for t in left.texts] == ["1520.5", "25,000", "2"]
    labels = [t.get_text() for t in left.get_yticklabels()]
    assert labels[0].startswith("Treasury-Main · TRON") and labels[2].startswith(str(HOT))
    assert left.get_xscale() == "log"  # 1520.5 to 25000 to 2: each bar stays visible
    heights = [p.get_height() for p in right.patches]
    assert heights == [
        pytest.approx(0.3),
        pytest.approx(0.0),
        pytest.approx(-0.3),
        pytest.approx(-1.0),
    ]
    assert "USDT-TRC20" in right.get_title() and right.get_xlabel() == "day (UTC)"


def test_the_chart_without_data_says_so_and_uses_given_axes() -> None:
    fig, axes = plt.subplots(1, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        drawn = reports.team_chart(pd.DataFrame(), pd.DataFrame(), axes=(axes[0], axes[1]))
    assert drawn is fig
    for ax in axes:
        assert reports.NO_DATA in [t.get_text() for t in ax.texts]
