"""``explore()``: which client it picks, the quick plot and the exports."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import httpx
import pandas as pd
import pytest
from matplotlib.figure import Figure

from cregis_notebook import Client, registry
from cregis_notebook.widgets import Explorer, RequestBuilder, explore
from cregis_notebook.widgets._explore import amount_columns, plot_amounts, time_column

ENV = ("CREGIS_BASE_URL", "CREGIS_PID", "CREGIS_API_KEY")
PNG = b"\x89PNG"


@pytest.fixture
def no_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here
    return tmp_path


def test_without_configuration_explore_uses_the_sandbox_and_says_so(no_config: Path) -> None:
    board = explore()
    assert isinstance(board, Explorer)
    assert board.client.is_sandbox
    assert "sandbox" in board.note.value and "not set" in board.note.value
    assert isinstance(board.builder, RequestBuilder)
    assert "SANDBOX" in board.builder.badge.value
    assert board.builder.endpoint.name == "trade_page"


def test_with_configuration_explore_uses_the_environment(
    no_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CREGIS_BASE_URL", "https://t-xxx.cregis.io")
    monkeypatch.setenv("CREGIS_PID", "1382528827416576")
    monkeypatch.setenv("CREGIS_API_KEY", "env-key-not-shown")
    made: list[Client] = []

    def offline(cls: type[Client], **options: object) -> Client:
        def answer(request: httpx.Request) -> httpx.Response:
            return httpx.Response(200, json={"code": "00000", "msg": "ok", "data": {}})

        client = Client(
            "https://t-xxx.cregis.io",
            1382528827416576,
            "env-key-not-shown",
            transport=httpx.MockTransport(answer),
        )
        made.append(client)
        return client

    monkeypatch.setattr(Client, "from_env", classmethod(offline))
    board = explore()
    assert made and board.client is made[0]
    assert "CREGIS_BASE_URL" in board.note.value and "LIVE" in board.note.value
    assert "LIVE" in board.builder.badge.value


def test_explore_with_a_client_plots_and_exports(tmp_path: Path) -> None:
    board = explore(Client.sandbox(seed=3))
    assert "the sandbox" in board.note.value
    empty_plot = bytes(board.plot.value)
    assert empty_plot.startswith(PNG)
    board.builder.set(page_size=50)
    board.builder.send()
    drawn = bytes(board.plot.value)
    assert drawn.startswith(PNG) and drawn != empty_plot

    csv_path = board.save("csv", tmp_path / "table")
    parquet_path = board.save("parquet", tmp_path / "table.parquet")
    assert Path(csv_path).name == "table.csv" and Path(csv_path).stat().st_size > 0
    assert Path(parquet_path).stat().st_size > 0
    from cregis_notebook import read_csv

    again = read_csv(csv_path)
    assert len(again) == len(board.builder.frame)  # type: ignore[arg-type]
    key = board.client._key.reveal()
    assert key not in Path(csv_path).read_text(encoding="utf-8-sig")
    assert key.encode() not in Path(parquet_path).read_bytes()


def test_export_buttons_report_into_their_output(tmp_path: Path, no_config: Path) -> None:
    board = explore()
    board.csv_button.click()  # nothing to save yet: said in the widget, not raised
    assert "nothing to save yet" in str(board.export_log.outputs)
    board.builder.send()
    board.filename.value = str(tmp_path / "export")
    board.csv_button.click()
    assert "Saved" in str(board.export_log.outputs)
    assert (tmp_path / "export.csv").exists()


def test_plot_amounts_picks_time_and_amount_columns() -> None:
    ep = registry().endpoint("trade_page")
    frame = pd.DataFrame(
        {
            "block_time": pd.to_datetime(
                [dt.datetime(2024, 1, d, tzinfo=dt.timezone.utc) for d in (3, 1, 2)]
            ),
            "amount": [Decimal("1.5"), Decimal("0.000000000000000001"), None],
            "currency": ["TRX", "ETH", "TRX"],
        }
    )
    assert time_column(frame, ep) == "block_time"
    assert amount_columns(frame, ep)[0] == "amount"
    ax = plot_amounts(frame, ep)
    assert ax.get_ylabel() == "amount"
    assert sorted(line.get_label() for line in ax.get_lines()) == ["ETH", "TRX"]

    blank = Figure().add_subplot()
    plot_amounts(pd.DataFrame({"x": [1]}), None, ax=blank)
    assert any("no amounts" in t.get_text() for t in blank.texts)
