"""Reconciliation of the sandbox, end to end: with ``discrepancies=N`` it finds exactly what
was planted (precision and recall 1.0 against ``box.injected()``) and nothing on a clean one."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pandas as pd
import pytest

import cregis_notebook as cn
from cregis_notebook.sandbox import FakeClock, Sandbox
from cregis_notebook.sandbox.engine.trades import DEPOSIT, PAYOUT

SEEDS = (0, 1, 2)


def triples(frame: pd.DataFrame) -> set[tuple[str, str, str]]:
    rows = frame[["kind", "key", "check"]].astype(str).itertuples(index=False)
    return {(k, key, c) for k, key, c in rows}


def reconcile(box: Sandbox, **options: object) -> cn.reconcile.Reconciliation:
    client = box.client()
    try:
        return cn.reconcile.run(
            client,
            callbacks=box.delivered_callbacks(),
            requests=pd.DataFrame(box.payout_requests()),
            **options,  # type: ignore[arg-type]
        )
    finally:
        client.close()


@pytest.fixture(scope="module", params=[(s, n) for s in SEEDS for n in (0, 2)], ids=str)
def case(request: pytest.FixtureRequest) -> Iterator[tuple[Sandbox, cn.reconcile.Reconciliation]]:
    seed, count = request.param
    box = Sandbox(seed=seed, clock=FakeClock(), discrepancies=count)
    try:
        yield box, reconcile(box)
    finally:
        box.close()


def test_precision_and_recall_are_one(
    case: tuple[Sandbox, cn.reconcile.Reconciliation],
) -> None:
    box, result = case
    truth, found = triples(box.injected()), triples(result.findings)
    assert found == truth  # precision and recall 1.0: nothing missed, nothing extra
    if not len(box.injected()):
        assert result.findings.empty and result.summary.empty
        assert all(getattr(result, kind)["ok"].all() for kind in cn.reconcile.KINDS)


def test_every_kind_is_checked_and_amounts_are_exact(
    case: tuple[Sandbox, cn.reconcile.Reconciliation],
) -> None:
    box, result = case
    for kind in cn.reconcile.KINDS:
        assert len(getattr(result, kind)) > 0, kind
    assert all(isinstance(v, Decimal) for v in result.findings["amount_at_stake"])
    truth = box.injected().set_index(["kind", "key", "check"])["currency"]
    for row in result.findings.itertuples(index=False):
        assert row.currency == truth[(row.kind, row.key, row.check)]
        assert row.amount_at_stake > 0
    assert int(result.summary["count"].sum()) == len(result.findings)


def test_a_late_reconciliation_finds_the_stale_pending_deposits() -> None:
    with Sandbox(seed=3, clock=FakeClock()) as box:
        late = pd.Timestamp(box.clock(), unit="s", tz="UTC") + pd.Timedelta("400D")
        result = reconcile(box, now=late)
        pending = result.deposits.loc[result.deposits["status"] == 0, "key"]
        stale = result.findings.loc[result.findings["check"] == "stale_pending", "key"]
        assert len(pending) > 0 and set(stale) == set(pending)
        assert set(result.findings["check"]) <= {"stale_pending", "stuck"}
        assert reconcile(box, stale_after="1000D", now=late).findings.empty


def test_a_store_is_reconciled_from_its_tables(tmp_path: Path) -> None:
    clock = FakeClock()
    with Sandbox(seed=1, clock=clock, discrepancies=1) as box:
        requests = pd.DataFrame(box.payout_requests())
        store = cn.Store(tmp_path / "store")
        for kind in ("payouts", "withdrawals"):
            store.track(
                kind, [int(c) for c in requests.loc[requests["kind"] == kind, "cid"].dropna()]
            )
        store.add_callbacks(box.delivered_callbacks(), box.api_key)
        client = box.client()
        store.sync(client)
        client.close()
        result = cn.reconcile.run(
            store, requests=requests, now=pd.Timestamp(clock(), unit="s", tz="UTC")
        )
        assert len(result.payouts) > 400 and len(result.balances) > 100
        assert len(result.orders) > 10  # tracked through the callbacks that name them
        # every planted problem is found, nothing else, with no clock moved: the sandbox's
        # history ends before the clock's current second, so a pinned window holds all of it
        assert triples(result.findings) == triples(box.injected())


def test_run_refuses_what_it_cannot_read() -> None:
    with pytest.raises(TypeError, match="Client or a Store"):  # a look-alike is no Store
        cn.reconcile.run(object())


def test_orders_named_only_by_id_are_checked_for_their_callbacks() -> None:
    with Sandbox(seed=2, clock=FakeClock()) as box:
        kept = [b for b in box.delivered_callbacks() if b.get("event_name") != "order"]
        client = box.client()
        result = cn.reconcile.run(
            client,
            callbacks=kept,
            requests=pd.DataFrame(box.payout_requests()),
            order_ids=box.order_ids(),
        )
        client.close()
        final = result.orders["status"].isin(["paid", "paid_partial", "paid_over", "expired"])
        assert final.any()
        missing = result.findings[result.findings["check"] == "missing_callback"]
        assert set(missing.loc[missing["kind"] == "orders", "key"]) == set(
            result.orders.loc[final, "key"]
        )


def test_through_http_against_a_served_sandbox() -> None:
    from cregis_notebook.sandbox import SandboxServer

    with SandboxServer(Sandbox(seed=4, discrepancies=1), close_sandbox=True) as server:

        def merchant_side(name: str) -> object:
            return httpx.get(f"{server.base_url}/_sandbox/{name}", timeout=30).json()["data"]

        with cn.Client(server.base_url, server.pid, server.api_key) as client:
            assert client.sandbox_app is None and client.probe_sandbox()
            result = cn.reconcile.run(
                client,
                callbacks=merchant_side("delivered_callbacks"),
                requests=pd.DataFrame(merchant_side("payout_requests")),
                api_key=server.api_key,
            )
        truth = pd.DataFrame(merchant_side("injected"))
        assert triples(result.findings) == triples(truth) and len(truth) == 7


def test_the_whole_check_is_one_line_with_the_sandbox_records_as_they_come() -> None:
    # the merchant's requests as box.payout_requests() gives them: a list of records
    with Sandbox(seed=5, discrepancies=1) as box:
        client = box.client()
        result = cn.reconcile.run(
            client, callbacks=box.delivered_callbacks(), requests=box.payout_requests()
        )
        client.close()
        assert triples(result.findings) == triples(box.injected())


def test_requests_of_another_shape_are_refused_with_what_to_give() -> None:
    from cregis_notebook.reconcile.inputs import read_requests

    with pytest.raises(TypeError, match="a DataFrame, a CSV path or a list of records"):
        read_requests([1, 2])  # type: ignore[list-item]
    assert read_requests([]).empty  # an empty record is no request at all


def live(seed: int, **knobs: object) -> Sandbox:
    """A sandbox whose live mode ran for about 40 minutes of its clock, its callbacks delivered
    as they fell due: new deposits and payouts, some pending, most of those settled since."""
    clock = FakeClock(1_780_000_000.5)
    box = Sandbox(seed=seed, clock=clock, live_rate=0.8, **knobs)  # type: ignore[arg-type]
    for step in (0.25, 3.3, 61.7, 600.2, 1_800.9):
        clock.advance(step)
        box.deliver_callbacks()
    return box


@pytest.mark.parametrize("seed", [0, 3])
def test_live_mode_reconciles_to_nothing_on_a_clean_sandbox(seed: int) -> None:
    with live(seed) as box:
        result = reconcile(box)
        assert result.findings.empty
        rows = box.project.live.rows()
        tr = box.project.trades
        kinds = tr.cols["kind"][rows]
        deposits = set(tr.txids(rows[kinds == DEPOSIT]))
        checked = result.deposits.set_index("key")
        heard = checked.loc[checked.index.isin(deposits), "callbacks"].fillna(0)
        assert len(heard) == len(deposits) > 500  # every live deposit is checked ...
        assert (heard == (checked.loc[heard.index, "status"] != 0)).all()  # ... once final
        payouts = set(tr.cols["cid"][rows[kinds == PAYOUT]].tolist())
        assert payouts <= set(result.payouts["key"].astype(int))  # requested, so checked


def test_live_mode_leaves_the_planted_problems_exactly() -> None:
    with live(2, discrepancies=2) as box:
        result = reconcile(box)
        assert triples(result.findings) == triples(box.injected()) and len(box.injected()) == 14
