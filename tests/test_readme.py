"""The README's Python examples run, in order, as a reader would run them."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import matplotlib
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_readme_has_examples() -> None:
    assert len(python_blocks()) >= 8


def test_readme_examples_run(
    sandbox_http: tuple[str, int, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    matplotlib.use("Agg")
    base_url, pid, key = sandbox_http
    monkeypatch.chdir(tmp_path)  # files the examples write land here
    monkeypatch.setenv("CREGIS_BASE_URL", base_url)  # Client.from_env() finds a project
    monkeypatch.setenv("CREGIS_PID", str(pid))
    monkeypatch.setenv("CREGIS_API_KEY", key)
    namespace: dict[str, object] = {"__name__": "readme"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # progress bars outside Jupyter, etc.
        for number, block in enumerate(python_blocks(), 1):
            try:
                exec(compile(block, f"README.md python block {number}", "exec"), namespace)
            except Exception as exc:
                pytest.fail(f"README python block {number} failed: {exc!r}\n{block}")
    assert namespace["callback"].verified is True  # type: ignore[attr-defined]
    assert (tmp_path / "trades.csv").exists() and (tmp_path / "report.png").exists()
