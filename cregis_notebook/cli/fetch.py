"""``cregis-notebook fetch``: every row of one read-only endpoint into a CSV or Parquet file.

::

    cregis-notebook fetch trade_page -p status=1 -p chain_id=195 --out tx.parquet
    cregis-notebook fetch sub_address_balance -p currency=195@195 --out balances.csv
    cregis-notebook fetch trade_page --sandbox --out sandbox-tx.csv

The project comes from ``CREGIS_BASE_URL``, ``CREGIS_PID`` and ``CREGIS_API_KEY`` (or a ``.env``
file). Without them the command stops with a hint, unless ``--sandbox`` asks for the built-in
sandbox explicitly: a file of made-up rows should never pass for live data by accident.
``-p name=value`` values are read by the parameter's registry type: integers, enum labels
(``status=success``), ISO dates for time filters (``blocktime_start=2025-01-01``), decimal text
for amounts. Progress goes to stderr; the API key is never printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any, TextIO

from .._values import exact_decimal, exact_int
from ..errors import CliError, CregisError, UnfitValue, UnknownEndpoint
from ..spec import Endpoint, Param, registry
from .common import fail, make_client

__all__ = [
    "add_fetch_parser",
    "fetch_to_file",
    "output_format",
    "parse_params",
    "parse_value",
    "run_fetch",
]

FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def add_fetch_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``fetch`` subcommand to an ``argparse`` subparsers object."""
    parser = subparsers.add_parser(
        "fetch",
        help="fetch every row of a read-only endpoint into a CSV or Parquet file",
        description=(
            "Fetch every row of a read-only endpoint (all pages of a paged one) into a typed "
            "CSV or Parquet file. Configuration comes from CREGIS_BASE_URL, CREGIS_PID and "
            "CREGIS_API_KEY (or .env); --sandbox uses the built-in sandbox instead."
        ),
    )
    parser.add_argument("endpoint", help="registry name, helper name or path, e.g. trade_page")
    parser.add_argument(
        "-p",
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a filter or parameter; repeat it (e.g. -p status=1 -p chain_id=195)",
    )
    parser.add_argument("--out", "-o", required=True, help="output file: .csv, or .parquet / .pq")
    parser.add_argument(
        "--sandbox", action="store_true", help="use the in-process sandbox (no credentials)"
    )
    parser.add_argument("--seed", type=int, default=0, help="sandbox seed (with --sandbox)")
    parser.add_argument("--page-size", type=int, default=100, help="rows per request (1-100)")
    parser.add_argument("--concurrency", type=int, default=4, help="requests in flight")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    parser.set_defaults(handler=run_fetch)
    return parser


def _time_value(text: str, param: Param) -> Any:
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when


def parse_value(param: Param, text: str) -> Any:
    """Turn one ``-p`` value into what the client expects for this parameter type."""
    kind = param.type
    stripped = text.strip()
    if kind in ("int", "int_string"):
        try:
            return exact_int(stripped)  # ASCII digits only: "١٢٣" or "²" stay text
        except UnfitValue:
            pass
        if param.unit in ("s", "ms"):
            return _time_value(stripped, param)
        return stripped  # an enum label ("success"), checked by the client
    if kind == "float":
        try:
            return exact_decimal(stripped)  # plain ASCII decimals: not "1_000", "١٢٣" or "nan"
        except UnfitValue:
            raise CliError(
                f"-p {param.name}= takes a number in plain ASCII digits such as 0.05, got {text!r}"
            ) from None
    return text  # strings, decimal text, "true"/"false", JSON text: the client validates


def parse_params(endpoint: Endpoint, items: list[str]) -> dict[str, Any]:
    """Parse ``name=value`` items against the endpoint's documented parameters."""
    params: dict[str, Any] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise CliError(f"-p takes NAME=VALUE, got {item!r}")
        param = endpoint.param(name)
        if param is None:
            known = ", ".join(endpoint.param_names) or "none"
            raise CliError(f"{endpoint.name} has no parameter {name!r} (it takes: {known})")
        params[name] = parse_value(param, value)
    return params


def output_format(path: str | Path) -> str:
    """``csv`` or ``parquet``, from the file extension."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise CliError(f"--out must end in .csv, .parquet or .pq, got {str(path)!r}")
    return FORMATS[suffix]


def fetch_to_file(
    client: Any,
    endpoint: str,
    out: str | Path,
    params: dict[str, Any],
    *,
    page_size: int = 100,
    concurrency: int = 4,
    progress: bool = True,
) -> tuple[Path, Any]:
    """Fetch ``endpoint`` with ``params`` and write the frame; returns the path and the frame."""
    from ..export import to_csv, to_parquet
    from ..fetch import fetch_frame

    ep = registry().endpoint(endpoint)
    if not ep.is_read_only:
        raise CliError(
            f"{ep.name} {'moves money' if ep.moves_money else 'creates state'}; fetch only "
            "calls read-only endpoints"
        )
    fmt = output_format(out)
    options: dict[str, Any] = {"progress": progress}
    if ep.is_paged:
        options.update(page_size=page_size, concurrency=concurrency)
        params = {k: v for k, v in params.items() if k not in ("page_num", "page_size")}
    frame = fetch_frame(client, ep.name, **options, **params)
    path = Path(out)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        to_csv(frame, path)
    else:
        to_parquet(frame, path)
    return path, frame


def run_fetch(args: argparse.Namespace, *, out: TextIO | None = None) -> int:
    """The ``fetch`` subcommand; returns the exit status."""
    stdout = out or sys.stdout
    try:
        ep = registry().endpoint(args.endpoint)
    except UnknownEndpoint as exc:
        return fail("fetch", exc, 2)
    try:
        params = parse_params(ep, list(args.param))
        output_format(args.out)
        client = make_client(sandbox=args.sandbox, seed=args.seed)
    except CregisError as exc:
        return fail("fetch", exc, 2)
    where = "the built-in sandbox" if client.sandbox_app is not None else repr(client)
    print(f"fetching {ep.name} ({ep.path}) from {where}", file=sys.stderr)
    try:
        path, frame = fetch_to_file(
            client,
            ep.name,
            args.out,
            params,
            page_size=args.page_size,
            concurrency=args.concurrency,
            progress=not args.no_progress,
        )
    except CregisError as exc:
        return fail("fetch", exc, 1)
    finally:
        client.close()
    print(f"{len(frame)} rows, {len(frame.columns)} columns -> {path}", file=stdout)
    return 0
