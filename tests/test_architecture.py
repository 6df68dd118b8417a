"""docs/architecture.md stays true: it names every module and draws the layers of the contracts."""

from __future__ import annotations

import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pytest brings tomli to Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "cregis_notebook"
PAGE = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def module_names() -> list[str]:
    """Each module file as the page names it: ``fetch/crew.py``; a package as ``fetch/``."""
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if path.name == "__init__.py" and relative.parent != Path("."):
            names.append(f"{relative.parent.as_posix()}/")
        else:
            names.append(relative.as_posix())
    return names


def test_every_module_has_a_line() -> None:
    named = set(re.findall(r"`([\w/.]+)`", PAGE))
    missing = [name for name in module_names() if name not in named]
    assert missing == [], f"say in docs/architecture.md what these own: {missing}"


def test_the_page_draws_the_layers_of_the_contract() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    layers = next(c for c in contracts if c["id"] == "layers")["layers"]
    drawn = PAGE.split("## The layers", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    assert drawn.splitlines() == layers
