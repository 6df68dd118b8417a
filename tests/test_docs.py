"""The Python blocks of README.md and docs/*.md run, in order, as a reader would run them.

One runner for every page: the blocks of one file share one namespace, top to bottom, like the
cells of a notebook, in a fresh working directory, with ``CREGIS_*`` pointing at a sandbox served
over loopback HTTP. A block fenced as ``python notest`` is shown to the reader but not run (the
convention is written down in docs/architecture.md); any other info string starting with
``python`` is refused, so a typo cannot silently skip a block.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from pathlib import Path

import matplotlib
import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
RUN, NOTEST = "python", "python notest"
FENCE = re.compile(r"^```(.*)$")


def fenced_blocks(page: Path) -> list[tuple[str, int, str]]:
    """Every fenced block of ``page``: ``(info string, first line number, text)``."""
    blocks: list[tuple[str, int, str]] = []
    info: str | None = None
    start, lines = 0, []
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
        fence = FENCE.match(line)
        if info is None and fence:
            info, start, lines = fence.group(1).strip(), number + 1, []
        elif info is not None and line.rstrip() == "```":
            blocks.append((info, start, "\n".join(lines) + "\n"))
            info = None
        elif info is not None:
            lines.append(line)
    assert info is None, f"{page.name}: the block opened before line {start} is never closed"
    return blocks


def python_blocks(page: Path) -> list[tuple[int, str]]:
    """The blocks of ``page`` that run: ``(first line number, text)``."""
    return [(start, text) for info, start, text in fenced_blocks(page) if info == RUN]


def misfenced(page: Path) -> list[str]:
    """Blocks whose info string starts with ``python`` but is neither ``python`` nor ``notest``."""
    return [
        f"{page.name} line {start}: info string {info!r}; use {RUN!r} or {NOTEST!r}"
        for info, start, _ in fenced_blocks(page)
        if info.startswith("python") and info not in (RUN, NOTEST)
    ]


def check_readme(namespace: dict[str, object], workdir: Path) -> None:
    """The README's examples did what they say."""
    assert namespace["callback"].verified is True  # type: ignore[attr-defined]
    assert (workdir / "trades.csv").exists() and (workdir / "report.png").exists()


AFTERWARDS: dict[str, Callable[[dict[str, object], Path], None]] = {"README.md": check_readme}


def test_every_page_is_found() -> None:
    names = {page.name for page in PAGES}
    assert {"README.md", "architecture.md", "frames.md", "sandbox.md"} <= names
    assert len(python_blocks(ROOT / "README.md")) >= 8


def test_blocks_are_read_as_a_reader_sees_them(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "# A page\n\n```python\nx = 1\n```\n\n```python notest\nsecret()\n```\n\n"
        "```console\n$ make demo\n```\n\n```python  \ny = x + 1\n```\n\n"
        "```python no-test\nsecret()\n```\n",
        encoding="utf-8",
    )
    assert python_blocks(page) == [(4, "x = 1\n"), (16, "y = x + 1\n")]
    assert misfenced(page) == [
        "page.md line 20: info string 'python no-test'; use 'python' or 'python notest'"
    ]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_python_fences_are_run_or_marked(page: Path) -> None:
    """A python block either runs or says ``notest``; nothing in between."""
    assert not misfenced(page), misfenced(page)


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_python_blocks_run(
    page: Path,
    sandbox_http: tuple[str, int, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    matplotlib.use("Agg")
    base_url, pid, key = sandbox_http
    monkeypatch.chdir(tmp_path)  # files the examples write land here
    monkeypatch.setenv("CREGIS_BASE_URL", base_url)  # Client.from_env() finds a project
    monkeypatch.setenv("CREGIS_PID", str(pid))
    monkeypatch.setenv("CREGIS_API_KEY", key)
    namespace: dict[str, object] = {"__name__": page.stem}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # progress bars outside Jupyter, etc.
        for start, block in python_blocks(page):
            where = f"{page.name} python block at line {start}"
            try:
                exec(compile(block, where, "exec"), namespace)
            except Exception as exc:
                pytest.fail(f"{where} failed: {exc!r}\n{block}")
    if page.name in AFTERWARDS:
        AFTERWARDS[page.name](namespace, tmp_path)
