"""Benchmark: a team's sync into a local store, its wallets one at a time and concurrently.

    .venv/bin/python benchmarks/bench_team_sync.py [--wallets 100] [--transactions 60]
        [--latency-ms 20] [--concurrency 8] [--rounds 2]

A sandbox team of ``wallets`` wallets, each with ``transactions`` completed transfers and
``latency-ms`` of added latency per request, is served by ``SandboxServer`` on 127.0.0.1 in a
separate process (as the real Team API is). Each round syncs it into two fresh stores, one after
the other, through a ``TeamClient`` over loopback HTTP:

* the baseline: ``Store.sync(team, concurrency=1)``, every request one at a time. With the
  default ``transactions`` every fetch of a wallet is one page, so this sends exactly the
  requests the sync sent before its wallets were fetched concurrently, in the same order (that
  sync fetched the pages of one wallet concurrently, and there was only one page);
* ours: ``Store.sync(team, concurrency=...)``: the wallets' requests at once, at most
  ``concurrency`` in flight for the whole sync;

then a second sync of each store (from the watermarks: the history's last page of each wallet).
Each line gives the requests, seconds and the client's CPU seconds; the ratio baseline/ours
of each round's seconds is printed, and the best of the rounds. Both stores hold the same rows
(checked). docs/store.md quotes the figures.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from served import served

from cregis_notebook import Store, TeamClient


def _serve(wallets: int, transactions: int, latency_ms: float, conn: Any) -> None:
    """Child process: build the team's sandbox, serve it, wait to be told to stop."""
    from cregis_notebook.sandbox import Sandbox, SandboxServer

    box = Sandbox(
        seed=3,
        transactions=10,
        latency_ms=latency_ms,
        team_wallets=wallets,
        team_transactions=transactions,
        team_settle_seconds=86_400,  # nothing settles between the two syncs of a round
    )
    with SandboxServer(box, host="127.0.0.1", port=0, close_sandbox=True) as server:
        conn.send((server.base_url, box.team_access_key, box.team_access_secret))
        conn.recv()  # any message: stop


def sync(address: tuple[str, str, str], path: Path, concurrency: int) -> tuple[int, float, float]:
    """One timed sync of the team into ``path``: its requests, seconds and the CPU seconds of
    this process (the client's side: every thread) meanwhile."""
    base_url, key, secret = address
    with TeamClient(base_url, key, secret) as team:
        started, cpu = time.perf_counter(), time.process_time()
        summary = Store(path).sync(team, concurrency=concurrency)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return summary.requests, seconds, cpu


def same_rows(one: Path, other: Path) -> bool:
    """Whether two stores hold the same team history, row for row."""
    left = Store(one).frame("team_transactions")
    right = Store(other).frame("team_transactions")
    return left.equals(right)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wallets", type=int, default=100)
    parser.add_argument("--transactions", type=int, default=60, help="per wallet")
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    print(
        f"team of {args.wallets} wallets x {args.transactions} transactions, "
        f"{args.latency_ms:g} ms latency, concurrency {args.concurrency} against 1"
    )
    ratios: dict[str, list[float]] = {"first": [], "second": []}
    with served(_serve, args.wallets, args.transactions, args.latency_ms) as address:
        for round_ in range(1, args.rounds + 1):
            with tempfile.TemporaryDirectory(prefix="bench-team-") as work:
                stores = {c: Path(work) / f"c{c}" for c in (1, args.concurrency)}
                for which in ratios:
                    timed = {c: sync(address, p, c) for c, p in stores.items()}
                    (n1, base, cpu1), (nc, ours, cpuc) = timed[1], timed[args.concurrency]
                    ratios[which].append(base / ours)
                    print(
                        f"round {round_}, {which} sync: one at a time {n1} requests "
                        f"{base:.2f} s (client CPU {cpu1:.2f} s); concurrency {args.concurrency} "
                        f"{nc} requests {ours:.2f} s (client CPU {cpuc:.2f} s); "
                        f"ratio {base / ours:.1f}x"
                    )
                assert same_rows(*stores.values()), "the stores differ"
    for which, values in ratios.items():
        print(f"{which} sync: best ratio {max(values):.1f}x over {len(values)} round(s)")


if __name__ == "__main__":
    main()
