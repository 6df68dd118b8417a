"""``cregis-notebook demo``: the main job end to end (see :mod:`cregis_notebook.demo`).

::

    cregis-notebook demo --out demo-output
    cregis-notebook demo --payout-cid 123 --order-id po-1   # live: query these too

It runs on the built-in sandbox unless ``CREGIS_BASE_URL``, ``CREGIS_PID`` and
``CREGIS_API_KEY`` are set; against a live project it only reads. It includes a team's wallets
(the Team API, read-only): the team in ``CREGIS_TEAM_BASE_URL``, ``CREGIS_ACCESS_KEY`` and
``CREGIS_ACCESS_SECRET`` when they are set, else the sandbox's team on the sandbox
(``--no-team`` leaves the team out). Exit status 2 when the
configuration is refused, 1 when the run fails.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from ..demo import DEFAULT_OUT, run_demo
from ..errors import CregisError
from .common import fail, make_client, make_team

__all__ = ["add_demo_parser", "run_demo_command"]


def add_demo_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``demo`` subcommand to an ``argparse`` subparsers object."""
    parser = subparsers.add_parser(
        "demo",
        help="fetch everything, write CSVs and charts, print a summary",
        description=(
            "The main job: transactions, balances, payouts, withdrawals and orders to CSV, the "
            "report charts to PNG, and a summary. Runs on the built-in sandbox unless "
            "CREGIS_BASE_URL, CREGIS_PID and CREGIS_API_KEY are set; against a live project it "
            "only reads. A team's wallets are included from CREGIS_TEAM_BASE_URL, "
            "CREGIS_ACCESS_KEY and CREGIS_ACCESS_SECRET when set, else the sandbox's team."
        ),
    )
    parser.add_argument("--out", default=DEFAULT_OUT, help=f"output folder ({DEFAULT_OUT}/)")
    parser.add_argument(
        "--sandbox", action="store_true", help="use the sandbox even when CREGIS_* are set"
    )
    parser.add_argument("--seed", type=int, default=0, help="sandbox seed")
    parser.add_argument(
        "--freq",
        choices=("auto", "D", "W"),
        default="auto",
        help="flows per day, per week, or auto (weekly beyond two months of data)",
    )
    parser.add_argument(
        "--payout-cid", type=int, action="append", default=[], help="a payout to query"
    )
    parser.add_argument(
        "--withdrawal-cid", type=int, action="append", default=[], help="a withdrawal to query"
    )
    parser.add_argument(
        "--order-id", action="append", default=[], help="a payment order (cregis_id) to query"
    )
    parser.add_argument(
        "--no-team", action="store_true", help="leave the team's wallets (Team API) out"
    )
    parser.add_argument("--progress", action="store_true", help="progress bars on stderr")
    parser.set_defaults(handler=run_demo_command)
    return parser


def run_demo_command(args: argparse.Namespace, *, out: TextIO | None = None) -> int:
    """The ``demo`` subcommand; returns the exit status."""
    import matplotlib

    matplotlib.use("Agg")  # files only: no window, whatever the environment says
    stdout = out or sys.stdout
    try:
        client = make_client(sandbox=args.sandbox, seed=args.seed, unconfigured="sandbox")
    except CregisError as exc:
        return fail("demo", exc, 2)
    try:
        team = None if args.no_team else make_team(client, sandbox=args.sandbox)
    except CregisError as exc:
        client.close()
        return fail("demo", exc, 2)
    try:
        result = run_demo(
            client,
            args.out,
            payout_cids=args.payout_cid,
            withdrawal_cids=args.withdrawal_cid,
            order_ids=args.order_id,
            freq=args.freq,
            progress=args.progress,
            team=team,
        )
    except CregisError as exc:
        return fail("demo", exc, 1)
    finally:
        client.close()
        if team is not None:
            team.close()
    print(result.summary(), file=stdout)
    return 0
