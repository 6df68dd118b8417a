"""Benchmark: parsed envelopes -> typed DataFrame, against json_normalize per page + concat.

    .venv/bin/python benchmarks/bench_flatten.py [--rows 1000000]

The input is ``rows / 100`` parsed ``trade_page`` envelopes (100 rows each), as ``json.loads``
gives them. The baseline is the loop a user writes by hand: ``pandas.json_normalize`` of each
page's rows, then ``pandas.concat`` (untyped: amounts and ids stay text). Ours is
:func:`cregis_notebook.to_frame`, which also types every column (exact ``Decimal`` amounts,
``Int64`` ids, UTC datetimes, labels). Peak memory is the process's resident-set growth during
the conversion (sampled every 2 ms), against the final frame's ``memory_usage(deep=True)``.
Goals: at least 5x faster, peak at most 2x the frame.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import threading
import time
from decimal import Decimal
from typing import Any

import pandas as pd

from cregis_notebook import to_frame

PAGE = 100
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def rss() -> int:
    """Resident set size of this process, in bytes (Linux)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * _PAGE_SIZE


class PeakRSS:
    """Samples the RSS in a thread; ``peak - start`` is the growth while it ran."""

    def __init__(self, every: float = 0.002) -> None:
        self.every = every
        self.start = self.peak = rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.peak = max(self.peak, rss())

    def __enter__(self) -> PeakRSS:
        gc.collect()
        self.start = self.peak = rss()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss())

    @property
    def growth(self) -> int:
        return self.peak - self.start


def make_envelopes(rows: int, seed: int = 0) -> list[dict[str, Any]]:
    """Parsed trade_page envelopes with realistic values (through JSON text, as received)."""
    rnd = random.Random(seed)
    tokens = [
        ("195", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", 6),
        ("195", "195", 6),
        ("60", "0xdac17f958d2ee523a2206206994597c13d831ec7", 6),
        ("60", "60", 18),
        ("2510", "0x55d398326f99059ff775485246999027b3197955", 18),
        ("0", "0", 8),
    ]
    fees = {"195": ["0", "1.1", "13.3959", "27.2559"], "60": [], "2510": [], "0": []}
    texts = []
    for i in range(rows // PAGE + (rows % PAGE > 0)):
        out = []
        for j in range(min(PAGE, rows - i * PAGE)):
            n = i * PAGE + j
            chain, token, dec = tokens[rnd.randrange(len(tokens))]
            units = rnd.randrange(1, 10 ** (dec + 4))
            amount = str(Decimal(units).scaleb(-dec).normalize())
            amount = format(Decimal(amount), "f")
            fee_pool = fees[chain]
            fee = (
                fee_pool[rnd.randrange(len(fee_pool))]
                if fee_pool
                else f"0.{rnd.randrange(10**8):08d}"
            )
            row: dict[str, Any] = {
                "pid": 1409650233999360,
                "cid": 1410580986806272 + n,
                "chain_id": chain,
                "token_id": token,
                "currency": f"{chain}@{token}",
                "to_address": f"T{rnd.getrandbits(160):040x}"[:34],
                "amount": amount,
                "status": rnd.choice((0, 1, 1, 1, 2)),
                "txid": f"{rnd.getrandbits(256):064x}",
                "block_height": str(42_000_000 + n),
                "block_time": 1_700_000_000 + n,
                "fee": fee,
                "from_address": f"T{rnd.getrandbits(160):040x}"[:34],
            }
            if n % 9 == 0:
                row["memo"] = str(rnd.randrange(10**6))
            out.append(row)
        page = {"total": rows, "rows": out, "pageNum": i + 1, "pageSize": PAGE}
        texts.append(json.dumps({"code": "00000", "msg": "ok", "data": page}))
    return [json.loads(t) for t in texts]


def baseline(envelopes: list[dict[str, Any]]) -> pd.DataFrame:
    """What a user writes by hand."""
    frames = [pd.json_normalize(e["data"]["rows"]) for e in envelopes]
    return pd.concat(frames, ignore_index=True)


def ours(envelopes: list[dict[str, Any]]) -> pd.DataFrame:
    return to_frame(envelopes, "trade_page")


def run(rows: int = 1_000_000, *, rounds: int = 2, verbose: bool = True) -> dict[str, float]:
    """Run both conversions ``rounds`` times, alternating; figures use each one's best time.

    The first round of each also touches fresh memory (slow on a new VM); the best of the
    rounds is the usual fair comparison. Peak memory is measured on ours' first round.
    """
    say = print if verbose else (lambda *a, **k: None)
    say(f"building {rows:,} rows of parsed envelopes ...", flush=True)
    envelopes = make_envelopes(rows)
    to_frame(envelopes[:2], "trade_page")  # imports and first-call set-up, not conversion
    baseline(envelopes[:2])

    t_ours: list[float] = []
    t_base: list[float] = []
    peak = frame_bytes = 0
    df = base = None
    for i in range(rounds):
        df = base = None
        gc.collect()
        with PeakRSS() as mem:
            t0 = time.perf_counter()
            df = ours(envelopes)
            t_ours.append(time.perf_counter() - t0)
        if i == 0:
            frame_bytes = int(df.memory_usage(deep=True).sum())
            peak = mem.growth
        t0 = time.perf_counter()
        base = baseline(envelopes)
        t_base.append(time.perf_counter() - t0)
        say(f"  round {i + 1}: ours {t_ours[-1]:.2f} s, baseline {t_base[-1]:.2f} s", flush=True)

    assert df is not None and base is not None
    assert len(df) == len(base) == rows, (len(df), len(base))
    assert df["cid"].tolist() == base["cid"].tolist()
    assert df["amount"].tolist() == [Decimal(a) for a in base["amount"]]
    best_ours, best_base = min(t_ours), min(t_base)
    figures = {
        "rows": float(rows),
        "baseline_s": best_base,
        "ours_s": best_ours,
        "speedup": best_base / best_ours,
        "first_round_speedup": t_base[0] / t_ours[0],
        "frame_bytes": float(frame_bytes),
        "peak_bytes": float(peak),
        "peak_ratio": peak / frame_bytes,
    }
    say(f"baseline  json_normalize per page + concat : {best_base:7.2f} s (untyped, best)")
    say(f"ours      to_frame (typed, exact)          : {best_ours:7.2f} s (best)")
    say(f"speedup                                    : {figures['speedup']:7.1f}x (goal >= 5x)")
    say(f"speedup, first round only                  : {figures['first_round_speedup']:7.1f}x")
    say(f"final frame memory                         : {frame_bytes / 2**20:7.0f} MiB")
    say(f"peak memory growth during to_frame         : {peak / 2**20:7.0f} MiB")
    say(f"peak / frame                               : {figures['peak_ratio']:7.2f} (goal <= 2)")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    run(args.rows, rounds=args.rounds)


if __name__ == "__main__":
    main()
