"""The request builder in a real browser: JupyterLab on loopback, driven by Playwright in Chromium.

Starts ``jupyter lab`` (no token, a fresh root directory) with the notebook
``tests/browser/request_builder.ipynb``, runs its cell, picks ``trade_page``, sets the ``status``
filter, presses Send and waits for the table of ``00000`` rows, then fetches every page with the
progress bar. A screenshot is saved as ``test-artifacts/browser-request-builder.png``. Uses
Debian's Chromium at ``/usr/bin/chromium`` and never downloads one.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
NOTEBOOK = Path(__file__).with_name("browser") / "request_builder.ipynb"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _require_chromium(chromium: Path = CHROMIUM) -> None:
    """Skip without Chromium on a workstation; in CI (``CI`` set) a missing Chromium fails."""
    if chromium.exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{chromium} is missing, and CI is set: install Debian's chromium package")
    pytest.skip(f"{chromium} is not installed (apt-get install chromium); CI is not set")


def _sandbox_key() -> str:
    """The key of the notebook's ``Client.sandbox(seed=0)`` (the sandbox is deterministic)."""
    from cregis_notebook import Client

    return str(Client.sandbox(seed=0)._key.reveal())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(url: str, server: subprocess.Popen[bytes], log: Path, limit: float) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"jupyter lab exited early:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(timeout=0.25)  # doubles as the poll interval
    raise AssertionError(f"jupyter lab did not answer in {limit:.0f} s:\n{log.read_text()}")


def _stop(server: subprocess.Popen[bytes]) -> None:
    """Stop the server (and its kernels) by process id; escalate if it does not stop."""
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGINT)  # jupyter asks to confirm a first SIGINT; send two
    try:
        server.wait(timeout=1)
    except subprocess.TimeoutExpired:
        server.send_signal(signal.SIGINT)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)  # the group the server started: its kernels
        server.wait(timeout=10)


@pytest.fixture
def jupyter_lab(tmp_path: Path) -> Iterator[str]:
    """A JupyterLab server on loopback, root dir holding the notebook; yields its URL."""
    _require_chromium()
    jupyter = Path(sys.executable).with_name("jupyter")
    if not jupyter.exists():
        pytest.fail(f"{jupyter} is missing: install the dev extras (jupyterlab)")
    root = tmp_path / "root"
    root.mkdir()
    shutil.copy(NOTEBOOK, root / NOTEBOOK.name)
    home = tmp_path / "home"
    for sub in ("config", "runtime", "settings", "workspaces"):
        (home / sub).mkdir(parents=True)
    # no "get notified about Jupyter news?" toast: it would also try the closed network
    news = (
        home
        / "settings"
        / "@jupyterlab"
        / "apputils-extension"
        / "notification.jupyterlab-settings"
    )
    news.parent.mkdir(parents=True)
    news.write_text('{"fetchNews": "false"}', encoding="utf-8")
    port = _free_port()
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    for name in ("CREGIS_BASE_URL", "CREGIS_PID", "CREGIS_API_KEY"):
        env.pop(name, None)
    log = tmp_path / "jupyter.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [
                str(jupyter),
                "lab",
                "--no-browser",
                "--ip=127.0.0.1",
                f"--port={port}",
                "--ServerApp.token=",
                "--ServerApp.password=",
                "--allow-root",
                f"--ServerApp.root_dir={root}",
                f"--LabApp.user_settings_dir={home / 'settings'}",
                f"--LabApp.workspaces_dir={home / 'workspaces'}",
            ],
            cwd=root,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_up(f"{url}/api/status", server, log, limit=60)
        yield url
    finally:
        _stop(server)


def _run_first_cell(page: Page) -> None:
    """Run the notebook's first cell once the kernel is idle; press again if a press was lost."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    expect(page.locator("#jp-main-statusbar")).to_contain_text("Idle")
    cell = page.locator(".jp-Notebook .jp-CodeCell").first
    prompt = cell.locator(".jp-InputPrompt").first
    for _attempt in range(3):  # a keypress sent while the editor is still mounting is lost
        cell.locator(".jp-InputArea-editor").click()
        page.keyboard.press("Shift+Enter")
        try:
            expect(prompt).to_have_text(re.compile(r"\[(\*|\d+)\]"), timeout=10_000)
            return
        except (AssertionError, PlaywrightTimeout):
            continue
    raise AssertionError("the notebook's cell did not start running after three tries")


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.timeout(180)
def test_request_builder_sends_trade_page_in_jupyterlab(jupyter_lab: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "browser-request-builder.png"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1800})
            page.set_default_timeout(60_000)
            expect.set_options(timeout=60_000)
            page.goto(f"{jupyter_lab}/lab/tree/{NOTEBOOK.name}")
            try:
                _run_first_cell(page)
                builder = page.locator(".cregis-request-builder")
                expect(builder).to_be_visible()
                expect(builder.locator(".cregis-badge-sandbox")).to_be_visible()

                # pick trade_page in the endpoint picker, then set a filter: status = success
                picker = builder.locator(".cregis-endpoint select")
                picker.select_option(label="WaaS project › trade_page")
                status = builder.locator(".cregis-param-status select")
                expect(status).to_be_visible()
                status.select_option(label="success (1)")
                expect(builder.locator(".cregis-status")).to_contain_text("Ready to send")
                expect(builder.locator(".cregis-body")).to_contain_text('"status": 1')

                builder.locator("button.cregis-send").click()

                table = builder.locator(".cregis-table").first
                expect(table).to_be_visible()
                codes = table.locator("td", has_text="00000")
                expect(codes.first).to_be_visible()
                assert codes.count() >= 1
                header = [h.strip() for h in table.locator("th").all_inner_texts()]
                assert "code" in header and "msg" in header and "status" in header
                expect(builder.locator(".cregis-answer")).to_contain_text("00000")
                expect(builder.locator(".cregis-download a")).to_have_attribute(
                    "download", re.compile(r"trade_page-.*\.csv")
                )

                # then every page for the same filter, with the progress bar
                builder.locator("button.cregis-fetch-all").click()
                expect(builder.locator(".cregis-answer")).to_contain_text("fetched every page")
                expect(builder).to_contain_text(re.compile(r"trade_page:\s*100%"))  # tqdm's bar
                expect(builder.locator(".cregis-table").first).to_be_visible()
                page.locator(".cregis-request-builder .cregis-answer").scroll_into_view_if_needed()

                # the page shows the masked signed string, never the sandbox's key
                expect(builder.locator(".cregis-canonical")).to_contain_text("<API_KEY>")
                assert _sandbox_key() not in page.content()
            finally:
                page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert shot.stat().st_size > 0


def test_a_missing_chromium_skips_locally_but_fails_in_ci(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "no-chromium"
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="CI is not set"):
        _require_chromium(missing)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI is set"):
        _require_chromium(missing)
