"""``cregis-notebook sync``: bring a local store up to date with the configured project.

::

    cregis-notebook sync cregis-data            # the project of CREGIS_* (or .env)
    cregis-notebook sync cregis-data --sandbox  # the built-in sandbox

Each fetch shows its progress bar on stderr; the summary (rows added and updated per table,
requests, seconds, watermarks) goes to stdout. The API key is never printed nor stored.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import Any, TextIO

from ..errors import CregisError
from ..store import DEFAULT_LOOKBACK, Store
from .common import fail, make_client

__all__ = ["add_sync_parser", "run_sync"]


def add_sync_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``sync`` subcommand to an ``argparse`` subparsers object."""
    parser = subparsers.add_parser(
        "sync",
        help="bring a local Delta Lake store up to date with the project",
        description=(
            "Sync the project's trades, balances and coins into the store at DIR (created if "
            "missing). Configuration comes from CREGIS_BASE_URL, CREGIS_PID and CREGIS_API_KEY "
            "(or .env); --sandbox uses the built-in sandbox instead."
        ),
    )
    parser.add_argument("dir", help="the store's directory")
    parser.add_argument(
        "--sandbox", action="store_true", help="use the in-process sandbox (no credentials)"
    )
    parser.add_argument("--seed", type=int, default=0, help="sandbox seed (with --sandbox)")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight")
    parser.add_argument(
        "--lookback-hours",
        type=float,
        default=DEFAULT_LOOKBACK.total_seconds() / 3600,
        help="hours before the watermark fetched again (default: %(default)g)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    parser.set_defaults(handler=run_sync)
    return parser


def run_sync(args: argparse.Namespace, *, out: TextIO | None = None) -> int:
    """The ``sync`` subcommand; returns the exit status."""
    stdout = out or sys.stdout
    try:
        client = make_client(sandbox=args.sandbox, seed=args.seed)
    except CregisError as exc:
        return fail("sync", exc, 2)
    try:
        summary = Store(args.dir).sync(
            client,
            lookback=dt.timedelta(hours=args.lookback_hours),
            concurrency=args.concurrency,
            progress=not args.no_progress,
        )
    except CregisError as exc:
        return fail("sync", exc, 1)
    finally:
        client.close()
    print(summary, file=stdout)
    return 0
