"""``cregis-notebook sandbox``: serve the seeded sandbox over HTTP until stopped.

::

    cregis-notebook sandbox --port 8600 --transactions 100000 --latency-ms 20
    cregis-notebook sandbox --port 0 --json   # one JSON line: base URL, pid, key, knobs

It prints how to connect (base URL, pid, the docs' public example key, the knobs in effect) and
serves until Ctrl-C. Exit status 2 for a knob the sandbox refuses, 1 when the port is taken.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

__all__ = ["add_sandbox_parser", "run_sandbox", "sandbox_knobs"]


def add_sandbox_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``sandbox`` subcommand (serve the sandbox over HTTP until stopped)."""
    parser = subparsers.add_parser(
        "sandbox",
        help="serve the local Cregis sandbox over HTTP",
        description=(
            "Serve a seeded, stateful Cregis sandbox over HTTP until stopped (Ctrl-C). Any "
            "HTTP client can use it with the printed base URL, pid and API key."
        ),
    )
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    add("--port", type=int, default=8600, help="port (default 8600; 0 picks a free one)")
    add("--seed", type=int, default=0, help="data seed (default 0)")
    add("--transactions", type=int, default=None, help="seeded transactions (default 2000)")
    add("--history-days", type=float, default=None, help="days of history (default 180)")
    add("--latency-ms", type=float, default=None, help="added latency per request")
    add("--jitter-ms", type=float, default=None, help="latency jitter (+- ms, uniform)")
    add("--rate-limit", type=float, default=None, help="requests per second before HTTP 429")
    add("--rate-burst", type=int, default=None, help="token bucket size for --rate-limit")
    add("--failure-rate", type=float, default=None, help="share of requests that fail (0..1)")
    add(
        "--failures",
        default=None,
        help="comma-separated failure kinds: http_5xx,drop,malformed (default all)",
    )
    add(
        "--settle-seconds",
        type=float,
        default=None,
        help="seconds for a payout, withdrawal or payment to reach its final state (default 10)",
    )
    add("--live-rate", type=float, default=None, help="new transactions per second (live mode)")
    add("--deposit-rate", type=float, default=None, help="simulated deposits per second")
    add("--projects", type=int, default=None, help="extra projects to create")
    add(
        "--ip-whitelist",
        default=None,
        help="comma-separated IPs or networks allowed to call; others get E0001",
    )
    add(
        "--unsupported",
        default=None,
        help="comma-separated endpoint names the project refuses with E0004",
    )
    add(
        "--address-quota",
        type=int,
        default=None,
        help="addresses the API may create (then E0033; 0 gives T0062)",
    )
    add(
        "--withdrawal-quota",
        type=int,
        default=None,
        help="sub-address withdrawals allowed (then E0034)",
    )
    add(
        "--discrepancies",
        type=int,
        default=None,
        help="known problems of each kind planted for reconciliation (default 0)",
    )
    add("--log-level", default="warning", help="uvicorn log level (default warning)")
    add("--access-log", action="store_true", help="log every request")
    add("--json", action="store_true", help="print the connection details as one JSON line")
    parser.set_defaults(handler=run_sandbox)
    return parser


_KNOB_ARGS = (
    "transactions",
    "history_days",
    "latency_ms",
    "jitter_ms",
    "rate_limit",
    "rate_burst",
    "failure_rate",
    "settle_seconds",
    "live_rate",
    "deposit_rate",
    "projects",
    "address_quota",
    "withdrawal_quota",
    "discrepancies",
)
_LIST_KNOB_ARGS = ("failures", "ip_whitelist", "unsupported")


def sandbox_knobs(args: argparse.Namespace) -> dict[str, Any]:
    """The sandbox knobs given on the command line (the rest keep their defaults)."""
    knobs = {name: getattr(args, name) for name in _KNOB_ARGS if getattr(args, name) is not None}
    for name in _LIST_KNOB_ARGS:
        text = getattr(args, name)
        if text:
            knobs[name] = tuple(k.strip() for k in text.split(",") if k.strip())
    return knobs


def run_sandbox(args: argparse.Namespace, *, out: TextIO | None = None) -> int:
    """The ``sandbox`` subcommand: build the sandbox, print how to connect, serve."""
    from ..errors import CregisConfigError
    from ..sandbox import Sandbox, SandboxServer

    out = out or sys.stdout
    knobs = sandbox_knobs(args)
    try:
        box = Sandbox(seed=args.seed, **knobs)
    except CregisConfigError as exc:
        print(f"cregis-notebook sandbox: {exc}", file=sys.stderr)
        return 2
    server = SandboxServer(
        box,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        access_log=args.access_log,
        close_sandbox=True,
    )
    try:
        server.bind()
    except OSError as exc:
        print(
            f"cregis-notebook sandbox: cannot listen on {args.host}:{args.port}: {exc}",
            file=sys.stderr,
        )
        box.close()
        return 1
    effective = {f: getattr(box.knobs, f) for f in (*_KNOB_ARGS, "failures")}
    effective["projects"] = [p.pid for p in box.knobs.projects]
    try:
        if args.json:
            details = {
                "base_url": server.base_url,
                "pid": box.pid,
                "api_key": box.api_key,
                "seed": args.seed,
                "knobs": effective,
            }
            print(json.dumps(details), file=out, flush=True)
        else:
            print(_banner(server.base_url, box, args.seed, effective), file=out, flush=True)
        server.serve_forever()
    except KeyboardInterrupt:  # Ctrl-C before uvicorn took over the signal
        server.stop()
    return 0


def _banner(base_url: str, box: Any, seed: int, knobs: dict[str, Any]) -> str:
    examples = box.examples()
    shown = ", ".join(f"{k}={v}" for k, v in knobs.items())
    lines = [
        "Cregis sandbox (local, made-up data; never a live project)",
        f"  base URL : {base_url}",
        f"  pid      : {box.pid}",
        f"  API key  : {box.api_key}   (the docs' public example key)",
        f"  seed     : {seed}",
        f"  knobs    : {shown}",
        f"  try      : POST {base_url}/api/v1/trade/page with pid, nonce, timestamp, sign",
        f"  examples : payout cids by status {examples['payout_cid_by_status']}",
        f"             orders by status {examples['order_by_status']}",
        "  extras   : POST /_sandbox/deposit {address, currency, amount}, /_sandbox/pay "
        "{cregis_id}, /_sandbox/refund {cregis_id}; GET /_sandbox/info",
        "Press Ctrl-C to stop.",
    ]
    return "\n".join(lines)
