"""The fetch benchmark still runs (tiny size, real loopback HTTP): it cannot rot."""

from __future__ import annotations

import pytest
from test_frames_bench import load


@pytest.mark.slow
def test_bench_fetch_smoke() -> None:
    results = load("bench_fetch").run(
        1_500, latency_ms=2.0, concurrency=(2, 4), repeat=1, verbose=False
    )
    assert [r["concurrency"] for r in results] == [2, 4]
    for figures in results:
        assert figures["rows"] == 1_500 and figures["pages"] == 15
        assert figures["ours_s"] > 0 and figures["baseline_s"] > 0
        assert figures["over_floor"] == figures["ours_s"] / figures["floor_s"]
