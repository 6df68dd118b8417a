"""The reconciliation summary's exact table and its chart."""

from __future__ import annotations

from decimal import Decimal

import matplotlib
import pandas as pd

from cregis_notebook import reports

matplotlib.use("Agg")

SUMMARY = pd.DataFrame(
    {
        "kind": ["payouts", "payouts", "balances"],
        "check": ["amount_mismatch", "amount_mismatch", "ledger_drift"],
        "currency": ["195@195", "195@TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "60@60"],
        "count": [2, 1, 3],
        "amount_at_stake": [
            Decimal("0.1"),
            Decimal("12345678901234567890.000000000000000001"),
            Decimal("0.000000000000000001"),
        ],
    }
)


def test_reconciliation_table_keeps_currencies_apart_and_exact() -> None:
    table = reports.reconciliation_table(SUMMARY)
    assert table["label"].tolist() == ["payouts: amount_mismatch", "balances: ledger_drift"]
    assert table["objects"].tolist() == [3, 3]
    payouts, balances = table["at_stake"].tolist()
    assert payouts == "0.1 TRON; 12345678901234567890.000000000000000001 USDT-TRC20"
    assert balances.startswith("0.000000000000000001 ")


def test_reconciliation_chart_draws_one_bar_per_check() -> None:
    ax = reports.reconciliation(SUMMARY)
    assert sorted(t.get_text() for t in ax.get_yticklabels()) == [
        "balances: ledger_drift",
        "payouts: amount_mismatch",
    ]
    assert [p.get_width() for p in ax.patches] == [3, 3]
    assert "6 in 2 checks" in ax.get_title()


def test_reconciliation_chart_of_a_clean_run() -> None:
    empty = SUMMARY.iloc[0:0]
    ax = reports.reconciliation(empty)
    assert ax.get_title().endswith("none")
    assert reports.reconciliation_table(empty).empty
