"""The ``cregis-notebook`` command: one subcommand per module of this package.

::

    cregis-notebook sandbox --port 8600 --transactions 100000 --latency-ms 20
    cregis-notebook fetch trade_page --sandbox --out tx.csv
    cregis-notebook sync cregis-data --sandbox
    cregis-notebook demo

Each command module (:mod:`.sandbox`, :mod:`.fetch`, :mod:`.sync`, :mod:`.demo`) offers
``add_<name>_parser(subparsers)``, which registers the command's options and sets ``handler`` (a
function of the parsed arguments returning the exit status). A new command is a new module here
and one line in :data:`COMMANDS`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any

from .demo import add_demo_parser
from .fetch import add_fetch_parser
from .sandbox import add_sandbox_parser, run_sandbox, sandbox_knobs
from .sync import add_sync_parser

__all__ = [
    "COMMANDS",
    "add_sandbox_parser",
    "build_parser",
    "main",
    "run_sandbox",
    "sandbox_knobs",
]

COMMANDS: tuple[Callable[[Any], argparse.ArgumentParser], ...] = (
    add_sandbox_parser,
    add_fetch_parser,
    add_sync_parser,
    add_demo_parser,
)
"""The functions that add each subcommand, in the order ``--help`` lists them."""


def build_parser() -> argparse.ArgumentParser:
    """The parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="cregis-notebook",
        description="Explore the Cregis API from Jupyter: sandbox, fetch and demo.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="command")
    subparsers.required = True
    for add in COMMANDS:
        add(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cregis-notebook`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    result = handler(args)
    return int(result or 0)
