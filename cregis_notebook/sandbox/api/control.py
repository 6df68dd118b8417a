"""The sandbox's own endpoints under ``/_sandbox/``: not part of the Cregis API.

``GET|POST /_sandbox/info`` (who this is: ``data.sandbox == "cregis-notebook"``, the pid, the
URL, the key, examples), ``/_sandbox/ping``, ``/_sandbox/callbacks`` (the attempt log),
``/_sandbox/delivered_callbacks``, ``/_sandbox/payout_requests``, ``/_sandbox/injected`` (the
merchant's side, for reconciliation), and ``POST /_sandbox/deposit``, ``/pay``, ``/refund``,
``/advance`` (FakeClock only): the ``simulate_*`` calls of the engine over HTTP.
"""

from __future__ import annotations

from typing import Any

from ..._values import loads_exact
from ...errors import SandboxError
from ..engine.clock import FakeClock
from ..engine.codes import A_BODY, A_METHOD, A_PATH, A_VALUE
from ..engine.engine import Engine
from .answers import Response, error, ok

__all__ = ["PREFIX", "SANDBOX_NAME", "control"]

PREFIX = "/_sandbox/"
SANDBOX_NAME = "cregis-notebook"
"""``data.sandbox`` of ``/_sandbox/info``: how a client tells this project's sandbox apart."""


def control(engine: Engine, method: str, path: str, body: bytes) -> Response:
    """Answer a request to ``/_sandbox/<name>`` (no signature, no faults)."""
    name = path[len(PREFIX) :]
    if name == "ping":
        return ok(None)
    try:
        args = loads_exact(body) if body.strip() else {}
    except (ValueError, UnicodeDecodeError):
        return error(400, A_BODY, "Param Error: the body is not JSON")
    if not isinstance(args, dict):
        return error(400, A_BODY, "Param Error: the body must be a JSON object")
    try:
        if name == "info":
            data: Any = {
                "sandbox": SANDBOX_NAME,
                "base_url": engine.order_base_url(),
                "pid": engine.pid,
                "api_key": engine.api_key,
                "projects": sorted(engine.projects),
                "transactions": engine.project.trades.size,
                "examples": engine.examples(),
            }
        elif name == "callbacks":
            data = [
                {k: getattr(a, k) for k in ("kind", "url", "attempt", "at", "status", "ok")}
                for a in engine.callback_log
            ]
        elif name == "delivered_callbacks":
            data = engine.delivered_callbacks()
        elif name == "payout_requests":
            data = [{**r, "amount": str(r["amount"])} for r in engine.payout_requests()]
        elif name == "injected":
            data = [vars(i) for i in engine.injected_problems()]
        elif method != "POST":
            return error(405, A_METHOD, f"Param Error: {path} takes POST", (("allow", "POST"),))
        elif name == "deposit":
            data = engine.simulate_deposit(
                str(args.get("address", "")),
                str(args.get("currency", "")),
                str(args.get("amount", "")),
                status=int(args.get("status", 1)),
                txid=args.get("txid"),
                pid=args.get("pid"),
            )
        elif name == "pay":
            data = engine.simulate_payment(
                str(args.get("cregis_id", "")),
                None if args.get("amount") is None else str(args["amount"]),
                token=args.get("token"),
                pid=args.get("pid"),
            )
        elif name == "refund":
            data = engine.simulate_refund(
                str(args.get("cregis_id", "")),
                None if args.get("amount") is None else str(args["amount"]),
                pid=args.get("pid"),
            )
        elif name == "advance":
            if not isinstance(engine.clock, FakeClock):
                return error(400, A_VALUE, "Param Error: advance needs a FakeClock")
            engine.clock.advance(float(args.get("seconds", 0)))
            engine.deliver_callbacks()
            data = {"now": engine.clock()}
        else:
            return error(404, A_PATH, f"Param Error: no sandbox control endpoint {path}")
    except (SandboxError, ValueError, TypeError) as exc:
        return error(400, A_VALUE, f"Param Error: {exc}")
    return ok(data)
