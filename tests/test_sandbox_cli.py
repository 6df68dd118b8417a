"""``cregis-notebook sandbox``: prints how to connect, serves real HTTP, stops on Ctrl-C."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from cregis_notebook import Client, TeamClient
from cregis_notebook.cli import build_parser, main
from cregis_notebook.sandbox import DEFAULT_API_KEY, DEFAULT_PID
from cregis_notebook.sandbox.engine.knobs import (
    DEFAULT_TEAM_ACCESS_KEY,
    DEFAULT_TEAM_ACCESS_SECRET,
)

CLI = Path(sys.executable).parent / "cregis-notebook"


def _start(*args: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREGIS_")}
    return subprocess.Popen(
        [str(CLI), "sandbox", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )


def _read_until(proc: subprocess.Popen[bytes], marker: str, timeout: float = 60) -> str:
    """stdout up to ``marker`` (waits on the pipe, never sleeps)."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    selector = selectors.DefaultSelector()
    selector.register(fd, selectors.EVENT_READ)
    data = b""
    while marker.encode() not in data:
        if not selector.select(timeout):
            proc.kill()
            pytest.fail(f"no {marker!r} from the CLI in {timeout} s; got {data!r}")
        chunk = os.read(fd, 65536)
        if not chunk:
            err = proc.stderr.read() if proc.stderr else b""
            pytest.fail(f"the CLI ended early: {data!r} {err!r}")
        data += chunk
    return data.decode()


def _stop(proc: subprocess.Popen[bytes]) -> int:
    proc.send_signal(signal.SIGINT)
    try:
        return proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_json_details_then_serves_until_interrupted() -> None:
    proc = _start(
        "--json",
        "--transactions",
        "700",
        "--settle-seconds",
        "1",
        "--seed",
        "4",
        "--team-wallets",
        "3",
    )
    try:
        details: dict[str, Any] = json.loads(_read_until(proc, "\n"))
        assert details["pid"] == DEFAULT_PID and details["api_key"] == DEFAULT_API_KEY
        assert details["knobs"]["transactions"] == 700 and details["knobs"]["settle_seconds"] == 1
        with Client(details["base_url"], details["pid"], details["api_key"], retry=False) as c:
            page = c.trade_page(page_size=100)
            assert page["total"] == 700 and len(page["rows"]) == 100
        reply = httpx.get(details["base_url"] + "/api/v1/coins", trust_env=False)
        assert reply.status_code == 405
        key, secret = details["team_access_key"], details["team_access_secret"]
        assert (key, secret) == (DEFAULT_TEAM_ACCESS_KEY, DEFAULT_TEAM_ACCESS_SECRET)
        with TeamClient(details["base_url"], key, secret, retry=False) as team:
            assert team.list_wallets()["total"] == 3
    finally:
        code = _stop(proc)
    assert code == 0


def test_banner_names_url_pid_key_and_knobs() -> None:
    proc = _start(
        "--transactions",
        "300",
        "--latency-ms",
        "5",
        "--failure-rate",
        "0",
        "--failures",
        "drop,http_5xx",
    )
    try:
        text = _read_until(proc, "Ctrl-C")
        assert "http://127.0.0.1:" in text and str(DEFAULT_PID) in text and DEFAULT_API_KEY in text
        assert DEFAULT_TEAM_ACCESS_KEY in text and DEFAULT_TEAM_ACCESS_SECRET in text
        assert "/openapi/v1/wallets" in text
        assert "latency_ms=5.0" in text and "transactions=300" in text
        assert "failures=('drop', 'http_5xx')" in text
    finally:
        assert _stop(proc) == 0


def test_bad_knob_exits_2_with_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sandbox", "--transactions", "-5"]) == 2
    assert "transactions" in capsys.readouterr().err
    assert main(["sandbox", "--failures", "smoke"]) == 2
    assert "failures" in capsys.readouterr().err


def test_port_in_use_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        assert main(["sandbox", "--port", str(port), "--transactions", "50"]) == 1
    assert "cannot listen" in capsys.readouterr().err


def test_subcommands_are_listed() -> None:
    parser = build_parser()
    help_text = parser.format_help()
    assert "sandbox" in help_text
    args = parser.parse_args(["sandbox", "--port", "0", "--rate-limit", "5", "--live-rate", "2"])
    assert args.port == 0 and args.rate_limit == 5 and args.live_rate == 2
