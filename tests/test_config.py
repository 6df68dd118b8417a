"""Settings from ``.env`` files (read by python-dotenv) and the environment, which wins."""

from __future__ import annotations

from pathlib import Path

import pytest

from cregis_notebook import Client, CregisConfigError
from cregis_notebook._config import is_configured, read_dotenv, settings_from_env

BASE = "https://t-test.cregis.example"
PID = 1382528827416576
KEY = "f502a9ac9ca54327986f29c03b271491"
NAMES = ("CREGIS_BASE_URL", "CREGIS_PID", "CREGIS_API_KEY", "CREGIS_ALLOW_WRITES")


@pytest.fixture
def folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def write(folder: Path, text: str) -> Path:
    path = folder / ".env"
    path.write_text(text, encoding="utf-8")
    return path


def test_quotes_of_both_kinds_and_escapes(folder: Path) -> None:
    path = write(
        folder,
        "A='single # not a comment'\n"
        'B="double # not a comment"\n'
        'C="tab\\tand \\"quote\\""\n'
        "D='no \\t escape in single quotes'\n",
    )
    values = read_dotenv(path)
    assert values["A"] == "single # not a comment"
    assert values["B"] == "double # not a comment"
    assert values["C"] == 'tab\tand "quote"'
    assert values["D"] == "no \\t escape in single quotes"


def test_export_prefixes_and_comments(folder: Path) -> None:
    path = write(
        folder,
        "# the project\n"
        "export CREGIS_BASE_URL=https://a.example  # trailing comment\n"
        "   # indented comment\n"
        "\n"
        "CREGIS_PID=42 # pid\n"
        "NAME_ONLY\n",
    )
    values = read_dotenv(path)
    assert values == {"CREGIS_BASE_URL": "https://a.example", "CREGIS_PID": "42"}


def test_multi_line_values(folder: Path) -> None:
    path = write(folder, 'NOTE="first line\nsecond line"\nCREGIS_PID=7\n')
    values = read_dotenv(path)
    assert values["NOTE"] == "first line\nsecond line"
    assert values["CREGIS_PID"] == "7"


def test_a_file_that_is_not_utf8_is_a_config_error(folder: Path) -> None:
    path = folder / ".env"
    path.write_bytes(b"CREGIS_API_KEY=\xff\xfe" + KEY.encode() + b"\n")
    with pytest.raises(CregisConfigError, match="could not be read") as info:
        read_dotenv(path)
    assert info.value.__context__ is None and KEY not in str(info.value)


def test_the_environment_wins_over_the_file(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(
        folder,
        f"export CREGIS_BASE_URL={BASE}\nCREGIS_PID='{PID}'\n"
        f'CREGIS_API_KEY="{KEY}"  # the key\nCREGIS_ALLOW_WRITES=1\n',
    )
    monkeypatch.setenv("CREGIS_PID", "42")
    monkeypatch.setenv("CREGIS_ALLOW_WRITES", "0")
    found = settings_from_env()
    assert (found.base_url, found.pid, found.api_key.reveal()) == (BASE, 42, KEY)
    assert found.allow_writes is False
    with Client.from_env() as client:
        assert (client.base_url, client.pid, client.allow_writes) == (BASE, 42, False)


def test_allow_writes_from_the_file(folder: Path) -> None:
    write(folder, f"CREGIS_BASE_URL={BASE}\nCREGIS_PID={PID}\nCREGIS_API_KEY={KEY}\n")
    with Client.from_env() as client:
        assert client.allow_writes is False
    write(
        folder,
        f"CREGIS_BASE_URL={BASE}\nCREGIS_PID={PID}\nCREGIS_API_KEY={KEY}\n"
        "CREGIS_ALLOW_WRITES=yes\n",
    )
    with Client.from_env() as client:
        assert client.allow_writes is True
    with Client.from_env(allow_writes=False) as client:  # an argument wins
        assert client.allow_writes is False


def test_multi_line_key_file_and_is_configured(folder: Path) -> None:
    assert not is_configured()
    write(folder, f'CREGIS_BASE_URL="{BASE}"\nCREGIS_PID="{PID}"\nCREGIS_API_KEY="\n{KEY}\n"\n')
    assert is_configured()
    assert settings_from_env().api_key.reveal() == KEY  # spaces and new lines around it dropped
