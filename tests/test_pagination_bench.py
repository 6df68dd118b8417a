"""The fetch benchmark still runs (tiny size, real loopback HTTP): it cannot rot.

Only what it fetched is checked; its timings are for people reading a real run, never asserted.
"""

from __future__ import annotations

import os

import pytest
from test_frames_bench import load


def _cpus() -> set[int] | None:
    return os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None


@pytest.mark.slow
@pytest.mark.parametrize("cores", ["split", "shared"])
def test_bench_fetch_smoke(cores: str) -> None:
    bench = load("bench_fetch")
    before = _cpus()
    results = bench.run(
        1_500, latency_ms=2.0, concurrency=(2, 4), repeat=1, cores=cores, verbose=False
    )
    assert _cpus() == before  # the run gives this process its CPUs back
    assert [r["concurrency"] for r in results] == [2, 4]
    split = cores == "split" and bench.split_cpus() is not None
    for figures in results:
        assert figures["rows"] == 1_500 and figures["pages"] == 15
        assert figures["split_cores"] == float(split)
        assert {"ours_s", "baseline_s", "floor_s", "over_floor"} <= set(figures)  # not judged


@pytest.mark.skipif(len(_cpus() or ()) < 2, reason="no CPU choice here")
def test_on_cpu_pins_the_thread_and_restores_it() -> None:
    bench = load("bench_fetch")
    before = os.sched_getaffinity(0)
    cpu = min(before)
    seen: list[set[int]] = []
    with bench.on_cpu(cpu):
        seen.append(os.sched_getaffinity(0))
    assert seen == [{cpu}]
    assert os.sched_getaffinity(0) == before


def test_bench_fetch_refuses_an_unknown_cores_mode() -> None:
    with pytest.raises(ValueError, match="'split' or 'shared'"):
        load("bench_fetch").run(10, cores="half", verbose=False)
