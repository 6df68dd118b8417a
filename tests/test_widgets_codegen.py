"""Copy-as-curl really signs and sends: run the snippet with bash against a loopback server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from cregis_notebook import registry, verify_signature
from cregis_notebook._validation import prepare_params
from cregis_notebook.widgets._codegen import curl_text, python_text

KEY = "curl-test-key-3f0c"
PID = 1382528827416576

needs_tools = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("bash", "curl", "openssl")),
    reason="bash, curl and openssl are needed to run the generated shell snippet",
)


class _Server(ThreadingHTTPServer):
    received: list[tuple[str, dict[str, Any]]]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        body = json.loads(raw)
        self.server.received.append((self.path, body))
        good = verify_signature(raw, KEY) and body.get("pid") == PID
        answer = {"code": "00000", "msg": "ok", "data": None}
        if not good:
            answer = {"code": "B0001", "msg": "Signature Error", "data": None}
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass


@pytest.fixture
def server() -> Iterator[_Server]:
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.received = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def _run(snippet: str, server: _Server) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "CREGIS_API_KEY": KEY,
        "CREGIS_PID": str(PID),
        "CREGIS_BASE_URL": f"http://127.0.0.1:{server.server_address[1]}/",
        "HOME": "/nonexistent-home",
    }
    return subprocess.run(
        ["bash", "-c", snippet], env=env, capture_output=True, text=True, timeout=30, check=False
    )


@needs_tools
def test_copy_as_curl_signs_a_fresh_request_with_the_key_from_the_environment(
    server: _Server,
) -> None:
    ep = registry().endpoint("checkout_create_v2")
    params = {
        "order_id": "o-1",
        "order_amount": "12.50",
        "order_currency": "USD",
        "payer_id": "p'1",
        "valid_time": 30,
        "success_url": "https://shop.example/ok?a=1&b=2",
        "cancel_url": "https://shop.example/cancel",
        "remark": "50% off 'VIP' $HOME `id` \\n 中文",
        "order_details": {"items": [{"item_name": 'say "hi" \\ 100%', "item_price": 1}]},
        "tokens": ["USDT-TRC20"],
        "underpaid_tolerance": 0.5,
        "accept_partial_payment": False,
    }
    business = prepare_params(ep, params)
    snippet = curl_text(ep, business, base_url="https://t-unused.cregis.io", pid=1)
    assert KEY not in snippet
    result = _run(snippet, server)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["code"] == "00000", result.stdout
    ((path, body),) = server.received
    assert path == ep.path
    assert {k: v for k, v in body.items() if k not in ("pid", "nonce", "timestamp", "sign")} == (
        business
    )
    assert len(body["nonce"]) == 6 and len(str(body["timestamp"])) == 13


@needs_tools
def test_copy_as_curl_without_parameters_and_with_a_wrong_key(server: _Server) -> None:
    ep = registry().endpoint("project_coins")
    snippet = curl_text(ep, {})
    assert json.loads(_run(snippet, server).stdout)["code"] == "00000"
    wrong = snippet.replace('"$CREGIS_API_KEY"', '"wrong$CREGIS_API_KEY"', 1)
    assert json.loads(_run(wrong, server).stdout)["code"] == "B0001"


def test_copy_as_curl_refuses_to_run_without_a_key(server: _Server) -> None:
    if not shutil.which("bash"):
        pytest.skip("bash is needed")
    snippet = curl_text(registry().endpoint("project_coins"), {})
    result = subprocess.run(
        ["bash", "-c", snippet],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode != 0 and "CREGIS_API_KEY" in result.stderr
    assert server.received == []


def test_copy_as_python_marks_writes_and_paging() -> None:
    reg = registry()
    payout = python_text(reg.endpoint("payout_create_v2"), {"amount": "1.5"})
    assert "moves money" in payout and "client.payout(" in payout and "amount='1.5'," in payout
    trade = python_text(reg.endpoint("trade_page"), {"page_size": 5, "status": 1})
    assert "fetch_frame(client, 'trade_page', status=1)" in trade
    assert python_text(reg.endpoint("project_coins"), {}).count("client.coins()") == 1


def test_python_text_for_a_write_says_how_a_live_project_takes_it() -> None:
    from cregis_notebook.widgets._codegen import python_text

    payout = python_text(registry().endpoint("payout_create_v2"), {"amount": "1"})
    assert "CREGIS_ALLOW_WRITES=1" in payout and "allow_writes=True" in payout
    assert "CREGIS_ALLOW_WRITES" not in python_text(registry().endpoint("trade_page"), {})
