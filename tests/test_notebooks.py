"""Every notebook runs top to bottom on the sandbox, and is stored without outputs."""

from __future__ import annotations

import os
import shutil
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
    "08-local-store",
    "09-reconciliation",
    "10-team-wallets",
]
SANDBOX_KEY = "f502a9ac9ca54327986f29c03b271491"


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


def _sandbox_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREGIS_")}
    env["MPLBACKEND"] = "Agg"
    env["PYTHONWARNINGS"] = "ignore::DeprecationWarning"
    env.update(extra)
    return env


def _run(path: Path, work: Path, env: dict[str, str]) -> nbformat.NotebookNode:
    """Execute the notebook in ``work``; a cell that hangs fails after 120 s (not a speed test)."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    runner = NotebookClient(
        nb, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(work)}}
    )
    runner.execute(env=env)
    return nb


def _outputs(nb: nbformat.NotebookNode) -> str:
    text = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            assert output.get("output_type") != "error", output
            text.append(str(output.get("text", "")))
            text.extend(str(v) for v in output.get("data", {}).values())
    return "\n".join(text)


@pytest.mark.notebook
@pytest.mark.slow
@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_runs_top_to_bottom_on_the_sandbox(path, tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(path, work / path.name)
    # no CREGIS_* and no .env in the working folder: the notebook must pick the sandbox
    for name in list(os.environ):
        if name.startswith("CREGIS_"):
            monkeypatch.delenv(name)
    nb = _run(path, work, _sandbox_env())
    joined = _outputs(nb)
    assert SANDBOX_KEY not in joined, "a notebook printed the API key"
    assert _team_secret() not in joined, "a notebook printed the team's Access Secret"
    assert "sandbox" in joined


def _team_secret() -> str:
    from cregis_notebook.sandbox import Sandbox

    box = Sandbox(seed=0)
    try:
        return box.team_access_secret
    finally:
        box.close()


@pytest.fixture(scope="module")
def configured_project():
    """A project reached through CREGIS_*, and its team through CREGIS_TEAM_* (a sandbox over
    loopback HTTP, its own instance)."""
    from cregis_notebook.sandbox import Sandbox, SandboxServer

    with SandboxServer(Sandbox(seed=5), close_sandbox=True) as server:
        yield server


@pytest.mark.notebook
@pytest.mark.slow
@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_runs_unchanged_against_a_configured_project(path, tmp_path, configured_project):
    box = configured_project.sandbox
    env = _sandbox_env(
        CREGIS_BASE_URL=configured_project.base_url,
        CREGIS_PID=str(configured_project.pid),
        CREGIS_API_KEY=configured_project.api_key,
        CREGIS_TEAM_BASE_URL=configured_project.base_url,
        CREGIS_ACCESS_KEY=box.team_access_key,
        CREGIS_ACCESS_SECRET=box.team_access_secret,
    )
    nb = _run(path, tmp_path, env)
    joined = _outputs(nb)
    assert configured_project.api_key not in joined, "a notebook printed the API key"
    assert box.team_access_secret not in joined, "a notebook printed the Access Secret"
    # Client.from_env() was used (TeamClient.from_env() in the team's notebook)
    assert configured_project.base_url in joined
