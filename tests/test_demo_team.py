"""The demo's team section: the Team tables to CSV, the team chart, the counts in the summary."""

from __future__ import annotations

from pathlib import Path

import httpx
import matplotlib
import pytest
from test_team_client import BASE, KEY, NOW, SECRET, TeamServer

matplotlib.use("Agg")

from cregis_notebook import Client, TeamClient, read_csv
from cregis_notebook.cli import main
from cregis_notebook.cli.common import make_team
from cregis_notebook.demo import TEAM_TABLES, run_demo

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def server() -> TeamServer:
    return TeamServer()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, server: TeamServer):
    out = tmp_path_factory.mktemp("demo-team") / "out"
    team = TeamClient(BASE, KEY, SECRET, transport=httpx.MockTransport(server), clock=lambda: NOW)
    client = Client.sandbox(seed=4, transactions=300)
    try:
        return run_demo(client, out, team=team)
    finally:
        client.close()
        team.close()


def test_the_team_tables_are_written_typed_per_wallet(demo, server: TeamServer) -> None:
    for name in TEAM_TABLES:
        path = demo.files[name]
        assert path == demo.out_dir / f"{name}.csv" and path.is_file()
        back = read_csv(path)
        assert len(back) == len(demo.tables[name]) > 0, name
        assert set(back["code"]) == {"00000"}, name
    wallets = demo.tables["team_wallets"]["wallet_id"].tolist()
    balances = demo.tables["team_balances"]
    # the balances answer has no wallet id: the demo adds the one each fetch asked for
    assert str(balances["wallet_id"].dtype) == "Int64"
    assert sorted(set(balances["wallet_id"])) == sorted(wallets)
    history = demo.tables["team_history"]
    assert str(history["block_time"].dtype) == "datetime64[ms, UTC]"
    # only reads, every one of them a Team call
    paths = {r.url.path for r in server.requests}
    assert paths == {
        "/openapi/v1/wallets",
        "/openapi/v1/wallet_balance",
        "/openapi/v1/wallet_history_transaction_info",
        "/openapi/v1/wallet_processing_transaction_info",
    }


def test_the_team_chart_is_drawn(demo) -> None:
    data = Path(demo.charts["team"]).read_bytes()
    assert data.startswith(PNG) and len(data) > 10_000


def test_the_summary_counts_the_team_and_hides_the_secret(demo) -> None:
    text = demo.summary()
    assert "team (the live team ak-demo-0001): rows -> file" in text
    for name in TEAM_TABLES:
        assert str(demo.files[name]) in text
    lines = {line.split()[0]: line.split()[1] for line in text.splitlines() if "team_" in line}
    assert lines["team_wallets"] == str(len(demo.tables["team_wallets"]))
    assert lines["team_history"] == str(len(demo.tables["team_history"]))
    assert "Treasury-Main" in text and "USDT-TRC20" in text and "team.png" in text
    assert SECRET not in text


def test_without_a_team_the_demo_has_no_team_section(tmp_path: Path) -> None:
    client = Client.sandbox(seed=4, transactions=50)
    try:
        result = run_demo(client, tmp_path / "out", create=False)
    finally:
        client.close()
    assert not set(TEAM_TABLES) & set(result.tables) and "team" not in result.charts
    assert "team (" not in result.summary()


# -- the command: which team it takes ---------------------------------------------------------

TEAM_ENV = ("CREGIS_TEAM_BASE_URL", "CREGIS_ACCESS_KEY", "CREGIS_ACCESS_SECRET")


@pytest.fixture
def no_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ("CREGIS_BASE_URL", "CREGIS_PID", "CREGIS_API_KEY", *TEAM_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here
    return tmp_path


def test_the_team_beside_each_kind_of_project(
    no_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = Client.sandbox(seed=4, transactions=50)
    team = make_team(project, sandbox=False)
    assert team is not None and team.sandbox_app is project.sandbox_app
    live = Client("https://t-demo.cregis.invalid", 1, "k" * 32)
    assert make_team(live, sandbox=False) is None
    monkeypatch.setenv("CREGIS_TEAM_BASE_URL", "https://t-team.cregis.example")
    monkeypatch.setenv("CREGIS_ACCESS_KEY", "ak-from-env")
    monkeypatch.setenv("CREGIS_ACCESS_SECRET", SECRET)
    configured = make_team(project, sandbox=False)
    assert configured is not None and configured.access_key == "ak-from-env"
    forced = make_team(project, sandbox=True)  # --sandbox: the sandbox's team, whatever is set
    assert forced is not None and forced.sandbox_app is project.sandbox_app
    project.close()


def test_the_command_reads_a_team_configured_over_http(
    no_config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from cregis_notebook.sandbox import Sandbox, SandboxServer

    with SandboxServer(Sandbox(seed=8), close_sandbox=True) as server:
        box = server.sandbox
        monkeypatch.setenv("CREGIS_TEAM_BASE_URL", server.base_url)
        monkeypatch.setenv("CREGIS_ACCESS_KEY", box.team_access_key)
        monkeypatch.setenv("CREGIS_ACCESS_SECRET", box.team_access_secret)
        assert main(["demo", "--out", str(no_config / "out")]) == 0
        text = capsys.readouterr().out
    assert f"team (a local sandbox's team at {server.base_url}): rows -> file" in text
    assert box.team_access_secret not in text
    assert (no_config / "out" / "team.png").read_bytes().startswith(PNG)
    assert main(["demo", "--out", str(no_config / "none"), "--no-team"]) == 0
    assert "team (" not in capsys.readouterr().out
    assert not (no_config / "none" / "team_wallets.csv").exists()
