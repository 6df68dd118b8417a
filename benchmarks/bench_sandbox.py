"""How fast the sandbox serves pages of 100 transactions over loopback HTTP.

Run: ``.venv/bin/python benchmarks/bench_sandbox.py`` (``--quick`` for a smaller run).

What it measures, all in the same run so the ratios compare like with like:

1. the time to build a sandbox of ``--transactions`` rows (1,000,000 by default), in-process;
2. **sandbox**: ``cregis-notebook sandbox`` in its own process; a client in this process keeps
   ``--connections`` keep-alive connections busy, each sending signed ``trade_page`` requests
   (``page_size=100``, every page a different one, so no answer is served twice);
3. **trivial endpoint**: the same server answering ``/_sandbox/ping`` (a fixed tiny envelope):
   the ceiling set by the HTTP server itself;
4. **naive**: the same data served by a minimal ASGI app on the same uvicorn that builds a dict
   per row and ``json.dumps`` the page on every request (no row cache, no templates).

It prints pages per second for each and the ratios sandbox/naive and sandbox/trivial. It is a
benchmark, not a test: nothing fails on a slow machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import selectors
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cregis_notebook import sign  # noqa: E402
from cregis_notebook.sandbox import DEFAULT_API_KEY, DEFAULT_PID  # noqa: E402

CLI = Path(sys.executable).parent / "cregis-notebook"
_LENGTH = re.compile(rb"content-length:\s*(\d+)", re.IGNORECASE)


# -- servers ---------------------------------------------------------------------------------------


def _read_line(proc: subprocess.Popen[bytes], timeout: float = 300) -> str:
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    selector = selectors.DefaultSelector()
    selector.register(fd, selectors.EVENT_READ)
    data = b""
    while b"\n" not in data:
        if not selector.select(timeout):
            proc.kill()
            raise RuntimeError("the server did not start in time")
        chunk = os.read(fd, 65536)
        if not chunk:
            raise RuntimeError("the server ended before printing its address")
        data += chunk
    return data.split(b"\n", 1)[0].decode()


def start_sandbox(transactions: int) -> tuple[subprocess.Popen[bytes], str]:
    """``cregis-notebook sandbox`` in its own process; returns it and its base URL."""
    proc = subprocess.Popen(
        [str(CLI), "sandbox", "--port", "0", "--json", "--transactions", str(transactions)],
        stdout=subprocess.PIPE,
    )
    return proc, json.loads(_read_line(proc))["base_url"]


def start_naive(transactions: int) -> tuple[subprocess.Popen[bytes], str]:
    """This file's ``--serve-naive`` mode in its own process."""
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve-naive", "--transactions", str(transactions)],
        stdout=subprocess.PIPE,
    )
    return proc, _read_line(proc)


def serve_naive(transactions: int) -> None:
    """A deliberately plain page server: a fresh dict per row, json.dumps per request."""
    import socket

    import numpy as np
    import uvicorn

    from cregis_notebook.sandbox import FakeClock, Sandbox
    from cregis_notebook.sandbox.engine.amounts import format_units

    box = Sandbox(seed=0, transactions=transactions, clock=FakeClock())
    table = box.project.trades
    cat = box.cat
    book = table.book
    cols = table.cols
    size = table.size

    def row_dict(i: int, txid: str) -> dict[str, Any]:
        cur = cat.currencies[int(cols["cur"][i])]
        native = cat.currencies[cat.native[int(cat.cur_chain[int(cols["cur"][i])])]]
        return {
            "pid": DEFAULT_PID,
            "cid": int(cols["cid"][i]),
            "chain_id": cur.chain_id,
            "token_id": cur.token_id,
            "currency": cur.symbol,
            "to_address": book.text(int(cols["to"][i])),
            "amount": format_units(int(cols["amount"][i]), cat.scale[int(cols["cur"][i])]),
            "status": int(cols["status"][i]),
            "txid": txid,
            "block_height": str(int(cols["height"][i])),
            "block_time": int(cols["bt"][i]),
            "fee": format_units(int(cols["fee"][i]), native.decimals),
            "from_address": book.text(int(cols["frm"][i])),
            "business_type": str(int(cols["btype"][i])),
            "trade_type": str(int(cols["ttype"][i])),
            "memo": "",
            "remark": "",
        }

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        params = json.loads(body)
        page, per = int(params.get("page_num", 1)), int(params.get("page_size", 10))
        stop = size - (page - 1) * per
        chosen = np.arange(stop - 1, max(stop - per, 0) - 1, -1)
        rows = [row_dict(i, t) for i, t in zip(chosen.tolist(), table.txids(chosen), strict=True)]
        data = {"total": size, "rows": rows, "pageNum": page, "pageSize": per}
        out = json.dumps({"code": "00000", "msg": "ok", "data": data}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(out)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": out})

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)
    print(f"http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="off", http="httptools", loop="asyncio"
    )
    uvicorn.Server(config).run(sockets=[sock])


# -- the client ------------------------------------------------------------------------------------


def page_bodies(pages: Sequence[int]) -> list[bytes]:
    """Signed trade_page bodies, made before the clock starts."""
    out = []
    for n, page in enumerate(pages):
        body: dict[str, Any] = {
            "page_num": page,
            "page_size": 100,
            "pid": DEFAULT_PID,
            "nonce": f"{n % 1_000_000:06d}",
            "timestamp": 1_735_689_600_000,
        }
        body["sign"] = sign(body, DEFAULT_API_KEY)
        out.append(json.dumps(body, separators=(",", ":")).encode())
    return out


async def _worker(
    host: str, port: int, path: str, bodies: list[bytes], sizes: list[int], samples: list[bytes]
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        "Content-Type: application/json\r\nContent-Length: "
    ).encode()
    try:
        while bodies:
            body = bodies.pop()
            writer.write(head + str(len(body)).encode() + b"\r\n\r\n" + body)
            header = await reader.readuntil(b"\r\n\r\n")
            if not header.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(f"unexpected answer: {header[:80]!r}")
            match = _LENGTH.search(header)
            assert match is not None
            payload = await reader.readexactly(int(match.group(1)))
            sizes.append(len(payload))
            if len(samples) < 3:
                samples.append(payload)
    finally:
        writer.close()


async def _drive(
    base_url: str, path: str, bodies: list[bytes], connections: int
) -> tuple[float, list[int], list[bytes]]:
    host, port = base_url.removeprefix("http://").rsplit(":", 1)
    queue = list(reversed(bodies))
    sizes: list[int] = []
    samples: list[bytes] = []
    started = time.perf_counter()
    await asyncio.gather(
        *(_worker(host, int(port), path, queue, sizes, samples) for _ in range(connections))
    )
    return time.perf_counter() - started, sizes, samples


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of process ``pid`` (Linux ``/proc``; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(
    base_url: str, path: str, bodies: list[bytes], connections: int, server_pid: int
) -> dict[str, Any]:
    """Requests per second for ``bodies`` sent over ``connections`` keep-alive connections.

    Also the server's CPU time per request: a figure other load on the machine hardly moves.
    """
    cpu_before = cpu_seconds(server_pid)
    elapsed, sizes, samples = asyncio.run(_drive(base_url, path, bodies, connections))
    cpu_after = cpu_seconds(server_pid)
    cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    return {
        "elapsed": elapsed,
        "rate": len(sizes) / elapsed,
        "bytes": sum(sizes) / len(sizes),
        "samples": samples,
        "per_cpu_second": len(sizes) / cpu if cpu else None,
    }


def _check_page(sample: bytes) -> None:
    envelope = json.loads(sample)
    if envelope["code"] != "00000" or len(envelope["data"]["rows"]) != 100:
        raise RuntimeError(f"bad page: {sample[:200]!r}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=1_000_000)
    parser.add_argument("--pages", type=int, default=6_000, help="pages per measurement")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--quick", action="store_true", help="100,000 rows, 1,500 pages")
    parser.add_argument("--serve-naive", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.transactions, args.pages = 100_000, 1_500
    if args.serve_naive:
        serve_naive(args.transactions)
        return 0
    pages_available = args.transactions // 100
    pages = min(args.pages, pages_available - 200)
    print(
        f"sandbox benchmark: {args.transactions:,} transactions, {pages:,} pages of 100 "
        f"rows per measurement, {args.connections} keep-alive connections, {os.cpu_count()} CPUs"
    )

    from cregis_notebook.sandbox import FakeClock, Sandbox

    started = time.perf_counter()
    box = Sandbox(seed=0, transactions=args.transactions, clock=FakeClock())
    build = time.perf_counter() - started
    print(f"  build {args.transactions:,} transactions in-process: {build:.2f} s")
    box.close()
    del box

    warm = page_bodies(range(pages_available - 199, pages_available + 1))  # the oldest 200
    bodies = page_bodies(range(1, pages + 1))
    results: dict[str, dict[str, Any]] = {}
    proc, url = start_sandbox(args.transactions)
    try:
        measure(url, "/api/v1/trade/page", warm, args.connections, proc.pid)
        results["sandbox"] = measure(url, "/api/v1/trade/page", bodies, args.connections, proc.pid)
        _check_page(results["sandbox"]["samples"][0])
        ping = [b"{}"] * pages
        results["trivial"] = measure(url, "/_sandbox/ping", ping, args.connections, proc.pid)
    finally:
        proc.terminate()
        proc.wait(30)
    proc, url = start_naive(args.transactions)
    try:
        measure(url, "/api/v1/trade/page", warm, args.connections, proc.pid)
        results["naive"] = measure(url, "/api/v1/trade/page", bodies, args.connections, proc.pid)
        _check_page(results["naive"]["samples"][0])
    finally:
        proc.terminate()
        proc.wait(30)

    for name, label in (
        ("sandbox", "sandbox trade_page"),
        ("trivial", "trivial endpoint"),
        ("naive", "naive json.dumps server"),
    ):
        r = results[name]
        per_cpu = r["per_cpu_second"]
        cpu_text = f"; {per_cpu:.0f} per server CPU-second" if per_cpu else ""
        print(
            f"  {label:<26} {r['rate']:8.0f} pages/s   ({r['bytes'] / 1024:6.1f} KiB per "
            f"answer, {r['elapsed']:.1f} s{cpu_text})"
        )
    sandbox, naive, trivial = (results[k]["rate"] for k in ("sandbox", "naive", "trivial"))
    print(f"  ratio sandbox / naive   : {sandbox / naive:.2f}x")
    cpu_s, cpu_n = results["sandbox"]["per_cpu_second"], results["naive"]["per_cpu_second"]
    if cpu_s and cpu_n:
        print(f"  ratio per server CPU-second, sandbox / naive: {cpu_s / cpu_n:.2f}x")
    print(f"  ratio sandbox / trivial : {sandbox / trivial:.2f} (share of the bare server's rate)")
    goal = 800
    print(f"  goal {goal} pages/s: {'met' if sandbox >= goal else 'NOT met'} ({sandbox:.0f})")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    if load > (os.cpu_count() or 1):
        print(
            f"  note: load average {load:.1f} on {os.cpu_count()} CPUs: other work shared the "
            "machine; the per-CPU-second figures are the steadier ones"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
