"""The rate-limit benchmark still runs (tiny size, real loopback HTTP): it cannot rot.

Only what it fetched is checked; its rates are for people reading a real run, never asserted.
"""

from __future__ import annotations

import pytest
from test_frames_bench import load


@pytest.mark.slow
def test_bench_ratelimit_smoke() -> None:
    figures = load("bench_ratelimit").run(
        rate=400.0, rows=1_500, latency_ms=2.0, concurrency=4, verbose=False
    )
    assert figures["goal_complete"]
    for name in ("ours", "baseline"):
        assert figures[name]["rows"] == 1_500 and not figures[name]["failed"]
        assert figures[name]["pages"] == 16  # 15 full pages and the end check
    stored = figures["store"]  # the store's first sync against the same rate-limited server
    assert not stored["failed"] and stored["rows"] == 1_500 and stored["requests"] > 16
