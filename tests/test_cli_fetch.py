"""``cregis-notebook fetch``: parameter parsing, and end to end against the HTTP sandbox."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cregis_notebook.cli.fetch import output_format, parse_params
from cregis_notebook.errors import CliError
from cregis_notebook.spec import registry

ROOT = Path(__file__).resolve().parent.parent
CLI = Path(sys.executable).parent / "cregis-notebook"


def test_params_are_read_by_registry_type():
    ep = registry().endpoint("trade_page")
    params = parse_params(
        ep,
        ["status=1", "trade_type=in", "chain_id=195", "blocktime_start=2025-01-02", "cid=42"],
    )
    assert params["status"] == 1
    assert params["trade_type"] == "in"  # a label, mapped by the client's validation
    assert params["chain_id"] == "195"  # chain ids are strings
    assert params["cid"] == 42
    assert params["blocktime_start"] == dt.datetime(2025, 1, 2, tzinfo=dt.timezone.utc)
    balance = parse_params(registry().endpoint("sub_address_balance"), ["minimum_balance=0.1"])
    assert balance == {"minimum_balance": "0.1"}  # decimal text stays text: exact


def test_integers_are_plain_ascii_digits():
    ep = registry().endpoint("trade_page")
    assert parse_params(ep, ["cid=-42"]) == {"cid": -42}
    # other scripts' digits are not read as a number (the client's validation refuses them)
    assert parse_params(ep, ["cid=١٢٣", "status=²"]) == {"cid": "١٢٣", "status": "²"}


def test_bad_params_are_explained():
    ep = registry().endpoint("trade_page")
    with pytest.raises(CliError, match="has no parameter 'colour'"):
        parse_params(ep, ["colour=red"])
    with pytest.raises(CliError, match="NAME=VALUE"):
        parse_params(ep, ["status"])
    with pytest.raises(CliError, match=r"\.csv, \.parquet"):
        output_format("out.xlsx")
    assert output_format("a/b.PARQUET") == "parquet" and output_format("x.csv") == "csv"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREGIS_")}
    env.update(extra)
    return env


def _cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLI), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_configuration_it_asks_for_sandbox(tmp_path):
    result = _cli("fetch", "trade_page", "--out", "tx.csv", env=_env(), cwd=tmp_path)
    assert result.returncode == 2
    assert "--sandbox" in result.stderr and "CREGIS_BASE_URL" in result.stderr
    assert not (tmp_path / "tx.csv").exists()


def test_write_endpoints_are_refused(tmp_path):
    result = _cli("fetch", "payout", "--sandbox", "--out", "p.csv", env=_env(), cwd=tmp_path)
    assert result.returncode == 1 and "read-only" in result.stderr


@pytest.mark.slow
def test_fetch_against_the_http_sandbox(sandbox_http, tmp_path):
    base_url, pid, key = sandbox_http
    env = _env(CREGIS_BASE_URL=base_url, CREGIS_PID=str(pid), CREGIS_API_KEY=key)
    result = _cli(
        "fetch",
        "trade_page",
        "-p",
        "status=1",
        "-p",
        "chain_id=195",
        "--out",
        "tx.parquet",
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert key not in result.stdout + result.stderr
    assert "fetching trade_page" in result.stderr
    from cregis_notebook import read_parquet

    frame = read_parquet(tmp_path / "tx.parquet")
    assert len(frame) > 0
    assert set(frame["status"].unique()) == {1}
    assert set(frame["chain_id"].unique()) == {"195"}
    assert {"code", "msg", "amount", "block_time"} <= set(frame.columns)
    assert f"{len(frame)} rows" in result.stdout

    csv = _cli("fetch", "coins", "--out", "coins.csv", "--no-progress", env=env, cwd=tmp_path)
    assert csv.returncode == 0, csv.stderr
    text = (tmp_path / "coins.csv").read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].count(",") >= 2 and "code" in text.splitlines()[0]

    bad = _cli("fetch", "payout_query", "-p", "cid=1", "--out", "p.csv", env=env, cwd=tmp_path)
    assert bad.returncode == 1 and "E0014" in bad.stderr
    assert key not in bad.stderr


def test_fetch_on_the_in_process_sandbox_when_asked(tmp_path):
    result = _cli(
        "fetch",
        "trade_page",
        "--sandbox",
        "-p",
        "trade_type=in",
        "--out",
        "sub/in.csv",
        "--no-progress",
        env=_env(),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "built-in sandbox" in result.stderr
    from cregis_notebook import read_csv

    frame = read_csv(tmp_path / "sub" / "in.csv")
    assert len(frame) > 0 and set(frame["trade_type"]) == {1}


def test_every_command_module_is_a_subcommand():
    import cregis_notebook.cli as cli

    package = Path(cli.__file__).parent
    modules = {p.stem for p in package.glob("*.py")} - {"__init__", "__main__", "common"}
    assert modules == {"sandbox", "fetch", "sync", "demo"}
    listed = cli.build_parser().format_help().split("positional arguments:")[1]
    assert re.findall(r"^    (\w+) ", listed, re.M) == ["sandbox", "fetch", "sync", "demo"]
    result = subprocess.run(
        [sys.executable, "-m", "cregis_notebook.cli", "fetch", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0 and "--sandbox" in result.stdout
