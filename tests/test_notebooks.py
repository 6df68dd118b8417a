"""Every notebook runs top to bottom on the sandbox, and is stored without outputs."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
EXPECTED = [
    "01-getting-started",
    "02-transactions",
    "03-balances-and-payouts",
    "04-payment-orders",
    "05-request-builder",
    "06-reports",
    "07-callbacks",
]
SANDBOX_KEY = "f502a9ac9ca54327986f29c03b271491"
TIME_LIMIT = 60.0


def test_every_notebook_is_there():
    assert [p.stem for p in PATHS] == EXPECTED


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: a cell has stored outputs"
            assert cell.execution_count is None, f"{path.name}: a cell has an execution count"
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    assert "Take it with you" in "".join(c.source for c in nb.cells if c.cell_type == "markdown")


def _sandbox_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREGIS_")}
    env["MPLBACKEND"] = "Agg"
    env["PYTHONWARNINGS"] = "ignore::DeprecationWarning"
    return env


@pytest.mark.notebook
@pytest.mark.slow
@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_runs_top_to_bottom_on_the_sandbox(path, tmp_path, monkeypatch):
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(path, work / path.name)
    # no CREGIS_* and no .env in the working folder: the notebook must pick the sandbox
    for name in list(os.environ):
        if name.startswith("CREGIS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    started = time.perf_counter()
    runner = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=120,
        resources={"metadata": {"path": str(work)}},
    )
    runner.execute(env=_sandbox_env())
    took = time.perf_counter() - started
    assert took < TIME_LIMIT * 1.5, f"{path.stem} took {took:.1f} s"
    text = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            assert output.get("output_type") != "error", output
            text.append(str(output.get("text", "")))
            text.extend(str(v) for v in output.get("data", {}).values())
    joined = "\n".join(text)
    assert SANDBOX_KEY not in joined, "a notebook printed the API key"
    assert "sandbox" in joined
