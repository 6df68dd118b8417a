"""The one-way layout: the import contracts hold, and no private name crosses a module.

The layers, the sandbox's seam and the ban on circles are declared in ``pyproject.toml``
(``[tool.importlinter]``) and checked by ``lint-imports``. What import-linter cannot express is
checked here over the package's syntax trees: no module uses a private (underscore) name of
another module, whether imported (``from .frames import _build``) or reached as an attribute of
an imported module (``callbacks._load``). Importing a private *module* is fine
(``from . import _signing``, ``from ._values import exact_int``); dunder names are not private.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "cregis_notebook"


def module_name(path: Path, root: Path = ROOT) -> str:
    """``cregis_notebook/sandbox/core.py`` -> ``cregis_notebook.sandbox.core``."""
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def resolve(importer: str, importer_is_package: bool, level: int, module: str | None) -> str:
    """The absolute name a ``from ... import`` statement reads from."""
    if level == 0:
        return module or ""
    base = importer.split(".")
    if not importer_is_package:
        base = base[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, module] if module else base)


def is_module(name: str, root: Path = ROOT) -> bool:
    """Whether the dotted ``name`` is a module or package of the tree under ``root``."""
    path = root.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_names_used(path: Path, root: Path = ROOT) -> Iterator[str]:
    """Each use in ``path`` of another module's private name: ``"file:line: what"``."""
    importer = module_name(path, root)
    package = importer.split(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    modules: dict[str, str] = {}  # local name -> one of our modules it is bound to
    where = f"{path.relative_to(root)}"
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = resolve(importer, is_package(path), node.level, node.module)
            if source.split(".")[0] != package:
                continue
            for alias in node.names:
                target = f"{source}.{alias.name}"
                if is_module(target, root):
                    modules[alias.asname or alias.name] = target
                elif is_private(alias.name):
                    yield f"{where}:{node.lineno}: imports {alias.name} from {source}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == package and alias.asname:
                    modules[alias.asname] = alias.name
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
            and is_private(node.attr)
            and not is_module(f"{modules[node.value.id]}.{node.attr}", root)
        ):
            yield f"{where}:{node.lineno}: uses {node.value.id}.{node.attr}"


def private_name_uses(root: Path) -> list[str]:
    """Every use of another module's private name in the package under ``root``, sorted."""
    paths = sorted((root / PACKAGE.name).rglob("*.py"))
    return sorted({use for path in paths for use in private_names_used(path, root)})


def test_the_private_name_check_sees_each_kind_of_use(tmp_path: Path) -> None:
    """The check finds a private name imported or reached through a module, and nothing else."""
    pkg = tmp_path / "cregis_notebook"
    (pkg / "sub").mkdir(parents=True)
    files = {
        "__init__.py": "from ._private import public\nfrom ._version import __version__\n",
        "_private.py": "def public(): ...\ndef _hidden(): ...\n",
        "_version.py": "__version__ = '0'\n",
        "sub/__init__.py": "from .. import _private\nfrom ._inner import shown\n",
        "sub/_inner.py": "shown = 1\n",
        "good.py": "from . import _private\nfrom .sub import _inner\n_private.public()\n_own = 1\n",
        "bad_import.py": "def f():\n    from ._private import _hidden\n",
        "bad_attribute.py": "from . import _private\n_private._hidden()\n",
        "bad_absolute.py": "import cregis_notebook._private as p\np._hidden()\n",
        "sub/bad_relative.py": "from .._private import _hidden\n",
    }
    for name, text in files.items():
        (pkg / name).write_text(text, encoding="utf-8")
    assert private_name_uses(tmp_path) == [
        "cregis_notebook/bad_absolute.py:2: uses p._hidden",
        "cregis_notebook/bad_attribute.py:2: uses _private._hidden",
        "cregis_notebook/bad_import.py:2: imports _hidden from cregis_notebook._private",
        "cregis_notebook/sub/bad_relative.py:1: imports _hidden from cregis_notebook._private",
    ]


def test_no_module_uses_a_private_name_of_another() -> None:
    uses = private_name_uses(ROOT)
    assert not uses, "private names used across modules:\n" + "\n".join(uses)


def test_import_contracts_hold() -> None:
    """``lint-imports`` keeps every contract of ``[tool.importlinter]`` in pyproject.toml."""
    lint_imports = Path(sys.executable).with_name("lint-imports")
    command = str(lint_imports) if lint_imports.exists() else shutil.which("lint-imports")
    assert command, "lint-imports is not installed: pip install -e '.[dev]'"
    run = subprocess.run(
        [command, "--no-cache", "--no-logo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
