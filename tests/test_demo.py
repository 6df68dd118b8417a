"""The demo end to end: files, columns, charts and summary; read-only against a live project."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import matplotlib
import pytest

matplotlib.use("Agg")

from cregis_notebook import Client, read_csv
from cregis_notebook.demo import CHARTS, TABLES, run_demo
from cregis_notebook.errors import CregisError
from cregis_notebook.sandbox import Sandbox

CLI = Path(sys.executable).parent / "cregis-notebook"
SANDBOX_KEY = "f502a9ac9ca54327986f29c03b271491"
PNG = b"\x89PNG\r\n\x1a\n"


def _check_charts(out: Path) -> None:
    for name in CHARTS:
        data = (out / f"{name}.png").read_bytes()
        assert data.startswith(PNG), name
        assert len(data) > 10_000, f"{name}.png looks empty ({len(data)} bytes)"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "out"
    client = Client.sandbox()
    try:
        result = run_demo(client, out)
    finally:
        client.close()
    return result


def test_every_table_is_written_with_code_and_msg(demo):
    for name in TABLES:
        path = demo.out_dir / f"{name}.csv"
        assert path.is_file() and demo.files[name] == path
        frame = read_csv(path)
        assert len(frame) == len(demo.tables[name]) > 0, name
        assert {"code", "msg"} <= set(frame.columns), name
        assert set(frame["code"]) == {"00000"}, name


def test_tables_have_the_expected_columns_and_exact_types(demo):
    tx = read_csv(demo.out_dir / "transactions.csv")
    assert len(tx) == 2000
    assert {"cid", "chain_id", "token_id", "amount", "fee", "status", "block_time"} <= set(tx)
    assert type(tx["amount"].iloc[0]).__name__ == "Decimal"
    assert str(tx["block_time"].dtype) == "datetime64[ms, UTC]"
    balances = demo.tables["balances"]
    assert {"address", "currency", "total", "available", "processing"} <= set(balances)
    payouts = demo.tables["payouts"]
    assert {"cid", "status", "status_label", "amount", "third_party_id"} <= set(payouts)
    assert set(range(8)) <= set(payouts["status"].dropna().astype(int))  # every payout status
    orders = demo.tables["orders"]
    assert {"cregis_id", "order_amount", "order_currency", "status"} <= set(orders)
    assert {"paid", "expired", "new"} <= set(orders["status"])
    assert len(demo.tables["withdrawals"]) >= 7


def test_charts_are_drawn(demo):
    assert set(demo.charts) == set(CHARTS)
    _check_charts(demo.out_dir)


def test_summary_lists_rows_totals_and_files(demo):
    text = demo.summary()
    assert "the built-in sandbox" in text
    for name in TABLES:
        assert f"{name}" in text and str(demo.files[name]) in text
    assert " 2000 " in text
    assert "totals per currency" in text and "USDT-TRC20" in text
    assert "report.png" in text
    assert SANDBOX_KEY not in text


def test_the_command_runs_on_the_sandbox_without_configuration(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREGIS_")}
    env["MPLBACKEND"] = "Agg"
    result = subprocess.run(
        [str(CLI), "demo", "--out", str(tmp_path / "out")],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "tables (rows -> file):" in result.stdout
    assert str(tmp_path / "out" / "transactions.csv") in result.stdout
    assert SANDBOX_KEY not in result.stdout + result.stderr
    _check_charts(tmp_path / "out")


class _Recorder(httpx.BaseTransport):
    """Passes requests to the sandbox and records the paths called."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.paths: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return self.inner.handle_request(request)


def test_a_live_project_is_only_read(tmp_path):
    box = Sandbox(seed=3, transactions=300)
    recorder = _Recorder(box.transport())
    # a non-loopback base URL and no sandbox_app: the client looks live
    client = Client("https://t-demo.cregis.invalid", box.pid, box.api_key, transport=recorder)
    assert not client.is_sandbox
    with pytest.raises(CregisError, match="never live"):
        run_demo(client, tmp_path / "refused", create=True)
    cid = box.examples()["payout_cid_by_status"][6]
    result = run_demo(client, tmp_path / "live", payout_cids=[cid])
    client.close()
    box.close()
    read_only = {"/api/v1/coins", "/api/v1/trade/page", "/api/v1/sub_address_balance"}
    assert set(recorder.paths) <= read_only | {"/api/v1/payout/query"}
    assert "/api/v2/payout" not in recorder.paths and "/api/v2/checkout" not in recorder.paths
    assert "live project" in result.source
    assert set(result.tables) == {"transactions", "balances", "payouts"}
    assert result.tables["payouts"]["status_label"].iloc[0] == "success"
    assert not (tmp_path / "live" / "orders.csv").exists()
    assert "skipped" in result.summary()
    _check_charts(tmp_path / "live")


def test_live_without_ids_says_what_was_skipped(tmp_path):
    box = Sandbox(seed=4, transactions=50)
    # the recorder hides the sandbox behind the transport: the client looks live
    client = Client(
        "https://t-demo.cregis.invalid", box.pid, box.api_key, transport=_Recorder(box.transport())
    )
    result = run_demo(client, tmp_path)
    client.close()
    box.close()
    assert any("--payout-cid" in note for note in result.notes)
    assert (tmp_path / "order_funnel.png").read_bytes().startswith(PNG)


class _Forwarder(_Recorder):
    """A server on this machine that passes the API through but does not prove it is a sandbox
    (``prove=False``), as a proxy to a live project would; or does (``prove=True``)."""

    def __init__(self, inner: httpx.BaseTransport, *, prove: bool) -> None:
        super().__init__(inner)
        self.prove = prove

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/_sandbox/") and not self.prove:
            self.paths.append(request.url.path)
            return httpx.Response(404, text="Not Found")
        return super().handle_request(request)


WRITE_PATHS = {"/api/v1/payout", "/api/v2/payout", "/api/v1/sub_address_withdrawal"}


def test_a_loopback_address_alone_is_not_a_sandbox(tmp_path, monkeypatch):
    monkeypatch.setenv("CREGIS_ALLOW_WRITES", "1")  # allowing writes does not make a sandbox
    box = Sandbox(seed=4, transactions=50)
    forwarder = _Forwarder(box.transport(), prove=False)
    client = Client("http://127.0.0.1:8765", box.pid, box.api_key, transport=forwarder)
    with pytest.raises(CregisError, match="never live"):
        run_demo(client, tmp_path / "refused", create=True)
    result = run_demo(client, tmp_path / "read")
    client.close()
    box.close()
    assert "/_sandbox/info" in forwarder.paths
    assert not set(forwarder.paths) & (WRITE_PATHS | {"/api/v2/checkout"})
    assert "live project" in result.source
    assert any("--payout-cid" in note for note in result.notes)


def test_a_loopback_server_that_proves_itself_gets_the_sandbox_activity(tmp_path):
    box = Sandbox(seed=4, transactions=50)
    forwarder = _Forwarder(box.transport(), prove=True)
    client = Client("http://127.0.0.1:8765", box.pid, box.api_key, transport=forwarder)
    assert client.sandbox_app is None and not client.is_sandbox
    result = run_demo(client, tmp_path)
    client.close()
    box.close()
    assert "local sandbox" in result.source
    assert set(forwarder.paths) & WRITE_PATHS


def test_the_summary_prints_the_reconciliation_counts(demo):
    rec = demo.reconciliation
    assert rec is not None  # the sandbox's merchant side was reconciled
    text = demo.summary()
    assert "reconciliation (objects checked, with findings):" in text
    for kind, (checked, bad) in rec.counts().items():
        assert checked > 0 and f"  {kind:<13}{checked:>7}{bad:>7}" in text
    assert f"findings: {len(rec.findings)}" in text
    assert read_csv(demo.files["findings"]).columns.tolist() == list(rec.findings.columns)
    assert demo.files["reconciliation"].is_file()
