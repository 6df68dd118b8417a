"""Benchmark: a fetch from a loopback sandbox rate-limited at R requests/s, with and without AIMD.

    .venv/bin/python benchmarks/bench_ratelimit.py [--rate 50] [--rows 100000] [--latency-ms 100]
        [--concurrency 16]

A sandbox with ``rows`` transactions, ``latency-ms`` of added latency per request and a token
bucket of ``rate`` requests per second (burst: one second's worth, the sandbox's default) is
served by ``SandboxServer`` on 127.0.0.1 in a separate process (as a real API is). Two fetches of
every ``trade_page`` row (100-row pages) run one after the other, each after the bucket has
filled again:

* ours: ``fetch_frame(client, "trade_page", concurrency=...)`` with its rate control (``Pace``
  with its defaults: the requests in flight drop to 0.7 of the window at a 429, hold a second,
  then grow by two a second);
* the baseline: the same fetch with the rate control off (``Pace(decrease=1)``: ``concurrency``
  requests in flight whatever the server says; the client still waits out each 429).

Each reports the pages fetched, the seconds, the HTTP 429s met, the lowest requests in flight
and the sustained rate: the requests served beyond the bucket's first burst, per second.
Goals for ours: a sustained rate of at least 90% of R, no failed page, every row. The ratio
of ours to the baseline (rate, 429s) is printed; docs/frames.md quotes the figures.

Then a first sync of a local store (``Store.sync``, which pages through the same fetch) against
the same server: its requests (``SyncSummary.requests``: coins, balances, trades, end checks),
seconds and sustained rate, with the same goal (docs/store.md quotes it).
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from served import served as serving

from cregis_notebook import Client, CregisFetchError, Store
from cregis_notebook.fetch import FetchTiming, fetch_frame
from cregis_notebook.fetch.pace import Pace

PAGE = 100


def _serve(rows: int, latency_ms: float, rate: float, conn: Any) -> None:
    """Child process: build the rate-limited sandbox, serve it, wait to be told to stop."""
    from cregis_notebook.sandbox import Sandbox, SandboxServer

    box = Sandbox(
        seed=1,
        transactions=rows,
        latency_ms=latency_ms,
        rate_limit=rate,
        history_end=time.time() - 60,  # the fetch's pinned window covers every row
    )
    with SandboxServer(box, host="127.0.0.1", port=0, close_sandbox=True) as server:
        conn.send((server.base_url, server.pid, server.api_key))
        conn.recv()  # any message: stop


@contextmanager
def served(rows: int, latency_ms: float, rate: float) -> Iterator[tuple[str, int, str]]:
    """``(base_url, pid, api_key)`` of a rate-limited sandbox served by a child process."""
    with serving(_serve, rows, latency_ms, rate) as address:
        yield address


def fetch(
    target: tuple[str, int, str], rate: float, concurrency: int, decrease: float
) -> dict[str, Any]:
    """One timed fetch of every row; what it did (``failed`` when a page kept failing)."""
    time.sleep(math.ceil(rate) / rate + 0.5)  # the bucket is full again: every run starts alike
    made: list[Pace] = []

    def pace(limit: int) -> Pace:  # the default Pace, or one that never changes (decrease=1)
        made.append(Pace(limit, decrease=decrease))
        return made[-1]

    timing = FetchTiming(pace=pace)
    with Client(*target) as client:
        started = time.perf_counter()
        try:
            df = fetch_frame(
                client,
                "trade_page",
                page_size=PAGE,
                concurrency=concurrency,
                progress=False,
                timing=timing,
            )
            rows, failed = len(df), False
        except CregisFetchError as exc:
            rows, failed = len(exc.partial), True
        seconds = time.perf_counter() - started
    summary = made[-1].summary()
    pages = math.ceil(rows / PAGE) + 1  # and the end check after a full last page
    return {
        "rows": rows,
        "failed": failed,
        "seconds": seconds,
        "pages": pages,
        "limited": summary["rate_limited"],
        "lowest": summary["lowest"],
        "sustained": max(0, pages - math.ceil(rate)) / seconds,
    }


def sync(target: tuple[str, int, str], rate: float, rows: int, concurrency: int) -> dict[str, Any]:
    """One timed first sync of a new store; what it did (``failed`` when it raised)."""
    time.sleep(math.ceil(rate) / rate + 0.5)  # the bucket is full again
    with Client(*target) as client, tempfile.TemporaryDirectory() as folder:
        store = Store(folder)
        started = time.perf_counter()
        try:
            summary = store.sync(client, concurrency=concurrency)
            requests, failed = summary.requests, False
        except CregisFetchError:
            requests, failed = 0, True
        seconds = time.perf_counter() - started
        stored = 0 if failed else len(store.frame("trades"))
    return {
        "rows": stored,
        "failed": failed or stored != rows,
        "seconds": seconds,
        "requests": requests,
        "sustained": max(0, requests - math.ceil(rate)) / seconds,
    }


def run(
    rate: float = 50.0,
    rows: int = 100_000,
    latency_ms: float = 100.0,
    concurrency: int = 16,
    *,
    verbose: bool = True,
) -> dict[str, Any]:
    """Both fetches against one server; their figures and the goals' verdicts."""
    with served(rows, latency_ms, rate) as target:
        ours = fetch(target, rate, concurrency, decrease=Pace(1).decrease)
        base = fetch(target, rate, concurrency, decrease=1.0)
        stored = sync(target, rate, rows, concurrency)
    figures = {
        "store": stored,
        "goal_store": stored["sustained"] >= 0.9 * rate and not stored["failed"],
        "ours": ours,
        "baseline": base,
        "share_of_rate": ours["sustained"] / rate,
        "vs_baseline": ours["sustained"] / base["sustained"] if base["sustained"] else math.inf,
        "goal_rate": ours["sustained"] >= 0.9 * rate,
        "goal_complete": not ours["failed"] and ours["rows"] == rows,
    }
    if verbose:
        print(f"rate limit {rate:g}/s, {rows:,} rows, {latency_ms:g} ms, concurrency {concurrency}")
        for name in ("ours", "baseline"):
            f = figures[name]
            print(
                f"  {name:8s}: {f['pages']} pages in {f['seconds']:.2f} s, sustained "
                f"{f['sustained']:.1f}/s ({f['sustained'] / rate:.0%} of R), {f['limited']} "
                f"HTTP 429s, lowest in flight {f['lowest']}, "
                f"{'FAILED' if f['failed'] else 'complete'} ({f['rows']:,} rows)"
            )
        ratio = base["limited"] / ours["limited"] if ours["limited"] else math.inf
        print(
            f"  ours / baseline: {figures['vs_baseline']:.2f}x the sustained rate, "
            f"1/{ratio:.1f} of the 429s"
        )
        verdict = figures["goal_rate"] and figures["goal_complete"]
        print(f"  goal (>= 90% of R, no failed page, every row): {'met' if verdict else 'MISSED'}")
        print(
            f"  store sync: {stored['requests']} requests in {stored['seconds']:.2f} s, sustained "
            f"{stored['sustained']:.1f}/s ({stored['sustained'] / rate:.0%} of R), "
            f"{'FAILED' if stored['failed'] else 'complete'} ({stored['rows']:,} rows); goal "
            f"(>= 90% of R, every row): {'met' if figures['goal_store'] else 'MISSED'}"
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    run(args.rate, args.rows, args.latency_ms, args.concurrency)


if __name__ == "__main__":
    main()
