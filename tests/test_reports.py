"""Report charts: exact aggregates, what was drawn, empty/tiny/large frames."""

from __future__ import annotations

import ast
import random
import subprocess
import sys
from collections import Counter, defaultdict
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cregis_notebook import reports
from cregis_notebook.errors import CregisDataWarning

USDT_TRC20 = ("195", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t")
TRX = ("195", "195")
ETH = ("60", "60")
D = Decimal


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def tx_frame(rows: list[dict]) -> pd.DataFrame:
    """A trade_page-like frame built by hand, typed as to_frame types it."""
    frame = pd.DataFrame(rows)
    if "block_time" in frame:
        frame["block_time"] = pd.to_datetime(frame["block_time"], unit="s", utc=True)
    for col in ("status", "trade_type", "business_type"):
        if col in frame:
            frame[col] = frame[col].astype("Int64")
    return frame


def tx(
    coin,
    amount,
    *,
    when=1_735_689_600,
    kind=1,
    status=1,
    business=3,
    fee="0.1",
    to="Tto",
    frm="Tfrom",
):
    return {
        "chain_id": coin[0],
        "token_id": coin[1],
        "amount": D(amount),
        "fee": None if fee is None else D(fee),
        "status": status,
        "trade_type": kind,
        "business_type": business,
        "block_time": when,
        "to_address": to,
        "from_address": frm,
    }


DAY = 86_400
TINY = tx_frame(
    [
        tx(USDT_TRC20, "0.1", to="A"),
        tx(USDT_TRC20, "0.2", to="A"),
        tx(USDT_TRC20, "0.3", kind=2, frm="A", to="X", business=0),
        tx(USDT_TRC20, "5", status=0, to="B", business=0),
        tx(TRX, "7.000001", when=1_735_689_600 + DAY, to="C", fee="1.1"),
        tx(ETH, "0.000000000000000001", to="E", fee="0.000021"),
    ]
)

ORDERS = pd.DataFrame(
    {
        "cregis_id": ["po1", "po2", "po3", "po4", "po5", "po6"],
        "status": ["paid", "paid_over", "paid_partial", "expired", "new", "paid"],
        "order_amount": [D("10.10"), D("20.20"), D("5"), D("1"), D("2"), D("0.01")],
        "order_currency": ["USD", "USD", "HKD", "USD", "EUR", "HKD"],
        "refund_requested": ["no", "no", "no", "no", "no", "yes"],
    }
)


def bar_heights(ax) -> list[float]:
    return [patch.get_height() for patch in ax.patches]


def bar_widths(ax) -> list[float]:
    return [patch.get_width() for patch in ax.patches]


def texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


# -- exact aggregates --------------------------------------------------------------------------


def test_flows_table_is_exact_and_skips_failed_and_pending():
    table = reports.flows_table(TINY)
    usdt = table[table["currency"] == "USDT-TRC20"].iloc[0]
    assert usdt["inflow"] == D("0.3")  # 0.1 + 0.2 exactly, not 0.30000000000000004
    assert usdt["outflow"] == D("0.3")
    assert usdt["net"] == D("0")
    assert usdt["count"] == 3  # the pending 5 USDT is left out
    eth = table[table["currency"] == "Ethereum"].iloc[0]
    assert eth["inflow"] == D("1E-18")
    assert str(table["period"].dt.tz) == "UTC"


def test_flows_table_weekly_starts_on_monday():
    week = reports.flows_table(TINY, freq="W")
    # 2025-01-01 is a Wednesday: its week starts on Monday 2024-12-30
    assert set(week["period"]) == {pd.Timestamp("2024-12-30", tz="UTC")}
    with pytest.raises(ValueError, match="freq"):
        reports.flows_table(TINY, freq="M")


def test_volume_fees_and_status_tables():
    volume = reports.volume_table(TINY)
    usdt = volume[volume["currency"] == "USDT-TRC20"].iloc[0]
    assert usdt["volume"] == D("0.6") and usdt["count"] == 3  # the pending 5 is left out
    assert usdt["chain"] == "TRON (TRX)"
    fees = reports.fees_table(TINY).set_index("chain_id")
    assert fees.loc["195", "fees"] == D("1.5") and fees.loc["195", "unit"] == "TRX"
    assert fees.loc["60", "fees"] == D("0.000021")
    status = reports.status_table(TINY)
    assert status.loc["address_deposit", "success"] == 4
    assert status.loc["normal", "pending"] == 1
    assert list(status.columns) == ["pending", "success"]


def test_funnel_and_order_value_tables():
    funnel = reports.funnel_table(ORDERS).set_index("stage")
    assert funnel.loc["created", "orders"] == 6
    assert funnel.loc["paid", "orders"] == 2
    assert funnel.loc["refunded", "orders"] == 1
    assert funnel.attrs["converted"] == 3
    assert funnel.attrs["conversion"] == D("0.5")
    value = reports.order_value_table(ORDERS).set_index("order_currency")
    assert value.loc["USD", "ordered"] == D("31.30")
    assert value.loc["USD", "paid"] == D("30.30")
    assert value.loc["HKD", "paid"] == D("0.01")
    assert value.loc["EUR", "kind"] == "fiat"


def test_top_addresses_counts_both_directions_and_balances():
    top = reports.top_addresses_table(TINY, currency="USDT-TRC20")
    assert top.iloc[0]["address"] == "A" and top.iloc[0]["volume"] == D("0.6")
    balances = pd.DataFrame(
        {
            "address": ["a1", "a2", "a3"],
            "currency": [f"{USDT_TRC20[0]}@{USDT_TRC20[1]}"] * 3,
            "total": [D("1"), D("3.5"), D("2")],
            "available": [D("1"), D("3.5"), D("2")],
        }
    )
    table = reports.top_addresses_table(balances, n=2)
    assert list(table["address"]) == ["a2", "a3"]
    by_id = reports.top_addresses_table(balances, n=2, currency="@".join(USDT_TRC20))
    assert by_id.equals(table)  # a chain_id@token_id names the same coin
    assert table.iloc[0]["currency"] == "USDT-TRC20"


def test_amounts_as_text_and_epoch_times_are_accepted():
    raw = pd.DataFrame(
        {
            "chain_id": ["195", "195"],
            "token_id": ["195", "195"],
            "amount": ["0.1", "0.2"],
            "trade_type": [1, 1],
            "status": [1, 1],
            "block_time": [1_721_900_581, 1_721_900_581_000],  # seconds and milliseconds
        }
    )
    table = reports.flows_table(raw)
    assert len(table) == 1 and table.iloc[0]["inflow"] == D("0.3")


# -- what was drawn ----------------------------------------------------------------------------


def test_flows_draws_exact_bars_for_one_currency():
    assert len(reports.flows(TINY, currency="@".join(USDT_TRC20)).patches) == 2
    ax = reports.flows(TINY, currency="USDT-TRC20")
    assert bar_heights(ax) == [pytest.approx(0.3), pytest.approx(-0.3)]
    assert ax.get_ylabel() == "amount (USDT-TRC20)"
    assert "USDT-TRC20" in ax.get_title() and ax.get_xlabel() == "day (UTC)"
    net = ax.get_lines()[0]
    assert list(net.get_ydata()) == [0.0]


def test_flows_draws_one_line_pair_per_currency():
    ax = reports.flows(TINY, freq="W")
    labels = [line.get_label() for line in ax.get_lines()]
    assert "USDT-TRC20 in" in labels and "TRON out" in labels
    assert "own unit" in ax.get_ylabel()
    assert ax.get_xlabel() == "week (UTC)"


def test_volume_fees_status_funnel_value_and_top_drawings():
    ax = reports.volume_by_token(TINY)
    assert "USDT-TRC20" in [t.get_text().split(" · ")[-1] for t in ax.get_yticklabels()]
    assert "0.6" in texts(ax)
    assert "unit" in ax.get_xlabel()

    ax = reports.fees_by_chain(TINY)
    assert sorted(bar_widths(ax)) == [pytest.approx(0.000021), pytest.approx(1.5)]
    assert "1.5" in texts(ax) and "0.000021" in texts(ax)

    ax = reports.status_breakdown(TINY)
    assert sum(bar_widths(ax)) == len(TINY)
    assert ax.get_xlabel() == "transactions (count)"

    ax = reports.order_funnel(ORDERS)
    assert bar_widths(ax)[0] == 6
    assert "50% paid in full" in ax.get_title()

    ax = reports.order_value(ORDERS)
    assert pytest.approx(31.3) in bar_heights(ax)
    assert "31.3" in texts(ax)

    ax = reports.top_addresses(TINY, currency="USDT-TRC20", n=3)
    assert bar_widths(ax)[0] == pytest.approx(0.6)
    assert ax.get_xlabel() == "volume (USDT-TRC20)"


def test_given_axes_is_used_and_returned():
    fig, ax = plt.subplots()
    assert reports.fees_by_chain(TINY, ax=ax) is ax
    assert fig.axes == [ax]


# -- empty, tiny (one day), large ---------------------------------------------------------------

CHARTS = [
    reports.flows,
    reports.volume_by_token,
    reports.status_breakdown,
    reports.fees_by_chain,
    reports.top_addresses,
    reports.order_funnel,
    reports.order_value,
]


@pytest.mark.parametrize("chart", CHARTS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("frame", [pd.DataFrame(), TINY.iloc[0:0]], ids=["no-columns", "no-rows"])
def test_empty_frames_say_no_data(chart, frame):
    ax = chart(frame)
    assert reports.NO_DATA in texts(ax)
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    assert not ax.patches


@pytest.mark.parametrize("chart", CHARTS[:5], ids=lambda f: f.__name__)
def test_a_single_transaction_on_a_single_day(chart):
    one = TINY.iloc[[0]]
    ax = chart(one)
    assert reports.NO_DATA not in texts(ax)
    assert ax.patches or ax.get_lines()


def large_frame(n: int = 20_000, seed: int = 7) -> pd.DataFrame:
    rng = random.Random(seed)
    coins = [USDT_TRC20, TRX, ETH, ("2510", "0x55d398326f99059ff775485246999027b3197955")]
    rows = [
        tx(
            rng.choice(coins),
            f"{rng.randrange(1, 10**8)}e-6",
            when=1_735_689_600 + rng.randrange(0, 60 * DAY),
            kind=rng.choice([1, 2]),
            status=rng.choice([0, 1, 1, 1, 2]),
            business=rng.choice([0, 2, 3, 4, 5]),
            fee=f"{rng.randrange(0, 10**4)}e-6",
            to=f"T{rng.randrange(50)}",
            frm=f"F{rng.randrange(50)}",
        )
        for _ in range(n)
    ]
    return tx_frame(rows)


@pytest.mark.slow
def test_large_frame_totals_match_exact_sums_and_report_draws():
    big = large_frame()
    success_in = big[(big["status"] == 1) & (big["trade_type"] == 1)]
    flows = reports.flows_table(big)
    assert flows["inflow"].sum() == sum(success_in["amount"], D(0))
    assert flows["count"].sum() == int((big["status"] == 1).sum())
    success = big[big["status"] == 1]
    assert reports.volume_table(big)["volume"].sum() == sum(success["amount"], D(0))
    assert reports.fees_table(big)["fees"].sum() == sum(big["fee"], D(0))
    assert int(reports.status_table(big).to_numpy().sum()) == len(big)
    fig = reports.report(big, ORDERS)
    assert len(fig.axes) == 8
    ax = reports.flows(big, freq="W", currency="TRON")
    weekly = reports.flows_table(big, freq="W")
    weekly = weekly[weekly["currency"] == "TRON"]
    assert bar_heights(ax)[: len(weekly)] == [pytest.approx(float(v)) for v in weekly["inflow"]]


def test_report_assembles_every_chart_and_handles_nothing(tmp_path):
    fig = reports.report(TINY, ORDERS)
    titles = [ax.get_title() for ax in fig.axes]
    assert any(t.startswith("Inflow and outflow") for t in titles)
    assert "Summary" in titles and len(fig.axes) == 8
    summary = next(ax for ax in fig.axes if ax.get_title() == "Summary")
    assert "orders paid in full: 3 of 6" in summary.texts[0].get_text()
    out = tmp_path / "report.png"
    fig.savefig(out, dpi=50)
    assert out.read_bytes().startswith(b"\x89PNG")

    empty = reports.report()
    no_data = sum(reports.NO_DATA in texts(ax) for ax in empty.axes)
    assert no_data == 7


def test_totals_by_currency():
    totals = reports.totals_by_currency(TINY).set_index("currency")
    assert totals.loc["TRON", "net"] == D("7.000001")
    assert totals.loc["USDT-TRC20", "count"] == 3
    assert reports.totals_by_currency(pd.DataFrame()).empty


def test_auto_frequency_switches_to_weeks_for_long_histories():
    long = tx_frame(
        [tx(TRX, "1", when=1_735_689_600), tx(TRX, "2", when=1_735_689_600 + 100 * DAY)]
    )
    assert reports.flows(long, freq="auto").get_xlabel() == "week (UTC)"
    assert reports.flows(TINY, freq="auto").get_xlabel() == "day (UTC)"


def test_volume_keeps_the_busiest_tokens_and_uses_a_log_axis_for_wide_spreads():
    ax = reports.volume_by_token(TINY, n=2)
    assert len(ax.patches) == 2 and "busiest 2 of 3" in ax.get_title()
    assert ax.get_xscale() == "log" and "log scale" in ax.get_xlabel()  # 1e-18 ETH vs 7 TRX
    ax = reports.volume_by_token(TINY.iloc[:3])
    assert ax.get_xscale() == "linear"


# -- the value contract: what does not fit is left out, and said --------------------------------


def test_amounts_that_are_not_plain_decimals_are_left_out_with_a_warning():
    raw = pd.DataFrame(
        {
            "chain_id": ["195"] * 5,
            "token_id": ["195"] * 5,
            "amount": ["0.1", "1_000", "١٢٣", "1e3", D("0.2")],
            "trade_type": [1] * 5,
            "status": [1] * 5,
            "block_time": [1_721_900_581] * 5,
        }
    )
    with pytest.warns(CregisDataWarning, match=r"3 value\(s\) of column 'amount'.*'1_000'"):
        table = reports.flows_table(raw)
    assert table.iloc[0]["inflow"] == D("0.3") and table.iloc[0]["count"] == 2


def test_unreadable_or_missing_status_is_not_success():
    raw = pd.DataFrame(
        {
            "chain_id": ["195"] * 4,
            "token_id": ["195"] * 4,
            "amount": [D("1"), D("2"), D("4"), D("8")],
            "trade_type": [1] * 4,
            "status": [1, "abc", None, 1.5],
        }
    )
    with pytest.warns(CregisDataWarning, match="column 'status'"):
        volume = reports.volume_table(raw)
    assert volume.iloc[0]["volume"] == D("1") and volume.iloc[0]["count"] == 1


def test_epoch_times_beyond_any_calendar_are_left_out_with_a_warning():
    raw = pd.DataFrame(
        {
            "chain_id": ["195"] * 2,
            "token_id": ["195"] * 2,
            "amount": [D("1"), D("2")],
            "trade_type": [1, 1],
            "block_time": [1_721_900_581_000, 10**17],
        }
    )
    with pytest.warns(CregisDataWarning, match="column 'block_time'"):
        table = reports.flows_table(raw)
    assert list(table["inflow"]) == [D("1")]


def test_sums_keep_every_digit():
    big = D("12345678901234567890.123456789")  # 29 digits: Python's default context keeps 28
    frame = tx_frame([tx(ETH, str(big)), tx(ETH, "0.000000000000000001", fee=str(big))])
    total = D("12345678901234567890.123456789000000001")
    assert reports.volume_table(frame).iloc[0]["volume"] == total
    assert reports.flows_table(frame).iloc[0]["inflow"] == total
    assert reports.totals_by_currency(frame).iloc[0]["net"] == total
    assert reports.fees_table(frame).iloc[0]["fees"] == D("12345678901234567890.223456789")
    orders = pd.DataFrame({"status": ["paid"], "order_amount": [big], "order_currency": ["USD"]})
    assert reports.order_value_table(orders).iloc[0]["paid"] == big


UNKNOWN_A = ("60", "0xAAAAAA" + "1" * 30 + "BBBB")
UNKNOWN_B = ("60", "0xAAAAAA" + "2" * 30 + "BBBB")


def test_unknown_coins_that_shorten_alike_are_never_added_together():
    assert reports.currency_label(*UNKNOWN_A, None) == reports.currency_label(*UNKNOWN_B, None)
    frame = tx_frame([tx(UNKNOWN_A, "1"), tx(UNKNOWN_B, "2"), tx(UNKNOWN_B, "4")])
    totals = reports.totals_by_currency(frame).set_index("currency")
    assert totals.loc["@".join(UNKNOWN_A), "inflow"] == D("1")
    assert totals.loc["@".join(UNKNOWN_B), "inflow"] == D("6")
    assert len(reports.volume_table(frame)) == 2
    top = reports.top_addresses_table(frame, currency="@".join(UNKNOWN_B))
    assert list(top["volume"]) == [D("6")]
    ax = reports.flows(frame, currency="@".join(UNKNOWN_A))
    assert bar_heights(ax) == [pytest.approx(1.0), pytest.approx(0.0)]


# -- two parts: the tables import no plotting library ---------------------------------------------


def test_the_tables_import_no_plotting_library():
    script = f"""
import sys
import pandas as pd
from decimal import Decimal
from cregis_notebook.reports import tables
frame = pd.DataFrame({{"chain_id": ["195"], "token_id": ["195"], "amount": [Decimal(1)],
    "fee": [Decimal(1)], "trade_type": [1], "status": [1], "business_type": [3],
    "block_time": [1721900581], "to_address": ["T"], "address": ["T"], "total": [Decimal(1)],
    "order_amount": [Decimal(1)], "order_currency": ["USD"]}})
for name in {sorted(TABLE_FUNCTIONS)!r}:
    getattr(tables, name)(frame)
print(sorted(m for m in sys.modules if m.split(".")[0] == "matplotlib"))
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == "[]"
    source = Path(reports.tables.__file__).read_text(encoding="utf-8")
    assert "matplotlib" not in source.replace("imports no plotting library", "")


def test_every_public_name_is_kept_and_nothing_private_is_imported_across_modules():
    for name in reports.__all__:
        assert getattr(reports, name) is not None
    package = Path(reports.__file__).parent.parent
    private = []
    mine = [*package.joinpath("reports").glob("*.py"), *package.joinpath("cli").glob("*.py")]
    for path in [*mine, package / "demo.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                private += [f"{path.name}: {a.name}" for a in node.names if a.name.startswith("_")]
    assert private == []


# -- every table against a sum from scratch ------------------------------------------------------

TABLE_FUNCTIONS = {
    "fees_table",
    "flows_table",
    "funnel_table",
    "order_value_table",
    "status_table",
    "top_addresses_table",
    "totals_by_currency",
    "volume_table",
}
COINS = {  # coin -> the label the tables must give it
    USDT_TRC20: "USDT-TRC20",
    TRX: "TRON",
    ETH: "Ethereum",
    UNKNOWN_A: "@".join(UNKNOWN_A),
    UNKNOWN_B: "@".join(UNKNOWN_B),
}
STATUS = {0: "pending", 1: "success", 2: "failed"}
amounts = st.builds(
    lambda digits, places: D(digits).scaleb(-places),
    st.integers(0, 10**36),
    st.integers(0, 24),
)
rows = st.lists(
    st.fixed_dictionaries(
        {
            "coin": st.sampled_from(sorted(COINS)),
            "amount": amounts,
            "fee": st.none() | amounts,
            "kind": st.sampled_from([1, 2]),
            "status": st.sampled_from(sorted(STATUS)),
            "business": st.sampled_from([0, 2, 3]),
            "when": st.integers(1_735_689_600, 1_735_689_600 + 20 * DAY),
            "to": st.sampled_from(["T1", "T2", "T3"]),
            "frm": st.sampled_from(["F1", "F2", "T1"]),
        }
    ),
    min_size=1,
    max_size=40,
)


def _frame(drawn: list[dict]) -> pd.DataFrame:
    return tx_frame(
        [
            tx(
                r["coin"],
                r["amount"],
                when=r["when"],
                kind=r["kind"],
                status=r["status"],
                business=r["business"],
                fee=r["fee"],
                to=r["to"],
                frm=r["frm"],
            )
            for r in drawn
        ]
    )


def _sums(pairs) -> dict:
    """Exact sums per key from scratch, as fractions (no decimal context involved)."""
    out: dict = defaultdict(Fraction)
    for key, amount in pairs:
        out[key] += Fraction(amount)
    return dict(out)


def _as_fractions(keys, values) -> dict:
    values = list(values)
    assert all(isinstance(v, Decimal) for v in values)
    return {k: Fraction(v) for k, v in zip(keys, values, strict=True)}


def _day(when: int) -> pd.Timestamp:
    return pd.Timestamp(when, unit="s", tz="UTC").floor("D")


PROPERTY = settings(max_examples=40, deadline=None)


@PROPERTY
@given(rows)
def test_flows_and_totals_equal_sums_from_scratch(drawn):
    frame = _frame(drawn)
    ok = [r for r in drawn if r["status"] == 1]
    for kind, column in ((1, "inflow"), (2, "outflow")):
        moved = [r for r in ok if r["kind"] == kind]
        by_day = _sums(((_day(r["when"]), COINS[r["coin"]]), r["amount"]) for r in moved)
        table = reports.flows_table(frame)
        got = _as_fractions(zip(table["period"], table["currency"], strict=True), table[column])
        assert {k: v for k, v in got.items() if k in by_day or v} == by_day
        totals = reports.totals_by_currency(frame)
        expected = _sums((COINS[r["coin"]], r["amount"]) for r in moved)
        got = _as_fractions(totals["currency"], totals[column])
        assert {k: v for k, v in got.items() if k in expected or v} == expected
    totals = reports.totals_by_currency(frame).set_index("currency")
    for label, count in Counter(COINS[r["coin"]] for r in ok).items():
        assert totals.loc[label, "count"] == count
        inflow, outflow = (Fraction(totals.loc[label, c]) for c in ("inflow", "outflow"))
        assert Fraction(totals.loc[label, "net"]) == inflow - outflow


@PROPERTY
@given(rows)
def test_volume_fees_and_top_addresses_equal_sums_from_scratch(drawn):
    frame = _frame(drawn)
    ok = [r for r in drawn if r["status"] == 1]
    volume = reports.volume_table(frame)
    keys = zip(volume["chain_id"], volume["token_id"], strict=True)
    assert _as_fractions(keys, volume["volume"]) == _sums((r["coin"], r["amount"]) for r in ok)
    fees = reports.fees_table(frame)
    expected = _sums((r["coin"][0], r["fee"]) for r in drawn if r["fee"] is not None)
    assert _as_fractions(fees["chain_id"], fees["fees"]) == expected
    for coin, label in COINS.items():
        top = reports.top_addresses_table(frame, n=100, currency="@".join(coin))
        moved = [r for r in ok if r["coin"] == coin]
        expected = _sums((r["frm"] if r["kind"] == 2 else r["to"], r["amount"]) for r in moved)
        assert _as_fractions(top["address"], top["volume"]) == expected
        assert set(top["currency"]) <= {label}


@PROPERTY
@given(rows)
def test_status_counts_equal_counts_from_scratch(drawn):
    table = reports.status_table(_frame(drawn))
    counts = Counter(STATUS[r["status"]] for r in drawn)
    assert {s: int(table[s].sum()) for s in table.columns} == dict(counts)


@PROPERTY
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["new", "paid", "paid_over", "paid_partial", "expired", "canceled"]),
            amounts,
            st.sampled_from(["USD", "HKD", "USDT"]),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_order_tables_equal_sums_from_scratch(drawn):
    orders = pd.DataFrame(drawn, columns=["status", "order_amount", "order_currency"])
    value = reports.order_value_table(orders)
    ordered = _sums((cur, amount) for _, amount, cur in drawn)
    paid = _sums((cur, amount if s in ("paid", "paid_over") else 0) for s, amount, cur in drawn)
    assert _as_fractions(value["order_currency"], value["ordered"]) == ordered
    assert _as_fractions(value["order_currency"], value["paid"]) == paid
    assert dict(zip(value["order_currency"], value["orders"], strict=True)) == Counter(
        cur for _, _, cur in drawn
    )
    funnel = reports.funnel_table(orders).set_index("stage")["orders"]
    statuses = Counter(s for s, _, _ in drawn)
    assert funnel["created"] == len(drawn)
    assert all(funnel[s] == n for s, n in statuses.items())
