"""``cregis-notebook sync`` with teams: the project, the team or both in one command, over real
HTTP against a served sandbox or on the built-in one; settings refused before anything is sent;
a failing sync exits 1 and keeps what the other committed; no secret in any output."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import cregis_notebook as cn
from cregis_notebook.cli import main
from cregis_notebook.sandbox import Sandbox, SandboxServer

API_KEY = "0c7d5e9a1b2f4e6d8a0b3c5d7e9f1a2b"
SECRET = "team-secret-5f3a8c1e"
PROJECT_ENV = ("CREGIS_BASE_URL", "CREGIS_PID", "CREGIS_API_KEY")
TEAM_ENV = ("CREGIS_TEAM_BASE_URL", "CREGIS_ACCESS_KEY", "CREGIS_ACCESS_SECRET")
PROJECT_TABLES = {"trades", "balances", "coins"}
TEAM_TABLES = {"team_wallets", "team_addresses", "team_balances", "team_address_balances",
               "team_transactions", "team_processing"}  # fmt: skip


@pytest.fixture
def no_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in (*PROJECT_ENV, *TEAM_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here, unless a test writes one
    return tmp_path


@pytest.fixture
def box() -> Sandbox:
    return Sandbox(seed=5, transactions=400, api_key=API_KEY, team_access_secret=SECRET,
                  team_transactions=30)  # fmt: skip


@pytest.fixture
def server(box: Sandbox) -> Iterator[SandboxServer]:
    with SandboxServer(box, host="127.0.0.1", port=0, close_sandbox=True) as served:
        yield served


def configure(
    monkeypatch: pytest.MonkeyPatch, server: SandboxServer, box: Sandbox, *, team: bool
) -> None:
    monkeypatch.setenv("CREGIS_BASE_URL", server.base_url)
    monkeypatch.setenv("CREGIS_PID", str(server.pid))
    monkeypatch.setenv("CREGIS_API_KEY", server.api_key)
    if team:
        monkeypatch.setenv("CREGIS_TEAM_BASE_URL", server.base_url)
        monkeypatch.setenv("CREGIS_ACCESS_KEY", box.team_access_key)
        monkeypatch.setenv("CREGIS_ACCESS_SECRET", SECRET)


def sync(*args: str) -> int:
    return main(["sync", *args, "--no-progress"])


def no_secret(*texts: str) -> None:
    for text in texts:
        assert SECRET not in text and API_KEY not in text
        assert "Traceback" not in text


def no_secret_in_files(root: Path) -> None:
    files = [p for p in root.rglob("*") if p.is_file()]
    assert files
    for path in files:
        data = path.read_bytes()
        assert SECRET.encode() not in data and API_KEY.encode() not in data, path


def test_the_project_and_its_team_in_one_command_over_http(
    no_config: Path,
    monkeypatch: pytest.MonkeyPatch,
    server: SandboxServer,
    box: Sandbox,
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure(monkeypatch, server, box, team=False)
    key = box.team_access_key
    (no_config / ".env").write_text(  # the team from .env, as TeamClient.from_env reads it
        f"CREGIS_TEAM_BASE_URL={server.base_url}\nCREGIS_ACCESS_KEY={key}\n"
        f"CREGIS_ACCESS_SECRET={SECRET}\n"
    )
    data = no_config / "data"
    assert sync(str(data), "--team") == 0
    out, err = capsys.readouterr()
    assert f"sync of project {server.pid}:" in out and f"sync of team {key}:" in out
    assert out.index("sync of project") < out.index("sync of team")
    no_secret(out, err)
    store = cn.Store(data)
    assert set(store.tables) == PROJECT_TABLES | TEAM_TABLES
    with cn.TeamClient(server.base_url, key, SECRET) as team:
        wallets = cn.fetch_frame(team, "list_wallets", progress=False)
    assert len(store.frame("team_wallets", team=key)) == len(wallets)
    assert sync(str(data), "--team-only") == 0  # again, the team alone: nothing new
    out, err = capsys.readouterr()
    assert f"sync of team {key}:" in out and "sync of project" not in out
    no_secret(out, err)
    no_secret_in_files(data)


def test_the_team_alone_needs_no_project_settings(
    no_config: Path,
    monkeypatch: pytest.MonkeyPatch,
    server: SandboxServer,
    box: Sandbox,
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure(monkeypatch, server, box, team=True)
    for name in PROJECT_ENV:
        monkeypatch.delenv(name)
    assert sync(str(no_config / "data"), "--team-only") == 0
    out, err = capsys.readouterr()
    no_secret(out, err)
    assert set(cn.Store(no_config / "data").tables) == TEAM_TABLES


def test_the_sandbox_serves_the_project_and_its_team(
    no_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert sync(str(no_config / "both"), "--sandbox", "--team", "--seed", "3") == 0
    out = capsys.readouterr().out
    project = cn.Client.sandbox(seed=3)
    team = project.sandbox_app.client(client_class=cn.TeamClient)
    assert f"sync of project {project.pid}:" in out and f"sync of team {team.access_key}:" in out
    both = cn.Store(no_config / "both")
    assert set(both.tables) == PROJECT_TABLES | TEAM_TABLES
    # the same seed's team, whether or not the project is synced beside it
    assert sync(str(no_config / "team"), "--sandbox", "--team-only", "--seed", "3") == 0
    alone = cn.Store(no_config / "team")
    assert set(alone.tables) == TEAM_TABLES
    history = ["team", "wallet_id", "txid", "amount"]
    assert alone.frame("team_transactions")[history].equals(
        both.frame("team_transactions")[history]
    )
    project.close()


@pytest.mark.parametrize(
    ("team_env", "named"),
    [
        ({}, "CREGIS_TEAM_BASE_URL"),  # none of the three
        (
            {"CREGIS_TEAM_BASE_URL": "SERVER", "CREGIS_ACCESS_KEY": "ak-demo-0001"},
            "CREGIS_ACCESS_SECRET",
        ),
        (
            {
                "CREGIS_TEAM_BASE_URL": "not a url",
                "CREGIS_ACCESS_KEY": "ak-demo-0001",
                "CREGIS_ACCESS_SECRET": SECRET,
            },
            "CREGIS_TEAM_BASE_URL must start",
        ),
    ],
)
@pytest.mark.parametrize("flag", ["--team", "--team-only"])
def test_missing_or_malformed_team_settings_exit_2_before_anything_is_sent(
    no_config: Path,
    monkeypatch: pytest.MonkeyPatch,
    server: SandboxServer,
    box: Sandbox,
    capsys: pytest.CaptureFixture[str],
    team_env: dict[str, str],
    named: str,
    flag: str,
) -> None:
    configure(monkeypatch, server, box, team=False)
    for name, value in team_env.items():
        monkeypatch.setenv(name, server.base_url if value == "SERVER" else value)
    served = box.faults.served  # the requests the sandbox answered so far
    assert sync(str(no_config / "data"), flag) == 2
    out, err = capsys.readouterr()
    assert named in err and "--sandbox" in err and not out
    no_secret(out, err)
    assert cn.Store(no_config / "data").tables == []  # not even the project was synced
    assert box.faults.served == served  # nothing was sent


@pytest.mark.parametrize("failing", ["team", "project"])
def test_a_failing_sync_exits_1_and_the_other_stays_committed(
    no_config: Path,
    monkeypatch: pytest.MonkeyPatch,
    server: SandboxServer,
    box: Sandbox,
    capsys: pytest.CaptureFixture[str],
    failing: str,
) -> None:
    configure(monkeypatch, server, box, team=True)
    wrong = "f" * 32 if failing == "project" else "team-secret-wrong-1234"
    monkeypatch.setenv("CREGIS_API_KEY" if failing == "project" else "CREGIS_ACCESS_SECRET", wrong)
    assert sync(str(no_config / "data"), "--team") == 1
    out, err = capsys.readouterr()
    key = box.team_access_key
    whose = f"team {key}" if failing == "team" else f"project {server.pid}"
    other = f"project {server.pid}" if failing == "team" else f"team {key}"
    assert f"cregis-notebook sync of {whose}:" in err and f"sync of {other}:" in out
    no_secret(out, err)
    assert wrong not in out + err
    kept = TEAM_TABLES if failing == "project" else PROJECT_TABLES
    assert set(cn.Store(no_config / "data").tables) == kept
    no_secret_in_files(no_config / "data")


def test_balance_snapshots_when_due_from_the_cli(
    no_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--no-balances`` and ``--balances-every HOURS`` leave the project's and the team's
    snapshots as they are while the newest is younger; the default takes one every time."""
    data = str(no_config / "data")

    def snapshots() -> dict[str, int]:
        store = cn.Store(data)
        return {t: int(store.frame(t)["as_of"].nunique())
                for t in ("balances", "team_balances", "team_address_balances")}  # fmt: skip

    assert sync(data, "--sandbox", "--team") == 0
    assert set(snapshots().values()) == {1}
    assert sync(data, "--sandbox", "--team", "--no-balances") == 0
    assert sync(data, "--sandbox", "--team", "--balances-every", "24") == 0
    assert set(snapshots().values()) == {1}
    assert sync(data, "--sandbox", "--team") == 0
    assert set(snapshots().values()) == {2}
    capsys.readouterr()
    with pytest.raises(SystemExit) as refused:  # argparse: exit 2, nothing sent
        sync(data, "--sandbox", "--balances-every", "-1")
    assert refused.value.code == 2
    assert "zero or more" in capsys.readouterr().err
    with pytest.raises(SystemExit) as refused:  # the lookback: the same rule
        sync(data, "--sandbox", "--lookback-hours", "-1")
    assert refused.value.code == 2
    assert set(snapshots().values()) == {2}
