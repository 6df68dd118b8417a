"""fetch_frame inside a real ipykernel: a running event loop, the progress widget, the stop button.

The kernel runs cells inside its own asyncio loop, exactly as in Jupyter; fetch_frame must work
there without ``nest_asyncio`` or ``await``, and an interrupt (what the stop button sends) must
leave a partial frame and a working ``resume()``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

jupyter_client = pytest.importorskip("jupyter_client")
pytest.importorskip("ipykernel")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def kernel() -> Iterator[tuple[Any, Any]]:
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3")
    try:
        yield km, kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def run_cell(kc: Any, code: str, timeout: float = 120) -> tuple[str, dict[str, Any]]:
    """Execute ``code``; return its stdout and the execute reply's content."""
    out: list[str] = []

    def hook(msg: dict[str, Any]) -> None:
        if msg["msg_type"] == "stream" and msg["content"]["name"] == "stdout":
            out.append(msg["content"]["text"])

    reply = kc.execute_interactive(code, timeout=timeout, output_hook=hook)
    return "".join(out), reply["content"]


def test_fetch_frame_in_a_running_kernel_loop(kernel: tuple[Any, Any]) -> None:
    _, kc = kernel
    code = """
import asyncio, json
from cregis_notebook.sandbox import Sandbox, FakeClock
from cregis_notebook import fetch_frame
box = Sandbox(seed=5, transactions=2_345, clock=FakeClock())
running = asyncio.get_event_loop().is_running()
df = fetch_frame(box.client(), "trade_page")  # progress=True: the tqdm widget
print(json.dumps({"running": running, "rows": len(df), "total": df.attrs["total"],
                  "unique": bool(df["cid"].is_unique), "complete": df.attrs["complete"]}))
"""
    out, reply = run_cell(kc, code)
    assert reply["status"] == "ok", reply
    result = json.loads(out.strip().splitlines()[-1])
    assert result["running"] is True  # the cell ran inside the kernel's event loop
    assert result["rows"] == result["total"] > 2_300
    assert result["unique"] and result["complete"]


def test_interrupt_in_the_kernel_then_resume(kernel: tuple[Any, Any], tmp_path: Path) -> None:
    km, kc = kernel
    ckpt = tmp_path / "trades.jsonl"
    setup = f"""
import itertools
from cregis_notebook.sandbox import Sandbox
from cregis_notebook import Client, fetch_frame
from cregis_notebook import last_fetch_error
slow = Sandbox(seed=6, transactions=20_000, latency_ms=40)
signed = itertools.count(1)
def clock():  # signs each request; says so once page 1 and a few others have arrived
    if next(signed) == 8:
        print("eight requests signed", flush=True)
    return slow.clock()
client = slow.client(clock=clock)
ckpt = {str(ckpt)!r}
"""
    _, reply = run_cell(kc, setup)
    assert reply["status"] == "ok", reply
    msg_id = kc.execute(  # its error must not abort the cells sent after it (run one by one)
        "df = fetch_frame(client, 'trade_page', concurrency=2, progress=False, checkpoint=ckpt)",
        stop_on_error=False,
    )
    # wait for the kernel to say the fetch is under way (its output is an event: no polling);
    # the workers sign a page's request only once their previous page is kept
    while True:
        note = kc.get_iopub_msg(timeout=60)
        if note["msg_type"] == "stream" and "eight requests signed" in note["content"]["text"]:
            break
    km.interrupt_kernel()  # what the notebook's stop button does
    while True:
        msg = kc.get_shell_msg(timeout=60)
        if msg["parent_header"].get("msg_id") == msg_id:
            break
    assert msg["content"]["status"] == "error"
    assert msg["content"]["ename"] == "CregisFetchInterrupted"
    check = """
import json
err = last_fetch_error()
partial_rows, missing = len(err.partial), len(err.missing_pages)
df = err.resume(progress=False)
print(json.dumps({"partial": partial_rows, "missing": missing, "rows": len(df),
                  "total": df.attrs["total"], "unique": bool(df["cid"].is_unique),
                  "complete": df.attrs["complete"]}))
"""
    out, reply = run_cell(kc, check)
    assert reply["status"] == "ok", reply
    result = json.loads(out.strip().splitlines()[-1])
    assert result["partial"] > 0 and result["missing"] > 0
    assert result["rows"] == result["total"] and result["unique"] and result["complete"]
    assert not ckpt.exists()  # a complete fetch removes its checkpoint
