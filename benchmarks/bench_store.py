"""Benchmark: the local store against fetching, on the same rows, in one run.

    .venv/bin/python benchmarks/bench_store.py [--rows 1000000] [--latency-ms 20]
        [--concurrency 8] [--lookback-hours 1]

A sandbox with ``rows`` transactions and ``latency-ms`` of added latency per request is served
by ``SandboxServer`` on 127.0.0.1 in a separate process (as a real API is). Each contender runs
in a fresh process of its own, which reports its time and its peak RSS:

* **full sync** (``cn.sync``) against ``fetch_frame`` of every ``trade_page`` row (time), and
  against ``fetch_frame`` + ``to_parquet`` (peak RSS). Goals: within 1.25x of the fetch's time;
  peak RSS under 400 MB and at most half of the fetch's.
* **incremental sync** after 1% new rows and 1% status changes (the newest rows settling), made
  by the server between two syncs. Goal: at most 3% of the full sync's requests and time. It
  runs twice on the same changes, each on its own copy of the store: first with no balance
  snapshot due (``balances=False``, as between two snapshots of ``balances=timedelta(...)``),
  then as by default, with a snapshot of every currency's balances. The
  server's newest 1% of rows start pending and every older row settled, as on a real chain
  (the sandbox's own seeded history keeps some rows pending for months: a store asks about
  those at every sync, a page per 100 of them). The syncs use ``--lookback-hours`` (1 by
  default here). The lookback is fetched again only when its row count differs from the
  store's; the rows that settled are asked for in windows of a page. ``requests`` is the
  sync's own count of every request sent (pages, end checks, the lookback's count).
* **open and query** from a fresh process: ``Store(path).frame("trades")`` against the fetch's
  time (re-fetching), and a DuckDB group-by of exact sums per currency and month
  (``store.sql``) against pandas on the fetch's frame (``Decimal`` sums).

Each line prints the ratio against its baseline. ``--rows 20000`` gives a quick run.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any


def _set_status(box: Any, rows: Any, status: int) -> None:
    """Give stored transactions a new status (the sandbox's rows, changed in place)."""
    table = box.project.trades
    with box.engine.lock:
        table.cols["status"][rows] = status
        table._rendered.clear()
        table._cache.clear()


def _serve(rows: int, latency_ms: float, conn: Any) -> None:
    """Child process: serve the sandbox, its newest 1% of rows pending; on "activity", those
    settle and 1% new rows (deposits) arrive."""
    import numpy as np

    from cregis_notebook.sandbox import Sandbox, SandboxServer

    # the history ends a minute ago, so "now" (the fetch's pinned window) covers every row
    # deposits confirm at once (settle_seconds=0): the 1% new rows are there for the next sync
    box = Sandbox(
        seed=1, transactions=rows, latency_ms=latency_ms, history_end=time.time() - 60,
        settle_seconds=0,
    )  # fmt: skip
    size = box.project.trades.size
    newest = np.arange(size - rows // 100, size)
    older = np.flatnonzero(box.project.trades.cols["status"][: size - rows // 100] == 0)
    _set_status(box, older, 1)  # older transactions have settled, as on a real chain
    _set_status(box, newest, 0)  # recent transactions are still pending
    with SandboxServer(box, host="127.0.0.1", port=0, close_sandbox=True) as server:
        conn.send((server.base_url, server.pid, server.api_key))
        while (message := conn.recv()) == "activity":
            _set_status(box, newest, 1)  # 1% status changes
            examples = box.examples()
            for _ in range(rows // 100):  # 1% new rows
                box.simulate_deposit(examples["sub_address"], examples["sub_address_currency"], "1")
            time.sleep(1.5)  # a listing ends before the current second: let the last one pass
            conn.send(len(newest))
        conn.send(message)


def _child(
    kind: str,
    base_url: str,
    pid: int,
    key: str,
    path: str,
    concurrency: int,
    lookback: float,
    balances: bool = True,
) -> None:
    """One measurement in a fresh process: prints a JSON line."""
    import datetime as dt

    import cregis_notebook as cn

    client = cn.Client(base_url, pid, key)
    cn.Store, cn.fetch_frame  # noqa: B018 - imported before the clock starts, for both
    out: dict[str, Any] = {}
    started = time.perf_counter()
    if kind == "fetch":
        df = cn.fetch_frame(client, "trade_page", concurrency=concurrency, progress=False)
        out["seconds"] = time.perf_counter() - started
        out["rows"] = len(df)
        cn.to_parquet(df, Path(path) / "trades.parquet")
        began = time.perf_counter()
        month = df["block_time"].dt.strftime("%Y-%m")
        df.groupby([df["currency"], month])["amount"].apply(lambda s: sum(s, Decimal(0)))
        out["pandas_groupby"] = time.perf_counter() - began
    elif kind == "sync":
        summary = cn.sync(
            client, path, concurrency=concurrency, lookback=dt.timedelta(hours=lookback),
            balances=balances,
        )  # fmt: skip
        out["seconds"] = time.perf_counter() - started
        out["requests"] = summary.requests
        out["rows"] = summary.added["trades"] + summary.updated["trades"]
    elif kind == "open":
        import duckdb  # noqa: F401 - imported before the group-by's clock starts

        store = cn.Store(path)
        out["rows"] = len(store.frame("trades"))
        out["seconds"] = time.perf_counter() - started
        began = time.perf_counter()
        store.sql(
            "select currency, month, sum(amount) as total from trades group by currency, month"
        )
        out["duckdb_groupby"] = time.perf_counter() - began
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


def measure(
    kind: str,
    server: tuple[str, int, str],
    path: Path,
    concurrency: int,
    lookback: float,
    balances: bool = True,
) -> dict:
    base_url, pid, key = server
    args = [sys.executable, __file__, "--child", kind, base_url, str(pid), key, str(path)]
    args += ["--concurrency", str(concurrency), "--lookback-hours", str(lookback)]
    args += [] if balances else ["--no-balances"]
    done = subprocess.run(args, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--lookback-hours", type=float, default=1.0)
    parser.add_argument("--no-balances", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child", nargs=5, metavar="ARG", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, base_url, pid, key, path = args.child
        _child(kind, base_url, int(pid), key, path, args.concurrency, args.lookback_hours,
               not args.no_balances)  # fmt: skip
        return

    ctx = mp.get_context("spawn")
    ours, theirs = ctx.Pipe()
    server = ctx.Process(target=_serve, args=(args.rows, args.latency_ms, theirs), daemon=True)
    server.start()
    address = ours.recv()
    print(
        f"{args.rows:,} rows, {args.latency_ms:g} ms latency, {args.concurrency} in flight, "
        f"lookback {args.lookback_hours:g} h"
    )
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        how = (args.concurrency, args.lookback_hours)
        fetched = measure("fetch", address, work, *how)
        full = measure("sync", address, work / "store", *how)
        shutil.copytree(work / "store", work / "quiet")
        ours.send("activity")
        changed = ours.recv()
        quiet = measure("sync", address, work / "quiet", *how, balances=False)
        later = measure("sync", address, work / "store", *how)
        opened = measure("open", address, work / "store", *how)
    ours.send("stop")
    ours.recv()
    server.join(30)

    def line(name: str, value: float, base: float, unit: str, goal: str) -> None:
        print(f"{name:<46} {value:9.2f} {unit:<3} vs {base:9.2f} {unit:<3} ratio "
              f"{value / base:6.3f}  (goal {goal})")  # fmt: skip

    print(f"rows: fetched {fetched['rows']:,}, synced {full['rows']:,}")
    line("full sync time vs fetch_frame", full["seconds"], fetched["seconds"], "s", "<= 1.25")
    line("full sync peak RSS vs fetch_frame + to_parquet",
         full["peak_rss_mb"], fetched["peak_rss_mb"], "MB", "<= 0.5, < 400 MB")  # fmt: skip
    print(f"incremental sync after {changed:,} status changes and ~1% new rows "
          f"({quiet['rows']:,} rows added or updated), no balance snapshot due:")  # fmt: skip
    line("  requests vs full sync", quiet["requests"], full["requests"], "", "<= 0.03")
    line("  time vs full sync", quiet["seconds"], full["seconds"], "s", "<= 0.03")
    snapshot = later["requests"] - quiet["requests"]
    print(f"the same with a snapshot of every currency's balances (the default; "
          f"{later['rows']:,} rows added or updated): the snapshot alone is {snapshot} requests, "
          f"{snapshot / full['requests']:.1%} of the full sync whatever changed (no goal: see "
          "docs/store.md, Benchmarks):")  # fmt: skip
    line("  requests vs full sync", later["requests"], full["requests"], "", "none")
    line("  time vs full sync", later["seconds"], full["seconds"], "s", "none")
    line("open: store.frame('trades') vs re-fetching", opened["seconds"], fetched["seconds"],
         "s", "< 1")  # fmt: skip
    line("DuckDB exact sums per currency and month vs pandas", opened["duckdb_groupby"],
         fetched["pandas_groupby"], "s", "< 1")  # fmt: skip


if __name__ == "__main__":
    main()
