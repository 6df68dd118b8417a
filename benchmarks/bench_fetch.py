"""Benchmark: fetch every trade_page row over loopback HTTP, against the loop written by hand.

    .venv/bin/python benchmarks/bench_fetch.py [--rows 100000] [--latency-ms 20] [--concurrency 8]

A sandbox with ``rows`` transactions and ``latency-ms`` of added latency per request is served
by ``SandboxServer`` on 127.0.0.1 in a separate process (as a real API is). The baseline is
what a user writes by hand: sequential ``httpx.Client`` posts of 100-row pages (signed with
``cregis_notebook.sign``), ``pandas.json_normalize`` per page, ``pandas.concat``. Ours is
``fetch_frame(client, "trade_page", concurrency=...)``, which also types every column.
The latency floor is ``pages x latency / requests in flight``.
Goals: at least 8x faster than the baseline, within 1.5x of the floor, the same rows.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing as mp
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import httpx
import pandas as pd

from cregis_notebook import Client, sign
from cregis_notebook.pagination import fetch_frame

PAGE = 100


def _serve(rows: int, latency_ms: float, conn: Any) -> None:
    """Child process: build the sandbox, serve it, report the address, wait to be told to stop."""
    from cregis_notebook.sandbox import Sandbox, SandboxServer

    # the history ends a minute ago, so "now" (the fetch's pinned window) covers every row
    box = Sandbox(
        seed=1,
        transactions=rows,
        latency_ms=latency_ms,
        history_end=time.time() - 60,
    )
    with SandboxServer(box, host="127.0.0.1", port=0, close_sandbox=True) as server:
        conn.send((server.base_url, server.pid, server.api_key))
        conn.recv()  # any message: stop


@contextmanager
def served(rows: int, latency_ms: float) -> Iterator[tuple[str, int, str]]:
    """``(base_url, pid, api_key)`` of a sandbox served by a child process."""
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_serve, args=(rows, latency_ms, child), daemon=True)
    proc.start()
    try:
        if not parent.poll(120):
            raise RuntimeError("the sandbox server did not start")
        yield parent.recv()
    finally:
        parent.send("stop")
        proc.join(15)
        if proc.is_alive():
            proc.terminate()


def baseline(base_url: str, pid: int, key: str) -> pd.DataFrame:
    """The loop a user writes by hand."""
    frames = []
    with httpx.Client(base_url=base_url, timeout=30) as http:
        page = 1
        while True:
            body: dict[str, Any] = {
                "page_num": page,
                "page_size": PAGE,
                "pid": pid,
                "nonce": secrets.token_hex(3),
                "timestamp": int(time.time() * 1000),
            }
            body["sign"] = sign(body, key)
            data = http.post("/api/v1/trade/page", json=body).json()["data"]
            frames.append(pd.json_normalize(data["rows"]))
            if page * PAGE >= data["total"]:
                break
            page += 1
    return pd.concat(frames, ignore_index=True)


def ours(base_url: str, pid: int, key: str, concurrency: int) -> pd.DataFrame:
    with Client(base_url, pid, key) as client:
        return fetch_frame(client, "trade_page", concurrency=concurrency, progress=False)


def run(
    rows: int = 100_000,
    latency_ms: float = 20.0,
    concurrency: int = 8,
    *,
    verbose: bool = True,
    skip_baseline: bool = False,
) -> dict[str, float]:
    """Serve the sandbox, run both fetches, check they agree; return the figures."""
    say = print if verbose else (lambda *a, **k: None)
    pages = math.ceil(rows / PAGE)
    floor = pages * latency_ms / 1000 / concurrency
    say(f"serving {rows:,} transactions with {latency_ms:g} ms latency ...", flush=True)
    with served(rows, latency_ms) as (base_url, pid, key):
        with Client(base_url, pid, key) as warm:  # first-request set-up on both sides
            warm.request("trade_page", page_size=1)
        t0 = time.perf_counter()
        df = ours(base_url, pid, key, concurrency)
        t_ours = time.perf_counter() - t0
        if skip_baseline:
            base, t_base = None, float("nan")
        else:
            t0 = time.perf_counter()
            base = baseline(base_url, pid, key)
            t_base = time.perf_counter() - t0
    assert len(df) == rows and df.attrs["complete"] and "mismatch" not in df.attrs
    if base is not None:
        assert len(base) == rows
        assert df["cid"].tolist() == base["cid"].tolist()
        assert df["amount"].tolist() == [Decimal(a) for a in base["amount"]]
    figures = {
        "rows": float(rows),
        "pages": float(pages),
        "baseline_s": t_base,
        "ours_s": t_ours,
        "speedup": t_base / t_ours,
        "floor_s": floor,
        "over_floor": t_ours / floor,
    }
    say(f"pages                                  : {pages:,} of {PAGE} rows")
    say(f"baseline  sequential posts + normalize : {t_base:7.2f} s (untyped)")
    say(f"ours      fetch_frame (concurrency {concurrency:<2})  : {t_ours:7.2f} s (typed, exact)")
    say(f"speedup                                : {figures['speedup']:7.1f}x (goal >= 8x)")
    say(f"latency floor (pages x latency / {concurrency})   : {floor:7.2f} s")
    say(f"ours / floor                           : {figures['over_floor']:7.2f} (goal <= 1.5)")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    run(args.rows, args.latency_ms, args.concurrency)


if __name__ == "__main__":
    main()
