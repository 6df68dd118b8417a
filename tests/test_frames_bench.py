"""The flatten benchmark still runs (tiny size): it cannot rot between real runs.

Only what it built is checked; its timings are never asserted.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def load(name: str) -> ModuleType:
    """Import ``benchmarks/<name>.py`` by name (a spawned child process can import it too)."""
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    return importlib.import_module(name)


def test_bench_flatten_smoke() -> None:
    figures = load("bench_flatten").run(2_000, rounds=1, verbose=False)
    assert figures["rows"] == 2_000
    assert figures["frame_bytes"] > 0 and {"ours_s", "baseline_s"} <= set(figures)
