"""The widgets over the Team API: the picker's "Team" area, the Access-* preview with the secret
masked, copy-as-curl signing with openssl at run time, and explore() offering the team."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
from test_team_client import BASE, KEY, NOW, SECRET, TeamServer

from cregis_notebook import (
    Client,
    CregisValidationError,
    TeamClient,
    canonical_team_body,
    registry,
    sign_team,
)
from cregis_notebook.spec import Endpoint
from cregis_notebook.widgets import RequestBuilder, explore
from cregis_notebook.widgets._codegen import team_curl_text
from cregis_notebook.widgets._logic import badge_html, team_coins

TEAM = registry().team_endpoints
ACCESS_HEADERS = ("Access-Key", "Access-Timestamp", "Access-Nonce", "Access-Signature")


def _team(server: TeamServer | None = None) -> TeamClient:
    return TeamClient(
        BASE, KEY, SECRET, transport=httpx.MockTransport(server or TeamServer()), clock=lambda: NOW
    )


def _state() -> str:
    import ipywidgets as W

    return json.dumps(W.Widget.get_manager_state(), default=str)


# -- the picker and the form ----------------------------------------------------------------


def test_the_team_area_is_listed_only_with_a_team_client() -> None:
    project = Client.sandbox(seed=2)
    alone = RequestBuilder(project)
    both = RequestBuilder(project, team=_team())
    team_only = RequestBuilder(_team())

    def names(builder: RequestBuilder) -> set[str]:
        return {value for _, value in builder.picker.options}

    team_names = {ep.name for ep in TEAM}
    project_names = {ep.name for ep in registry().endpoints}
    assert names(alone) == project_names
    assert names(both) == project_names | team_names
    assert names(team_only) == team_names
    labels = [label for label, value in both.picker.options if value in team_names]
    assert labels and all(label.startswith("Team › ") for label in labels)
    assert team_only.endpoint.name == "list_wallets" and team_only.team is not None
    with pytest.raises(CregisValidationError, match="TeamClient"):
        alone.endpoint = "list_wallets"
    with pytest.raises(CregisValidationError, match="project Client"):
        team_only.endpoint = "trade_page"
    with pytest.raises(CregisValidationError, match="no_such_call"):
        both.endpoint = "no_such_call"


@pytest.mark.parametrize("ep", TEAM, ids=lambda ep: ep.name)
def test_every_team_endpoint_can_be_filled_previewed_and_sent(ep: Endpoint) -> None:
    server = TeamServer()
    builder = RequestBuilder(Client.sandbox(seed=2), ep.name, team=_team(server))
    assert list(builder.fields) == list(ep.param_names)
    assert "team ak-demo-0001" in builder.badge.value and "LIVE" in builder.badge.value
    builder.set(**ep.request_example)
    assert "Ready to send" in builder.status.value, builder.status.value
    preview = builder.preview_html.value
    for header in ACCESS_HEADERS:
        assert header in preview
    assert "String to sign" in preview and "********" in preview
    prepared = builder.preview()
    assert prepared.content == canonical_team_body(ep.request_example).encode()
    envelope = builder.send()
    assert envelope.ok and envelope.endpoint == ep.name
    sent = server.requests[-1]
    assert sent.url.path == ep.path and sent.content == prepared.content
    assert isinstance(builder.frame, pd.DataFrame) and {"code", "msg"} <= set(builder.frame)
    assert builder.history["code"].tolist() == ["00000"]
    assert SECRET not in _state()


def test_the_preview_shows_the_headers_and_the_string_that_was_signed() -> None:
    builder = RequestBuilder(_team(), "query_wallet_balance")
    builder.set(wallet_id=1385412968038400, chain_id="195")
    prepared = builder.preview()
    shown = builder.preview_html.value
    for name, value in prepared.headers.items():
        assert f"{name}</th><td><code>{value}</code>" in shown
    stamp, nonce = prepared.headers["Access-Timestamp"], prepared.headers["Access-Nonce"]
    canonical = f"/openapi/v1/wallet_balance\n{stamp}\n{nonce}\n" + (
        '{"chain_id":"195","wallet_id":1385412968038400}'
    )
    assert prepared.canonical == canonical
    assert canonical.replace('"', "&quot;") in shown
    assert prepared.headers["Access-Signature"] == sign_team(
        "/openapi/v1/wallet_balance", stamp, nonce, prepared.content or b"", SECRET
    )
    assert SECRET not in shown + builder.to_curl() + builder.to_python() + _state()


def test_a_team_wallet_id_beyond_2_53_is_refused_in_the_form() -> None:
    server = TeamServer()
    builder = RequestBuilder(_team(server), "query_wallet_balance")
    builder.set(wallet_id=2**53)
    assert "Fix" in builder.status.value and "9007199254740991" in builder.status.value
    with pytest.raises(CregisValidationError, match="wallet_id"):
        builder.send()
    # only the chain dropdown's read of the team's wallets was sent
    assert [r.url.path for r in server.requests] == ["/openapi/v1/wallets"]


def test_the_chain_dropdown_offers_the_chains_of_the_teams_wallets() -> None:
    builder = RequestBuilder(_team(), "list_wallet_addresses")
    chains = {value for _, value in builder.fields["chain_id"].options}
    assert {"195", "60"} <= chains
    assert "those of the team&#x27;s wallets" in builder.coins_note.value
    coins, _ = team_coins(_team())
    assert coins is not None
    assert [(c["chain_id"], c["coin_name"]) for c in coins] == [
        ("195", "TRON"),
        ("195", "TRON"),
        ("60", "Ethereum"),
        ("60", "Ethereum"),
    ]


def test_fetch_all_pages_of_the_team_history() -> None:
    server = TeamServer()
    builder = RequestBuilder(_team(server), "query_history_transactions")
    builder.set(wallet_id=1385412968038400)
    frame = builder.fetch_all()
    assert len(frame) == 25 and frame["txid"].is_unique
    assert str(frame["block_time"].dtype).endswith(", UTC]")
    assert builder.history["endpoint"].tolist() == ["query_history_transactions (all pages)"]


def test_the_badge_names_the_team_by_its_access_key() -> None:
    badge = badge_html(_team())
    assert "team ak-demo-0001" in badge and "LIVE" in badge and SECRET not in badge


# -- copy as curl and copy as Python, run for real ------------------------------------------


class _TeamHTTP(ThreadingHTTPServer):
    received: list[tuple[str, dict[str, str], bytes]]


class _Handler(BaseHTTPRequestHandler):
    server: _TeamHTTP

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        headers = {name: self.headers.get(name, "") for name in ACCESS_HEADERS}
        self.server.received.append((self.path, headers, raw))
        expected = sign_team(
            self.path,
            headers["Access-Timestamp"],
            headers["Access-Nonce"],
            raw.decode("utf-8"),
            SECRET,
        )
        ep = next(ep for ep in TEAM if ep.path == self.path)
        answer: dict[str, Any] = ep.response_example
        if headers["Access-Key"] != KEY or headers["Access-Signature"] != expected:
            answer = {"code": "O0099", "msg": "bad signature", "data": None}
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # the sandbox probe: this server is not one
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def team_http() -> Iterator[_TeamHTTP]:
    httpd = _TeamHTTP(("127.0.0.1", 0), _Handler)
    httpd.received = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def _env(server: _TeamHTTP, secret: str = SECRET) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": "/nonexistent-home",
        "CREGIS_TEAM_BASE_URL": f"http://127.0.0.1:{server.server_address[1]}",
        "CREGIS_ACCESS_KEY": KEY,
        "CREGIS_ACCESS_SECRET": secret,
    }


def _bash(snippet: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", snippet], env=env, capture_output=True, text=True, timeout=30, check=False
    )


needs_tools = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("bash", "curl", "openssl")),
    reason="bash, curl and openssl are needed to run the generated shell snippet",
)


@needs_tools
def test_copy_as_curl_signs_with_openssl_at_run_time(team_http: _TeamHTTP) -> None:
    builder = RequestBuilder(_team(), "query_wallet_address_balance")
    params = {
        "wallet_id": 1385412968038400,
        "address": "T'$HOME`id`%s\\n",
        "chain_id": "195",
        "minimum_balance": "1.50",
        "token_id": "中文",
    }
    builder.set(**params)
    snippet = builder.to_curl()
    assert SECRET not in snippet and 'openssl dgst -sha256 -hmac "$CREGIS_ACCESS_SECRET"' in snippet
    result = _bash(snippet, _env(team_http))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["code"] == "00000", result.stdout
    ((path, headers, raw),) = team_http.received
    assert path == "/openapi/v1/wallet_address_balance"
    assert raw == canonical_team_body(params).encode("utf-8")
    # the signature openssl made is the one sign_team makes for the same parts
    assert headers["Access-Signature"] == sign_team(
        path, headers["Access-Timestamp"], headers["Access-Nonce"], raw.decode(), SECRET
    )
    assert len(headers["Access-Nonce"]) == 32 and len(headers["Access-Timestamp"]) == 13
    # another secret makes another signature, which the server refuses
    wrong = _bash(snippet, _env(team_http, secret="not-" + SECRET))
    assert json.loads(wrong.stdout)["code"] == "O0099"


@needs_tools
def test_copy_as_curl_without_parameters_sends_an_empty_object(team_http: _TeamHTTP) -> None:
    snippet = team_curl_text(registry().endpoint("list_wallets"), {})
    assert json.loads(_bash(snippet, _env(team_http)).stdout)["code"] == "00000"
    assert team_http.received[0][2] == b"{}"


def test_copy_as_curl_refuses_to_run_without_the_secret(team_http: _TeamHTTP) -> None:
    if not shutil.which("bash"):
        pytest.skip("bash is needed")
    env = _env(team_http)
    del env["CREGIS_ACCESS_SECRET"]
    result = _bash(team_curl_text(registry().endpoint("list_wallets"), {}), env)
    assert result.returncode != 0 and "CREGIS_ACCESS_SECRET" in result.stderr
    assert team_http.received == []


def test_copy_as_python_runs_with_the_team_from_the_environment(
    team_http: _TeamHTTP, tmp_path: Path
) -> None:
    builder = RequestBuilder(_team(), "query_wallet_balance")
    builder.set(wallet_id=1385412968038400, chain_id="195")
    code = builder.to_python()
    assert "TeamClient.from_env()" in code and SECRET not in code
    script = tmp_path / "call.py"
    script.write_text(code)
    result = subprocess.run(
        [sys.executable, str(script)],
        env=_env(team_http),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "'total': '1520.5'" in result.stdout
    ((_, _, raw),) = team_http.received
    assert raw == b'{"chain_id":"195","wallet_id":1385412968038400}'


# -- explore() --------------------------------------------------------------------------------


TEAM_ENV = ("CREGIS_TEAM_BASE_URL", "CREGIS_ACCESS_KEY", "CREGIS_ACCESS_SECRET")


@pytest.fixture
def no_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ("CREGIS_BASE_URL", "CREGIS_PID", "CREGIS_API_KEY", *TEAM_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here
    return tmp_path


def test_explore_offers_a_team_client_it_is_given(no_config: Path) -> None:
    team = _team()
    board = explore(team=team)
    assert board.team is team and board.builder.team is team
    assert "Team API: the TeamClient you passed (LIVE)" in board.note.value
    board.builder.endpoint = "list_wallets"
    assert "team ak-demo-0001" in board.builder.badge.value


def test_explore_offers_the_team_configured_in_the_environment(
    no_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CREGIS_TEAM_BASE_URL", "https://t-team.cregis.example")
    monkeypatch.setenv("CREGIS_ACCESS_KEY", "ak-from-env")
    monkeypatch.setenv("CREGIS_ACCESS_SECRET", SECRET)
    board = explore()
    assert isinstance(board.team, TeamClient) and board.team.access_key == "ak-from-env"
    assert "CREGIS_TEAM_BASE_URL" in board.note.value
    assert "list_wallets" in {value for _, value in board.builder.picker.options}
    assert SECRET not in board.note.value + _state()


def test_explore_on_the_built_in_sandbox_offers_its_team(no_config: Path) -> None:
    board = explore()
    assert board.team is not None and board.team.sandbox_app is board.client.sandbox_app
    assert "the built-in sandbox&#x27;s team" in board.note.value
    board.builder.endpoint = "list_wallets"
    assert "SANDBOX" in board.builder.badge.value
    assert board.builder.send().ok


def test_explore_with_a_project_and_no_team_lists_no_team_endpoint(no_config: Path) -> None:
    board = explore(Client.sandbox(seed=2))
    assert board.team is None and "Team API" not in board.note.value
    assert "list_wallets" not in {value for _, value in board.builder.picker.options}


# -- the sandbox's team, in-process and over HTTP --------------------------------------------


@pytest.fixture(scope="module")
def sandbox_team() -> Iterator[TeamClient]:
    team = TeamClient.sandbox(seed=6)
    yield team
    team.close()


def _team_sample(team: TeamClient, ep: Endpoint) -> dict[str, Any]:
    """Values for the required parameters, taken from the sandbox's own wallets."""
    wallet = team.list_wallets(page_size=1)["rows"][0]
    values = {"wallet_id": wallet["wallet_id"], "chain_id": wallet["tokens"][0]["chain_id"]}
    return {p.name: values[p.name] for p in ep.required_params}


@pytest.mark.parametrize("ep", TEAM, ids=lambda ep: ep.name)
def test_every_team_endpoint_is_answered_by_the_sandbox(
    sandbox_team: TeamClient, ep: Endpoint
) -> None:
    builder = RequestBuilder(sandbox_team, ep.name)
    assert "SANDBOX" in builder.badge.value
    builder.set(**_team_sample(sandbox_team, ep))
    envelope = builder.send()
    assert envelope.ok, envelope.msg  # the sandbox checked every header and the signature
    assert isinstance(builder.frame, pd.DataFrame) and len(builder.frame) > 0
    frame = builder.fetch_all()
    assert len(frame) == envelope.data["total"]
    assert sandbox_team.sandbox_app.team_access_secret not in _state()


@needs_tools
def test_copy_as_curl_is_accepted_by_the_http_sandbox(tmp_path: Path) -> None:
    from cregis_notebook.sandbox import Sandbox, SandboxServer

    with SandboxServer(Sandbox(seed=6), close_sandbox=True) as server:
        box = server.sandbox
        team = box.client(client_class=TeamClient)
        builder = RequestBuilder(team, "query_history_transactions")
        builder.set(**_team_sample(team, builder.endpoint), page_size=5)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": "/nonexistent-home",
            "CREGIS_TEAM_BASE_URL": server.base_url,
            "CREGIS_ACCESS_KEY": box.team_access_key,
            "CREGIS_ACCESS_SECRET": box.team_access_secret,
        }
        result = _bash(builder.to_curl(), env)
        assert result.returncode == 0, result.stderr
        answer = json.loads(result.stdout)
        assert answer["code"] == "00000", answer
        assert len(answer["data"]["rows"]) == 5
        env["CREGIS_ACCESS_SECRET"] = "not-the-secret"
        refused = json.loads(_bash(builder.to_curl(), env).stdout)
        assert refused["code"] != "00000"
