"""A sandbox served by a child process, as a real API is: the benchmarks' one way to start one."""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def served(serve: Callable[..., None], *args: Any) -> Iterator[Any]:
    """What ``serve(*args, conn)`` sends first (the address), while it runs in a spawned process.

    ``serve`` must be a module-level function that sends its address on ``conn``, then waits for
    any message on it before it stops.
    """
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=serve, args=(*args, child), daemon=True)
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
