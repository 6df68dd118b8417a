"""The sandbox's three parts import only downward: engine <- api <- http <- the facade.

Every import counts, wherever it is written (module level, inside a function, or under
``TYPE_CHECKING``): a lazy import does not make a circle go away.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import cregis_notebook.sandbox as package

ROOT = Path(package.__file__).parent
PACKAGE = "cregis_notebook.sandbox"

RANK = {"engine": 0, "api": 1, "http": 2, "facade": 3, "__init__": 4}
"""Each part may import the parts ranked below it, and itself."""

OUTSIDE = {"cregis_notebook.errors", "cregis_notebook.spec", "cregis_notebook._signing"}
OUTSIDE |= {"cregis_notebook._values"}
"""What any part of the sandbox may use from the rest of the package."""

CLIENT = "cregis_notebook.client"
"""Only the facade may import the client, and only its public constructor's classes."""


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join([PACKAGE, *parts]) if parts else PACKAGE] = path
    return out


def _imports(name: str, path: Path) -> Iterator[tuple[str, list[str]]]:
    """``(module imported, names taken from it)`` for every import statement of a module."""
    is_package = path.name == "__init__.py"
    base = name.split(".") if is_package else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base[: len(base) - node.level + 1]
                target = ".".join(anchor + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            yield target, [alias.name for alias in node.names]


def _part(module: str) -> str:
    rest = module[len(PACKAGE) + 1 :].split(".") if module != PACKAGE else ["__init__"]
    return rest[0]


def _internal(target: str, names: list[str], modules: dict[str, Path]) -> list[str]:
    """The sandbox modules an import statement reaches (a package, or its submodules)."""
    reached = [target] if target in modules else []
    reached += [f"{target}.{n}" for n in names if f"{target}.{n}" in modules]
    return reached


MODULES = _modules()


@pytest.mark.parametrize("module", sorted(MODULES))
def test_each_part_imports_only_downward(module: str) -> None:
    part = _part(module)
    for target, names in _imports(module, MODULES[module]):
        if not target.startswith("cregis_notebook"):
            continue
        if target == PACKAGE or target.startswith(PACKAGE + "."):
            for reached in _internal(target, names, MODULES) or [target]:
                other = _part(reached)
                assert RANK[other] <= RANK[part], f"{module} imports {reached}: upward"
            continue
        outside = next((o for o in OUTSIDE if target == o or target.startswith(o + ".")), None)
        if target == CLIENT and part == "facade":
            assert set(names) <= {"Client", "AsyncClient", "TeamClient", "AsyncTeamClient"}, (
                module,
                names,
            )
            continue
        assert outside is not None, f"{module} imports {target}, outside what the sandbox may use"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_private_name_crosses_a_module(module: str) -> None:
    for target, names in _imports(module, MODULES[module]):
        private = [n for n in names if n.startswith("_") and f"{target}.{n}" not in MODULES]
        assert not private, f"{module} imports private {private} from {target}"


def test_no_import_circles() -> None:
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        edges = set()
        for target, names in _imports(module, path):
            if target.startswith(PACKAGE):
                edges.update(r for r in _internal(target, names, MODULES) if r != module)
        graph[module] = edges
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                circle = [*path[path.index(nxt) :], nxt]
                raise AssertionError("import circle: " + " -> ".join(circle))
            if nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)


def test_the_checks_see_the_three_parts() -> None:
    parts = {_part(m) for m in MODULES}
    assert parts == set(RANK)
    assert f"{PACKAGE}.engine.engine" in MODULES and f"{PACKAGE}.api.service" in MODULES
