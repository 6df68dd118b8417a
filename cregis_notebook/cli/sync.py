"""``cregis-notebook sync``: bring a local store up to date with the configured project, its
team, or both.

::

    cregis-notebook sync cregis-data                    # the project of CREGIS_* (or .env)
    cregis-notebook sync cregis-data --team             # the project, then the team
    cregis-notebook sync cregis-data --team-only        # the team alone
    cregis-notebook sync cregis-data --sandbox --team   # the built-in sandbox and its team

The project comes from ``CREGIS_BASE_URL``, ``CREGIS_PID`` and ``CREGIS_API_KEY``; the team
from ``CREGIS_TEAM_BASE_URL``, ``CREGIS_ACCESS_KEY`` and ``CREGIS_ACCESS_SECRET`` (the settings
:meth:`~cregis_notebook.TeamClient.from_env` reads; ``.env`` too). With ``--sandbox`` both are
the same in-process sandbox. Every setting needed is checked before anything is sent: a missing
or malformed one exits with status 2 and a message naming it.

Each sync prints its summary (rows added and updated per table, requests, seconds,
watermarks) to stdout; the project's trades fetch shows its progress bar on stderr. When one
sync fails its error goes to stderr, the other sync still runs, and the exit status is 1; what
a sync committed before failing stays committed. Neither the API key nor the Access Secret is
ever printed or stored.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import Any, TextIO

from ..errors import CliError, CregisError
from ..store import DEFAULT_LOOKBACK, Store
from .common import fail, make_client, make_team

__all__ = ["add_sync_parser", "run_sync"]


def add_sync_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``sync`` subcommand to an ``argparse`` subparsers object."""
    parser = subparsers.add_parser(
        "sync",
        help="bring a local Delta Lake store up to date with the project and/or its team",
        description=(
            "Sync the project's trades, balances and coins into the store at DIR (created if "
            "missing); with --team also the team's wallets, addresses, balances and "
            "transactions (Team API), with --team-only those alone. The project comes from "
            "CREGIS_BASE_URL, CREGIS_PID and CREGIS_API_KEY, the team from "
            "CREGIS_TEAM_BASE_URL, CREGIS_ACCESS_KEY and CREGIS_ACCESS_SECRET (or .env); "
            "--sandbox uses the built-in sandbox and its team instead. Exit status 2 when a "
            "setting is missing or malformed (nothing is sent), 1 when a sync fails (the other "
            "still runs; what was committed stays)."
        ),
    )
    parser.add_argument("dir", help="the store's directory")
    parser.add_argument(
        "--sandbox", action="store_true", help="use the in-process sandbox (no credentials)"
    )
    parser.add_argument("--seed", type=int, default=0, help="sandbox seed (with --sandbox)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--team",
        action="store_true",
        help="sync the team (CREGIS_TEAM_BASE_URL, CREGIS_ACCESS_KEY, CREGIS_ACCESS_SECRET) "
        "after the project",
    )
    which.add_argument("--team-only", action="store_true", help="sync the team and not the project")
    parser.add_argument(
        "--concurrency", type=int, default=8, help="requests in flight (for each sync)"
    )
    parser.add_argument(
        "--lookback-hours",
        type=hours,
        default=DEFAULT_LOOKBACK.total_seconds() / 3600,
        help="hours before the watermark fetched again (default: %(default)g)",
    )
    snap = parser.add_mutually_exclusive_group()
    snap.add_argument(
        "--balances-every",
        type=hours,
        metavar="HOURS",
        help="take a balance snapshot only when the newest is at least HOURS old "
        "(default: at every sync)",
    )
    snap.add_argument("--no-balances", action="store_true", help="take no balance snapshot")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    parser.set_defaults(handler=run_sync)
    return parser


def clients(args: argparse.Namespace) -> tuple[list[Any], list[Any]]:
    """The clients to sync, in order (the project, then the team), and every client opened
    (with ``--sandbox --team-only``, the project's too: its sandbox serves the team).

    Every setting is checked before anything is sent: a missing or malformed one raises
    :class:`CregisError`, after closing what was opened.
    """
    project = None
    if args.sandbox or not args.team_only:
        project = make_client(sandbox=args.sandbox, seed=args.seed)
    opened = [] if project is None else [project]
    if not (args.team or args.team_only):
        return opened, opened
    try:
        team = make_team(project, sandbox=args.sandbox, required=True)
    except CregisError as exc:
        for client in opened:
            client.close()
        raise CliError(
            f"{exc} (--team and --team-only sync the team of these settings; "
            "or add --sandbox for the built-in sandbox's team)"
        ) from None
    assert team is not None  # required: a team, or an error
    return ([team] if args.team_only else [*opened, team]), [*opened, team]


def run_sync(args: argparse.Namespace, *, out: TextIO | None = None) -> int:
    """The ``sync`` subcommand; returns the exit status."""
    stdout = out or sys.stdout
    try:
        chosen, opened = clients(args)
    except CregisError as exc:
        return fail("sync", exc, 2)
    status = 0
    try:
        store = Store(args.dir)
        for client in chosen:
            try:
                summary = store.sync(
                    client,
                    lookback=dt.timedelta(hours=args.lookback_hours),
                    concurrency=args.concurrency,
                    progress=not args.no_progress,
                    balances=snapshots(args),
                )
            except CregisError as exc:
                status = fail(f"sync of {whose(client)}", exc, 1)
                continue
            print(summary, file=stdout)
    except CregisError as exc:
        return fail("sync", exc, 1)
    finally:
        for client in opened:
            client.close()
    return status


def hours(text: str) -> float:
    """A number of hours, zero or more (``argparse`` reports anything else)."""
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"hours must be a number of zero or more, got {text}")
    return value


def snapshots(args: argparse.Namespace) -> bool | dt.timedelta:
    """When a sync takes a balance snapshot (``Store.sync``'s ``balances=``)."""
    if args.no_balances:
        return False
    if args.balances_every is None:
        return True
    return dt.timedelta(hours=args.balances_every)


def whose(client: Any) -> str:
    """``project <pid>`` or ``team <Access Key>`` (both public)."""
    key = getattr(client, "access_key", None)
    return f"team {key}" if key is not None else f"project {client.pid}"
