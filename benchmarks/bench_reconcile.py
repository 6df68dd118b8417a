"""Benchmark: reconciling payouts against the chain and the callbacks, at scale.

    .venv/bin/python benchmarks/bench_reconcile.py [--trades 1000000] [--payouts 100000]

Synthetic typed frames as ``fetch_frame`` gives them: ``trades`` on-chain rows (exact
``Decimal`` amounts), ``payouts`` payout queries whose ``txid`` is among them, one verified
payout callback per payout and one request per payout; a few problems are planted so that the
findings are not empty. Ours is :func:`cregis_notebook.reconcile.payouts` (every check of a
payout, merges on ``txid``/``cid``/``third_party_id``) and :func:`reconcile.deposits` over the
same trades. The baseline is the loop a user writes by hand: for each payout, look its
transaction, its callback and its request up with boolean masks and compare the amounts; it is
timed on a sample and extrapolated to every payout.
"""

from __future__ import annotations

import argparse
import random
import time
from decimal import Decimal

import numpy as np
import pandas as pd

from cregis_notebook import reconcile

COIN = {"chain_id": "195", "token_id": "195"}


def frames(n_trades: int, n_payouts: int, seed: int = 7) -> dict[str, pd.DataFrame]:
    rng = random.Random(seed)
    txids = [f"{i:064x}" for i in range(n_trades)]
    amounts = [Decimal(rng.randrange(1, 10**9)).scaleb(-6) for _ in range(n_trades)]
    addresses = [f"T{i % 50_000:033d}" for i in range(n_trades)]
    trades = pd.DataFrame(
        {
            "cid": np.arange(n_trades, dtype="int64") + 10**15,
            **{k: pd.Series([v] * n_trades, dtype="string") for k, v in COIN.items()},
            "txid": pd.Series(txids, dtype="string"),
            "amount": pd.Series(amounts, dtype=object),
            "fee": pd.Series([Decimal("0.1")] * n_trades, dtype=object),
            "status": pd.Series(np.ones(n_trades, dtype="int64"), dtype="Int64"),
            "trade_type": pd.Series(np.where(np.arange(n_trades) % 2, 1, 2), dtype="Int64"),
            "business_type": pd.Series(np.where(np.arange(n_trades) % 2, 3, 0), dtype="Int64"),
            "to_address": pd.Series(addresses, dtype="string"),
            "from_address": pd.Series(addresses[::-1], dtype="string"),
            "block_time": pd.Timestamp("2026-06-01", tz="UTC"),
        }
    )
    picked = rng.sample(range(0, n_trades, 2), n_payouts)  # outgoing rows
    cids = np.arange(n_payouts, dtype="int64") + 2 * 10**15
    stated = [amounts[i] for i in picked]
    for k in range(0, n_payouts, 1000):  # planted: one amount in a thousand differs
        stated[k] += Decimal("0.01")
    payouts = pd.DataFrame(
        {
            "cid": pd.Series(cids, dtype="Int64"),
            **{k: pd.Series([v] * n_payouts, dtype="string") for k, v in COIN.items()},
            "address": pd.Series([addresses[i] for i in picked], dtype="string"),
            "amount": pd.Series(stated, dtype=object),
            "status": pd.Series([6] * n_payouts, dtype="Int64"),
            "third_party_id": pd.Series([f"t{c}" for c in cids], dtype="string"),
            "txid": pd.Series([txids[i] for i in picked], dtype="string"),
        }
    )
    callbacks = pd.DataFrame(
        {
            "kind": pd.Series(["payout"] * n_payouts, dtype="string"),
            "verified": np.ones(n_payouts, dtype=bool),
            "cid": payouts["cid"],
            "status": payouts["status"],
            "amount": pd.Series([amounts[i] for i in picked], dtype=object),
            "address": payouts["address"],
            "timestamp": np.arange(n_payouts, dtype="int64"),
        }
    )
    requests = pd.DataFrame(
        {
            "third_party_id": payouts["third_party_id"],
            "amount": pd.Series([amounts[i] for i in picked], dtype=object),
            "address": payouts["address"],
        }
    )
    return {"trades": trades, "payouts": payouts, "callbacks": callbacks, "requests": requests}


def naive(data: dict[str, pd.DataFrame], sample: int) -> tuple[float, int]:
    """The per-row loop on the first ``sample`` payouts: (seconds, amount mismatches)."""
    trades, callbacks, requests = data["trades"], data["callbacks"], data["requests"]
    found = 0
    start = time.perf_counter()
    for row in data["payouts"].head(sample).itertuples():
        chain = trades[trades["txid"] == row.txid]
        said = callbacks[callbacks["cid"] == row.cid]
        asked = requests[requests["third_party_id"] == row.third_party_id]
        values = {row.amount, *chain["amount"], *said["amount"], *asked["amount"]}
        found += len(values) > 1
    return time.perf_counter() - start, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trades", type=int, default=1_000_000)
    parser.add_argument("--payouts", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=200, help="payouts the baseline loops over")
    args = parser.parse_args()
    t0 = time.perf_counter()
    data = frames(args.trades, args.payouts)
    print(
        f"built {args.trades:,} trades, {args.payouts:,} payouts, callbacks and requests "
        f"in {time.perf_counter() - t0:.1f} s"
    )

    start = time.perf_counter()
    rows = reconcile.payouts(data["payouts"], data["trades"], data["callbacks"], data["requests"])
    ours_payouts = time.perf_counter() - start
    start = time.perf_counter()
    reconcile.deposits(data["trades"], data["callbacks"])
    ours_deposits = time.perf_counter() - start
    mismatches = sum("amount_mismatch" in f for f in rows["findings"])
    assert mismatches == len(range(0, args.payouts, 1000)), mismatches

    seconds, found = naive(data, args.sample)
    assert found == len(range(0, args.sample, 1000)), found
    baseline = seconds / args.sample * args.payouts
    print(
        f"reconcile.payouts: {ours_payouts:.2f} s for {args.payouts:,} payouts "
        f"({mismatches} amount mismatches found)"
    )
    print(f"reconcile.deposits: {ours_deposits:.2f} s over {args.trades:,} trades")
    print(
        f"per-row loop: {seconds:.2f} s for {args.sample} payouts, "
        f"{baseline:,.0f} s extrapolated to {args.payouts:,}"
    )
    print(f"ratio: {baseline / ours_payouts:,.0f}x faster than the per-row loop")


if __name__ == "__main__":
    main()
