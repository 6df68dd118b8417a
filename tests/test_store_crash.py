"""A sync killed with SIGKILL at random points: the store always opens at a committed state
(no row twice, none half-written), and the next sync completes with every table equal to a
fresh fetch. The sync runs in a subprocess against the sandbox over loopback HTTP; it prints a
dot per answer, and the test kills it after a random number of them."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from test_store import assert_matches_fetch

import cregis_notebook as cn
from cregis_notebook.sandbox import Sandbox, SandboxServer

SYNC = textwrap.dedent(
    """
    import sys
    import httpx
    import cregis_notebook as cn

    class Ticking(httpx.HTTPTransport):
        def handle_request(self, request):
            response = super().handle_request(request)
            sys.stdout.write(".")
            sys.stdout.flush()
            return response

    url, pid, key, path = sys.argv[1:]
    cn.sync(cn.Client(url, int(pid), key, transport=Ticking()), path, concurrency=4)
    sys.stdout.write("done")
    """
)


def run_and_kill(server: SandboxServer, path: Path, answers: int) -> bool:
    """Start a sync and SIGKILL it after ``answers`` answers; whether it finished first."""
    args = [sys.executable, "-c", SYNC, server.base_url, str(server.pid), server.api_key, str(path)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    seen = 0
    while seen < answers:
        char = proc.stdout.read(1)
        if char in (b"", b"d"):  # the sync finished before the chosen point
            proc.wait(60)
            return True
        seen += 1
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(60)
    return False


@pytest.mark.slow
def test_kill_9_at_random_points_leaves_a_committed_store(tmp_path: Path) -> None:
    box = Sandbox(seed=17, transactions=2_500, history_end=1_700_000_000)  # all in the past
    path = tmp_path / "data"
    rng = random.Random(17)
    with SandboxServer(box, host="127.0.0.1", port=0, close_sandbox=True) as server:
        client = cn.Client(server.base_url, server.pid, server.api_key)
        fresh = cn.fetch_frame(client, "trade_page", progress=False).set_index("cid")
        finished = 0
        for _ in range(20):
            finished += run_and_kill(server, path, rng.randint(1, 80))
            store = cn.Store(path)
            if "trades" in store.tables:
                trades = store.frame("trades")
                assert not trades["cid"].duplicated().any()
                stored = trades.set_index("cid")
                assert stored.index.isin(fresh.index).all()
                pd.testing.assert_frame_equal(stored, fresh.loc[stored.index])
            for name in store.tables:
                store.frame(name)  # every table opens
        assert run_and_kill(server, path, 10**6)  # a sync left to finish
        assert_matches_fetch(cn.Store(path), box, client)
        assert finished < 20  # most runs were killed part way
