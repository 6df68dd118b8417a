"""TeamClient and AsyncTeamClient over a mock Team server that checks every header and signature."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import pickle
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from cregis_notebook import (
    AsyncTeamClient,
    CregisConfigError,
    CregisHTTPError,
    CregisValidationError,
    TeamClient,
    afetch_frame,
    canonical_team_body,
    fetch_frame,
    registry,
    sign_team,
    verify_team_signature,
)

BASE = "https://t-team.cregis.example"
KEY = "ak-demo-0001"
SECRET = "team-secret-do-not-show-7f3a"
NOW = 1767225600.25  # the fake clock: 2026-01-01T00:00:00.25Z
TEAM = {ep.name: ep for ep in registry().team_endpoints}
BY_PATH = {ep.path: ep for ep in TEAM.values()}
HISTORY_ROWS = 25


def _history_rows() -> list[dict[str, Any]]:
    """The example history row, made into HISTORY_ROWS distinct rows (one txid each)."""
    row = TEAM["query_history_transactions"].response_example["data"]["rows"][0]
    rows = []
    for i in range(HISTORY_ROWS):
        copied = copy.deepcopy(row)
        copied["txid"] = f"{i:064x}"
        copied["block_time"] = 1767180000 - i * 60
        copied["amount"] = f"{i}.000000000000000001"
        rows.append(copied)
    return rows


class TeamServer:
    """Answers the six Team paths like the API, after checking what a server would check."""

    def __init__(self, *, fail_first: int = 0) -> None:
        self.requests: list[httpx.Request] = []
        self.nonces: set[str] = set()
        self.fail_first = fail_first
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(request)
            if self.fail_first:
                self.fail_first -= 1
                return httpx.Response(503, text="busy")
        assert request.method == "POST"
        assert request.headers["content-type"] == "application/json; charset=utf-8"
        h = request.headers
        stamp, nonce, signature = h["Access-Timestamp"], h["Access-Nonce"], h["Access-Signature"]
        assert h["Access-Key"] == KEY
        assert stamp == str(int(NOW * 1000))
        assert len(nonce) == 32 and int(nonce, 16) >= 0
        path = request.url.path
        # the bytes sent are the canonical text that was signed, byte for byte
        text = request.content.decode("utf-8")
        assert text == canonical_team_body(text)
        assert sign_team(path, stamp, nonce, text, SECRET) == signature
        assert verify_team_signature(path, stamp, nonce, request.content, signature, SECRET)
        ep = BY_PATH[path]
        body = json.loads(text)
        assert set(body) <= set(ep.param_names)
        return httpx.Response(200, json=self.page(ep, body))

    @staticmethod
    def page(ep: Any, body: dict[str, Any]) -> dict[str, Any]:
        example = copy.deepcopy(ep.response_example)
        rows = _history_rows() if ep.name == "query_history_transactions" else None
        if rows is None:
            return example
        end = body.get("blocktime_end")
        rows = [r for r in rows if end is None or r["block_time"] <= end]
        number, size = body.get("page_num", 1), body.get("page_size", 10)
        data = {
            "total": len(rows),
            "rows": rows[(number - 1) * size : number * size],
            "pageNum": number,
            "pageSize": size,
        }
        return {"code": "00000", "msg": "ok", "data": data}


def _client(server: TeamServer, **options: Any) -> TeamClient:
    return TeamClient(
        BASE, KEY, SECRET, transport=httpx.MockTransport(server), clock=lambda: NOW, **options
    )


@pytest.mark.parametrize("name", list(TEAM))
def test_every_team_endpoint_is_sent_signed_and_answered(name: str) -> None:
    server = TeamServer()
    ep = TEAM[name]
    with _client(server) as client:
        envelope = client.request(name, **ep.request_example)
    assert envelope.ok and envelope.endpoint == name and envelope.path == ep.path
    assert len(server.requests) == 1
    sent = server.requests[0]
    assert sent.url == httpx.URL(BASE + ep.path)
    assert sent.content == canonical_team_body(ep.request_example).encode()
    if name != "query_history_transactions":
        assert envelope.data == ep.response_example["data"]


def test_the_nonce_is_fresh_per_request_and_the_body_is_key_sorted() -> None:
    server = TeamServer()
    client = _client(server)
    for _ in range(3):
        client.request("list_wallets", page_size=10, page_num=1, wallet_type="single_sign")
    assert len({r.headers["Access-Nonce"] for r in server.requests}) == 3
    assert {r.content for r in server.requests} == {
        b'{"page_num":1,"page_size":10,"wallet_type":"single_sign"}'
    }


def test_prepare_shows_what_is_signed_and_no_secret() -> None:
    client = _client(TeamServer())
    prepared = client.prepare("query_wallet_balance", wallet_id=1385412968038400, chain_id="195")
    nonce = prepared.headers["Access-Nonce"]
    assert prepared.canonical == (
        f"/openapi/v1/wallet_balance\n{int(NOW * 1000)}\n{nonce}\n"
        '{"chain_id":"195","wallet_id":1385412968038400}'
    )
    assert prepared.content == prepared.canonical.rsplit("\n", 1)[1].encode()
    shown = [repr(prepared), prepared.canonical, json.dumps(dict(prepared.headers)), repr(client)]
    assert not any(SECRET in text for text in shown)
    assert "access_secret='********'" in repr(client)


def test_team_and_project_endpoints_do_not_mix() -> None:
    server = TeamServer()
    client = _client(server)
    with pytest.raises(CregisValidationError, match=r"project API.*call it through Client"):
        client.request("trade_page")
    assert server.requests == []
    assert not hasattr(client, "trade_page") and not hasattr(client, "coins")


@pytest.mark.parametrize("wallet_id", [2**53, 11434198045401088])
def test_a_wallet_id_beyond_2_53_is_refused_before_sending(wallet_id: int) -> None:
    server = TeamServer()
    client = _client(server)
    with pytest.raises(CregisValidationError, match="query_wallet_balance: wallet_id") as caught:
        client.request("query_wallet_balance", wallet_id=wallet_id)
    assert caught.value.param == "wallet_id" and "9007199254740991" in str(caught.value)
    with pytest.raises(CregisValidationError, match="wallet_id"):
        fetch_frame(client, "query_history_transactions", wallet_id=wallet_id, progress=False)
    assert server.requests == []


def test_fetch_frame_pages_pins_and_types_the_history() -> None:
    server = TeamServer()
    client = _client(server)
    df = fetch_frame(
        client,
        "query_history_transactions",
        wallet_id=1385412968038400,
        page_size=10,
        progress=False,
    )
    assert len(df) == HISTORY_ROWS and df["txid"].is_unique
    bodies = [json.loads(r.content) for r in server.requests]
    assert sorted(b["page_num"] for b in bodies) == [1, 2, 3]
    assert {b["page_size"] for b in bodies} == {10}
    # the window is pinned in seconds, the unit of every Team time
    assert {b["blocktime_end"] for b in bodies} == {int(NOW) - 1}
    assert df.attrs["pinned"] == {"blocktime_end": int(NOW) - 1}
    assert df.attrs["endpoint"] == "query_history_transactions"
    assert str(df["wallet_id"].dtype) == "Int64"
    assert str(df["block_time"].dtype).endswith(", UTC]")
    assert str(df.loc[df["txid"] == f"{0:064x}", "block_time"].iloc[0]) == (
        "2025-12-31 11:20:00+00:00"
    )
    assert str(df.loc[df["txid"] == f"{3:064x}", "amount"].iloc[0]) == "3.000000000000000001"
    assert set(df["transaction_type_label"]) == {"receive"}


def test_afetch_frame_with_the_async_team_client() -> None:
    server = TeamServer()

    async def run() -> Any:
        client = AsyncTeamClient(
            BASE, KEY, SECRET, transport=httpx.MockTransport(server), clock=lambda: NOW
        )
        async with client:
            one = await client.request("list_wallets")
            df = await afetch_frame(
                client,
                "query_history_transactions",
                wallet_id=1385412968038400,
                page_size=10,
                progress=False,
            )
        return one, df

    one, df = asyncio.run(run())
    assert one.ok and len(df) == HISTORY_ROWS
    with pytest.raises(TypeError, match="afetch_frame"):
        fetch_frame(  # type: ignore[arg-type]
            AsyncTeamClient(BASE, KEY, SECRET, transport=httpx.MockTransport(server)),
            "list_wallets",
        )


def test_team_calls_are_retried_like_reads() -> None:
    server = TeamServer(fail_first=2)
    waits: list[float] = []
    client = _client(server, sleep=waits.append)
    envelope = client.request("list_wallets")
    assert envelope.ok and envelope.attempts == 3 and len(waits) == 2


def test_the_secret_is_never_shown(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="cregis_notebook")
    server = TeamServer(fail_first=10)
    client = _client(server, retry=False)
    with pytest.raises(CregisHTTPError) as http_error:
        client.request("list_wallets")
    with pytest.raises(CregisValidationError) as bad_value:
        client.request("query_wallet_balance", wallet_id="not a number")
    with pytest.raises(TypeError) as pickled:
        pickle.dumps(client)
    with pytest.raises(CregisConfigError) as bad_url:
        TeamClient(f"ftp://{SECRET}@host", KEY, SECRET)
    texts = [
        repr(client),
        str(client),
        caplog.text,
        str(http_error.value),
        repr(http_error.value.args),
        str(bad_value.value),
        str(pickled.value),
        str(bad_url.value),
    ]
    assert not [t for t in texts if SECRET in t]


def test_blank_or_missing_credentials_are_refused() -> None:
    with pytest.raises(CregisConfigError, match="access_secret"):
        TeamClient(BASE, KEY, "  ")
    with pytest.raises(CregisConfigError, match="access_key"):
        TeamClient(BASE, "", SECRET)
    with pytest.raises(CregisConfigError, match="clear text"):
        TeamClient("http://team.example", KEY, SECRET)


def test_from_env_reads_the_environment_and_a_dotenv_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("CREGIS_TEAM_BASE_URL", "CREGIS_ACCESS_KEY", "CREGIS_ACCESS_SECRET"):
        monkeypatch.delenv(name, raising=False)
    env_file = tmp_path / ".env"
    with pytest.raises(CregisConfigError, match="CREGIS_TEAM_BASE_URL, CREGIS_ACCESS_KEY"):
        TeamClient.from_env(env_file=str(env_file))
    env_file.write_text(
        f'CREGIS_TEAM_BASE_URL={BASE}/\nCREGIS_ACCESS_KEY="{KEY}"\n'
        f"export CREGIS_ACCESS_SECRET='{SECRET}'\n",
        encoding="utf-8",
    )
    server = TeamServer()
    client = TeamClient.from_env(
        env_file=str(env_file), transport=httpx.MockTransport(server), clock=lambda: NOW
    )
    assert (client.base_url, client.access_key) == (BASE, KEY)
    assert client.request("list_wallets").ok  # the mock verified the signature
    monkeypatch.setenv("CREGIS_ACCESS_KEY", "from-the-environment")
    assert TeamClient.from_env(env_file=str(env_file)).access_key == "from-the-environment"
    monkeypatch.setenv("CREGIS_TEAM_BASE_URL", "team.example")
    with pytest.raises(CregisConfigError, match="CREGIS_TEAM_BASE_URL") as caught:
        TeamClient.from_env(env_file=str(env_file))
    assert SECRET not in str(caught.value)


def test_a_team_fetch_resumes_from_its_checkpoint_and_no_other_team_does(tmp_path: Path) -> None:
    ckpt = tmp_path / "history.ckpt"
    server = TeamServer()
    options: dict[str, Any] = {
        "wallet_id": 1385412968038400,
        "page_size": 10,
        "progress": False,
        "keep_checkpoint": True,
    }
    first = fetch_frame(
        _client(server), "query_history_transactions", checkpoint=str(ckpt), **options
    )
    assert len(first) == HISTORY_ROWS and ckpt.exists()
    assert SECRET not in ckpt.read_text(encoding="utf-8")
    again = TeamServer()
    second = fetch_frame(
        _client(again), "query_history_transactions", checkpoint=str(ckpt), **options
    )
    assert again.requests == [] and len(second) == HISTORY_ROWS  # every page came from the file
    other = TeamClient(BASE, "another-team-key", SECRET, transport=httpx.MockTransport(again))
    with pytest.raises(CregisValidationError, match="access_key"):
        fetch_frame(other, "query_history_transactions", checkpoint=str(ckpt), **options)
